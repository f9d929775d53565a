package store

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// flusher syncs the CommitLog. Under SYNC_FLUSH it is a group commit: writers call waitFor
// with the end of their record, and one flush serves every writer waiting when it starts.
// Under ASYNC_FLUSH it flushes every FlushIntervalCommitLog once enough pages are dirty.
type flusher struct {
	cl      *commitLog
	cfg     *Config
	log     *slog.Logger
	onFlush func() // called after each flush that moved the flushed offset

	wake chan struct{} // 1-slot: a writer is waiting
	quit chan struct{}
	wg   sync.WaitGroup

	mu    sync.Mutex
	round *flushRound // the round new waiters join; swapped when a flush starts
	err   error       // last flush error

	timers sync.Pool
}

// flushRound is one group commit: every writer that joins it before the flush starts has
// appended already, so that flush covers it.
type flushRound struct {
	done    chan struct{} // closed when the round's flush ends
	full    chan struct{} // 1-slot: the target number of writers has joined
	waiters atomic.Int64  // writers that joined
	target  int64         // writers the flusher waits for; read and written under flusher.mu
}

func newFlushRound(target int64) *flushRound {
	return &flushRound{done: make(chan struct{}), full: make(chan struct{}, 1), target: target}
}

// setTarget sets how many writers the flusher waits for; the caller holds flusher.mu.
func (r *flushRound) setTarget(t int64) {
	r.target = t
	if t > 1 && r.waiters.Load() >= t {
		r.signalFull()
	}
}

func (r *flushRound) signalFull() {
	select {
	case r.full <- struct{}{}:
	default:
	}
}

func newFlusher(cl *commitLog, cfg *Config, log *slog.Logger, onFlush func()) *flusher {
	f := &flusher{cl: cl, cfg: cfg, log: log, onFlush: onFlush, wake: make(chan struct{}, 1),
		quit: make(chan struct{}), round: newFlushRound(0)}
	if cfg.FlushDiskType == SyncFlush {
		f.wg.Go(f.groupCommitLoop)
	} else {
		f.wg.Go(f.asyncLoop)
	}
	return f
}

// flushOnce syncs everything appended so far.
func (f *flusher) flushOnce() error {
	target := f.cl.maxOffset.Load()
	if target <= f.cl.flushedOffset.Load() {
		return nil
	}
	if err := f.cl.mfq.flush(); err != nil {
		return err
	}
	if target > f.cl.flushedOffset.Load() {
		f.cl.flushedOffset.Store(target)
	}
	if f.onFlush != nil {
		f.onFlush()
	}
	return nil
}

func (f *flusher) groupCommitLoop() {
	// A round's target is how many writers the last round served plus those already waiting
	// for the next one. In a closed loop the served ones come straight back with their next
	// record, so a round waits briefly (at most one flush time, capped) for the target to
	// join: one fsync then serves every writer instead of alternating half-size cohorts. The
	// last writer to join signals full; the flusher sleeps meanwhile (spinning would take a
	// core from the writers it waits for).
	var lastFlush time.Duration
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	defer gather.Stop()
	for {
		select {
		case <-f.quit:
			f.finishRound(f.flushOnce())
			return
		case <-f.wake:
		}
		f.mu.Lock()
		next := f.round
		f.mu.Unlock()
		if t := next.target; t > 1 && next.waiters.Load() < t {
			gather.Reset(min(lastFlush, maxGroupWait))
			select {
			case <-next.full:
			case <-gather.C:
			case <-f.quit:
			}
			gather.Stop()
		}
		f.mu.Lock()
		done := f.round
		f.round = newFlushRound(0)
		f.mu.Unlock()
		start := time.Now()
		err := f.flushOnce()
		lastFlush = time.Since(start)
		if err != nil {
			f.log.Error("commitlog flush failed", "err", err)
		}
		f.mu.Lock()
		f.err = err
		f.round.setTarget(done.waiters.Load() + f.round.waiters.Load())
		f.mu.Unlock()
		close(done.done)
	}
}

// maxGroupWait bounds how long a group-commit round waits for writers to rejoin it.
const maxGroupWait = time.Millisecond

func (f *flusher) finishRound(err error) {
	f.mu.Lock()
	f.err = err
	close(f.round.done)
	f.round = newFlushRound(0)
	f.mu.Unlock()
}

// waitFor blocks until the CommitLog is flushed past end, the sync flush timeout passes
// (ErrFlushTimeout), ctx ends or the flusher stops.
func (f *flusher) waitFor(ctx context.Context, end int64) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
			f.timers.Put(timer)
		}
	}()
	for {
		if f.cl.flushedOffset.Load() >= end {
			return nil
		}
		f.mu.Lock()
		r := f.round
		if n := r.waiters.Add(1); r.target > 1 && n >= r.target {
			r.signalFull()
		}
		f.mu.Unlock()
		select {
		case f.wake <- struct{}{}:
		default:
		}
		if timer == nil {
			d := time.Duration(f.cfg.SyncFlushTimeout) * time.Millisecond
			if t, ok := f.timers.Get().(*time.Timer); ok {
				t.Reset(d)
				timer = t
			} else {
				timer = time.NewTimer(d)
			}
		}
		select {
		case <-r.done:
			f.mu.Lock()
			err := f.err
			f.mu.Unlock()
			if err != nil && f.cl.flushedOffset.Load() < end {
				return err
			}
		case <-timer.C:
			return ErrFlushTimeout
		case <-ctx.Done():
			return ctx.Err()
		case <-f.quit:
			if f.cl.flushedOffset.Load() >= end {
				return nil
			}
			return ErrClosed
		}
	}
}

func (f *flusher) asyncLoop() {
	interval := time.Duration(f.cfg.FlushIntervalCommitLog) * time.Millisecond
	thorough := time.Duration(f.cfg.FlushCommitLogThoroughInterval) * time.Millisecond
	least := int64(f.cfg.FlushCommitLogLeastPages) * pageSize
	t := time.NewTicker(interval)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-f.quit:
			if err := f.flushOnce(); err != nil {
				f.log.Error("commitlog flush failed", "err", err)
			}
			return
		case <-t.C:
		}
		dirty := f.cl.maxOffset.Load() - f.cl.flushedOffset.Load()
		if dirty <= 0 || (dirty < least && time.Since(last) < thorough) {
			continue
		}
		if err := f.flushOnce(); err != nil {
			f.log.Error("commitlog flush failed", "err", err)
			continue
		}
		last = time.Now()
	}
}

// close stops the loop after a final flush.
func (f *flusher) close() {
	close(f.quit)
	f.wg.Wait()
}
