package admin_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// Answers pinned against admintest's Apache 4.9.8 stand-in (issue 10, "Wrong against Apache").

// TestSendToRetryTopic: a send to %RETRY%G (a DLQ resend, `mq send -t %RETRY%G`) stays in the
// retry topic. Apache moves a message with reconsumeTimes >= maxReconsumeTimes to %DLQ%G, so
// the send must not carry maxReconsumeTimes=0; with the field left out the group's
// retryMaxTimes (16) applies. On mq the message lands in the retry topic too.
func TestSendToRetryTopic(t *testing.T) {
	t.Run("broker=apache", func(t *testing.T) {
		fb := startBroker(t, "", admintest.Config{Groups: []string{"G"}})
		a := newAdmin(t, "127.0.0.1:1")
		r, err := a.Send(ctxT(t), fb.Addr, admin.SendRequest{BrokerName: "broker-a",
			Message: message.Message{Topic: admin.RetryTopic("G"), Body: []byte("again")}})
		if err != nil {
			t.Fatal(err)
		}
		if got := fb.Messages(admin.DLQTopic("G")); len(got) != 0 {
			t.Fatalf("the resend went to the DLQ: %+v", got)
		}
		if got := fb.Messages(admin.RetryTopic("G")); len(got) != 1 || string(got[0].Message.Body) != "again" || r.QueueOffset != 0 {
			t.Fatalf("retry topic holds %+v (send %+v)", got, r)
		}
		// An explicit maximum is still honoured: 0 dead-letters at once, as on Apache.
		if _, err := a.Send(ctxT(t), fb.Addr, admin.SendRequest{BrokerName: "broker-a", MaxReconsumeTimes: 1,
			Message: message.Message{Topic: admin.RetryTopic("G"), Body: []byte("b")}}); err != nil {
			t.Fatal(err)
		}
		if got := fb.Messages(admin.RetryTopic("G")); len(got) != 2 {
			t.Fatalf("retry topic holds %d", len(got))
		}
	})
	t.Run("broker=mq", func(t *testing.T) {
		a, b := realCluster(t, "RetrySend")
		if err := a.CreateGroup(ctxT(t), []admin.Broker{{Name: b.Config.BrokerName, Addr: b.Addr}},
			protocol.NewSubscriptionGroupConfig("G")).Err(); err != nil {
			t.Fatal(err)
		}
		r, err := a.Send(ctxT(t), b.Addr, admin.SendRequest{BrokerName: b.Config.BrokerName,
			Message: message.Message{Topic: admin.RetryTopic("G"), Body: []byte("again")}})
		if err != nil {
			t.Fatal(err)
		}
		mqtest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
			m, err := a.MessageAt(ctxT(t), b.Addr, b.Config.BrokerName, admin.RetryTopic("G"), r.QueueID, r.QueueOffset)
			if err != nil || string(m.Body) != "again" {
				return fmt.Errorf("retry topic: %v %+v", err, m)
			}
			return nil
		})
	})
}

