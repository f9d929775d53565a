package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/message"
)

const (
	indexHeaderSize = 40
	indexSlotSize   = 4
	indexEntrySize  = 20
)

// indexHeader is the 40-byte header of an IndexFile.
type indexHeader struct {
	beginTs, endTs     int64
	beginPhy, endPhy   int64
	slotCount, entries int32 // entries = indexCount, starts at 1
}

// indexFile is one hash index file (Java's IndexFile): header, slot table, linked entries.
type indexFile struct {
	mf       *mappedFile
	slots    int
	maxIndex int
	hdr      indexHeader
	done     atomic.Bool // synced after its last write: a newer file took over
}

func indexFileSize(slots, maxIndex int) int64 {
	return indexHeaderSize + int64(slots)*indexSlotSize + int64(maxIndex)*indexEntrySize
}

func (f *indexFile) readHeader() {
	b := f.mf.data
	be := binary.BigEndian
	f.hdr = indexHeader{int64(be.Uint64(b)), int64(be.Uint64(b[8:])), int64(be.Uint64(b[16:])),
		int64(be.Uint64(b[24:])), int32(be.Uint32(b[32:])), int32(be.Uint32(b[36:]))}
	if f.hdr.entries < 1 {
		f.hdr.entries = 1
	}
}

func (f *indexFile) writeHeader() {
	b := f.mf.data
	be := binary.BigEndian
	be.PutUint64(b, uint64(f.hdr.beginTs))
	be.PutUint64(b[8:], uint64(f.hdr.endTs))
	be.PutUint64(b[16:], uint64(f.hdr.beginPhy))
	be.PutUint64(b[24:], uint64(f.hdr.endPhy))
	be.PutUint32(b[32:], uint32(f.hdr.slotCount))
	be.PutUint32(b[36:], uint32(f.hdr.entries))
}

func (f *indexFile) full() bool { return int(f.hdr.entries) >= f.maxIndex }

// indexKeyHash is |String.hashCode(topic + "#" + key)| (0 when still negative).
func indexKeyHash(topic, key []byte) int32 {
	h := message.JavaHash(message.JavaHash(message.JavaHash(0, topic), []byte{'#'}), key)
	if h < 0 {
		h = -h
	}
	if h < 0 {
		h = 0
	}
	return h
}

// put adds an entry; the caller checked !full().
//
// The entry is written first, then the slot, then the header with the new count; the
// header's endPhy is left to the caller (putRecord), which sets it once every key of the
// record is in, so a crash between two keys makes re-dispatch index the record again.
func (f *indexFile) put(hash int32, phys, storeTs int64) {
	be := binary.BigEndian
	slotPos := indexHeaderSize + int64(int(hash)%f.slots)*indexSlotSize
	d := f.mf.data
	prev := f.slotHead(slotPos)
	if f.hdr.entries <= 1 {
		f.hdr.beginTs, f.hdr.beginPhy = storeTs, phys
	}
	diff := (storeTs - f.hdr.beginTs) / 1000
	diff = max(0, min(diff, math.MaxInt32))
	n := f.hdr.entries
	p := indexHeaderSize + int64(f.slots)*indexSlotSize + int64(n)*indexEntrySize
	be.PutUint32(d[p:], uint32(hash))
	be.PutUint64(d[p+4:], uint64(phys))
	be.PutUint32(d[p+12:], uint32(diff))
	be.PutUint32(d[p+16:], uint32(prev))
	be.PutUint32(d[slotPos:], uint32(n))
	if prev == 0 {
		f.hdr.slotCount++
	}
	f.hdr.entries++
	f.hdr.endTs = storeTs
	f.writeHeader()
}

// slotHead returns the newest entry of the slot at slotPos, 0 for none. A slot pointing at
// the entry just past the header's count was updated by a put that a crash (or a kill) cut
// short before the header: that entry was written before the slot, so its prev field is the
// slot's previous head. Taking the slot at face value would cut the chain there, or make the
// re-dispatched entry point at itself.
func (f *indexFile) slotHead(slotPos int64) int32 {
	be := binary.BigEndian
	d := f.mf.data
	n := int32(be.Uint32(d[slotPos:]))
	if n == f.hdr.entries && int(n) < f.maxIndex {
		n = int32(be.Uint32(d[indexHeaderSize+int64(f.slots)*indexSlotSize+int64(n)*indexEntrySize+16:]))
	}
	if n <= 0 || n >= f.hdr.entries {
		return 0
	}
	return n
}

