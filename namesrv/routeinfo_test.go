package namesrv

import (
	"slices"
	"testing"
	"time"

	"github.com/mq-project/mq/protocol"
)

var t0 = time.UnixMilli(1_700_000_000_000)

func topics(counter int64, tcs ...protocol.TopicConfig) protocol.TopicConfigSerializeWrapper {
	w := protocol.TopicConfigSerializeWrapper{DataVersion: protocol.DataVersion{Counter: counter, Timestamp: 1},
		TopicConfigTable: map[string]protocol.TopicConfig{}}
	for _, tc := range tcs {
		w.TopicConfigTable[tc.TopicName] = tc
	}
	return w
}

func tc(name string, r, w int32) protocol.TopicConfig {
	c := protocol.NewTopicConfig(name)
	c.ReadQueueNums, c.WriteQueueNums = r, w
	return c
}

func reg(cluster, name, addr string, id int64, conn uint64, w protocol.TopicConfigSerializeWrapper) registration {
	return registration{cluster: cluster, addr: addr, name: name, id: id, haServerAddr: addr + "-ha",
		timeout: 120 * time.Second, topics: w, connID: conn}
}

func defaultTopics() protocol.TopicConfigSerializeWrapper {
	return topics(1, tc("TopicTest", 4, 4), tc("TBW102", 8, 8))
}

func TestRegisterMasterAndSlave(t *testing.T) {
	rt := newRouteTable(DefaultConfig())
	if res := rt.register(reg("DefaultCluster", "broker-a", "10.0.0.1:10911", 0, 1, defaultTopics()), t0); !res.ok || res.masterAddr != "" {
		t.Fatalf("master: %+v", res)
	}
	res := rt.register(reg("DefaultCluster", "broker-a", "10.0.0.2:10911", 1, 2, defaultTopics()), t0)
	if !res.ok || res.masterAddr != "10.0.0.1:10911" || res.haServerAddr != "10.0.0.1:10911-ha" {
		t.Fatalf("slave: %+v", res)
	}
	r, ok := rt.route("TopicTest")
	if !ok || len(r.BrokerDatas) != 1 || len(r.QueueDatas) != 1 {
		t.Fatalf("route: %+v", r)
	}
	addrs := r.BrokerDatas[0].BrokerAddrs
	if addrs[0] != "10.0.0.1:10911" || addrs[1] != "10.0.0.2:10911" || len(addrs) != 2 {
		t.Fatalf("master and slave not kept apart: %v", addrs)
	}
	if r.QueueDatas[0].WriteQueueNums != 4 || r.QueueDatas[0].Perm != 6 {
		t.Fatalf("queue data: %+v", r.QueueDatas[0])
	}
	ci := rt.clusterInfo()
	if !slices.Equal(ci.ClusterAddrTable["DefaultCluster"], []string{"broker-a"}) || len(ci.BrokerAddrTable["broker-a"].BrokerAddrs) != 2 {
		t.Fatalf("cluster info: %+v", ci)
	}
	// A slave's topic config does not change the route.
	rt.register(reg("DefaultCluster", "broker-a", "10.0.0.2:10911", 1, 2, topics(9, tc("TopicTest", 1, 1), tc("Other", 1, 1))), t0)
	if r, _ := rt.route("TopicTest"); r.QueueDatas[0].WriteQueueNums != 4 {
		t.Fatalf("slave changed queues: %+v", r.QueueDatas)
	}
	if _, ok := rt.route("Other"); ok {
		t.Fatal("slave created a topic")
	}
}

func TestSlaveToMasterSwitch(t *testing.T) {
	rt := newRouteTable(DefaultConfig())
	rt.register(reg("c", "broker-a", "10.0.0.1:10911", 0, 1, defaultTopics()), t0)
	rt.register(reg("c", "broker-a", "10.0.0.2:10911", 1, 2, defaultTopics()), t0)
	rt.unregister(unregistration{cluster: "c", addr: "10.0.0.1:10911", name: "broker-a", id: 0})
	// The slave comes back as master on the same address.
	rt.register(reg("c", "broker-a", "10.0.0.2:10911", 0, 2, defaultTopics()), t0)
	r, ok := rt.route("TopicTest")
	if !ok {
		t.Fatal("no route")
	}
	if got := r.BrokerDatas[0].BrokerAddrs; len(got) != 1 || got[0] != "10.0.0.2:10911" {
		t.Fatalf("addrs after switch: %v", got)
	}
}

