package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// parseAttributes applies a CreateTopicRequestHeader attributes string ("+key=value,-key")
// to attrs.
func parseAttributes(s string, attrs map[string]string) error {
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		switch item[0] {
		case '+':
			k, v, ok := strings.Cut(item[1:], "=")
			if !ok || k == "" {
				return fmt.Errorf("attribute %q: want +key=value", item)
			}
			attrs[k] = v
		case '-':
			delete(attrs, item[1:])
		default:
			return fmt.Errorf("attribute %q: want +key=value or -key", item)
		}
	}
	return nil
}

// updateAndCreateTopic handles UPDATE_AND_CREATE_TOPIC (AdminBrokerProcessor
// #updateAndCreateTopic): invalid names and system topics are INVALID_PARAMETER. The
// change is persisted and announced to the nameservers at once.
func (b *Broker) updateAndCreateTopic(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.CreateTopicRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	if err := ValidateTopic(h.Topic); err != nil {
		return errorResponse(req, protocol.InvalidParameter, err.Error())
	}
	if b.topics.IsSystemTopic(h.Topic) {
		return errorResponse(req, protocol.InvalidParameter, "The topic["+h.Topic+"] is conflict with system topic.")
	}
	if h.ReadQueueNums < 0 || h.WriteQueueNums < 0 {
		return errorResponse(req, protocol.InvalidParameter, "queue numbers must not be negative")
	}
	tc := protocol.NewTopicConfig(h.Topic)
	if old, ok := b.topics.Get(h.Topic); ok {
		for k, v := range old.Attributes {
			tc.Attributes[k] = v
		}
	}
	if err := parseAttributes(h.Attributes, tc.Attributes); err != nil {
		return errorResponse(req, protocol.InvalidParameter, err.Error())
	}
	tc.ReadQueueNums, tc.WriteQueueNums, tc.Perm = h.ReadQueueNums, h.WriteQueueNums, h.Perm
	tc.TopicSysFlag, tc.Order = h.TopicSysFlag, h.Order
	if h.TopicFilterType != "" {
		tc.TopicFilterType = h.TopicFilterType
	}
	if err := b.topics.Update(tc); err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	return success(req)
}

// deleteTopic handles DELETE_TOPIC_IN_BROKER: the topic config, its consumer offsets and its
// ConsumeQueues go (store.DeleteTopic); system topics are INVALID_PARAMETER.
func (b *Broker) deleteTopic(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.DeleteTopicRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	if err := ValidateTopic(h.Topic); err != nil {
		return errorResponse(req, protocol.InvalidParameter, err.Error())
	}
	if err := b.topics.Delete(h.Topic); err != nil {
		if errors.Is(err, ErrSystemTopic) {
			return errorResponse(req, protocol.InvalidParameter, "The topic["+h.Topic+"] is conflict with system topic.")
		}
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	b.offsets.RemoveTopic(h.Topic)
	if _, err := b.ms.DeleteTopic(h.Topic); err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	return success(req)
}

// allTopicConfig answers GET_ALL_TOPIC_CONFIG with the whole table.
func (b *Broker) allTopicConfig(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	w := b.topics.Wrapper()
	mv := w.DataVersion
	w.MappingDataVersion = &mv
	w.TopicQueueMappingDetailMap = []byte("{}")
	return jsonResponse(req, w)
}

// topicConfigAndQueueMapping is the body of GET_TOPIC_CONFIG (TopicConfigAndQueueMapping.java):
// the TopicConfig fields plus the static-topic mapping, which we never have.
type topicConfigAndQueueMapping struct {
	protocol.TopicConfig
}

// topicConfig answers GET_TOPIC_CONFIG, or TOPIC_NOT_EXIST.
func (b *Broker) topicConfig(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetTopicConfigRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	tc, ok := b.topics.Get(h.Topic)
	if !ok {
		return errorResponse(req, protocol.TopicNotExist, "No topic in this broker. topic: "+h.Topic)
	}
	return jsonResponse(req, topicConfigAndQueueMapping{tc})
}

// updateSubscriptionGroup handles UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.
func (b *Broker) updateSubscriptionGroup(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var cfg protocol.SubscriptionGroupConfig
	if err := protocol.DecodeBody(req.Body, &cfg); err != nil {
		return errorResponse(req, protocol.SystemError, "decode subscription group: "+err.Error())
	}
	if err := b.subs.Update(cfg); err != nil {
		if errors.Is(err, ErrInvalidGroup) {
			return errorResponse(req, protocol.InvalidParameter, err.Error())
		}
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	return success(req)
}

// allSubscriptionGroups answers GET_ALL_SUBSCRIPTIONGROUP_CONFIG (standard JSON: the Go
// admin decodes it with encoding/json).
func (b *Broker) allSubscriptionGroups(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	return jsonResponse(req, b.subs.Wrapper())
}

// subscriptionGroup answers GET_SUBSCRIPTIONGROUP_CONFIG, or SUBSCRIPTION_GROUP_NOT_EXIST.
func (b *Broker) subscriptionGroup(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetSubscriptionGroupConfigRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	cfg, ok := b.subs.Get(h.Group)
	if !ok {
		return errorResponse(req, protocol.SubscriptionGroupNotExist, "The subscription group "+h.Group+" does not exist")
	}
	return jsonResponse(req, cfg)
}

// deleteSubscriptionGroup handles DELETE_SUBSCRIPTIONGROUP; cleanOffset also drops the
// group's consumer offsets.
func (b *Broker) deleteSubscriptionGroup(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.DeleteSubscriptionGroupRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	if err := b.subs.Delete(h.GroupName); err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	if h.CleanOffset {
		b.offsets.RemoveGroup(h.GroupName)
	}
	return success(req)
}

// brokerConfig answers GET_BROKER_CONFIG: the effective configuration as properties text and
// the configuration's DataVersion JSON in the "version" header, as Apache.
func (b *Broker) brokerConfig(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	cfg, version := b.publishedConfig()
	resp := success(req)
	resp.ExtFields = protocol.EncodeHeader(&protocol.GetBrokerConfigResponseHeader{Version: mustJSON(version)})
	resp.Body = []byte(cfg.Properties())
	return resp
}

// producerConnections answers GET_PRODUCER_CONNECTION_LIST.
func (b *Broker) producerConnections(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetProducerConnectionListRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	pc, ok := b.producers.Connection(h.ProducerGroup)
	if !ok {
		return errorResponse(req, protocol.SystemError, "the producer group["+h.ProducerGroup+"] not exist")
	}
	return jsonResponse(req, pc)
}

// consumerConnections answers GET_CONSUMER_CONNECTION_LIST, or CONSUMER_NOT_ONLINE.
func (b *Broker) consumerConnections(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumerConnectionListRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	cc, ok := b.consumers.Connection(h.ConsumerGroup)
	if !ok {
		return errorResponse(req, protocol.ConsumerNotOnline, "the consumer group["+h.ConsumerGroup+"] not online")
	}
	return jsonResponse(req, cc)
}

// allDelayOffset answers GET_ALL_DELAY_OFFSET with delayOffset.json's content.
func (b *Broker) allDelayOffset(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	return jsonResponse(req, b.svc.sched.Wrapper())
}
