// Package admintest runs an in-process stand-in for the admin side of an Apache RocketMQ
// broker on 127.0.0.1:0. It answers the admin request codes with the bodies Apache writes
// (fastjson dialect: bare numeric keys, JSON-object map keys), keeps topics and groups in
// memory, and registers them with nameservers over the wire like a real broker. Tests of admin
// and cmd/mq use it for the codes our broker does not answer yet and to pin Apache's
// dialect. Only tests import it.
package admintest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// Config describes the broker to impersonate.
type Config struct {
	Cluster string // default "DefaultCluster"
	Name    string // default "broker-a"
	ID      int64  // 0 = master
	// Topics are the topics it starts with (besides none); each gets queue offsets 0..42 on
	// queue 0.
	Topics []protocol.TopicConfig
	// Groups are the subscription groups it starts with.
	Groups []string
	// NoStats makes it answer VIEW_BROKER_STATS_DATA REQUEST_CODE_NOT_SUPPORTED, as a broker
	// that keeps no traffic stats does (mq's did before 2026-11-28).
	NoStats bool
}

// Broker is a running stand-in broker.
type Broker struct {
	// Addr is the host:port it listens on.
	Addr string
	cfg  Config
	srv  *remoting.Server
	done chan error

	mu      sync.Mutex
	topics  map[string]protocol.TopicConfig
	groups  map[string]protocol.SubscriptionGroupConfig
	version int64
	regs    []*registration
	codes   []protocol.RequestCode
	headers []map[string]string

	queues    map[string][]*queueState
	offsets   map[string]int64 // offsetKey → committed offset
	delivered map[int]int64    // delay level → messages the schedule service delivered
}

type registration struct {
	client *remoting.Client
	ns     string
}

// Start starts a Broker on 127.0.0.1:0.
func Start(cfg Config) (*Broker, error) {
	if cfg.Cluster == "" {
		cfg.Cluster = "DefaultCluster"
	}
	if cfg.Name == "" {
		cfg.Name = "broker-a"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &Broker{
		Addr:   ln.Addr().String(),
		cfg:    cfg,
		srv:    remoting.NewServer(remoting.ServerConfig{}),
		done:   make(chan error, 1),
		topics: map[string]protocol.TopicConfig{},
		groups: map[string]protocol.SubscriptionGroupConfig{},

		queues:    map[string][]*queueState{},
		offsets:   map[string]int64{},
		delivered: map[int]int64{},
	}
	// Like Apache with autoCreateTopicEnable, clusterTopicEnable and brokerTopicEnable: TBW102
	// and topics named after the cluster and the broker are always there (a nameserver also
	// refuses a first registration that carries a single topic).
	b.topics[autoCreateTopic] = autoCreateTopicConfig()
	b.topics[cfg.Cluster] = systemTopicConfig(cfg.Cluster)
	b.topics[cfg.Name] = systemTopicConfig(cfg.Name)
	// SCHEDULE_TOPIC_XXXX is in every Apache broker's topic table, with a queue per delay level.
	sched := systemTopicConfig(scheduleTopic)
	sched.ReadQueueNums, sched.WriteQueueNums = scheduleQueueNums, scheduleQueueNums
	b.topics[scheduleTopic] = sched
	for _, tc := range cfg.Topics {
		b.topics[tc.TopicName] = tc
		// Queue 0 of every configured topic holds offsets 0..42.
		q := b.queueLocked(tc.TopicName, 0)
		q.max, q.last = 42, 1700000000000
	}
	for _, g := range cfg.Groups {
		b.groups[g] = protocol.NewSubscriptionGroupConfig(g)
	}
	for code, fn := range map[protocol.RequestCode]func(*remoting.Command) *remoting.Command{
		protocol.GetBrokerRuntimeInfo:             b.runtimeInfo,
		protocol.GetBrokerConfig:                  b.brokerConfig,
		protocol.GetAllTopicConfig:                b.allTopicConfig,
		protocol.UpdateAndCreateTopic:             b.createTopic,
		protocol.DeleteTopicInBroker:              b.deleteTopic,
		protocol.GetAllSubscriptionGroupConfig:    b.allGroups,
		protocol.UpdateAndCreateSubscriptionGroup: b.createGroup,
		protocol.DeleteSubscriptionGroup:          b.deleteGroup,
		protocol.GetTopicStatsInfo:                b.topicStats,
		protocol.GetConsumeStats:                  b.consumeStats,
		protocol.GetConsumerConnectionList:        b.consumerConnections,
		protocol.GetProducerConnectionList:        b.producerConnections,
		protocol.GetConsumerRunningInfo:           consumerRunningInfo,
		protocol.ViewBrokerStatsData:              b.statsData,
		protocol.UpdateBrokerConfig:               b.updateConfig,
		protocol.GetBrokerConsumeStats:            b.brokerConsumeStats,
		protocol.QueryTopicConsumeByWho:           b.consumeByWho,
		protocol.GetBrokerHAStatus:                haStatus,
		protocol.SendMessage:                      b.sendMessage,
		protocol.SendMessageV2:                    b.sendMessage,
		protocol.QueryConsumerOffset:              b.queryConsumerOffset,
		protocol.GetMinOffset:                     b.queueOffset,
		protocol.GetMaxOffset:                     b.queueOffset,
		protocol.PullMessage:                      b.pullMessage,
		protocol.GetBrokerClusterACLConfig:        b.aclConfig, // acl.go
		protocol.UpdateAndCreateACLConfig:         b.aclOK,
		protocol.DeleteACLConfig:                  b.aclOK,
		protocol.UpdateGlobalWhiteAddrsConfig:     b.aclOK,
	} {
		if code == protocol.ViewBrokerStatsData && cfg.NoStats {
			continue
		}
		b.srv.Handle(int16(code), remoting.HandlerFunc(func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
			b.mu.Lock()
			b.codes = append(b.codes, code)
			b.headers = append(b.headers, req.ExtFields)
			b.mu.Unlock()
			return fn(req)
		}))
	}
	go func() { b.done <- b.srv.Serve(ln) }()
	return b, nil
}

