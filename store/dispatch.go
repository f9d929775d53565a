package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/message"
)

// dispatcher follows the CommitLog and builds the ConsumeQueues and the IndexFile from it
// (Java's ReputMessageService). It is the only writer of both.
type dispatcher struct {
	s    *Store
	log  *slog.Logger
	from atomic.Int64 // next CommitLog offset to dispatch

	wake chan struct{}
	quit chan struct{}
	wg   sync.WaitGroup

	rounds atomic.Int64 // rounds run, for tests
}

// Under ASYNC_FLUSH every append wakes the dispatcher. At a steady stream of small appends
// (16 closed-loop senders put a record every ~50 µs) it ran one round per record, and waking
// a parked goroutine per record cost the broker more than the round's work: measured side by
// side under `mq bench produce --sync --producers 16`, the broker used 55 µs of CPU per
// message dispatching at once and 47 µs with this pause, and sent 12% more. A wake within
// dispatchPause of the previous round's start therefore waits until dispatchPause has passed
// since it, and that round takes every record appended meanwhile; a wake after a quiet spell
// dispatches at once. Consumers see a record at most dispatchPause (about a millisecond on an
// idle machine, where Go's timers round up) later; Java's ReputMessageService sleeps 1 ms
// between rounds. Under SYNC_FLUSH the flusher already wakes the dispatcher once per group
// commit.
const dispatchPause = 500 * time.Microsecond

func newDispatcher(s *Store, from int64) *dispatcher {
	d := &dispatcher{s: s, log: s.log, wake: make(chan struct{}, 1), quit: make(chan struct{})}
	d.from.Store(from)
	return d
}

func (d *dispatcher) start() { d.wg.Go(d.loop) }

func (d *dispatcher) notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) loop() {
	// ConsumeQueue and IndexFile pages get their disk blocks when first written through the
	// mapping; with the disk full (or a file cut short underneath) that write faults. Let it
	// panic instead of crashing the process (the broker keeps serving what it has), and retry
	// every second until the write goes through.
	debug.SetPanicOnFault(true)
	retry := time.NewTicker(time.Second)
	defer retry.Stop()
	pause := time.NewTimer(time.Hour)
	pause.Stop()
	defer pause.Stop()
	coalesce := d.s.cfg.FlushDiskType != SyncFlush
	var last time.Time // start of the previous round
	failed := false
	for {
		select {
		case <-d.quit:
			d.guardedRun(d.limit())
			return
		case <-d.wake:
			if wait := dispatchPause - time.Since(last); coalesce && wait > 0 {
				pause.Reset(wait)
				select {
				case <-pause.C:
				case <-d.quit:
					pause.Stop()
					d.guardedRun(d.limit())
					return
				}
			}
		case <-retry.C:
			if !failed {
				continue
			}
		}
		last = time.Now()
		failed = !d.guardedRun(d.limit())
	}
}

// guardedRun is run with a fault (SIGBUS) writing a mapped file turned into an error.
func (d *dispatcher) guardedRun(limit int64) (ok bool) {
	d.rounds.Add(1)
	defer func() {
		if r := recover(); r != nil {
			// A fault at a real (not near-nil) address: a mapped file's page. Anything
			// else is a bug and crashes as it would have.
			f, isFault := r.(interface{ Addr() uintptr })
			if !isFault || f.Addr() < 1<<16 {
				panic(r)
			}
			d.log.Error("dispatch: fault writing a ConsumeQueue or IndexFile (disk full?), retrying",
				"offset", d.from.Load(), "addr", fmt.Sprintf("%#x", f.Addr()))
			ok = false
		}
	}()
	return d.run(limit)
}

// limit is how far records may be dispatched: all written records under ASYNC_FLUSH, only
// flushed ones under SYNC_FLUSH (consumers never see what a crash could take back).
func (d *dispatcher) limit() int64 {
	if d.s.cfg.FlushDiskType == SyncFlush {
		return d.s.cl.flushedOffset.Load()
	}
	return d.s.cl.maxOffset.Load()
}

// run dispatches every record below limit. It returns false if it stopped on a bad record.
func (d *dispatcher) run(limit int64) bool {
	cl := d.s.cl
	for from := d.from.Load(); from < limit; {
		mf := cl.mfq.find(from)
		if mf == nil {
			d.log.Error("dispatch: no segment", "offset", from)
			return false
		}
		next, ok, caughtUp := d.runSegment(mf, from, limit)
		if !ok {
			return false
		}
		from = next
		if caughtUp {
			break
		}
	}
	return true
}

// runSegment dispatches the records of the held segment mf from offset from, releasing mf
// however it returns (a fault writing a mapped file panics through here). caughtUp reports
// that it reached the writer inside this segment.
func (d *dispatcher) runSegment(mf *mappedFile, from, limit int64) (next int64, ok, caughtUp bool) {
	defer mf.release()
	end := min(mf.start+mf.wrote.Load(), limit)
	pos := from - mf.start
	for from < end {
		if end-from < 8 {
			break
		}
		total := int64(int32(binary.BigEndian.Uint32(mf.data[pos:])))
		if binary.BigEndian.Uint32(mf.data[pos+4:]) == message.BlankMagic {
			from = mf.start + mf.size
			break
		}
		if total < message.MinStoredLen || total > end-from {
			d.log.Error("dispatch: bad record size", "offset", from, "size", total)
			return from, false, false
		}
		rec, err := message.ParseStored(mf.data[pos : pos+total])
		if err != nil || rec.PhysicalOffset() != from {
			d.log.Error("dispatch: bad record", "offset", from, "err", err)
			return from, false, false
		}
		if err := d.s.dispatchRecord(rec); err != nil {
			d.log.Error("dispatch failed", "offset", from, "err", err)
			return from, false, false
		}
		from += total
		pos += total
		d.from.Store(from)
	}
	d.from.Store(from)
	caughtUp = from < limit && from < mf.start+mf.size && from >= mf.start+mf.wrote.Load()
	return from, true, caughtUp
}

func (d *dispatcher) close() {
	close(d.quit)
	d.wg.Wait()
}

// dispatchRecord appends the record's ConsumeQueue entry and index entries and notifies the
// listener.
func (s *Store) dispatchRecord(rec message.Stored) error {
	if assignsQueueOffset(rec.SysFlag()) {
		cq, err := s.consumeQueueFor(rec.Topic(), rec.QueueID())
		if errors.Is(err, ErrInvalidTopic) {
			// Appends refuse such names; a record from an older or foreign log (a master's)
			// still never becomes a path outside the store, and never stops the dispatch.
			s.log.Error("dispatch: record with an invalid topic skipped", "offset", rec.PhysicalOffset(), "err", err)
			return nil
		}
		if err != nil {
			return err
		}
		tag := int64(0)
		if s.cfg.TagsCode != nil {
			tag = s.cfg.TagsCode(rec)
		} else if tags, ok := message.PropertyValue(rec.Properties(), message.PropertyTags); ok && len(tags) > 0 {
			tag = int64(message.JavaHash(0, tags))
		}
		if err := cq.put(rec.QueueOffset(), cqEntry{rec.PhysicalOffset(), rec.TotalSize(), tag}); err != nil {
			return err
		}
		if s.cfg.Listener != nil {
			s.cfg.Listener(cq.topic, cq.qid, cq.maxLogical.Load())
		}
	}
	if s.cfg.MessageIndexEnable {
		if err := s.index.putRecord(rec); err != nil {
			return err
		}
	}
	return nil
}
