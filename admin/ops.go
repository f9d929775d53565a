package admin

import (
	"context"
	"errors"
	"sort"

	"github.com/mq-project/mq/protocol"
)

// Operations that combine a nameserver lookup with a fan-out to brokers, the way mqadmin's
// commands do (reference §5.13). Each returns the per-broker Results, so a caller can tell a
// partial answer ("2/3 brokers answered") from a complete one.

// ForEachBroker calls fn for every broker, at most Options.Concurrency at once.
func ForEachBroker[T any](ctx context.Context, a *Admin, bs []Broker, fn func(ctx context.Context, addr string) (T, error)) Results[T] {
	return fanOut(ctx, a, KindBroker, brokerTargets(bs), fn)
}

// ResolveBrokers picks the brokers a command addresses: the broker at addr when addr is set
// (named from the cluster info when the nameservers know it), else every master of cluster.
func (a *Admin) ResolveBrokers(ctx context.Context, cluster, addr string) ([]Broker, error) {
	if addr != "" {
		b := Broker{Addr: addr}
		if ci, err := a.ClusterInfo(ctx); err == nil {
			if all, err := Brokers(ci, ""); err == nil {
				for _, k := range all {
					if k.Addr == addr {
						b = k
						break
					}
				}
			}
		}
		return []Broker{b}, nil
	}
	ci, err := a.ClusterInfo(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := Masters(ci, cluster)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		if cluster == "" {
			return nil, wrapf("%w: the nameservers know no broker", ErrNoBrokers)
		}
		return nil, wrapf("%w: cluster %s has no master", ErrNoBrokers, cluster)
	}
	return ms, nil
}

// ResolveReaders picks the brokers a read view asks: the broker at addr when addr is set,
// else one broker per brokerName of cluster: its master, or, when the nameservers list none
// (it is gone), its lowest slave, which holds the master's data and, synced every 10 s, its
// topics, groups and offsets. Results name a slave by its id (Result.FromSlave); commands
// that change brokers use ResolveBrokers.
func (a *Admin) ResolveReaders(ctx context.Context, cluster, addr string) ([]Broker, error) {
	if addr != "" {
		return a.ResolveBrokers(ctx, cluster, addr)
	}
	ci, err := a.ClusterInfo(ctx)
	if err != nil {
		return nil, err
	}
	sets, err := ClusterBrokerSets(ci, cluster)
	if err != nil {
		return nil, err
	}
	var out []Broker
	for _, s := range sets {
		if bs := s.Brokers(); len(bs) > 0 {
			out = append(out, bs[0])
		}
	}
	if len(out) == 0 {
		if cluster == "" {
			return nil, wrapf("%w: the nameservers know no broker", ErrNoBrokers)
		}
		return nil, wrapf("%w: cluster %s has no broker", ErrNoBrokers, cluster)
	}
	return out, nil
}

// RuntimeInfos asks every broker for its runtime statistics (GET_BROKER_RUNTIME_INFO).
func (a *Admin) RuntimeInfos(ctx context.Context, bs []Broker) Results[map[string]string] {
	return ForEachBroker(ctx, a, bs, a.BrokerRuntimeInfo)
}

// CreateTopic creates or updates tc on every broker of bs (UPDATE_AND_CREATE_TOPIC).
func (a *Admin) CreateTopic(ctx context.Context, bs []Broker, tc protocol.TopicConfig) Results[struct{}] {
	return ForEachBroker(ctx, a, bs, func(ctx context.Context, addr string) (struct{}, error) {
		return struct{}{}, a.CreateTopicOnBroker(ctx, addr, tc)
	})
}

// DeleteTopicResult is what DeleteTopic did on the brokers and on the nameservers.
type DeleteTopicResult struct {
	Brokers     Results[struct{}]
	NameServers Results[struct{}]
}

// Err joins the fan-out errors of both steps; nil when every server answered.
func (r DeleteTopicResult) Err() error { return errors.Join(r.Brokers.Err(), r.NameServers.Err()) }

