package e2e

import (
	"context"
	"errors"
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
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// arrivals records when each message (by UNIQ_KEY) was first consumed, and how often.
type arrivals struct {
	mu    sync.Mutex
	first map[string]time.Time
	times map[string]int
	body  map[string]string
}

func (a *arrivals) add(m *primitive.MessageExt) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.first == nil {
		a.first, a.times, a.body = map[string]time.Time{}, map[string]int{}, map[string]string{}
	}
	if _, ok := a.first[m.MsgId]; !ok {
		a.first[m.MsgId] = time.Now()
	}
	a.times[m.MsgId]++
	a.body[m.MsgId] = string(m.Body)
}

func (a *arrivals) at(id string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.first[id]
	return t, ok
}

func (a *arrivals) bodies() map[string]bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]bool{}
	for _, b := range a.body {
		out[b] = true
	}
	return out
}

func (a *arrivals) distinct() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.first)
}

// consumeAll starts a push consumer of topic recording arrivals, and waits until a warm-up
// message sent through p arrives (so later timings measure the broker, not the rebalance).
func consumeAll(t *testing.T, c *cluster, p interface {
	SendSync(context.Context, ...*primitive.Message) (*primitive.SendResult, error)
}, group, topic string) *arrivals {
	t.Helper()
	a := &arrivals{}
	startPush(t, c, group, topic, "*", func(m *primitive.MessageExt) consumer.ConsumeResult {
		a.add(m)
		return consumer.ConsumeSuccess
	})
	if p != nil {
		ids := sendN(t, p, topic, "warmup", 1)
		mqtest.CheckFor(t, 20*time.Second, 10*time.Millisecond, func() error {
			if _, ok := a.at(ids[0]); !ok {
				return errors.New("warm-up message not consumed yet")
			}
			return nil
		})
	}
	return a
}

// adminCall sends one of mq's admin codes to the broker and decodes the JSON body into v.
func adminCall(t *testing.T, addr string, code protocol.RequestCode, h any, v any) {
	t.Helper()
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	var ext map[string]string
	if h != nil {
		ext = protocol.EncodeHeader(h)
	}
	resp, err := cl.InvokeSync(t.Context(), addr, remoting.NewRequest(int16(code), ext, nil))
	if err != nil {
		t.Fatalf("%v: %v", code, err)
	}
	if resp.Code != 0 {
		t.Fatalf("%v: code %d %s", code, resp.Code, resp.Remark)
	}
	if err := protocol.DecodeBody(resp.Body, v); err != nil {
		t.Fatalf("%v: decode %s: %v", code, resp.Body, err)
	}
}

// TestDelayLevelDelivered: with Apache's default levels a level-2 message (5 s) reaches the
// consumer no sooner than 5 s and within 6.5 s (issue 5's acceptance).
func TestDelayLevelDelivered(t *testing.T) {
	// Apache's default levels: level 2 is 5 s.
	c := startCluster(t, func(cfg *broker.Config) { cfg.MessageDelayLevel = broker.DefaultMessageDelayLevel })
	const topic = "E2EDelayLevel"
	c.createTopic(t, topic, 1)
	p := newProducer(t, c)
	a := consumeAll(t, c, p, "gDelayLevel", topic)
	m := primitive.NewMessage(topic, []byte("level-2"))
	m.WithDelayTimeLevel(2)
	// The due time is the store timestamp (whole milliseconds) plus 5 s, so it can fall up
	// to a millisecond before the sub-millisecond send instant: compare at the store's
	// precision.
	sent := time.UnixMilli(time.Now().UnixMilli())
	res, err := p.SendSync(t.Context(), m)
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("send: %v %v", res, err)
	}
	mqtest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if _, ok := a.at(res.MsgID); !ok {
			return errors.New("not delivered yet")
		}
		return nil
	})
	at, _ := a.at(res.MsgID)
	if d := at.Sub(sent); d < 5*time.Second || d > 6500*time.Millisecond {
		t.Fatalf("level-2 message consumed after %v, want [5s, 6.5s]", d)
	}
	t.Logf("level-2 (5 s) consumed after %v", at.Sub(sent))
}

