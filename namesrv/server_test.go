package namesrv

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/internal/props"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

func testConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	dir := t.TempDir()
	cfg.KVConfigPath = filepath.Join(dir, "kvConfig.json")
	cfg.ConfigStorePath = filepath.Join(dir, "namesrv.properties")
	cfg.ListenPort = 0
	return cfg
}

// startServer runs a NameServer on 127.0.0.1:0 and shuts it down at cleanup.
func startServer(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	s, err := New(cfg, slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
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
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return s, ln.Addr().String()
}

func newClient(t *testing.T) *remoting.Client {
	c := remoting.NewClient(remoting.ClientConfig{})
	t.Cleanup(func() { c.Close() })
	return c
}

func invoke(t *testing.T, c *remoting.Client, addr string, code protocol.RequestCode, h any, body []byte) *remoting.Command {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var ext map[string]string
	if h != nil {
		ext = protocol.EncodeHeader(h)
	}
	resp, err := c.InvokeSync(ctx, addr, remoting.NewRequest(int16(code), ext, body))
	if err != nil {
		t.Fatalf("%v: %v", code, err)
	}
	return resp
}

func registerBody(t *testing.T, counter int64, tcs ...protocol.TopicConfig) []byte {
	t.Helper()
	b, err := protocol.EncodeRegisterBrokerBody(protocol.RegisterBrokerBody{TopicConfigSerializeWrapper: topics(counter, tcs...)}, false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkFor(t *testing.T, total, step time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(step)
	}
}

func wantCode(t *testing.T, resp *remoting.Command, code protocol.ResponseCode) {
	t.Helper()
	if protocol.ResponseCode(resp.Code) != code {
		t.Fatalf("code %v (%q), want %v", protocol.ResponseCode(resp.Code), resp.Remark, code)
	}
}

func TestServerRequests(t *testing.T) {
	_, addr := startServer(t, testConfig(t))
	c := newClient(t)

	// Unknown topic.
	resp := invoke(t, c, addr, protocol.GetRouteInfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "TopicTest"}, nil)
	wantCode(t, resp, protocol.TopicNotExist)
	if !strings.HasPrefix(resp.Remark, "No topic route info in name server for the topic: TopicTest") {
		t.Fatalf("remark %q", resp.Remark)
	}
	// Missing header field.
	wantCode(t, invoke(t, c, addr, protocol.GetRouteInfoByTopic, nil, nil), protocol.SystemError)

	// Register master (compressed body) and slave (plain body with crc).
	body, _ := protocol.EncodeRegisterBrokerBody(protocol.RegisterBrokerBody{
		TopicConfigSerializeWrapper: topics(1, tc("TopicTest", 4, 4), tc("TBW102", 8, 8))}, true)
	resp = invoke(t, c, addr, protocol.RegisterBroker, &protocol.RegisterBrokerRequestHeader{BrokerName: "broker-a",
		BrokerAddr: "127.0.0.1:10911", ClusterName: "DefaultCluster", HAServerAddr: "127.0.0.1:10912",
		Compressed: true, BodyCrc32: protocol.BodyCRC32(body)}, body)
	wantCode(t, resp, protocol.Success)
	body = registerBody(t, 1, tc("TopicTest", 4, 4), tc("TBW102", 8, 8))
	resp = invoke(t, c, addr, protocol.RegisterBroker, &protocol.RegisterBrokerRequestHeader{BrokerName: "broker-a",
		BrokerAddr: "127.0.0.1:10921", ClusterName: "DefaultCluster", BrokerID: 1, BodyCrc32: protocol.BodyCRC32(body)}, body)
	wantCode(t, resp, protocol.Success)
	if resp.Ext("masterAddr") != "127.0.0.1:10911" || resp.Ext("haServerAddr") != "127.0.0.1:10912" {
		t.Fatalf("slave response header %v", resp.ExtFields)
	}
	// Bad crc.
	resp = invoke(t, c, addr, protocol.RegisterBroker, &protocol.RegisterBrokerRequestHeader{BrokerName: "broker-a",
		BrokerAddr: "127.0.0.1:10911", ClusterName: "DefaultCluster", BodyCrc32: 12345}, body)
	wantCode(t, resp, protocol.SystemError)
	if resp.Remark != "crc32 not match" {
		t.Fatalf("remark %q", resp.Remark)
	}

	// Route: exact JSON as GoC parses it.
	resp = invoke(t, c, addr, protocol.GetRouteInfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "TopicTest"}, nil)
	wantCode(t, resp, protocol.Success)
	want := `{"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911","1":"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`
	if string(resp.Body) != want {
		t.Fatalf("route body\n got %s\nwant %s", resp.Body, want)
	}

	// Cluster info and topic lists.
	resp = invoke(t, c, addr, protocol.GetBrokerClusterInfo, nil, nil)
	var ci protocol.ClusterInfo
	if err := protocol.DecodeBody(resp.Body, &ci); err != nil || ci.BrokerAddrTable["broker-a"].BrokerAddrs[1] != "127.0.0.1:10921" {
		t.Fatalf("cluster info %s %v", resp.Body, err)
	}
	resp = invoke(t, c, addr, protocol.GetAllTopicListFromNameServer, nil, nil)
	if string(resp.Body) != `{"topicList":["TBW102","TopicTest"]}` {
		t.Fatalf("all topics %s", resp.Body)
	}
	resp = invoke(t, c, addr, protocol.GetTopicsByCluster, &protocol.GetTopicsByClusterRequestHeader{Cluster: "DefaultCluster"}, nil)
	if string(resp.Body) != `{"topicList":["TBW102","TopicTest"]}` {
		t.Fatalf("topics by cluster %s", resp.Body)
	}
	resp = invoke(t, c, addr, protocol.GetSystemTopicListFromNs, nil, nil)
	if string(resp.Body) != `{"brokerAddr":"127.0.0.1:10911","topicList":["DefaultCluster","broker-a"]}` {
		t.Fatalf("system topics %s", resp.Body)
	}
	for _, code := range []protocol.RequestCode{protocol.GetUnitTopicList, protocol.GetHasUnitSubTopicList, protocol.GetHasUnitSubUnunitTopicList} {
		if resp = invoke(t, c, addr, code, nil, nil); string(resp.Body) != `{"topicList":[]}` {
			t.Fatalf("%v: %s", code, resp.Body)
		}
	}

	// Data version.
	dv, _ := protocol.EncodeBody(protocol.DataVersion{Counter: 1, Timestamp: 1})
	resp = invoke(t, c, addr, protocol.QueryDataVersion, &protocol.QueryDataVersionRequestHeader{BrokerName: "broker-a",
		BrokerAddr: "127.0.0.1:10911", ClusterName: "DefaultCluster"}, dv)
	if resp.Ext("changed") != "false" || string(resp.Body) != string(dv) {
		t.Fatalf("query data version %v %s", resp.ExtFields, resp.Body)
	}

	// Write permission.
	resp = invoke(t, c, addr, protocol.WipeWritePermOfBroker, &protocol.WipeWritePermOfBrokerRequestHeader{BrokerName: "broker-a"}, nil)
	if resp.Ext("wipeTopicCount") != "2" {
		t.Fatalf("wipe %v", resp.ExtFields)
	}
	resp = invoke(t, c, addr, protocol.AddWritePermOfBroker, &protocol.AddWritePermOfBrokerRequestHeader{BrokerName: "broker-a"}, nil)
	if resp.Ext("addTopicCount") != "2" {
		t.Fatalf("add %v", resp.ExtFields)
	}

	// Register and delete a topic.
	rb, _ := protocol.EncodeBody(protocol.TopicRouteData{QueueDatas: []protocol.QueueData{{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 2, WriteQueueNums: 2}}})
	wantCode(t, invoke(t, c, addr, protocol.RegisterTopicInNamesrv, &protocol.RegisterTopicRequestHeader{Topic: "Extra"}, rb), protocol.Success)
	wantCode(t, invoke(t, c, addr, protocol.GetRouteInfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "Extra"}, nil), protocol.Success)
	wantCode(t, invoke(t, c, addr, protocol.DeleteTopicInNamesrv, &protocol.DeleteTopicFromNamesrvRequestHeader{Topic: "Extra"}, nil), protocol.Success)
	wantCode(t, invoke(t, c, addr, protocol.GetRouteInfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "Extra"}, nil), protocol.TopicNotExist)

	// Unregister the slave, then the master: everything goes.
	wantCode(t, invoke(t, c, addr, protocol.UnregisterBroker, &protocol.UnregisterBrokerRequestHeader{BrokerName: "broker-a",
		BrokerAddr: "127.0.0.1:10921", ClusterName: "DefaultCluster", BrokerID: 1}, nil), protocol.Success)
	wantCode(t, invoke(t, c, addr, protocol.UnregisterBroker, &protocol.UnregisterBrokerRequestHeader{BrokerName: "broker-a",
		BrokerAddr: "127.0.0.1:10911", ClusterName: "DefaultCluster"}, nil), protocol.Success)
	wantCode(t, invoke(t, c, addr, protocol.GetRouteInfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "TopicTest"}, nil), protocol.TopicNotExist)
	if resp = invoke(t, c, addr, protocol.GetBrokerClusterInfo, nil, nil); string(resp.Body) != `{"brokerAddrTable":{},"clusterAddrTable":{}}` {
		t.Fatalf("cluster info after unregister %s", resp.Body)
	}
}

