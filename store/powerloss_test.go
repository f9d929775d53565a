package store

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
)

// shadowDisk receives every range the store makes durable (durableHook) and writes it into
// a copy of the store directory. The copy is what a power cut would leave: files never
// synced are absent (or hold zeros where nothing was synced), unsynced tails are lost.
type shadowDisk struct {
	src, dst string
	mu       sync.Mutex
	cut      bool // the power is off: nothing more reaches the disk
	err      error
	notes    int
}

func (d *shadowDisk) note(path string, off int64, b []byte, size int64) {
	rel, err := filepath.Rel(d.src, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return // another test's store
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cut || d.err != nil {
		return
	}
	d.notes++
	p := filepath.Join(d.dst, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		d.err = err
		return
	}
	if size < 0 { // a durable removal
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			d.err = err
		}
		return
	}
	if off == 0 && int64(len(b)) == size { // a whole file (atomic replace, checkpoint)
		d.err = os.WriteFile(p, b, 0o644)
		return
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		d.err = err
		return
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() != size {
		if err := f.Truncate(size); err != nil {
			d.err = err
			return
		}
	}
	if _, err := f.WriteAt(b, off); err != nil {
		d.err = err
	}
}

// powerCut stops the shadow disk; acknowledgements recorded before it are covered by it.
func (d *shadowDisk) powerCut() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cut = true
	return d.err
}

// copyTree copies the regular files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(filepath.Join(dst, rel))
		if err != nil {
			return err
		}
		_, err = io.Copy(out, in)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPowerLoss simulates power cuts below the page cache: the store runs with concurrent
// writers while durableHook mirrors every synced range into a shadow directory; at a random
// moment the power is cut (the shadow stops), and the next round opens the shadow, so every
// byte the store did not make durable is gone. Under SYNC_FLUSH every acknowledged message
// must come back byte-identical with its ConsumeQueue and index entries; under ASYNC_FLUSH
// every message below the flushed offset must, and the recovered log must be clean. The
// recovery itself runs with the hook on, so a later cut also tests what recovery wrote.
func TestPowerLoss(t *testing.T) {
	rounds := map[FlushDiskType]int{SyncFlush: 12, AsyncFlush: 6}
	if testing.Short() {
		rounds = map[FlushDiskType]int{SyncFlush: 4, AsyncFlush: 2}
	}
	for _, flush := range []FlushDiskType{SyncFlush, AsyncFlush} {
		t.Run("flush="+flush.String(), func(t *testing.T) { runPowerLossRounds(t, flush, rounds[flush]) })
	}
}

func runPowerLossRounds(t *testing.T, flush FlushDiskType, rounds int) {
	base := t.TempDir()
	rng := rand.New(rand.NewPCG(2, uint64(time.Now().UnixNano())))
	acked := map[int]ackRec{}
	next, total := 0, 0
	work := filepath.Join(base, "r0")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	for round := range rounds {
		disk := &shadowDisk{src: work, dst: filepath.Join(base, "r"+strconv.Itoa(round+1))}
		copyTree(t, work, disk.dst) // what is on disk when the store opens is durable
		hook := durableFunc(disk.note)
		durableHook.Store(&hook)
		s, err := Open(crashConfig(work, flush), nil)
		if err != nil {
			durableHook.Store(nil)
			t.Fatalf("round %d: open: %v", round, err)
		}
		var (
			stop  atomic.Bool
			wg    sync.WaitGroup
			mu    sync.Mutex
			fails []error
		)
		pending := map[int]ackRec{} // ASYNC_FLUSH: acknowledged, durable once flushed
		for range 4 {
			wg.Go(func() {
				for !stop.Load() {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					m := &message.MessageExt{Message: message.Message{Topic: "C", Body: crashBody(i),
						Properties: map[string]string{"KEYS": "K" + strconv.Itoa(i)}}, QueueID: int32(i % 3)}
					res, err := s.Append(context.Background(), m)
					disk.mu.Lock()
					cut := disk.cut
					disk.mu.Unlock()
					if cut {
						return // acknowledged after the cut: not the shadow's business
					}
					mu.Lock()
					if err != nil {
						fails = append(fails, err)
					} else if flush == SyncFlush {
						acked[i] = ackRec{res.PhysicalOffset, res.QueueOffset, m.QueueID}
					} else {
						pending[i] = ackRec{res.PhysicalOffset, res.QueueOffset, m.QueueID}
					}
					mu.Unlock()
				}
			})
		}
		time.Sleep(time.Duration(10+rng.IntN(150)) * time.Millisecond)
		// The flushed offset is stored after its range reached the hook, so everything
		// below the value read here is in the shadow once the power is cut.
		flushed := s.FlushedOffset()
		if err := disk.powerCut(); err != nil {
			t.Fatalf("round %d: shadow: %v", round, err)
		}
		stop.Store(true)
		wg.Wait()
		durableHook.Store(nil)
		_ = s.Close() // writes to the old directory only: the shadow is the disk now
		if len(fails) > 0 {
			t.Fatalf("round %d: append: %v", round, fails[0])
		}
		for i, a := range pending {
			if a.phys+int64(len(crashBody(i)))+message.StoredFixedLen+32 <= flushed {
				acked[i] = a
			}
		}
		total += len(pending)
		next += 10
		// Verify on a copy (verifyCrashStore appends); the next round starts from the cut image.
		check := filepath.Join(base, fmt.Sprintf("check%d", round))
		copyTree(t, disk.dst, check)
		verifyCrashStore(t, check, flush, acked, round)
		_ = os.RemoveAll(check)
		_ = os.RemoveAll(work)
		t.Logf("round %d: %d syncs mirrored, %d acknowledged messages verified", round, disk.notes, len(acked))
		work = disk.dst
	}
	if len(acked) == 0 {
		t.Fatal("no message was acknowledged before a cut")
	}
	if flush == AsyncFlush {
		t.Logf("%d rounds: %d of %d acknowledged messages were flushed before a cut and verified", rounds, len(acked), total)
	} else {
		t.Logf("%d rounds: %d acknowledged messages verified", rounds, len(acked))
	}
}

