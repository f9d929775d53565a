package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/mq-project/mq/namesrv"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// startNamesrv runs a real NameServer on 127.0.0.1:0.
func startNamesrv(t *testing.T) string {
	t.Helper()
	cfg := namesrv.DefaultConfig()
	dir := t.TempDir()
	cfg.KVConfigPath = filepath.Join(dir, "kvConfig.json")
	cfg.ConfigStorePath = filepath.Join(dir, "namesrv.properties")
	cfg.ListenPort = 0
	s, err := namesrv.New(cfg, slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String()
}

// route asks the nameserver for topic's route with our remoting client.
func route(t *testing.T, c *remoting.Client, ns, topic string) (protocol.TopicRouteData, protocol.ResponseCode) {
	t.Helper()
	resp := call(t, c, ns, protocol.GetRouteInfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: topic}, nil)
	var rd protocol.TopicRouteData
	if resp.Code == 0 {
		if err := protocol.DecodeBody(resp.Body, &rd); err != nil {
			t.Fatalf("route body %s: %v", resp.Body, err)
		}
	}
	return rd, protocol.ResponseCode(resp.Code)
}

// routeHas returns nil when topic's route names brokerAddr as broker-a's master with the
// given write queue count.
func routeHas(t *testing.T, c *remoting.Client, ns, topic, brokerAddr string, queues int32) error {
	rd, code := route(t, c, ns, topic)
	if code != protocol.Success {
		return fmt.Errorf("route %s: code %d", topic, code)
	}
	if len(rd.BrokerDatas) != 1 || rd.BrokerDatas[0].BrokerAddrs[0] != brokerAddr || rd.BrokerDatas[0].Cluster != "DefaultCluster" {
		return fmt.Errorf("route %s broker datas %+v", topic, rd.BrokerDatas)
	}
	if len(rd.QueueDatas) != 1 || rd.QueueDatas[0].WriteQueueNums != queues || rd.QueueDatas[0].BrokerName != "broker-a" {
		return fmt.Errorf("route %s queue datas %+v", topic, rd.QueueDatas)
	}
	return nil
}

// TestRegistrationWithNamesrvAndGoAdmin runs a real NameServer and a real broker on
// loopback: the broker registers at start (TBW102 and the system topics are routable), a
// topic created with the official Go client's admin API is routable at once (registration on
// topic change), a consumer heartbeat makes %RETRY%<group> routable (trap §7.28), the Go
// admin decodes our subscription groups, and shutdown unregisters the broker.
func TestRegistrationWithNamesrvAndGoAdmin(t *testing.T) {
	rlog.SetLogLevel("fatal")
	ns := startNamesrv(t)
	cfg := testConfig(t)
	cfg.NamesrvAddr = ns
	b, addr := startBroker(t, cfg, nil)
	if b.Addr() != addr {
		t.Fatalf("announced %q, listening on %q", b.Addr(), addr)
	}
	c := newTestClient(t, nil)

	for topic, queues := range map[string]int32{"TBW102": 8, "RMQ_SYS_TRACE_TOPIC": 1, "DefaultCluster_REPLY_TOPIC": 1, "SCHEDULE_TOPIC_XXXX": 18} {
		checkFor(t, 5*time.Second, 20*time.Millisecond, func() error { return routeHas(t, c, ns, topic, addr, queues) })
	}

	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{ns})))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := adm.CreateTopic(ctx, admin.WithTopicCreate("IntegTopic"), admin.WithBrokerAddrCreate(addr),
		admin.WithReadQueueNums(4), admin.WithWriteQueueNums(4)); err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	// GoC ignores CreateTopic's response code (trap 7.32): check the route.
	checkFor(t, 5*time.Second, 20*time.Millisecond, func() error { return routeHas(t, c, ns, "IntegTopic", addr, 4) })

	groups, err := adm.GetAllSubscriptionGroup(ctx, addr, 3*time.Second)
	if err != nil {
		t.Fatalf("GetAllSubscriptionGroup: %v", err)
	}
	if _, ok := groups.SubscriptionGroupTable["TOOLS_CONSUMER"]; !ok {
		t.Fatalf("Go admin sees groups %v", groups.SubscriptionGroupTable)
	}

	wantCode(t, call(t, c, addr, protocol.HeartBeat, nil, heartbeatBody("10.0.0.1@a", "gInteg", "", "IntegTopic")), protocol.Success)
	checkFor(t, 5*time.Second, 20*time.Millisecond, func() error { return routeHas(t, c, ns, "%RETRY%gInteg", addr, 1) })

	if err := adm.DeleteTopic(ctx, admin.WithTopicDelete("IntegTopic"), admin.WithBrokerAddrDelete(addr), admin.WithNameSrvAddr([]string{ns})); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	checkFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if _, ok := b.Topics().Get("IntegTopic"); ok {
			return fmt.Errorf("IntegTopic still in the broker")
		}
		if _, code := route(t, c, ns, "IntegTopic"); code != protocol.TopicNotExist {
			return fmt.Errorf("IntegTopic route code %d", code)
		}
		return nil
	})

	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := b.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if _, code := route(t, c, ns, "TBW102"); code != protocol.TopicNotExist {
		t.Fatalf("after shutdown TBW102 route code %d, want TOPIC_NOT_EXIST", code)
	}
}

