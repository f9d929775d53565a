package main

import (
	"context"
	"flag"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// loadFlags are the shape flags every load generator takes (the names of `mq bench produce`).
type loadFlags struct {
	conns    int
	inflight int
	sync     bool
	size     int
	duration time.Duration
	count    int64
	topic    string
}

func (l *loadFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&l.conns, "producers", 4, "connections (one producer each)")
	fs.IntVar(&l.inflight, "inflight", 64, "requests in flight per connection (async)")
	fs.BoolVar(&l.sync, "sync", false, "one request in flight per connection, awaiting its answer")
	fs.IntVar(&l.size, "size", 1024, "body size in bytes")
	fs.DurationVar(&l.duration, "d", 10*time.Second, "duration (unless --count)")
	fs.Int64Var(&l.count, "count", 0, "stop after this many messages")
	fs.StringVar(&l.topic, "t", "CmpBench", "topic (NATS: stream and subject)")
}

func (l *loadFlags) window() int {
	if l.sync {
		return 1
	}
	return max(l.inflight, 1)
}

func (l *loadFlags) body() []byte {
	b := make([]byte, l.size)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// runContext ends at the duration, or only when cancelled with a count (the caller stops it).
func (l *loadFlags) runContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if l.count > 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, l.duration)
}

// stats collects counts and latencies (µs) from many goroutines.
type stats struct {
	msgs, errs atomic.Int64
	sent       atomic.Int64
	mu         sync.Mutex
	hist       *hdrhistogram.Histogram
	firstErr   atomic.Pointer[string]
}

func newStats() *stats { return &stats{hist: hdrhistogram.New(1, 60_000_000, 3)} }

// take reserves the next message of a counted run; false once count is reached.
func (s *stats) take(count int64) bool {
	return count <= 0 || s.sent.Add(1) <= count
}

func (s *stats) record(d time.Duration) {
	s.msgs.Add(1)
	s.mu.Lock()
	_ = s.hist.RecordValue(d.Microseconds())
	s.mu.Unlock()
}

func (s *stats) fail(err error) {
	s.errs.Add(1)
	msg := err.Error()
	s.firstErr.CompareAndSwap(nil, &msg)
}

func (s *stats) result(mode string, el time.Duration) *Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &Result{Mode: mode, Messages: s.msgs.Load(), Errors: s.errs.Load(), Seconds: el.Seconds(),
		MsgsPerSec: float64(s.msgs.Load()) / el.Seconds(),
		P50Ms:      float64(s.hist.ValueAtQuantile(50)) / 1000, P99Ms: float64(s.hist.ValueAtQuantile(99)) / 1000}
	if p := s.firstErr.Load(); p != nil {
		r.FirstError = *p
	}
	return r
}
