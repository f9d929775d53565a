package ha

import (
	"sync/atomic"
	"time"
)

// flowMonitor counts bytes per wall-clock second (Apache's FlowMonitor): PerSecond is what
// went through during the last whole second.
type flowMonitor struct {
	sec  atomic.Int64 // unix second cur counts
	cur  atomic.Int64
	last atomic.Int64 // bytes of second sec-1
}

func (f *flowMonitor) add(n int, now time.Time) {
	s := now.Unix()
	if old := f.sec.Load(); old != s && f.sec.CompareAndSwap(old, s) {
		v := f.cur.Swap(0)
		if old != s-1 {
			v = 0 // seconds without traffic in between
		}
		f.last.Store(v)
	}
	f.cur.Add(int64(n))
}

// PerSecond returns the bytes of the last whole second.
func (f *flowMonitor) PerSecond(now time.Time) int64 {
	switch f.sec.Load() {
	case now.Unix():
		return f.last.Load()
	case now.Unix() - 1:
		return f.cur.Load()
	}
	return 0
}
