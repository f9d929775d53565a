package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// sendCluster starts a real nameserver and broker with topic (4 queues) and returns the
// nameserver's and broker's addresses.
func sendCluster(t *testing.T, topic string) (ns string, b *mqtest.Broker) {
	t.Helper()
	n := mqtest.StartNamesrv(t)
	b = mqtest.StartBroker(t, n.Addr)
	if code, _, errOut := runMQ(t, "topic", "create", "-n", n.Addr, "-t", topic, "-b", b.Addr, "-r", "4", "-w", "4"); code != 0 {
		t.Fatalf("topic create: %s", errOut)
	}
	return n.Addr, b
}

func sendJSON(t *testing.T, args ...string) sendView {
	t.Helper()
	code, out, errOut := runMQ(t, append([]string{"send", "-o", "json"}, args...)...)
	var v sendView
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Sent == 0 {
		t.Fatalf("send %v: exit %d %s %s", args, code, out, errOut)
	}
	return v
}

// TestSendSpreadsQueues: single sends start at a random queue, so repeated `mq send` runs do
// not all land on queue 0; --sharding-key still pins one queue.
func TestSendSpreadsQueues(t *testing.T) {
	ns, _ := sendCluster(t, "Spread")
	used, keyed := map[int32]int{}, map[int32]int{}
	for range 16 {
		used[sendJSON(t, "-n", ns, "-t", "Spread", "x").Results[0].QueueID]++
		keyed[sendJSON(t, "-n", ns, "-t", "Spread", "--sharding-key", "order-7", "x").Results[0].QueueID]++
	}
	if len(used) < 2 || len(keyed) != 1 {
		t.Fatalf("queues used by 16 single sends %v, by a sharding key %v", used, keyed)
	}
}