func TestKVConfig(t *testing.T) {
	cfg := testConfig(t)
	cfg.OrderMessageEnable = true
	s, addr := startServer(t, cfg)
	c := newClient(t)

	wantCode(t, invoke(t, c, addr, protocol.GetKVConfig, &protocol.GetKVConfigRequestHeader{Namespace: "ns", Key: "k"}, nil), protocol.QueryNotFound)
	wantCode(t, invoke(t, c, addr, protocol.GetKVListByNamespace, &protocol.GetKVListByNamespaceRequestHeader{Namespace: "ns"}, nil), protocol.QueryNotFound)
	wantCode(t, invoke(t, c, addr, protocol.PutKVConfig, &protocol.PutKVConfigRequestHeader{Namespace: "ns", Key: "k", Value: "v"}, nil), protocol.Success)
	resp := invoke(t, c, addr, protocol.PutKVConfig, map[string]string{}, nil)
	wantCode(t, resp, protocol.SystemError)
	if resp.Remark != "namespace or key is null" {
		t.Fatalf("remark %q", resp.Remark)
	}
	if resp = invoke(t, c, addr, protocol.GetKVConfig, &protocol.GetKVConfigRequestHeader{Namespace: "ns", Key: "k"}, nil); resp.Ext("value") != "v" {
		t.Fatalf("get %v", resp.ExtFields)
	}
	if resp = invoke(t, c, addr, protocol.GetKVListByNamespace, &protocol.GetKVListByNamespaceRequestHeader{Namespace: "ns"}, nil); string(resp.Body) != `{"table":{"k":"v"}}` {
		t.Fatalf("list %s", resp.Body)
	}
	data, err := os.ReadFile(cfg.KVConfigPath)
	if err != nil || !strings.Contains(string(data), `"configTable"`) || !strings.Contains(string(data), `"k": "v"`) {
		t.Fatalf("kv file %s %v", data, err)
	}
	wantCode(t, invoke(t, c, addr, protocol.DeleteKVConfig, &protocol.DeleteKVConfigRequestHeader{Namespace: "ns", Key: "k"}, nil), protocol.Success)
	wantCode(t, invoke(t, c, addr, protocol.GetKVConfig, &protocol.GetKVConfigRequestHeader{Namespace: "ns", Key: "k"}, nil), protocol.QueryNotFound)

	// ORDER_TOPIC_CONFIG feeds routes and the register response.
	invoke(t, c, addr, protocol.PutKVConfig, &protocol.PutKVConfigRequestHeader{Namespace: orderTopicConfigNamespace, Key: "TopicTest", Value: "broker-a:4"}, nil)
	body := registerBody(t, 1, tc("TopicTest", 4, 4), tc("TBW102", 8, 8))
	resp = invoke(t, c, addr, protocol.RegisterBroker, &protocol.RegisterBrokerRequestHeader{BrokerName: "broker-a",
		BrokerAddr: "127.0.0.1:10911", ClusterName: "DefaultCluster"}, body)
	if string(resp.Body) != `{"table":{"TopicTest":"broker-a:4"}}` {
		t.Fatalf("register body %s", resp.Body)
	}
	resp = invoke(t, c, addr, protocol.GetRouteInfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "TopicTest"}, nil)
	var r protocol.TopicRouteData
	if err := protocol.DecodeBody(resp.Body, &r); err != nil || r.OrderTopicConf != "broker-a:4" {
		t.Fatalf("orderTopicConf %s %v", resp.Body, err)
	}

	// A restarted server reads the KV file back.
	_ = s
	kv, err := loadKV(cfg.KVConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := kv.get(orderTopicConfigNamespace, "TopicTest"); !ok || v != "broker-a:4" {
		t.Fatalf("reloaded kv %v %v", v, ok)
	}
}

