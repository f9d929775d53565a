package broker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/protocol"
)

// TestUpdateBrokerConfigIsLive: UPDATE_BROKER_CONFIG takes effect at once for what requests
// read (brokerPermission 4 refuses sends and reaches the nameserver's route), reports the
// change through GET_BROKER_CONFIG, persists it, and refuses unknown keys and bad values
// without changing anything.
func TestUpdateBrokerConfigIsLive(t *testing.T) {
	ns := startNamesrv(t)
	cfg := testConfig(t)
	cfg.NamesrvAddr = ns
	_, addr := startBroker(t, cfg, nil)
	c := newTestClient(t, nil)
	wantCode(t, sendOne(t, c, addr, "LiveCfg", 0, nil, []byte("before")), protocol.Success)

	wantCode(t, call(t, c, addr, protocol.UpdateBrokerConfig, nil, []byte("brokerPermission=4\n")), protocol.Success)
	wantCode(t, sendOne(t, c, addr, "LiveCfg", 0, nil, []byte("after")), protocol.NoPermission)
	checkFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		r, code := route(t, c, ns, "LiveCfg")
		if code != protocol.Success || len(r.QueueDatas) != 1 || r.QueueDatas[0].Perm != 4 {
			return fmt.Errorf("route %v code %d, want perm 4", r.QueueDatas, code)
		}
		return nil
	})
	resp := call(t, c, addr, protocol.GetBrokerConfig, nil, nil)
	wantCode(t, resp, protocol.Success)
	if !strings.Contains(string(resp.Body), "brokerPermission=4\n") {
		t.Fatalf("GET_BROKER_CONFIG does not show the change:\n%s", resp.Body)
	}
	saved, err := os.ReadFile(filepath.Join(cfg.StorePathRootDir, "config", "broker.properties"))
	if err != nil || !strings.Contains(string(saved), "brokerPermission=4\n") {
		t.Fatalf("persisted config: %v\n%s", err, saved)
	}

	wantCode(t, call(t, c, addr, protocol.UpdateBrokerConfig, nil, []byte("noSuchKey=1\n")), protocol.InvalidParameter)
	wantCode(t, call(t, c, addr, protocol.UpdateBrokerConfig, nil, []byte("brokerPermission=6\nlistenPort=x\n")), protocol.InvalidParameter)
	wantCode(t, sendOne(t, c, addr, "LiveCfg", 0, nil, []byte("still refused")), protocol.NoPermission)

	wantCode(t, call(t, c, addr, protocol.UpdateBrokerConfig, nil, []byte("brokerPermission=6\n")), protocol.Success)
	wantCode(t, sendOne(t, c, addr, "LiveCfg", 0, nil, []byte("writable again")), protocol.Success)
}
