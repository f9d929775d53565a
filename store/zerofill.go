package store

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Under SYNC_FLUSH every acknowledged append waits for an fdatasync, so the cost of one
// fdatasync is the store's latency and how that cost grows with the bytes of a group commit
// is its throughput. A CommitLog segment is preallocated with fallocate, which leaves its
// extents "unwritten": the first write to each page makes the filesystem convert an extent,
// and every fdatasync that follows such a write must commit the journal as well as the data.
// A group commit of 16 records touches several new pages and paid that every round (a
// 16-record fdatasync measured about 1.6× a 1-record one on fallocated space and about 1.1×
// on written space; PostgreSQL zero-fills its WAL segments for the same reason).
//
// The zero filler therefore writes zeros a few MiB ahead of the append position in the
// segment being written, syncs them once per MiB, and maps those pages into the process
// (MADV_POPULATE_READ) so the dispatcher does not take a page fault per new page either. The
// zeros are written in page-sized pieces: the page cache then keeps small folios, and a
// 1 KiB record does not dirty (and an fdatasync does not write back) a large folio.
//
// Zeros are written only past the append position and under the append lock, so a record
// is never overwritten; readers never look past the append position; recovery already
// treats zeros as the end of the log, which is what fallocated space reads as too.
const (
	zeroAhead = 8 << 20  // zero up to this far ahead of the append position
	zeroLow   = 4 << 20  // start again when less than this is left
	zeroBatch = 1 << 20  // zeroed, then synced, as one unit
	zeroPiece = 64 << 10 // zeroed per hold of the append lock
)

type zeroFiller struct {
	cl    *commitLog
	log   *slog.Logger
	to    atomic.Int64 // CommitLog offset up to which the current segment is zeroed or written
	wake  chan struct{}
	zeros [pageSize]byte

	batches atomic.Int64 // batches zeroed, for tests
}

func newZeroFiller(cl *commitLog, log *slog.Logger) *zeroFiller {
	return &zeroFiller{cl: cl, log: log, wake: make(chan struct{}, 1)}
}

// notify asks for more zeros when the writer came close to the zeroed end; the flusher calls
// it after each round.
func (z *zeroFiller) notify() {
	if z.cl.maxOffset.Load()+zeroLow <= z.to.Load() {
		return
	}
	select {
	case z.wake <- struct{}{}:
	default:
	}
}

func (z *zeroFiller) loop(quit <-chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		if err := z.fill(quit); err != nil {
			// Not fatal: appends still work on unzeroed space, only group commits cost more.
			z.log.Warn("commitlog zero fill stopped", "err", err)
			<-quit
			return
		}
		select {
		case <-quit:
			return
		case <-z.wake:
		case <-t.C:
		}
	}
}

// fill zeroes batches until zeroAhead is reached in the current segment.
func (z *zeroFiller) fill(quit <-chan struct{}) error {
	for {
		select {
		case <-quit:
			return nil
		default:
		}
		mf, file, from, to, err := z.zeroBatch()
		if mf == nil {
			return err
		}
		if err == nil && to > from {
			err = unix.Fdatasync(int(file.Fd()))
			if err == nil {
				lo, hi := (from-mf.start)&^(pageSize-1), min(mf.size, (to-mf.start+pageSize-1)&^(pageSize-1))
				// Best effort: older kernels answer EINVAL, and a miss only costs a fault.
				_ = unix.Madvise(mf.data[lo:hi], unix.MADV_POPULATE_READ)
				z.batches.Add(1)
			} else {
				err = fmt.Errorf("fdatasync %s: %w", filepath.Base(mf.path), err)
			}
		}
		mf.release()
		if err != nil {
			return err
		}
	}
}

// zeroBatch writes zeros over up to zeroBatch bytes after the zeroed end of the current
// segment, taking the append lock for one zeroPiece at a time. It returns the held segment,
// its file and the range zeroed, or a nil segment when nothing needs zeroing.
func (z *zeroFiller) zeroBatch() (mf *mappedFile, file *os.File, from, to int64, err error) {
	cl := z.cl
	for {
		cl.mu.Lock()
		last := cl.mfq.last()
		if mf != nil && last != mf {
			cl.mu.Unlock() // the writer rolled to a new segment: this batch is over
			return mf, file, from, to, nil
		}
		if last == nil || last.full() {
			cl.mu.Unlock()
			return mf, file, from, to, nil
		}
		w := last.start + last.wrote.Load()
		end := last.start + last.size
		p := max(z.to.Load(), w)
		if mf == nil {
			if p >= min(w+zeroAhead, end) {
				cl.mu.Unlock()
				return nil, nil, 0, 0, nil
			}
			if !last.hold() {
				cl.mu.Unlock()
				return nil, nil, 0, 0, nil
			}
			mf, file, from = last, last.f, p
		}
		stop := min(from+zeroBatch, w+zeroAhead, end)
		if p >= stop {
			cl.mu.Unlock()
			return mf, file, from, to, nil
		}
		pieceEnd := min(p+zeroPiece, stop)
		for p < pieceEnd && err == nil {
			n := min(pageSize-(p-mf.start)%pageSize, pieceEnd-p)
			_, err = file.WriteAt(z.zeros[:n], p-mf.start)
			p += n
		}
		if err == nil {
			z.to.Store(p)
			to = p
		}
		cl.mu.Unlock()
		if err != nil {
			return mf, file, from, to, fmt.Errorf("zero %s: %w", filepath.Base(mf.path), err)
		}
	}
}