// TestTimerDelivered: a WithDelayTimestamp(now+3s) message is consumed within [3 s, 4.5 s];
// a past timestamp is delivered at once; more than timerMaxDelaySec ahead is refused with
// MESSAGE_ILLEGAL.
func TestTimerDelivered(t *testing.T) {
	c := startCluster(t)
	const topic = "E2ETimer"
	c.createTopic(t, topic, 2)
	p := newProducer(t, c)
	a := consumeAll(t, c, p, "gTimer", topic)
	m := primitive.NewMessage(topic, []byte("in-3s"))
	// Delay timestamps are whole milliseconds: start from one, so the due time is exactly
	// sent + 3 s.
	sent := time.UnixMilli(time.Now().UnixMilli())
	m.WithDelayTimestamp(sent.Add(3 * time.Second))
	res, err := p.SendSync(t.Context(), m)
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("send: %v %v", res, err)
	}
	past := primitive.NewMessage(topic, []byte("past"))
	past.WithDelayTimestamp(sent.Add(-time.Minute))
	pres, err := p.SendSync(t.Context(), past)
	if err != nil {
		t.Fatal(err)
	}
	far := primitive.NewMessage(topic, []byte("too-far"))
	far.WithDelayTimestamp(sent.Add(4 * 24 * time.Hour))
	if _, err := p.SendSync(t.Context(), far); err == nil || !strings.Contains(err.Error(), "13") && !strings.Contains(strings.ToLower(err.Error()), "max") {
		t.Fatalf("4 days ahead: want MESSAGE_ILLEGAL, got %v", err)
	}
	mqtest.CheckFor(t, 2*time.Second, 10*time.Millisecond, func() error {
		if _, ok := a.at(pres.MsgID); !ok {
			return errors.New("past-time message not delivered yet")
		}
		return nil
	})
	mqtest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if _, ok := a.at(res.MsgID); !ok {
			return errors.New("not delivered yet")
		}
		return nil
	})
	at, _ := a.at(res.MsgID)
	if d := at.Sub(sent); d < 3*time.Second || d > 4500*time.Millisecond {
		t.Fatalf("3 s timer message consumed after %v, want [3s, 4.5s]", d)
	}
	t.Logf("3 s timer message consumed after %v", at.Sub(sent))
}

// TestDelayAndTimerAdminView: the mq admin codes report what waits: per delay level
// pending = max - delivered with a next due time, timer messages by due-time bucket.
func TestDelayAndTimerAdminView(t *testing.T) {
	c := startCluster(t, func(cfg *broker.Config) { cfg.MessageDelayLevel = "1s 1h 2h" })
	const topic = "E2EDelayAdmin"
	c.createTopic(t, topic, 1)
	p := newProducer(t, c)
	now := time.Now()
	for i := range 5 {
		m := primitive.NewMessage(topic, fmt.Appendf(nil, "lvl2-%d", i))
		m.WithDelayTimeLevel(2)
		if _, err := p.SendSync(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		m := primitive.NewMessage(topic, fmt.Appendf(nil, "timer-%d", i))
		m.WithDelayTimestamp(now.Add(30 * time.Minute))
		if _, err := p.SendSync(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	m := primitive.NewMessage(topic, []byte("timer-2d"))
	m.WithDelayTimestamp(now.Add(48 * time.Hour))
	if _, err := p.SendSync(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	// Pending counts dispatched messages: poll until the dispatcher has caught up.
	var ds protocol.DelayStatusBody
	mqtest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		ds = protocol.DelayStatusBody{}
		adminCall(t, c.b.Addr, protocol.MQGetDelayStatus, nil, &ds)
		if len(ds.Levels) != 3 || ds.Levels[1].Pending != 5 || ds.Levels[1].DelayMillis != 3600000 || ds.Levels[0].Pending != 0 {
			return fmt.Errorf("delay status %+v", ds)
		}
		return nil
	})
	if due := ds.Levels[1].NextDueTimestamp; due < now.Add(time.Hour).UnixMilli()-1000 || due > time.Now().Add(time.Hour).UnixMilli() {
		t.Fatalf("level 2 next due %d", due)
	}
	mqtest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		var ts protocol.TimerStatusBody
		adminCall(t, c.b.Addr, protocol.MQGetTimerStatus, nil, &ts)
		if ts.Pending != 4 || ts.Backlog != 0 {
			return fmt.Errorf("timer status %+v", ts)
		}
		// buckets: <=1m, <=10m, <=1h, <=6h, <=24h, later
		want := []int64{0, 0, 3, 0, 0, 1}
		for i, b := range ts.Buckets {
			if b.Count != want[i] {
				return fmt.Errorf("bucket %d: %+v, want counts %v", i, ts.Buckets, want)
			}
		}
		return nil
	})
	// Apache's view is kept too.
	mqtest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		var kv protocol.KVTable
		adminCall(t, c.b.Addr, protocol.GetBrokerRuntimeInfo, nil, &kv)
		if got := kv.Table["scheduleMessageOffset_2"]; got != "0,5" {
			return fmt.Errorf("scheduleMessageOffset_2 = %q, want 0,5", got)
		}
		return nil
	})
}

