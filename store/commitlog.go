package store

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/message"
)

// blankMinLen is the room always left at a segment's end for the blank filler
// (Java's END_FILE_MIN_BLANK_LENGTH).
const blankMinLen = 8

// tqKey names one ConsumeQueue.
type tqKey struct {
	topic string
	qid   int32
}

// commitLog appends records to a mappedFileQueue under one lock.
type commitLog struct {
	cfg *Config
	mfq *mappedFileQueue

	mu           sync.Mutex // the append lock
	queueOffsets map[tqKey]int64
	lastStoreTs  int64
	stage        []byte // SYNC_FLUSH: records appended but not yet written to their segment
	stageFrom    int64  // CommitLog offset of stage[0]

	maxOffset     atomic.Int64 // end of the last complete record
	writtenOffset atomic.Int64 // SYNC_FLUSH: everything below is in the page cache (readable)
	flushedOffset atomic.Int64 // everything below is on disk
	minOffset     atomic.Int64 // start of the first segment kept
	lockedAt      atomic.Int64 // store time (ms) the append lock was taken at; 0 when free
}

// AppendResult describes what Append stored.
type AppendResult struct {
	// PhysicalOffset is the CommitLog offset of the first record written.
	PhysicalOffset int64
	// WroteBytes is the size of the records written (excluding segment-end fillers).
	WroteBytes int64
	// QueueOffset is the queue offset of the first message (0 for prepared/rollback messages).
	QueueOffset int64
	// MsgNum is the number of messages written.
	MsgNum int
	// StoreTimestamp is the store time (ms) of the last message.
	StoreTimestamp int64
	// End is the CommitLog offset just past the last record written (what WaitFlushed
	// waits for).
	End int64
}

// assignsQueueOffset reports whether a record of this sysFlag takes a queue offset and is
// dispatched to a ConsumeQueue (not prepared, not rollback).
func assignsQueueOffset(sysFlag int32) bool {
	t := message.TransactionType(sysFlag)
	return t == message.TransactionNotType || t == message.TransactionCommitType
}

// prepared is an append request with its size, CRC and properties string computed outside
// the lock.
type prepared struct {
	m     *message.MessageExt
	size  int
	props []byte // m.Properties encoded: copied into the record under the lock
}

// prepare checks m and encodes what does not depend on its place in the log; the properties
// string is appended to buf (which may be a caller's stack array) and kept in the result.
func (cl *commitLog) prepare(m *message.MessageExt, buf []byte) (prepared, error) {
	if err := checkQueue(m.Topic, m.QueueID); err != nil {
		return prepared{}, err
	}
	m.StoreHost = cl.cfg.StoreHost
	props := m.EncodedProperties
	if props == nil {
		props = message.AppendProperties(buf, m.Properties)[len(buf):]
	}
	if props == nil {
		props = []byte{} // non-nil: PutStored writes it as is
	}
	size, err := message.StoredLen(m, len(props))
	if err != nil {
		return prepared{}, err
	}
	if size > cl.cfg.MaxMessageSize {
		return prepared{}, fmt.Errorf("%w: record %d bytes, limit %d", ErrMessageTooLarge, size, cl.cfg.MaxMessageSize)
	}
	m.BodyCRC = message.BodyCRC(m.Body)
	m.StoreSize = int32(size)
	return prepared{m: m, size: size, props: props}, nil
}