// TestDelayStatusApache: every level of messageDelayLevel shows, with the max offset of its
// SCHEDULE_TOPIC_XXXX queue; a level that never delivered (no scheduleMessageOffset_N in
// runtime info) counts from 0.
func TestDelayStatusApache(t *testing.T) {
	fb := startBroker(t, "", admintest.Config{Topics: []protocol.TopicConfig{topic("T", 1, 1)}})
	a := newAdmin(t, "127.0.0.1:1")
	for _, level := range []string{"3", "3", "1"} {
		if _, err := a.Send(ctxT(t), fb.Addr, admin.SendRequest{BrokerName: "broker-a", Message: message.Message{Topic: "T",
			Properties: map[string]string{message.PropertyDelayTimeLevel: level}, Body: []byte("later")}}); err != nil {
			t.Fatal(err)
		}
	}
	fb.Deliver(1, 1)
	ds, err := a.DelayStatus(ctxT(t), fb.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Source != admin.SourceFallback || len(ds.Levels) != 18 || ds.Timer != nil {
		t.Fatalf("delay status %+v", ds)
	}
	if l := ds.Levels[0]; l.Level != 1 || l.DelayMillis != 1000 || l.DeliveredOffset != 1 || l.MaxOffset != 1 || l.Pending != 0 {
		t.Errorf("level 1: %+v", l)
	}
	if l := ds.Levels[2]; l.Level != 3 || l.DelayMillis != 10000 || l.DeliveredOffset != 0 || l.MaxOffset != 2 || l.Pending != 2 {
		t.Errorf("level 3: %+v", l)
	}
	if l := ds.Levels[17]; l.Level != 18 || l.DelayMillis != 7200000 || l.Pending != 0 {
		t.Errorf("level 18: %+v", l)
	}
}

// TestTransactionStatusApache: Apache has no RMQ_SYS_TRANS_OP_HALF_TOPIC until a first commit
// or rollback; the checker's position is group CID_RMQ_SYS_TRANS's offset on the half topic,
// so pending is max − that.
func TestTransactionStatusApache(t *testing.T) {
	fb := startBroker(t, "", admintest.Config{Topics: []protocol.TopicConfig{topic("T", 1, 1)}})
	a := newAdmin(t, "127.0.0.1:1")
	ts, err := a.TransactionStatus(ctxT(t), fb.Addr, 10)
	if err != nil || ts.Source != admin.SourceFallback || len(ts.Queues) != 0 {
		t.Fatalf("before any transaction: %v %+v", err, ts)
	}
	for range 3 {
		if _, err := a.Send(ctxT(t), fb.Addr, admin.SendRequest{BrokerName: "broker-a", SysFlag: message.TransactionPreparedType,
			Message: message.Message{Topic: "T", Body: []byte("half")}}); err != nil {
			t.Fatal(err)
		}
	}
	ts, err = a.TransactionStatus(ctxT(t), fb.Addr, 10)
	if err != nil || len(ts.Queues) != 1 || ts.Queues[0].MaxOffset != 3 || ts.Queues[0].HalfOffset != 0 || ts.Queues[0].Pending != 3 {
		t.Fatalf("three halves: %v %+v", err, ts)
	}
	fb.SetConsumerOffset(admin.TransactionCheckGroup, admin.HalfTopic, 0, 2)
	ts, err = a.TransactionStatus(ctxT(t), fb.Addr, 10)
	if err != nil || ts.Queues[0].HalfOffset != 2 || ts.Queues[0].Pending != 1 {
		t.Fatalf("checker at 2: %v %+v", err, ts)
	}
}

// TestProgressOwnersClientGoneApache: a consumer listed among the group's connections that has
// gone away by the time its running info is asked (Apache: SYSTEM_ERROR "The Consumer <G> <C>
// not online") owns no queue; it is not an error.
func TestProgressOwnersClientGoneApache(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	fb := startBroker(t, ns.Addr, admintest.Config{Cluster: "C", Name: "broker-a", Topics: []protocol.TopicConfig{topic("TopicTest", 1, 1)},
		Groups: []string{"g1"}})
	a := newAdmin(t, ns.Addr)
	gp, err := a.GroupProgress(ctxT(t), "g1", "")
	if err != nil || len(gp.Queues) == 0 {
		t.Fatalf("progress: %v %+v", err, gp)
	}
	// (the stand-in's committed offsets point past its queues: the time-lag reads fail, which
	// is not what this test is about)
	if err := a.ProgressDetails(ctxT(t), &gp, true); err != nil && strings.Contains(err.Error(), "not online") {
		t.Errorf("a gone client is an error: %v", err)
	}
	for _, q := range gp.Queues {
		if q.Client != "" {
			t.Errorf("queue %s/%d owned by %q", q.Topic, q.QueueID, q.Client)
		}
	}
	codes, _ := fb.Requests()
	if !slices.Contains(codes, protocol.GetConsumerRunningInfo) {
		t.Errorf("running info never asked: %v", codes)
	}
}