// txListener decides by body: "commit", "rollback", "check-commit" (unknown, then commit on
// check), "unknown" (unknown forever). Checks are counted per body.
type txListener struct {
	mu      sync.Mutex
	checks  map[string]int
	onCheck func(body string) primitive.LocalTransactionState
}

func (l *txListener) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	switch {
	case strings.HasPrefix(string(m.Body), "commit"):
		return primitive.CommitMessageState
	case strings.HasPrefix(string(m.Body), "rollback"):
		return primitive.RollbackMessageState
	}
	return primitive.UnkonwnState
}

func (l *txListener) CheckLocalTransaction(m *primitive.MessageExt) primitive.LocalTransactionState {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.checks == nil {
		l.checks = map[string]int{}
	}
	l.checks[string(m.Body)]++
	if l.onCheck != nil {
		return l.onCheck(string(m.Body))
	}
	if strings.HasPrefix(string(m.Body), "check-commit") {
		return primitive.CommitMessageState
	}
	return primitive.UnkonwnState
}

func (l *txListener) checked(body string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.checks[body]
}

func newTxProducer(t *testing.T, c *cluster, group string, l primitive.TransactionListener) interface {
	SendMessageInTransaction(context.Context, *primitive.Message) (*primitive.TransactionSendResult, error)
	Shutdown() error
} {
	t.Helper()
	p, err := producer.NewTransactionProducer(l,
		producer.WithNameServer([]string{c.ns.Addr}),
		producer.WithGroupName(group),
		producer.WithInstanceName(instance(t)),
		producer.WithRetry(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { p.Shutdown() }) })
	return p
}

// waitProducer waits until the broker knows a producer of group: the Go client heartbeats
// only to brokers in its route cache, so about 1 s after its first send.
func waitProducer(t *testing.T, c *cluster, group string) {
	t.Helper()
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if len(c.b.Producers().Channels(group)) == 0 {
			return fmt.Errorf("producer group %s not registered yet", group)
		}
		return nil
	})
}

// fastTx shortens the transaction timings: checked after 1.5 s (the client's first
// heartbeat comes ~1 s after its first send), every 300 ms, 3 times.
func fastTx(cfg *broker.Config) {
	cfg.TransactionTimeOut = 1500
	cfg.TransactionCheckInterval = 300
	cfg.TransactionCheckMax = 3
}

