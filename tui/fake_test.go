package tui

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// fakeSource is a fixed two-broker cluster. down names brokers that fail to answer.
type fakeSource struct {
	down       map[string]bool
	clusterErr error
	perQueue   int64 // messages in every queue; 0 means 3+queue id
	gone       bool  // broker-b is no longer registered with the nameservers

	mu      sync.Mutex
	changes []string // the mutations asked, in order
}

func (f *fakeSource) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changes = append(f.changes, fmt.Sprintf(format, args...))
}

func (f *fakeSource) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.changes)
}

var _ Source = (*fakeSource)(nil)

var errDown = errors.New("dial tcp: connection refused")

const t0 = int64(1767225600000) // 2026-01-01 00:00:00 UTC

func (f *fakeSource) ClusterInfo(context.Context) (protocol.ClusterInfo, error) {
	if f.clusterErr != nil {
		return protocol.ClusterInfo{}, f.clusterErr
	}
	ci := protocol.ClusterInfo{
		BrokerAddrTable: map[string]protocol.BrokerData{
			"broker-a": {BrokerName: "broker-a", Cluster: "DefaultCluster", BrokerAddrs: protocol.BrokerAddrs{0: "10.0.0.1:10911", 1: "10.0.0.3:10911"}},
			"broker-b": {BrokerName: "broker-b", Cluster: "DefaultCluster", BrokerAddrs: protocol.BrokerAddrs{0: "10.0.0.2:10911"}},
		},
		ClusterAddrTable: map[string][]string{"DefaultCluster": {"broker-a", "broker-b"}},
	}
	if f.gone {
		delete(ci.BrokerAddrTable, "broker-b")
		ci.ClusterAddrTable["DefaultCluster"] = []string{"broker-a"}
	}
	return ci, nil
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
		return f.runtime(b.ID)
	})
}

func (f *fakeSource) runtime(id int64) map[string]string {
	return map[string]string{"brokerVersionDesc": "V5_3_2", "putTps": "12.5 11.0 10.0", "getTransferredTps": "3.25 3 3",
		"msgPutTotalTodayNow": "1200", "msgGetTotalTodayNow": "800", "dispatchBehindBytes": fmt.Sprint(id * 64),
		"commitLogDiskRatio": "0.42", "commitLogMaxOffset": fmt.Sprint(1000000 - id*1000)}
}

func (f *fakeSource) BrokerRuntimeInfo(_ context.Context, addr string) (map[string]string, error) {
	if f.down[addr] {
		return nil, errDown
	}
	id := int64(0)
	if addr == "10.0.0.3:10911" {
		id = 1
	}
	return f.runtime(id), nil
}

func (f *fakeSource) BrokerConfig(_ context.Context, addr string) (map[string]string, error) {
	if f.down[addr] {
		return nil, errDown
	}
	role := "ASYNC_MASTER"
	if addr == "10.0.0.3:10911" {
		role = "SLAVE"
	}
	return map[string]string{"brokerRole": role, "flushDiskType": "ASYNC_FLUSH", "listenPort": "10911"}, nil
}

func (f *fakeSource) HAStatus(_ context.Context, addr string) (protocol.HARuntimeInfo, error) {
	if f.down[addr] {
		return protocol.HARuntimeInfo{}, errDown
	}
	if addr == "10.0.0.3:10911" {
		return protocol.HARuntimeInfo{HAClientRuntimeInfo: protocol.HAClientRuntimeInfo{MasterAddr: "10.0.0.1:10912", MaxOffset: 999000,
			MasterMaxOffset: 1000000, Diff: 1000, Connected: true, TransferredByteInSecond: 2048, LastReadTimestamp: t0}}, nil
	}
	info := protocol.HARuntimeInfo{Master: true, MasterCommitLogMaxOffset: 1000000}
	if addr == "10.0.0.1:10911" {
		info.InSyncSlaveNums = 1
		info.HAConnectionInfo = []protocol.HAConnectionRuntimeInfo{{Addr: "10.0.0.3:40000", SlaveAckOffset: 999000, Diff: 1000, InSync: true,
			TransferredByteInSecond: 2048}}
	}
	return info, nil
}