func TestRegisterRules(t *testing.T) {
	rt := newRouteTable(DefaultConfig())
	// A first registration with a single topic is refused, as in Java.
	if res := rt.register(reg("c", "b", "a:1", 0, 1, topics(1, tc("T", 1, 1))), t0); res.ok {
		t.Fatal("single-topic first registration accepted")
	}
	rt.register(reg("c", "b", "a:1", 0, 1, defaultTopics()), t0)
	// Same data version: queue data is not rewritten (even if the body differs).
	w := defaultTopics()
	w.TopicConfigTable["TopicTest"] = tc("TopicTest", 2, 2)
	rt.register(reg("c", "b", "a:1", 0, 1, w), t0)
	if r, _ := rt.route("TopicTest"); r.QueueDatas[0].WriteQueueNums != 4 {
		t.Fatalf("unchanged version rewrote queues: %+v", r.QueueDatas)
	}
	// New data version: rewritten. Topics that vanished stay (deleteTopicWithBrokerRegistration=false).
	w = topics(2, tc("TopicTest", 2, 2), tc("New", 1, 1))
	rt.register(reg("c", "b", "a:1", 0, 1, w), t0)
	if r, _ := rt.route("TopicTest"); r.QueueDatas[0].WriteQueueNums != 2 {
		t.Fatalf("new version ignored: %+v", r.QueueDatas)
	}
	if _, ok := rt.route("TBW102"); !ok {
		t.Fatal("TBW102 dropped without deleteTopicWithBrokerRegistration")
	}
	rt.deleteTopicWithBrokerRegistration = true
	rt.register(reg("c", "b", "a:1", 0, 1, topics(3, tc("TopicTest", 2, 2), tc("New", 1, 1))), t0)
	if _, ok := rt.route("TBW102"); ok {
		t.Fatal("TBW102 kept with deleteTopicWithBrokerRegistration")
	}
	changed, held := rt.queryDataVersion("c", "a:1", protocol.DataVersion{Counter: 3, Timestamp: 1}, t0)
	if changed || held == nil || held.Counter != 3 {
		t.Fatalf("query data version: %v %+v", changed, held)
	}
	if changed, held := rt.queryDataVersion("c", "zz:1", protocol.DataVersion{}, t0); !changed || held != nil {
		t.Fatalf("unknown broker: %v %+v", changed, held)
	}
}

func TestUnregisterAndDelete(t *testing.T) {
	rt := newRouteTable(DefaultConfig())
	rt.register(reg("c1", "broker-a", "a:1", 0, 1, defaultTopics()), t0)
	rt.register(reg("c2", "broker-b", "b:1", 0, 2, topics(1, tc("TopicTest", 2, 2), tc("OnlyB", 1, 1))), t0)
	if got := rt.topicsByCluster("c2"); !slices.Equal(got, []string{"OnlyB", "TopicTest"}) {
		t.Fatalf("topics by cluster: %v", got)
	}
	if got := rt.allTopics(); !slices.Equal(got, []string{"OnlyB", "TBW102", "TopicTest"}) {
		t.Fatalf("all topics: %v", got)
	}
	rt.deleteTopic("TopicTest", "c2")
	if r, _ := rt.route("TopicTest"); len(r.QueueDatas) != 1 || r.QueueDatas[0].BrokerName != "broker-a" {
		t.Fatalf("delete in cluster: %+v", r)
	}
	rt.deleteTopic("TBW102", "")
	if _, ok := rt.route("TBW102"); ok {
		t.Fatal("delete topic")
	}
	rt.unregister(unregistration{cluster: "c2", addr: "b:1", name: "broker-b"})
	if _, ok := rt.route("OnlyB"); ok {
		t.Fatal("topic of unregistered broker survives")
	}
	ci := rt.clusterInfo()
	if _, ok := ci.ClusterAddrTable["c2"]; ok || len(ci.BrokerAddrTable) != 1 {
		t.Fatalf("cluster info after unregister: %+v", ci)
	}
	if sys := rt.systemTopics(); !slices.Equal(sys.TopicList, []string{"broker-a", "c1"}) || sys.BrokerAddr != "a:1" {
		t.Fatalf("system topics: %+v", sys)
	}
}

func TestWritePerm(t *testing.T) {
	rt := newRouteTable(DefaultConfig())
	rt.register(reg("c", "broker-a", "a:1", 0, 1, defaultTopics()), t0)
	if n := rt.setWritePerm("broker-a", false); n != 2 {
		t.Fatalf("wipe count %d", n)
	}
	if r, _ := rt.route("TopicTest"); r.QueueDatas[0].Perm != protocol.PermRead {
		t.Fatalf("perm after wipe %d", r.QueueDatas[0].Perm)
	}
	if n := rt.setWritePerm("broker-a", true); n != 2 {
		t.Fatalf("add count %d", n)
	}
	if r, _ := rt.route("TopicTest"); r.QueueDatas[0].Perm != protocol.PermRead|protocol.PermWrite {
		t.Fatalf("perm after add %d", r.QueueDatas[0].Perm)
	}
	if n := rt.setWritePerm("nope", true); n != 0 {
		t.Fatalf("unknown broker count %d", n)
	}
}

