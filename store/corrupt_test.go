package store

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fillStore appends n messages to queue 0 of topic T and returns their offsets.
func fillStore(t *testing.T, cfg Config, n int) []int64 {
	t.Helper()
	s := mustOpen(t, cfg)
	var phys []int64
	for i := range n {
		res, err := s.Append(context.Background(), newMsg("T", 0, fmt.Sprintf("body-%d-%s", i, strings.Repeat("y", 500)),
			map[string]string{"KEYS": fmt.Sprintf("k%d", i)}))
		if err != nil {
			t.Fatal(err)
		}
		phys = append(phys, res.PhysicalOffset)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return phys
}

// segmentAt returns the path and in-file position of CommitLog offset phys.
func segmentAt(cfg Config, phys int64) (string, int64) {
	start := phys - phys%cfg.MappedFileSizeCommitLog
	return filepath.Join(cfg.commitLogDir(), fileName(start)), phys - start
}

func patchFile(t *testing.T, path string, fn func(f *os.File)) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fn(f)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, path string, pos int64) {
	patchFile(t, path, func(f *os.File) {
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, pos); err != nil {
			t.Fatal(err)
		}
		b[0] ^= 0x5A
		if _, err := f.WriteAt(b, pos); err != nil {
			t.Fatal(err)
		}
	})
}

// corruptionCase damages a store filled by fillStore; under RecoverStrict the victim and
// every later record are dropped; under RecoverSalvage only the victim is, when salvage says
// a valid record follows the damage.
type corruptionCase struct {
	name     string
	abnormal bool
	damage   func(t *testing.T, cfg Config, phys []int64)
	keep     int  // records kept under RecoverStrict
	salvage  bool // RecoverSalvage keeps the records after the victim
}

// Recovery validates from the checkpointed segment (abnormal) or the last three segments
// (normal): damage is put in the tail segment, where a crash can tear records.
const corruptN, corruptVictim = 400, 385

func corruptionCases() []corruptionCase {
	const victim = corruptVictim
	return []corruptionCase{
		{"damage=body", true, func(t *testing.T, cfg Config, phys []int64) {
			p, pos := segmentAt(cfg, phys[victim])
			flipByte(t, p, pos+message.OffBornHost+40+10)
		}, victim, true},
		{"damage=header", true, func(t *testing.T, cfg Config, phys []int64) {
			p, pos := segmentAt(cfg, phys[victim])
			flipByte(t, p, pos+message.OffMagic+1)
		}, victim, true},
		{"damage=size", false, func(t *testing.T, cfg Config, phys []int64) {
			p, pos := segmentAt(cfg, phys[victim])
			flipByte(t, p, pos+2)
		}, victim, true},
		{"damage=truncated", true, func(t *testing.T, cfg Config, phys []int64) {
			p, pos := segmentAt(cfg, phys[victim])
			if err := os.Truncate(p, pos+100); err != nil {
				t.Fatal(err)
			}
		}, victim, false},
		{"damage=zerotail", true, func(t *testing.T, cfg Config, phys []int64) {
			p, pos := segmentAt(cfg, phys[victim])
			patchFile(t, p, func(f *os.File) {
				z := make([]byte, cfg.MappedFileSizeCommitLog-pos-30)
				if _, err := f.WriteAt(z, pos+30); err != nil {
					t.Fatal(err)
				}
			})
		}, victim, false},
		{"damage=early_segment", true, func(t *testing.T, cfg Config, phys []int64) {
			// Mid-log, three segments before the end, with no checkpoint: the whole log is walked.
			if err := os.Remove(cfg.checkpointPath()); err != nil {
				t.Fatal(err)
			}
			p, pos := segmentAt(cfg, phys[50])
			flipByte(t, p, pos+message.OffBornHost+40+10)
		}, 50, true},
	}
}