// DeleteTopic deletes topic on every master of cluster (DELETE_TOPIC_IN_BROKER) and then
// removes its route for that cluster from every nameserver (DELETE_TOPIC_IN_NAMESRV), as
// mqadmin deleteTopic does.
func (a *Admin) DeleteTopic(ctx context.Context, topic, cluster string) (DeleteTopicResult, error) {
	var r DeleteTopicResult
	bs, err := a.ResolveBrokers(ctx, cluster, "")
	if err != nil {
		return r, err
	}
	r.Brokers = ForEachBroker(ctx, a, bs, func(ctx context.Context, addr string) (struct{}, error) {
		return struct{}{}, a.DeleteTopicOnBroker(ctx, addr, topic)
	})
	r.NameServers = a.DeleteTopicInNamesrv(ctx, topic, cluster)
	return r, nil
}

// QueueOffsets are one queue's offsets on a broker (a TopicStatsTable entry).
type QueueOffsets struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int32  `json:"queueId"`
	MinOffset  int64  `json:"minOffset"`
	MaxOffset  int64  `json:"maxOffset"`
	// LastUpdateTimestamp is the store time of the last message in ms, 0 when empty.
	LastUpdateTimestamp int64 `json:"lastUpdateTimestamp"`
	// FromSlave is set when a slave answered for the brokerName (no master, or it did not
	// answer).
	FromSlave bool `json:"fromSlave,omitempty"`
}

// TopicStatus is a topic's queues across the masters of its route (mqadmin topicStatus).
type TopicStatus struct {
	Topic string
	// Queues are the answered brokers' queues, sorted by broker name and queue id.
	Queues []QueueOffsets
	// Brokers holds each master's answer.
	Brokers Results[protocol.TopicStatsTable]
}

// TopicStatus asks every brokerName of topic's route for its queue offsets
// (GET_TOPIC_STATS_INFO): the master, or a slave when there is none (ForEachBrokerSet).
func (a *Admin) TopicStatus(ctx context.Context, topic string) (TopicStatus, error) {
	ts := TopicStatus{Topic: topic}
	rd, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return ts, err
	}
	sets := RouteBrokerSets(rd)
	if len(sets) == 0 {
		return ts, wrapf("%w: route of %s names no broker", ErrNoBrokers, topic)
	}
	ts.Brokers = ForEachBrokerSet(ctx, a, sets, func(ctx context.Context, b Broker) (protocol.TopicStatsTable, error) {
		return a.TopicStats(ctx, b.Addr, topic)
	})
	for _, it := range ts.Brokers.Items {
		if it.Err != nil {
			continue
		}
		for q, off := range it.Value.OffsetTable {
			ts.Queues = append(ts.Queues, QueueOffsets{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID,
				MinOffset: off.MinOffset, MaxOffset: off.MaxOffset, LastUpdateTimestamp: off.LastUpdateTimestamp,
				FromSlave: it.FromSlave()})
		}
	}
	sort.Slice(ts.Queues, func(i, j int) bool {
		x, y := ts.Queues[i], ts.Queues[j]
		if x.BrokerName != y.BrokerName {
			return x.BrokerName < y.BrokerName
		}
		return x.QueueID < y.QueueID
	})
	return ts, nil
}

// GroupConfig is one subscription group as one broker holds it.
type GroupConfig struct {
	BrokerName string `json:"brokerName"`
	Addr       string `json:"addr"`
	protocol.SubscriptionGroupConfig
}

// GroupList is the subscription groups of some brokers (mqadmin has no direct equivalent;
// it is what `mq group list` shows).
type GroupList struct {
	// Groups are sorted by group name and broker name.
	Groups  []GroupConfig
	Brokers Results[protocol.SubscriptionGroupWrapper]
}

// GroupList asks every broker of bs for its subscription groups
// (GET_ALL_SUBSCRIPTIONGROUP_CONFIG).
func (a *Admin) GroupList(ctx context.Context, bs []Broker) GroupList {
	var gl GroupList
	gl.Brokers = ForEachBroker(ctx, a, bs, a.SubscriptionGroups)
	for _, it := range gl.Brokers.Items {
		if it.Err != nil {
			continue
		}
		for name, cfg := range it.Value.SubscriptionGroupTable {
			if cfg.GroupName == "" {
				cfg.GroupName = name
			}
			gl.Groups = append(gl.Groups, GroupConfig{BrokerName: it.Name, Addr: it.Addr, SubscriptionGroupConfig: cfg})
		}
	}
	sort.Slice(gl.Groups, func(i, j int) bool {
		x, y := gl.Groups[i], gl.Groups[j]
		if x.GroupName != y.GroupName {
			return x.GroupName < y.GroupName
		}
		if x.BrokerName != y.BrokerName {
			return x.BrokerName < y.BrokerName
		}
		return x.Addr < y.Addr
	})
	return gl
}

