package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// cluster is a NameServer and a broker registered with it.
type cluster struct {
	ns *mqtest.Namesrv
	b  *mqtest.Broker
}

func startCluster(t *testing.T, opts ...func(*broker.Config)) *cluster {
	t.Helper()
	return startClusterTB(t, opts...)
}

// startClusterTB is startCluster for tests and benchmarks.
func startClusterTB(t testing.TB, opts ...func(*broker.Config)) *cluster {
	t.Helper()
	ns := mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns.Addr, opts...)
	c := &cluster{ns: ns, b: b}
	c.waitRoute(t, b.Config.BrokerName) // registered (the broker-name topic is always routed)
	return c
}

// createTopic creates topic on the broker and waits until the NameServer routes it.
func (c *cluster) createTopic(t testing.TB, topic string, queues int32) {
	t.Helper()
	tc := protocol.NewTopicConfig(topic)
	tc.ReadQueueNums, tc.WriteQueueNums = queues, queues
	if err := c.b.Topics().Update(tc); err != nil {
		t.Fatal(err)
	}
	c.waitRoute(t, topic)
}

// waitRoute waits until the NameServer has a route for topic.
func (c *cluster) waitRoute(t testing.TB, topic string) {
	t.Helper()
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		req := remoting.NewRequest(int16(protocol.GetRouteInfoByTopic),
			protocol.EncodeHeader(&protocol.GetRouteInfoRequestHeader{Topic: topic}), nil)
		resp, err := cl.InvokeSync(t.Context(), c.ns.Addr, req)
		if err != nil {
			return err
		}
		if resp.Code != 0 {
			return fmt.Errorf("route %s: code %d", topic, resp.Code)
		}
		return nil
	})
}

var instances atomic.Int64

// instance returns a client instance name unique in the process, so GoC clients of
// different tests never share state.
func instance(t testing.TB) string {
	return fmt.Sprintf("%s-%d", strings.NewReplacer("/", "_", "=", "_").Replace(t.Name()), instances.Add(1))
}

func newProducer(t *testing.T, c *cluster, opts ...producer.Option) interface {
	SendSync(context.Context, ...*primitive.Message) (*primitive.SendResult, error)
} {
	t.Helper()
	opts = append([]producer.Option{
		producer.WithNameServer([]string{c.ns.Addr}),
		producer.WithGroupName("pg-" + instance(t)),
		producer.WithInstanceName(instance(t)),
		producer.WithRetry(1),
	}, opts...)
	p, err := producer.NewDefaultProducer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown() })
	return p
}

// sendN sends n messages with the given tag (none when empty) and returns their UNIQ_KEYs.
func sendN(t *testing.T, p interface {
	SendSync(context.Context, ...*primitive.Message) (*primitive.SendResult, error)
}, topic, tag string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		m := primitive.NewMessage(topic, fmt.Appendf(nil, "%s-%d", tag, i))
		if tag != "" {
			m.WithTag(tag)
		}
		m.WithKeys([]string{fmt.Sprintf("key-%s-%d", tag, i)})
		res, err := p.SendSync(t.Context(), m)
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if res.Status != primitive.SendOK {
			t.Fatalf("send %d: status %v", i, res.Status)
		}
		ids = append(ids, res.MsgID)
	}
	return ids
}

// received collects consumed messages by UNIQ_KEY.
type received struct {
	mu   sync.Mutex
	msgs map[string]*primitive.MessageExt
	n    int
}

func (r *received) add(ms ...*primitive.MessageExt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.msgs == nil {
		r.msgs = make(map[string]*primitive.MessageExt)
	}
	for _, m := range ms {
		r.msgs[m.MsgId] = m
		r.n++
	}
}

func (r *received) has(ids []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		if r.msgs[id] == nil {
			return fmt.Errorf("%d of %d received, %s missing", len(r.msgs), len(ids), id)
		}
	}
	return nil
}

func (r *received) count() (distinct, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs), r.n
}

