package admin_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// TestReadViewsFallBackToSlave: with broker-a's master stopped, topic status, group
// progress and key queries read broker-a from its slave and say so; broker-c, routed but
// with no live broker, makes the answer partial instead of disappearing.
func TestReadViewsFallBackToSlave(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	a := newAdmin(t, ns.Addr)
	ctx := ctxT(t)
	const tp, group = "FallTopic", "fall-group"
	m := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) { c.BrokerRole = broker.AsyncMaster })
	b := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) { c.BrokerName = "broker-b" })
	for _, addr := range []string{m.Addr, b.Addr} {
		if err := a.CreateTopicOnBroker(ctx, addr, topic(tp, 2, 2)); err != nil {
			t.Fatal(err)
		}
	}
	var offsetID string // of broker-a's last message
	send := func(name string, n int) {
		for i := range n {
			msg := message.Message{Topic: tp, Body: []byte("x"), Properties: map[string]string{message.PropertyKeys: "k-" + name}}
			res, err := a.Send(ctx, map[string]string{"broker-a": m.Addr, "broker-b": b.Addr}[name], admin.SendRequest{BrokerName: name, QueueID: int32(i % 2), Message: msg})
			if err != nil {
				t.Fatal(err)
			}
			if name == "broker-a" {
				offsetID = res.OffsetMsgID
			}
		}
	}
	send("broker-a", 30)
	send("broker-b", 4)
	for q := range int32(2) {
		if err := a.UpdateConsumerOffset(ctx, m.Addr, group, tp, q, 5); err != nil {
			t.Fatal(err)
		}
	}
	// The slave copies topics and offsets from the master when it first learns of it.
	s := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) {
		c.BrokerRole, c.BrokerID, c.HaSendHeartbeatInterval = broker.Slave, 1, 200
	})
	mqtest.WaitSlaveCaughtUp(t, a, m.Addr, s.Addr, func() error {
		if off, err := a.ConsumerOffset(ctx, s.Addr, group, tp, 1); err != nil || off != 5 {
			return fmt.Errorf("slave offset %d: %v", off, err)
		}
		return nil
	})
	registerDead(t, ns.Addr, "DefaultCluster", "broker-c", topic(tp, 2, 2))
	sctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := m.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}

	ts, err := a.TopicStatus(ctx, tp)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Brokers.Err(); !admin.IsPartial(err) || !onlyFailed(err, "broker-c") {
		t.Fatalf("topic status error %v, want partial naming broker-c", err)
	}
	byName := map[string]int64{}
	for _, q := range ts.Queues {
		byName[q.BrokerName] += q.MaxOffset
		if q.FromSlave != (q.BrokerName == "broker-a") {
			t.Errorf("queue %+v: fromSlave %v", q, q.FromSlave)
		}
	}
	if byName["broker-a"] != 30 || byName["broker-b"] != 4 {
		t.Fatalf("topic status sums %v, want broker-a 30 (from the slave) and broker-b 4", byName)
	}
	for _, it := range ts.Brokers.Items {
		if it.Name == "broker-a" && (it.Addr != s.Addr || !it.FromSlave()) {
			t.Fatalf("broker-a answered by %s (id %d), want the slave %s", it.Addr, it.ID, s.Addr)
		}
	}

	gp, err := a.GroupProgress(ctx, group, tp)
	if err != nil {
		t.Fatal(err)
	}
	if !admin.IsPartial(gp.Brokers.Err()) {
		t.Fatalf("group progress error %v, want partial (broker-c)", gp.Brokers.Err())
	}
	var lagA int64
	for _, q := range gp.Queues {
		if q.BrokerName == "broker-a" {
			lagA += q.Lag
			if !q.FromSlave {
				t.Errorf("queue %+v not marked from the slave", q)
			}
		}
	}
	if lagA != 20 {
		t.Fatalf("broker-a lag %d, want 20 (30 stored on the slave, 5+5 committed)", lagA)
	}

	gc, _ := a.GroupConnections(ctx, group) // no consumer is online anywhere: a GroupError
	askedA := false
	for _, it := range gc.Brokers.Items {
		if it.Name == "broker-a" {
			askedA = it.Err == nil && it.Addr == s.Addr
		}
	}
	if !askedA {
		t.Fatalf("group connections did not ask broker-a's slave: %+v", gc.Brokers.Items)
	}

	for _, topic := range []string{tp, ""} { // without a topic, every cluster's slaves are asked
		found, kind, err := a.MessageByID(ctx, topic, offsetID)
		if err != nil || kind != admin.IDOffset || len(found) != 1 || found[0].Addr != s.Addr {
			t.Fatalf("offset id %s of the dead master (topic %q): %v %v %+v, want the record from the slave", offsetID, topic, kind, err, found)
		}
	}

	kq, err := a.QueryByKey(ctx, tp, "k-broker-a", 0, 0, 0)
	if !admin.IsPartial(err) {
		t.Fatalf("key query error %v, want partial (broker-c)", err)
	}
	if len(kq.Messages) != 30 || kq.Messages[0].Addr != s.Addr {
		t.Fatalf("key query found %d messages (first from %v), want 30 from the slave", len(kq.Messages), kq.Messages)
	}

	// Browsing (raw pulls) reads broker-a's queues from its slave; broker-c's registered
	// master does not answer.
	rd, err := a.TopicRoute(ctx, tp)
	if err != nil {
		t.Fatal(err)
	}
	qs, missing := admin.ReadQueues(rd)
	if len(missing) != 0 {
		t.Fatalf("missing %v, want none (every brokerName has a broker in the route)", missing)
	}
	read, failed := map[string]int{}, map[string]bool{}
	for _, q := range qs {
		if q.FromSlave() != (q.BrokerName == "broker-a") || (q.BrokerName == "broker-a" && q.Addr != s.Addr) {
			t.Fatalf("queue %+v: read from the wrong broker", q)
		}
		if _, err := a.ScanQueue(ctx, admin.QueueScan{Addr: q.Addr, BrokerName: q.BrokerName, Topic: tp, QueueID: q.QueueID, From: -1},
			func(*message.MessageExt) bool { read[q.BrokerName]++; return true }); err != nil {
			failed[q.BrokerName] = true
		}
	}
	if read["broker-a"] != 30 || read["broker-b"] != 4 || len(failed) != 1 || !failed["broker-c"] {
		t.Fatalf("browsed %v, failed %v; want broker-a 30 (from the slave), broker-b 4 and broker-c failed", read, failed)
	}
}

