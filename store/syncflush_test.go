package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/mq-project/mq/message"
)

// unwrittenExtents reports how many bytes of [off, off+n) of path are in extents the
// filesystem marks unwritten (fallocated, never written). It skips the test where FIEMAP or
// unwritten extents are not available.
func unwrittenExtents(t *testing.T, path string, off, n int64) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const (
		fsIocFiemap      = 0xC020660B
		fiemapFlagSync   = 0x1
		extentUnwritten  = 0x800
		headerLen        = 32
		extentLen        = 56
		maxExtentsPerAsk = 64
	)
	buf := make([]byte, headerLen+extentLen*maxExtentsPerAsk)
	le := binary.LittleEndian // FIEMAP is host-endian; the supported targets are little-endian
	le.PutUint64(buf[0:], uint64(off))
	le.PutUint64(buf[8:], uint64(n))
	le.PutUint32(buf[16:], fiemapFlagSync)
	le.PutUint32(buf[24:], maxExtentsPerAsk)
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), fsIocFiemap, uintptr(unsafe.Pointer(&buf[0]))); e != 0 {
		t.Skipf("FIEMAP not supported here: %v", e)
	}
	var unwritten int64
	for i := range int(le.Uint32(buf[20:])) {
		e := buf[headerLen+i*extentLen:]
		lo, length, flags := int64(le.Uint64(e[0:])), int64(le.Uint64(e[16:])), le.Uint32(e[40:])
		if flags&extentUnwritten != 0 {
			unwritten += min(lo+length, off+n) - max(lo, off)
		}
	}
	return unwritten
}

// TestZeroFillAhead: under SYNC_FLUSH the space ahead of the append position is written with
// zeros (not left as fallocated, unwritten extents, whose first write costs every fsync a
// journal commit); under ASYNC_FLUSH nothing is zeroed.
func TestZeroFillAhead(t *testing.T) {
	cfg := testConfig(t, SyncFlush)
	cfg.MappedFileSizeCommitLog = 32 << 20
	s := mustOpen(t, cfg)
	defer s.Close()
	seg := s.cl.mfq.last()
	if seg == nil {
		if _, err := s.Append(context.Background(), newMsg("Z", 0, "first", nil)); err != nil {
			t.Fatal(err)
		}
		seg = s.cl.mfq.last()
	}
	if u := unwrittenExtents(t, seg.path, zeroAhead, 1<<20); u == 0 {
		t.Skip("this filesystem does not report unwritten extents for fallocated space")
	}
	for i := range 100 {
		if _, err := s.Append(context.Background(), newMsg("Z", 0, fmt.Sprint("body-", i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if to, want := s.zero.to.Load(), s.CommitLogMaxOffset()+zeroLow; to < want {
			return fmt.Errorf("zeroed up to %d, want at least %d", to, want)
		}
		return nil
	})
	end := s.CommitLogMaxOffset()
	if u := unwrittenExtents(t, seg.path, 0, end+zeroLow); u != 0 {
		t.Fatalf("%d bytes below %d are still unwritten extents", u, end+zeroLow)
	}
	// The records before the zeroed space are intact.
	for off := int64(0); off < end; {
		r, err := s.ReadAt(off)
		if err != nil {
			t.Fatalf("read %d: %v", off, err)
		}
		if !r.CheckCRC() {
			t.Fatalf("record at %d: bad CRC", off)
		}
		off += int64(r.TotalSize())
		r.Release()
	}

	acfg := testConfig(t, AsyncFlush)
	a := mustOpen(t, acfg)
	defer a.Close()
	if a.zero != nil {
		t.Fatal("ASYNC_FLUSH store runs a zero filler")
	}
}

// TestSyncFlushStage: SYNC_FLUSH appends are staged and written out by the group commit.
// Concurrent writers of mixed sizes, a batch larger than the stage, and segment rolls (blank
// fillers break the stage's contiguity) all land byte-identical; every acknowledged record is
// readable at once; after a clean reopen nothing is dropped.
func TestSyncFlushStage(t *testing.T) {
	cfg := testConfig(t, SyncFlush)
	cfg.MappedFileSizeCommitLog = 256 << 10
	cfg.MaxMessageSize = 64 << 10
	s := mustOpen(t, cfg)
	type acked struct {
		phys int64
		body []byte
	}
	var (
		mu       sync.Mutex
		all      []acked
		lastBody []byte // the batch's last message
	)
	body := func(w, i, size int) []byte {
		b := bytes.Repeat([]byte{byte('a' + w)}, size)
		copy(b, fmt.Sprintf("w%d-i%d-", w, i))
		return b
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 60 {
				m := newMsg("Stage", int32(w%4), "", nil)
				m.Body = body(w, i, 1+(w*7919+i*104729)%(40<<10))
				if _, err := s.Append(context.Background(), m); err != nil {
					t.Error(err)
					return
				}
				// Acknowledged means flushed, and flushed means readable.
				r, err := s.ReadAt(m.CommitLogOffset)
				if err != nil {
					t.Errorf("read back %d right after the ack: %v", m.CommitLogOffset, err)
					return
				}
				if !bytes.Equal(r.Body(), m.Body) {
					t.Errorf("record at %d differs", m.CommitLogOffset)
				}
				r.Release()
				mu.Lock()
				all = append(all, acked{m.CommitLogOffset, m.Body})
				mu.Unlock()
			}
		})
	}
	wg.Go(func() {
		var ms []*message.MessageExt
		for i := range 90 { // 90 × 50 KiB: more than maxStage, over ~18 segments
			m := newMsg("StageBatch", 0, "", nil)
			m.Body = body(9, i, 50<<10)
			ms = append(ms, m)
		}
		if _, err := s.AppendBatch(context.Background(), ms); err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		for _, m := range ms {
			all = append(all, acked{m.CommitLogOffset, m.Body})
		}
		lastBody = ms[len(ms)-1].Body
		mu.Unlock()
	})
	wg.Wait()
	if t.Failed() {
		s.Close()
		return
	}
	if got, want := len(all), 8*60+90; got != want {
		t.Fatalf("%d appends acknowledged, want %d", got, want)
	}
	if s.FlushedOffset() != s.CommitLogMaxOffset() {
		t.Fatalf("flushed %d, max %d after every append returned", s.FlushedOffset(), s.CommitLogMaxOffset())
	}
	verify := func(s *Store) {
		t.Helper()
		for _, a := range all {
			r, err := s.ReadAt(a.phys)
			if err != nil {
				t.Fatalf("read %d: %v", a.phys, err)
			}
			if !bytes.Equal(r.Body(), a.body) || !r.CheckCRC() {
				t.Fatalf("record at %d differs", a.phys)
			}
			r.Release()
		}
		waitDispatched(t, s)
		if n := s.MaxOffset("StageBatch", 0); n != 90 {
			t.Fatalf("StageBatch queue has %d messages, want 90", n)
		}
		r, _ := s.GetMessages("StageBatch", 0, 89, 1, nil)
		if len(r.Messages) != 1 || !bytes.Equal(r.Messages[0].Body(), lastBody) {
			t.Fatalf("the batch's last message is not the last in its queue")
		}
		r.Release()
	}
	verify(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, cfg)
	defer s.Close()
	if rep := s.Recovery(); rep.Abnormal || rep.DroppedBytes != 0 {
		t.Fatalf("clean reopen: %+v", rep)
	}
	verify(s)
}

