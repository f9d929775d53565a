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
	wantCode(t, call(t, c, addr, protocol.UpdateBrokerConfig, nil, []byte("brokerPermission=6\ndefaultTopicQueueNums=x\n")), protocol.InvalidParameter)
	wantCode(t, sendOne(t, c, addr, "LiveCfg", 0, nil, []byte("still refused")), protocol.NoPermission)

	wantCode(t, call(t, c, addr, protocol.UpdateBrokerConfig, nil, []byte("brokerPermission=6\n")), protocol.Success)
	wantCode(t, sendOne(t, c, addr, "LiveCfg", 0, nil, []byte("writable again")), protocol.Success)
}

// TestUpdateBrokerConfigCannotRedirect: paths, identity, addresses, store geometry, security
// switches, Apache's black list and the configured configBlackList are refused with
// NO_PERMISSION naming every such key, and nothing of the request is applied (all or
// nothing): no directory is created, brokerPermission stays.
func TestUpdateBrokerConfigCannotRedirect(t *testing.T) {
	cfg := testConfig(t)
	cfg.ConfigBlackList = "configBlackList;brokerConfigPath;deleteWhen"
	_, addr := startBroker(t, cfg, nil)
	c := newTestClient(t, nil)
	evil := filepath.Join(t.TempDir(), "evil")
	for _, key := range []string{
		"storePathRootDir", "storePathCommitLog", "storePathConsumeQueue", "storePathIndex", "storeCheckpoint", "abortFile",
		"brokerName", "brokerClusterName", "brokerId", "brokerRole", "listenPort", "haListenPort", "brokerIP1",
		"namesrvAddr", "haMasterAddress", "metricsExporterType", "aclConfigFile", "kvConfigPath", "configStorePath", "rocketmqHome",
		"brokerConfigPath", "configBlackList", "mappedFileSizeCommitLog", "aclEnable", "deleteWhen",
	} {
		body := "brokerPermission=4\n" + key + "=" + evil + "\n"
		resp := call(t, c, addr, protocol.UpdateBrokerConfig, nil, []byte(body))
		wantCode(t, resp, protocol.NoPermission)
		if !strings.Contains(resp.Remark, "Can not update config in black list: "+key+" (") {
			t.Errorf("%s: remark %q", key, resp.Remark)
		}
	}
	resp := call(t, c, addr, protocol.UpdateBrokerConfig, nil, []byte("brokerName=x\nbrokerIP1=1.2.3.4\nstorePathRootDir=/x\n"))
	wantCode(t, resp, protocol.NoPermission)
	for _, want := range []string{"brokerName (the broker's identity)", "brokerIP1 (an address or port", "storePathRootDir (a path)"} {
		if !strings.Contains(resp.Remark, want) {
			t.Errorf("remark %q lacks %q", resp.Remark, want)
		}
	}
	if _, err := os.Stat(evil); !os.IsNotExist(err) {
		t.Fatalf("refused update created %s: %v", evil, err)
	}
	got := call(t, c, addr, protocol.GetBrokerConfig, nil, nil)
	if !strings.Contains(string(got.Body), "brokerPermission=6\n") || !strings.Contains(string(got.Body), "brokerName=broker-a\n") {
		t.Fatalf("refused update applied:\n%s", got.Body)
	}
}

// TestUpdateBrokerConfigBounded: a body over 64 KiB is refused before parsing; a 60 KiB
// body of continuation lines is answered at once; oversized values, Apache keys mq does
// not implement and unknown keys are refused with INVALID_PARAMETER, without echoing the
// value.
func TestUpdateBrokerConfigBounded(t *testing.T) {
	_, addr := startBroker(t, testConfig(t), nil)
	c := newTestClient(t, nil)

	big := []byte("regionId=" + strings.Repeat("x\\\n", 10<<20/3))
	resp := call(t, c, addr, protocol.UpdateBrokerConfig, nil, big)
	wantCode(t, resp, protocol.InvalidParameter)
	if !strings.Contains(resp.Remark, "at most 65536") {
		t.Fatalf("remark %q", resp.Remark)
	}

	start := time.Now()
	bomb := []byte("regionId=" + strings.Repeat("x\\\n", 60<<10/3))
	resp = call(t, c, addr, protocol.UpdateBrokerConfig, nil, bomb)
	wantCode(t, resp, protocol.InvalidParameter) // a 20 KB regionId is over the value bound
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("60 KiB continuation body took %v", took)
	}
	if len(resp.Remark) > 1000 || !strings.Contains(resp.Remark, "regionId: value of 20480 bytes: want at most 4096") {
		t.Fatalf("remark (%d bytes) %.300q", len(resp.Remark), resp.Remark)
	}

	resp = call(t, c, addr, protocol.UpdateBrokerConfig, nil, []byte("brokerPermission=4\nuseReentrantLockWhenPutMessage=true\n"))
	wantCode(t, resp, protocol.InvalidParameter)
	if !strings.Contains(resp.Remark, "useReentrantLockWhenPutMessage: Apache RocketMQ keys mq does not implement") {
		t.Fatalf("remark %q", resp.Remark)
	}
	resp = call(t, c, addr, protocol.UpdateBrokerConfig, nil, []byte("fileReserveTime=1\n"))
	wantCode(t, resp, protocol.InvalidParameter)
	if !strings.Contains(resp.Remark, "did you mean fileReservedTime?") {
		t.Fatalf("remark %q", resp.Remark)
	}
	resp = call(t, c, addr, protocol.UpdateBrokerConfig, nil, []byte(strings.Repeat("x=1\n", 16000)))
	wantCode(t, resp, protocol.InvalidParameter)
	if len(resp.Remark) > 2000 || !strings.HasSuffix(resp.Remark, "… and 15980 more problems") {
		t.Fatalf("remark of %d bytes: %.300q", len(resp.Remark), resp.Remark)
	}
	resp = call(t, c, addr, protocol.UpdateBrokerConfig, nil, []byte("deleteWhen=4am\n"))
	wantCode(t, resp, protocol.InvalidParameter)
	if !strings.Contains(resp.Remark, `UPDATE_BROKER_CONFIG:1: deleteWhen "4am"`) {
		t.Fatalf("remark %q", resp.Remark)
	}
	got := call(t, c, addr, protocol.GetBrokerConfig, nil, nil)
	if !strings.Contains(string(got.Body), "brokerPermission=6\n") || !strings.Contains(string(got.Body), "deleteWhen=04\n") {
		t.Fatalf("refused update applied:\n%s", got.Body)
	}
}

// TestUpdateBrokerConfigFileNotWritable: when the -c file cannot be rewritten (here it is
// gone; a read-only mount is the usual case) the change still applies, as in Apache, and
// the answer's remark says it was not persisted.
func TestUpdateBrokerConfigFileNotWritable(t *testing.T) {
	cfg := testConfig(t)
	cfg.File = filepath.Join(t.TempDir(), "gone", "broker.conf")
	_, addr := startBroker(t, cfg, nil)
	c := newTestClient(t, nil)
	resp := call(t, c, addr, protocol.UpdateBrokerConfig, nil, []byte("fileReservedTime=12\n"))
	wantCode(t, resp, protocol.Success)
	if !strings.Contains(resp.Remark, "applied, but not persisted to "+cfg.File) {
		t.Fatalf("remark %q", resp.Remark)
	}
	got := call(t, c, addr, protocol.GetBrokerConfig, nil, nil)
	if !strings.Contains(string(got.Body), "fileReservedTime=12\n") {
		t.Fatalf("not applied:\n%s", got.Body)
	}
}
