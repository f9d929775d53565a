package tui

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// fakeSource is a fixed two-broker cluster. down names brokers that fail to answer.
type fakeSource struct {
	down       map[string]bool
	clusterErr error
	perQueue   int64 // messages in every queue; 0 means 3+queue id
}

var _ Source = (*fakeSource)(nil)

var errDown = errors.New("dial tcp: connection refused")

const t0 = int64(1767225600000) // 2026-01-01 00:00:00 UTC

func (f *fakeSource) ClusterInfo(context.Context) (protocol.ClusterInfo, error) {
	if f.clusterErr != nil {
		return protocol.ClusterInfo{}, f.clusterErr
	}
	return protocol.ClusterInfo{
		BrokerAddrTable: map[string]protocol.BrokerData{
			"broker-a": {BrokerName: "broker-a", Cluster: "DefaultCluster", BrokerAddrs: protocol.BrokerAddrs{0: "10.0.0.1:10911", 1: "10.0.0.3:10911"}},
			"broker-b": {BrokerName: "broker-b", Cluster: "DefaultCluster", BrokerAddrs: protocol.BrokerAddrs{0: "10.0.0.2:10911"}},
		},
		ClusterAddrTable: map[string][]string{"DefaultCluster": {"broker-a", "broker-b"}},
	}, nil
}

func results[T any](f *fakeSource, bs []admin.Broker, fn func(b admin.Broker) T) admin.Results[T] {
	r := admin.Results[T]{Kind: admin.KindBroker}
	for _, b := range bs {
		it := admin.Result[T]{Cluster: b.Cluster, Name: b.Name, ID: b.ID, Addr: b.Addr}
		if f.down[b.Addr] || f.down[b.Name] {
			it.Err = fmt.Errorf("GET to %s: %w", b.Addr, errDown)
		} else {
			it.Value = fn(b)
		}
		r.Items = append(r.Items, it)
	}
	return r
}

func (f *fakeSource) RuntimeInfos(_ context.Context, bs []admin.Broker) admin.Results[map[string]string] {
	return results(f, bs, func(b admin.Broker) map[string]string {
		return map[string]string{"brokerVersionDesc": "V5_3_2", "putTps": "12.5 11.0 10.0", "getTransferredTps": "3.25 3 3",
			"msgPutTotalTodayNow": "1200", "msgGetTotalTodayNow": "800", "dispatchBehindBytes": fmt.Sprint(b.ID * 64)}
	})
}

func (f *fakeSource) TopicList(context.Context) ([]string, error) {
	return []string{"Payments", "Orders", "%RETRY%billing", "TBW102", "RMQ_SYS_TRANS_HALF_TOPIC", "%DLQ%billing"}, nil
}

func (f *fakeSource) SystemTopics(context.Context) ([]string, error) { return []string{"TBW102"}, nil }

func (f *fakeSource) TopicRoute(_ context.Context, topic string) (protocol.TopicRouteData, error) {
	if topic == "Missing" {
		return protocol.TopicRouteData{}, errors.New("admin: topic Missing: TOPIC_NOT_EXIST")
	}
	return protocol.TopicRouteData{
		BrokerDatas: []protocol.BrokerData{
			{BrokerName: "broker-b", Cluster: "DefaultCluster", BrokerAddrs: protocol.BrokerAddrs{0: "10.0.0.2:10911"}},
			{BrokerName: "broker-a", Cluster: "DefaultCluster", BrokerAddrs: protocol.BrokerAddrs{0: "10.0.0.1:10911"}},
		},
		QueueDatas: []protocol.QueueData{{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 2, WriteQueueNums: 2},
			{BrokerName: "broker-b", Perm: 6, ReadQueueNums: 2, WriteQueueNums: 2}},
	}, nil
}

func (f *fakeSource) routeMasters() []admin.Broker {
	return []admin.Broker{{Cluster: "DefaultCluster", Name: "broker-a", Addr: "10.0.0.1:10911"},
		{Cluster: "DefaultCluster", Name: "broker-b", Addr: "10.0.0.2:10911"}}
}

func (f *fakeSource) TopicStatus(_ context.Context, topic string) (admin.TopicStatus, error) {
	ts := admin.TopicStatus{Topic: topic}
	ts.Brokers = results(f, f.routeMasters(), func(admin.Broker) protocol.TopicStatsTable { return protocol.TopicStatsTable{} })
	for _, it := range ts.Brokers.Items {
		if it.Err != nil {
			continue
		}
		for q := int32(0); q < 2; q++ {
			ts.Queues = append(ts.Queues, admin.QueueOffsets{Topic: topic, BrokerName: it.Name, QueueID: q,
				MinOffset: 0, MaxOffset: f.queueLen(q), LastUpdateTimestamp: t0 + int64(q)*1000})
		}
	}
	return ts, nil
}

