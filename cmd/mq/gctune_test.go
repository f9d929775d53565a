package main

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	for _, c := range []struct {
		live, headroom uint64
		want           int
	}{
		{4 << 20, 32 << 20, 800},          // goal = live + headroom
		{32 << 20, 32 << 20, 100},         // as large as the headroom: GOGC=100 gives as much
		{1 << 30, 32 << 20, 100},          // large heaps keep the default
		{1 << 10, 32 << 20, 10000},        // capped
		{0, 32 << 20, 10000},              // nothing live yet
		{10 << 20, 32 << 20, 320},         // 32/10
		{64 << 20, 32 << 20, 100},         // never below the default
		{3 << 20, 32 << 20, 1066},         // integer division
		{100 << 20, 200 << 20, 200},       // another headroom
		{1 << 20, 0, gcPercentBase},       // no headroom: the default
		{1 << 20, 1 << 20, gcPercentBase}, // equal
	} {
		if got := gcPercentFor(c.live, c.headroom); got != c.want {
			t.Errorf("gcPercentFor(%d, %d) = %d, want %d", c.live, c.headroom, got, c.want)
		}
	}
}

func gogc(t *testing.T) uint64 {
	t.Helper()
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// waitGOGC collects until the tuner's finalizer has set GOGC as want says.
func waitGOGC(t *testing.T, want func(uint64) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !want(gogc(t)) {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is %d, want %s", gogc(t), what)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// TestGCTunerFollowsLiveHeap: with room to spare the tuner raises GOGC after a collection,
// it goes back to 100 once the live heap outgrows the headroom, and stopping restores 100.
func TestGCTunerFollowsLiveHeap(t *testing.T) {
	if gogc(t) != gcPercentBase {
		t.Skipf("GOGC is %d in this process", gogc(t))
	}
	stop, tuner := startGCTuner(1 << 30)
	defer stop()
	waitGOGC(t, func(p uint64) bool { return p > gcPercentBase }, "above 100 with 1 GiB of headroom")

	tuner.headroom.Store(1 << 10) // every live heap is larger
	waitGOGC(t, func(p uint64) bool { return p == gcPercentBase }, "100 once the live heap outgrew the headroom")
	if tuner.adjusted.Load() < 2 {
		t.Fatalf("adjusted %d times, want at least 2", tuner.adjusted.Load())
	}

	tuner.headroom.Store(1 << 30)
	waitGOGC(t, func(p uint64) bool { return p > gcPercentBase }, "raised again")
	stop()
	if p := gogc(t); p != gcPercentBase {
		t.Fatalf("GOGC %d after stop, want %d", p, gcPercentBase)
	}
	runtime.GC()
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	if p := gogc(t); p != gcPercentBase {
		t.Fatalf("a stopped tuner changed GOGC to %d", p)
	}
}
