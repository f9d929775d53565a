package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

const pageSize = 4096

// mappedFile is one fixed-size file mapped read-write and shared. Writers advance wrote;
// flushed trails it. refs counts the owner (1) plus readers holding slices of data; the
// mapping is released when the count drops to zero after destroy.
type mappedFile struct {
	path    string
	start   int64 // offset of byte 0 in the queue's global address space
	size    int64
	f       *os.File
	data    []byte
	wrote   atomic.Int64
	flushed atomic.Int64
	refs    atomic.Int32
	remove  atomic.Bool // unlink the file when the mapping is released
}

// fileName formats a start offset as Apache's 20-digit file name.
func fileName(start int64) string {
	s := strconv.FormatInt(start, 10)
	if len(s) >= 20 {
		return s
	}
	return "00000000000000000000"[len(s):] + s
}

// openMappedFile opens or creates path with exactly size bytes and maps it. With prealloc the
// blocks are allocated up front (fallocate) so later page faults cannot hit ENOSPC.
func openMappedFile(path string, start, size int64, prealloc bool) (*mappedFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*mappedFile, error) {
		f.Close()
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if st.Size() != size {
		if st.Size() > size {
			return fail(fmt.Errorf("%w: file is %d bytes, want %d", ErrCorrupt, st.Size(), size))
		}
		if prealloc {
			err = unix.Fallocate(int(f.Fd()), 0, 0, size)
			if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
				err = f.Truncate(size)
			}
		} else {
			err = f.Truncate(size)
		}
		if err != nil {
			return fail(err)
		}
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fail(err)
	}
	mf := &mappedFile{path: path, start: start, size: size, f: f, data: data}
	mf.refs.Store(1)
	return mf, nil
}

// hold takes a reader reference; it fails once the file is being destroyed.
func (mf *mappedFile) hold() bool {
	for {
		n := mf.refs.Load()
		if n <= 0 {
			return false
		}
		if mf.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release drops a reference and unmaps the file when it was the last one.
func (mf *mappedFile) release() {
	if mf.refs.Add(-1) != 0 {
		return
	}
	_ = unix.Munmap(mf.data)
	mf.data = nil
	_ = mf.f.Close()
	if mf.remove.Load() {
		_ = os.Remove(mf.path)
	}
}

// close drops the owner's reference, keeping the file on disk.
func (mf *mappedFile) close() { mf.release() }

// destroy drops the owner's reference and deletes the file once no reader holds it.
func (mf *mappedFile) destroy() {
	mf.remove.Store(true)
	mf.release()
}

func (mf *mappedFile) full() bool { return mf.wrote.Load() >= mf.size }

// flush syncs the written but unflushed range below upTo (a position in the file) to disk
// and returns the new flushed position.
func (mf *mappedFile) flush(upTo int64) (int64, error) {
	w, fl := min(mf.wrote.Load(), upTo), mf.flushed.Load()
	if w <= fl {
		return fl, nil
	}
	from := fl &^ (pageSize - 1)
	if err := unix.Msync(mf.data[from:w], unix.MS_SYNC); err != nil {
		return fl, fmt.Errorf("msync %s: %w", filepath.Base(mf.path), err)
	}
	noteDurable(mf.path, from, mf.data[from:w], mf.size)
	mf.flushed.Store(w)
	return w, nil
}

// zeroTail clears bytes from pos until the end of the file or until maxZeroRun consecutive
// zero bytes were seen (data is only ever appended, so stale bytes are contiguous). It returns
// how many non-zero bytes were cleared.
func (mf *mappedFile) zeroTail(pos int64, maxZeroRun int64) int64 {
	return mf.scanTail(pos, maxZeroRun, true)
}

// scanTail counts (and with clearIt clears) the non-zero bytes from pos, stopping after
// maxZeroRun consecutive zero bytes.
func (mf *mappedFile) scanTail(pos int64, maxZeroRun int64, clearIt bool) int64 {
	var cleared, zeroRun int64
	const chunk = 64 << 10
	for p := pos; p < mf.size && zeroRun < maxZeroRun; p += chunk {
		end := min(p+chunk, mf.size)
		b := mf.data[p:end]
		nz := int64(0)
		for _, c := range b {
			if c != 0 {
				nz++
			}
		}
		if nz == 0 {
			zeroRun += end - p
			continue
		}
		zeroRun = 0
		if clearIt {
			clear(b)
		}
		cleared += nz
	}
	return cleared
}

// syncFrom makes the file durable from pos to its end. Recovery calls it after clearing a
// stale tail: a clear left in the page cache is undone by a power cut, and the stale bytes
// would then sit under, or right after, what is written there next.
func (mf *mappedFile) syncFrom(pos int64) error { return mf.syncRange(pos, mf.size) }

// syncRange makes bytes [from, to) of the file durable.
func (mf *mappedFile) syncRange(from, to int64) error {
	from &^= pageSize - 1
	if err := unix.Msync(mf.data[from:to], unix.MS_SYNC); err != nil {
		return fmt.Errorf("msync %s: %w", filepath.Base(mf.path), err)
	}
	noteDurable(mf.path, from, mf.data[from:to], mf.size)
	return nil
}

// syncRemoved makes the removal of files from dir durable (fsync of the directory).
func syncRemoved(dir string, paths []string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	for _, p := range paths {
		noteDurable(p, 0, nil, -1)
	}
	return nil
}

func unixMsync(b []byte) error { return unix.Msync(b, unix.MS_SYNC) }
