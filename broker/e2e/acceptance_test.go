package e2e

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/namesrv"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// TestQueryAfterRestart: messages sent by the official client are found by key
// (QUERY_MESSAGE through the IndexFile), by UNIQ_KEY (_UNIQUE_KEY_QUERY) and by offset
// message id (VIEW_MESSAGE_BY_ID at the address the id names) after the broker restarted
// on the same store and port. GoC has no query API; these are the mqadmin requests.
func TestQueryAfterRestart(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	dir := t.TempDir()
	b1 := mqtest.StartBroker(t, ns.Addr, func(cfg *broker.Config) { cfg.StorePathRootDir = dir })
	c := &cluster{ns: ns, b: b1}
	const topic = "E2EQuery"
	c.createTopic(t, topic, 2)
	p := newProducer(t, c)
	type sent struct{ key, uniq, offID, body string }
	var all []sent
	for i := range 3 {
		key := fmt.Sprintf("order-%d", i)
		body := "q" + key
		res, err := p.SendSync(t.Context(), primitive.NewMessage(topic, []byte(body)).WithKeys([]string{key, "common"}))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, sent{key, res.MsgID, res.OffsetMsgID, body})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b1.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	b2 := mqtest.StartBroker(t, ns.Addr, func(cfg *broker.Config) {
		cfg.StorePathRootDir = dir
		cfg.ListenPort = b1.Config.ListenPort
	})
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	query := func(key string, uniq bool) []message.MessageExt {
		t.Helper()
		h := &protocol.QueryMessageRequestHeader{Topic: topic, Key: key, MaxNum: 32, BeginTimestamp: 0,
			EndTimestamp: time.Now().Add(time.Hour).UnixMilli(), UniqueKeyQuery: uniq}
		resp, err := cl.InvokeSync(t.Context(), b2.Addr, remoting.NewRequest(int16(protocol.QueryMessage), protocol.EncodeHeader(h), nil))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Code != 0 {
			t.Fatalf("query %s: code %d %s", key, resp.Code, resp.Remark)
		}
		ms, err := message.DecodeStoredAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	for _, s := range all {
		if ms := query(s.key, false); len(ms) != 1 || string(ms[0].Body) != s.body {
			t.Fatalf("by key %s: %d messages", s.key, len(ms))
		}
		if ms := query(s.uniq, true); len(ms) != 1 || ms[0].Properties[message.PropertyUniqClientMessageIDKeyIndex] != s.uniq {
			t.Fatalf("by UNIQ_KEY %s: %d messages", s.uniq, len(ms))
		}
		host, off, err := message.ParseOffsetMsgID(s.offID)
		if err != nil || host.String() != b2.Addr {
			t.Fatalf("offset id %s: %v %v (broker %s)", s.offID, host, err, b2.Addr)
		}
		h := &protocol.ViewMessageRequestHeader{Offset: off}
		resp, err := cl.InvokeSync(t.Context(), host.String(), remoting.NewRequest(int16(protocol.ViewMessageByID), protocol.EncodeHeader(h), nil))
		if err != nil || resp.Code != 0 {
			t.Fatalf("view %s: %v %+v", s.offID, err, resp)
		}
		if ms, err := message.DecodeStoredAll(resp.Body); err != nil || len(ms) != 1 || string(ms[0].Body) != s.body {
			t.Fatalf("view %s: %v", s.offID, err)
		}
	}
	if ms := query("common", false); len(ms) != 3 {
		t.Fatalf("by the shared key: %d messages, want 3", len(ms))
	}
}

// TestStandaloneAcceptance starts a NameServer and a broker as `mq standalone` does
// (cmd/mq/standalone.go: default configurations, brokerIP1 = the host, 127.0.0.1, the store
// under --store, nothing else) and runs the official client's simple producer and consumer
// as its examples do, with no other setup: the topic is auto-created by the first send and
// a new group with the default consumeFromWhere (CONSUME_FROM_LAST_OFFSET) still reads from
// the start of a queue that starts at 0 (trap §7.17).
func TestStandaloneAcceptance(t *testing.T) {
	const host = "127.0.0.1"
	nsCfg := namesrv.DefaultConfig()
	nsCfg.BindAddress = host
	nsCfg.KVConfigPath = t.TempDir() + "/kvConfig.json"
	nsCfg.ConfigStorePath = t.TempDir() + "/namesrv.properties"
	bCfg := broker.DefaultConfig()
	bCfg.StorePathRootDir = t.TempDir()
	bCfg.BrokerIP1 = host
	bCfg.ListenPort = 0 // --broker-port 0: a free port
	ns := mqtest.StartNamesrv(t, func(c *namesrv.Config) { *c = nsCfg })
	b := mqtest.StartBrokerConfig(t, bCfg, ns.Addr)
	if got := b.Addr; !strings.HasPrefix(got, host+":") {
		t.Fatalf("broker announces %s", got)
	}
	if _, port, _ := net.SplitHostPort(b.Broker.Addr()); port != fmt.Sprint(b.Config.ListenPort) {
		t.Fatalf("announced %s, listenPort %d", b.Broker.Addr(), b.Config.ListenPort)
	}

	p, err := producer.NewDefaultProducer(producer.WithNsResolver(primitive.NewPassthroughResolver([]string{ns.Addr})),
		producer.WithRetry(2), producer.WithInstanceName(instance(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	var want []string
	for i := range 10 {
		res, err := p.SendSync(t.Context(), primitive.NewMessage("TopicTest", []byte(fmt.Sprintf("Hello RocketMQ Go Client! %d", i))))
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		want = append(want, res.MsgID)
	}
	var got received
	pc, err := consumer.NewPushConsumer(consumer.WithGroupName("testGroup"),
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{ns.Addr})), consumer.WithInstance(instance(t)))
	if err != nil {
		t.Fatal(err)
	}
	err = pc.Subscribe("TopicTest", consumer.MessageSelector{}, func(_ context.Context, ms ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		got.add(ms...)
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	defer pc.Shutdown()
	mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error { return got.has(want) })
}
