package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mq-project/mq/internal/mqtest"
)

// TestBrokerByAddressWithoutNameserver: -b names the broker, so `mq broker config|status -b`
// work with no -n, no $NAMESRV_ADDR and no context; without -b a nameserver is still needed.
func TestBrokerByAddressWithoutNameserver(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns.Addr)
	t.Setenv("NAMESRV_ADDR", "")
	t.Setenv("MQ_CONTEXT", "")
	t.Setenv("MQ_CONFIG", filepath.Join(t.TempDir(), "none.yaml"))
	code, out, errOut := runMQ(t, "broker", "config", "-b", b.Addr)
	if code != 0 || !strings.Contains(out, "brokerName") || !strings.Contains(out, b.Config.BrokerName) {
		t.Fatalf("broker config -b: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runMQ(t, "broker", "status", "-b", b.Addr, "-o", "json")
	if code != 0 || !strings.Contains(out, `"addr": "`+b.Addr+`"`) {
		t.Fatalf("broker status -b: exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runMQ(t, "broker", "config", "-c", "DefaultCluster")
	if code != exitUsage || !strings.Contains(errOut, "no nameserver") {
		t.Fatalf("broker config -c without a nameserver: exit %d, %s", code, errOut)
	}
}
