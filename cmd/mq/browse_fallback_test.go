package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
)

// TestMessageBrowseFallsBackToSlave: with broker-a's master stopped, `mq message browse`
// reads broker-a's queues from its slave and says so on stderr, instead of showing broker-b's
// messages alone with exit 0.
func TestMessageBrowseFallsBackToSlave(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	m := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) { c.BrokerRole = broker.AsyncMaster })
	b := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) { c.BrokerName = "broker-b" })
	const tp = "BrowseFall"
	for _, addr := range []string{m.Addr, b.Addr} {
		if code, _, errOut := runMQ(t, "topic", "create", "-n", ns.Addr, "-t", tp, "-b", addr, "-r", "2", "-w", "2"); code != 0 {
			t.Fatalf("topic create on %s: %s", addr, errOut)
		}
	}
	a, err := admin.New(admin.Options{NameServers: []string{ns.Addr}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for name, addr := range map[string]string{"broker-a": m.Addr, "broker-b": b.Addr} {
		for i := range 3 {
			msg := message.Message{Topic: tp, Body: []byte(fmt.Sprintf("%s-%d", name, i))}
			if _, err := a.Send(ctx, addr, admin.SendRequest{BrokerName: name, QueueID: int32(i % 2), Message: msg}); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) {
		c.BrokerRole, c.BrokerID, c.HaSendHeartbeatInterval = broker.Slave, 1, 200
	})
	mqtest.WaitSlaveCaughtUp(t, a, m.Addr, s.Addr, func() error {
		if _, ok := s.Topics().Get(tp); !ok {
			return fmt.Errorf("slave has no config for %s yet", tp)
		}
		return nil
	})
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	var rows []messageView
	mqtest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error { // the slave serves once it lost its master
		code, out, errOut := runMQ(t, "message", "browse", "-n", ns.Addr, "-t", tp, "--begin", "1h", "-o", "json")
		if code != 0 {
			return fmt.Errorf("exit %d: %s", code, errOut)
		}
		if !strings.Contains(errOut, "broker-a read from its slave "+s.Addr) {
			return fmt.Errorf("stderr %q does not name the slave", errOut)
		}
		rows = nil
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		if len(rows) != 6 {
			return fmt.Errorf("%d messages, want 6: %s", len(rows), out)
		}
		return nil
	})
	perBroker := map[string]int{}
	for _, r := range rows {
		perBroker[r.BrokerName]++
	}
	if perBroker["broker-a"] != 3 || perBroker["broker-b"] != 3 {
		t.Fatalf("messages by broker %v, want 3 and 3", perBroker)
	}

	// The per-broker read views ask broker-a's slave too, and say so.
	for _, args := range [][]string{{"group", "list"}, {"delay", "status"}, {"txn", "half"}, {"broker", "status"}} {
		code, out, errOut := runMQ(t, append(args, "-n", ns.Addr, "-c", "DefaultCluster", "-o", "json")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if !strings.Contains(errOut, "broker-a answered by its slave "+s.Addr) || !strings.Contains(out, `"brokerName": "broker-a"`) {
			t.Fatalf("%v does not read broker-a from its slave: stderr %q, out %.300s", args, errOut, out)
		}
	}
}
