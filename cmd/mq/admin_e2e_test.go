package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/internal/mqtest"
)

// tracedRuns counts the runs of the test below in this process. The official client keeps
// one trace client a process (its key: the client's IP and a fixed instance name) with the
// nameserver it was made for; a traced client for another nameserver later gets a nil trace
// dispatcher and panics in its constructor. So the test runs once a process (-count=2 skips
// its second run).
var tracedRuns atomic.Int32

const traceOncePerProcess = "the official client's trace client is made once a process, for the first test's nameserver"

// TestMessageLifecycleWithGoClient sends and consumes a message with the official Go client,
// tracing on, against a real nameserver and broker, and checks what the admin commands say
// about it: `mq message trace` shows the send and the consume, `mq message get` takes
// either id, `mq message resend` has the online consumer consume it again, `mq group progress`
// shows the lag and time lag the test produced, and reset-offset's preview is what it does.
func TestMessageLifecycleWithGoClient(t *testing.T) {
	if tracedRuns.Add(1) > 1 {
		t.Skip(traceOncePerProcess)
	}
	ns := mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns.Addr)
	const topic, group = "LifeT", "life-consumer"
	for _, tp := range []string{topic} {
		if code, _, errOut := runMQ(t, "topic", "create", "-n", ns.Addr, "-t", tp, "-b", b.Addr, "-r", "2", "-w", "2"); code != 0 {
			t.Fatalf("topic create %s: %s", tp, errOut)
		}
	}
	trace := func() *primitive.TraceConfig {
		return &primitive.TraceConfig{Access: primitive.Local, Resolver: primitive.NewPassthroughResolver([]string{ns.Addr})}
	}
	// Both clients are made before either starts: the official client's constructor writes
	// what a started client's route goroutine reads (a data race under -race otherwise).
	var mu sync.Mutex
	consumed := map[string]int{}
	c, err := rocketmq.NewPushConsumer(consumer.WithNameServer([]string{ns.Addr}), consumer.WithGroupName(group),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset), consumer.WithTrace(trace()))
	if err != nil {
		t.Fatal(err)
	}
	p, err := rocketmq.NewProducer(producer.WithNameServer([]string{ns.Addr}), producer.WithGroupName("life-producer"),
		producer.WithRetry(2), producer.WithTrace(trace()))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	msg := primitive.NewMessage(topic, []byte("traced body"))
	msg.WithKeys([]string{"life-key"})
	msg.WithTag("TagL")
	res, err := p.SendSync(context.Background(), msg)
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("send: %v %v", res, err)
	}
	uniq, offID := res.MsgID, res.OffsetMsgID

	err = c.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, ms ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range ms {
			consumed[m.MsgId]++
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = c.Shutdown()
		}
	}
	defer stop()
	mqtest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		mu.Lock()
		defer mu.Unlock()
		if consumed[uniq] == 0 {
			return fmt.Errorf("not consumed yet")
		}
		return nil
	})

	t.Run("get=either-id", func(t *testing.T) {
		for _, args := range [][]string{{"-i", offID}, {"-t", topic, "-i", uniq}} {
			code, out, errOut := runMQ(t, append([]string{"message", "get", "-n", ns.Addr, "-o", "json"}, args...)...)
			var v messageView
			if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.MsgID != uniq || v.OffsetMsgID != offID || v.Body != "traced body" || v.Tags != "TagL" {
				t.Fatalf("get %v: %d %s %s", args, code, out, errOut)
			}
		}
	})

	t.Run("trace=send-and-consume", func(t *testing.T) {
		var tr admin.Trace
		mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
			code, out, errOut := runMQ(t, "message", "trace", "-n", ns.Addr, "-i", uniq, "-o", "json")
			if code != 0 {
				return fmt.Errorf("exit %d: %s", code, errOut)
			}
			tr = admin.Trace{}
			if err := json.Unmarshal([]byte(out), &tr); err != nil {
				return err
			}
			var send, consume bool
			for _, e := range tr.Events {
				send = send || (e.Kind == "send" && e.Success && e.Group == "life-producer")
				consume = consume || (e.Kind == "consume" && e.Group == group && e.Status == "SUCCESS")
			}
			if !send || !consume {
				return fmt.Errorf("want a send and a successful consume: %+v", tr.Events)
			}
			return nil
		})
		code, out, _ := runMQ(t, "message", "trace", "-n", ns.Addr, "-i", uniq)
		if code != 0 || !strings.Contains(out, "send") || !strings.Contains(out, "consume") || !strings.Contains(out, group) {
			t.Fatalf("trace table: %d\n%s", code, out)
		}
	})

	t.Run("resend=consume-directly", func(t *testing.T) {
		code, out, errOut := runMQ(t, "message", "resend", "-n", ns.Addr, "-i", offID, "-g", group, "--yes", "-o", "json")
		var v admin.ConsumedAgain
		if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Result != "CR_SUCCESS" {
			t.Fatalf("resend: %d %s %s", code, out, errOut)
		}
		mu.Lock()
		n := consumed[uniq]
		mu.Unlock()
		if n < 2 {
			t.Fatalf("consumed %d times after resend, want 2", n)
		}
		if code, _, errOut := runMQ(t, "message", "resend", "-n", ns.Addr, "-i", uniq, "-g", group, "--yes"); code != 2 ||
			!strings.Contains(errOut, "is a unique key: pass -t topic") {
			t.Fatalf("unique key without -t: exit %d, %s", code, errOut)
		}
		code, out, errOut = runMQ(t, "message", "resend", "-n", ns.Addr, "-i", uniq, "-t", topic, "-g", group, "--yes")
		if code != 0 || !regexp.MustCompile(`(?m)^MSG-ID +GROUP +CLIENT +RESULT +SPENT-MS$`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^`+uniq+` +`+group+` +\S+@\S+ +CR_SUCCESS +\d+$`).MatchString(out) {
			t.Fatalf("resend table: %d\n%s%s", code, out, errOut)
		}
	})

	// Live clients of the official client, seen by the connection commands.
	t.Run("connections=live", func(t *testing.T) {
		code, out, errOut := runMQ(t, "group", "connections", "-n", ns.Addr, "-g", group, "-o", "json")
		var v groupConnectionsView
		if code != 0 || json.Unmarshal([]byte(out), &v) != nil || len(v.Clients) != 1 || v.Clients[0].Language != "GO" ||
			v.ConsumeType != "CONSUME_PASSIVELY" || len(v.Subscriptions) == 0 {
			t.Fatalf("group connections: %d %s %s", code, out, errOut)
		}
		code, out, errOut = runMQ(t, "group", "connections", "-n", ns.Addr, "-g", group)
		if code != 0 || !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(v.Clients[0].ClientID)+` +\S+ +GO +V4_5_2$`).MatchString(out) {
			t.Fatalf("group connections table: %d\n%s%s", code, out, errOut)
		}
		code, out, errOut = runMQ(t, "admin", "producerConnection", "-n", ns.Addr, "-g", "life-producer", "-t", topic, "--output", "json")
		var pv producerConnectionView
		if code != 0 || json.Unmarshal([]byte(out), &pv) != nil || len(pv.Clients) == 0 || pv.Clients[0].Language != "GO" {
			t.Fatalf("producerConnection: %d %s %s", code, out, errOut)
		}
		code, out, errOut = runMQ(t, "admin", "producerConnection", "-n", ns.Addr, "-g", "life-producer", "-t", topic)
		if code != 0 || !strings.Contains(out, pv.Clients[0].ClientID) {
			t.Fatalf("producerConnection table: %d\n%s%s", code, out, errOut)
		}
		// An online group shows in the broker-wide consume stats, one row per queue.
		code, out, errOut = runMQ(t, "admin", "brokerConsumeStats", "-n", ns.Addr, "-b", b.Addr, "--output", "json")
		var bv brokerConsumeView
		if code != 0 || json.Unmarshal([]byte(out), &bv) != nil || len(bv.Queues) != 2 || bv.Queues[0].Group != group || bv.Queues[0].Topic != topic {
			t.Fatalf("brokerConsumeStats: %d %s %s", code, out, errOut)
		}
		code, out, errOut = runMQ(t, "admin", "brokerConsumeStats", "-n", ns.Addr, "-b", b.Addr)
		if code != 0 || !regexp.MustCompile(`(?m)^`+group+` +`+topic+` +broker-a +1 +`).MatchString(out) {
			t.Fatalf("brokerConsumeStats table: %d\n%s%s", code, out, errOut)
		}
	})

	// Stop the consumer (it commits its offsets), then leave a backlog of 5.
	stop()
	before := time.Now().UnixMilli()
	if code, _, errOut := runMQ(t, "send", "-n", ns.Addr, "-t", topic, "--count", "5", "backlog"); code != 0 {
		t.Fatalf("send: %s", errOut)
	}
	after := time.Now().UnixMilli()

	t.Run("progress=lag-and-time-lag", func(t *testing.T) {
		var gp groupProgressView
		var q0, q1 int64
		mqtest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
			q0 = time.Now().UnixMilli()
			code, out, errOut := runMQ(t, "group", "progress", "-n", ns.Addr, "-g", group, "-t", topic, "-o", "json")
			q1 = time.Now().UnixMilli()
			gp = groupProgressView{}
			if code != 0 || json.Unmarshal([]byte(out), &gp) != nil {
				return fmt.Errorf("exit %d: %s %s", code, out, errOut)
			}
			if gp.Lag != 5 {
				return fmt.Errorf("lag %d, want 5", gp.Lag)
			}
			return nil
		})
		for _, q := range gp.Queues {
			if q.Lag == 0 {
				if q.TimeLagMs != 0 {
					t.Errorf("queue %d: no lag but time lag %d", q.QueueID, q.TimeLagMs)
				}
				continue
			}
			if q.OldestUnconsumed < before || q.OldestUnconsumed > after {
				t.Errorf("queue %d: oldest unconsumed stored at %d, sent in [%d, %d]", q.QueueID, q.OldestUnconsumed, before, after)
			}
			if q.TimeLagMs < q0-after || q.TimeLagMs > q1-before {
				t.Errorf("queue %d: time lag %d ms, want within [%d, %d]", q.QueueID, q.TimeLagMs, q0-after, q1-before)
			}
		}
	})

	t.Run("reset=preview-matches", func(t *testing.T) {
		for _, to := range [][]string{{"--to-time", fmt.Sprint(before)}, {"--earliest"}, {"--offset", "1"}, {"--latest"}} {
			args := append([]string{"group", "reset-offset", "-n", ns.Addr, "-g", group, "-t", topic, "-o", "json"}, to...)
			code, out, errOut := runMQ(t, append(args, "--preview")...)
			var preview resetView
			if code != 0 || json.Unmarshal([]byte(out), &preview) != nil || len(preview.Queues) != 2 {
				t.Fatalf("preview %v: %d %s %s", to, code, out, errOut)
			}
			code, out, errOut = runMQ(t, append(args, "--yes")...)
			var done resetView
			if code != 0 || json.Unmarshal([]byte(out), &done) != nil {
				t.Fatalf("reset %v: %d %s %s", to, code, out, errOut)
			}
			code, out, _ = runMQ(t, "group", "progress", "-n", ns.Addr, "-g", group, "-t", topic, "-o", "json")
			var gp groupProgressView
			if code != 0 || json.Unmarshal([]byte(out), &gp) != nil {
				t.Fatalf("progress: %d %s", code, out)
			}
			now := map[int32]int64{}
			for _, q := range gp.Queues {
				now[q.QueueID] = q.ConsumerOffset
			}
			for i, q := range preview.Queues {
				if done.Queues[i].Applied != q.Target || now[q.QueueID] != q.Target {
					t.Errorf("reset %v queue %d: preview %d, applied %d, consumer offset now %d", to, q.QueueID, q.Target, done.Queues[i].Applied, now[q.QueueID])
				}
			}
		}
	})
}
