package admin_test

import (
	"errors"
	"testing"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/internal/mqtest"
)

// TestBrokersOnly: an Admin without nameservers talks to a broker by address, and calls
// that need a nameserver say so.
func TestBrokersOnly(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns.Addr)
	a, err := admin.New(admin.Options{BrokersOnly: true, Logger: mqtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	cfg, err := a.BrokerConfig(ctxT(t), b.Addr)
	if err != nil || cfg["brokerName"] != b.Config.BrokerName {
		t.Fatalf("BrokerConfig: %v %v", cfg["brokerName"], err)
	}
	bs, err := a.ResolveBrokers(ctxT(t), "", b.Addr)
	if err != nil || len(bs) != 1 || bs[0].Addr != b.Addr {
		t.Fatalf("ResolveBrokers: %+v %v", bs, err)
	}
	if _, err := a.ClusterInfo(ctxT(t)); !errors.Is(err, admin.ErrNoNameServers) {
		t.Fatalf("ClusterInfo without nameservers: %v", err)
	}
}