func (f *fakeSource) AllTopicConfig(_ context.Context, addr string) (protocol.TopicConfigSerializeWrapper, error) {
	if f.down[addr] {
		return protocol.TopicConfigSerializeWrapper{}, errDown
	}
	w := protocol.TopicConfigSerializeWrapper{TopicConfigTable: map[string]protocol.TopicConfig{}}
	ts, _ := f.TopicList(context.Background())
	for _, t := range ts {
		tc := protocol.NewTopicConfig(t)
		tc.ReadQueueNums, tc.WriteQueueNums = 2, 2
		w.TopicConfigTable[t] = tc
	}
	return w, nil
}

func (f *fakeSource) TopicConsumers(_ context.Context, addr, topic string) ([]string, error) {
	if f.down[addr] {
		return nil, errDown
	}
	if topic == "Orders" {
		return []string{"billing", "audit"}, nil
	}
	return nil, nil
}

func (f *fakeSource) StatsAll(_ context.Context, topics []string) (admin.StatsAll, error) {
	var sa admin.StatsAll
	for _, t := range topics {
		sa.Rows = append(sa.Rows, admin.StatsRow{Topic: t, InTPS: 2.5, Source: admin.StatsSourceBroker})
		if t == "Orders" {
			for _, g := range []string{"audit", "billing"} {
				sa.Rows = append(sa.Rows, admin.StatsRow{Topic: t, Group: g, Accumulation: 2, OutTPS: 1.5, Source: admin.StatsSourceBroker})
			}
		}
	}
	return sa, nil
}

func (f *fakeSource) ProgressDetails(_ context.Context, gp *admin.GroupProgress, owners bool) error {
	for i := range gp.Queues {
		q := &gp.Queues[i]
		if q.Lag > 0 {
			q.OldestUnconsumed = t0
			q.TimeLagMs = q.Lag * 90000
		}
		if owners {
			q.Client = "10.0.0.9@1234"
		}
	}
	return nil
}

// all reads every fake message of topic on the answering masters.
func (f *fakeSource) all(topic string) []admin.FoundMessage {
	var out []admin.FoundMessage
	for _, b := range f.routeMasters() {
		if f.down[b.Addr] {
			continue
		}
		for q := int32(0); q < 2; q++ {
			for off := int64(0); off < f.queueLen(q); off++ {
				out = append(out, admin.FoundMessage{BrokerName: b.Name, Addr: b.Addr, MessageExt: f.messageAt(b.Addr, b.Name, topic, q, off)})
			}
		}
	}
	return out
}

func (f *fakeSource) QueryByKey(_ context.Context, topic, key string, _, _ int64, _ int) (admin.KeyQuery, error) {
	kq := admin.KeyQuery{Queries: 2}
	kq.Brokers = results(f, f.routeMasters(), func(admin.Broker) struct{} { return struct{}{} })
	for _, m := range f.all(topic) {
		if slices.Contains(strings.Fields(m.Keys()), key) {
			kq.Messages = append(kq.Messages, m)
		}
	}
	return kq, kq.Brokers.Err()
}

func (f *fakeSource) MessageByID(_ context.Context, topic, id string) ([]admin.FoundMessage, admin.IDKind, error) {
	if topic == "" {
		return nil, admin.IDUnique, admin.ErrNeedTopic
	}
	for _, m := range f.all(topic) {
		if m.MsgID() == id {
			return []admin.FoundMessage{m}, admin.IDUnique, nil
		}
	}
	return nil, admin.IDUnique, fmt.Errorf("%w: no message of %s has unique key %s", admin.ErrMessageNotFound, topic, id)
}