// CreateGroup creates or updates cfg on every broker of bs (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).
func (a *Admin) CreateGroup(ctx context.Context, bs []Broker, cfg protocol.SubscriptionGroupConfig) Results[struct{}] {
	return ForEachBroker(ctx, a, bs, func(ctx context.Context, addr string) (struct{}, error) {
		return struct{}{}, a.CreateSubscriptionGroupOnBroker(ctx, addr, cfg)
	})
}

// DeleteGroup deletes group on every broker of bs (DELETE_SUBSCRIPTIONGROUP).
func (a *Admin) DeleteGroup(ctx context.Context, bs []Broker, group string, cleanOffset bool) Results[struct{}] {
	return ForEachBroker(ctx, a, bs, func(ctx context.Context, addr string) (struct{}, error) {
		return struct{}{}, a.DeleteSubscriptionGroupOnBroker(ctx, addr, group, cleanOffset)
	})
}

// RetryTopic returns the retry topic of a consumer group, %RETRY%group.
func RetryTopic(group string) string { return "%RETRY%" + group }

// Client is one connected client of a group on one broker.
type Client struct {
	BrokerName string `json:"brokerName"`
	protocol.Connection
}

// GroupConnections is a consumer group's connections across brokers (mqadmin
// consumerConnection).
type GroupConnections struct {
	Group string
	// Clients are unique by client id (first broker wins), sorted by client id.
	Clients []Client
	// Consumer is the first answer's group-level data (consume type, model, subscriptions).
	Consumer protocol.ConsumerConnection
	Brokers  Results[protocol.ConsumerConnection]
}

// GroupConnections asks the brokerNames that know group (the master, or a slave when there
// is none: ForEachBrokerSet) for its consumer connections
// (GET_CONSUMER_CONNECTION_LIST). A broker without consumers of the group answers
// CONSUMER_NOT_ONLINE (206), which counts as an answer with no clients. When every broker
// answered and none has a client, the error is a *GroupError wrapping ErrGroupNotOnline
// (the answers are still returned).
func (a *Admin) GroupConnections(ctx context.Context, group string) (GroupConnections, error) {
	gc := GroupConnections{Group: group}
	sets, err := a.groupBrokerSets(ctx, group)
	if err != nil {
		return gc, err
	}
	gc.Brokers = ForEachBrokerSet(ctx, a, sets, func(ctx context.Context, b Broker) (protocol.ConsumerConnection, error) {
		cc, err := a.ConsumerConnections(ctx, b.Addr, group)
		if IsCode(err, protocol.ConsumerNotOnline) {
			return protocol.ConsumerConnection{}, nil
		}
		return cc, err
	})
	seen := map[string]bool{}
	for _, it := range gc.Brokers.Items {
		if it.Err != nil {
			continue
		}
		if gc.Consumer.ConsumeType == "" && len(it.Value.ConnectionSet) > 0 {
			gc.Consumer = it.Value
		}
		for _, c := range it.Value.ConnectionSet {
			if !seen[c.ClientID] {
				seen[c.ClientID] = true
				gc.Clients = append(gc.Clients, Client{BrokerName: it.Name, Connection: c})
			}
		}
	}
	sort.Slice(gc.Clients, func(i, j int) bool { return gc.Clients[i].ClientID < gc.Clients[j].ClientID })
	if len(gc.Clients) == 0 && gc.Brokers.Complete() {
		return gc, &GroupError{Group: group, Err: ErrGroupNotOnline}
	}
	return gc, nil
}

