package broker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/mq-project/mq/protocol"
)

// TestSendOnFullDisk: with the disk used above diskSpaceWarningLevelRatio a send is refused
// with SERVICE_NOT_AVAILABLE and says why, and nothing is stored. The threshold is set below
// this machine's real usage, so the store sees a "full" disk at Open.
func TestSendOnFullDisk(t *testing.T) {
	cfg := testConfig(t)
	var st unix.Statfs_t
	if err := unix.Statfs(cfg.StorePathRootDir, &st); err != nil || st.Blocks == 0 {
		t.Skipf("statfs: %v", err)
	}
	used := int((st.Blocks - st.Bfree) * 100 / st.Blocks)
	if used < 2 {
		t.Skipf("the disk is only %d%% used: cannot set diskSpaceWarningLevelRatio below it", used)
	}
	cfg.DiskSpaceWarningLevelRatio = used - 1
	b, addr := startBroker(t, cfg, nil)
	if err := b.Topics().Update(protocol.NewTopicConfig("Full")); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, nil)
	resp := sendOne(t, c, addr, "Full", 0, nil, []byte("refused"))
	wantCode(t, resp, protocol.ServiceNotAvailable)
	if !strings.Contains(resp.Remark, "disk full") {
		t.Fatalf("remark %q does not say the disk is full", resp.Remark)
	}
	if n := b.ms.CommitLogMaxOffset(); n != 0 {
		t.Fatalf("%d bytes stored on a full disk", n)
	}
}

// TestAutoCreateNeedsDurableTopic: a send that auto-creates a topic is answered only once
// topics.json holds it. With the config directory unwritable (a file stands in its place,
// which stops root too) the send fails with SERVICE_NOT_AVAILABLE naming the cause, nothing
// is stored and the topic is not served; once the directory is back the same send works and
// the topic is in topics.json.
func TestAutoCreateNeedsDurableTopic(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoCreateTopicEnable = true
	b, addr := startBroker(t, cfg, nil)
	c := newTestClient(t, nil)
	dir := cfg.ConfigDir()
	if err := os.Rename(dir, dir+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := b.ms.CommitLogMaxOffset()
	resp := sendOne(t, c, addr, "AutoDurable", -1, nil, []byte("must not be acknowledged"))
	wantCode(t, resp, protocol.ServiceNotAvailable)
	if !strings.Contains(resp.Remark, "topics.json") {
		t.Errorf("remark %q does not name topics.json", resp.Remark)
	}
	if _, ok := b.Topics().Get("AutoDurable"); ok {
		t.Fatal("topic served though topics.json does not have it")
	}
	if n := b.ms.CommitLogMaxOffset(); n != before {
		t.Fatalf("CommitLog grew from %d to %d: the message was stored", before, n)
	}
	// The same for a retry topic created by a send to %RETRY%<group>.
	wantCode(t, sendOne(t, c, addr, "%RETRY%gDurable", 0, nil, []byte("x")), protocol.ServiceNotAvailable)

	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(dir+".moved", dir); err != nil {
		t.Fatal(err)
	}
	wantCode(t, sendOne(t, c, addr, "AutoDurable", -1, nil, []byte("acknowledged")), protocol.Success)
	data, err := os.ReadFile(filepath.Join(dir, "topics.json"))
	if err != nil || !strings.Contains(string(data), `"AutoDurable"`) {
		t.Fatalf("topics.json after an acknowledged auto-create: %v %.200s", err, data)
	}
}

// TestNoAutoCreateOnFullDisk: on a full disk a send to a new topic is refused before any
// metadata is written (the space left is kept for the metadata of what exists), and runtime
// info says the broker is read-only.
func TestNoAutoCreateOnFullDisk(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoCreateTopicEnable = true
	var st unix.Statfs_t
	if err := unix.Statfs(cfg.StorePathRootDir, &st); err != nil || st.Blocks == 0 {
		t.Skipf("statfs: %v", err)
	}
	used := int((st.Blocks - st.Bfree) * 100 / st.Blocks)
	if used < 2 {
		t.Skipf("the disk is only %d%% used: cannot set diskSpaceWarningLevelRatio below it", used)
	}
	cfg.DiskSpaceWarningLevelRatio = used - 1
	b, addr := startBroker(t, cfg, nil)
	c := newTestClient(t, nil)
	v0 := b.Topics().DataVersion()
	resp := sendOne(t, c, addr, "NewOnFullDisk", -1, nil, []byte("x"))
	wantCode(t, resp, protocol.ServiceNotAvailable)
	if _, ok := b.Topics().Get("NewOnFullDisk"); ok || b.Topics().DataVersion() != v0 {
		t.Fatal("topic created on a full disk")
	}
	if got := runtimeInfo(t, c, addr)["diskFull"]; got != "true" {
		t.Fatalf("runtime info diskFull=%q, want true", got)
	}
}
