package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
)

type modelMsg struct {
	phys int64
	body string
	keys []string
}

// TestModel runs random appends, reads, key queries and reopenings against the store and an
// in-memory model and checks that they agree.
func TestModel(t *testing.T) {
	forEachFlush(t, func(t *testing.T, flush FlushDiskType) {
		cfg := testConfig(t, flush)
		rng := rand.New(rand.NewPCG(7, uint64(flush)))
		topics := []string{"A", "B"}
		model := map[tqKey][]modelMsg{}
		byKey := map[string][]int64{} // topic#key -> phys, append order
		s := mustOpen(t, cfg)
		defer func() { s.Close() }()
		ctx := context.Background()
		for op := range 600 {
			switch r := rng.IntN(100); {
			case r < 60: // append (sometimes a batch)
				n := 1
				if rng.IntN(5) == 0 {
					n = 1 + rng.IntN(5)
				}
				var ms []*message.MessageExt
				for range n {
					topic, qid := topics[rng.IntN(2)], int32(rng.IntN(3))
					keys := []string{fmt.Sprintf("k%d", rng.IntN(50)), fmt.Sprintf("op%d", op)}
					body := fmt.Sprintf("op%d-%s", op, make([]byte, rng.IntN(3000)))
					ms = append(ms, newMsg(topic, qid, body, map[string]string{"KEYS": keys[0] + " " + keys[1]}))
				}
				var err error
				if n == 1 {
					_, err = s.Append(ctx, ms[0])
				} else {
					_, err = s.AppendBatch(ctx, ms)
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					k := tqKey{m.Topic, m.QueueID}
					if m.QueueOffset != int64(len(model[k])) {
						t.Fatalf("op %d: queue offset %d, model %d", op, m.QueueOffset, len(model[k]))
					}
					keys := message.DecodeProperties([]byte("KEYS\x01" + m.Properties["KEYS"]))["KEYS"]
					mm := modelMsg{m.CommitLogOffset, string(m.Body), nil}
					for _, kk := range []string{keys[:len(keys)-len(fmt.Sprint(op))-3], fmt.Sprintf("op%d", op)} {
						mm.keys = append(mm.keys, kk)
						byKey[m.Topic+"#"+kk] = append(byKey[m.Topic+"#"+kk], m.CommitLogOffset)
					}
					model[k] = append(model[k], mm)
				}
			case r < 80: // read a range
				waitDispatched(t, s)
				k := tqKey{topics[rng.IntN(2)], int32(rng.IntN(3))}
				msgs := model[k]
				off := int64(rng.IntN(len(msgs) + 2))
				res, err := s.GetMessages(k.topic, k.qid, off, 1+rng.IntN(10), nil)
				if err != nil && !errors.Is(err, ErrOffsetTooSmall) {
					t.Fatal(err)
				}
				for i, rec := range res.Messages {
					want := msgs[off+int64(i)]
					if rec.PhysicalOffset() != want.phys || string(rec.Body()) != want.body {
						t.Fatalf("op %d: %v offset %d differs", op, k, off+int64(i))
					}
				}
				if off < int64(len(msgs)) && len(res.Messages) == 0 {
					t.Fatalf("op %d: nothing at %v/%d of %d (%v)", op, k, off, len(msgs), res.Status)
				}
				res.Release()
			case r < 95: // key query
				waitDispatched(t, s)
				topic := topics[rng.IntN(2)]
				key := fmt.Sprintf("k%d", rng.IntN(50))
				want := slices.Clone(byKey[topic+"#"+key])
				slices.Reverse(want)
				want = want[:min(len(want), 5)]
				q, err := s.QueryByKey(topic, key, 5, 0, time.Now().UnixMilli()+1000)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, m := range q.Messages {
					got = append(got, m.PhysicalOffset())
				}
				q.Release()
				if !slices.Equal(got, want) {
					t.Fatalf("op %d: query %s#%s got %v want %v", op, topic, key, got, want)
				}
			default: // reopen, sometimes as after a crash
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if rng.IntN(2) == 0 {
					if err := os.WriteFile(cfg.abortPath(), nil, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				s = mustOpen(t, cfg)
				if rep := s.Recovery(); rep.DroppedBytes != 0 || rep.ConsumeQueueEntriesDropped != 0 {
					t.Fatalf("op %d: clean data dropped: %+v", op, rep)
				}
				for k, msgs := range model {
					if got := s.MaxOffset(k.topic, k.qid); got != int64(len(msgs)) {
						t.Fatalf("op %d: %v max %d, model %d", op, k, got, len(msgs))
					}
				}
			}
		}
	})
}

func TestRetention(t *testing.T) {
	cfg := testConfig(t, AsyncFlush)
	s := mustOpen(t, cfg)
	defer func() { s.Close() }()
	var phys []int64
	for i := range 500 {
		res, err := s.Append(context.Background(), newMsg("T", 0, fmt.Sprintf("%d-%0600d", i, 0), nil))
		if err != nil {
			t.Fatal(err)
		}
		phys = append(phys, res.PhysicalOffset)
	}
	waitDispatched(t, s)
	if n := s.DeleteExpired(time.Now(), true); n != 0 {
		t.Fatalf("deleted %d fresh segments", n)
	}
	// Every segment is "old" 100 hours from now; the active one is still kept.
	segs := len(s.cl.mfq.list())
	if n := s.DeleteExpired(time.Now().Add(100*time.Hour), true); n != segs-1 {
		t.Fatalf("deleted %d of %d segments", n, segs)
	}
	clMin := s.CommitLogMinOffset()
	if clMin != s.cl.mfq.last().start {
		t.Fatalf("min offset %d", clMin)
	}
	if _, err := s.ReadAt(phys[0]); !errors.Is(err, ErrOffsetTooSmall) {
		t.Fatalf("ReadAt below min: %v", err)
	}
	minQ := s.MinOffset("T", 0)
	first := slices.IndexFunc(phys, func(p int64) bool { return p >= clMin })
	if minQ != int64(first) {
		t.Fatalf("queue min %d, want %d", minQ, first)
	}
	if r, err := s.GetMessages("T", 0, 0, 1, nil); !errors.Is(err, ErrOffsetTooSmall) || r.NextBeginOffset != minQ {
		t.Fatalf("get below min: %v %+v", err, r)
	}
	r, err := s.GetMessages("T", 0, minQ, 1, nil)
	if err != nil || len(r.Messages) != 1 || r.Messages[0].PhysicalOffset() != phys[first] {
		t.Fatalf("get at min: %v %v", err, r.Status)
	}
	r.Release()
	// Min offsets survive a reopen.
	s.Close()
	s = mustOpen(t, cfg)
	if s.MinOffset("T", 0) != minQ || s.CommitLogMinOffset() != clMin {
		t.Fatalf("after reopen: %d %d", s.MinOffset("T", 0), s.CommitLogMinOffset())
	}
	if got := s.OffsetByTime("T", 0, 0); got != minQ {
		t.Fatalf("OffsetByTime(0) = %d", got)
	}
	if got := s.OffsetByTime("T", 0, time.Now().UnixMilli()+1e6); got != 500 {
		t.Fatalf("OffsetByTime(future) = %d", got)
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.DeleteWhen = "25"
	cfg.MappedFileSizeConsumeQueue = 7
	if err := cfg.Validate(); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteJSON(t *testing.T) {
	p := t.TempDir() + "/config/topics.json"
	type doc struct{ A int }
	for i := range 2 {
		if err := WriteJSON(p, doc{i}); err != nil {
			t.Fatal(err)
		}
	}
	var d doc
	if ok, err := ReadJSON(p, &d); !ok || err != nil || d.A != 1 {
		t.Fatalf("%v %v %+v", ok, err, d)
	}
	if err := os.WriteFile(p, []byte("{broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ok, err := ReadJSON(p, &d); !ok || err != nil || d.A != 0 {
		t.Fatalf("fallback to .bak: %v %v %+v", ok, err, d)
	}
}