// MessageTrace has a trace for the messages of broker-a (ids 7F00000100a…), none for the rest.
func (f *fakeSource) MessageTrace(_ context.Context, traceTopic, id string) (admin.Trace, error) {
	if traceTopic == "" {
		traceTopic = admin.DefaultTraceTopic
	}
	tr := admin.Trace{MsgID: id, TraceTopic: traceTopic, Events: []admin.TraceEvent{}, Records: []admin.TraceRecord{}}
	if !strings.HasPrefix(id, "7F00000100a") {
		return tr, nil
	}
	tr.Records = make([]admin.TraceRecord, 4)
	tr.Events = []admin.TraceEvent{
		{Kind: "send", Timestamp: t0, Group: "pg-orders", Client: "10.0.0.9", Broker: "10.0.0.1:10911", CostMs: 3, Success: true, Detail: "topic=Orders"},
		{Kind: "store", Timestamp: t0 + 3, Broker: "10.0.0.1:10911", Success: true},
		{Kind: "consume", Timestamp: t0 + 40, Group: "audit", Client: "10.0.0.7", CostMs: 120, Attempt: 1, Status: "FAILED"},
		{Kind: "consume", Timestamp: t0 + 10040, Group: "audit", Client: "10.0.0.7", CostMs: 15, Success: true, Attempt: 2, Status: "SUCCESS"},
		{Kind: "consume", Timestamp: t0 + 50, Group: "billing", Client: "10.0.0.8", CostMs: 8, Success: true, Attempt: 1, Status: "SUCCESS"},
	}
	slices.SortStableFunc(tr.Events, func(a, b admin.TraceEvent) int { return int(a.Timestamp - b.Timestamp) })
	return tr, nil
}

func (f *fakeSource) DelayStatus(_ context.Context, addr string) (admin.DelayStatus, error) {
	if f.down[addr] {
		return admin.DelayStatus{}, errDown
	}
	ds := admin.DelayStatus{Source: admin.SourceMQ, Timer: &protocol.TimerStatusBody{Enabled: true, Pending: 2, Enqueued: 9, Delivered: 7,
		NextDueTimestamp: t0 + 30000}}
	for _, l := range []struct {
		level int32
		delay int64
		pend  int64
	}{{1, 1000, 0}, {3, 10000, 1}, {16, 1800000, 5}} {
		ds.Levels = append(ds.Levels, protocol.DelayLevelStatus{Level: l.level, DelayMillis: l.delay, DeliveredOffset: 10,
			MaxOffset: 10 + l.pend, Pending: l.pend, NextDueTimestamp: map[bool]int64{true: t0 + l.delay, false: 0}[l.pend > 0]})
	}
	return ds, nil
}

func (f *fakeSource) TransactionStatus(_ context.Context, addr string, _ int32) (admin.TxnStatus, error) {
	if f.down[addr] {
		return admin.TxnStatus{}, errDown
	}
	ts := admin.TxnStatus{Source: admin.SourceMQ}
	ts.Queues = []protocol.HalfQueueStatus{{QueueID: 0, HalfOffset: 4, MaxOffset: 6, OpOffset: 1, OpMaxOffset: 4, Pending: 2,
		OldestAgeMillis: 125000, ChecksSent: 3}}
	for i := range 2 {
		ts.Messages = append(ts.Messages, protocol.HalfMessage{QueueOffset: int64(4 + i), Topic: "Orders", ProducerGroup: "pg-orders",
			MsgID: fmt.Sprintf("7F0000010000%s00HALF%d", addr[7:8], i), CheckTimes: int32(1 + i), StoreTimestamp: t0 - int64(i)*60000})
	}
	return ts, nil
}

