package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestDispatchCoalescesSteadyAppends: under ASYNC_FLUSH a stream of appends, each waking the
// dispatcher, is dispatched in far fewer rounds than records (one round per dispatchPause),
// and every record still reaches its ConsumeQueue in order.
func TestDispatchCoalescesSteadyAppends(t *testing.T) {
	cfg := testConfig(t, AsyncFlush)
	cfg.MappedFileSizeCommitLog = 1 << 20
	s := mustOpen(t, cfg)
	defer s.Close()

	const n = 400
	before := s.disp.rounds.Load()
	for i := range n {
		if _, err := s.AppendNoWait(newMsg("T", 0, fmt.Sprint(i), nil)); err != nil {
			t.Fatal(err)
		}
		// 25 µs apart (a spin: sleeps round up to a millisecond), a steady stream of sends:
		// without the pause the dispatcher runs a round per one or two records.
		for t0 := time.Now(); time.Since(t0) < 25*time.Microsecond; {
		}
	}
	waitDispatched(t, s)
	rounds := s.disp.rounds.Load() - before
	if rounds > n/8 {
		t.Fatalf("%d records took %d dispatch rounds, want them coalesced (≤ %d)", n, rounds, n/8)
	}
	t.Logf("%d records, %d dispatch rounds", n, rounds)
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