// Close unregisters nothing (a closed connection is how nameservers learn a broker left),
// closes its nameserver connections and stops the server.
func (b *Broker) Close() error {
	b.mu.Lock()
	regs := b.regs
	b.regs = nil
	b.mu.Unlock()
	for _, r := range regs {
		r.client.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := b.srv.Shutdown(ctx)
	if serr := <-b.done; serr != nil && err == nil {
		err = serr
	}
	return err
}

// Requests returns the codes received so far, in order, and their extFields.
func (b *Broker) Requests() ([]protocol.RequestCode, []map[string]string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]protocol.RequestCode(nil), b.codes...), append([]map[string]string(nil), b.headers...)
}

// Register registers the broker (its topics) with the nameserver at ns and keeps the
// connection open until Close: nameservers drop a broker whose connection closes.
func (b *Broker) Register(ctx context.Context, ns string) error {
	c := remoting.NewClient(remoting.ClientConfig{})
	if err := b.registerWith(ctx, c, ns, b.Addr); err != nil {
		c.Close()
		return err
	}
	b.mu.Lock()
	b.regs = append(b.regs, &registration{client: c, ns: ns})
	b.mu.Unlock()
	return nil
}

func (b *Broker) registerWith(ctx context.Context, c *remoting.Client, ns, addr string) error {
	b.mu.Lock()
	b.version++
	tw := protocol.TopicConfigSerializeWrapper{
		DataVersion:      protocol.DataVersion{Counter: b.version, Timestamp: time.Now().UnixMilli()},
		TopicConfigTable: make(map[string]protocol.TopicConfig, len(b.topics)),
	}
	for k, v := range b.topics {
		tw.TopicConfigTable[k] = v
	}
	b.mu.Unlock()
	return RegisterBroker(ctx, c, ns, b.cfg.Cluster, b.cfg.Name, b.cfg.ID, addr, tw)
}

// reregister sends the current topic table to every nameserver registered with.
func (b *Broker) reregister() error {
	b.mu.Lock()
	regs := append([]*registration(nil), b.regs...)
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, r := range regs {
		errs = append(errs, b.registerWith(ctx, r.client, r.ns, b.Addr))
	}
	return errors.Join(errs...)
}

