package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestOnFlushed: 16 closed-loop writers under SYNC_FLUSH that are answered through OnFlushed
// (as the broker answers SYNC_FLUSH sends) are each called exactly once per append, only once
// the flushed offset covers their record, and never by more than one goroutine at a time: a
// round's writers are answered by the flusher, not by one goroutine each.
// Their group commits serve several writers each. Under ASYNC_FLUSH done is called at once.
func TestOnFlushed(t *testing.T) {
	s := mustOpen(t, testConfig(t, SyncFlush))
	defer s.Close()
	const writers, each = 16, 40
	var running, overlapped, calls atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				res, err := s.AppendNoWait(newMsg("OnFlushed", int32(w%4), fmt.Sprint(w, "-", i), nil))
				if err != nil {
					t.Error(err)
					return
				}
				done := make(chan error, 2)
				s.OnFlushed(res, func(err error) {
					if running.Add(1) > 1 {
						overlapped.Add(1)
					}
					if err == nil && s.FlushedOffset() < res.End {
						err = fmt.Errorf("called with %d flushed, record ends at %d", s.FlushedOffset(), res.End)
					}
					calls.Add(1)
					running.Add(-1)
					done <- err
				})
				if err := <-done; err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n != writers*each {
		t.Fatalf("%d calls for %d appends", n, writers*each)
	}
	if n := overlapped.Load(); n > 0 {
		t.Errorf("%d callbacks ran while another one was running: not answered by one goroutine", n)
	}
	rounds, served := s.GroupCommitStats()
	t.Logf("%d waits in %d group commits", served, rounds)
	if rounds == 0 || served < rounds {
		t.Fatalf("%d rounds served %d waits", rounds, served)
	}

	a := mustOpen(t, testConfig(t, AsyncFlush))
	defer a.Close()
	res, err := a.AppendNoWait(newMsg("OnFlushed", 0, "async", nil))
	if err != nil {
		t.Fatal(err)
	}
	called := false
	a.OnFlushed(res, func(err error) { called = err == nil })
	if !called {
		t.Fatal("ASYNC_FLUSH: done not called at once")
	}
}

// TestOnFlushedTimeout: a writer whose flush does not end within SyncFlushTimeout is called
// with ErrFlushTimeout (once: not again when the flush then succeeds); a failed write reaches
// the writers of its round as that error; after Close a writer is called with ErrClosed.
func TestOnFlushedTimeout(t *testing.T) {
	cfg := testConfig(t, SyncFlush)
	cfg.SyncFlushTimeout = 50
	s := mustOpen(t, cfg)
	res, err := s.AppendNoWait(newMsg("T", 0, "slow", nil))
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	got := make(chan error, 4)
	s.cl.mu.Lock() // the flusher cannot write the stage out: the flush hangs
	s.OnFlushed(res, func(err error) { calls.Add(1); got <- err })
	select {
	case err := <-got:
		if !errors.Is(err, ErrFlushTimeout) {
			t.Errorf("stuck flush: %v, want ErrFlushTimeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("stuck flush: not called")
	}
	// A writer with a later deadline does not hold back one with an earlier deadline.
	late := make(chan error, 1)
	s.flusher.onFlushed(flushCallback{end: res.End, deadline: time.Now().Add(time.Hour).UnixNano(),
		fn: func(err error) { late <- err }})
	s.flusher.onFlushed(flushCallback{end: res.End, deadline: time.Now().Add(20 * time.Millisecond).UnixNano(),
		fn: func(err error) { got <- err }})
	select {
	case err := <-got:
		if !errors.Is(err, ErrFlushTimeout) {
			t.Errorf("earlier deadline: %v, want ErrFlushTimeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("earlier deadline behind a later one: not called")
	}
	s.cl.mu.Unlock()
	if err := <-late; err != nil {
		t.Errorf("later deadline, flush done: %v", err)
	}
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if s.FlushedOffset() < res.End {
			return fmt.Errorf("flushed %d < %d", s.FlushedOffset(), res.End)
		}
		return nil
	})
	if err := s.Flush(); err != nil { // a round after the one the writer was in
		t.Fatal(err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("called %d times", n)
	}

	// A failing write: the segment's descriptor swapped for a read-only one.
	seg := s.cl.mfq.last()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if to := s.zero.to.Load(); to < seg.start+seg.size {
			return fmt.Errorf("zeroed up to %d", to)
		}
		return nil
	})
	ro, err := os.Open(seg.path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	s.cl.mu.Lock()
	rw := seg.f
	seg.f = ro
	s.cl.mu.Unlock()
	res, err = s.AppendNoWait(newMsg("T", 0, "fails", nil))
	if err != nil {
		t.Fatal(err)
	}
	s.OnFlushed(res, func(err error) { got <- err })
	if err := <-got; err == nil || errors.Is(err, ErrFlushTimeout) {
		t.Errorf("failing write: %v, want the write error", err)
	}
	s.cl.mu.Lock()
	seg.f = rw
	s.cl.mu.Unlock()

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.OnFlushed(res, func(err error) { got <- err }) // flushed by Close's last flush
	if err := <-got; err != nil {
		t.Errorf("after Close, a record Close flushed: %v", err)
	}
	s.OnFlushed(AppendResult{MsgNum: 1, End: res.End + 1}, func(err error) { got <- err })
	if err := <-got; !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

// BenchmarkGroupCommitWaiters: 16 closed-loop writers of 1 KiB records under SYNC_FLUSH,
// answered the way the broker used to (a goroutine per waiting append that blocks in
// WaitFlushed) and through OnFlushed. Reports the mean group size.
func BenchmarkGroupCommitWaiters(b *testing.B) {
	body := string(make([]byte, 1024))
	for _, mode := range []string{"goroutine", "callback"} {
		b.Run(mode, func(b *testing.B) {
			cfg := testConfig(b, SyncFlush)
			cfg.MappedFileSizeCommitLog = 64 << 20
			s := mustOpen(b, cfg)
			defer s.Close()
			const writers = 16
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					done := make(chan error, 1)
					for next.Add(1) <= int64(b.N) {
						res, err := s.AppendNoWait(newMsg("Bench", int32(w%4), body, nil))
						if err != nil {
							b.Error(err)
							return
						}
						if mode == "callback" {
							s.OnFlushed(res, func(err error) { done <- err })
						} else {
							go func() { done <- s.WaitFlushed(context.Background(), res) }()
						}
						if err := <-done; err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			rounds, served := s.GroupCommitStats()
			if rounds > 0 {
				b.ReportMetric(float64(served)/float64(rounds), "waits/round")
			}
		})
	}
}

// TestGatherWait pins the gather policy: a round waits up to four flush times for the last
// round's writers (one flush time cut rounds in half on a busy machine), capped at 1 ms.
func TestGatherWait(t *testing.T) {
	for _, c := range []struct{ last, want time.Duration }{
		{0, 0},
		{100 * time.Microsecond, 400 * time.Microsecond},
		{200 * time.Microsecond, 800 * time.Microsecond},
		{300 * time.Microsecond, time.Millisecond},
		{time.Second, time.Millisecond},
	} {
		if got := gatherWait(c.last); got != c.want {
			t.Errorf("gatherWait(%v) = %v, want %v", c.last, got, c.want)
		}
	}
}