// startPush starts a push consumer of topic with a TAG expression (see startConsumer).
func startPush(t *testing.T, c *cluster, group, topic, expr string, fn func(*primitive.MessageExt) consumer.ConsumeResult, opts ...consumer.Option) func() {
	t.Helper()
	return startConsumer(t, c, group, topic, consumer.MessageSelector{Type: consumer.TAG, Expression: expr}, fn, opts...)
}

// TestSendSyncThenPushConsume: messages sent with SendSync to a topic the broker
// auto-creates from TBW102 all reach a push consumer reading from the first offset; the send
// results carry what GoC parses (trap §7.10).
func TestSendSyncThenPushConsume(t *testing.T) {
	c := startCluster(t)
	p := newProducer(t, c)
	const topic = "E2ESend"
	m := primitive.NewMessage(topic, []byte("first"))
	res, err := p.SendSync(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != primitive.SendOK || res.RegionID != "DefaultRegion" || !res.TraceOn || res.TransactionID == "" {
		t.Fatalf("send result %+v", res)
	}
	host, off, err := message.ParseOffsetMsgID(res.OffsetMsgID)
	if err != nil || host.String() != c.b.Addr || off != 0 {
		t.Fatalf("offset msg id %q: %v %v %v (broker %s)", res.OffsetMsgID, host, off, err, c.b.Addr)
	}
	tc, ok := c.b.Topics().Get(topic)
	if !ok || tc.WriteQueueNums != 4 {
		t.Fatalf("auto-created topic %+v %v, want 4 queues (min of the client's 4 and TBW102's 8)", tc, ok)
	}
	ids := append([]string{res.MsgID}, sendN(t, p, topic, "", 19)...)
	c.waitRoute(t, topic)
	var got received
	startPush(t, c, "gSend", topic, "*", func(m *primitive.MessageExt) consumer.ConsumeResult {
		got.add(m)
		return consumer.ConsumeSuccess
	})
	mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error { return got.has(ids) })
	got.mu.Lock()
	mm := got.msgs[res.MsgID]
	got.mu.Unlock()
	if string(mm.Body) != "first" || mm.GetProperty(message.PropertyCluster) != "DefaultCluster" {
		t.Fatalf("first message %q props %v", mm.Body, mm.GetProperties())
	}
}

// TestTagFilter: a consumer of "TagA" gets only TagA messages; the broker itself filters
// (a raw pull with subscription "TagA" returns no TagB record).
func TestTagFilter(t *testing.T) {
	c := startCluster(t)
	const topic = "E2ETags"
	c.createTopic(t, topic, 2)
	p := newProducer(t, c)
	a := sendN(t, p, topic, "TagA", 10)
	sendN(t, p, topic, "TagB", 10)
	var got received
	startPush(t, c, "gTags", topic, "TagA", func(m *primitive.MessageExt) consumer.ConsumeResult {
		got.add(m)
		return consumer.ConsumeSuccess
	})
	mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error { return got.has(a) })
	for _, m := range got.msgs {
		if m.GetTags() != "TagA" {
			t.Fatalf("got tag %q", m.GetTags())
		}
	}
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	tags := map[string]int{}
	for q := range int32(2) {
		h := &protocol.PullMessageRequestHeader{ConsumerGroup: "gRaw", Topic: topic, QueueID: q, MaxMsgNums: 32,
			SysFlag: 0x4, Subscription: "TagA", ExpressionType: "TAG"}
		req := remoting.NewRequest(int16(protocol.PullMessage), protocol.EncodeHeader(h), nil)
		resp, err := cl.InvokeSync(t.Context(), c.b.Addr, req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Code != 0 {
			t.Fatalf("pull q%d: code %d %s", q, resp.Code, resp.Remark)
		}
		ms, err := message.DecodeStoredAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			tags[m.Tags()]++
		}
	}
	if tags["TagA"] != 10 || len(tags) != 1 {
		t.Fatalf("raw pull tags %v, want 10 TagA only", tags)
	}
}