func (f *fakeSource) GroupList(_ context.Context, bs []admin.Broker) admin.GroupList {
	gl := admin.GroupList{Brokers: results(f, bs, func(admin.Broker) protocol.SubscriptionGroupWrapper { return protocol.SubscriptionGroupWrapper{} })}
	for _, it := range gl.Brokers.Items {
		if it.Err != nil {
			continue
		}
		for _, g := range []string{"billing", "audit"} {
			cfg := protocol.SubscriptionGroupConfig{GroupName: g, ConsumeEnable: true, ConsumeBroadcastEnable: g == "audit",
				RetryQueueNums: 1, RetryMaxTimes: 16}
			gl.Groups = append(gl.Groups, admin.GroupConfig{BrokerName: it.Name, Addr: it.Addr, SubscriptionGroupConfig: cfg})
		}
	}
	// Sorted as admin does: by group, then broker.
	for i := range gl.Groups {
		for j := i + 1; j < len(gl.Groups); j++ {
			a, b := gl.Groups[i], gl.Groups[j]
			if b.GroupName < a.GroupName || (b.GroupName == a.GroupName && b.BrokerName < a.BrokerName) {
				gl.Groups[i], gl.Groups[j] = b, a
			}
		}
	}
	return gl
}

func (f *fakeSource) GroupProgress(_ context.Context, group, _ string) (admin.GroupProgress, error) {
	gp := admin.GroupProgress{Group: group}
	gp.Brokers = results(f, f.routeMasters(), func(admin.Broker) protocol.ConsumeStats { return protocol.ConsumeStats{ConsumeTps: 1.5} })
	for _, it := range gp.Brokers.Items {
		if it.Err != nil {
			continue
		}
		gp.ConsumeTps += 1.5
		for q := int32(0); q < 2; q++ {
			lag := int64(q)
			gp.Lag += lag
			gp.Queues = append(gp.Queues, admin.QueueProgress{Topic: "Orders", BrokerName: it.Name, QueueID: q,
				BrokerOffset: 3 + int64(q), ConsumerOffset: 3, Lag: lag, LastTimestamp: t0})
		}
	}
	return gp, nil
}

func (f *fakeSource) GroupConnections(_ context.Context, group string) (admin.GroupConnections, error) {
	gc := admin.GroupConnections{Group: group}
	gc.Brokers = results(f, f.routeMasters(), func(admin.Broker) protocol.ConsumerConnection { return protocol.ConsumerConnection{} })
	gc.Consumer = protocol.ConsumerConnection{ConsumeType: "CONSUME_PASSIVELY", MessageModel: "CLUSTERING", ConsumeFromWhere: "CONSUME_FROM_LAST_OFFSET"}
	gc.Clients = []admin.Client{{BrokerName: "broker-a", Connection: protocol.Connection{ClientID: "10.0.0.9@1234", ClientAddr: "10.0.0.9:50000", Language: "GO", Version: 401}}}
	return gc, nil
}

// queueLen is how many messages queue q of every fake topic holds.
func (f *fakeSource) queueLen(q int32) int64 {
	if f.perQueue > 0 {
		return f.perQueue
	}
	return int64(3 + q)
}

// ScanQueue reads the fake queue as admin.ScanQueue reads a real one: [From, To) in order.
func (f *fakeSource) ScanQueue(_ context.Context, q admin.QueueScan, fn func(*message.MessageExt) bool) (int, error) {
	if f.down[q.Addr] {
		return 0, errDown
	}
	to := q.To
	if to <= 0 || to > f.queueLen(q.QueueID) {
		to = f.queueLen(q.QueueID)
	}
	n := 0
	for off := max(q.From, 0); off < to; off++ {
		m := f.messageAt(q.Addr, q.BrokerName, q.Topic, q.QueueID, off)
		n++
		if !fn(&m) {
			break
		}
	}
	return n, nil
}

func (f *fakeSource) messageAt(addr, brokerName, topic string, queueID int32, off int64) message.MessageExt {
	m := message.MessageExt{QueueID: queueID, QueueOffset: off, CommitLogOffset: 1000*int64(queueID) + off*100,
		StoreTimestamp: t0 + off*60000 + int64(queueID)*1000, BornTimestamp: t0 + off*60000, StoreHost: netip.MustParseAddrPort(addr),
		BornHost: netip.MustParseAddrPort("10.0.0.9:50000")}
	m.Topic = topic
	m.Body = fmt.Appendf(nil, `{"order":%d,"queue":%d,"broker":%q}`, off, queueID, brokerName)
	m.Properties = map[string]string{message.PropertyTags: "TagA", message.PropertyKeys: fmt.Sprintf("k%d-%d", queueID, off),
		message.PropertyUniqClientMessageIDKeyIndex: fmt.Sprintf("7F00000100%s%02d%04d", brokerName[len(brokerName)-1:], queueID, off)}
	return m
}