// TestRegistrarPeriodAndTrigger checks the registrar's timing against a stand-in nameserver
// that counts REGISTER_BROKER and UNREGISTER_BROKER: one registration at start, one per
// period, one at once per topic change, and UNREGISTER_BROKER at shutdown.
func TestRegistrarPeriodAndTrigger(t *testing.T) {
	var registers, unregisters atomic.Int32
	var lastBody atomic.Value
	srv := remoting.NewServer(remoting.ServerConfig{Logger: testLogger(t)})
	srv.Handle(int16(protocol.RegisterBroker), remoting.HandlerFunc(func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
		var h protocol.RegisterBrokerRequestHeader
		if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil || h.BrokerName != "broker-a" || h.BodyCrc32 != protocol.BodyCRC32(req.Body) {
			t.Errorf("register header %v: %v", req.ExtFields, err)
		}
		lastBody.Store(req.Body)
		registers.Add(1)
		return remoting.NewResponse(req, 0, "")
	}))
	srv.Handle(int16(protocol.UnregisterBroker), remoting.HandlerFunc(func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
		unregisters.Add(1)
		return remoting.NewResponse(req, 0, "")
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	hasTopic := func(topic string) error {
		raw, _ := lastBody.Load().([]byte)
		var body protocol.RegisterBrokerBody
		if err := json.Unmarshal(raw, &body); err != nil {
			return err
		}
		if _, ok := body.TopicConfigSerializeWrapper.TopicConfigTable[topic]; !ok {
			return fmt.Errorf("last registration lacks %s", topic)
		}
		return nil
	}

	// Periodic: first after b.reg.first, then every b.reg.period.
	cfg := testConfig(t)
	cfg.NamesrvAddr = ln.Addr().String()
	b1, _ := startBroker(t, cfg, func(b *Broker) { b.reg.first, b.reg.period = 50*time.Millisecond, 50*time.Millisecond })
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := registers.Load(); n < 4 {
			return fmt.Errorf("%d registrations", n)
		}
		return nil
	})
	ctx1, cancel1 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel1()
	if err := b1.Shutdown(ctx1); err != nil {
		t.Fatal(err)
	}
	if unregisters.Load() != 1 {
		t.Fatalf("%d unregistrations", unregisters.Load())
	}

	// Trigger: with an hour-long period, only a topic change can register the new topic.
	cfg = testConfig(t)
	cfg.NamesrvAddr = ln.Addr().String()
	b, _ := startBroker(t, cfg, func(b *Broker) { b.reg.first, b.reg.period = time.Hour, time.Hour })
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error { return hasTopic("TBW102") })
	if err := b.Topics().Update(protocol.NewTopicConfig("Triggered")); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error { return hasTopic("Triggered") })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if unregisters.Load() != 2 {
		t.Fatalf("%d unregistrations", unregisters.Load())
	}
}
