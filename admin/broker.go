package admin

import (
	"context"
	"net"

	"github.com/mq-project/mq/protocol"
)

// Calls to one broker, by address. They work against Apache RocketMQ brokers and ours; a code
// the broker does not know comes back as a *remoting.ResponseError with code
// REQUEST_CODE_NOT_SUPPORTED (3).

// BrokerRuntimeInfo returns a broker's runtime statistics (GET_BROKER_RUNTIME_INFO): keys such
// as brokerVersionDesc, msgPutTotalTodayNow, putTps, commitLogDiskRatio (reference §2.4.5).
func (a *Admin) BrokerRuntimeInfo(ctx context.Context, addr string) (map[string]string, error) {
	resp, err := a.invoke(ctx, addr, protocol.GetBrokerRuntimeInfo, nil, nil)
	if err != nil {
		return nil, err
	}
	var kv protocol.KVTable
	if err := decode(protocol.GetBrokerRuntimeInfo, resp, &kv); err != nil {
		return nil, err
	}
	if kv.Table == nil {
		kv.Table = map[string]string{}
	}
	return kv.Table, nil
}

// BrokerConfig returns a broker's configuration (GET_BROKER_CONFIG).
func (a *Admin) BrokerConfig(ctx context.Context, addr string) (map[string]string, error) {
	resp, err := a.invoke(ctx, addr, protocol.GetBrokerConfig, nil, nil)
	if err != nil {
		return nil, err
	}
	return ParseProperties(string(resp.Body)), nil
}

// AllTopicConfig returns a broker's topic table (GET_ALL_TOPIC_CONFIG).
func (a *Admin) AllTopicConfig(ctx context.Context, addr string) (protocol.TopicConfigSerializeWrapper, error) {
	var w protocol.TopicConfigSerializeWrapper
	resp, err := a.invoke(ctx, addr, protocol.GetAllTopicConfig, nil, nil)
	if err != nil {
		return w, err
	}
	err = decode(protocol.GetAllTopicConfig, resp, &w)
	return w, err
}

// CreateTopicOnBroker creates or updates a topic on one broker (UPDATE_AND_CREATE_TOPIC). The
// broker registers the change with its nameservers.
func (a *Admin) CreateTopicOnBroker(ctx context.Context, addr string, tc protocol.TopicConfig) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return wrapf("%w %q: %v", ErrBadAddress, addr, err)
	}
	_, err := a.invoke(ctx, addr, protocol.UpdateAndCreateTopic, createTopicHeader(tc), nil)
	return err
}

func createTopicHeader(tc protocol.TopicConfig) *protocol.CreateTopicRequestHeader {
	filter := tc.TopicFilterType
	if filter == "" {
		filter = "SINGLE_TAG"
	}
	return &protocol.CreateTopicRequestHeader{
		Topic:           tc.TopicName,
		DefaultTopic:    "TBW102",
		ReadQueueNums:   tc.ReadQueueNums,
		WriteQueueNums:  tc.WriteQueueNums,
		Perm:            tc.Perm,
		TopicFilterType: filter,
		TopicSysFlag:    tc.TopicSysFlag,
		Order:           tc.Order,
	}
}

// DeleteTopicOnBroker deletes a topic's config, queues and offsets on one broker
// (DELETE_TOPIC_IN_BROKER).
func (a *Admin) DeleteTopicOnBroker(ctx context.Context, addr, topic string) error {
	_, err := a.invoke(ctx, addr, protocol.DeleteTopicInBroker, &protocol.DeleteTopicRequestHeader{Topic: topic}, nil)
	return err
}

