package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cqResidentPages counts the pages of every mapped ConsumeQueue file that are in memory.
func cqResidentPages(t *testing.T, s *Store) (pages, files int) {
	t.Helper()
	s.cqMu.RLock()
	defer s.cqMu.RUnlock()
	for _, qs := range s.cqs {
		for _, cq := range qs {
			for _, mf := range cq.mfq.list() {
				pages += residentPages(t, mf.data)
				files++
			}
		}
	}
	return pages, files
}

// fillQueues stores per messages in each of queues queues of one topic and closes the store.
func fillQueues(t *testing.T, cfg Config, queues, per int) {
	t.Helper()
	s := mustOpen(t, cfg)
	for i := range per {
		for q := range queues {
			if _, err := s.Append(context.Background(), newMsg("Many", int32(q), "m"+strconv.Itoa(i), nil)); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitDispatchedWithin(t, s, time.Minute)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestConsumeQueueLoadStaysSmall: reopening a store maps each ConsumeQueue file but faults
// in no page past the queue's end (300,000-entry files, 10 entries a queue): at most the
// page holding the end, instead of the whole 5.7 MiB file.
func TestConsumeQueueLoadStaysSmall(t *testing.T) {
	cfg := testConfig(t, AsyncFlush)
	cfg.MappedFileSizeConsumeQueue = 300_000 * ConsumeQueueEntrySize
	cfg.MappedFileSizeCommitLog = 4 << 20
	const queues = 40
	fillQueues(t, cfg, queues, 10)
	s := mustOpen(t, cfg)
	defer s.Close()
	pages, files := cqResidentPages(t, s)
	if files != queues {
		t.Fatalf("%d ConsumeQueue files mapped, want %d", files, queues)
	}
	if pages > 2*queues {
		t.Fatalf("%d pages of %d ConsumeQueue files resident after load, want at most 2 a file", pages, files)
	}
	for q := range int32(queues) {
		if mx := s.MaxOffset("Many", q); mx != 10 {
			t.Fatalf("queue %d max offset %d after reload, want 10", q, mx)
		}
	}
}

// TestConsumeQueueLoadClearsStaleData: entries a crashed run left past the end, in a later
// page, are cleared at load (they would otherwise become valid once the queue grows to them).
func TestConsumeQueueLoadClearsStaleData(t *testing.T) {
	cfg := testConfig(t, AsyncFlush)
	cfg.MappedFileSizeConsumeQueue = 1000 * ConsumeQueueEntrySize
	fillQueues(t, cfg, 1, 3)
	path := fmt.Sprintf("%s/Many/0/%020d", cfg.consumeQueueDir(), 0)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	stale := make([]byte, ConsumeQueueEntrySize)
	putCQEntry(stale, cqEntry{phys: 0, size: 100, tag: 7})
	if _, err := f.WriteAt(stale, 600*ConsumeQueueEntrySize); err != nil { // page 2, well past entry 3
		t.Fatal(err)
	}
	f.Close()
	s := mustOpen(t, cfg)
	defer s.Close()
	mf := s.cqs["Many"][0].mfq.list()[0]
	if got := readCQEntry(mf.data[600*ConsumeQueueEntrySize:]); got != (cqEntry{}) {
		t.Fatalf("stale entry past the end kept: %+v", got)
	}
	if mx := s.MaxOffset("Many", 0); mx != 3 {
		t.Fatalf("max offset %d, want 3", mx)
	}
}

// vmRSS returns this process's resident set size in bytes.
func vmRSS(t testing.TB) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// TestRestartThousandQueues: reopening a store with 1,000 queues of 10 messages each adds
// less than 32 MiB of RSS and takes under a second (logged: the machine may be loaded; the
// resident ConsumeQueue pages are asserted exactly).
func TestRestartThousandQueues(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10,000 messages")
	}
	cfg := testConfig(t, AsyncFlush)
	cfg.MappedFileSizeConsumeQueue = 300_000 * ConsumeQueueEntrySize
	cfg.MappedFileSizeCommitLog = 16 << 20
	const queues = 1000
	fillQueues(t, cfg, queues, 10)
	before := vmRSS(t)
	start := time.Now()
	s := mustOpen(t, cfg)
	took := time.Since(start)
	after := vmRSS(t)
	defer s.Close()
	pages, files := cqResidentPages(t, s)
	t.Logf("restart with %d queues: %v, RSS +%.1f MiB, %d ConsumeQueue pages resident in %d files",
		queues, took.Round(time.Millisecond), float64(after-before)/(1<<20), pages, files)
	if pages > 2*files {
		t.Fatalf("%d ConsumeQueue pages resident in %d files", pages, files)
	}
	if after-before > 32<<20 {
		t.Fatalf("restart added %d MiB of RSS", (after-before)>>20)
	}
}
