package broker

import (
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mq-project/mq/broker/filter"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// Message models of ConsumerData.
const (
	Clustering   = "CLUSTERING"
	Broadcasting = "BROADCASTING"
)

// consumerGroup is one group's live members and subscriptions (ConsumerGroupInfo.java).
type consumerGroup struct {
	channels         map[uint64]*ClientChannel
	subs             map[string]protocol.SubscriptionData
	filters          map[string]compiledSub // by topic, compiled when a subscription changes
	consumeType      string
	messageModel     string
	consumeFromWhere string
}

// ConsumerManager tracks consumer groups, their connections and subscriptions
// (ConsumerManager.java), fed by heartbeats. When a group's membership or subscriptions
// change it sends NOTIFY_CONSUMER_IDS_CHANGED (flag=2, never awaited) to every remaining
// member, so their clients rebalance at once (DefaultConsumerIdsChangeListener.java).
type ConsumerManager struct {
	log    *slog.Logger
	notify bool // notifyConsumerIdsChangedEnable

	mu     sync.RWMutex
	groups map[string]*consumerGroup
}

// NewConsumerManager returns an empty ConsumerManager; notify is
// notifyConsumerIdsChangedEnable.
func NewConsumerManager(notify bool, log *slog.Logger) *ConsumerManager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ConsumerManager{log: log, notify: notify, groups: make(map[string]*consumerGroup)}
}

// Register records ch as a member of data.GroupName with data's subscriptions
// (ConsumerManager#registerConsumer). It reports whether the membership or the set of
// subscribed topics changed; if so, and notify is true and the group is not BROADCASTING,
// every member is sent NOTIFY_CONSUMER_IDS_CHANGED.
func (m *ConsumerManager) Register(data protocol.ConsumerData, ch ClientChannel, notify bool, now time.Time) bool {
	ch.LastUpdate = now
	group := data.GroupName
	m.mu.Lock()
	g := m.groups[group]
	if g == nil {
		g = &consumerGroup{channels: make(map[uint64]*ClientChannel), subs: make(map[string]protocol.SubscriptionData),
			filters: make(map[string]compiledSub)}
		m.groups[group] = g
	}
	g.consumeType, g.messageModel, g.consumeFromWhere = data.ConsumeType, data.MessageModel, data.ConsumeFromWhere
	old, existed := g.channels[ch.conn.ID()]
	membersChanged := !existed || old.ClientID != ch.ClientID
	g.channels[ch.conn.ID()] = &ch
	subsChanged := updateSubscriptions(g, data.SubscriptionDataSet)
	changed := membersChanged || subsChanged
	var targets []*ClientChannel
	if changed && notify && m.notify && g.messageModel != Broadcasting {
		targets = channelsOf(g)
	}
	m.mu.Unlock()
	if membersChanged {
		m.log.Info("consumer registered", "group", group, "client", ch.ClientID, "remote", ch.conn.RemoteAddr())
	}
	m.sendNotify(group, targets)
	return changed
}

// updateSubscriptions applies a heartbeat's subscription set (ConsumerGroupInfo#updateSubscription):
// new topics are added, newer versions replace older ones, topics no longer listed are removed.
// It reports whether a topic was added or removed.
func updateSubscriptions(g *consumerGroup, subs []protocol.SubscriptionData) bool {
	changed := false
	seen := make(map[string]bool, len(subs))
	for _, s := range subs {
		seen[s.Topic] = true
		old, ok := g.subs[s.Topic]
		switch {
		case !ok:
			g.subs[s.Topic] = s
			changed = true
		case s.SubVersion > old.SubVersion || s.SubString != old.SubString || s.ExpressionType != old.ExpressionType:
			g.subs[s.Topic] = s
		default:
			continue
		}
		g.filters[s.Topic] = compileSub(s.ExpressionType, s.SubString)
	}
	for t := range g.subs {
		if !seen[t] {
			delete(g.subs, t)
			delete(g.filters, t)
			changed = true
		}
	}
	return changed
}

func channelsOf(g *consumerGroup) []*ClientChannel {
	out := make([]*ClientChannel, 0, len(g.channels))
	for _, ch := range g.channels {
		out = append(out, ch)
	}
	return out
}

// sendNotify sends NOTIFY_CONSUMER_IDS_CHANGED to each target, oneway; it never waits.
func (m *ConsumerManager) sendNotify(group string, targets []*ClientChannel) {
	for _, ch := range targets {
		req := remoting.NewRequest(int16(protocol.NotifyConsumerIDsChanged),
			protocol.EncodeHeader(&protocol.NotifyConsumerIDsChangedRequestHeader{ConsumerGroup: group}), nil)
		if err := ch.conn.InvokeOneway(req); err != nil {
			m.log.Warn("notify consumer ids changed", "group", group, "client", ch.ClientID, "remote", ch.conn.RemoteAddr(), "err", err)
		}
	}
}

// removeLocked removes connID from group g and returns the members to notify.
func (m *ConsumerManager) removeLocked(name string, g *consumerGroup, connID uint64) (removed *ClientChannel, targets []*ClientChannel) {
	ch, ok := g.channels[connID]
	if !ok {
		return nil, nil
	}
	delete(g.channels, connID)
	if len(g.channels) == 0 {
		delete(m.groups, name)
		return ch, nil
	}
	if m.notify && g.messageModel != Broadcasting {
		targets = channelsOf(g)
	}
	return ch, targets
}

// Unregister removes the consumer on connection connID from group (UNREGISTER_CLIENT) and
// notifies the remaining members.
func (m *ConsumerManager) Unregister(group string, connID uint64) {
	m.mu.Lock()
	g := m.groups[group]
	var targets []*ClientChannel
	var ch *ClientChannel
	if g != nil {
		ch, targets = m.removeLocked(group, g, connID)
	}
	m.mu.Unlock()
	if ch != nil {
		m.log.Info("consumer unregistered", "group", group, "client", ch.ClientID)
	}
	m.sendNotify(group, targets)
}