// appendLocked writes one prepared record, rolling to a new segment when it does not fit.
// The caller holds cl.mu.
func (cl *commitLog) appendLocked(p prepared, now int64, res *AppendResult) error {
	mf := cl.mfq.last()
	if mf == nil || mf.full() {
		var start int64
		if mf != nil {
			start = mf.start + mf.size
		} else {
			start = cl.maxOffset.Load() // empty queue: recovery decided where the log resumes
		}
		var err error
		if mf, err = cl.mfq.newFile(start); err != nil {
			return fmt.Errorf("%w: %w", ErrNoSegment, err)
		}
	}
	pos := mf.wrote.Load()
	if pos+int64(p.size)+blankMinLen > mf.size {
		// Blank filler: [int32 remaining][int32 BlankMagic], then continue in the next file.
		var blank [8]byte
		binary.BigEndian.PutUint32(blank[0:], uint32(mf.size-pos))
		binary.BigEndian.PutUint32(blank[4:], message.BlankMagic)
		if err := cl.writeLocked(mf, pos, len(blank), func(b []byte) { copy(b, blank[:]) }); err != nil {
			return err
		}
		mf.wrote.Store(mf.size)
		next, err := cl.mfq.newFile(mf.start + mf.size)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrNoSegment, err)
		}
		cl.maxOffset.Store(next.start)
		mf, pos = next, 0
	}
	m := p.m
	key := tqKey{m.Topic, m.QueueID}
	var qoff int64
	assign := assignsQueueOffset(m.SysFlag)
	if assign {
		qoff = cl.queueOffsets[key]
	}
	m.QueueOffset = qoff
	m.CommitLogOffset = mf.start + pos
	m.StoreTimestamp = now
	if err := cl.writeLocked(mf, pos, p.size, func(b []byte) { message.PutStored(b, m, p.props, p.size) }); err != nil {
		return err
	}
	end := pos + int64(p.size)
	mf.wrote.Store(end)
	cl.maxOffset.Store(mf.start + end)
	if assign {
		cl.queueOffsets[key] = qoff + 1
	}
	if res.MsgNum == 0 {
		res.PhysicalOffset = m.CommitLogOffset
		res.QueueOffset = qoff
	}
	res.MsgNum++
	res.End = mf.start + end
	res.WroteBytes += int64(p.size)
	res.StoreTimestamp = now
	return nil
}

// writeLocked puts size bytes, encoded by put into a buffer of exactly that size, at pos
// of mf.
//
// ASYNC_FLUSH encodes straight into the mapping. SYNC_FLUSH appends to the stage, which the
// group-commit flusher writes to the file with one pwrite per round before its fsync (Java's
// transientStorePool works alike). Writers then hold the append lock for a copy instead of a
// system call each: with 16 writers the 16 pwrites under the lock were most of the time
// between two fsyncs. Writing through the mapping instead made each round's fsync slower, as
// every page it had just written back faulted and was re-protected on the next write.
// The caller holds cl.mu.
func (cl *commitLog) writeLocked(mf *mappedFile, pos int64, size int, put func([]byte)) error {
	if cl.cfg.FlushDiskType != SyncFlush {
		put(mf.data[pos : pos+int64(size)])
		return nil
	}
	at := mf.start + pos
	if len(cl.stage) > 0 && (len(cl.stage)+size > maxStage || at != cl.stageFrom+int64(len(cl.stage))) {
		// Too much staged, or not contiguous (a blank filler ends the segment before it is full).
		if err := cl.commitLocked(); err != nil {
			return err
		}
	}
	if len(cl.stage) == 0 {
		cl.stageFrom = at
	}
	n := len(cl.stage)
	cl.stage = append(cl.stage, make([]byte, size)...)
	put(cl.stage[n : n+size])
	return nil
}

// maxStage bounds the stage; a writer that would grow it past this writes it out itself.
const maxStage = 4 << 20

