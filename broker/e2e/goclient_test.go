package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// sharedMaxMessageSize is maxMessageSize of the shared cluster (Apache's default, 4 MiB).
const sharedMaxMessageSize = 4 << 20

// startProducer starts an official client producer with the full API (SendAsync,
// SendOneWay, Request).
func startProducer(t testing.TB, c *cluster, opts ...producer.Option) rocketmq.Producer {
	t.Helper()
	opts = append([]producer.Option{
		producer.WithNameServer([]string{c.ns.Addr}),
		producer.WithGroupName("pg-" + instance(t)),
		producer.WithInstanceName(instance(t)),
		producer.WithRetry(1),
	}, opts...)
	p, err := rocketmq.NewProducer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown() })
	return p
}

// startConsumer starts a push consumer of topic reading from the first offset; fn decides
// each message's result. The returned stop (also run at cleanup) shuts it down.
func startConsumer(t *testing.T, c *cluster, group, topic string, sel consumer.MessageSelector, fn func(*primitive.MessageExt) consumer.ConsumeResult, opts ...consumer.Option) func() {
	t.Helper()
	opts = append([]consumer.Option{
		consumer.WithNameServer([]string{c.ns.Addr}),
		consumer.WithGroupName(group),
		consumer.WithInstance(instance(t)),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}, opts...)
	pc, err := consumer.NewPushConsumer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	err = pc.Subscribe(topic, sel, func(_ context.Context, ms ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		res := consumer.ConsumeSuccess
		for _, m := range ms {
			if r := fn(m); r != consumer.ConsumeSuccess {
				res = r
			}
		}
		return res, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { pc.Shutdown() }) }
	t.Cleanup(stop)
	return stop
}

// bodySet collects consumed bodies.
type bodySet struct {
	mu sync.Mutex
	m  map[string]int
}

func (s *bodySet) add(b string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]int{}
	}
	s.m[b]++
}

func (s *bodySet) has(want []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range want {
		if s.m[w] == 0 {
			return fmt.Errorf("%d distinct bodies, %q missing", len(s.m), w)
		}
	}
	return nil
}

func (s *bodySet) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.m))
	for k := range s.m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func bodies(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + "-" + strconv.Itoa(i)
	}
	return out
}

// rawPullAll reads every message of topic/queue with raw PULL_MESSAGE (sysFlag SUBSCRIPTION,
// "*"), as mqadmin's queryMsgByOffset does.
func rawPullAll(t *testing.T, addr, topic string, qid int32) []message.MessageExt {
	t.Helper()
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	var out []message.MessageExt
	var off int64
	for {
		h := &protocol.PullMessageRequestHeader{ConsumerGroup: "TOOLS_CONSUMER", Topic: topic, QueueID: qid, QueueOffset: off,
			MaxMsgNums: 32, SysFlag: 0x4, Subscription: "*", ExpressionType: "TAG"}
		resp, err := cl.InvokeSync(t.Context(), addr, remoting.NewRequest(int16(protocol.PullMessage), protocol.EncodeHeader(h), nil))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Code != 0 {
			return out
		}
		ms, err := message.DecodeStoredAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ms...)
		var rh protocol.PullMessageResponseHeader
		rh.Decode(resp.ExtFields)
		off = rh.NextBeginOffset
	}
}