// TestBatchAndPullConsumer: a batch of 10 is stored in one queue with consecutive offsets
// and read back by the official pull consumer.
func TestBatchAndPullConsumer(t *testing.T) {
	c := startCluster(t)
	const topic = "E2EBatch"
	c.createTopic(t, topic, 1)
	p := newProducer(t, c)
	var batch []*primitive.Message
	for i := range 10 {
		batch = append(batch, primitive.NewMessage(topic, fmt.Appendf(nil, "b%d", i)))
	}
	res, err := p.SendSync(t.Context(), batch...)
	if err != nil {
		t.Fatal(err)
	}
	if ids := strings.Split(res.OffsetMsgID, ","); res.Status != primitive.SendOK || len(ids) != 10 || res.QueueOffset != 0 {
		t.Fatalf("batch result %+v", res)
	}
	if raceEnabled {
		// The client's pull consumer races with itself; read the batch with a raw pull.
		cl := remoting.NewClient(remoting.ClientConfig{})
		defer cl.Close()
		h := &protocol.PullMessageRequestHeader{ConsumerGroup: "gPull", Topic: topic, MaxMsgNums: 32,
			SysFlag: 0x4, Subscription: "*", ExpressionType: "TAG"}
		resp, err := cl.InvokeSync(t.Context(), c.b.Addr, remoting.NewRequest(int16(protocol.PullMessage), protocol.EncodeHeader(h), nil))
		if err != nil || resp.Code != 0 {
			t.Fatalf("pull: %v %+v", err, resp)
		}
		ms, err := message.DecodeStoredAll(resp.Body)
		if err != nil || len(ms) != 10 || string(ms[9].Body) != "b9" || ms[9].QueueOffset != 9 {
			t.Fatalf("pulled %d messages: %v", len(ms), err)
		}
		return
	}
	pc, err := consumer.NewPullConsumer(
		consumer.WithNameServer([]string{c.ns.Addr}),
		consumer.WithGroupName("gPull"),
		consumer.WithInstance(instance(t)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}); err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	defer pc.Shutdown()
	mq := &primitive.MessageQueue{Topic: topic, BrokerName: "broker-a", QueueId: 0}
	var bodies []string
	var next int64
	mqtest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		pr, err := pc.PullFrom(t.Context(), mq, next, 4)
		if err != nil {
			return err
		}
		for _, m := range pr.GetMessageExts() {
			bodies = append(bodies, string(m.Body))
		}
		next = pr.NextBeginOffset
		if len(bodies) < 10 {
			return fmt.Errorf("%d of 10 pulled (status %v)", len(bodies), pr.Status)
		}
		return nil
	})
	if strings.Join(bodies, ",") != "b0,b1,b2,b3,b4,b5,b6,b7,b8,b9" || next != 10 {
		t.Fatalf("pulled %v next %d", bodies, next)
	}
}

// TestRetryLater: a message the consumer refuses once comes back through %RETRY%<group>
// (CONSUMER_SEND_MSG_BACK, delay level 3, the schedule service) with reconsumeTimes 1.
func TestRetryLater(t *testing.T) {
	c := startCluster(t, func(cfg *broker.Config) {
		cfg.MessageDelayLevel = strings.TrimSpace(strings.Repeat("1s ", 18))
	})
	const topic, group = "E2ERetry", "gRetry"
	c.createTopic(t, topic, 1)
	c.createTopic(t, broker.RetryTopic(group), 1) // as the first heartbeat would (trap §7.28)
	p := newProducer(t, c)
	ids := sendN(t, p, topic, "", 3)
	var mu sync.Mutex
	seen := map[string][]int32{}
	startPush(t, c, group, topic, "*", func(m *primitive.MessageExt) consumer.ConsumeResult {
		mu.Lock()
		defer mu.Unlock()
		seen[m.MsgId] = append(seen[m.MsgId], m.ReconsumeTimes)
		if m.ReconsumeTimes == 0 {
			return consumer.ConsumeRetryLater
		}
		return consumer.ConsumeSuccess
	})
	mqtest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if s := seen[id]; len(s) < 2 || s[0] != 0 || s[len(s)-1] != 1 {
				return fmt.Errorf("%s seen with reconsume times %v", id, s)
			}
		}
		return nil
	})
}

