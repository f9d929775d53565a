package admin

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// TestProgressAdd: reports from many goroutines add up; a ctx without a tracker is a no-op.
func TestProgressAdd(t *testing.T) {
	progressAdd(context.Background(), 1, 1) // no tracker: nothing happens
	var last atomic.Pointer[Progress]
	var calls atomic.Int64
	ctx := WithProgress(context.Background(), func(p Progress) {
		calls.Add(1)
		last.Store(&p)
	})
	progressAdd(ctx, 0, 100)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 10 {
				progressAdd(ctx, 1, 0)
			}
		})
	}
	wg.Wait()
	if calls.Load() != 101 {
		t.Fatalf("calls = %d, want 101", calls.Load())
	}
	progressAdd(ctx, 0, 0)
	if p := last.Load(); p.Done != 100 || p.Total != 100 {
		t.Fatalf("last progress %+v, want 100/100", *p)
	}
	if WithProgress(context.Background(), nil) != context.Background() {
		t.Fatal("WithProgress(nil) should return ctx unchanged")
	}
}