func TestExpireAndConnClose(t *testing.T) {
	rt := newRouteTable(DefaultConfig())
	short := reg("c", "broker-a", "a:1", 0, 7, defaultTopics())
	short.timeout = 200 * time.Millisecond
	rt.register(short, t0)
	rt.register(reg("c", "broker-b", "b:1", 0, 8, topics(1, tc("TopicTest", 1, 1), tc("X", 1, 1))), t0)
	if removed, _ := rt.expire(t0.Add(200 * time.Millisecond)); len(removed) != 0 {
		t.Fatalf("expired at the deadline: %v", removed)
	}
	removed, conns := rt.expire(t0.Add(201 * time.Millisecond))
	if len(removed) != 1 || removed[0].name != "broker-a" || !slices.Equal(conns, []uint64{7}) {
		t.Fatalf("expire: %v %v", removed, conns)
	}
	if r, _ := rt.route("TopicTest"); len(r.QueueDatas) != 1 || r.QueueDatas[0].BrokerName != "broker-b" {
		t.Fatalf("route after expiry: %+v", r)
	}
	if _, ok := rt.route("TBW102"); ok {
		t.Fatal("topic only on expired broker survives")
	}
	if _, ok := rt.clusterInfo().BrokerAddrTable["broker-a"]; ok {
		t.Fatal("expired broker in cluster info")
	}
	if got := rt.connClosed(8); len(got) != 1 || got[0].name != "broker-b" {
		t.Fatalf("conn close: %v", got)
	}
	if ci := rt.clusterInfo(); len(ci.BrokerAddrTable) != 0 || len(ci.ClusterAddrTable) != 0 || len(rt.brokerLive) != 0 || len(rt.topicQueue) != 0 {
		t.Fatalf("tables not empty: %+v %v %v", ci, rt.brokerLive, rt.topicQueue)
	}
}

func TestActingMaster(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SupportActingMaster = true
	rt := newRouteTable(cfg)
	yes := true
	m := reg("c", "broker-a", "a:1", 0, 1, defaultTopics())
	m.enableActingMaster = &yes
	s := reg("c", "broker-a", "a:2", 1, 2, defaultTopics())
	s.enableActingMaster = &yes
	rt.register(m, t0)
	rt.register(s, t0)
	rt.connClosed(1) // master gone
	r, ok := rt.route("TopicTest")
	if !ok {
		t.Fatal("no route")
	}
	if r.QueueDatas[0].Perm&protocol.PermWrite != 0 {
		t.Fatalf("queues still writable without master: %+v", r.QueueDatas[0])
	}
	if got := r.BrokerDatas[0].BrokerAddrs; got[0] != "a:2" || len(got) != 1 {
		t.Fatalf("acting master not named: %v", got)
	}
}

func TestRegisterTopic(t *testing.T) {
	rt := newRouteTable(DefaultConfig())
	rt.register(reg("c", "broker-a", "a:1", 0, 1, defaultTopics()), t0)
	rt.registerTopic("Z", []protocol.QueueData{{BrokerName: "unknown", Perm: 6, ReadQueueNums: 1, WriteQueueNums: 1}})
	if _, ok := rt.route("Z"); ok {
		t.Fatal("topic registered on unknown broker")
	}
	rt.registerTopic("Z", []protocol.QueueData{{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 3, WriteQueueNums: 3}})
	if r, ok := rt.route("Z"); !ok || r.QueueDatas[0].ReadQueueNums != 3 {
		t.Fatalf("register topic: %+v", r)
	}
	rt.putQueueDataLocked("U", protocol.QueueData{BrokerName: "broker-a", TopicSysFlag: flagUnit})
	rt.putQueueDataLocked("US", protocol.QueueData{BrokerName: "broker-a", TopicSysFlag: flagUnitSub})
	if got := rt.topicsWithFlag(func(f int32) bool { return f&flagUnit != 0 }); !slices.Equal(got, []string{"U"}) {
		t.Fatalf("unit: %v", got)
	}
	if got := rt.topicsWithFlag(func(f int32) bool { return f&flagUnit == 0 && f&flagUnitSub != 0 }); !slices.Equal(got, []string{"US"}) {
		t.Fatalf("unit sub: %v", got)
	}
}