// TestOversizeRefused: a body over maxMessageSize is refused with MESSAGE_ILLEGAL and the
// broker keeps serving.
func TestOversizeRefused(t *testing.T) {
	c := startCluster(t)
	const topic = "E2EBig"
	c.createTopic(t, topic, 1)
	p := newProducer(t, c, producer.WithCompressMsgBodyOverHowmuch(8<<20))
	_, err := p.SendSync(t.Context(), primitive.NewMessage(topic, make([]byte, c.b.Config.MaxMessageSize+1)))
	if err == nil || !strings.Contains(err.Error(), "13") {
		t.Fatalf("oversize send: %v, want code 13", err)
	}
	sendN(t, p, topic, "", 1)
	if _, err := p.SendSync(t.Context(), primitive.NewMessage(topic, make([]byte, c.b.Config.MaxMessageSize))); err != nil {
		t.Fatalf("send of exactly maxMessageSize: %v", err)
	}
}

// TestUnknownTopicWithoutAutoCreate: with autoCreateTopicEnable=false there is no TBW102 and
// a send to an unknown topic fails.
func TestUnknownTopicWithoutAutoCreate(t *testing.T) {
	c := startCluster(t, func(cfg *broker.Config) { cfg.AutoCreateTopicEnable = false })
	p := newProducer(t, c)
	_, err := p.SendSync(t.Context(), primitive.NewMessage("E2ENoSuchTopic", []byte("x")))
	if err == nil {
		t.Fatal("send to an unknown topic succeeded")
	}
	if _, ok := c.b.Topics().Get("E2ENoSuchTopic"); ok {
		t.Fatal("topic was created")
	}
}

// TestOffsetsSurviveRestart: offsets committed by a push consumer survive a broker restart on
// the same store and port; the next consumer of the group gets only the new messages.
func TestOffsetsSurviveRestart(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	dir := t.TempDir()
	b1 := mqtest.StartBroker(t, ns.Addr, func(cfg *broker.Config) { cfg.StorePathRootDir = dir })
	c := &cluster{ns: ns, b: b1}
	const topic, group = "E2ERestart", "gRestart"
	c.createTopic(t, topic, 2)
	p := newProducer(t, c)
	first := sendN(t, p, topic, "", 10)
	var got1 received
	stop := startPush(t, c, group, topic, "*", func(m *primitive.MessageExt) consumer.ConsumeResult {
		got1.add(m)
		return consumer.ConsumeSuccess
	})
	mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error { return got1.has(first) })
	mqtest.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
		var sum int64
		for q := range int32(2) {
			off, _ := b1.ConsumerOffsets().Query(group, topic, q)
			sum += off
		}
		if sum != 10 {
			return fmt.Errorf("committed %d of 10", sum)
		}
		return nil
	})
	stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b1.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	port := b1.Config.ListenPort
	b2 := mqtest.StartBroker(t, ns.Addr, func(cfg *broker.Config) {
		cfg.StorePathRootDir = dir
		cfg.ListenPort = port
	})
	c.b = b2
	c.waitRoute(t, topic)
	if off, ok := b2.ConsumerOffsets().Query(group, topic, 0); !ok || off == 0 {
		t.Fatalf("offset after restart %d %v", off, ok)
	}
	p2 := newProducer(t, c)
	second := sendN(t, p2, topic, "second", 5)
	var got2 received
	startPush(t, c, group, topic, "*", func(m *primitive.MessageExt) consumer.ConsumeResult {
		got2.add(m)
		return consumer.ConsumeSuccess
	})
	mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error { return got2.has(second) })
	if err := got2.has(first[:1]); err == nil {
		t.Fatal("an old message was delivered again after the restart")
	}
	if d, _ := got2.count(); d != 5 {
		t.Fatalf("%d distinct messages after restart, want 5", d)
	}
}
