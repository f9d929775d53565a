package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
)

const (
	crashEnvDir   = "MQ_STORE_CRASH_DIR"
	crashEnvStart = "MQ_STORE_CRASH_START"
	crashEnvFlush = "MQ_STORE_CRASH_FLUSH"
)

// crashBody is the deterministic body of message i.
func crashBody(i int) []byte {
	b := fmt.Appendf(nil, "m-%d-", i)
	return append(b, bytes.Repeat([]byte{byte('a' + i%26)}, (i*37)%1500)...)
}

func crashConfig(dir string, flush FlushDiskType) Config {
	cfg := DefaultConfig()
	cfg.StorePathRootDir = dir
	cfg.MappedFileSizeCommitLog = 64 << 10
	cfg.MappedFileSizeConsumeQueue = 50 * ConsumeQueueEntrySize
	cfg.MaxMessageSize = 8 << 10
	cfg.MaxHashSlotNum = 97
	cfg.MaxIndexNum = 300
	cfg.FlushDiskType = flush
	cfg.FlushIntervalCommitLog = 5
	cfg.FlushCommitLogLeastPages = 0
	cfg.FlushIntervalConsumeQueue = 20
	return cfg
}

// crashChild appends forever with 4 writers, printing "ack i phys qid qoff" for every
// acknowledged message and, under ASYNC_FLUSH, "flushed off" as the flushed offset moves.
func crashChild() {
	dir := os.Getenv(crashEnvDir)
	start, _ := strconv.Atoi(os.Getenv(crashEnvStart))
	var flush FlushDiskType
	_ = flush.UnmarshalText([]byte(os.Getenv(crashEnvFlush)))
	s, err := Open(crashConfig(dir, flush), nil)
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	var next = start
	for range 4 {
		go func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				m := &message.MessageExt{Message: message.Message{Topic: "C", Body: crashBody(i),
					Properties: map[string]string{"KEYS": "K" + strconv.Itoa(i)}}, QueueID: int32(i % 3)}
				res, err := s.Append(context.Background(), m)
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %d %d %d %d\n", i, res.PhysicalOffset, m.QueueID, res.QueueOffset)
				if flush == AsyncFlush {
					fmt.Fprintf(out, "flushed %d\n", s.FlushedOffset())
				}
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	select {}
}

type ackRec struct {
	phys, qoff int64
	qid        int32
}

func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashEnvDir) != "" {
		crashChild()
		return
	}
	if testing.Short() {
		t.Skip("crash test skipped in -short")
	}
	for _, tc := range []struct {
		flush  FlushDiskType
		rounds int
	}{{SyncFlush, 20}, {AsyncFlush, 6}} {
		t.Run("flush="+tc.flush.String(), func(t *testing.T) { runCrashRounds(t, tc.flush, tc.rounds) })
	}
}

func runCrashRounds(t *testing.T, flush FlushDiskType, rounds int) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	acked := map[int]ackRec{}
	next := 0
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRecovery$")
		cmd.Env = append(os.Environ(), crashEnvDir+"="+dir, crashEnvStart+"="+strconv.Itoa(next), crashEnvFlush+"="+flush.String())
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := time.Duration(20+rng.IntN(200)) * time.Millisecond
		timer := time.AfterFunc(killAfter, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		var flushed int64 = -1
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 5 && f[0] == "ack":
				i, _ := strconv.Atoi(f[1])
				phys, _ := strconv.ParseInt(f[2], 10, 64)
				qid, _ := strconv.Atoi(f[3])
				qoff, _ := strconv.ParseInt(f[4], 10, 64)
				if flush == SyncFlush {
					acked[i] = ackRec{phys, qoff, int32(qid)}
				} else {
					// Under ASYNC_FLUSH only what was flushed must survive; keep the ack and
					// filter by the last flushed offset after the kill.
					acked[-1-i] = ackRec{phys, qoff, int32(qid)}
				}
				next = max(next, i+1)
			case len(f) == 2 && f[0] == "flushed":
				flushed, _ = strconv.ParseInt(f[1], 10, 64)
			}
		}
		_ = cmd.Wait()
		timer.Stop()
		if flush == AsyncFlush {
			for k, a := range acked {
				if k < 0 {
					delete(acked, k)
					if a.phys+int64(len(crashBody(-1-k)))+message.StoredFixedLen+32 <= flushed {
						acked[-1-k] = a
					}
				}
			}
		}
		next += 10 // ids a killed child may have used without acknowledging
		verifyCrashStore(t, dir, flush, acked, round)
	}
	t.Logf("%d rounds, %d acknowledged messages verified", rounds, len(acked))
}

