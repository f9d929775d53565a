package admin_test

import (
	"testing"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/internal/mqtest"
)

// TestCreateOrderedTopic: an ordered topic is also written to ORDER_TOPIC_CONFIG on every
// nameserver ("brokerName:queues"), as mqadmin updateTopic -o true does; Apache's broker
// ignores the header's order flag. The -b form merges into what the nameservers hold.
func TestCreateOrderedTopic(t *testing.T) {
	ns1, ns2 := mqtest.StartNamesrv(t), mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns1.Addr+";"+ns2.Addr)
	a := newAdmin(t, ns1.Addr, ns2.Addr)
	bs := []admin.Broker{{Name: b.Config.BrokerName, Addr: b.Addr}}

	tc := topic("Ordered", 4, 4)
	tc.Order = true
	res, ns := a.CreateOrderedTopic(ctxT(t), bs, tc, true)
	if res.Err() != nil || ns == nil || ns.Err() != nil || ns.Total() != 2 {
		t.Fatalf("create: %v %+v", res.Err(), ns)
	}
	for _, addr := range []string{ns1.Addr, ns2.Addr} {
		v, err := newAdmin(t, addr).KV(ctxT(t), admin.NamespaceOrderTopicConfig, "Ordered")
		if want := b.Config.BrokerName + ":4"; err != nil || v != want {
			t.Fatalf("%s: ORDER_TOPIC_CONFIG/Ordered = %q, %v; want %q", addr, v, err, want)
		}
	}

	// -b form: another broker's entry is kept, this one's replaced.
	if err := a.PutKV(ctxT(t), admin.NamespaceOrderTopicConfig, "Ordered", "zz-other:8;"+b.Config.BrokerName+":2").Err(); err != nil {
		t.Fatal(err)
	}
	tc.WriteQueueNums = 6
	if _, ns := a.CreateOrderedTopic(ctxT(t), bs, tc, false); ns == nil || ns.Err() != nil {
		t.Fatalf("merge: %+v", ns)
	}
	if v, err := a.KV(ctxT(t), admin.NamespaceOrderTopicConfig, "Ordered"); err != nil || v != b.Config.BrokerName+":6;zz-other:8" {
		t.Fatalf("merged: %q %v", v, err)
	}

	// Not ordered: the nameservers are not asked.
	if _, ns := a.CreateOrderedTopic(ctxT(t), bs, topic("Plain", 1, 1), true); ns != nil {
		t.Fatalf("plain topic wrote ORDER_TOPIC_CONFIG: %+v", ns)
	}
}
