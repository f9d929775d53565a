package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// TestTUIRealCluster drives the model over the real admin library against a real nameserver
// and broker: the brokers view lists the broker, the messages view shows what was sent.
func TestTUIRealCluster(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns.Addr)
	a, err := admin.New(admin.Options{NameServers: []string{ns.Addr}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	tc := protocol.NewTopicConfig("TuiOrders")
	tc.ReadQueueNums, tc.WriteQueueNums = 2, 2
	if err := a.CreateTopicOnBroker(t.Context(), b.Addr, tc); err != nil {
		t.Fatal(err)
	}
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		rd, err := a.TopicRoute(t.Context(), "TuiOrders")
		if err != nil || len(admin.TopicQueues(rd, true)) != 2 {
			return fmt.Errorf("route: %v", err)
		}
		return nil
	})
	// 40 messages on queue 0 (more than one pull of 32) and the newest on queue 1.
	const sent = 41
	for i := range sent {
		_, err := a.Send(t.Context(), b.Addr, admin.SendRequest{BrokerName: b.Config.BrokerName, QueueID: int32(i / 40),
			Message: message.Message{Topic: "TuiOrders", Properties: map[string]string{message.PropertyTags: "tui-tag"},
				Body: fmt.Appendf(nil, "real-body-%d", i)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Messages are readable once dispatched: wait for both queues' max offsets (40 + 1).
	mqtest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		var n int64
		for q := range int32(2) {
			off, err := a.MaxOffset(t.Context(), b.Addr, "TuiOrders", q)
			if err != nil {
				return err
			}
			n += off
		}
		if n != sent {
			return fmt.Errorf("%d of %d messages dispatched", n, sent)
		}
		return nil
	})
	m := New(Config{Source: a, NameServers: ns.Addr, NoColor: true, Context: t.Context()})
	send(t, m, tea.WindowSizeMsg{Width: 120, Height: 30})
	run(t, m, m.Init())
	if s := screen(t, m); !strings.Contains(s, b.Addr) || !strings.Contains(s, "1/1 broker answered") {
		t.Fatalf("brokers view lacks %s:\n%s", b.Addr, s)
	}
	press(t, m, ":")
	typeText(t, m, "msgs TuiOrders")
	press(t, m, "enter")
	s := screen(t, m)
	if !strings.Contains(s, fmt.Sprintf("[%d]", sent)) {
		t.Fatalf("messages view: want %d messages:\n%s", sent, s)
	}
	press(t, m, "down", "enter") // the second newest: the last of queue 0, past the first pull of 32
	if s := screen(t, m); !strings.Contains(s, "real-body-39") || !strings.Contains(s, "topic:        TuiOrders") {
		t.Fatalf("message view:\n%s", s)
	}
	// a pending half message: :half lists it with its KEYS, read from the half queue
	if _, err := a.Send(t.Context(), b.Addr, admin.SendRequest{BrokerName: b.Config.BrokerName, SysFlag: message.TransactionPreparedType,
		Message: message.Message{Topic: "TuiOrders", Body: []byte("half"),
			Properties: map[string]string{message.PropertyKeys: "half-key-1", message.PropertyProducerGroup: "tui-txn"}}}); err != nil {
		t.Fatal(err)
	}
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		press(t, m, ":")
		typeText(t, m, "half")
		press(t, m, "enter")
		if s := screen(t, m); !strings.Contains(s, "half-key-1") || !strings.Contains(s, "tui-txn") || strings.Contains(s, "error") {
			return fmt.Errorf("half view:\n%s", s)
		}
		return nil
	})
}