// RegisterBroker sends REGISTER_BROKER for a broker at addr on client c. The nameserver keeps
// the broker while c's connection stays open.
func RegisterBroker(ctx context.Context, c *remoting.Client, ns, cluster, name string, id int64, addr string, tw protocol.TopicConfigSerializeWrapper) error {
	if tw.TopicConfigTable == nil {
		tw.TopicConfigTable = map[string]protocol.TopicConfig{}
	}
	body, err := protocol.EncodeRegisterBrokerBody(protocol.RegisterBrokerBody{TopicConfigSerializeWrapper: tw}, false)
	if err != nil {
		return err
	}
	h := &protocol.RegisterBrokerRequestHeader{BrokerName: name, BrokerAddr: addr, ClusterName: cluster,
		HAServerAddr: addr, BrokerID: id, BodyCrc32: protocol.BodyCRC32(body)}
	resp, err := c.InvokeSync(ctx, ns, remoting.NewRequest(int16(protocol.RegisterBroker), protocol.EncodeHeader(h), body))
	if err != nil {
		return err
	}
	return resp.Err()
}

// DeadAddr returns a loopback address where nothing listens (connections are refused).
func DeadAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// DeadBroker is a broker registered with a nameserver at an address where nothing listens,
// like a broker that crashed less than 120 s ago.
type DeadBroker struct {
	Addr   string
	client *remoting.Client
}

// RegisterDead registers a broker named name of cluster at a dead address with ns.
func RegisterDead(ctx context.Context, ns, cluster, name string, topics ...protocol.TopicConfig) (*DeadBroker, error) {
	addr, err := DeadAddr()
	if err != nil {
		return nil, err
	}
	c := remoting.NewClient(remoting.ClientConfig{})
	tw := protocol.TopicConfigSerializeWrapper{DataVersion: protocol.DataVersion{Counter: 1},
		TopicConfigTable: map[string]protocol.TopicConfig{autoCreateTopic: autoCreateTopicConfig()}}
	for _, tc := range topics {
		tw.TopicConfigTable[tc.TopicName] = tc
	}
	if err := RegisterBroker(ctx, c, ns, cluster, name, 0, addr, tw); err != nil {
		c.Close()
		return nil, err
	}
	return &DeadBroker{Addr: addr, client: c}, nil
}

// Close drops the registration connection.
func (d *DeadBroker) Close() error { return d.client.Close() }

const autoCreateTopic = "TBW102"

func autoCreateTopicConfig() protocol.TopicConfig {
	tc := protocol.NewTopicConfig(autoCreateTopic)
	tc.ReadQueueNums, tc.WriteQueueNums, tc.Perm = 8, 8, protocol.PermRead|protocol.PermWrite|protocol.PermInherit
	return tc
}

func systemTopicConfig(name string) protocol.TopicConfig {
	tc := protocol.NewTopicConfig(name)
	tc.ReadQueueNums, tc.WriteQueueNums = 1, 1
	return tc
}

func ok(req *remoting.Command, body string) *remoting.Command {
	resp := remoting.NewResponse(req, 0, "")
	if body != "" {
		resp.Body = []byte(body)
	}
	return resp
}

func fail(req *remoting.Command, code protocol.ResponseCode, remark string) *remoting.Command {
	return remoting.NewResponse(req, int16(code), remark)
}

// The bodies below are written the way Apache's fastjson writes them (sorted keys, bare
// object keys), not with encoding/json.

// runtimeInfo answers GET_BROKER_RUNTIME_INFO; scheduleMessageOffset_<level> is there only for
// levels that delivered at least once (see Deliver).
func (b *Broker) runtimeInfo(req *remoting.Command) *remoting.Command {
	table := map[string]string{"bootTimestamp": "1700000000000", "brokerActive": "true", "brokerVersionDesc": "V5_3_3",
		"commitLogDiskRatio": "0.25", "commitLogMaxOffset": "4200", "commitLogMinOffset": "0",
		"getTransferredTps": "0.0 0.0 0.0", "msgGetTotalTodayNow": "100", "msgPutTotalTodayNow": "120",
		"putTps": "1.5 2.0 3.0", "runtime": "[ 0 days, 1 hours, 0 minutes, 0 seconds ]"}
	b.mu.Lock()
	b.scheduleRuntimeLocked(table)
	b.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"table": table})
	return ok(req, string(body))
}