// SubscriptionGroups returns a broker's subscription groups (GET_ALL_SUBSCRIPTIONGROUP_CONFIG).
func (a *Admin) SubscriptionGroups(ctx context.Context, addr string) (protocol.SubscriptionGroupWrapper, error) {
	var w protocol.SubscriptionGroupWrapper
	resp, err := a.invoke(ctx, addr, protocol.GetAllSubscriptionGroupConfig, nil, nil)
	if err != nil {
		return w, err
	}
	err = decode(protocol.GetAllSubscriptionGroupConfig, resp, &w)
	return w, err
}

// CreateSubscriptionGroupOnBroker creates or updates a group on one broker
// (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).
func (a *Admin) CreateSubscriptionGroupOnBroker(ctx context.Context, addr string, cfg protocol.SubscriptionGroupConfig) error {
	body, err := protocol.EncodeBody(cfg)
	if err != nil {
		return err
	}
	_, err = a.invoke(ctx, addr, protocol.UpdateAndCreateSubscriptionGroup, nil, body)
	return err
}

// DeleteSubscriptionGroupOnBroker deletes a group on one broker (DELETE_SUBSCRIPTIONGROUP);
// cleanOffset also drops its consumer offsets.
func (a *Admin) DeleteSubscriptionGroupOnBroker(ctx context.Context, addr, group string, cleanOffset bool) error {
	_, err := a.invoke(ctx, addr, protocol.DeleteSubscriptionGroup,
		&protocol.DeleteSubscriptionGroupRequestHeader{GroupName: group, CleanOffset: cleanOffset}, nil)
	return err
}

// ConsumerConnections returns the connected consumers of a group on one broker
// (GET_CONSUMER_CONNECTION_LIST). A group with no consumer online is a
// *remoting.ResponseError with code CONSUMER_NOT_ONLINE (206).
func (a *Admin) ConsumerConnections(ctx context.Context, addr, group string) (protocol.ConsumerConnection, error) {
	var cc protocol.ConsumerConnection
	resp, err := a.invoke(ctx, addr, protocol.GetConsumerConnectionList,
		&protocol.GetConsumerConnectionListRequestHeader{ConsumerGroup: group}, nil)
	if err != nil {
		return cc, err
	}
	err = decode(protocol.GetConsumerConnectionList, resp, &cc)
	return cc, err
}

// ProducerConnections returns the connected producers of a group on one broker
// (GET_PRODUCER_CONNECTION_LIST).
func (a *Admin) ProducerConnections(ctx context.Context, addr, group string) (protocol.ProducerConnection, error) {
	var pc protocol.ProducerConnection
	resp, err := a.invoke(ctx, addr, protocol.GetProducerConnectionList,
		&protocol.GetProducerConnectionListRequestHeader{ProducerGroup: group}, nil)
	if err != nil {
		return pc, err
	}
	err = decode(protocol.GetProducerConnectionList, resp, &pc)
	return pc, err
}

// TopicStats returns the offsets of a topic's queues on one broker (GET_TOPIC_STATS_INFO).
func (a *Admin) TopicStats(ctx context.Context, addr, topic string) (protocol.TopicStatsTable, error) {
	var st protocol.TopicStatsTable
	resp, err := a.invoke(ctx, addr, protocol.GetTopicStatsInfo,
		&protocol.GetTopicStatsInfoRequestHeader{Topic: topic}, nil)
	if err != nil {
		return st, err
	}
	err = decode(protocol.GetTopicStatsInfo, resp, &st)
	return st, err
}

// ConsumeStats returns a group's progress on one broker (GET_CONSUME_STATS), for topic or, when
// topic is "", every topic the group has offsets for.
func (a *Admin) ConsumeStats(ctx context.Context, addr, group, topic string) (protocol.ConsumeStats, error) {
	var cs protocol.ConsumeStats
	resp, err := a.invoke(ctx, addr, protocol.GetConsumeStats,
		&protocol.GetConsumeStatsRequestHeader{ConsumerGroup: group, Topic: topic}, nil)
	if err != nil {
		return cs, err
	}
	err = decode(protocol.GetConsumeStats, resp, &cs)
	return cs, err
}
