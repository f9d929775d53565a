package admin_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// TestBrokerCalls runs every single-broker call against the stand-in Apache broker, whose
// bodies are written in Apache's fastjson dialect.
func TestBrokerCalls(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	b := startBroker(t, ns.Addr, admintest.Config{Cluster: "C1", Name: "broker-a",
		Topics: []protocol.TopicConfig{topic("TopicTest", 4, 4)}, Groups: []string{"g1"}})
	a := newAdmin(t, ns.Addr)
	ctx := ctxT(t)

	rt, err := a.BrokerRuntimeInfo(ctx, b.Addr)
	if err != nil || rt["brokerVersionDesc"] != "V5_3_3" || rt["putTps"] != "1.5 2.0 3.0" {
		t.Fatalf("runtime info %v %v", rt, err)
	}
	cfg, err := a.BrokerConfig(ctx, b.Addr)
	if err != nil || cfg["brokerName"] != "broker-a" || cfg["namesrvAddr"] != "127.0.0.1:9876" {
		t.Fatalf("config %v %v", cfg, err)
	}
	tw, err := a.AllTopicConfig(ctx, b.Addr)
	if err != nil || tw.TopicConfigTable["TopicTest"].ReadQueueNums != 4 {
		t.Fatalf("topic config %+v %v", tw, err)
	}

	tc := topic("NewTopic", 2, 3)
	tc.Order = true
	if err := a.CreateTopicOnBroker(ctx, b.Addr, tc); err != nil {
		t.Fatal(err)
	}
	codes, headers := b.Requests()
	h := headers[slices.Index(codes, protocol.UpdateAndCreateTopic)]
	for k, v := range map[string]string{"topic": "NewTopic", "readQueueNums": "2", "writeQueueNums": "3",
		"perm": "6", "order": "true", "topicFilterType": "SINGLE_TAG", "defaultTopic": "TBW102"} {
		if h[k] != v {
			t.Errorf("create topic header %s=%q, want %q (%v)", k, h[k], v, h)
		}
	}
	// The broker re-registered, so the nameserver routes the new topic.
	rd, err := a.TopicRoute(ctx, "NewTopic")
	if err != nil || rd.QueueDatas[0].WriteQueueNums != 3 {
		t.Fatalf("route of new topic %+v %v", rd, err)
	}
	err = a.CreateTopicOnBroker(ctx, b.Addr, topic("TBW102", 1, 1))
	if !admin.IsCode(err, protocol.InvalidParameter) {
		t.Fatalf("refused create: %v", err)
	}
	if err := a.CreateTopicOnBroker(ctx, "no-port", tc); !errors.Is(err, admin.ErrBadAddress) {
		t.Fatalf("bad address: %v", err)
	}
	if err := a.DeleteTopicOnBroker(ctx, b.Addr, "NewTopic"); err != nil {
		t.Fatal(err)
	}

	groups, err := a.SubscriptionGroups(ctx, b.Addr)
	if err != nil || !groups.SubscriptionGroupTable["g1"].ConsumeEnable || groups.SubscriptionGroupTable["g1"].RetryMaxTimes != 16 {
		t.Fatalf("groups %+v %v", groups, err)
	}
	g2 := protocol.NewSubscriptionGroupConfig("g2")
	g2.RetryMaxTimes = 3
	if err := a.CreateSubscriptionGroupOnBroker(ctx, b.Addr, g2); err != nil {
		t.Fatal(err)
	}
	groups, _ = a.SubscriptionGroups(ctx, b.Addr)
	if groups.SubscriptionGroupTable["g2"].RetryMaxTimes != 3 {
		t.Fatalf("created group %+v", groups.SubscriptionGroupTable["g2"])
	}
	if err := a.DeleteSubscriptionGroupOnBroker(ctx, b.Addr, "g2", true); err != nil {
		t.Fatal(err)
	}
	codes, headers = b.Requests()
	if h := headers[slices.Index(codes, protocol.DeleteSubscriptionGroup)]; h["groupName"] != "g2" || h["cleanOffset"] != "true" {
		t.Fatalf("delete group header %v", h)
	}

	cc, err := a.ConsumerConnections(ctx, b.Addr, "g1")
	if err != nil || len(cc.ConnectionSet) != 1 || cc.ConnectionSet[0].ClientID != "10.0.0.5@1234" || cc.MessageModel != "CLUSTERING" {
		t.Fatalf("consumer connections %+v %v", cc, err)
	}
	if _, err := a.ConsumerConnections(ctx, b.Addr, "offline"); !admin.IsCode(err, protocol.ConsumerNotOnline) {
		t.Fatalf("offline group: %v", err)
	}
	pc, err := a.ProducerConnections(ctx, b.Addr, "pg")
	if err != nil || len(pc.ConnectionSet) != 1 || pc.ConnectionSet[0].Version != 479 {
		t.Fatalf("producer connections %+v %v", pc, err)
	}

	st, err := a.TopicStats(ctx, b.Addr, "TopicTest")
	if err != nil || len(st.OffsetTable) != 4 {
		t.Fatalf("topic stats %+v %v", st, err)
	}
	q0 := st.OffsetTable[protocol.MessageQueue{Topic: "TopicTest", BrokerName: "broker-a", QueueID: 0}]
	if q0.MaxOffset != 42 || q0.LastUpdateTimestamp != 1700000000000 {
		t.Fatalf("queue 0 %+v", q0)
	}
	cs, err := a.ConsumeStats(ctx, b.Addr, "g1", "TopicTest")
	w := cs.OffsetTable[protocol.MessageQueue{Topic: "TopicTest", BrokerName: "broker-a", QueueID: 0}]
	if err != nil || cs.ConsumeTps != 1.5 || w.BrokerOffset != 120 || w.ConsumerOffset != 118 {
		t.Fatalf("consume stats %+v %v", cs, err)
	}
}