// TestCorruption: with recoverMode=strict (Apache's behaviour) recovery keeps the valid
// prefix and new appends reuse the offsets after it.
func TestCorruption(t *testing.T) {
	const n = corruptN
	for _, tt := range corruptionCases() {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, AsyncFlush)
			cfg.RecoverMode = RecoverStrict
			phys := fillStore(t, cfg, n)
			tt.damage(t, cfg, phys)
			if tt.abnormal {
				if err := os.WriteFile(cfg.abortPath(), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s := mustOpen(t, cfg)
			defer s.Close()
			rep := s.Recovery()
			if rep.CommitLogEnd != phys[tt.keep] || rep.StopReason == "" || (rep.DroppedBytes == 0 && rep.DroppedSegments == 0) {
				t.Fatalf("recovery %+v, want end %d", rep, phys[tt.keep])
			}
			if rep.ConsumeQueueEntriesDropped != n-tt.keep {
				t.Fatalf("cq entries dropped %d, want %d", rep.ConsumeQueueEntriesDropped, n-tt.keep)
			}
			if got := s.MaxOffset("T", 0); got != int64(tt.keep) {
				t.Fatalf("queue max %d, want %d", got, tt.keep)
			}
			for i := range tt.keep {
				rec, err := s.ReadAt(phys[i])
				if err != nil || !strings.HasPrefix(string(rec.Body()), fmt.Sprintf("body-%d-", i)) {
					t.Fatalf("message %d lost: %v", i, err)
				}
				rec.Release()
			}
			if _, err := s.ReadAt(phys[tt.keep]); err == nil {
				t.Fatal("dropped message still readable")
			}
			q, _ := s.QueryByKey("T", fmt.Sprintf("k%d", tt.keep+1), 4, 0, time.Now().UnixMilli()+1000)
			if len(q.Messages) != 0 {
				t.Fatal("dropped message found by key")
			}
			q.Release()
			res, err := s.Append(context.Background(), newMsg("T", 0, "new", map[string]string{"KEYS": fmt.Sprintf("k%d", tt.keep+1)}))
			if err != nil || res.PhysicalOffset != phys[tt.keep] || res.QueueOffset != int64(tt.keep) {
				t.Fatalf("append after recovery: %+v %v", res, err)
			}
			waitDispatched(t, s)
			q, _ = s.QueryByKey("T", fmt.Sprintf("k%d", tt.keep+1), 4, 0, time.Now().UnixMilli()+1000)
			if len(q.Messages) != 1 || string(q.Messages[0].Body()) != "new" {
				t.Fatalf("key query after re-append: %d", len(q.Messages))
			}
			q.Release()
		})
	}
}

// TestGoldenFreshStore pins the bytes a fresh store writes for one message: the CommitLog
// record, its ConsumeQueue entry and the IndexFile header.
func TestGoldenFreshStore(t *testing.T) {
	cfg := testConfig(t, SyncFlush)
	cfg.now = func() time.Time { return time.UnixMilli(0x1a21f0ebd60) }
	s := mustOpen(t, cfg)
	m := &message.MessageExt{
		Message:       message.Message{Topic: "TopicTest", Body: []byte("tx-body"), Properties: map[string]string{"KEYS": "k1 k2", "TAGS": "TagA", "UNIQ_KEY": "C000020255F6000000008AA6D3C8000F"}},
		QueueID:       1,
		BornTimestamp: 0x1a21f0ebd60,
		BornHost:      netip.MustParseAddrPort("127.0.0.1:34952"),
	}
	if _, err := s.Append(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	waitDispatched(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	read := func(p string, n int) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(b[:n])
	}
	idx, _ := filepath.Glob(filepath.Join(cfg.indexDir(), "*"))
	if len(idx) != 1 {
		t.Fatalf("index files %v", idx)
	}
	got := fmt.Sprintf("commitlog/00000000000000000000 %s\nconsumequeue/TopicTest/1/00000000000000000000 %s\nindex header %s\n",
		read(filepath.Join(cfg.commitLogDir(), fileName(0)), int(m.StoreSize)+8),
		read(filepath.Join(cfg.consumeQueueDir(), "TopicTest", "1", fileName(0)), 2*ConsumeQueueEntrySize),
		read(idx[0], indexHeaderSize))
	golden := filepath.Join("testdata", "fresh_store.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("fresh store bytes changed:\n got %s\nwant %s", got, want)
	}
	// Spot-check the layout independently of the golden file.
	rec, _ := hex.DecodeString(strings.Fields(strings.Split(got, "\n")[0])[1])
	if binary.BigEndian.Uint32(rec[4:]) != message.MagicV1 || int64(binary.BigEndian.Uint64(rec[28:])) != 0 ||
		binary.BigEndian.Uint32(rec[len(rec)-4:]) != 0 {
		t.Fatalf("record layout: %x", rec)
	}
}