func (b *Broker) brokerConfig(req *remoting.Command) *remoting.Command {
	resp := ok(req, "brokerClusterName="+b.cfg.Cluster+"\nbrokerId="+strconv.FormatInt(b.cfg.ID, 10)+
		"\nbrokerName="+b.cfg.Name+"\nlistenPort="+b.Addr[strings.LastIndexByte(b.Addr, ':')+1:]+
		"\nnamesrvAddr=127.0.0.1:9876\nflushDiskType=ASYNC_FLUSH\nmessageDelayLevel="+DefaultDelayLevels+"\n")
	resp.ExtFields = map[string]string{"version": `{"counter":1,"stateVersion":0,"timestamp":1700000000000}`}
	return resp
}

// updateConfig accepts UPDATE_BROKER_CONFIG bodies of key=value lines (and changes nothing);
// a line without '=' is refused with SYSTEM_ERROR, as Apache's properties parser would fail.
func (b *Broker) updateConfig(req *remoting.Command) *remoting.Command {
	for _, line := range strings.Split(strings.TrimSpace(string(req.Body)), "\n") {
		if line != "" && !strings.Contains(line, "=") {
			return fail(req, protocol.SystemError, "bad properties line "+line)
		}
	}
	return ok(req, "")
}

func topicConfigJSON(tc protocol.TopicConfig) string {
	return fmt.Sprintf(`{"attributes":{},"order":%t,"perm":%d,"readQueueNums":%d,"topicFilterType":%q,"topicName":%q,"topicSysFlag":%d,"writeQueueNums":%d}`,
		tc.Order, tc.Perm, tc.ReadQueueNums, tc.TopicFilterType, tc.TopicName, tc.TopicSysFlag, tc.WriteQueueNums)
}

func (b *Broker) allTopicConfig(req *remoting.Command) *remoting.Command {
	b.mu.Lock()
	defer b.mu.Unlock()
	var parts []string
	for _, name := range sortedKeys(b.topics) {
		parts = append(parts, strconv.Quote(name)+":"+topicConfigJSON(b.topics[name]))
	}
	return ok(req, `{"dataVersion":{"counter":`+strconv.FormatInt(b.version, 10)+`,"stateVersion":0,"timestamp":1700000000000},`+
		`"mappingDataVersion":{"counter":0,"stateVersion":0,"timestamp":0},"topicConfigTable":{`+strings.Join(parts, ",")+
		`},"topicQueueMappingDetailMap":{}}`)
}

func (b *Broker) createTopic(req *remoting.Command) *remoting.Command {
	var h protocol.CreateTopicRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return fail(req, protocol.SystemError, err.Error())
	}
	if h.Topic == autoCreateTopic || strings.ContainsAny(h.Topic, " /") {
		return fail(req, protocol.InvalidParameter, "The specified topic is conflict with AUTO_CREATE_TOPIC_KEY_TOPIC.")
	}
	b.mu.Lock()
	b.topics[h.Topic] = protocol.TopicConfig{TopicName: h.Topic, ReadQueueNums: h.ReadQueueNums, WriteQueueNums: h.WriteQueueNums,
		Perm: h.Perm, TopicFilterType: h.TopicFilterType, TopicSysFlag: h.TopicSysFlag, Order: h.Order}
	b.mu.Unlock()
	if err := b.reregister(); err != nil {
		return fail(req, protocol.SystemError, err.Error())
	}
	return ok(req, "")
}