// TestPartialAnswer: a cluster where one broker address does not answer gives a result that
// says so, keeps the other broker's answer, and an error that is partial.
func TestPartialAnswer(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	live := startBroker(t, ns.Addr, admintest.Config{Cluster: "C1", Name: "broker-a", Topics: []protocol.TopicConfig{topic("T", 2, 2)}})
	dead := registerDead(t, ns.Addr, "C1", "broker-b", topic("T", 2, 2))
	a := newAdmin(t, ns.Addr)
	ctx := ctxT(t)

	bs, err := a.ResolveBrokers(ctx, "C1", "")
	if err != nil || len(bs) != 2 {
		t.Fatalf("brokers %+v %v", bs, err)
	}
	res := a.RuntimeInfos(ctx, bs)
	if res.Answered() != 1 || res.Total() != 2 || res.Complete() || res.Summary() != "1/2 brokers answered" {
		t.Fatalf("results %+v", res)
	}
	if res.Items[0].Addr != live.Addr || res.Items[0].Value["brokerVersionDesc"] != "V5_3_3" || res.Items[1].Addr != dead || res.Items[1].Err == nil {
		t.Fatalf("items %+v", res.Items)
	}
	if len(res.Values()) != 1 {
		t.Fatalf("values %v", res.Values())
	}
	err = res.Err()
	var fe *admin.FanoutError
	if !errors.As(err, &fe) || !fe.Partial() || !admin.IsPartial(err) || fe.Answered != 1 || fe.Total != 2 {
		t.Fatalf("err %v", err)
	}
	var te *admin.TargetError
	if !errors.As(err, &te) || te.Name != "broker-b" || te.Addr != dead {
		t.Fatalf("target error %+v", te)
	}

	// Topic status over the same route: the live broker's queues, and the dead one reported.
	ts, err := a.TopicStatus(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	if ts.Brokers.Summary() != "1/2 brokers answered" || len(ts.Queues) != 2 || ts.Queues[0].MaxOffset != 42 || ts.Queues[0].BrokerName != "broker-a" {
		t.Fatalf("topic status %+v", ts)
	}

	// Nobody answers: not partial.
	res2 := admin.ForEachBroker(ctx, a, []admin.Broker{{Addr: dead}}, a.BrokerRuntimeInfo)
	if err := res2.Err(); err == nil || admin.IsPartial(err) {
		t.Fatalf("none answered: %v", err)
	}
}

// TestFanoutBounded: at most Concurrency requests are in flight at once.
func TestFanoutBounded(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	a, err := admin.New(admin.Options{NameServers: []string{ns.Addr}, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var bs []admin.Broker
	for i := range 7 {
		bs = append(bs, admin.Broker{Name: string(rune('a' + i)), Addr: ns.Addr})
	}
	inFlight, peak := make(chan struct{}, 10), 0
	var mu = make(chan struct{}, 1)
	res := admin.ForEachBroker(ctxT(t), a, bs, func(ctx context.Context, addr string) (int, error) {
		inFlight <- struct{}{}
		mu <- struct{}{}
		peak = max(peak, len(inFlight))
		<-mu
		time.Sleep(10 * time.Millisecond)
		<-inFlight
		return 1, nil
	})
	if res.Answered() != 7 || peak > 2 || peak < 1 {
		t.Fatalf("answered %d, peak %d", res.Answered(), peak)
	}
	for i, it := range res.Items {
		if it.Name != bs[i].Name {
			t.Fatalf("order: %+v", res.Items)
		}
	}
}

func TestComposites(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	b1 := startBroker(t, ns.Addr, admintest.Config{Cluster: "C1", Name: "broker-a", Groups: []string{"g1"},
		Topics: []protocol.TopicConfig{topic("%RETRY%g1", 1, 1)}})
	b2 := startBroker(t, ns.Addr, admintest.Config{Cluster: "C1", Name: "broker-b", Groups: []string{"g1", "g0"}})
	a := newAdmin(t, ns.Addr)
	ctx := ctxT(t)

	bs, err := a.ResolveBrokers(ctx, "C1", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CreateTopic(ctx, bs, topic("Orders", 4, 4)).Err(); err != nil {
		t.Fatal(err)
	}
	rd, err := a.TopicRoute(ctx, "Orders")
	if err != nil || len(rd.QueueDatas) != 2 {
		t.Fatalf("route %+v %v", rd, err)
	}
	// One broker by address, named from the cluster info.
	one, err := a.ResolveBrokers(ctx, "", b2.Addr)
	if err != nil || len(one) != 1 || one[0].Name != "broker-b" || one[0].Cluster != "C1" {
		t.Fatalf("by addr %+v %v", one, err)
	}
	if _, err := a.ResolveBrokers(ctx, "nope", ""); !errors.Is(err, admin.ErrClusterNotFound) {
		t.Fatalf("unknown cluster: %v", err)
	}

	gl := a.GroupList(ctx, bs)
	if err := gl.Brokers.Err(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range gl.Groups {
		names = append(names, g.GroupName+"@"+g.BrokerName)
	}
	if !slices.Equal(names, []string{"g0@broker-b", "g1@broker-a", "g1@broker-b"}) {
		t.Fatalf("groups %v", names)
	}
	if err := a.CreateGroup(ctx, bs, protocol.NewSubscriptionGroupConfig("g9")).Err(); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteGroup(ctx, bs, "g9", false).Err(); err != nil {
		t.Fatal(err)
	}

	// g1's retry topic lives on broker-a only: progress and connections ask it alone.
	gp, err := a.GroupProgress(ctx, "g1", "")
	if err != nil || gp.Brokers.Total() != 1 || gp.Brokers.Items[0].Addr != b1.Addr {
		t.Fatalf("progress %+v %v", gp, err)
	}
	if gp.Lag != 2*int64(len(gp.Queues)) || gp.Queues[0].Lag != 2 || gp.ConsumeTps != 1.5 {
		t.Fatalf("progress %+v", gp)
	}
	gc, err := a.GroupConnections(ctx, "g1")
	if err != nil || len(gc.Clients) != 1 || gc.Clients[0].ClientID != "10.0.0.5@1234" || gc.Consumer.ConsumeType != "CONSUME_PASSIVELY" {
		t.Fatalf("connections %+v %v", gc, err)
	}
	// g0 has no retry route: every master is asked; broker-a has no offsets of g0 and, as
	// Apache 4.9.8 does, answers the topic's read queues at consumer offset 0.
	gp, err = a.GroupProgress(ctx, "g0", "Orders")
	if err != nil || gp.Brokers.Total() != 2 || gp.Brokers.Answered() != 2 || len(gp.Queues) != 5 || gp.Lag != 2 {
		t.Fatalf("progress g0 %+v %v", gp, err)
	}

	dr, err := a.DeleteTopic(ctx, "Orders", "C1")
	if err != nil || dr.Err() != nil {
		t.Fatalf("delete %v %v", err, dr.Err())
	}
	if _, err := a.TopicRoute(ctx, "Orders"); !admin.IsCode(err, protocol.TopicNotExist) {
		t.Fatalf("route after delete: %v", err)
	}
}

// TestApacheDialect decodes Apache's literal fastjson outputs (reference §2.5.11, §2.5.7)
// served by a stand-in Apache nameserver/broker over the wire.
func TestApacheDialect(t *testing.T) {
	const clusterInfo = `{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.10:10911",1:"10.0.0.11:10911"},` +
		`"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}},` +
		`"clusterAddrTable":{"DefaultCluster":["broker-a"]}}`
	const topicStats = `{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:` +
		`{"lastUpdateTimestamp":1700000000000,"maxOffset":42,"minOffset":0},` +
		`{"brokerName":"broker-a","queueId":1,"topic":"T"}:{"lastUpdateTimestamp":0,"maxOffset":7,"minOffset":3}},"topicPutTps":0.0}`
	srv := remoting.NewServer(remoting.ServerConfig{})
	reply := func(body string) remoting.HandlerFunc {
		return func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
			resp := remoting.NewResponse(req, 0, "")
			resp.Body = []byte(body)
			return resp
		}
	}
	srv.Handle(int16(protocol.GetBrokerClusterInfo), reply(clusterInfo))
	srv.Handle(int16(protocol.GetTopicStatsInfo), reply(topicStats))
	addr := serve(t, srv)
	a := newAdmin(t, addr)
	ctx := ctxT(t)

	ci, err := a.ClusterInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := admin.Brokers(ci, "DefaultCluster")
	want := []admin.Broker{{Cluster: "DefaultCluster", Name: "broker-a", ID: 0, Addr: "10.0.0.10:10911"},
		{Cluster: "DefaultCluster", Name: "broker-a", ID: 1, Addr: "10.0.0.11:10911"}}
	if err != nil || !slices.Equal(bs, want) {
		t.Fatalf("brokers %+v %v", bs, err)
	}
	st, err := a.TopicStats(ctx, addr, "T")
	if err != nil {
		t.Fatal(err)
	}
	q1 := st.OffsetTable[protocol.MessageQueue{Topic: "T", BrokerName: "broker-a", QueueID: 1}]
	if len(st.OffsetTable) != 2 || q1.MaxOffset != 7 || q1.MinOffset != 3 {
		t.Fatalf("topic stats %+v", st)
	}
}

func serve(t *testing.T, srv *remoting.Server) string {
	t.Helper()
	ln, err := listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String()
}
