package store

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestCorruptionSalvage: with recoverMode=salvage (the default) a damaged record in the
// middle of the log costs that record only: every later record is kept and reads back
// byte-identical, its ConsumeQueue entry becomes a hole (consumers skip it, the offset is not
// given again), the original bytes are saved, and new appends go after the old end. Damage
// with nothing valid after it (a torn tail) is still cut, as under strict.
func TestCorruptionSalvage(t *testing.T) {
	const n = corruptN
	body := func(i int) string { return fmt.Sprintf("body-%d-%s", i, strings.Repeat("y", 500)) }
	for _, tt := range corruptionCases() {
		t.Run(tt.name, func(t *testing.T) {
			victim := tt.keep // the damaged record
			cfg := testConfig(t, AsyncFlush)
			phys := fillStore(t, cfg, n)
			s := mustOpen(t, cfg)
			end := s.CommitLogMaxOffset()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, cfg, phys)
			if tt.abnormal {
				if err := os.WriteFile(cfg.abortPath(), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s = mustOpen(t, cfg)
			defer s.Close()
			rep := s.Recovery()
			if !tt.salvage {
				// A torn tail: cut at the victim, as strict does.
				if rep.CommitLogEnd != phys[victim] || len(rep.Salvaged) != 0 {
					t.Fatalf("recovery %+v, want end %d and nothing salvaged", rep, phys[victim])
				}
				return
			}
			if rep.CommitLogEnd != end || rep.StopReason != "" || len(rep.Salvaged) != 1 {
				t.Fatalf("recovery %+v, want end %d and one salvaged range", rep, end)
			}
			r := rep.Salvaged[0]
			if r.From != phys[victim] || r.To != phys[victim+1] || r.Reason == "" {
				t.Fatalf("salvaged %+v, want [%d, %d)", r, phys[victim], phys[victim+1])
			}
			if saved, err := os.ReadFile(r.SavedTo); err != nil || int64(len(saved)) != r.To-r.From {
				t.Fatalf("saved damaged bytes: %d bytes, %v", len(saved), err)
			}
			if rep.ConsumeQueueEntriesBlanked != 1 {
				t.Fatalf("cq entries blanked %d, want 1", rep.ConsumeQueueEntriesBlanked)
			}
			for i := range n {
				rec, err := s.ReadAt(phys[i])
				if i == victim {
					if err == nil {
						rec.Release()
						t.Fatal("the damaged record is still readable")
					}
					continue
				}
				if err != nil || string(rec.Body()) != body(i) || rec.QueueOffset() != int64(i) {
					t.Fatalf("message %d after the damage: %v", i, err)
				}
				rec.Release()
			}
			// Queue offsets stay: the victim's is a hole that a pull steps over.
			if got := s.MaxOffset("T", 0); got != n {
				t.Fatalf("queue max %d, want %d", got, n)
			}
			g, _ := s.GetMessages("T", 0, int64(victim-1), 3, nil)
			if g.Status != Found || len(g.Messages) != 3 || string(g.Messages[0].Body()) != body(victim-1) ||
				string(g.Messages[1].Body()) != body(victim+1) || g.NextBeginOffset != int64(victim+3) {
				t.Fatalf("pull across the hole: %v, %d messages, next %d", g.Status, len(g.Messages), g.NextBeginOffset)
			}
			g.Release()
			q, _ := s.QueryByKey("T", fmt.Sprintf("k%d", victim), 4, 0, time.Now().UnixMilli()+1000)
			if len(q.Messages) != 0 {
				t.Fatal("the damaged record is found by key")
			}
			q.Release()
			q, _ = s.QueryByKey("T", fmt.Sprintf("k%d", victim+1), 4, 0, time.Now().UnixMilli()+1000)
			if len(q.Messages) != 1 {
				t.Fatal("a record after the damage is not found by key")
			}
			q.Release()
			res, err := s.Append(context.Background(), newMsg("T", 0, "new", nil))
			if err != nil || res.PhysicalOffset != end || res.QueueOffset != n {
				t.Fatalf("append after recovery: %+v %v, want offset %d queue offset %d", res, err, end, n)
			}
			// A second open finds a clean log: the filler is a valid record.
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2 := mustOpen(t, cfg)
			defer s2.Close()
			if rep := s2.Recovery(); len(rep.Salvaged) != 0 || rep.StopReason != "" || s2.MaxOffset("T", 0) != n+1 {
				t.Fatalf("reopen: %+v, queue max %d", rep, s2.MaxOffset("T", 0))
			}
		})
	}
}

// TestSalvageReservesQueueOffset: a damaged record that was the last of its queue and not yet
// in the ConsumeQueue keeps its queue offset when its header is readable: the next message of
// the queue does not reuse it.
func TestSalvageReservesQueueOffset(t *testing.T) {
	cfg := testConfig(t, AsyncFlush)
	phys := fillStore(t, cfg, 50)
	s := mustOpen(t, cfg)
	// Two more: one to damage in queue 1, then one in queue 0 so that a record follows.
	r1, err := s.Append(context.Background(), newMsg("T", 1, "q1-lost", nil))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := s.Append(context.Background(), newMsg("T", 0, "q0-after", nil))
	if err != nil {
		t.Fatal(err)
	}
	waitDispatched(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Forget queue 1's files, as if the record had not been dispatched before a crash.
	if err := os.RemoveAll(cfg.consumeQueueDir() + "/T/1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.abortPath(), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p, pos := segmentAt(cfg, r1.PhysicalOffset)
	flipByte(t, p, pos+r1.WroteBytes-10) // inside the body: CRC mismatch, header readable
	_ = phys
	s = mustOpen(t, cfg)
	defer s.Close()
	rep := s.Recovery()
	if len(rep.Salvaged) != 1 || rep.Salvaged[0].Topic != "T" || rep.Salvaged[0].QueueID != 1 || rep.Salvaged[0].QueueOffset != 0 {
		t.Fatalf("salvaged %+v", rep.Salvaged)
	}
	if rec, err := s.ReadAt(r2.PhysicalOffset); err != nil || string(rec.Body()) != "q0-after" {
		t.Fatalf("record after the damage: %v", err)
	} else {
		rec.Release()
	}
	res, err := s.Append(context.Background(), newMsg("T", 1, "q1-next", nil))
	if err != nil || res.QueueOffset != 1 {
		t.Fatalf("next message of queue 1: %+v %v, want queue offset 1", res, err)
	}
}

// TestSalvageZeroedBlock: a zeroed block over several records (a lost page) costs those
// records only, whether it starts inside a record or exactly at one (where it looks like
// the end of the log).
func TestSalvageZeroedBlock(t *testing.T) {
	const n, victim = corruptN, corruptVictim
	for _, from := range []int64{0, 30} {
		t.Run(fmt.Sprintf("from=%d", from), func(t *testing.T) {
			cfg := testConfig(t, AsyncFlush)
			phys := fillStore(t, cfg, n)
			s := mustOpen(t, cfg)
			end := s.CommitLogMaxOffset()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			p, pos := segmentAt(cfg, phys[victim])
			patchFile(t, p, func(f *os.File) {
				if _, err := f.WriteAt(make([]byte, 1500), pos+from); err != nil {
					t.Fatal(err)
				}
			})
			// The first record starting after the zeroed bytes.
			next := victim + 1
			for phys[next] < phys[victim]+from+1500 {
				next++
			}
			s = mustOpen(t, cfg)
			defer s.Close()
			rep := s.Recovery()
			if rep.CommitLogEnd != end || len(rep.Salvaged) != 1 || rep.Salvaged[0].From != phys[victim] || rep.Salvaged[0].To != phys[next] {
				t.Fatalf("recovery %+v, want end %d and [%d, %d) salvaged", rep, end, phys[victim], phys[next])
			}
			if rep.ConsumeQueueEntriesBlanked != next-victim {
				t.Fatalf("cq entries blanked %d, want %d", rep.ConsumeQueueEntriesBlanked, next-victim)
			}
			for i := range n {
				rec, err := s.ReadAt(phys[i])
				if i >= victim && i < next {
					if err == nil {
						rec.Release()
						t.Fatalf("lost record %d readable", i)
					}
					continue
				}
				if err != nil || rec.QueueOffset() != int64(i) {
					t.Fatalf("record %d: %v", i, err)
				}
				rec.Release()
			}
			if got := s.MaxOffset("T", 0); got != n {
				t.Fatalf("queue max %d, want %d", got, n)
			}
		})
	}
}