func verifyCrashStore(t *testing.T, dir string, flush FlushDiskType, acked map[int]ackRec, round int) {
	t.Helper()
	s, err := Open(crashConfig(dir, flush), nil)
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer s.Close()
	rep := s.Recovery()
	end := s.CommitLogMaxOffset()
	if end != rep.CommitLogEnd {
		t.Fatalf("round %d: max offset %d != recovered end %d", round, end, rep.CommitLogEnd)
	}
	if _, err := s.ReadAt(end); err == nil {
		t.Fatalf("round %d: record visible past the end", round)
	}
	for i, a := range acked {
		rec, err := s.ReadAt(a.phys)
		if err != nil {
			t.Fatalf("round %d: acked message %d at %d lost: %v (recovery %+v)", round, i, a.phys, err, rep)
		}
		if !bytes.Equal(rec.Body(), crashBody(i)) || rec.QueueOffset() != a.qoff || rec.QueueID() != a.qid {
			t.Fatalf("round %d: message %d differs", round, i)
		}
		rec.Release()
		r, err := s.GetMessages("C", a.qid, a.qoff, 1, nil)
		if err != nil || len(r.Messages) != 1 || r.Messages[0].PhysicalOffset() != a.phys {
			var got []int64
			for _, m := range r.Messages {
				got = append(got, m.PhysicalOffset())
			}
			t.Fatalf("round %d: CQ entry of %d (q%d@%d, phys %d): %v %v, got %v (queue %d..%d, recovery %+v)", round, i, a.qid, a.qoff, a.phys,
				err, r.Status, got, s.MinOffset("C", a.qid), s.MaxOffset("C", a.qid), rep)
		}
		r.Release()
	}
	// Index entries: sample some keys every round (all of them in the last round).
	n := 0
	for i, a := range acked {
		if n++; n > 50 && round%5 != 4 {
			break
		}
		q, _ := s.QueryByKey("C", "K"+strconv.Itoa(i), 4, 0, time.Now().UnixMilli()+1000)
		if len(q.Messages) != 1 || q.Messages[0].PhysicalOffset() != a.phys {
			t.Fatalf("round %d: index for K%d: %d hits", round, i, len(q.Messages))
		}
		q.Release()
	}
	// Every queue reads back clean up to its max offset.
	for qid := range int32(3) {
		for off := s.MinOffset("C", qid); off < s.MaxOffset("C", qid); {
			r, err := s.GetMessages("C", qid, off, 32, nil)
			if err != nil || r.Status != Found {
				t.Fatalf("round %d: scan q%d at %d: %v %v", round, qid, off, err, r.Status)
			}
			for _, m := range r.Messages {
				if !m.CheckCRC() || m.PhysicalOffset()+int64(m.TotalSize()) > end {
					t.Fatalf("round %d: bad record in scan", round)
				}
			}
			off = r.NextBeginOffset
			r.Release()
		}
	}
	// Appends continue.
	m := &message.MessageExt{Message: message.Message{Topic: "C", Body: []byte("parent")}, QueueID: 0}
	res, err := s.Append(context.Background(), m)
	if err != nil || res.PhysicalOffset < end {
		t.Fatalf("round %d: append after recovery: %+v %v", round, res, err)
	}
	waitDispatched(t, s)
	if got := s.MaxOffset("C", 0); got != res.QueueOffset+1 {
		t.Fatalf("round %d: queue 0 max %d after append at %d", round, got, res.QueueOffset)
	}
}
