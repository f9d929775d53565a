package store

import (
	"context"
	"log/slog"
	"runtime"
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
	waiters atomic.Int64  // writers that joined
}

func newFlushRound() *flushRound { return &flushRound{done: make(chan struct{})} }

func newFlusher(cl *commitLog, cfg *Config, log *slog.Logger, onFlush func()) *flusher {
	f := &flusher{cl: cl, cfg: cfg, log: log, onFlush: onFlush, wake: make(chan struct{}, 1),
		quit: make(chan struct{}), round: newFlushRound()}
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
	// target is how many writers the last round served plus those already waiting for the
	// next one. In a closed loop the served ones come straight back with their next record,
	// so a round waits briefly (at most one flush time, capped) for them to join: one fsync
	// then serves every writer instead of alternating half-size cohorts.
	var (
		target    int64
		lastFlush time.Duration
	)
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
		if target > 1 {
			deadline := time.Now().Add(min(lastFlush, maxGroupWait))
			for next.waiters.Load() < target && time.Now().Before(deadline) {
				runtime.Gosched()
			}
		}
		f.mu.Lock()
		done := f.round
		f.round = newFlushRound()
		f.mu.Unlock()
		start := time.Now()
		err := f.flushOnce()
		lastFlush = time.Since(start)
		if err != nil {
			f.log.Error("commitlog flush failed", "err", err)
		}
		f.mu.Lock()
		f.err = err
		target = done.waiters.Load() + f.round.waiters.Load()
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
	f.round = newFlushRound()
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
		r.waiters.Add(1)
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
