package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// The broker's live heap is small (messages live in the mapped CommitLog, not the heap) while
// it allocates fast: every request's header, body and answer are garbage once the answer is
// written. With GOGC=100 the heap goal is twice a live heap of a few MiB, so under load the
// collector starts a cycle every few MiB allocated, dozens of times a second. The tuner
// gives the heap a floor of headroom instead: after each collection it sets GOGC so that the
// next goal is the live heap plus gcHeadroom while that is more than GOGC=100 would allow,
// and back to 100 once the live heap is larger than gcHeadroom. Peak RssAnon stays near
// live + gcHeadroom; an idle server allocates nothing and stays at its idle size.
//
// Measured with GODEBUG=gctrace=1 over 6 s of `mq bench produce --producers 4 --inflight 256`
// (1 KiB bodies) against `mq standalone`: GOGC=100 ran 146 collections (live heap 2–3 MB,
// goal 5–7 MB, the collector's share of CPU 8%); with 16 MiB of headroom 60 (goal ~20 MB,
// 2%), with 24 MiB 27 (2%) for ~8 MiB more RSS: 16 MiB keeps most of the gain.
const gcHeadroom = 16 << 20

const (
	gcPercentBase = 100
	gcPercentMax  = 10000
)

// gcPercentFor returns the GOGC that makes the heap goal live+headroom, never below
// gcPercentBase nor above gcPercentMax.
func gcPercentFor(live, headroom uint64) int {
	if live == 0 {
		return gcPercentMax
	}
	p := headroom * 100 / live
	return int(min(max(p, gcPercentBase), gcPercentMax))
}

// gcTuner re-arms a finalizer on a sentinel object: the finalizer runs once after every
// collection that found the previous sentinel garbage, reads the live heap and sets GOGC.
type gcTuner struct {
	headroom atomic.Uint64
	stopped  atomic.Bool
	last     int
	sample   []metrics.Sample
	adjusted atomic.Int64 // GOGC changes made, for tests
}

// sentinel is large enough to stay out of the tiny allocator, whose blocks are freed (and
// finalized) only when every object sharing them is garbage.
type sentinel struct{ _ [2]*byte }

var gcTunerOnce sync.Once

// startServerGCTuner starts the process's one tuner with gcHeadroom.
func startServerGCTuner() { gcTunerOnce.Do(func() { startGCTuner(gcHeadroom) }) }

// startGCTuner starts the tuner and returns a function that stops it and restores
// gcPercentBase. It leaves GOGC alone when the environment sets it.
func startGCTuner(headroom uint64) (stop func(), t *gcTuner) {
	t = &gcTuner{last: gcPercentBase, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.headroom.Store(headroom)
	t.arm()
	return func() {
		if t.stopped.CompareAndSwap(false, true) {
			debug.SetGCPercent(gcPercentBase)
		}
	}, t
}

func (t *gcTuner) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) { t.afterGC() })
}

func (t *gcTuner) afterGC() {
	if t.stopped.Load() {
		return
	}
	metrics.Read(t.sample)
	if t.sample[0].Value.Kind() == metrics.KindUint64 {
		p := gcPercentFor(t.sample[0].Value.Uint64(), t.headroom.Load())
		// Small moves are not worth a call: within 1/8 of the last setting, keep it.
		if d := p - t.last; d > t.last/8 || -d > t.last/8 {
			debug.SetGCPercent(p)
			t.last = p
			t.adjusted.Add(1)
		}
	}
	t.arm()
}