// QueueProgress is one queue's consume progress (an OffsetWrapper with its queue).
type QueueProgress struct {
	Topic          string `json:"topic"`
	BrokerName     string `json:"brokerName"`
	QueueID        int32  `json:"queueId"`
	BrokerOffset   int64  `json:"brokerOffset"`
	ConsumerOffset int64  `json:"consumerOffset"`
	PullOffset     int64  `json:"pullOffset"`
	// Lag is BrokerOffset - ConsumerOffset (never negative).
	Lag int64 `json:"lag"`
	// LastTimestamp is the store time of the last consumed message in ms, 0 if none.
	LastTimestamp int64 `json:"lastTimestamp"`
	// OldestUnconsumed is the store time in ms of the message at the consumer offset (the
	// oldest one not consumed), 0 when there is no lag or it was not asked for.
	OldestUnconsumed int64 `json:"oldestUnconsumed,omitempty"`
	// TimeLagMs is the age of the oldest unconsumed message when the progress was taken.
	TimeLagMs int64 `json:"timeLagMs"`
	// Client is the client id that holds the queue, when its running info said so.
	Client string `json:"client,omitempty"`
	// FromSlave is set when a slave answered for the brokerName (no master, or it did not
	// answer): offsets are the slave's copy, at most one sync (10 s) old.
	FromSlave bool `json:"fromSlave,omitempty"`
}

// GroupProgress is a consumer group's progress across brokers (mqadmin consumerProgress).
type GroupProgress struct {
	Group      string
	ConsumeTps float64
	// Lag is the sum of the answered queues' lags.
	Lag int64
	// Queues are sorted by topic, broker name and queue id.
	Queues  []QueueProgress
	Brokers Results[protocol.ConsumeStats]
}

// GroupProgress asks the brokerNames that know group for its consume stats
// (GET_CONSUME_STATS), for topic or, when topic is "", every topic the group consumes: the
// master, or a slave when there is none (ForEachBrokerSet). When every broker answered and
// none holds an offset of the group (Apache answers an unknown group with an empty table, mq
// with SUBSCRIPTION_GROUP_NOT_EXIST), the error is a *GroupError wrapping ErrGroupNoOffsets,
// as mqadmin's examineConsumeStats refuses an empty table.
func (a *Admin) GroupProgress(ctx context.Context, group, topic string) (GroupProgress, error) {
	gp := GroupProgress{Group: group}
	sets, err := a.groupBrokerSets(ctx, group)
	if err != nil {
		return gp, err
	}
	gp.Brokers = ForEachBrokerSet(ctx, a, sets, func(ctx context.Context, b Broker) (protocol.ConsumeStats, error) {
		cs, err := a.ConsumeStats(ctx, b.Addr, group, topic)
		if IsCode(err, protocol.SubscriptionGroupNotExist) {
			return protocol.ConsumeStats{}, nil
		}
		return cs, err
	})
	for _, it := range gp.Brokers.Items {
		if it.Err != nil {
			continue
		}
		gp.ConsumeTps += it.Value.ConsumeTps
		for q, w := range it.Value.OffsetTable {
			lag := max(w.BrokerOffset-w.ConsumerOffset, 0)
			gp.Lag += lag
			gp.Queues = append(gp.Queues, QueueProgress{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID,
				BrokerOffset: w.BrokerOffset, ConsumerOffset: w.ConsumerOffset, PullOffset: w.PullOffset,
				Lag: lag, LastTimestamp: w.LastTimestamp, FromSlave: it.FromSlave()})
		}
	}
	sort.Slice(gp.Queues, func(i, j int) bool {
		x, y := gp.Queues[i], gp.Queues[j]
		if x.Topic != y.Topic {
			return x.Topic < y.Topic
		}
		if x.BrokerName != y.BrokerName {
			return x.BrokerName < y.BrokerName
		}
		return x.QueueID < y.QueueID
	})
	if len(gp.Queues) == 0 && gp.Brokers.Complete() {
		return gp, &GroupError{Group: group, Topic: topic, Err: ErrGroupNoOffsets}
	}
	return gp, nil
}

// Reasons of a *GroupError.
var (
	// ErrGroupNoOffsets: no broker holds an offset of the group (unknown, or never consumed).
	ErrGroupNoOffsets = errors.New("has no offsets")
	// ErrGroupNotOnline: no consumer of the group is connected to any broker.
	ErrGroupNotOnline = errors.New("is not online")
)

// GroupError says why a group's progress or connections are empty: "group G has no offsets",
// "group G is not online". errors.Is matches its reason.
type GroupError struct {
	Group string
	Topic string // the topic asked about, if any
	Err   error
}

func (e *GroupError) Error() string {
	s := "group " + e.Group + " " + e.Err.Error()
	if e.Topic != "" {
		s += " on topic " + e.Topic
	}
	return s
}

func (e *GroupError) Unwrap() error { return e.Err }
