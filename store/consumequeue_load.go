package store

import (
	"errors"

	"golang.org/x/sys/unix"
)

// A ConsumeQueue file is created sparse (ftruncate) and written front to back, so past the
// queue's end it is holes, which read as zeros. Faulting those in costs a zero page for every
// 4 KiB: a 300,000-entry file is 5.7 MiB, so a broker with 1,000 queues would hold 5.7 GiB of
// zeros. Two things did: the kernel's mmap read-ahead (read_ahead_kb, often several MiB)
// filled the whole file on the first fault of a queue, and load cleared the tail through the
// mapping. Hence ConsumeQueue mappings are MADV_RANDOM (a fault reads its page only: 204
// entries), and cutTail clears only the entries load dropped, the rest of the page holding the
// end, and whatever regions the file system reports as data past it (SEEK_DATA: stale entries
// of a crashed run); holes are left alone.

// adviseRandom turns off read-ahead for mf's mapping. Failure only costs memory.
func adviseRandom(mf *mappedFile) {
	_ = unix.Madvise(mf.data, unix.MADV_RANDOM)
}

// cutTail ends the queue at byte end: the entries load dropped, [end, dropTo), are cleared,
// stale bytes after them are cleared where the file holds data, and later files are deleted.
// What it changed is made durable: a stale entry a power cut brought back would be taken for
// the entry written at its queue offset after the restart.
func (cq *consumeQueue) cutTail(end, dropTo int64) error {
	q := cq.mfq
	q.mu.Lock()
	defer q.mu.Unlock()
	var err error
	var removed []string
	old := q.list()
	keep := old[:0:0]
	for _, mf := range old {
		switch {
		case mf.start+mf.size <= end:
			keep = append(keep, mf)
		case mf.start <= end:
			pos := end - mf.start
			cleared := false
			if to := min(dropTo-mf.start, mf.size); to > pos {
				clear(mf.data[pos:to])
				cleared = true
			}
			if clearStale(mf, max(pos, min(dropTo-mf.start, mf.size))) {
				cleared = true
			}
			if cleared {
				err = mf.syncFrom(pos)
			}
			mf.wrote.Store(pos)
			mf.flushed.Store(min(mf.flushed.Load(), pos))
			keep = append(keep, mf)
		default:
			removed = append(removed, mf.path)
			mf.destroy()
		}
	}
	q.files.Store(&keep)
	if len(removed) > 0 {
		if e := syncRemoved(q.dir, removed); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// clearStale zeroes the non-zero bytes of mf from pos on, touching only the page holding pos
// and the regions the file system has data for. It reports whether it cleared anything.
func clearStale(mf *mappedFile, pos int64) (cleared bool) {
	if pos >= mf.size {
		return false
	}
	pageEnd := min((pos+pageSize-1)&^(pageSize-1), mf.size)
	if pos < pageEnd {
		cleared = clearNonZero(mf.data[pos:pageEnd]) // mapped already: the end entry lives there
	}
	fd := int(mf.f.Fd())
	for off := pageEnd; off < mf.size; {
		d, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) || (err == nil && d >= mf.size) {
			return cleared // only holes from off on
		}
		if err != nil { // no SEEK_DATA here: check everything, as before
			return mf.zeroTail(off, mf.size) > 0 || cleared
		}
		h, err := unix.Seek(fd, d, unix.SEEK_HOLE)
		if err != nil || h > mf.size {
			h = mf.size
		}
		if clearNonZero(mf.data[d:h]) {
			cleared = true
		}
		off = h
	}
	return cleared
}

// clearNonZero zeroes b where it is not zero already (reading a page does not dirty it) and
// reports whether it found anything to clear.
func clearNonZero(b []byte) (cleared bool) {
	const chunk = 4096
	for p := 0; p < len(b); p += chunk {
		c := b[p:min(p+chunk, len(b))]
		for _, x := range c {
			if x != 0 {
				clear(c)
				cleared = true
				break
			}
		}
	}
	return cleared
}
