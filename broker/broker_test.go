package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// startBroker runs a broker on 127.0.0.1:0 and shuts it down at cleanup. edit may change the
// broker before it serves (package-internal knobs such as the scan interval).
func startBroker(t testing.TB, cfg Config, edit func(*Broker)) (*Broker, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The real port, so that stored records and offset message ids name this broker.
	cfg.ListenPort = ln.Addr().(*net.TCPAddr).Port
	b, err := New(cfg, testLogger(t))
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	if edit != nil {
		edit(b)
	}
	served := make(chan error, 1)
	go func() { served <- b.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil && !errors.Is(err, ErrShutdown) {
			t.Errorf("serve: %v", err)
		}
	})
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if b.Addr() == "" {
			return errors.New("no announced address")
		}
		return nil
	})
	return b, ln.Addr().String()
}

// notifications records the NOTIFY_CONSUMER_IDS_CHANGED requests a client receives.
type notifications struct {
	mu   sync.Mutex
	reqs []*remoting.Command
}

func (n *notifications) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.reqs)
}

func newTestClient(t *testing.T, n *notifications) *remoting.Client {
	c := remoting.NewClient(remoting.ClientConfig{Logger: testLogger(t)})
	if n != nil {
		c.Handle(int16(protocol.NotifyConsumerIDsChanged), remoting.HandlerFunc(
			func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
				n.mu.Lock()
				n.reqs = append(n.reqs, req)
				n.mu.Unlock()
				return nil
			}))
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func call(t *testing.T, c *remoting.Client, addr string, code protocol.RequestCode, h any, body []byte) *remoting.Command {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var ext map[string]string
	if h != nil {
		ext = protocol.EncodeHeader(h)
	} else {
		ext = map[string]string{}
	}
	resp, err := c.InvokeSync(ctx, addr, remoting.NewRequest(int16(code), ext, body))
	if err != nil {
		t.Fatalf("%v: %v", code, err)
	}
	return resp
}

func wantCode(t *testing.T, resp *remoting.Command, code protocol.ResponseCode) {
	t.Helper()
	if protocol.ResponseCode(resp.Code) != code {
		t.Fatalf("code %d (%s), want %d", resp.Code, resp.Remark, code)
	}
}

// heartbeatBody is a HeartbeatData as the Go client sends it (codeSet as strings).
func heartbeatBody(clientID, group, producerGroup string, topics ...string) []byte {
	subs := []string{fmt.Sprintf(`{"classFilterMode":false,"topic":"%%RETRY%%%s","subString":"*","tagsSet":[],"codeSet":[],"subVersion":1,"expressionType":"TAG"}`, group)}
	for _, tp := range topics {
		subs = append(subs, fmt.Sprintf(`{"classFilterMode":false,"topic":"%s","subString":"TagA || TagB","tagsSet":["TagA","TagB"],"codeSet":["2598919","2598920"],"subVersion":2,"expressionType":"TAG"}`, tp))
	}
	consumers := ""
	if group != "" {
		consumers = fmt.Sprintf(`{"groupName":"%s","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[%s],"unitMode":false}`,
			group, strings.Join(subs, ","))
	}
	producers := ""
	if producerGroup != "" {
		producers = fmt.Sprintf(`{"groupName":"%s"}`, producerGroup)
	}
	return []byte(fmt.Sprintf(`{"clientID":"%s","producerDataSet":[%s],"consumerDataSet":[%s]}`, clientID, producers, consumers))
}

func consumerList(t *testing.T, c *remoting.Client, addr, group string) []string {
	resp := call(t, c, addr, protocol.GetConsumerListByGroup, &protocol.GetConsumerListByGroupRequestHeader{ConsumerGroup: group}, nil)
	if resp.Code != 0 {
		return nil
	}
	var body protocol.GetConsumerListByGroupResponseBody
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatal(err)
	}
	return body.ConsumerIDList
}

