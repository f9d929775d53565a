package admin

import (
	"context"
	"sync/atomic"
)

// Progress of a long call (a key query's windows and scans, a reset's queues): Done of Total
// units so far. Total grows while the call learns how much there is to do, and is 0 when it
// is not known yet.
type Progress struct {
	Done  int64
	Total int64
}

type progressKey struct{}

type progressTracker struct {
	done, total atomic.Int64
	fn          func(Progress)
}

// WithProgress returns a ctx under which long calls report their progress to fn. fn is called
// from the goroutines of the call's fan-out, so it must be safe for concurrent use and quick.
func WithProgress(ctx context.Context, fn func(Progress)) context.Context {
	if fn == nil {
		return ctx
	}
	return context.WithValue(ctx, progressKey{}, &progressTracker{fn: fn})
}

// progressAdd adds to the done and total units of the call's tracker, if any, and reports.
func progressAdd(ctx context.Context, done, total int64) {
	t, ok := ctx.Value(progressKey{}).(*progressTracker)
	if !ok {
		return
	}
	p := Progress{Total: t.total.Add(total), Done: t.done.Add(done)}
	t.fn(p)
}
