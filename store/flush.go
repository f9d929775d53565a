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

// flushCallback is a writer that asked to be called (onFlushed) rather than to block
// (waitFor) once the CommitLog is flushed past end.
type flushCallback struct {
	end      int64
	deadline int64 // unix nanoseconds: answered ErrFlushTimeout from then on
	fn       func(error)
}

// deadRound is the round once the flusher stopped: closed, and never done.
var deadRound = func() *flushRound {
	r := newFlushRound()
	r.closed = true
	return r
}()

// flushRound is one group commit: every writer that joins it before the flush starts has
// appended already, so that flush covers it. A writer that joins a round whose flush has
// started is not covered; waitFor then joins the next one.
type flushRound struct {
	done    chan struct{} // closed when the round's flush ends
	full    chan struct{} // 1-slot: the target number of writers has joined
	waiters atomic.Int64  // writers that joined
	target  atomic.Int64  // writers the flusher waits for
	err     error         // the flush's error, set before done is closed

	mu     sync.Mutex
	closed bool            // the flusher took cbs: a callback joins the next round
	cbs    []flushCallback // writers to call once the round's flush ends
	timer  *time.Timer     // goes off at the earliest deadline of cbs
	armed  int64           // when timer goes off (unix nanoseconds)
}

// addCallback adds cb to the round unless the flusher already took its callbacks.
func (r *flushRound) addCallback(cb flushCallback) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	if r.cbs == nil {
		r.cbs = make([]flushCallback, 0, 16)
	}
	r.cbs = append(r.cbs, cb)
	if len(r.cbs) == 1 || cb.deadline < r.armed {
		r.arm(cb.deadline)
	}
	return true
}

// arm sets the round's timer to go off at deadline (unix nanoseconds); r.mu is held.
func (r *flushRound) arm(deadline int64) {
	r.armed = deadline
	d := time.Duration(deadline - time.Now().UnixNano())
	if r.timer == nil {
		r.timer = time.AfterFunc(d, r.expire)
	} else {
		r.timer.Reset(d)
	}
}

// takeCallbacks closes the round to new callbacks and returns those it has.
func (r *flushRound) takeCallbacks() []flushCallback {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.timer != nil {
		r.timer.Stop()
	}
	cbs := r.cbs
	r.cbs = nil
	return cbs
}

// expire answers ErrFlushTimeout to the callbacks whose deadline passed while the round
// waited for its flush (a flush stuck for the sync flush timeout).
func (r *flushRound) expire() {
	now := time.Now().UnixNano()
	var expired []flushCallback
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	keep := r.cbs[:0]
	next := int64(0)
	for _, cb := range r.cbs {
		if cb.deadline <= now {
			expired = append(expired, cb)
			continue
		}
		keep = append(keep, cb)
		if next == 0 || cb.deadline < next {
			next = cb.deadline
		}
	}
	clear(r.cbs[len(keep):])
	r.cbs = keep
	if len(keep) > 0 {
		r.arm(next)
	}
	r.mu.Unlock()
	for _, cb := range expired {
		cb.fn(ErrFlushTimeout)
	}
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
	// record, so a round waits briefly (at most gatherFlushes flush times, capped) for the
	// target to join: one fsync then serves every writer instead of alternating half-size
	// cohorts. The wait is a few flush times rather than one because on a busy machine the
	// writers' way round (reply, client, next request, append) takes longer than a flush: cut
	// at one flush time, rounds served ~8 of 16 closed-loop senders, and each flush costs CPU
	// as well as time (msync was ~15% of the broker's CPU at that shape). The last writer to
	// join signals full; the flusher sleeps meanwhile (spinning would take a core from the
	// writers it waits for). While rounds keep filling up, the flusher goes from one straight
	// to waiting for the next, without first being woken by a writer.
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
			gather.Reset(gatherWait(lastFlush))
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
		f.complete(r.takeCallbacks(), err)
		notify = notify || (moved && f.onFlush != nil)
	}
}

// complete calls a finished round's callbacks: a writer the round's flush did not cover (it
// joined after the flush started) joins the next round. The flusher answers the round's
// writers itself, before it waits for them to come back: one goroutine rather than one a
// writer wakes, and the wait for the next round starts once every answer is out.
func (f *flusher) complete(cbs []flushCallback, err error) {
	flushed := f.cl.flushedOffset.Load()
	for _, cb := range cbs {
		switch {
		case cb.end <= flushed:
			cb.fn(nil)
		case err != nil:
			cb.fn(err)
		default:
			f.onFlushed(cb)
		}
	}
}

// onFlushed calls cb.fn once the CommitLog is flushed past cb.end (nil), cb.deadline passes
// (ErrFlushTimeout) or the flusher stops (ErrClosed unless the last flush covered it). fn
// runs on the flusher's goroutine (or a timer's, or the caller's when it can be answered at
// once) and must not block.
func (f *flusher) onFlushed(cb flushCallback) {
	for {
		if f.cl.flushedOffset.Load() >= cb.end {
			cb.fn(nil)
			return
		}
		r := f.round.Load()
		if r == deadRound {
			cb.fn(ErrClosed)
			return
		}
		if r.addCallback(cb) {
			r.join()
			f.poke()
			return
		}
		// The flusher took r's callbacks after this writer loaded r: the next round is stored.
	}
}

// poke wakes the group-commit flusher without waiting for it.
func (f *flusher) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// A group-commit round waits for the last round's writers to rejoin it at most gatherFlushes
// times as long as the last flush took, and never more than maxGroupWait.
const (
	gatherFlushes = 4
	maxGroupWait  = time.Millisecond
)

// gatherWait is how long a round waits for its target writers after a flush that took last.
func gatherWait(last time.Duration) time.Duration {
	return min(gatherFlushes*last, maxGroupWait)
}

// finishRound runs a last flush for the waiting round when the flusher stops.
func (f *flusher) finishRound() {
	r := f.round.Swap(deadRound)
	_, r.err = f.sync()
	close(r.done)
	f.complete(r.takeCallbacks(), r.err)
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