// TestHeartbeatAndConsumerGroups drives the client-management processors over real
// connections: heartbeats register producers and consumers, the retry topic and the
// subscription group appear (trap §7.28), members are notified with flag=2 when the group
// changes (trap §7.2) and when a member's connection closes (trap §7.5), and the heartbeat
// answer carries a version >= 0 (trap §7.23).
func TestHeartbeatAndConsumerGroups(t *testing.T) {
	b, addr := startBroker(t, testConfig(t), nil)
	var na, nb notifications
	a := newTestClient(t, &na)
	bc := newTestClient(t, &nb)

	resp := call(t, a, addr, protocol.HeartBeat, nil, heartbeatBody("10.0.0.1@a", "g1", "p1", "TopicTest"))
	wantCode(t, resp, protocol.Success)
	if resp.Version < 0 {
		t.Fatalf("heartbeat response version %d < 0 (trap 7.23)", resp.Version)
	}
	if tc, ok := b.Topics().Get("%RETRY%g1"); !ok || tc.WriteQueueNums != 1 || tc.Perm != 6 {
		t.Fatalf("retry topic %+v %v (trap 7.28)", tc, ok)
	}
	if _, ok := b.SubscriptionGroups().Get("g1"); !ok {
		t.Fatal("subscription group not auto-created")
	}
	if got := consumerList(t, a, addr, "g1"); !slices.Equal(got, []string{"10.0.0.1@a"}) {
		t.Fatalf("consumer list %v (trap 7.16)", got)
	}
	sub, ok := b.Consumers().Subscription("g1", "TopicTest")
	if !ok || len(sub.CodeSet) != 2 || sub.CodeSet[0] != 2598919 {
		t.Fatalf("subscription %+v %v (codeSet as strings)", sub, ok)
	}

	// A second member joins: both are told (the first at least once).
	wantCode(t, call(t, bc, addr, protocol.HeartBeat, nil, heartbeatBody("10.0.0.2@b", "g1", "", "TopicTest")), protocol.Success)
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if na.count() == 0 || nb.count() == 0 {
			return fmt.Errorf("notifications a=%d b=%d", na.count(), nb.count())
		}
		return nil
	})
	na.mu.Lock()
	first := na.reqs[0]
	na.mu.Unlock()
	if first.Flag&remoting.FlagOneway == 0 || first.Ext("consumerGroup") != "g1" {
		t.Fatalf("notify flag %d ext %v (want oneway, consumerGroup=g1)", first.Flag, first.ExtFields)
	}
	if got := consumerList(t, a, addr, "g1"); !slices.Equal(got, []string{"10.0.0.1@a", "10.0.0.2@b"}) {
		t.Fatalf("consumer list %v", got)
	}
	// A repeated heartbeat with the same subscriptions changes nothing: no new notification.
	before := na.count()
	wantCode(t, call(t, a, addr, protocol.HeartBeat, nil, heartbeatBody("10.0.0.1@a", "g1", "p1", "TopicTest")), protocol.Success)

	// Connections and subscriptions as the admin sees them.
	resp = call(t, a, addr, protocol.GetConsumerConnectionList, &protocol.GetConsumerConnectionListRequestHeader{ConsumerGroup: "g1"}, nil)
	wantCode(t, resp, protocol.Success)
	var cc protocol.ConsumerConnection
	if err := json.Unmarshal(resp.Body, &cc); err != nil {
		t.Fatal(err)
	}
	if len(cc.ConnectionSet) != 2 || cc.ConnectionSet[0].Language != "GO" || cc.MessageModel != "CLUSTERING" ||
		len(cc.SubscriptionTable) != 2 {
		t.Fatalf("consumer connection %+v", cc)
	}
	wantCode(t, call(t, a, addr, protocol.GetConsumerConnectionList, &protocol.GetConsumerConnectionListRequestHeader{ConsumerGroup: "nobody"}, nil), protocol.ConsumerNotOnline)
	resp = call(t, a, addr, protocol.GetProducerConnectionList, &protocol.GetProducerConnectionListRequestHeader{ProducerGroup: "p1"}, nil)
	wantCode(t, resp, protocol.Success)
	var pc protocol.ProducerConnection
	if err := json.Unmarshal(resp.Body, &pc); err != nil || len(pc.ConnectionSet) != 1 || pc.ConnectionSet[0].ClientID != "10.0.0.1@a" {
		t.Fatalf("producer connection %+v %v", pc, err)
	}
	wantCode(t, call(t, a, addr, protocol.GetProducerConnectionList, &protocol.GetProducerConnectionListRequestHeader{ProducerGroup: "none"}, nil), protocol.SystemError)
	if na.count() != before {
		t.Fatalf("unchanged heartbeat notified (%d -> %d)", before, na.count())
	}

	// B's connection closes: B is dropped at once and A is notified (trap 7.5).
	bc.Close()
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if got := consumerList(t, a, addr, "g1"); !slices.Equal(got, []string{"10.0.0.1@a"}) {
			return fmt.Errorf("consumer list %v", got)
		}
		if na.count() == before {
			return errors.New("A not notified of B's departure")
		}
		return nil
	})

	// UNREGISTER_CLIENT removes A too; the empty group answers SYSTEM_ERROR as Apache.
	wantCode(t, call(t, a, addr, protocol.UnregisterClient, &protocol.UnregisterClientRequestHeader{
		ClientID: "10.0.0.1@a", ProducerGroup: "p1", ConsumerGroup: "g1"}, nil), protocol.Success)
	resp = call(t, a, addr, protocol.GetConsumerListByGroup, &protocol.GetConsumerListByGroupRequestHeader{ConsumerGroup: "g1"}, nil)
	wantCode(t, resp, protocol.SystemError)
	if _, ok := b.Producers().Connection("p1"); ok {
		t.Fatal("producer still registered")
	}
}

