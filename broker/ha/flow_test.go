package ha

import (
	"testing"
	"time"
)

// TestFlowMonitor: PerSecond is the previous whole second's bytes; an idle gap reads 0.
func TestFlowMonitor(t *testing.T) {
	var f flowMonitor
	t0 := time.Unix(100, 0)
	f.add(10, t0)
	f.add(5, t0.Add(500*time.Millisecond))
	if got := f.PerSecond(t0.Add(900 * time.Millisecond)); got != 0 {
		t.Fatalf("during the first second: %d, want 0", got)
	}
	if got := f.PerSecond(t0.Add(1500 * time.Millisecond)); got != 15 {
		t.Fatalf("next second: %d, want 15", got)
	}
	f.add(7, t0.Add(1600*time.Millisecond))
	if got := f.PerSecond(t0.Add(1700 * time.Millisecond)); got != 15 {
		t.Fatalf("after a write in the next second: %d, want 15", got)
	}
	if got := f.PerSecond(t0.Add(2100 * time.Millisecond)); got != 7 {
		t.Fatalf("two seconds on: %d, want 7", got)
	}
	if got := f.PerSecond(t0.Add(5 * time.Second)); got != 0 {
		t.Fatalf("idle: %d, want 0", got)
	}
	f.add(3, t0.Add(5*time.Second))
	if got := f.PerSecond(t0.Add(5100 * time.Millisecond)); got != 0 {
		t.Fatalf("after an idle gap: %d, want 0", got)
	}
}
