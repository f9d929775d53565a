package ha

import (
	"testing"
	"time"
)

// TestLogLimiterFalls: once, then after 1 s, 2 s, 4 s … capped; Reset starts over.
func TestLogLimiterFalls(t *testing.T) {
	l := LogLimiter{First: time.Second, Max: 4 * time.Second}
	t0 := time.Unix(1000, 0)
	var logged []time.Duration
	for ms := 0; ms <= 20000; ms += 100 {
		if ok, _ := l.Allow(t0.Add(time.Duration(ms) * time.Millisecond)); ok {
			logged = append(logged, time.Duration(ms)*time.Millisecond)
		}
	}
	want := []time.Duration{0, time.Second, 3 * time.Second, 7 * time.Second, 11 * time.Second, 15 * time.Second, 19 * time.Second}
	if len(logged) != len(want) {
		t.Fatalf("logged at %v, want %v", logged, want)
	}
	for i := range want {
		if logged[i] != want[i] {
			t.Fatalf("logged at %v, want %v", logged, want)
		}
	}
	if ok, n := l.Allow(t0.Add(23 * time.Second)); !ok || n != 10 {
		t.Fatalf("after 4 s: %v, %d suppressed; want true, 10 (19.1 s to 20 s)", ok, n)
	}
	if !l.Reset() || l.Reset() {
		t.Fatal("Reset reports the running failure once")
	}
	if ok, _ := l.Allow(t0.Add(23100 * time.Millisecond)); !ok {
		t.Fatal("first failure after Reset not logged")
	}
}
