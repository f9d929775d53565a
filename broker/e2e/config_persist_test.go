package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
)

// TestUpdateBrokerConfigSurvivesRestart: `mq broker config set` (admin UPDATE_BROKER_CONFIG)
// rewrites the broker's -c file in place — comments and order kept, a changed key replaced
// where it was, a new key appended — and a broker restarted from that file has the values.
func TestUpdateBrokerConfigSurvivesRestart(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "broker-a.properties")
	conf := "# broker-a of a 2m-2s deployment\n" +
		"brokerClusterName=DefaultCluster\n" +
		"brokerName=broker-a\n" +
		"brokerIP1=127.0.0.1\n" +
		"# keep files two days\n" +
		"fileReservedTime=48\n" +
		"storePathRootDir=" + filepath.ToSlash(filepath.Join(dir, "store")) + "\n" +
		"storeCheckpoint=" + filepath.ToSlash(filepath.Join(dir, "store", "checkpoint")) + "\n" +
		"mappedFileSizeCommitLog=8388608\n" +
		"mappedFileSizeConsumeQueue=81920\n" +
		"maxMessageSize=1048576\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	start := func() *mqtest.Broker {
		cfg, err := broker.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ListenPort = 0 // a free port; the file does not say
		return mqtest.StartBrokerConfig(t, cfg, ns.Addr)
	}
	b := start()
	a, err := admin.New(admin.Options{NameServers: []string{ns.Addr}, Logger: mqtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := a.UpdateBrokerConfig(ctx, b.Addr, map[string]string{"fileReservedTime": "24", "brokerPermission": "4"}); err != nil {
		t.Fatal(err)
	}
	if err := a.UpdateBrokerConfig(ctx, b.Addr, map[string]string{"brokerName": "evil"}); err == nil {
		t.Fatal("brokerName update accepted")
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(conf, "fileReservedTime=48\n", "fileReservedTime=24\n", 1) + "brokerPermission=4\n"
	if string(got) != want {
		t.Fatalf("config file after the update:\n%s\nwant:\n%s", got, want)
	}

	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	b = start()
	kv, err := a.BrokerConfig(ctx, b.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if kv["fileReservedTime"] != "24" || kv["brokerPermission"] != "4" || kv["brokerName"] != "broker-a" {
		t.Fatalf("after restart: fileReservedTime=%s brokerPermission=%s brokerName=%s",
			kv["fileReservedTime"], kv["brokerPermission"], kv["brokerName"])
	}
}