func (b *Broker) deleteTopic(req *remoting.Command) *remoting.Command {
	var h protocol.DeleteTopicRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return fail(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	delete(b.topics, h.Topic)
	b.mu.Unlock()
	return ok(req, "")
}

func (b *Broker) allGroups(req *remoting.Command) *remoting.Command {
	b.mu.Lock()
	defer b.mu.Unlock()
	var parts []string
	for _, name := range sortedKeys(b.groups) {
		g := b.groups[name]
		parts = append(parts, fmt.Sprintf(`%q:{"attributes":{},"brokerId":0,"consumeBroadcastEnable":%t,"consumeEnable":%t,`+
			`"consumeFromMinEnable":%t,"consumeMessageOrderly":%t,"consumeTimeoutMinute":15,"groupName":%q,`+
			`"groupRetryPolicy":{"type":"CUSTOMIZED"},"groupSysFlag":0,"notifyConsumerIdsChangedEnable":true,`+
			`"retryMaxTimes":%d,"retryQueueNums":%d,"whichBrokerWhenConsumeSlowly":1}`,
			name, g.ConsumeBroadcastEnable, g.ConsumeEnable, g.ConsumeFromMinEnable, g.ConsumeMessageOrderly, name,
			g.RetryMaxTimes, g.RetryQueueNums))
	}
	return ok(req, `{"dataVersion":{"counter":1,"stateVersion":0,"timestamp":1700000000000},"forbiddenTable":{},`+
		`"subscriptionGroupTable":{`+strings.Join(parts, ",")+`}}`)
}

func (b *Broker) createGroup(req *remoting.Command) *remoting.Command {
	var g protocol.SubscriptionGroupConfig
	if err := protocol.DecodeBody(req.Body, &g); err != nil || g.GroupName == "" {
		return fail(req, protocol.SystemError, fmt.Sprintf("bad subscription group body: %v", err))
	}
	b.mu.Lock()
	b.groups[g.GroupName] = g
	b.mu.Unlock()
	return ok(req, "")
}

func (b *Broker) deleteGroup(req *remoting.Command) *remoting.Command {
	var h protocol.DeleteSubscriptionGroupRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return fail(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	delete(b.groups, h.GroupName)
	b.mu.Unlock()
	return ok(req, "")
}

// topicStats answers GET_TOPIC_STATS_INFO: every write queue's offsets.
func (b *Broker) topicStats(req *remoting.Command) *remoting.Command {
	var h protocol.GetTopicStatsInfoRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return fail(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	tc, found := b.topics[h.Topic]
	if !found {
		return fail(req, protocol.TopicNotExist, "topic["+h.Topic+"] not exist")
	}
	var parts []string
	for q := int32(0); q < max(tc.ReadQueueNums, tc.WriteQueueNums); q++ {
		qs := b.queueLocked(h.Topic, q)
		parts = append(parts, fmt.Sprintf(`{"brokerName":%q,"queueId":%d,"topic":%q}:{"lastUpdateTimestamp":%d,"maxOffset":%d,"minOffset":%d}`,
			b.cfg.Name, q, h.Topic, qs.last, qs.max, qs.min))
	}
	return ok(req, `{"offsetTable":{`+strings.Join(parts, ",")+`},"topicPutTps":0.0}`)
}

// consumeStats answers queue 0 of the topic (or of every topic) with 120 stored and 118
// consumed.
func (b *Broker) consumeStats(req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumeStatsRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return fail(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	_, known := b.groups[h.ConsumerGroup]
	topics := b.consumedTopicsLocked()
	b.mu.Unlock()
	if !known {
		// Apache 4.9.8 does not check the group: with no topic it lists the topics the group
		// has offsets in (none), with one every read queue at consumer offset 0.
		return b.unknownGroupStats(req, h.Topic)
	}
	if h.Topic != "" {
		topics = []string{h.Topic}
	}
	var parts []string
	for _, t := range topics {
		parts = append(parts, fmt.Sprintf(`{"brokerName":%q,"queueId":0,"topic":%q}:{"brokerOffset":120,"consumerOffset":118,"lastTimestamp":1700000000000,"pullOffset":120}`,
			b.cfg.Name, t))
	}
	return ok(req, `{"consumeTps":1.5,"offsetTable":{`+strings.Join(parts, ",")+`}}`)
}

func (b *Broker) consumerConnections(req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumerConnectionListRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return fail(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	_, known := b.groups[h.ConsumerGroup]
	b.mu.Unlock()
	if !known {
		return fail(req, protocol.ConsumerNotOnline, "the consumer group["+h.ConsumerGroup+"] not online")
	}
	return ok(req, `{"connectionSet":[{"clientAddr":"10.0.0.5:53122","clientId":"10.0.0.5@1234","language":"GO","version":317}],`+
		`"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",`+
		`"subscriptionTable":{"TopicTest":{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*",`+
		`"subVersion":1700000000000,"tagsSet":[],"topic":"TopicTest"}}}`)
}

// consumerRunningInfo answers as AdminBrokerProcessor#callConsumer does for a client that is
// not connected (every client consumerConnections lists is one: it went away since).
func consumerRunningInfo(req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumerRunningInfoRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return fail(req, protocol.SystemError, err.Error())
	}
	return fail(req, protocol.SystemError, fmt.Sprintf("The Consumer <%s> <%s> not online", h.ConsumerGroup, h.ClientID))
}

func (b *Broker) producerConnections(req *remoting.Command) *remoting.Command {
	return ok(req, `{"connectionSet":[{"clientAddr":"10.0.0.6:40000","clientId":"10.0.0.6@99","language":"JAVA","version":479}]}`)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// statsData answers VIEW_BROKER_STATS_DATA like Apache: TOPIC_PUT_NUMS of a known topic puts
// 2.5/s and 120 today, GROUP_GET_NUMS of topic@group gets 1.5/s and 100 today; anything else
// is SYSTEM_ERROR "not exist".
func (b *Broker) statsData(req *remoting.Command) *remoting.Command {
	var h protocol.ViewBrokerStatsDataRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return fail(req, protocol.SystemError, err.Error())
	}
	topic, group, _ := strings.Cut(h.StatsKey, "@")
	b.mu.Lock()
	_, tknown := b.topics[topic]
	_, gknown := b.groups[group]
	b.mu.Unlock()
	switch {
	case h.StatsName == "TOPIC_PUT_NUMS" && tknown:
		return ok(req, `{"statsDay":{"avgpt":0.0,"sum":120,"tps":0.0014},"statsHour":{"avgpt":0.0,"sum":120,"tps":0.03},"statsMinute":{"avgpt":0.0,"sum":150,"tps":2.5}}`)
	case h.StatsName == "GROUP_GET_NUMS" && tknown && gknown:
		return ok(req, `{"statsDay":{"avgpt":0.0,"sum":100,"tps":0.0011},"statsHour":{"avgpt":0.0,"sum":100,"tps":0.02},"statsMinute":{"avgpt":0.0,"sum":90,"tps":1.5}}`)
	}
	return fail(req, protocol.SystemError, "The stats <"+h.StatsName+"> <"+h.StatsKey+"> not exist")
}

// consumeByWho answers QUERY_TOPIC_CONSUME_BY_WHO: every known group consumes every topic.
func (b *Broker) consumeByWho(req *remoting.Command) *remoting.Command {
	b.mu.Lock()
	groups := sortedKeys(b.groups)
	b.mu.Unlock()
	body, _ := json.Marshal(protocol.GroupList{GroupList: groups})
	return ok(req, string(body))
}

// brokerConsumeStats answers GET_BROKER_CONSUME_STATS: every group on queue 0 of every topic,
// 120 stored and 118 consumed.
func (b *Broker) brokerConsumeStats(req *remoting.Command) *remoting.Command {
	b.mu.Lock()
	groups := sortedKeys(b.groups)
	topics := b.consumedTopicsLocked()
	b.mu.Unlock()
	var items []string
	total := 0
	for _, g := range groups {
		var list []string
		for _, t := range topics {
			list = append(list, fmt.Sprintf(`{"consumeTps":1.5,"offsetTable":{{"brokerName":%q,"queueId":0,"topic":%q}:{"brokerOffset":120,"consumerOffset":118,"lastTimestamp":1700000000000,"pullOffset":120}}}`,
				b.cfg.Name, t))
			total += 2
		}
		items = append(items, fmt.Sprintf(`{%q:[%s]}`, g, strings.Join(list, ",")))
	}
	return ok(req, fmt.Sprintf(`{"brokerAddr":%q,"consumeStatsList":[%s],"totalDiff":%d}`, b.Addr, strings.Join(items, ","), total))
}
