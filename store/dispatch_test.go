package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// TestDispatchCoalescesSteadyAppends: under ASYNC_FLUSH a stream of appends, each waking the
// dispatcher, is dispatched in rounds at least dispatchPause apart — at most one round per
// pause over the stream's duration, whatever the machine's pace — and every record still
// reaches its ConsumeQueue in order. Without the pause a record 25 µs after the last one gets
// a round of its own (400 records: 100+ rounds in 10 ms, where the pause allows 22).
func TestDispatchCoalescesSteadyAppends(t *testing.T) {
	cfg := testConfig(t, AsyncFlush)
	cfg.MappedFileSizeCommitLog = 1 << 20
	s := mustOpen(t, cfg)
	defer s.Close()

	const n = 400
	before := s.disp.rounds.Load()
	start := time.Now()
	for i := range n {
		if _, err := s.AppendNoWait(newMsg("T", 0, fmt.Sprint(i), nil)); err != nil {
			t.Fatal(err)
		}
		// 25 µs apart (a spin: sleeps round up to a millisecond), a steady stream of sends.
		for t0 := time.Now(); time.Since(t0) < 25*time.Microsecond; {
		}
	}
	waitDispatched(t, s)
	elapsed := time.Since(start)
	rounds := s.disp.rounds.Load() - before
	// Round starts are at least dispatchPause apart, the first is at once; +1 for slack.
	if limit := int64(elapsed/dispatchPause) + 2; rounds > limit {
		t.Fatalf("%d records in %v took %d dispatch rounds, want at most one per %v (%d)", n, elapsed, rounds, dispatchPause, limit)
	}
	t.Logf("%d records in %v, %d dispatch rounds", n, elapsed, rounds)
	got, err := s.GetMessages("T", 0, 0, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if len(got.Messages) != n {
		t.Fatalf("got %d messages, want %d", len(got.Messages), n)
	}
}

// TestDispatchAfterQuietIsImmediate: the first record after a quiet spell is dispatched in a
// round of its own, without waiting for more.
func TestDispatchAfterQuietIsImmediate(t *testing.T) {
	s := mustOpen(t, testConfig(t, AsyncFlush))
	defer s.Close()
	for range 3 {
		time.Sleep(2 * dispatchPause)
		before := s.disp.rounds.Load()
		if _, err := s.Append(context.Background(), newMsg("T", 0, "x", nil)); err != nil {
			t.Fatal(err)
		}
		waitDispatched(t, s)
		if r := s.disp.rounds.Load() - before; r != 1 {
			t.Fatalf("a lone record took %d rounds, want 1", r)
		}
	}
}

// TestAppendedHook: under ASYNC_FLUSH the Appended hook runs once per append, on the
// appender's goroutine (what ships CommitLog bytes does not wait for the dispatcher's pause);
// under SYNC_FLUSH it is not called.
func TestAppendedHook(t *testing.T) {
	for _, flush := range []FlushDiskType{AsyncFlush, SyncFlush} {
		cfg := testConfig(t, flush)
		var calls atomic.Int64
		cfg.Appended = func() { calls.Add(1) }
		s := mustOpen(t, cfg)
		for i := range 10 {
			if _, err := s.Append(context.Background(), newMsg("T", 0, fmt.Sprint(i), nil)); err != nil {
				t.Fatal(err)
			}
			if want := int64(i + 1); flush == AsyncFlush && calls.Load() != want {
				t.Fatalf("after append %d the hook ran %d times, want %d (at once, not at dispatch)", i+1, calls.Load(), want)
			}
		}
		s.Close()
		if flush == SyncFlush && calls.Load() != 0 {
			t.Fatalf("SYNC_FLUSH: the hook ran %d times, want 0", calls.Load())
		}
	}
}