// TestClientExpiry: a client silent for channelExpiredTimeout is dropped and its connection
// closed.
func TestClientExpiry(t *testing.T) {
	cfg := testConfig(t)
	cfg.ChannelExpiredTimeout = 200
	b, addr := startBroker(t, cfg, func(b *Broker) { b.scanInterval = 50 * time.Millisecond })
	c := newTestClient(t, nil)
	wantCode(t, call(t, c, addr, protocol.HeartBeat, nil, heartbeatBody("10.0.0.1@a", "g1", "p1")), protocol.Success)
	checkFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if ids := b.Consumers().ClientIDs("g1"); len(ids) != 0 {
			return fmt.Errorf("still registered: %v", ids)
		}
		if _, ok := b.Producers().Connection("p1"); ok {
			return errors.New("producer still registered")
		}
		return nil
	})
}

func TestConsumerOffsetProcessors(t *testing.T) {
	cfg := testConfig(t)
	b, addr := startBroker(t, cfg, nil)
	c := newTestClient(t, nil)
	// Trap §7.17: no committed offset on a queue that still starts at 0 answers 0, unless
	// setZeroIfNotFound=false, which answers QUERY_NOT_FOUND.
	q := &protocol.QueryConsumerOffsetRequestHeader{ConsumerGroup: "g1", Topic: "TBW102", QueueID: 1}
	resp := call(t, c, addr, protocol.QueryConsumerOffset, q, nil)
	wantCode(t, resp, protocol.Success)
	if resp.Ext("offset") != "0" {
		t.Fatalf("offset %q, want 0", resp.Ext("offset"))
	}
	no := false
	wantCode(t, call(t, c, addr, protocol.QueryConsumerOffset, &protocol.QueryConsumerOffsetRequestHeader{
		ConsumerGroup: "g1", Topic: "TBW102", QueueID: 1, SetZeroIfNotFound: &no}, nil), protocol.QueryNotFound)
	wantCode(t, call(t, c, addr, protocol.UpdateConsumerOffset, &protocol.UpdateConsumerOffsetRequestHeader{
		ConsumerGroup: "g1", Topic: "TBW102", QueueID: 1, CommitOffset: 42}, nil), protocol.Success)
	wantCode(t, call(t, c, addr, protocol.UpdateConsumerOffset, &protocol.UpdateConsumerOffsetRequestHeader{
		ConsumerGroup: "g1", Topic: "NoSuchTopic", QueueID: 1, CommitOffset: 42}, nil), protocol.TopicNotExist)
	for _, qid := range []int32{-1, int32(cfg.DefaultTopicQueueNums), 5000} { // a queue TBW102 lacks
		wantCode(t, call(t, c, addr, protocol.UpdateConsumerOffset, &protocol.UpdateConsumerOffsetRequestHeader{
			ConsumerGroup: "g1", Topic: "TBW102", QueueID: qid, CommitOffset: 42}, nil), protocol.InvalidParameter)
	}
	resp = call(t, c, addr, protocol.QueryConsumerOffset, q, nil)
	wantCode(t, resp, protocol.Success)
	if resp.Ext("offset") != "42" {
		t.Fatalf("offset %q", resp.Ext("offset"))
	}
	resp = call(t, c, addr, protocol.GetAllConsumerOffset, nil, nil)
	wantCode(t, resp, protocol.Success)
	if !strings.Contains(string(resp.Body), `"TBW102@g1":{"1":42}`) {
		t.Fatalf("all offsets %s", resp.Body)
	}
	// Shutdown persists the offsets.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(cfg.ConfigDir(), "consumerOffset.json"))
	if err != nil || !strings.Contains(string(data), `"TBW102@g1":{"1":42}`) {
		t.Fatalf("consumerOffset.json %s %v", data, err)
	}
}