// query appends to out the physical offsets of entries with hash stored within [begin, end],
// newest first, up to maxNum in total.
func (f *indexFile) query(hash int32, begin, end int64, maxNum int, out []int64) []int64 {
	be := binary.BigEndian
	d := f.mf.data
	n := f.slotHead(indexHeaderSize + int64(int(hash)%f.slots)*indexSlotSize)
	for steps := 0; n > 0 && n < f.hdr.entries && len(out) < maxNum && steps < f.maxIndex; steps++ {
		p := indexHeaderSize + int64(f.slots)*indexSlotSize + int64(n)*indexEntrySize
		h := int32(be.Uint32(d[p:]))
		phys := int64(be.Uint64(d[p+4:]))
		ts := f.hdr.beginTs + int64(int32(be.Uint32(d[p+12:])))*1000
		prev := int32(be.Uint32(d[p+16:]))
		if ts < begin {
			break
		}
		if h == hash && ts <= end {
			out = append(out, phys)
		}
		if prev >= n {
			break // chains only point backwards
		}
		n = prev
	}
	return out
}

// indexService owns the IndexFiles, newest last.
type indexService struct {
	dir      string
	slots    int
	maxIndex int

	mu    sync.RWMutex
	files []*indexFile
}

func newIndexService(dir string, slots, maxIndex int) *indexService {
	return &indexService{dir: dir, slots: slots, maxIndex: maxIndex}
}

