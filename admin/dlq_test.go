package admin_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
)

// readAll reads every message of topic.
func readAll(t *testing.T, a *admin.Admin, topic string) []message.MessageExt {
	t.Helper()
	rd, err := a.TopicRoute(ctxT(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []message.MessageExt
	for _, q := range admin.TopicQueues(rd, false) {
		if _, err := a.ScanQueue(ctxT(t), admin.QueueScan{Addr: q.Addr, BrokerName: q.BrokerName, Topic: topic, QueueID: q.QueueID, From: -1},
			func(m *message.MessageExt) bool { out = append(out, *m); return true }); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestResendDeadLetters: dead letters of a group go back to its retry topic naming the
// original topic, or, without a retry topic, to the original topic; each copy is a new
// message pointing at the dead letter; one whose original topic is gone fails alone.
func TestResendDeadLetters(t *testing.T) {
	a, b := realCluster(t, "Orders")
	for _, name := range []string{admin.DLQTopic("g1"), admin.DLQTopic("g2"), admin.RetryTopic("g2")} {
		if err := a.CreateTopicOnBroker(ctxT(t), b.Addr, topic(name, 1, 1)); err != nil {
			t.Fatal(err)
		}
	}
	send := func(topic string, props map[string]string, body string) {
		t.Helper()
		props[message.PropertyUniqClientMessageIDKeyIndex] = body + "-uniq"
		if _, err := a.Send(ctxT(t), b.Addr, admin.SendRequest{BrokerName: b.Config.BrokerName,
			Message: message.Message{Topic: topic, Properties: props, Body: []byte(body)}}); err != nil {
			t.Fatal(err)
		}
	}
	send(admin.DLQTopic("g1"), map[string]string{message.PropertyRetryTopic: "Orders", message.PropertyReconsumeTime: "16"}, "dead-1")
	send(admin.DLQTopic("g1"), map[string]string{message.PropertyRetryTopic: "Gone"}, "dead-2")
	send(admin.DLQTopic("g2"), map[string]string{message.PropertyRetryTopic: "Orders"}, "dead-3")
	var dl []message.MessageExt
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		var err error
		dl, err = a.DeadLetters(ctxT(t), "g1", "", 10)
		if err == nil && len(dl) != 2 {
			err = fmt.Errorf("%d dead letters of g1, want 2", len(dl))
		}
		return err
	})
	if got, err := a.DeadLetters(ctxT(t), "g1", "", 1); err != nil || len(got) != 1 {
		t.Fatalf("max 1: %d, %v", len(got), err)
	}

	// g1 has no retry topic: the copy goes to Orders; "Gone" does not exist.
	res := a.ResendDeadLetters(ctxT(t), "g1", dl)
	if len(res) != 2 || res[0].To != "Orders" || res[0].Error != "" || res[0].NewMsgID == "" || res[1].To != "Gone" || res[1].Error == "" {
		t.Fatalf("g1: %+v", res)
	}
	var copyOf *message.MessageExt
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		for _, m := range readAll(t, a, "Orders") {
			if string(m.Body) == "dead-1" {
				copyOf = &m
				return nil
			}
		}
		return fmt.Errorf("no copy of dead-1 in Orders")
	})
	if copyOf.Properties[message.PropertyOriginMessageID] != dl[0].MsgID() || copyOf.MsgID() == dl[0].MsgID() ||
		copyOf.Properties[message.PropertyReconsumeTime] != "" {
		t.Errorf("copy properties %v (dead letter %s)", copyOf.Properties, dl[0].MsgID())
	}

	// g2 has a retry topic: the copy goes there, naming Orders.
	dl2, err := a.DeadLetters(ctxT(t), "g2", "", 10)
	if err != nil || len(dl2) != 1 {
		t.Fatalf("g2 dead letters: %d %v", len(dl2), err)
	}
	res = a.ResendDeadLetters(ctxT(t), "g2", dl2)
	if len(res) != 1 || res[0].To != admin.RetryTopic("g2") || res[0].Error != "" {
		t.Fatalf("g2: %+v", res)
	}
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		for _, m := range readAll(t, a, admin.RetryTopic("g2")) {
			if string(m.Body) == "dead-3" && m.Properties[message.PropertyRetryTopic] == "Orders" {
				return nil
			}
		}
		return fmt.Errorf("no copy of dead-3 in %s naming Orders", admin.RetryTopic("g2"))
	})
}
