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

	round atomic.Pointer[flushRound] // the round new waiters join; swapped when a flush starts

	rounds, served atomic.Int64 // group commits with a waiter, and the waiters they served

	timers sync.Pool
}

// flushRound is one group commit: every writer that joins it before the flush starts has
// appended already, so that flush covers it. A writer that joins a round whose flush has
// started is not covered; waitFor then joins the next one.
type flushRound struct {
	done    chan struct{} // closed when the round's flush ends
	full    chan struct{} // 1-slot: the target number of writers has joined
	waiters atomic.Int64  // writers that joined
	target  atomic.Int64  // writers the flusher waits for
	err     error         // the flush's error, set before done is closed
}

func newFlushRound() *flushRound {
	return &flushRound{done: make(chan struct{}), full: make(chan struct{}, 1)}
}

// join counts a waiting writer. It and setTarget each check the other's counter after
// writing their own, so whichever comes second signals full.
func (r *flushRound) join() {
	n := r.waiters.Add(1)
	if t := r.target.Load(); t > 1 && n >= t {
		r.signalFull()
	}
}

// setTarget sets how many writers the flusher waits for.
func (r *flushRound) setTarget(t int64) {
	r.target.Store(t)
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
		quit: make(chan struct{})}
	f.round.Store(newFlushRound())
	if cfg.FlushDiskType == SyncFlush {
		f.wg.Go(f.groupCommitLoop)
	} else {
		f.wg.Go(f.asyncLoop)
	}
	return f
}

// flushOnce syncs everything appended so far.
func (f *flusher) flushOnce() error {
	moved, err := f.sync()
	if moved && f.onFlush != nil {
		f.onFlush()
	}
	return err
}

// sync writes out the stage and syncs the CommitLog up to its end; moved reports whether
// the flushed offset advanced.
func (f *flusher) sync() (moved bool, err error) {
	target, err := f.cl.commit()
	if err != nil {
		return false, err
	}
	if target <= f.cl.flushedOffset.Load() {
		return false, nil
	}
	if err := f.cl.mfq.flush(target); err != nil {
		return false, err
	}
	if target > f.cl.flushedOffset.Load() {
		f.cl.flushedOffset.Store(target)
	}
	return true, nil
}

func (f *flusher) groupCommitLoop() {
	// A round's target is how many writers the last round served plus those already waiting
	// for the next one. In a closed loop the served ones come straight back with their next
	// record, so a round waits briefly (at most one flush time, capped) for the target to
	// join: one fsync then serves every writer instead of alternating half-size cohorts. The
	// last writer to join signals full; the flusher sleeps meanwhile (spinning would take a
	// core from the writers it waits for). While rounds keep filling up, the flusher goes
	// from one straight to waiting for the next, without first being woken by a writer.
	//
	// The dispatcher is told about a flush only when the next one starts (or the flusher goes
	// idle): woken right away it ran first on the processor the released writers were queued
	// on, and held them back by the time it took to dispatch the round; woken later it works
	// while the flusher waits for the disk. Consumers see a record at most one gather wait
	// (≤ maxGroupWait) later.
	var lastFlush time.Duration
	var notify bool // a flush moved the flushed offset and onFlush has not run since
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	defer gather.Stop()
	for {
		r := f.round.Load()
		if r.target.Load() > 1 {
			select {
			case <-f.quit:
				f.finishRound()
				return
			default:
			}
		} else {
			if notify {
				f.onFlush()
				notify = false
			}
			select {
			case <-f.quit:
				f.finishRound()
				return
			case <-f.wake:
			}
		}
		if t := r.target.Load(); t > 1 && r.waiters.Load() < t {
			gather.Reset(min(lastFlush, maxGroupWait))
			select {
			case <-r.full:
			case <-gather.C:
			case <-f.quit:
			}
			gather.Stop()
			if r.waiters.Load() == 0 {
				r.setTarget(0) // nobody came back: sleep until a writer wakes us
				continue
			}
		}
		f.round.Store(newFlushRound())
		if notify {
			f.onFlush()
			notify = false
		}
		start := time.Now()
		moved, err := f.sync()
		lastFlush = time.Since(start)
		if err != nil {
			f.log.Error("commitlog flush failed", "err", err)
		}
		r.err = err
		if w := r.waiters.Load(); w > 0 {
			f.rounds.Add(1)
			f.served.Add(w)
		}
		next := f.round.Load()
		next.setTarget(r.waiters.Load() + next.waiters.Load())
		close(r.done)
		notify = notify || (moved && f.onFlush != nil)
	}
}

// poke wakes the group-commit flusher without waiting for it.
func (f *flusher) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// maxGroupWait bounds how long a group-commit round waits for writers to rejoin it.
const maxGroupWait = time.Millisecond

// finishRound runs a last flush for the waiting round when the flusher stops.
func (f *flusher) finishRound() {
	r := f.round.Swap(newFlushRound())
	_, r.err = f.sync()
	close(r.done)
	if f.onFlush != nil {
		f.onFlush()
	}
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
		r := f.round.Load()
		r.join()
		f.poke()
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
			if r.err != nil && f.cl.flushedOffset.Load() < end {
				return r.err
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