// TestGoClient runs the official Go client against one shared NameServer and broker
// (enablePropertyFilter=true, 1 s delay levels, maxMessageSize 4 MiB); the subtests run in
// parallel on their own topics and groups.
func TestGoClient(t *testing.T) {
	c := startCluster(t, func(cfg *broker.Config) {
		cfg.EnablePropertyFilter = true
		cfg.MessageDelayLevel = strings.TrimSpace(strings.Repeat("1s ", 18))
		cfg.MaxMessageSize = sharedMaxMessageSize
		cfg.MappedFileSizeCommitLog = 32 << 20
	})

	// Async and oneway sends (GoC's "oneway" requests carry flag 0, trap §7.2) all arrive.
	t.Run("send=async+oneway", func(t *testing.T) {
		t.Parallel()
		const topic = "GoAsync"
		c.createTopic(t, topic, 4)
		p := startProducer(t, c)
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for _, b := range bodies("async", 20) {
			wg.Add(1)
			err := p.SendAsync(t.Context(), func(_ context.Context, r *primitive.SendResult, err error) {
				defer wg.Done()
				if err == nil && r.Status != primitive.SendOK {
					err = fmt.Errorf("status %v", r.Status)
				}
				if err != nil {
					errs <- err
				}
			}, primitive.NewMessage(topic, []byte(b)))
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, b := range bodies("oneway", 20) {
			if err := p.SendOneWay(t.Context(), primitive.NewMessage(topic, []byte(b))); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var got bodySet
		startConsumer(t, c, "gAsync", topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
			func(m *primitive.MessageExt) consumer.ConsumeResult {
				got.add(string(m.Body))
				return consumer.ConsumeSuccess
			})
		want := append(bodies("async", 20), bodies("oneway", 20)...)
		mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error { return got.has(want) })
	})

	// A batch is one SEND_BATCH_MESSAGE: V2 header names, members without UNIQ_KEY, msgId a
	// comma-joined list and SendResult.MsgID empty (trap §7.12); a consumer gets every member.
	t.Run("send=batch", func(t *testing.T) {
		t.Parallel()
		const topic = "GoBatch"
		c.createTopic(t, topic, 2)
		p := startProducer(t, c)
		var batch []*primitive.Message
		for _, b := range bodies("batch", 16) {
			batch = append(batch, primitive.NewMessage(topic, []byte(b)).WithTag("B"))
		}
		res, err := p.SendSync(t.Context(), batch...)
		if err != nil {
			t.Fatal(err)
		}
		if ids := strings.Split(res.OffsetMsgID, ","); res.Status != primitive.SendOK || len(ids) != 16 {
			t.Fatalf("batch result %+v", res)
		}
		var got bodySet
		startConsumer(t, c, "gBatch", topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "B"},
			func(m *primitive.MessageExt) consumer.ConsumeResult {
				got.add(string(m.Body))
				return consumer.ConsumeSuccess
			})
		mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error { return got.has(bodies("batch", 16)) })
	})

	// BROADCASTING: every member of the group gets every message (offsets kept by clients).
	t.Run("model=broadcasting", func(t *testing.T) {
		t.Parallel()
		const topic = "GoBroadcast"
		// GoC keeps broadcasting offsets in ~/.rocketmq_client_go/<clientID>/<group>: a
		// group name of its own per run keeps earlier runs' offsets out.
		group := "gBroadcast" + strconv.FormatInt(time.Now().UnixNano(), 36)
		c.createTopic(t, topic, 4)
		p := startProducer(t, c)
		want := bodies("bc", 20)
		var got [2]bodySet
		for i := range got {
			startConsumer(t, c, group, topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
				func(m *primitive.MessageExt) consumer.ConsumeResult {
					got[i].add(string(m.Body))
					return consumer.ConsumeSuccess
				},
				consumer.WithConsumerModel(consumer.BroadCasting))
		}
		for _, b := range want {
			if _, err := p.SendSync(t.Context(), primitive.NewMessage(topic, []byte(b))); err != nil {
				t.Fatal(err)
			}
		}
		for i := range got {
			mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error { return got[i].has(want) })
		}
	})

	// CLUSTERING with two members on an 8-queue topic: GET_CONSUMER_LIST_BY_GROUP lists both
	// (trap §7.16), the NOTIFY_CONSUMER_IDS_CHANGED makes them split the queues, and every
	// message is delivered (at least once), by both members.
	t.Run("model=clustering/rebalance=8queues", func(t *testing.T) {
		t.Parallel()
		const topic, group = "GoRebalance", "gRebalance"
		c.createTopic(t, topic, 8)
		p := startProducer(t, c)
		var got [2]bodySet
		var mu sync.Mutex
		queues := [2]map[int]bool{{}, {}}
		for i := range got {
			startConsumer(t, c, group, topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
				func(m *primitive.MessageExt) consumer.ConsumeResult {
					got[i].add(string(m.Body))
					mu.Lock()
					queues[i][m.Queue.QueueId] = true
					mu.Unlock()
					return consumer.ConsumeSuccess
				})
		}
		mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
			if ids := c.b.Consumers().ClientIDs(group); len(ids) != 2 {
				return fmt.Errorf("members %v", ids)
			}
			return nil
		})
		var want []string
		// Send in rounds until both members consumed (the split settles within a rebalance).
		mqtest.CheckFor(t, 30*time.Second, 200*time.Millisecond, func() error {
			round := bodies("rb"+strconv.Itoa(len(want)), 16)
			for _, b := range round {
				if _, err := p.SendSync(t.Context(), primitive.NewMessage(topic, []byte(b))); err != nil {
					return err
				}
			}
			want = append(want, round...)
			if len(got[0].keys()) == 0 || len(got[1].keys()) == 0 {
				return fmt.Errorf("one member consumed nothing yet (%d, %d)", len(got[0].keys()), len(got[1].keys()))
			}
			return nil
		})
		mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
			var all bodySet
			for i := range got {
				for _, k := range got[i].keys() {
					all.add(k)
				}
			}
			return all.has(want)
		})
		mu.Lock()
		defer mu.Unlock()
		if len(queues[0])+len(queues[1]) < 8 {
			t.Fatalf("queues consumed %v %v, want all 8 covered", queues[0], queues[1])
		}
	})

	// An orderly consumer (LOCK_BATCH_MQ first, trap §7.30) sees each sharding key's
	// messages in send order.
	t.Run("consume=orderly", func(t *testing.T) {
		t.Parallel()
		if raceEnabled {
			t.Skip("the official orderly consumer races with itself (processQueue's treemap: pullMessage vs consumeMessageOrderly)")
		}
		const topic, group = "GoOrderly", "gOrderly"
		c.createTopic(t, topic, 4)
		p := startProducer(t, c, producer.WithQueueSelector(producer.NewHashQueueSelector()))
		keys := []string{"k0", "k1", "k2", "k3", "k4"}
		const perKey = 20
		for i := range perKey {
			for _, k := range keys {
				m := primitive.NewMessage(topic, []byte(k+":"+strconv.Itoa(i))).WithShardingKey(k)
				if _, err := p.SendSync(t.Context(), m); err != nil {
					t.Fatal(err)
				}
			}
		}
		var mu sync.Mutex
		seen := map[string][]int{}
		startConsumer(t, c, group, topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
			func(m *primitive.MessageExt) consumer.ConsumeResult {
				k, n, _ := strings.Cut(string(m.Body), ":")
				i, _ := strconv.Atoi(n)
				mu.Lock()
				seen[k] = append(seen[k], i)
				mu.Unlock()
				return consumer.ConsumeSuccess
			}, consumer.WithConsumerOrder(true))
		mqtest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
			mu.Lock()
			defer mu.Unlock()
			for _, k := range keys {
				if len(seen[k]) < perKey {
					return fmt.Errorf("key %s: %d of %d", k, len(seen[k]), perKey)
				}
			}
			return nil
		})
		mu.Lock()
		defer mu.Unlock()
		for _, k := range keys {
			s := seen[k]
			for i := 1; i < len(s); i++ {
				if s[i] < s[i-1] {
					t.Fatalf("key %s out of order: %v", k, s)
				}
			}
		}
		if locked := c.b.Consumers().ClientIDs(group); len(locked) != 1 {
			t.Fatalf("members %v", locked)
		}
	})

	// TAG filter "TagA || TagC": TagB never reaches the client (the broker filters by tags
	// code, then the exact tag; trap §7.18).
	t.Run("filter=tag", func(t *testing.T) {
		t.Parallel()
		const topic = "GoTagFilter"
		c.createTopic(t, topic, 2)
		p := startProducer(t, c)
		for _, tag := range []string{"TagA", "TagB", "TagC"} {
			for _, b := range bodies(tag, 10) {
				if _, err := p.SendSync(t.Context(), primitive.NewMessage(topic, []byte(b)).WithTag(tag)); err != nil {
					t.Fatal(err)
				}
			}
		}
		var got bodySet
		startConsumer(t, c, "gTagAC", topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "TagA || TagC"},
			func(m *primitive.MessageExt) consumer.ConsumeResult {
				got.add(string(m.Body))
				return consumer.ConsumeSuccess
			})
		want := append(bodies("TagA", 10), bodies("TagC", 10)...)
		mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error { return got.has(want) })
		for _, k := range got.keys() {
			if strings.HasPrefix(k, "TagB") {
				t.Fatalf("TagB delivered: %s", k)
			}
		}
	})

	// SQL92 filter: GoC registers it only in the heartbeat and pulls with expressionType TAG
	// (trap §7.15); the broker evaluates it on the properties.
	t.Run("filter=sql92", func(t *testing.T) {
		t.Parallel()
		const topic = "GoSQL"
		c.createTopic(t, topic, 2)
		p := startProducer(t, c)
		for i := range 10 {
			m := primitive.NewMessage(topic, []byte("sql-"+strconv.Itoa(i))).WithTag([]string{"red", "blue"}[i%2])
			m.WithProperty("a", strconv.Itoa(i))
			if _, err := p.SendSync(t.Context(), m); err != nil {
				t.Fatal(err)
			}
		}
		var got bodySet
		startConsumer(t, c, "gSQL", topic, consumer.MessageSelector{Type: consumer.SQL92, Expression: "a BETWEEN 3 AND 8 AND TAGS = 'red'"},
			func(m *primitive.MessageExt) consumer.ConsumeResult {
				got.add(string(m.Body))
				return consumer.ConsumeSuccess
			})
		want := []string{"sql-4", "sql-6", "sql-8"}
		mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error { return got.has(want) })
		// The rest of each queue was pulled past (the group's consumed offsets reach the end).
		mqtest.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
			var sum int64
			for q := range int32(2) {
				off, _ := c.b.ConsumerOffsets().Query("gSQL", topic, q)
				sum += off
			}
			if sum != 10 {
				return fmt.Errorf("committed %d of 10", sum)
			}
			return nil
		})
		if k := got.keys(); !slices.Equal(k, want) {
			t.Fatalf("SQL92 delivered %v, want %v", k, want)
		}
	})

	// RetryLater: redelivered through %RETRY%group (CONSUMER_SEND_MSG_BACK with the CommitLog
	// offset, trap §7.19; the retry topic exists from the first heartbeat, trap §7.28) with
	// growing reconsumeTimes, then parked in %DLQ%group after maxReconsumeTimes.
	t.Run("consume=retry-then-dlq", func(t *testing.T) {
		t.Parallel()
		const topic, group = "GoRetry", "gRetryDLQ"
		c.createTopic(t, topic, 1)
		// GoC resolves %RETRY%<group>'s route at Start, before its first heartbeat creates
		// the topic, and then only every 30 s: create it first, as a previous run would have.
		c.createTopic(t, broker.RetryTopic(group), 1)
		p := startProducer(t, c)
		res, err := p.SendSync(t.Context(), primitive.NewMessage(topic, []byte("doomed")))
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var times []int32
		startConsumer(t, c, group, topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
			func(m *primitive.MessageExt) consumer.ConsumeResult {
				mu.Lock()
				times = append(times, m.ReconsumeTimes)
				mu.Unlock()
				return consumer.ConsumeRetryLater
			}, consumer.WithMaxReconsumeTimes(2))
		var dlq []message.MessageExt
		mqtest.CheckFor(t, 30*time.Second, 200*time.Millisecond, func() error {
			dlq = rawPullAll(t, c.b.Addr, broker.DLQTopic(group), 0)
			if len(dlq) == 0 {
				mu.Lock()
				defer mu.Unlock()
				return fmt.Errorf("not in the DLQ yet (delivered with reconsume times %v)", times)
			}
			return nil
		})
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(times, []int32{0, 1, 2}) {
			t.Fatalf("delivered with reconsume times %v, want [0 1 2]", times)
		}
		m := dlq[0]
		if string(m.Body) != "doomed" || m.Properties[message.PropertyUniqClientMessageIDKeyIndex] != res.MsgID ||
			m.Properties[message.PropertyRetryTopic] != topic {
			t.Fatalf("DLQ message %q props %v", m.Body, m.Properties)
		}
	})

	// Bodies of 1 B, 4 KiB (compressed by the client: GoC compresses bodies of at least
	// CompressMsgBodyOverHowmuch, 4096), 1 MiB of random bytes; one over maxMessageSize is
	// refused with MESSAGE_ILLEGAL and the broker keeps serving.
	t.Run("body=sizes", func(t *testing.T) {
		t.Parallel()
		const topic = "GoBodies"
		c.createTopic(t, topic, 1)
		p := startProducer(t, c)
		big := make([]byte, 1<<20)
		rand.Read(big)
		sizes := map[string][]byte{"1B": {'x'}, "4KiB": bytes.Repeat([]byte("4k"), 2048), "1MiB": big}
		ids := map[string]string{}
		for name, b := range sizes {
			res, err := p.SendSync(t.Context(), primitive.NewMessage(topic, b).WithKeys([]string{name}))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			ids[res.MsgID] = name
		}
		over := make([]byte, sharedMaxMessageSize+1)
		rand.Read(over)
		noCompress := startProducer(t, c, producer.WithCompressMsgBodyOverHowmuch(64<<20))
		_, err := noCompress.SendSync(t.Context(), primitive.NewMessage(topic, over))
		if err == nil || !strings.Contains(err.Error(), "13") || !strings.Contains(err.Error(), "body size over max") {
			t.Fatalf("oversize send: %v, want MESSAGE_ILLEGAL (13) naming the size", err)
		}
		if _, err := noCompress.SendSync(t.Context(), primitive.NewMessage(topic, []byte("after"))); err != nil {
			t.Fatalf("send after the refused one: %v", err)
		}
		var mu sync.Mutex
		got := map[string][]byte{}
		startConsumer(t, c, "gBodies", topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
			func(m *primitive.MessageExt) consumer.ConsumeResult {
				mu.Lock()
				got[m.GetKeys()] = m.Body
				if m.GetKeys() == "" {
					got[string(m.Body)] = m.Body
				}
				mu.Unlock()
				return consumer.ConsumeSuccess
			})
		mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
			mu.Lock()
			defer mu.Unlock()
			for name, b := range sizes {
				if !bytes.Equal(got[name], b) {
					return fmt.Errorf("%s: got %d bytes", name, len(got[name]))
				}
			}
			if got["after"] == nil {
				return fmt.Errorf("message after the refused one not consumed")
			}
			return nil
		})
		// The store keeps the client's compressed body and flag (sysFlag bit 0).
		for _, m := range rawPullAll(t, c.b.Addr, topic, 0) {
			compressed := m.SysFlag&1 != 0
			switch m.Properties[message.PropertyKeys] {
			case "4KiB", "1MiB":
				if !compressed {
					t.Fatalf("%s stored uncompressed", m.Properties[message.PropertyKeys])
				}
			case "1B":
				if compressed {
					t.Fatal("1 B body stored compressed")
				}
			}
		}
	})

	// Request-reply: Producer.Request sends with CORRELATION_ID and REPLY_TO_CLIENT; the
	// responder's reply goes to <cluster>_REPLY_TOPIC with SEND_REPLY_MESSAGE and the broker
	// pushes it to the requester (trap §7.31).
	t.Run("request=reply", func(t *testing.T) {
		t.Parallel()
		const topic = "GoRPC"
		c.createTopic(t, topic, 1)
		requesterGroup := "pg-req-" + instance(t)
		req := startProducer(t, c, producer.WithGroupName(requesterGroup))
		// The broker learns the requester's connection from its heartbeat, which GoC sends
		// only to brokers already in its route cache (trap §7.27): send once, then wait.
		if _, err := req.SendSync(t.Context(), primitive.NewMessage(topic, []byte("warm-up"))); err != nil {
			t.Fatal(err)
		}
		mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
			if _, ok := c.b.Producers().Connection(requesterGroup); !ok {
				return fmt.Errorf("requester not registered yet")
			}
			return nil
		})
		replier := startProducer(t, c)
		replyErrs := make(chan error, 16) // the callback may run after the test (GoC's Shutdown does not wait)
		startConsumer(t, c, "gRPC", topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
			func(m *primitive.MessageExt) consumer.ConsumeResult {
				if m.GetProperty(primitive.PropertyCorrelationID) == "" {
					return consumer.ConsumeSuccess // the warm-up
				}
				reply, err := consumer.CreateReplyMessage(m, nil)
				if err == nil {
					reply.Body = append([]byte("pong:"), m.Body...) // CreateReplyMessage drops the body
					_, err = replier.SendSync(context.Background(), reply)
				}
				if err != nil {
					select {
					case replyErrs <- err:
					default:
					}
				}
				return consumer.ConsumeSuccess
			})
		for i := range 3 {
			resp, err := req.Request(t.Context(), 10*time.Second, primitive.NewMessage(topic, []byte("ping"+strconv.Itoa(i))))
			if err != nil {
				select {
				case rerr := <-replyErrs:
					t.Fatalf("request %d: %v (reply: %v)", i, err, rerr)
				default:
				}
				t.Fatalf("request %d: %v", i, err)
			}
			if string(resp.Body) != "pong:ping"+strconv.Itoa(i) {
				t.Fatalf("reply %q", resp.Body)
			}
		}
	})
}