// commitLocked writes the stage to its segments and advances writtenOffset; the caller
// holds cl.mu. On an error the unwritten part stays staged.
func (cl *commitLog) commitLocked() error {
	for len(cl.stage) > 0 {
		mf := cl.mfq.find(cl.stageFrom)
		if mf == nil {
			return fmt.Errorf("%w: no segment for offset %d", ErrCorrupt, cl.stageFrom)
		}
		pos := cl.stageFrom - mf.start
		n := min(int64(len(cl.stage)), mf.size-pos)
		w, err := mf.f.WriteAt(cl.stage[:n], pos)
		mf.release()
		cl.stageFrom += int64(w)
		cl.stage = cl.stage[:copy(cl.stage, cl.stage[w:])]
		cl.writtenOffset.Store(cl.stageFrom)
		if err != nil {
			return fmt.Errorf("write %s: %w", filepath.Base(mf.path), err)
		}
	}
	if cap(cl.stage) > maxStage {
		cl.stage = nil // do not keep a stage a burst of large batches grew
	}
	return nil
}

// commit writes the stage out (SYNC_FLUSH) and returns the offset below which the
// CommitLog is in the page cache.
func (cl *commitLog) commit() (int64, error) {
	if cl.cfg.FlushDiskType != SyncFlush {
		return cl.maxOffset.Load(), nil
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	err := cl.commitLocked()
	return cl.writtenOffset.Load(), err
}

// readableOffset is the end of what readers may see through the mapping.
func (cl *commitLog) readableOffset() int64 {
	if cl.cfg.FlushDiskType == SyncFlush {
		return cl.writtenOffset.Load()
	}
	return cl.maxOffset.Load()
}

// storeNow returns the store time in ms, never going backwards (the IndexFile relies on it).
func (cl *commitLog) storeNowLocked() int64 {
	var now int64
	if cl.cfg.now != nil {
		now = cl.cfg.now().UnixMilli()
	} else {
		now = time.Now().UnixMilli()
	}
	if now < cl.lastStoreTs {
		now = cl.lastStoreTs
	}
	cl.lastStoreTs = now
	return now
}

// append stores ms under one acquisition of the append lock; their queue offsets are
// consecutive per topic-queue.
func (cl *commitLog) append(ms []*message.MessageExt, one *message.MessageExt) (AppendResult, error) {
	var res AppendResult
	if one != nil {
		var buf [512]byte // the properties of most messages fit
		p, err := cl.prepare(one, buf[:0])
		if err != nil {
			return res, err
		}
		cl.mu.Lock()
		now := cl.storeNowLocked()
		cl.lockedAt.Store(now)
		err = cl.appendLocked(p, now, &res)
		cl.lockedAt.Store(0)
		cl.mu.Unlock()
		return res, err
	}
	ps := make([]prepared, len(ms))
	var props []byte // room after the previous message's properties, for the next one's
	for i, m := range ms {
		p, err := cl.prepare(m, props)
		if err != nil {
			return res, err
		}
		props = p.props[len(p.props):]
		ps[i] = p
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	now := cl.storeNowLocked()
	cl.lockedAt.Store(now)
	defer cl.lockedAt.Store(0)
	for _, p := range ps {
		if err := cl.appendLocked(p, now, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// record returns the held file and the record at phys. A blank filler returns ok=false with
// next set to the start of the following segment.
func (cl *commitLog) recordAt(phys int64) (rec message.Stored, mf *mappedFile, err error) {
	if phys < cl.minOffset.Load() {
		return nil, nil, ErrOffsetTooSmall
	}
	end := cl.readableOffset()
	if phys >= end {
		return nil, nil, ErrOffsetNotFound
	}
	mf = cl.mfq.find(phys)
	if mf == nil {
		if phys < cl.minOffset.Load() {
			return nil, nil, ErrOffsetTooSmall
		}
		return nil, nil, ErrOffsetNotFound
	}
	pos := phys - mf.start
	rec, err = message.ParseStored(mf.data[pos:min(mf.wrote.Load(), end-mf.start)])
	if err != nil || rec.PhysicalOffset() != phys || len(rec.Topic()) == 0 {
		// (An empty topic is the filler of a range recovery skipped: not a message.)
		mf.release()
		return nil, nil, fmt.Errorf("%w: at %d", ErrOffsetNotFound, phys)
	}
	return rec, mf, nil
}