func TestNamesrvConfigRequests(t *testing.T) {
	cfg := testConfig(t)
	s, addr := startServer(t, cfg)
	c := newClient(t)
	resp := invoke(t, c, addr, protocol.GetNamesrvConfig, nil, nil)
	if !strings.Contains(string(resp.Body), "enableAllTopicList=true\n") || !strings.Contains(string(resp.Body), "listenPort=0\n") {
		t.Fatalf("config body %s", resp.Body)
	}
	wantCode(t, invoke(t, c, addr, protocol.UpdateNamesrvConfig, nil, []byte("kvConfigPath=/tmp/x\n")), protocol.NoPermission)
	wantCode(t, invoke(t, c, addr, protocol.UpdateNamesrvConfig, nil, []byte("noSuchKey=1\n")), protocol.SystemError)
	wantCode(t, invoke(t, c, addr, protocol.UpdateNamesrvConfig, nil, []byte("# comment\nenableAllTopicList = false\n")), protocol.Success)
	if s.Config().EnableAllTopicList {
		t.Fatal("config not applied")
	}
	resp = invoke(t, c, addr, protocol.GetAllTopicListFromNameServer, nil, nil)
	wantCode(t, resp, protocol.SystemError)
	if resp.Remark != "disable" {
		t.Fatalf("remark %q", resp.Remark)
	}
	data, err := os.ReadFile(cfg.ConfigStorePath)
	if err != nil || !strings.Contains(string(data), "enableAllTopicList=false\n") {
		t.Fatalf("persisted config %s %v", data, err)
	}
	// Unknown request codes get REQUEST_CODE_NOT_SUPPORTED from remoting.
	wantCode(t, invoke(t, c, addr, protocol.SendMessage, nil, nil), protocol.RequestCodeNotSupported)
}