// ConnClosed removes the connection from every group and notifies the groups whose
// membership changed (ConsumerManager#doChannelCloseEvent).
func (m *ConsumerManager) ConnClosed(connID uint64) {
	notify := make(map[string][]*ClientChannel)
	m.mu.Lock()
	for name, g := range m.groups {
		ch, targets := m.removeLocked(name, g, connID)
		if ch != nil {
			m.log.Info("consumer unregistered on close", "group", name, "client", ch.ClientID)
			notify[name] = targets
		}
	}
	m.mu.Unlock()
	for group, targets := range notify {
		m.sendNotify(group, targets)
	}
}

// scanExpired removes members silent since before deadline, notifies their groups and
// returns the removed channels (the caller closes them).
func (m *ConsumerManager) scanExpired(deadline time.Time) []*ClientChannel {
	var out []*ClientChannel
	notify := make(map[string][]*ClientChannel)
	m.mu.Lock()
	for name, g := range m.groups {
		for id, ch := range g.channels {
			if !ch.LastUpdate.Before(deadline) {
				continue
			}
			m.log.Warn("consumer channel expired", "group", name, "client", ch.ClientID, "remote", ch.conn.RemoteAddr())
			_, targets := m.removeLocked(name, g, id)
			out = append(out, ch)
			notify[name] = targets
		}
	}
	// A group may have lost several members: notify only the ones still present.
	for name := range notify {
		if g := m.groups[name]; g != nil && m.notify && g.messageModel != Broadcasting {
			notify[name] = channelsOf(g)
		} else {
			notify[name] = nil
		}
	}
	m.mu.Unlock()
	for group, targets := range notify {
		m.sendNotify(group, targets)
	}
	return out
}

// ClientIDs returns the client ids of group's members, sorted (GET_CONSUMER_LIST_BY_GROUP).
func (m *ConsumerManager) ClientIDs(group string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g := m.groups[group]
	if g == nil {
		return nil
	}
	out := make([]string, 0, len(g.channels))
	for _, ch := range g.channels {
		out = append(out, ch.ClientID)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Connection returns the body of GET_CONSUMER_CONNECTION_LIST for group, false if the group
// has no member.
func (m *ConsumerManager) Connection(group string) (protocol.ConsumerConnection, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g := m.groups[group]
	if g == nil || len(g.channels) == 0 {
		return protocol.ConsumerConnection{}, false
	}
	cc := protocol.ConsumerConnection{
		ConnectionSet:     make([]protocol.Connection, 0, len(g.channels)),
		ConsumeFromWhere:  g.consumeFromWhere,
		ConsumeType:       g.consumeType,
		MessageModel:      g.messageModel,
		SubscriptionTable: maps.Clone(g.subs),
	}
	for _, ch := range g.channels {
		cc.ConnectionSet = append(cc.ConnectionSet, ch.connection())
	}
	sortConnections(cc.ConnectionSet)
	return cc, true
}

// Subscription returns group's subscription to topic, as registered by heartbeats.
func (m *ConsumerManager) Subscription(group, topic string) (protocol.SubscriptionData, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g := m.groups[group]
	if g == nil {
		return protocol.SubscriptionData{}, false
	}
	s, ok := g.subs[topic]
	return s, ok
}

// compiledSub is a subscription's filter, or why its expression does not compile.
type compiledSub struct {
	f   filter.Filter
	err error
}

// compileSub compiles a subscription expression; a TAG expression always compiles.
func compileSub(exprType, expr string) compiledSub {
	f, err := filter.Compile(normalizeExprType(exprType), expr)
	return compiledSub{f: f, err: err}
}

// normalizeExprType maps the expression types clients send ("", "tag", "sql92") to
// filter's names.
func normalizeExprType(t string) string {
	switch u := strings.ToUpper(strings.TrimSpace(t)); u {
	case "":
		return filter.TypeTag
	default:
		return u
	}
}

// subscriptionFilter returns group's subscription to topic with its compiled filter (c.err
// when the expression does not compile: a bad SQL92 expression sent by a heartbeat).
func (m *ConsumerManager) subscriptionFilter(group, topic string) (sub protocol.SubscriptionData, c compiledSub, ok bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g := m.groups[group]
	if g == nil {
		return sub, c, false
	}
	sub, ok = g.subs[topic]
	if !ok {
		return sub, c, false
	}
	return sub, g.filters[topic], true
}

// Channel returns the member of group with clientID (for requests forwarded to a client).
func (m *ConsumerManager) Channel(group, clientID string) (ClientChannel, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if g := m.groups[group]; g != nil {
		for _, ch := range g.channels {
			if ch.ClientID == clientID {
				return *ch, true
			}
		}
	}
	return ClientChannel{}, false
}

// Channels returns the members of group.
func (m *ConsumerManager) Channels(group string) []ClientChannel {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g := m.groups[group]
	if g == nil {
		return nil
	}
	out := make([]ClientChannel, 0, len(g.channels))
	for _, ch := range g.channels {
		out = append(out, *ch)
	}
	return out
}

// Topics returns the topics group subscribes to, sorted.
func (m *ConsumerManager) Topics(group string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g := m.groups[group]
	if g == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(g.subs))
}

// Groups returns the names of groups with live members.
func (m *ConsumerManager) Groups() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.groups))
	for g := range m.groups {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// GroupsOfTopic returns the groups with a live subscription to topic.
func (m *ConsumerManager) GroupsOfTopic(topic string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for name, g := range m.groups {
		if _, ok := g.subs[topic]; ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