// TestReadQueues: each brokerName's read queues come from its master, or its lowest slave
// when the route lists no master; a brokerName with queues and no broker is missing; queues
// without read permission are left out.
func TestReadQueues(t *testing.T) {
	rd := protocol.TopicRouteData{
		BrokerDatas: []protocol.BrokerData{
			{BrokerName: "a", BrokerAddrs: protocol.BrokerAddrs{0: "m-a", 1: "s-a"}},
			{BrokerName: "b", BrokerAddrs: protocol.BrokerAddrs{2: "s2-b", 1: "s1-b"}},
			{BrokerName: "w", BrokerAddrs: protocol.BrokerAddrs{0: "m-w"}},
		},
		QueueDatas: []protocol.QueueData{
			{BrokerName: "b", ReadQueueNums: 1, WriteQueueNums: 1, Perm: protocol.PermRead | protocol.PermWrite},
			{BrokerName: "a", ReadQueueNums: 2, WriteQueueNums: 4, Perm: protocol.PermRead | protocol.PermWrite},
			{BrokerName: "c", ReadQueueNums: 2, WriteQueueNums: 2, Perm: protocol.PermRead},
			{BrokerName: "w", ReadQueueNums: 2, WriteQueueNums: 2, Perm: protocol.PermWrite},
		},
	}
	qs, missing := admin.ReadQueues(rd)
	var got []string
	for _, q := range qs {
		got = append(got, fmt.Sprintf("%s/%d@%s#%d", q.BrokerName, q.QueueID, q.Addr, q.ID))
	}
	want := []string{"a/0@m-a#0", "a/1@m-a#0", "b/0@s1-b#1"}
	if !slices.Equal(got, want) || !slices.Equal(missing, []string{"c"}) {
		t.Fatalf("queues %v, missing %v; want %v and [c]", got, missing, want)
	}
}

// onlyFailed reports whether err is a fan-out error where only the brokerName name failed.
func onlyFailed(err error, name string) bool {
	var fe *admin.FanoutError
	var te *admin.TargetError
	return errors.As(err, &fe) && len(fe.Errs) == 1 && errors.As(fe.Errs[0], &te) && te.Name == name
}