func TestAdminProcessors(t *testing.T) {
	cfg := testConfig(t)
	b, addr := startBroker(t, cfg, nil)
	c := newTestClient(t, nil)
	create := func(topic string) *remoting.Command {
		return call(t, c, addr, protocol.UpdateAndCreateTopic, &protocol.CreateTopicRequestHeader{
			Topic: topic, DefaultTopic: "defaultTopic", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 6,
			TopicFilterType: "SINGLE_TAG", Attributes: "+message.type=NORMAL"}, nil)
	}
	tests := []struct {
		topic string
		code  protocol.ResponseCode
	}{
		{"NewTopic", protocol.Success},
		{"bad topic", protocol.InvalidParameter},
		{"TBW102", protocol.InvalidParameter},
		{"SCHEDULE_TOPIC_XXXX", protocol.InvalidParameter},
		{"DefaultCluster", protocol.InvalidParameter},
	}
	for _, tt := range tests {
		t.Run("create="+tt.topic, func(t *testing.T) { wantCode(t, create(tt.topic), tt.code) })
	}
	resp := call(t, c, addr, protocol.GetTopicConfig, &protocol.GetTopicConfigRequestHeader{Topic: "NewTopic"}, nil)
	wantCode(t, resp, protocol.Success)
	var tc protocol.TopicConfig
	if err := json.Unmarshal(resp.Body, &tc); err != nil || tc.WriteQueueNums != 8 || tc.Attributes["message.type"] != "NORMAL" {
		t.Fatalf("topic config %s %v", resp.Body, err)
	}
	wantCode(t, call(t, c, addr, protocol.GetTopicConfig, &protocol.GetTopicConfigRequestHeader{Topic: "Nope"}, nil), protocol.TopicNotExist)
	resp = call(t, c, addr, protocol.GetAllTopicConfig, nil, nil)
	wantCode(t, resp, protocol.Success)
	var all protocol.TopicConfigSerializeWrapper
	if err := json.Unmarshal(resp.Body, &all); err != nil || all.TopicConfigTable["NewTopic"].WriteQueueNums != 8 ||
		all.TopicConfigTable["TBW102"].Perm != 7 || all.DataVersion.Counter == 0 {
		t.Fatalf("all topics %s %v", resp.Body, err)
	}
	b.ConsumerOffsets().Commit("g", "NewTopic", 0, 3)
	for range 3 {
		wantCode(t, sendOne(t, c, addr, "NewTopic", 0, nil, []byte("before the delete")), protocol.Success)
	}
	wantCode(t, call(t, c, addr, protocol.DeleteTopicInBroker, &protocol.DeleteTopicRequestHeader{Topic: "NewTopic"}, nil), protocol.Success)
	wantCode(t, call(t, c, addr, protocol.DeleteTopicInBroker, &protocol.DeleteTopicRequestHeader{Topic: "TBW102"}, nil), protocol.InvalidParameter)
	if _, ok := b.Topics().Get("NewTopic"); ok {
		t.Fatal("topic not deleted")
	}
	if _, ok := b.ConsumerOffsets().Query("g", "NewTopic", 0); ok {
		t.Fatal("offsets of the deleted topic kept")
	}
	// Created again, the topic starts empty at queue offset 0 (its ConsumeQueues went too).
	wantCode(t, create("NewTopic"), protocol.Success)
	resp = sendOne(t, c, addr, "NewTopic", 0, nil, []byte("after the delete"))
	wantCode(t, resp, protocol.Success)
	if got := resp.ExtFields["queueOffset"]; got != "0" {
		t.Fatalf("first message of the re-created topic has queue offset %s", got)
	}
	wantCode(t, call(t, c, addr, protocol.DeleteTopicInBroker, &protocol.DeleteTopicRequestHeader{Topic: "NewTopic"}, nil), protocol.Success)

	// Subscription groups.
	sg := protocol.NewSubscriptionGroupConfig("gA")
	sg.RetryMaxTimes = 5
	body, _ := json.Marshal(sg)
	wantCode(t, call(t, c, addr, protocol.UpdateAndCreateSubscriptionGroup, nil, body), protocol.Success)
	resp = call(t, c, addr, protocol.GetSubscriptionGroupConfig, &protocol.GetSubscriptionGroupConfigRequestHeader{Group: "gA"}, nil)
	wantCode(t, resp, protocol.Success)
	var got protocol.SubscriptionGroupConfig
	if err := json.Unmarshal(resp.Body, &got); err != nil || got.RetryMaxTimes != 5 {
		t.Fatalf("group %s %v", resp.Body, err)
	}
	resp = call(t, c, addr, protocol.GetAllSubscriptionGroupConfig, nil, nil)
	var sw protocol.SubscriptionGroupWrapper
	if err := json.Unmarshal(resp.Body, &sw); err != nil || sw.SubscriptionGroupTable["gA"].RetryMaxTimes != 5 ||
		len(sw.SubscriptionGroupTable) != len(predefinedGroups)+1 {
		t.Fatalf("all groups %s %v", resp.Body, err)
	}
	b.ConsumerOffsets().Commit("gA", "TBW102", 0, 3)
	wantCode(t, call(t, c, addr, protocol.DeleteSubscriptionGroup, &protocol.DeleteSubscriptionGroupRequestHeader{GroupName: "gA", CleanOffset: true}, nil), protocol.Success)
	wantCode(t, call(t, c, addr, protocol.GetSubscriptionGroupConfig, &protocol.GetSubscriptionGroupConfigRequestHeader{Group: "gA"}, nil), protocol.SubscriptionGroupNotExist)
	if _, ok := b.ConsumerOffsets().Query("gA", "TBW102", 0); ok {
		t.Fatal("cleanOffset kept the group's offsets")
	}

	// Broker config: properties text and a DataVersion header.
	resp = call(t, c, addr, protocol.GetBrokerConfig, nil, nil)
	wantCode(t, resp, protocol.Success)
	var dv protocol.DataVersion
	if err := json.Unmarshal([]byte(resp.Ext("version")), &dv); err != nil || dv.Timestamp == 0 {
		t.Fatalf("version header %q %v", resp.Ext("version"), err)
	}
	for _, want := range []string{"brokerName=broker-a\n", "brokerClusterName=DefaultCluster\n", "storePathRootDir=" + cfg.StorePathRootDir + "\n"} {
		if !strings.Contains(string(resp.Body), want) {
			t.Fatalf("broker config lacks %q:\n%s", want, resp.Body)
		}
	}

	// Unknown codes are REQUEST_CODE_NOT_SUPPORTED (trap 7.33).
	wantCode(t, call(t, c, addr, protocol.RequestCode(9999), nil, nil), protocol.RequestCodeNotSupported)
}

// TestRestartKeepsMetadata: topics, groups and offsets survive a restart on the same store.
func TestRestartKeepsMetadata(t *testing.T) {
	cfg := testConfig(t)
	b1, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	tc := protocol.NewTopicConfig("Kept")
	if err := b1.Topics().Update(tc); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b1.SubscriptionGroups().FindOrCreate("gk"); err != nil {
		t.Fatal(err)
	}
	b1.ConsumerOffsets().Commit("gk", "Kept", 2, 77)
	if err := b1.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b1.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b1.Shutdown(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	if err := b1.Start(ctx); !errors.Is(err, ErrShutdown) {
		t.Fatalf("Start after Shutdown: %v", err)
	}
	b2, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Shutdown(ctx)
	if _, ok := b2.Topics().Get("Kept"); !ok {
		t.Fatal("topic lost")
	}
	if _, ok := b2.SubscriptionGroups().Get("gk"); !ok {
		t.Fatal("group lost")
	}
	if off, ok := b2.ConsumerOffsets().Query("gk", "Kept", 2); !ok || off != 77 {
		t.Fatalf("offset %d %v", off, ok)
	}
}
