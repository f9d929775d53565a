package broker

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/store"
)

// TestStartOnFullDisk: a broker whose disk is really full (ENOSPC, a 16 MiB tmpfs filled up)
// starts read-only instead of refusing to start: it says so (log and runtime info
// diskFull=true), refuses sends with SERVICE_NOT_AVAILABLE and still serves what it stored.
// The tmpfs is mounted in a new user and mount namespace (unshare -rm) by a child copy of
// this test; where that is not allowed the test is skipped.
func TestStartOnFullDisk(t *testing.T) {
	if dir := os.Getenv("MQ_TEST_FULLDISK_DIR"); dir != "" {
		fullDiskChild(t, dir)
		return
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare")
	}
	dir := t.TempDir()
	script := `mount -t tmpfs -o size=16m tmpfs "$1" || exit 99; exec "$2" -test.run='^TestStartOnFullDisk$' -test.count=1 -test.v`
	cmd := exec.Command(unshare, "-rm", "sh", "-c", script, "sh", dir, os.Args[0])
	cmd.Env = append(os.Environ(), "MQ_TEST_FULLDISK_DIR="+dir)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 99 || err != nil && !strings.Contains(string(out), "=== RUN") {
		t.Skipf("cannot mount a tmpfs in a new namespace: %v %s", err, out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestStartOnFullDisk") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if testing.Verbose() {
		t.Logf("child:\n%s", out)
	}
}

func fullDiskChild(t *testing.T, dir string) {
	cfg := testConfig(t)
	cfg.StorePathRootDir = filepath.Join(dir, "store")
	cfg.MappedFileSizeCommitLog = 1 << 20
	cfg.MaxMessageSize = 64 << 10
	b1, addr := startBroker(t, cfg, nil)
	if err := b1.Topics().Update(protocol.NewTopicConfig("Kept")); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, nil)
	wantCode(t, sendOne(t, c, addr, "Kept", 0, nil, []byte("stored before the disk filled")), protocol.Success)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b1.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	// tmpfs allocates a page when a hole of a shared mapping is read (a disk maps the zero
	// page): allocate every store file first, so the full tmpfs behaves as a full disk.
	err := filepath.WalkDir(cfg.StorePathRootDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil || fi.Size() == 0 {
			return err
		}
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		return unix.Fallocate(int(f.Fd()), 0, 0, fi.Size())
	})
	if err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !store.NoSpace(err) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()

	b2, addr2 := startBroker(t, cfg, nil)
	t.Cleanup(func() { os.Remove(filler) }) // runs before b2's shutdown: let it persist
	if got := runtimeInfo(t, c, addr2)["diskFull"]; got != "true" {
		t.Errorf("runtime info diskFull=%q, want true", got)
	}
	resp := sendOne(t, c, addr2, "Kept", 0, nil, []byte("refused"))
	wantCode(t, resp, protocol.ServiceNotAvailable)
	r, err := b2.ms.GetMessages("Kept", 0, 0, 8, nil)
	if err != nil || len(r.Messages) != 1 {
		t.Fatalf("stored message not served on the full disk: %v %d", err, len(r.Messages))
	}
	r.Release()
}