// TestSendRetryTopicApache: `mq send -t %RETRY%g1` on Apache stays in the retry topic (it
// does not carry maxReconsumeTimes=0, which Apache 4.9 dead-letters at once).
func TestSendRetryTopicApache(t *testing.T) {
	n := mqtest.StartNamesrv(t)
	retry := protocol.NewTopicConfig(admin.RetryTopic("g1"))
	retry.ReadQueueNums, retry.WriteQueueNums = 1, 1
	fb, err := admintest.Start(admintest.Config{Topics: []protocol.TopicConfig{retry}, Groups: []string{"g1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fb.Close() })
	if err := fb.Register(t.Context(), n.Addr); err != nil {
		t.Fatal(err)
	}
	sendJSON(t, "-n", n.Addr, "-t", admin.RetryTopic("g1"), "again")
	if dlq := fb.Messages(admin.DLQTopic("g1")); len(dlq) != 0 {
		t.Fatalf("dead-lettered: %+v", dlq)
	}
	if got := fb.Messages(admin.RetryTopic("g1")); len(got) != 1 || string(got[0].Message.Body) != "again" {
		t.Fatalf("retry topic holds %+v", got)
	}
}

// TestSendTrace: `mq send --trace` writes a Pub record the way the official client does, so
// `mq message trace` finds the CLI-sent message.
func TestSendTrace(t *testing.T) {
	ns, _ := sendCluster(t, "Traced")
	v := sendJSON(t, "-n", ns, "-t", "Traced", "--trace", "--key", "k1", "--tag", "TagT", "traced")
	id := v.Results[0].MsgID
	var tr admin.Trace
	mqtest.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		code, out, errOut := runMQ(t, "message", "trace", "-n", ns, "-i", id, "-o", "json")
		if code != 0 || json.Unmarshal([]byte(out), &tr) != nil || len(tr.Records) == 0 {
			return fmt.Errorf("trace: %d %s %s", code, out, errOut)
		}
		return nil
	})
	r := tr.Records[0]
	if r.Type != admin.TracePub || r.Topic != "Traced" || r.Keys != "k1" || r.Tags != "TagT" || r.Group != "TOOLS_PRODUCER" ||
		!r.Success || r.OffsetMsgID != v.Results[0].OffsetMsgID || r.Region == "" {
		t.Fatalf("pub record %+v", r)
	}
	// Without --trace nothing is written.
	plain := sendJSON(t, "-n", ns, "-t", "Traced", "--key", "k2", "untraced").Results[0].MsgID
	if code, out, _ := runMQ(t, "message", "trace", "-n", ns, "-i", plain, "-o", "json"); code == 0 && strings.Contains(out, `"type": "Pub"`) {
		t.Fatalf("untraced message has a trace: %s", out)
	}
}

// TestSendTransaction: --transaction unknown leaves half messages (`mq txn half` counts them),
// commit makes the message visible, rollback does not.
func TestSendTransaction(t *testing.T) {
	ns, b := sendCluster(t, "Tx")
	sendJSON(t, "-n", ns, "-t", "Tx", "--transaction", "unknown", "-g", "demo-tx", "--count", "2", "half")
	mqtest.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		code, out, errOut := runMQ(t, "txn", "half", "-n", ns, "-b", b.Addr, "-o", "json")
		var rows []struct {
			Queues []protocol.HalfQueueStatus `json:"queues"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 {
			return fmt.Errorf("txn half: %d %s %s", code, out, errOut)
		}
		pending := int64(0)
		for _, q := range rows[0].Queues {
			pending += q.Pending
		}
		if pending != 2 {
			return fmt.Errorf("pending %d: %s", pending, out)
		}
		return nil
	})
	sendJSON(t, "-n", ns, "-t", "Tx", "--transaction", "rollback", "-g", "demo-tx", "rolled back")
	sendJSON(t, "-n", ns, "-t", "Tx", "--transaction", "commit", "-g", "demo-tx", "committed")
	mqtest.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		code, out, errOut := runMQ(t, "consume", "-n", ns, "-t", "Tx", "--from", "earliest", "-o", "jsonl")
		if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, `"body":"committed"`) {
			return fmt.Errorf("consume: %d %q %s", code, out, errOut)
		}
		return nil
	})
	if code, _, errOut := runMQ(t, "send", "-n", ns, "-t", "Tx", "--transaction", "maybe", "x"); code != exitUsage {
		t.Fatalf("--transaction maybe: %d %s", code, errOut)
	}
}

// TestConsumeGroupPullsAsGroup: `mq consume --group G` pulls as G, so the broker's stats count
// G's gets (what statsAll shows), not TOOLS_CONSUMER's.
func TestConsumeGroupPullsAsGroup(t *testing.T) {
	ns, b := sendCluster(t, "CG")
	sendJSON(t, "-n", ns, "-t", "CG", "--count", "3", "x")
	if code, _, errOut := runMQ(t, "group", "create", "-n", ns, "-g", "audit", "-b", b.Addr); code != 0 {
		t.Fatalf("group create: %s", errOut)
	}
	mqtest.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		code, out, errOut := runMQ(t, "consume", "-n", ns, "-t", "CG", "--group", "audit", "--from", "earliest", "-o", "jsonl")
		if code != 0 || strings.Count(out, "\n") != 3 {
			return fmt.Errorf("consume: %d %q %s", code, out, errOut)
		}
		return nil
	})
	a, err := admin.New(admin.Options{NameServers: []string{ns}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	d, err := a.BrokerStats(t.Context(), b.Addr, "GROUP_GET_NUMS", "CG@audit")
	if err != nil || d.StatsMinute.Sum < 3 {
		t.Fatalf("GROUP_GET_NUMS CG@audit: %+v %v", d, err)
	}
}

// TestDLQResendApache: `mq dlq resend` on Apache puts the dead letter into the group's retry
// topic and not straight back into %DLQ%: the resend does not carry maxReconsumeTimes=0.
func TestDLQResendApache(t *testing.T) {
	n := mqtest.StartNamesrv(t)
	var topics []protocol.TopicConfig
	for _, name := range []string{admin.RetryTopic("g1"), admin.DLQTopic("g1"), "Orders"} {
		tc := protocol.NewTopicConfig(name)
		tc.ReadQueueNums, tc.WriteQueueNums = 1, 1
		topics = append(topics, tc)
	}
	fb, err := admintest.Start(admintest.Config{Topics: topics, Groups: []string{"g1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fb.Close() })
	if err := fb.Register(t.Context(), n.Addr); err != nil {
		t.Fatal(err)
	}
	dead := message.MessageExt{Message: message.Message{Body: []byte("poison"),
		Properties: map[string]string{message.PropertyRetryTopic: "Orders", message.PropertyUniqClientMessageIDKeyIndex: "AC11000100002A9F0000000000000001"}},
		ReconsumeTimes: 16}
	fb.Put(admin.DLQTopic("g1"), 0, dead)
	code, out, errOut := runMQ(t, "dlq", "resend", "-n", n.Addr, "-g", "g1", "--all", "--yes", "-o", "json")
	if code != 0 || !strings.Contains(out, `"to": "%RETRY%g1"`) {
		t.Fatalf("resend: %d %s %s", code, out, errOut)
	}
	if got := fb.Messages(admin.DLQTopic("g1")); len(got) != 1 {
		t.Fatalf("the DLQ holds %d messages (the resend went back into it)", len(got))
	}
	got := fb.Messages(admin.RetryTopic("g1"))
	if len(got) != 1 || string(got[0].Message.Body) != "poison" || got[0].Message.Properties[message.PropertyRetryTopic] != "Orders" {
		t.Fatalf("retry topic holds %+v", got)
	}
}

// TestSendTraceNoTraceTopic: Apache has no RMQ_SYS_TRACE_TOPIC unless traceTopicEnable is on;
// the message is sent, the missing trace is a partial answer (exit 3) that says what to do.
func TestSendTraceNoTraceTopic(t *testing.T) {
	n := mqtest.StartNamesrv(t)
	tc := protocol.NewTopicConfig("T")
	tc.ReadQueueNums, tc.WriteQueueNums = 1, 1
	fb, err := admintest.Start(admintest.Config{Topics: []protocol.TopicConfig{tc}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fb.Close() })
	if err := fb.Register(t.Context(), n.Addr); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runMQ(t, "send", "-n", n.Addr, "-t", "T", "--trace", "x")
	if code != exitPartial || !strings.Contains(errOut, "topic RMQ_SYS_TRACE_TOPIC does not exist (set traceTopicEnable=true") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := fb.Messages("T"); len(got) != 1 {
		t.Fatalf("sent %d", len(got))
	}
}