// load maps existing files. Files whose first entry is at or past clEnd are deleted; the
// others keep entries past clEnd (queries re-check every hit against the CommitLog) but their
// endPhy is clamped so re-dispatch re-indexes the recovered records. It returns the number of
// files deleted.
func (s *indexService) load(clEnd int64) (_ int, retErr error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return 0, err
	}
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, err
	}
	size := indexFileSize(s.slots, s.maxIndex)
	var names []string
	for _, e := range ents {
		if !e.IsDir() && len(e.Name()) == 17 {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	dropped := 0
	var removed []string
	defer func() {
		// A removal a power cut undid would bring back entries for offsets reused since.
		if len(removed) > 0 {
			if err := syncRemoved(s.dir, removed); err != nil && retErr == nil {
				retErr = err
			}
		}
	}()
	for _, n := range names {
		p := filepath.Join(s.dir, n)
		if st, err := os.Stat(p); err != nil || st.Size() != size {
			_ = os.Remove(p)
			removed = append(removed, p)
			dropped++
			continue
		}
		mf, err := openMappedFile(p, 0, size, false)
		if err != nil {
			return dropped, err
		}
		f := &indexFile{mf: mf, slots: s.slots, maxIndex: s.maxIndex}
		f.readHeader()
		if f.hdr.entries > 1 && f.hdr.beginPhy >= clEnd {
			removed = append(removed, p)
			mf.destroy()
			dropped++
			continue
		}
		if f.hdr.endPhy >= clEnd {
			// Durably: a power cut that undid the clamp would leave an endPhy above records
			// written after the restart, and recovery would then skip indexing them.
			f.hdr.endPhy = clEnd - 1
			f.writeHeader()
			if err := mf.syncRange(0, indexHeaderSize); err != nil {
				mf.close()
				return dropped, err
			}
		}
		s.files = append(s.files, f)
	}
	return dropped, nil
}

// endPhy is the CommitLog offset up to which records are indexed.
func (s *indexService) endPhyLocked() int64 {
	if len(s.files) == 0 {
		return -1
	}
	f := s.files[len(s.files)-1]
	if f.hdr.entries <= 1 {
		if len(s.files) > 1 {
			return s.files[len(s.files)-2].hdr.endPhy
		}
		return -1
	}
	return f.hdr.endPhy
}

func (s *indexService) newFileLocked(now time.Time) (*indexFile, error) {
	name := now.Format("20060102150405.000")
	name = name[:14] + name[15:]
	if n := len(s.files); n > 0 && filepath.Base(s.files[n-1].mf.path) >= name {
		// Same millisecond (or clock went back): keep names increasing.
		t, _ := time.ParseInLocation("20060102150405.000", filepath.Base(s.files[n-1].mf.path)[:14]+"."+filepath.Base(s.files[n-1].mf.path)[14:], time.Local)
		return s.newFileLocked(t.Add(time.Millisecond))
	}
	mf, err := openMappedFile(filepath.Join(s.dir, name), 0, indexFileSize(s.slots, s.maxIndex), false)
	if err != nil {
		return nil, err
	}
	f := &indexFile{mf: mf, slots: s.slots, maxIndex: s.maxIndex}
	f.hdr.entries = 1
	f.writeHeader()
	s.files = append(s.files, f)
	return f, nil
}

// putRecord indexes UNIQ_KEY and every KEYS item of rec (skipping records already indexed).
func (s *indexService) putRecord(rec message.Stored) error {
	phys := rec.PhysicalOffset()
	if message.TransactionType(rec.SysFlag()) == message.TransactionRollbackType {
		return nil
	}
	props := rec.Properties()
	uniq, hasUniq := message.PropertyValue(props, message.PropertyUniqClientMessageIDKeyIndex)
	keys, hasKeys := message.PropertyValue(props, message.PropertyKeys)
	if !hasUniq && !hasKeys {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if phys <= s.endPhyLocked() {
		return nil
	}
	topic, ts := rec.Topic(), rec.StoreTimestamp()
	var err error
	var touched [2]*indexFile // the files this record's keys went to: one, two across a roll
	var more []*indexFile     // (more only for a record with more keys than a file holds)
	put := func(key []byte) {
		if err != nil {
			return
		}
		var f *indexFile
		if n := len(s.files); n > 0 && !s.files[n-1].full() {
			f = s.files[n-1]
		} else if f, err = s.newFileLocked(time.Now()); err != nil {
			return
		}
		f.put(indexKeyHash(topic, key), phys, ts)
		switch {
		case touched[0] == nil || touched[0] == f:
			touched[0] = f
		case touched[1] == nil || touched[1] == f:
			touched[1] = f
		case !slices.Contains(more, f):
			more = append(more, f)
		}
	}
	if hasUniq && len(uniq) > 0 {
		put(uniq)
	}
	if hasKeys {
		message.SplitKeys(keys, put)
	}
	// Only now is the record indexed: a crash before this leaves endPhy below it.
	for _, f := range append(touched[:], more...) {
		if f != nil {
			f.hdr.endPhy = phys
			f.writeHeader()
		}
	}
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return nil
}

// query returns candidate physical offsets for topic#key stored within [begin, end] ms,
// newest first, at most maxNum, and the newest file's end time and offset.
func (s *indexService) query(topic, key string, begin, end int64, maxNum int) (offs []int64, lastTs, lastPhy int64) {
	hash := indexKeyHash([]byte(topic), []byte(key))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := len(s.files) - 1; i >= 0 && len(offs) < maxNum; i-- {
		f := s.files[i]
		if i == len(s.files)-1 {
			lastTs, lastPhy = f.hdr.endTs, f.hdr.endPhy
		}
		if f.hdr.entries <= 1 || f.hdr.endTs < begin || f.hdr.beginTs > end {
			continue
		}
		offs = f.query(hash, begin, end, maxNum, offs)
	}
	return offs, lastTs, lastPhy
}

func (s *indexService) flush() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	// Every file written since its last sync, not only the newest: a file that filled up
	// between two flushes holds entries the checkpoint is about to count as indexed.
	for i, f := range s.files {
		if f.done.Load() {
			continue
		}
		var snap []byte
		if durableHook.Load() != nil {
			snap = append([]byte(nil), f.mf.data...) // what msync is sure to write
		}
		if err := unixMsync(f.mf.data); err != nil {
			return err
		}
		if snap != nil {
			noteDurable(f.mf.path, 0, snap, f.mf.size)
		}
		if i < len(s.files)-1 {
			f.done.Store(true) // only the newest file is written to
		}
	}
	return nil
}

// deleteBelow removes files (never the newest) whose entries all point below clMin.
func (s *indexService) deleteBelow(clMin int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for n < len(s.files)-1 && s.files[n].hdr.endPhy < clMin {
		s.files[n].mf.destroy()
		n++
	}
	s.files = slices.Delete(s.files, 0, n)
	return n
}

func (s *indexService) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.files {
		f.mf.close()
	}
	s.files = nil
}
