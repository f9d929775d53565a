package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// mappedFileQueue is a directory of equal-size mapped files named by their start offset.
// The file list is an immutable slice swapped atomically, so readers never lock; mu
// serialises changes (new file, delete, truncate).
type mappedFileQueue struct {
	dir      string
	fileSize int64
	prealloc bool
	alloc    *allocator // nil: create files synchronously

	mu    sync.Mutex
	files atomic.Pointer[[]*mappedFile]

	resized []string // files load found shorter than fileSize
}

func newMappedFileQueue(dir string, fileSize int64, prealloc bool, alloc *allocator) *mappedFileQueue {
	q := &mappedFileQueue{dir: dir, fileSize: fileSize, prealloc: prealloc, alloc: alloc}
	q.files.Store(new([]*mappedFile))
	return q
}

// load maps the files already in dir. Files shorter than fileSize are extended (and listed
// in resized); longer ones are an error.
func (q *mappedFileQueue) load() error {
	if err := os.MkdirAll(q.dir, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(q.dir)
	if err != nil {
		return err
	}
	var starts []int64
	for _, e := range ents {
		if e.IsDir() || len(e.Name()) != 20 {
			continue
		}
		n, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil {
			continue
		}
		starts = append(starts, n)
	}
	slices.Sort(starts)
	var files []*mappedFile
	for _, s := range starts {
		p := filepath.Join(q.dir, fileName(s))
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if st.Size() > q.fileSize {
			return fmt.Errorf("%w: %s is %d bytes, want %d", ErrCorrupt, p, st.Size(), q.fileSize)
		}
		if st.Size() < q.fileSize {
			// Cut short (a crash during pre-allocation, or a damaged file): map it at full
			// size; recovery keeps whatever valid records it still holds.
			q.resized = append(q.resized, p)
		}
		if len(files) > 0 && s != files[len(files)-1].start+q.fileSize {
			return fmt.Errorf("%w: gap before %s", ErrCorrupt, p)
		}
		mf, err := openMappedFile(p, s, q.fileSize, false)
		if err != nil {
			return err
		}
		mf.wrote.Store(q.fileSize)
		mf.flushed.Store(q.fileSize)
		files = append(files, mf)
	}
	q.files.Store(&files)
	return nil
}

func (q *mappedFileQueue) list() []*mappedFile { return *q.files.Load() }

func (q *mappedFileQueue) last() *mappedFile {
	fs := q.list()
	if len(fs) == 0 {
		return nil
	}
	return fs[len(fs)-1]
}

func (q *mappedFileQueue) first() *mappedFile {
	fs := q.list()
	if len(fs) == 0 {
		return nil
	}
	return fs[0]
}

// minOffset is the start of the first file, maxOffset the end of written data.
func (q *mappedFileQueue) minOffset() int64 {
	if f := q.first(); f != nil {
		return f.start
	}
	return 0
}

func (q *mappedFileQueue) maxOffset() int64 {
	if f := q.last(); f != nil {
		return f.start + f.wrote.Load()
	}
	return 0
}

// newFile creates and appends the file starting at start (which must follow the last file,
// or be any multiple of fileSize when the queue is empty).
func (q *mappedFileQueue) newFile(start int64) (*mappedFile, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	old := q.list()
	if n := len(old); n > 0 && old[n-1].start+q.fileSize != start {
		return nil, fmt.Errorf("%w: new file %d does not follow %d", ErrCorrupt, start, old[n-1].start)
	}
	p := filepath.Join(q.dir, fileName(start))
	var mf *mappedFile
	var err error
	if q.alloc != nil {
		mf, err = q.alloc.take(p, start, q.fileSize)
	} else {
		if err = os.MkdirAll(q.dir, 0o755); err == nil {
			mf, err = openMappedFile(p, start, q.fileSize, q.prealloc)
		}
	}
	if err != nil {
		return nil, err
	}
	files := append(slices.Clip(old), mf)
	q.files.Store(&files)
	if q.alloc != nil {
		q.alloc.prepare(filepath.Join(q.dir, fileName(start+q.fileSize)), start+q.fileSize, q.fileSize)
	}
	return mf, nil
}

// find returns the held file containing offset, or nil.
func (q *mappedFileQueue) find(offset int64) *mappedFile {
	fs := q.list()
	if len(fs) == 0 || offset < fs[0].start {
		return nil
	}
	i := (offset - fs[0].start) / q.fileSize
	if i >= int64(len(fs)) {
		return nil
	}
	mf := fs[i]
	if !mf.hold() {
		return nil
	}
	return mf
}

// truncate drops everything at and after offset: later files are deleted and the file holding
// offset is cut there (its tail is zeroed). Both are made durable before it returns. It
// returns the number of bytes dropped from files that were deleted plus the non-zero bytes
// cleared.
func (q *mappedFileQueue) truncate(offset int64, maxZeroRun int64) (int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var dropped int64
	var err error
	var removed []string
	old := q.list()
	keep := old[:0:0]
	for _, mf := range old {
		switch {
		case mf.start+mf.size <= offset:
			keep = append(keep, mf)
		case mf.start <= offset:
			pos := offset - mf.start
			if n := mf.zeroTail(pos, maxZeroRun); n > 0 {
				dropped += n
				if e := mf.syncFrom(pos); e != nil && err == nil {
					err = e
				}
			}
			mf.wrote.Store(pos)
			mf.flushed.Store(min(mf.flushed.Load(), pos))
			keep = append(keep, mf)
		default:
			dropped += mf.scanTail(0, maxZeroRun, false)
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
	return dropped, err
}

// deleteFirst removes the first n files.
func (q *mappedFileQueue) deleteFirst(n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	old := q.list()
	n = min(n, len(old))
	for _, mf := range old[:n] {
		mf.destroy()
	}
	rest := slices.Clone(old[n:])
	q.files.Store(&rest)
}

// destroyAll deletes every file (each once its last reader is done).
func (q *mappedFileQueue) destroyAll() {
	q.deleteFirst(len(q.list()))
}

// flush syncs files from the one holding from up to the last written byte.
func (q *mappedFileQueue) flush(upTo int64) error {
	for _, mf := range q.list() {
		if mf.flushed.Load() >= min(mf.wrote.Load(), upTo-mf.start) {
			continue
		}
		if !mf.hold() {
			continue
		}
		_, err := mf.flush(upTo - mf.start)
		mf.release()
		if err != nil {
			return err
		}
	}
	return nil
}

func (q *mappedFileQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, mf := range q.list() {
		mf.close()
	}
	q.files.Store(new([]*mappedFile))
}

// allocator prepares the next CommitLog segment in the background so that rolling to a new
// segment inside the append lock is a hand-over, not a file creation.
type allocator struct {
	prealloc bool
	reqs     chan allocReq
	quit     chan struct{}
	wg       sync.WaitGroup

	mu      sync.Mutex
	pending map[string]chan allocResult
}

type allocReq struct {
	path        string
	start, size int64
	res         chan allocResult
}

type allocResult struct {
	mf  *mappedFile
	err error
}

func newAllocator(prealloc bool) *allocator {
	a := &allocator{prealloc: prealloc, reqs: make(chan allocReq, 4), quit: make(chan struct{}),
		pending: make(map[string]chan allocResult)}
	a.wg.Go(a.loop)
	return a
}

func (a *allocator) loop() {
	for {
		select {
		case <-a.quit:
			return
		case r := <-a.reqs:
			mf, err := openMappedFile(r.path, r.start, r.size, a.prealloc)
			r.res <- allocResult{mf, err}
		}
	}
}

// prepare asks for path to be created ahead of need.
func (a *allocator) prepare(path string, start, size int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.pending[path]; ok {
		return
	}
	res := make(chan allocResult, 1)
	select {
	case a.reqs <- allocReq{path, start, size, res}:
		a.pending[path] = res
	default:
	}
}

// take returns the prepared file for path, or creates it now.
func (a *allocator) take(path string, start, size int64) (*mappedFile, error) {
	a.mu.Lock()
	res, ok := a.pending[path]
	delete(a.pending, path)
	a.mu.Unlock()
	if ok {
		select {
		case r := <-res:
			return r.mf, r.err
		case <-a.quit:
		}
	}
	return openMappedFile(path, start, size, a.prealloc)
}

// close stops the loop and deletes prepared files nobody took.
func (a *allocator) close() {
	close(a.quit)
	a.wg.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, res := range a.pending {
		select {
		case r := <-res:
			if r.mf != nil {
				r.mf.destroy()
			}
		default:
		}
		delete(a.pending, p)
	}
}
