package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// TestTUIApacheStandIn drives the views over the real admin library against a real nameserver
// and the Apache stand-in (admintest: Apache's bodies, none of mq's own codes), with a second
// broker registered but not answering: the views fall back where Apache lacks mq's codes and
// show the silent broker as DOWN.
func TestTUIApacheStandIn(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	tc := protocol.NewTopicConfig("ApacheOrders")
	tc.ReadQueueNums, tc.WriteQueueNums = 2, 2
	b, err := admintest.Start(admintest.Config{Cluster: "C1", Name: "broker-a", Topics: []protocol.TopicConfig{tc}, Groups: []string{"g1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := b.Register(ctx, ns.Addr); err != nil {
		t.Fatal(err)
	}
	d, err := admintest.RegisterDead(ctx, ns.Addr, "C1", "broker-b", tc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	a, err := admin.New(admin.Options{NameServers: []string{ns.Addr}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	m := New(Config{Source: a, NameServers: ns.Addr, NoColor: true, Context: context.Background(), Timeout: 10 * time.Second})
	send(t, m, tea.WindowSizeMsg{Width: 200, Height: 40})
	run(t, m, m.Init())
	for _, step := range []struct {
		cmd  string
		want []string
	}{
		{"", []string{"1/2 brokers answered", b.Addr, "DOWN"}},
		{"topics", []string{"ApacheOrders", "normal", "RW-"}},
		{"topics ApacheOrders", []string{"route:", "BROKER", "broker-a"}},
		{"groups", []string{"g1"}},
		{"delay", []string{"1/2 brokers answered", "DOWN"}},
		{"txn", []string{"1/2 brokers answered", "pending half messages: none", "DOWN"}}, // never a transaction: no half topic
		{"half", []string{"1/2 brokers answered", "DOWN", "KEYS", "order-77", "ApacheOrders", "pg-orders", "fallback"}},
	} {
		if step.cmd == "half" { // a pending half message: Apache lists none, its KEYS come from the half queue
			if _, err := a.Send(ctx, b.Addr, admin.SendRequest{BrokerName: "broker-a", SysFlag: message.TransactionPreparedType,
				Message: message.Message{Topic: "ApacheOrders", Body: []byte("half"),
					Properties: map[string]string{message.PropertyKeys: "order-77", message.PropertyProducerGroup: "pg-orders"}}}); err != nil {
				t.Fatal(err)
			}
		}
		if step.cmd != "" {
			press(t, m, ":")
			typeText(t, m, step.cmd)
			press(t, m, "enter")
		}
		s := screen(t, m)
		for _, w := range step.want {
			if !strings.Contains(s, w) {
				t.Errorf(":%s: screen lacks %q:\n%s", step.cmd, w, s)
			}
		}
	}
}
