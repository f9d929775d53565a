package broker

import (
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
