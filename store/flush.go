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
	round chan struct{} // closed when the flush that started after it was made ends
	err   error         // last flush error

	timers  sync.Pool
	waiting atomic.Int64 // writers inside waitFor
}

func newFlusher(cl *commitLog, cfg *Config, log *slog.Logger, onFlush func()) *flusher {
	f := &flusher{cl: cl, cfg: cfg, log: log, onFlush: onFlush, wake: make(chan struct{}, 1),
		quit: make(chan struct{}), round: make(chan struct{})}
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
	var lastBatch int64
	for {
		select {
		case <-f.quit:
			f.finishRound(f.flushOnce())
			return
		case <-f.wake:
		}
		// Let writers woken by the previous round append before this round starts, so one
		// fsync serves all of them: yield until as many writers wait as in the last round.
		for i := 0; i < 50 && f.waiting.Load() < lastBatch; i++ {
			runtime.Gosched()
		}
		lastBatch = f.waiting.Load()
		f.mu.Lock()
		done := f.round
		f.round = make(chan struct{})
		f.mu.Unlock()
		err := f.flushOnce()
		if err != nil {
			f.log.Error("commitlog flush failed", "err", err)
		}
		f.mu.Lock()
		f.err = err
		f.mu.Unlock()
		close(done)
	}
}

func (f *flusher) finishRound(err error) {
	f.mu.Lock()
	f.err = err
	close(f.round)
	f.round = make(chan struct{})
	f.mu.Unlock()
}

// waitFor blocks until the CommitLog is flushed past end, the sync flush timeout passes
// (ErrFlushTimeout), ctx ends or the flusher stops.
func (f *flusher) waitFor(ctx context.Context, end int64) error {
	var timer *time.Timer
	f.waiting.Add(1)
	defer func() {
		f.waiting.Add(-1)
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
		ch := f.round
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
		case <-ch:
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
