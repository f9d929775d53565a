package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// hugeAdviceWorks reports whether this kernel takes MADV_HUGEPAGE at all (THP not "never").
func hugeAdviceWorks(t *testing.T) bool {
	t.Helper()
	b, err := unix.Mmap(-1, 0, 4<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(b)
	return !errors.Is(unix.Madvise(b, unix.MADV_HUGEPAGE), unix.EINVAL)
}

// TestWarmAdvisesHugePages: under ASYNC_FLUSH the warmer advises the segment being written
// MADV_HUGEPAGE (once per segment); under SYNC_FLUSH nothing does, so an fdatasync writes
// back small folios.
func TestWarmAdvisesHugePages(t *testing.T) {
	if !hugeAdviceWorks(t) {
		t.Skip("transparent huge pages are off in this kernel")
	}
	cfg := testConfig(t, AsyncFlush)
	cfg.MappedFileSizeCommitLog = 8 << 20
	s := mustOpen(t, cfg)
	defer s.Close()
	if _, err := s.Append(context.Background(), newMsg("W", 0, "first", nil)); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if s.warm.off.Load() {
			t.Skip("MADV_POPULATE_WRITE is not supported by this kernel")
		}
		if n := s.warm.huge.Load(); n != 1 {
			return fmt.Errorf("%d segments advised, want 1", n)
		}
		return nil
	})
	// Where the filesystem keeps large folios the segment is now mapped by 2 MiB entries.
	if b, err := os.ReadFile("/proc/self/smaps_rollup"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "FilePmdMapped:") {
				t.Log(l)
			}
		}
	}
	// More records in the same segment: no second advice.
	for i := range 100 {
		if _, err := s.AppendNoWait(newMsg("W", 0, fmt.Sprint(i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	waitDispatched(t, s)
	if n := s.warm.huge.Load(); n != 1 {
		t.Fatalf("%d advices for one segment", n)
	}

	sy := mustOpen(t, testConfig(t, SyncFlush))
	defer sy.Close()
	if sy.warm != nil {
		t.Fatal("a SYNC_FLUSH store has a warmer")
	}
}