// TestPowerLossStaleCheckpoint: recovery cut the CommitLog below the checkpoint's dispatched
// offset (a tail that was dispatched but not on disk); the new records written after the
// restart then grew the log past that offset. A power cut before the next checkpoint used to
// leave the stale checkpoint on disk, and the following recovery started re-dispatching at
// that offset, inside a new record: Open failed ("re-dispatch stopped"), or, had it landed on a
// record boundary, the records below it had no ConsumeQueue entries.
func TestPowerLossStaleCheckpoint(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "a")
	cfg := crashConfig(dir, SyncFlush)
	cfg.FlushIntervalConsumeQueue = 3_600_000 // no checkpoint but the ones the test causes
	s, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	put := func(s *Store, body []byte) AppendResult {
		t.Helper()
		res, err := s.Append(context.Background(), &message.MessageExt{Message: message.Message{Topic: "C", Body: body}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	var cut int64
	for i := range 20 {
		res := put(s, make([]byte, 1000))
		if i == 10 {
			cut = res.PhysicalOffset
		}
	}
	waitDispatched(t, s)
	if err := s.Close(); err != nil { // the checkpoint now counts all 20 as dispatched
		t.Fatal(err)
	}
	// The tail from record 10 on never reached the disk.
	seg := filepath.Join(dir, "commitlog", fileName(0))
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	clear(b[cut:])
	if err := os.WriteFile(seg, b, 0o644); err != nil {
		t.Fatal(err)
	}

	disk := &shadowDisk{src: dir, dst: filepath.Join(base, "b")}
	copyTree(t, dir, disk.dst)
	hook := durableFunc(disk.note)
	durableHook.Store(&hook)
	defer durableHook.Store(nil)
	s, err = Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.CommitLogMaxOffset() != cut {
		t.Fatalf("recovered end %d, want %d", s.CommitLogMaxOffset(), cut)
	}
	var acked []AppendResult
	for range 200 { // small records: they end up on both sides of the stale dispatched offset
		acked = append(acked, put(s, []byte("after the restart")))
	}
	if err := disk.powerCut(); err != nil {
		t.Fatal(err)
	}
	durableHook.Store(nil)
	_ = s.Close()

	s, err = Open(crashConfig(disk.dst, SyncFlush), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, a := range acked {
		r, err := s.GetMessages("C", 0, a.QueueOffset, 1, nil)
		if err != nil || len(r.Messages) != 1 || r.Messages[0].PhysicalOffset() != a.PhysicalOffset {
			t.Fatalf("queue offset %d (phys %d) after the power cut: %v %v (queue 0..%d)",
				a.QueueOffset, a.PhysicalOffset, err, r.Status, s.MaxOffset("C", 0))
		}
		r.Release()
	}
}

// TestPowerLossIndexSyncedLessOften: the periodic checkpoint syncs the index only every
// indexSyncEvery rounds, so a checkpoint written between two index syncs must not count the
// records indexed since the last one as dispatched. A power cut after such a checkpoint
// loses the unsynced index pages; recovery must re-dispatch those records, and a query by key
// finds every message. Once the index is synced, the checkpoint's dispatched offset moves up.
func TestPowerLossIndexSyncedLessOften(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "a")
	cfg := crashConfig(dir, SyncFlush)
	cfg.FlushIntervalConsumeQueue = 3_600_000 // no checkpoint but the ones the test causes
	disk := &shadowDisk{src: dir, dst: filepath.Join(base, "b")}
	hook := durableFunc(disk.note)
	durableHook.Store(&hook)
	defer durableHook.Store(nil)
	s, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	for i := range n {
		m := &message.MessageExt{Message: message.Message{Topic: "K", Body: []byte("indexed"),
			Properties: map[string]string{message.PropertyKeys: fmt.Sprintf("key-%d", i)}}}
		if _, err := s.Append(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	waitDispatched(t, s)
	if err := s.checkpoint(false); err != nil { // a periodic round: the index is not synced
		t.Fatal(err)
	}
	cp, ok, err := readCheckpoint(cfg.checkpointPath())
	if err != nil || !ok {
		t.Fatalf("checkpoint: %v %v", ok, err)
	}
	if cp.dispatchedOffset != 0 {
		t.Fatalf("checkpoint counts %d bytes as dispatched before the index was synced", cp.dispatchedOffset)
	}
	if err := disk.powerCut(); err != nil {
		t.Fatal(err)
	}
	durableHook.Store(nil)
	for range indexSyncEvery - 1 { // the index is synced on the indexSyncEvery-th round
		if err := s.checkpoint(false); err != nil {
			t.Fatal(err)
		}
	}
	if cp, _, _ = readCheckpoint(cfg.checkpointPath()); cp.dispatchedOffset != s.CommitLogMaxOffset() {
		t.Fatalf("after an index sync the checkpoint's dispatched offset is %d, want %d", cp.dispatchedOffset, s.CommitLogMaxOffset())
	}
	_ = s.Close()

	s, err = Open(crashConfig(disk.dst, SyncFlush), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitDispatched(t, s)
	for i := range n {
		q, err := s.QueryByKey("K", fmt.Sprintf("key-%d", i), 4, 0, time.Now().UnixMilli()+1000)
		if err != nil || len(q.Messages) != 1 {
			t.Fatalf("key-%d after the power cut: %d messages, %v", i, len(q.Messages), err)
		}
		q.Release()
	}
}
