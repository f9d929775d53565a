package store

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

// consumeQueue is the index of one topic-queue: entry k (the message with queue offset k) is
// at byte k*20 of the queue's address space. Only the dispatcher (or recovery) writes it.
type consumeQueue struct {
	topic string
	qid   int32
	mfq   *mappedFileQueue

	maxPhys    int64        // end (offset+size) of the last entry's record; dispatcher only
	minLogical atomic.Int64 // first offset still readable
	maxLogical atomic.Int64 // next offset to be written
}

type cqEntry struct {
	phys int64
	size int32
	tag  int64
}

func readCQEntry(b []byte) cqEntry {
	return cqEntry{int64(binary.BigEndian.Uint64(b)), int32(binary.BigEndian.Uint32(b[8:])), int64(binary.BigEndian.Uint64(b[12:]))}
}

func putCQEntry(b []byte, e cqEntry) {
	binary.BigEndian.PutUint64(b, uint64(e.phys))
	binary.BigEndian.PutUint32(b[8:], uint32(e.size))
	binary.BigEndian.PutUint64(b[12:], uint64(e.tag))
}

func newConsumeQueue(root, topic string, qid int32, fileSize int64) *consumeQueue {
	dir := filepath.Join(root, topic, strconv.Itoa(int(qid)))
	return &consumeQueue{topic: topic, qid: qid, mfq: newMappedFileQueue(dir, fileSize, false, nil)}
}

// load maps the queue's files and finds its end: the first entry with size 0 in the last
// file. Entries whose record ends past clEnd are cleared; it returns how many were.
func (cq *consumeQueue) load(clEnd int64) (dropped int, err error) {
	if err := cq.mfq.load(); err != nil {
		return 0, err
	}
	fs := cq.mfq.list()
	for _, mf := range fs {
		adviseRandom(mf)
	}
	if len(fs) == 0 {
		return 0, nil
	}
	// Find the end in the last non-empty file.
	end := int64(-1)
	for i := len(fs) - 1; i >= 0 && end < 0; i-- {
		mf := fs[i]
		pos := int64(0)
		for ; pos+ConsumeQueueEntrySize <= mf.size; pos += ConsumeQueueEntrySize {
			if readCQEntry(mf.data[pos:]).size <= 0 {
				break
			}
		}
		if pos > 0 || i == 0 {
			end = mf.start + pos
		}
	}
	// Drop entries pointing past the recovered CommitLog end.
	found := end
	for end > fs[0].start {
		mf := fs[(end-ConsumeQueueEntrySize-fs[0].start)/cq.mfq.fileSize]
		e := readCQEntry(mf.data[end-ConsumeQueueEntrySize-mf.start:])
		if e.size == math.MaxInt32 || e.phys+int64(e.size) <= clEnd {
			cq.maxPhys = e.phys + int64(e.size)
			if e.size == math.MaxInt32 {
				cq.maxPhys = 0
			}
			break
		}
		end -= ConsumeQueueEntrySize
		dropped++
	}
	if err := cq.cutTail(end, found); err != nil {
		return dropped, err
	}
	for _, mf := range cq.mfq.list() {
		if mf.start+mf.size <= end {
			mf.wrote.Store(mf.size)
		}
	}
	cq.maxLogical.Store(end / ConsumeQueueEntrySize)
	cq.minLogical.Store(fs[0].start / ConsumeQueueEntrySize)
	return dropped, nil
}

// put writes the entry for queue offset k. Entries for records already indexed (a re-dispatch
// after recovery) are skipped. A gap before k is filled with blank entries.
func (cq *consumeQueue) put(k int64, e cqEntry) error {
	if e.phys+int64(e.size) <= cq.maxPhys {
		return nil
	}
	max := cq.maxLogical.Load()
	if k < max {
		return nil // already there
	}
	if max == 0 && cq.mfq.last() == nil && k > 0 {
		// First entry of a queue whose earlier files are gone: start at k.
		cq.minLogical.Store(k)
		cq.maxLogical.Store(k)
		max = k
	}
	for ; max <= k; max++ {
		ent := e
		if max < k {
			ent = blankEntry
		}
		if err := cq.writeEntry(max, ent); err != nil {
			return err
		}
	}
	cq.maxPhys = e.phys + int64(e.size)
	cq.maxLogical.Store(k + 1)
	return nil
}

// blankEntry marks a queue offset without a message (a gap); readers skip it.
var blankEntry = cqEntry{0, math.MaxInt32, 0}