// TestSyncFlushWriteError: a failing write of the stage reaches the waiting writer as an
// error (it is not acknowledged) and the record stays staged rather than lost or reported
// flushed.
func TestSyncFlushWriteError(t *testing.T) {
	cfg := testConfig(t, SyncFlush)
	s := mustOpen(t, cfg)
	if _, err := s.Append(context.Background(), newMsg("E", 0, "ok", nil)); err != nil {
		t.Fatal(err)
	}
	flushed := s.FlushedOffset()
	seg := s.cl.mfq.last()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error { // the zero filler is done with it
		if to := s.zero.to.Load(); to < seg.start+seg.size {
			return fmt.Errorf("zeroed up to %d", to)
		}
		return nil
	})
	// Swap the segment's descriptor for a read-only one: pwrite then fails with EBADF.
	ro, err := os.Open(seg.path)
	if err != nil {
		t.Fatal(err)
	}
	s.cl.mu.Lock()
	rw := seg.f
	seg.f = ro
	s.cl.mu.Unlock()
	_, err = s.Append(context.Background(), newMsg("E", 0, "fails", nil))
	if err == nil || errors.Is(err, ErrFlushTimeout) {
		t.Fatalf("append with a failing write: %v, want the write error", err)
	}
	if s.FlushedOffset() != flushed {
		t.Fatalf("flushed offset moved from %d to %d past a failed write", flushed, s.FlushedOffset())
	}
	s.cl.mu.Lock()
	staged := len(s.cl.stage)
	seg.f = rw
	s.cl.mu.Unlock()
	ro.Close()
	if staged == 0 {
		t.Fatal("the record that failed to be written is no longer staged")
	}
	// With the file writable again the next flush writes it.
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if s.FlushedOffset() != s.CommitLogMaxOffset() {
		t.Fatalf("flushed %d, max %d", s.FlushedOffset(), s.CommitLogMaxOffset())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// storedRecord encodes m as the CommitLog would store it at phys.
func storedRecord(t *testing.T, m *message.MessageExt, phys int64) message.Stored {
	t.Helper()
	m.CommitLogOffset = phys
	m.StoreTimestamp = time.Now().UnixMilli()
	m.BodyCRC = message.BodyCRC(m.Body)
	size, err := message.StoredLen(m, message.PropertiesLen(m.Properties))
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, size)
	message.PutStored(b, m, nil, size)
	rec, err := message.ParseStored(b)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestIndexTornPut: a kill in the middle of indexing a record (the entry and its slot
// written, the header not; or one key of two in) must not lose older entries of the slot nor
// the record itself once re-dispatch indexes it again. The first case used to leave the
// re-indexed entry pointing at itself, hiding every older key in its slot.
func TestIndexTornPut(t *testing.T) {
	s := newIndexService(t.TempDir(), 1, 100) // one slot: every key shares the chain
	if _, err := s.load(0); err != nil {
		t.Fatal(err)
	}
	defer s.close()
	rec := func(i int, keys string) message.Stored {
		return storedRecord(t, newMsg("T", 0, fmt.Sprint("b", i), map[string]string{"KEYS": keys}), int64(i)*1000)
	}
	find := func(key string) []int64 {
		offs, _, _ := s.query("T", key, 0, time.Now().UnixMilli()+1000, 16)
		return offs
	}
	for i := range 5 {
		if err := s.putRecord(rec(i, fmt.Sprint("k", i))); err != nil {
			t.Fatal(err)
		}
	}
	f := s.files[0]
	// Kill after entry and slot, before the header: put, then restore the old header.
	saved := append([]byte(nil), f.mf.data[:indexHeaderSize]...)
	torn := rec(5, "k5")
	if err := s.putRecord(torn); err != nil {
		t.Fatal(err)
	}
	copy(f.mf.data, saved)
	f.readHeader()
	if err := s.putRecord(torn); err != nil { // re-dispatch after the restart
		t.Fatal(err)
	}
	for i := range 6 {
		if got := find(fmt.Sprint("k", i)); len(got) != 1 || got[0] != int64(i)*1000 {
			t.Fatalf("after a torn put, k%d finds %v", i, got)
		}
	}
	// Kill between the two keys of one record: the first key is in (and counted), endPhy is
	// not moved, so re-dispatch indexes the record again; both keys are then found.
	two := rec(6, "a b")
	f.put(indexKeyHash([]byte("T"), []byte("a")), two.PhysicalOffset(), two.StoreTimestamp())
	if err := s.putRecord(two); err != nil {
		t.Fatal(err)
	}
	if got := find("b"); len(got) != 1 || got[0] != 6000 {
		t.Fatalf("second key of a record cut short: %v", got)
	}
	if got := find("a"); len(got) == 0 || got[0] != 6000 {
		t.Fatalf("first key of a record cut short: %v", got)
	}
}

// TestAppendNoWait: the split append a broker uses to wait for the group commit off its
// request worker. WaitFlushed returns once the records are on disk; RequestFlush gets records
// nobody waits for flushed and dispatched anyway; res.End is the end of the last record.
func TestAppendNoWait(t *testing.T) {
	forEachFlush(t, func(t *testing.T, flush FlushDiskType) {
		s := mustOpen(t, testConfig(t, flush))
		defer s.Close()
		res, err := s.AppendNoWait(newMsg("N", 0, "one", nil))
		if err != nil {
			t.Fatal(err)
		}
		if res.End != s.CommitLogMaxOffset() || res.End <= res.PhysicalOffset {
			t.Fatalf("End %d, max offset %d, physical offset %d", res.End, s.CommitLogMaxOffset(), res.PhysicalOffset)
		}
		if err := s.WaitFlushed(t.Context(), res); err != nil {
			t.Fatal(err)
		}
		if flush == SyncFlush && s.FlushedOffset() < res.End {
			t.Fatalf("WaitFlushed returned with %d flushed, record ends at %d", s.FlushedOffset(), res.End)
		}
		var ms []*message.MessageExt
		for i := range 3 {
			ms = append(ms, newMsg("N", 1, fmt.Sprint("batch-", i), nil))
		}
		bres, err := s.AppendBatchNoWait(ms)
		if err != nil || bres.MsgNum != 3 || bres.End != s.CommitLogMaxOffset() {
			t.Fatalf("batch: %+v %v (max offset %d)", bres, err, s.CommitLogMaxOffset())
		}
		// Nobody waits for the batch: RequestFlush must get it to disk and to the queues.
		s.RequestFlush()
		checkFor(t, 5*time.Second, time.Millisecond, func() error {
			if n := s.MaxOffset("N", 1); n != 3 {
				return fmt.Errorf("queue N-1 has %d messages", n)
			}
			if flush == SyncFlush && s.FlushedOffset() < bres.End {
				return fmt.Errorf("flushed %d < %d", s.FlushedOffset(), bres.End)
			}
			return nil
		})
		if s.SyncFlush() != (flush == SyncFlush) {
			t.Fatalf("SyncFlush() = %v under %v", s.SyncFlush(), flush)
		}
	})
}

// residentPages counts the pages of b that are in the page cache (mincore).
func residentPages(t *testing.T, b []byte) int {
	t.Helper()
	vec := make([]byte, (len(b)+pageSize-1)/pageSize)
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Skipf("mincore: %v", e)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// TestWarmAhead: under ASYNC_FLUSH the pages ahead of the append position are faulted in
// by the warmer, so appends do not take the page faults inside the append lock.
func TestWarmAhead(t *testing.T) {
	cfg := testConfig(t, AsyncFlush)
	cfg.MappedFileSizeCommitLog = 32 << 20
	s := mustOpen(t, cfg)
	defer s.Close()
	if _, err := s.Append(context.Background(), newMsg("W", 0, "first", nil)); err != nil {
		t.Fatal(err)
	}
	seg := s.cl.mfq.last()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if s.warm.off.Load() {
			t.Skip("MADV_POPULATE_WRITE is not supported by this kernel")
		}
		end := s.CommitLogMaxOffset()
		if to := s.warm.to.Load(); to < end+warmLow {
			return fmt.Errorf("faulted in up to %d, want at least %d", to, end+warmLow)
		}
		ahead := seg.data[end&^(pageSize-1) : end+warmLow]
		if n, want := residentPages(t, ahead), len(ahead)/pageSize; n < want {
			return fmt.Errorf("%d of the %d pages ahead of the writer are resident", n, want)
		}
		return nil
	})
	// Well past the warmed part nothing was touched.
	if n := residentPages(t, seg.data[24<<20:]); n != 0 {
		t.Fatalf("%d pages faulted in far ahead of the writer", n)
	}
	var sy *Store
	sy = mustOpen(t, testConfig(t, SyncFlush))
	defer sy.Close()
	if sy.warm != nil {
		t.Fatal("a SYNC_FLUSH store runs the warmer (it has the zero filler)")
	}
}

// TestDeleteTopic: deleting a topic removes its ConsumeQueue files and queue offsets; sent to
// again it starts at queue offset 0 without the old messages, also after a restart (normal
// or after a crash), while other topics are untouched.
func TestDeleteTopic(t *testing.T) {
	forEachFlush(t, func(t *testing.T, flush FlushDiskType) {
		cfg := testConfig(t, flush)
		s := mustOpen(t, cfg)
		for i := range 30 {
			for _, topic := range []string{"Gone", "Kept"} {
				if _, err := s.Append(context.Background(), newMsg(topic, int32(i%2), fmt.Sprint("old-", i), nil)); err != nil {
					t.Fatal(err)
				}
			}
		}
		n, err := s.DeleteTopic("Gone")
		if err != nil || n != 2 {
			t.Fatalf("DeleteTopic: %d queues, %v", n, err)
		}
		if _, err := os.Stat(filepath.Join(cfg.consumeQueueDir(), "Gone")); !os.IsNotExist(err) {
			t.Fatalf("ConsumeQueue directory of the deleted topic: %v", err)
		}
		if got := s.MaxOffset("Gone", 0); got != 0 {
			t.Fatalf("deleted topic max offset %d", got)
		}
		m := newMsg("Gone", 0, "new", nil)
		if _, err := s.Append(context.Background(), m); err != nil || m.QueueOffset != 0 {
			t.Fatalf("first message of the re-created topic: queue offset %d, %v", m.QueueOffset, err)
		}
		check := func(s *Store) {
			t.Helper()
			waitDispatched(t, s)
			wantQueue(t, s, "Gone", 0, 0, "new")
			if got := s.MaxOffset("Kept", 0) + s.MaxOffset("Kept", 1); got != 30 {
				t.Fatalf("the other topic has %d messages, want 30", got)
			}
		}
		check(s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = mustOpen(t, cfg)
		check(s)
		// A crash (no clean close) re-dispatches from the checkpoint: still not the old ones.
		s.closed.Store(true)
		s.flusher.close()
		s.disp.close()
		close(s.quit)
		s.wg.Wait()
		s.closeFiles()
		_ = unix.Flock(int(s.lockFile.Fd()), unix.LOCK_UN)
		s.lockFile.Close()
		s = mustOpen(t, cfg)
		defer s.Close()
		if !s.Recovery().Abnormal {
			t.Fatal("expected an abnormal recovery")
		}
		check(s)
	})
}

// TestDiskFull: above diskSpaceWarningLevelRatio appends of every kind are refused with
// ErrDiskFull and store nothing; once usage drops they are accepted again.
func TestDiskFull(t *testing.T) {
	forEachFlush(t, func(t *testing.T, flush FlushDiskType) {
		cfg := testConfig(t, flush)
		var usage atomic.Uint64 // percent
		usage.Store(50)
		cfg.diskUsage = func(string) float64 { return float64(usage.Load()) / 100 }
		s := mustOpen(t, cfg)
		defer s.Close()
		if _, err := s.Append(context.Background(), newMsg("D", 0, "ok", nil)); err != nil {
			t.Fatal(err)
		}
		end := s.CommitLogMaxOffset()
		usage.Store(95)
		s.checkDisk() // the clean loop does this every cleanResourceInterval
		if _, err := s.Append(context.Background(), newMsg("D", 0, "refused", nil)); !errors.Is(err, ErrDiskFull) {
			t.Fatalf("Append on a full disk: %v", err)
		}
		if _, err := s.AppendBatch(context.Background(), []*message.MessageExt{newMsg("D", 0, "refused", nil)}); !errors.Is(err, ErrDiskFull) {
			t.Fatalf("AppendBatch on a full disk: %v", err)
		}
		if _, err := s.AppendNoWait(newMsg("D", 0, "refused", nil)); !errors.Is(err, ErrDiskFull) {
			t.Fatalf("AppendNoWait on a full disk: %v", err)
		}
		if err := s.AppendReplica(context.Background(), end, []byte("x")); !errors.Is(err, ErrDiskFull) {
			t.Fatalf("AppendReplica on a full disk: %v", err)
		}
		if s.CommitLogMaxOffset() != end {
			t.Fatalf("something was stored on a full disk: end %d -> %d", end, s.CommitLogMaxOffset())
		}
		usage.Store(80)
		s.DeleteExpired(time.Now(), false)
		if _, err := s.Append(context.Background(), newMsg("D", 0, "ok again", nil)); err != nil {
			t.Fatalf("Append after space came back: %v", err)
		}
	})
}

// TestDispatchFault: a fault writing a mapped ConsumeQueue (what a full disk does to a page
// first written through the mapping; here the file is cut short underneath) does not crash
// the process: the dispatcher reports it, retries, and catches up once the file can be
// written again.
func TestDispatchFault(t *testing.T) {
	cfg := testConfig(t, AsyncFlush)
	s := mustOpen(t, cfg)
	defer s.Close()
	if _, err := s.Append(context.Background(), newMsg("F", 0, "first", nil)); err != nil {
		t.Fatal(err)
	}
	waitDispatched(t, s)
	cq := s.lookupCQ("F", 0)
	path := cq.mfq.last().path
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := s.Append(context.Background(), newMsg("F", 0, fmt.Sprint("during-", i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond) // the dispatcher faults (and survives) meanwhile
	if s.DispatchLag() == 0 {
		t.Fatal("dispatched into a ConsumeQueue file that cannot be written")
	}
	if err := os.Truncate(path, cfg.MappedFileSizeConsumeQueue); err != nil {
		t.Fatal(err)
	}
	waitDispatched(t, s) // the retry (every second) gets through
	wantQueue(t, s, "F", 0, 1, "during-0", "during-1", "during-2", "during-3", "during-4")
}

// wantQueue checks that topic/qid holds exactly bodies from queue offset from to its end.
func wantQueue(t *testing.T, s *Store, topic string, qid int32, from int64, bodies ...string) {
	t.Helper()
	if got, want := s.MaxOffset(topic, qid), from+int64(len(bodies)); got != want {
		t.Fatalf("%s-%d: max offset %d, want %d", topic, qid, got, want)
	}
	r, _ := s.GetMessages(topic, qid, from, 32, nil)
	defer r.Release()
	if len(r.Messages) != len(bodies) {
		t.Fatalf("%s-%d: read %d messages from %d, want %d", topic, qid, len(r.Messages), from, len(bodies))
	}
	for i, m := range r.Messages {
		if string(m.Body()) != bodies[i] {
			t.Fatalf("%s-%d: message %d is %q, want %q", topic, qid, from+int64(i), m.Body(), bodies[i])
		}
	}
}
