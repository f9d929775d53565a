package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDirtyBytes(t *testing.T) {
	mi := "MemTotal:       24684000 kB\nDirty:            217716 kB\nWriteback:          1024 kB\nAnonPages: 1 kB\n"
	got, err := dirtyBytes([]byte(mi))
	if err != nil || got != (217716+1024)<<10 {
		t.Fatalf("got %d, %v; want %d", got, err, (217716+1024)<<10)
	}
	if _, err := dirtyBytes([]byte("MemTotal: 1 kB\nDirty: 5 kB\n")); err == nil {
		t.Fatal("no Writeback line: want an error")
	}
	if _, err := dirtyBytes([]byte("Dirty: x kB\nWriteback: 0 kB\n")); err == nil {
		t.Fatal("bad number: want an error")
	}
}

func TestBusyTime(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice: busy = all but idle, iowait
	stat := "cpu  100 5 50 9000 40 3 2 10 0 0\ncpu0 50 2 25 4500 20 1 1 5 0 0\n"
	got, err := busyTime([]byte(stat))
	if want := 170 * time.Second / clockTicks; err != nil || got != want {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	if _, err := busyTime([]byte("intr 1 2 3\n")); err == nil {
		t.Fatal("no cpu line: want an error")
	}
}

// settleWriteback writes back what a server left dirty: a file just written without fsync
// counts in the dirty figure before, and the machine's busy time is measured.
func TestSettleWriteback(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "dirty")
	if err := os.WriteFile(p, []byte(strings.Repeat("x", 4<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	dirty, busy, err := settleWriteback()
	if err != nil {
		t.Fatal(err)
	}
	var fs syscall.Statfs_t
	const tmpfsMagic = 0x01021994 // tmpfs pages are never dirty
	onDisk := syscall.Statfs(dir, &fs) == nil && fs.Type != tmpfsMagic
	if (onDisk && dirty <= 0) || dirty < 0 || busy < 0 {
		t.Fatalf("dirty %d bytes, busy %v after writing 4 MiB without fsync", dirty, busy)
	}
	after, _, err := settleWriteback()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dirty before %d KiB, right after a sync %d KiB, busy %v", dirty>>10, after>>10, busy)
}

// The table's footer carries the writeback context line.
func TestTableWritebackContext(t *testing.T) {
	reps := []figures{{"sync.mq": 2, "sync.nats": 1, "dirty.mq": 150, "dirty.nats": 1061, "wbcpu.mq": 0.05, "wbcpu.nats": 0.4}}
	var b strings.Builder
	o := &runOptions{dur: time.Second, backlog: 10, natsConsume: natsOrdered}
	printTable(&b, o, evaluate(reps), reps, time.Second)
	for _, want := range []string{"mq 150 B/msg, NATS 1061 B/msg", "mq 0.05 µs/msg, NATS 0.40 µs/msg"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in:\n%s", want, b.String())
		}
	}
}