func TestBrokerExpiry(t *testing.T) {
	cfg := testConfig(t)
	cfg.ScanNotActiveBrokerInterval = 50
	_, addr := startServer(t, cfg)
	// The broker registers on its own connection: expiry closes it, as Apache does.
	brokerConn := newClient(t)
	c := newClient(t)
	body := registerBody(t, 1, tc("TopicTest", 4, 4), tc("TBW102", 8, 8))
	wantCode(t, invoke(t, brokerConn, addr, protocol.RegisterBroker, &protocol.RegisterBrokerRequestHeader{BrokerName: "broker-a",
		BrokerAddr: "127.0.0.1:10911", ClusterName: "DefaultCluster", HeartbeatTimeoutMillis: 200}, body), protocol.Success)
	wantCode(t, invoke(t, c, addr, protocol.GetRouteInfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "TopicTest"}, nil), protocol.Success)
	start := time.Now()
	checkFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		resp := invoke(t, c, addr, protocol.GetRouteInfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "TopicTest"}, nil)
		if protocol.ResponseCode(resp.Code) != protocol.TopicNotExist {
			return errors.New("broker still routed")
		}
		return nil
	})
	if time.Since(start) < 150*time.Millisecond {
		t.Fatalf("expired too early: %v", time.Since(start))
	}
	resp := invoke(t, c, addr, protocol.GetBrokerClusterInfo, nil, nil)
	if string(resp.Body) != `{"brokerAddrTable":{},"clusterAddrTable":{}}` {
		t.Fatalf("cluster info after expiry %s", resp.Body)
	}
}

// TestBrokerExpiryFakeClock drives the scan with a fake clock and the default 120 s timeout.
func TestBrokerExpiryFakeClock(t *testing.T) {
	now := t0
	s, err := newServer(testConfig(t), nil, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	body := topics(1, tc("TopicTest", 4, 4), tc("TBW102", 8, 8))
	s.routes.register(reg("c", "broker-a", "a:1", 0, 1, body), now)
	now = now.Add(119 * time.Second)
	s.scan()
	if _, ok := s.routes.route("TopicTest"); !ok {
		t.Fatal("expired before 120 s")
	}
	now = now.Add(2 * time.Second)
	s.scan()
	if _, ok := s.routes.route("TopicTest"); ok {
		t.Fatal("not expired after 120 s")
	}
}

func TestConnCloseRemovesBroker(t *testing.T) {
	_, addr := startServer(t, testConfig(t))
	c := remoting.NewClient(remoting.ClientConfig{})
	body := registerBody(t, 1, tc("TopicTest", 4, 4), tc("TBW102", 8, 8))
	wantCode(t, invoke(t, c, addr, protocol.RegisterBroker, &protocol.RegisterBrokerRequestHeader{BrokerName: "broker-a",
		BrokerAddr: "127.0.0.1:10911", ClusterName: "DefaultCluster"}, body), protocol.Success)
	c.Close() // the broker's connection goes away

	other := newClient(t)
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		resp := invoke(t, other, addr, protocol.GetBrokerClusterInfo, nil, nil)
		if string(resp.Body) != `{"brokerAddrTable":{},"clusterAddrTable":{}}` {
			return errors.New("broker still present: " + string(resp.Body))
		}
		return nil
	})
	wantCode(t, invoke(t, other, addr, protocol.GetRouteInfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "TopicTest"}, nil), protocol.TopicNotExist)
}

