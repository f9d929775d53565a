package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mq-project/mq/message"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testConfig returns a small store config rooted in a temp dir.
func testConfig(t testing.TB, flush FlushDiskType) Config {
	cfg := DefaultConfig()
	cfg.StorePathRootDir = t.TempDir()
	cfg.MappedFileSizeCommitLog = 64 << 10
	cfg.MappedFileSizeConsumeQueue = 100 * ConsumeQueueEntrySize
	cfg.MaxMessageSize = 16 << 10
	cfg.MaxHashSlotNum = 101
	cfg.MaxIndexNum = 400
	cfg.FlushDiskType = flush
	cfg.FlushIntervalCommitLog = 10
	cfg.FlushIntervalConsumeQueue = 50
	cfg.StoreHost = netip.MustParseAddrPort("127.0.0.1:10911")
	return cfg
}

func mustOpen(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkFor polls fn until it returns nil or total passes.
func checkFor(t testing.TB, total, step time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(step)
	}
}

func newMsg(topic string, qid int32, body string, props map[string]string) *message.MessageExt {
	return &message.MessageExt{
		Message:       message.Message{Topic: topic, Body: []byte(body), Properties: props},
		QueueID:       qid,
		BornTimestamp: 1700000000000,
		BornHost:      netip.MustParseAddrPort("10.0.0.1:5000"),
	}
}

func waitDispatched(t testing.TB, s *Store) {
	t.Helper()
	waitDispatchedWithin(t, s, 5*time.Second)
}

// waitDispatchedWithin is waitDispatched for a backlog that creates many files (a ConsumeQueue
// file per queue), which takes seconds under the race detector on a loaded machine.
func waitDispatchedWithin(t testing.TB, s *Store, d time.Duration) {
	t.Helper()
	checkFor(t, d, time.Millisecond, func() error {
		if lag := s.DispatchLag(); lag != 0 {
			return fmt.Errorf("dispatch lag %d", lag)
		}
		return nil
	})
}

func forEachFlush(t *testing.T, fn func(t *testing.T, flush FlushDiskType)) {
	for _, f := range []FlushDiskType{AsyncFlush, SyncFlush} {
		t.Run("flush="+f.String(), func(t *testing.T) { fn(t, f) })
	}
}