func (f *fakeSource) PlanReset(ctx context.Context, group, topic string, to admin.ResetTo) (admin.ResetPlan, error) {
	p := admin.ResetPlan{Group: group, Topic: topic}
	gp, _ := f.GroupProgress(ctx, group, topic)
	for _, q := range gp.Queues {
		rq := admin.ResetQueue{Topic: topic, BrokerName: q.BrokerName, QueueID: q.QueueID, MinOffset: 0, MaxOffset: q.BrokerOffset,
			Current: q.ConsumerOffset, Applied: -1}
		switch to.Kind {
		case admin.ResetEarliest:
			rq.Target = 0
		case admin.ResetLatest:
			rq.Target = q.BrokerOffset
		default:
			rq.Target = 1
		}
		p.Queues = append(p.Queues, rq)
	}
	return p, nil
}

func (f *fakeSource) ApplyReset(_ context.Context, p *admin.ResetPlan) error {
	var qs []string
	for _, q := range p.Queues {
		qs = append(qs, fmt.Sprintf("%s/%d=%d", q.BrokerName, q.QueueID, q.Target))
	}
	f.record("reset %s %s %s", p.Group, p.Topic, strings.Join(qs, " "))
	return nil
}

func (f *fakeSource) CreateTopic(_ context.Context, bs []admin.Broker, tc protocol.TopicConfig) admin.Results[struct{}] {
	f.record("create topic %s queues %d on %d brokers", tc.TopicName, tc.WriteQueueNums, len(bs))
	return results(f, bs, func(admin.Broker) struct{} { return struct{}{} })
}

func (f *fakeSource) DeleteTopic(_ context.Context, topic, _ string) (admin.DeleteTopicResult, error) {
	f.record("delete topic %s", topic)
	return admin.DeleteTopicResult{}, nil
}

func (f *fakeSource) DeleteGroup(_ context.Context, bs []admin.Broker, group string, clean bool) admin.Results[struct{}] {
	f.record("delete group %s clean=%v", group, clean)
	return results(f, bs, func(admin.Broker) struct{} { return struct{}{} })
}

func (f *fakeSource) ConsumeAgain(_ context.Context, topic, id, group, _ string) (admin.ConsumedAgain, error) {
	f.record("consume again %s %s by %s", topic, id, group)
	return admin.ConsumedAgain{MsgID: id, Group: group, Client: "10.0.0.9@1234", Result: "CR_SUCCESS", SpentMs: 3}, nil
}

func (f *fakeSource) DeadLetters(_ context.Context, group, _ string, max int) ([]message.MessageExt, error) {
	var out []message.MessageExt
	for _, m := range f.all(admin.DLQTopic(group)) {
		if len(out) < max {
			out = append(out, m.MessageExt)
		}
	}
	return out, nil
}

func (f *fakeSource) ResendDeadLetters(_ context.Context, group string, msgs []message.MessageExt) []admin.Resent {
	var out []admin.Resent
	for _, m := range msgs {
		f.record("resend %s %s", group, m.MsgID())
		out = append(out, admin.Resent{MsgID: m.MsgID(), To: admin.RetryTopic(group), NewMsgID: "NEW" + m.MsgID()})
	}
	return out
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
		for _, g := range []string{"billing", "audit", admin.ToolsGroup} {
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

func (f *fakeSource) GroupProgress(_ context.Context, group, topic string) (admin.GroupProgress, error) {
	gp := admin.GroupProgress{Group: group}
	if group == admin.ToolsGroup {
		return gp, &admin.GroupError{Group: group, Topic: topic, Err: admin.ErrGroupNoOffsets}
	}
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

// SearchOffset finds the first offset stored at or after ts (message off of queue q is stored
// at t0 + off minutes + q seconds).
func (f *fakeSource) SearchOffset(_ context.Context, addr, _ string, q int32, ts int64) (int64, error) {
	if f.down[addr] {
		return 0, errDown
	}
	for off := int64(0); off < f.queueLen(q); off++ {
		if t0+off*60000+int64(q)*1000 >= ts {
			return off, nil
		}
	}
	return f.queueLen(q), nil
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