func TestConfig(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.ListenPort != 9876 || cfg.ScanNotActiveBrokerInterval != 10000 || cfg.BrokerChannelExpiredTime != 120000 ||
		!strings.HasSuffix(cfg.KVConfigPath, filepath.Join("namesrv", "kvConfig.json")) {
		t.Fatalf("defaults %+v", cfg)
	}
	tests := []struct {
		name, key, value string
		err              error
	}{
		{"key=listenPort", "listenPort", "10000", nil},
		{"key=orderMessageEnable", "orderMessageEnable", "TRUE", nil},
		{"key=scan", "scanNotActiveBrokerInterval", "x", props.ErrBadValue},
		{"key=bool", "clusterTest", "yes", props.ErrBadValue},
		{"key=unknown", "nope", "1", props.ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := props.Set(&cfg, tt.key, tt.value); !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
		})
	}
	if cfg.ListenPort != 10000 || !cfg.OrderMessageEnable {
		t.Fatalf("set: %+v", cfg)
	}
	entries, err := props.Parse("", cfg.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(props.Keys(&cfg)) || entries[0].Key > entries[1].Key {
		t.Fatalf("properties not sorted/complete: %v", entries[:2])
	}
	var back Config
	if err := props.Apply("", entries, &back); err != nil || back != cfg {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, back, cfg)
	}
	bad := cfg
	bad.ListenPort = 70000
	bad.ScanNotActiveBrokerInterval = 0
	err = bad.Validate()
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "listenPort") || !strings.Contains(err.Error(), "scanNotActiveBrokerInterval") {
		t.Fatalf("validate: %v", err)
	}
}

func BenchmarkGetRouteInfo(b *testing.B) {
	cfg := DefaultConfig()
	cfg.KVConfigPath = filepath.Join(b.TempDir(), "kv.json")
	s, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	for _, brokers := range []int{1, 4} {
		b.Run("brokers="+strconv.Itoa(brokers), func(b *testing.B) {
			for i := range brokers {
				name := "broker-" + string(rune('a'+i))
				s.routes.register(reg("c", name, name+":10911", 0, uint64(i), defaultTopics()), t0)
				s.routes.register(reg("c", name, name+":10921", 1, uint64(i+100), defaultTopics()), t0)
			}
			req := remoting.NewRequest(int16(protocol.GetRouteInfoByTopic), map[string]string{"topic": "TopicTest"}, nil)
			b.ReportAllocs()
			var size int
			for b.Loop() {
				resp := s.getRouteInfoByTopic(nil, req)
				if resp.Code != 0 {
					b.Fatal(resp.Remark)
				}
				size = len(resp.Body)
			}
			b.ReportMetric(float64(size), "body_bytes")
		})
	}
}

func TestLifecycle(t *testing.T) {
	cfg := testConfig(t)
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	c := newClient(t)
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if s.Addr() == nil {
			return errors.New("not listening yet")
		}
		return nil
	})
	wantCode(t, invoke(t, c, s.Addr().String(), protocol.PutKVConfig, &protocol.PutKVConfigRequestHeader{Namespace: "ns", Key: "k", Value: "v"}, nil), protocol.Success)
	os.Remove(cfg.KVConfigPath)
	for range 2 {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := os.Stat(cfg.KVConfigPath); err != nil {
		t.Fatalf("kv not persisted on shutdown: %v", err)
	}
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(ln2); !errors.Is(err, ErrClosed) {
		t.Fatalf("serve after shutdown: %v", err)
	}
	// A corrupt KV file stops New.
	os.WriteFile(cfg.KVConfigPath, []byte("{"), 0o644)
	if _, err := New(cfg, nil); err == nil {
		t.Fatal("corrupt kv file accepted")
	}
}