func TestAppendGetQuery(t *testing.T) {
	forEachFlush(t, func(t *testing.T, flush FlushDiskType) {
		cfg := testConfig(t, flush)
		var notified [2]int64
		cfg.Listener = func(topic string, qid int32, max int64) {
			if topic == "T" {
				notified[qid] = max
			}
		}
		s := mustOpen(t, cfg)
		ctx := context.Background()
		const n = 300 // crosses several 64 KiB segments
		var phys []int64
		for i := range n {
			m := newMsg("T", int32(i%2), fmt.Sprintf("body-%d-%s", i, bytes.Repeat([]byte("x"), i)), map[string]string{
				"KEYS": fmt.Sprintf("k%d common", i), "TAGS": []string{"a", "b"}[i%3%2], "UNIQ_KEY": fmt.Sprintf("U%d", i)})
			res, err := s.Append(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			if res.QueueOffset != int64(i/2) || m.QueueOffset != res.QueueOffset || m.CommitLogOffset != res.PhysicalOffset {
				t.Fatalf("msg %d: %+v", i, res)
			}
			phys = append(phys, res.PhysicalOffset)
		}
		waitDispatched(t, s)
		if s.MaxOffset("T", 0) != n/2 || s.MaxOffset("T", 1) != n/2 || notified[0] != n/2 {
			t.Fatalf("max offsets %d %d notified %v", s.MaxOffset("T", 0), s.MaxOffset("T", 1), notified)
		}
		r, err := s.GetMessages("T", 1, 10, 5, nil)
		if err != nil || r.Status != Found || len(r.Messages) != 5 || r.NextBeginOffset != 15 {
			t.Fatalf("get: %v %+v", err, r)
		}
		for j, rec := range r.Messages {
			i := 2*(10+j) + 1
			if rec.QueueOffset() != int64(10+j) || !bytes.HasPrefix(rec.Body(), fmt.Appendf(nil, "body-%d-", i)) || !rec.CheckCRC() {
				t.Fatalf("rec %d: qoff %d body %q", j, rec.QueueOffset(), rec.Body()[:10])
			}
		}
		r.Release()
		tagB := message.TagsHash("b")
		r, _ = s.GetMessages("T", 0, 0, 1000, func(tag int64) bool { return tag == tagB })
		for _, rec := range r.Messages {
			if tg, _ := message.PropertyValue(rec.Properties(), "TAGS"); string(tg) != "b" {
				t.Fatalf("filter let %q through", tg)
			}
		}
		r.Release()
		q, _ := s.QueryByKey("T", "k77", 10, 0, time.Now().UnixMilli()+1000)
		if len(q.Messages) != 1 || q.Messages[0].PhysicalOffset() != phys[77] {
			t.Fatalf("query k77: %d", len(q.Messages))
		}
		q.Release()
		q, _ = s.QueryByKey("T", "common", 7, 0, time.Now().UnixMilli()+1000)
		if len(q.Messages) != 7 || q.Messages[0].PhysicalOffset() != phys[n-1] {
			t.Fatalf("query common: %d", len(q.Messages))
		}
		q.Release()
		q, _ = s.QueryByKey("T", "U5", 10, 0, time.Now().UnixMilli()+1000)
		if len(q.Messages) != 1 {
			t.Fatalf("query uniq: %d", len(q.Messages))
		}
		q.Release()
		rec, err := s.ReadAt(phys[100])
		if err != nil || rec.PhysicalOffset() != phys[100] {
			t.Fatalf("ReadAt: %v", err)
		}
		rec.Release()
		if _, err := s.ReadAt(phys[100] + 1); !errors.Is(err, ErrOffsetNotFound) {
			t.Fatalf("ReadAt mid-record: %v", err)
		}
		for _, tc := range []struct {
			off  int64
			want GetStatus
		}{{n / 2, OffsetOverflowOne}, {n, OffsetOverflowBadly}} {
			if r, _ := s.GetMessages("T", 0, tc.off, 1, nil); r.Status != tc.want {
				t.Fatalf("offset %d: %v", tc.off, r.Status)
			}
		}
		if r, _ := s.GetMessages("nope", 0, 0, 1, nil); r.Status != NoMessageInQueue {
			t.Fatalf("unknown queue: %v", r.Status)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		// Normal reopen: everything still there; appends continue with the next queue offsets.
		s = mustOpen(t, cfg)
		defer s.Close()
		if rep := s.Recovery(); rep.Abnormal || rep.DroppedBytes != 0 || rep.StopReason != "" {
			t.Fatalf("recovery %+v", rep)
		}
		res, err := s.Append(ctx, newMsg("T", 0, "after", nil))
		if err != nil || res.QueueOffset != n/2 {
			t.Fatalf("append after reopen: %+v %v", res, err)
		}
		waitDispatched(t, s)
		q, _ = s.QueryByKey("T", "k3", 10, 0, time.Now().UnixMilli()+1000)
		if len(q.Messages) != 1 {
			t.Fatalf("query after reopen: %d", len(q.Messages))
		}
		q.Release()
	})
}

func TestAppendTooLarge(t *testing.T) {
	s := mustOpen(t, testConfig(t, AsyncFlush))
	defer s.Close()
	_, err := s.Append(context.Background(), newMsg("T", 0, string(make([]byte, 17<<10)), nil))
	if !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("err = %v", err)
	}
}

func TestBatchAppend(t *testing.T) {
	s := mustOpen(t, testConfig(t, SyncFlush))
	defer s.Close()
	var ms []*message.MessageExt
	for i := range 10 {
		ms = append(ms, newMsg("B", 3, fmt.Sprint(i), nil))
	}
	res, err := s.AppendBatch(context.Background(), ms)
	if err != nil || res.MsgNum != 10 || res.QueueOffset != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	for i, m := range ms {
		if m.QueueOffset != int64(i) {
			t.Fatalf("msg %d queue offset %d", i, m.QueueOffset)
		}
	}
	waitDispatched(t, s)
	r, _ := s.GetMessages("B", 3, 0, 32, nil)
	if len(r.Messages) != 10 {
		t.Fatalf("got %d", len(r.Messages))
	}
	r.Release()
}

// Records carry their properties exactly as message.EncodeProperties writes them, for one
// message (its properties encoded before the lock, past the 512-byte stack buffer too) and for
// a batch (all encoded into one buffer, each record getting its own).
func TestAppendPropertiesEncoded(t *testing.T) {
	s := mustOpen(t, testConfig(t, AsyncFlush))
	defer s.Close()
	props := func(i, n int) map[string]string {
		p := map[string]string{message.PropertyUniqClientMessageIDKeyIndex: fmt.Sprintf("ID%04d", i)}
		for k := range n {
			p[fmt.Sprintf("k%02d", k)] = strings.Repeat(string(rune('a'+i%26)), 20)
		}
		return p
	}
	one := newMsg("P", 0, "one", props(0, 40)) // ~1 KiB of properties
	big, err := s.Append(context.Background(), one)
	if err != nil {
		t.Fatal(err)
	}
	none := newMsg("P", 0, "none", nil)
	empty, err := s.Append(context.Background(), none)
	if err != nil {
		t.Fatal(err)
	}
	var ms []*message.MessageExt
	for i := range 5 {
		ms = append(ms, newMsg("P", 1, fmt.Sprint(i), props(i+1, 3*i)))
	}
	batch, err := s.AppendBatch(context.Background(), ms)
	if err != nil {
		t.Fatal(err)
	}
	check := func(phys int64, m *message.MessageExt) {
		t.Helper()
		r, err := s.ReadAt(phys)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Release()
		if got, want := string(r.Properties()), message.EncodeProperties(m.Properties); got != want {
			t.Fatalf("record at %d: properties %q, want %q", phys, got, want)
		}
		if r.TotalSize() != m.StoreSize {
			t.Fatalf("record at %d: %d bytes, StoreSize %d", phys, r.TotalSize(), m.StoreSize)
		}
	}
	check(big.PhysicalOffset, one)
	check(empty.PhysicalOffset, none)
	phys := batch.PhysicalOffset
	for _, m := range ms {
		check(phys, m)
		phys += int64(m.StoreSize)
	}
}