// writeEntry writes entry k at the end of the queue's files.
func (cq *consumeQueue) writeEntry(k int64, e cqEntry) error {
	byteOff := k * ConsumeQueueEntrySize
	mf := cq.mfq.last()
	if mf == nil || byteOff >= mf.start+mf.size {
		var err error
		if mf, err = cq.mfq.newFile(byteOff - byteOff%cq.mfq.fileSize); err != nil {
			return err
		}
		adviseRandom(mf)
	}
	pos := byteOff - mf.start
	for p := mf.wrote.Load(); p < pos; p += ConsumeQueueEntrySize {
		putCQEntry(mf.data[p:], blankEntry)
	}
	putCQEntry(mf.data[pos:], e)
	mf.wrote.Store(pos + ConsumeQueueEntrySize)
	return nil
}

// reserveThrough makes sure queue offsets up to k are taken, writing blank entries: the
// offset of a record recovery had to skip is never given to another message.
func (cq *consumeQueue) reserveThrough(k int64) error {
	max := cq.maxLogical.Load()
	if k < max {
		return nil
	}
	if max == 0 && cq.mfq.last() == nil && k > 0 {
		cq.minLogical.Store(k)
		max = k
	}
	for ; max <= k; max++ {
		if err := cq.writeEntry(max, blankEntry); err != nil {
			return err
		}
		cq.maxLogical.Store(max + 1)
	}
	return nil
}

// blankPhysRange turns the entries whose record starts in [from, to) of the CommitLog into
// blank entries and returns how many it changed. It scans back from the end: entries are
// in CommitLog order.
func (cq *consumeQueue) blankPhysRange(from, to int64) int {
	n := 0
	for k := cq.maxLogical.Load() - 1; k >= cq.minLogical.Load(); k-- {
		mf := cq.mfq.find(k * ConsumeQueueEntrySize)
		if mf == nil {
			break
		}
		pos := k*ConsumeQueueEntrySize - mf.start
		e := readCQEntry(mf.data[pos:])
		if e.size != math.MaxInt32 && e.size > 0 {
			if e.phys < from {
				mf.release()
				break
			}
			if e.phys < to {
				putCQEntry(mf.data[pos:], blankEntry)
				n++
			}
		}
		mf.release()
	}
	return n
}

// entryAt returns the held file and the byte slice of entries from queue offset k to the end
// of k's file or maxLogical, whichever is first.
func (cq *consumeQueue) entriesFrom(k int64) ([]byte, *mappedFile) {
	max := cq.maxLogical.Load()
	if k >= max || k < cq.minLogical.Load() {
		return nil, nil
	}
	mf := cq.mfq.find(k * ConsumeQueueEntrySize)
	if mf == nil {
		return nil, nil
	}
	from := k*ConsumeQueueEntrySize - mf.start
	to := min(mf.size, max*ConsumeQueueEntrySize-mf.start)
	return mf.data[from:to], mf
}

// entry returns entry k.
func (cq *consumeQueue) entry(k int64) (cqEntry, bool) {
	b, mf := cq.entriesFrom(k)
	if mf == nil {
		return cqEntry{}, false
	}
	e := readCQEntry(b)
	mf.release()
	return e, true
}

// deleteBelow removes files whose entries all point below clMin (never the last file) and
// moves minLogical to the first entry at or above clMin.
func (cq *consumeQueue) deleteBelow(clMin int64) int {
	fs := cq.mfq.list()
	n := 0
	for i := 0; i < len(fs)-1; i++ {
		mf := fs[i]
		last := readCQEntry(mf.data[mf.size-ConsumeQueueEntrySize:])
		if last.size == math.MaxInt32 || last.phys+int64(last.size) <= clMin {
			n++
			continue
		}
		break
	}
	if n > 0 {
		cq.mfq.deleteFirst(n)
	}
	cq.correctMin(clMin)
	return n
}

// correctMin sets minLogical to the first entry whose record is at or above clMin.
func (cq *consumeQueue) correctMin(clMin int64) {
	mf := cq.mfq.first()
	if mf == nil {
		return
	}
	max := cq.maxLogical.Load()
	lo := mf.start / ConsumeQueueEntrySize
	hi := min(max, (mf.start+mf.size)/ConsumeQueueEntrySize)
	for lo < hi {
		e := readCQEntry(mf.data[lo*ConsumeQueueEntrySize-mf.start:])
		if e.size != math.MaxInt32 && e.phys >= clMin {
			break
		}
		lo++
	}
	cq.minLogical.Store(lo)
}