// TestTransactions: commit is delivered, rollback never, unknown-then-check-commit is
// delivered after a check, unknown forever is checked transactionCheckMax times and then
// moved to TRANS_CHECK_MAX_TIME_TOPIC; the admin view lists the pending ones meanwhile.
func TestTransactions(t *testing.T) {
	c := startCluster(t, fastTx)
	const topic, group = "E2ETx", "pgTx"
	c.createTopic(t, topic, 2)
	l := &txListener{}
	p := newTxProducer(t, c, group, l)
	a := consumeAll(t, c, nil, "gTx", topic)
	ids := map[string]string{}
	for _, body := range []string{"commit", "rollback", "check-commit", "unknown"} {
		res, err := p.SendMessageInTransaction(t.Context(), primitive.NewMessage(topic, []byte(body)))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		ids[body] = res.MsgID
	}
	waitProducer(t, c, group)
	mqtest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		got := a.bodies()
		if !got["commit"] || !got["check-commit"] {
			return fmt.Errorf("consumed %v", got)
		}
		return nil
	})
	if l.checked("commit") != 0 || l.checked("rollback") != 0 {
		t.Fatalf("finished transactions were checked: %v", l.checks)
	}
	var st protocol.TransactionStatusBody
	adminCall(t, c.b.Addr, protocol.MQGetTransactionStatus, &protocol.MQGetTransactionStatusRequestHeader{Limit: 10}, &st)
	if len(st.Queues) != 1 || st.Queues[0].Pending != 1 || len(st.Messages) != 1 || st.Messages[0].MsgID != ids["unknown"] ||
		st.Messages[0].ProducerGroup != group || st.Messages[0].Topic != topic {
		t.Fatalf("transaction status while one is unknown: %+v", st)
	}
	mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		if n := c.b.Broker.TransactionStatus(0).Queues[0].Pending; n != 0 {
			return fmt.Errorf("%d pending, %d checks of unknown", n, l.checked("unknown"))
		}
		return nil
	})
	time.Sleep(time.Second) // ~3 more check rounds: nothing is checked any more
	if n := l.checked("unknown"); n != 3 {
		t.Fatalf("unknown checked %d times, want transactionCheckMax=3", n)
	}
	if got := a.bodies(); got["rollback"] || got["unknown"] || a.distinct() != 2 {
		t.Fatalf("consumed %v", got)
	}
	if n := c.b.Broker.TransactionStatus(0).Queues[0].Pending; n != 0 {
		t.Fatalf("%d pending after discard", n)
	}
}

// TestTransactionsSurviveRestart: half messages whose producer did not answer survive a
// broker restart; a new producer of the group is checked and its commit is delivered, once.
func TestTransactionsSurviveRestart(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	dir := t.TempDir()
	opts := func(cfg *broker.Config) {
		cfg.StorePathRootDir = dir
		cfg.TransactionTimeOut = 300
		cfg.TransactionCheckInterval = 300
		cfg.TransactionCheckMax = 1000
	}
	b1 := mqtest.StartBroker(t, ns.Addr, opts)
	c := &cluster{ns: ns, b: b1}
	const topic, group = "E2ETxRestart", "pgTxRestart"
	c.createTopic(t, topic, 1)
	var verdict atomic.Value
	verdict.Store(primitive.UnkonwnState)
	l := &txListener{onCheck: func(string) primitive.LocalTransactionState {
		return verdict.Load().(primitive.LocalTransactionState)
	}}
	p1 := newTxProducer(t, c, group, l)
	var ids []string
	for i := range 3 {
		res, err := p1.SendMessageInTransaction(t.Context(), primitive.NewMessage(topic, fmt.Appendf(nil, "pending-%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.MsgID)
	}
	waitProducer(t, c, group)
	res, err := p1.SendMessageInTransaction(t.Context(), primitive.NewMessage(topic, []byte("commit-before")))
	if err != nil {
		t.Fatal(err)
	}
	committed := res.MsgID
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if l.checked("pending-0") == 0 {
			return errors.New("not checked yet")
		}
		return nil
	})
	p1.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b1.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	port := b1.Config.ListenPort
	b2 := mqtest.StartBroker(t, ns.Addr, opts, func(cfg *broker.Config) { cfg.ListenPort = port })
	c.b = b2
	c.waitRoute(t, topic)
	if n := b2.TransactionStatus(0).Queues[0].Pending; n != 3 {
		t.Fatalf("%d pending after restart, want 3", n)
	}
	verdict.Store(primitive.CommitMessageState)
	p2 := newTxProducer(t, c, group, l)
	if _, err := p2.SendMessageInTransaction(t.Context(), primitive.NewMessage(topic, []byte("commit-after"))); err != nil {
		t.Fatal(err)
	}
	waitProducer(t, c, group)
	a := consumeAll(t, c, nil, "gTxRestart", topic)
	mqtest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		for _, id := range append(ids, committed) {
			if _, ok := a.at(id); !ok {
				return fmt.Errorf("%s not consumed (%d consumed)", id, a.distinct())
			}
		}
		return nil
	})
	if n := b2.TransactionStatus(0).Queues[0].Pending; n != 0 {
		t.Fatalf("%d pending after the commits", n)
	}
}
