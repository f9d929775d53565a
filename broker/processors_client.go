package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// decodeHeader decodes req's extFields into h, or returns the SYSTEM_ERROR response Apache
// gives for a missing or bad field.
func decodeHeader(req *remoting.Command, h any) *remoting.Command {
	if err := protocol.DecodeHeader(req.ExtFields, h); err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	return nil
}

// heartbeat registers the producers and consumers of a HEART_BEAT (ClientManageProcessor
// #heartBeat). For each consumer group it finds or auto-creates the subscription group and
// creates %RETRY%<group> (trap §7.28: consumers learn the retry route only at start or on
// the 30 s refresh). The response carries our version (>= 0, trap §7.23).
func (b *Broker) heartbeat(_ context.Context, c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var hb protocol.HeartbeatData
	if err := protocol.DecodeBody(req.Body, &hb); err != nil {
		return errorResponse(req, protocol.SystemError, "decode heartbeat: "+err.Error())
	}
	now := time.Now()
	ch := NewClientChannel(c, hb.ClientID, req.Language, req.Version)
	for _, cd := range hb.ConsumerDataSet {
		notify := true
		sg, _, err := b.subs.FindOrCreate(cd.GroupName)
		if err == nil {
			notify = sg.NotifyConsumerIdsChangedEnable
			if sg.RetryQueueNums > 0 {
				tc := protocol.NewTopicConfig(RetryTopic(cd.GroupName))
				tc.ReadQueueNums, tc.WriteQueueNums = sg.RetryQueueNums, sg.RetryQueueNums
				tc.Perm = protocol.PermRead | protocol.PermWrite
				if _, _, err := b.topics.CreateIfAbsent(tc); err != nil {
					b.log.Warn("create retry topic", "group", cd.GroupName, "err", err)
				}
			}
		} else {
			b.log.Debug("heartbeat of unknown group", "group", cd.GroupName, "err", err)
		}
		b.consumers.Register(cd, ch, notify, now)
	}
	for _, pd := range hb.ProducerDataSet {
		b.producers.Register(pd.GroupName, ch, now)
	}
	resp := success(req)
	resp.ExtFields = protocol.EncodeHeader(&protocol.HeartbeatResponseHeader{})
	return resp
}

// unregisterClient handles UNREGISTER_CLIENT (never sent by the Go client; Java clients
// send it at shutdown).
func (b *Broker) unregisterClient(_ context.Context, c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.UnregisterClientRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	if h.ProducerGroup != "" {
		b.producers.Unregister(h.ProducerGroup, c.ID())
	}
	if h.ConsumerGroup != "" {
		b.consumers.Unregister(h.ConsumerGroup, c.ID())
	}
	return success(req)
}

// consumerListByGroup answers GET_CONSUMER_LIST_BY_GROUP with the members' client ids
// (trap §7.16: the caller must find itself in the list), or SYSTEM_ERROR as Apache does
// when the group has no live member.
func (b *Broker) consumerListByGroup(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumerListByGroupRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	ids := b.consumers.ClientIDs(h.ConsumerGroup)
	if len(ids) == 0 {
		return errorResponse(req, protocol.SystemError, "no consumer for this group, "+h.ConsumerGroup)
	}
	return jsonResponse(req, protocol.GetConsumerListByGroupResponseBody{ConsumerIDList: ids})
}

// queryConsumerOffset answers QUERY_CONSUMER_OFFSET with the committed offset, or
// QUERY_NOT_FOUND (trap §7.17) so the client falls back to consumeFromWhere. With a store,
// a queue that still starts at 0 answers 0, as Apache does.
func (b *Broker) queryConsumerOffset(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.QueryConsumerOffsetRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	off, ok := b.offsets.Query(h.ConsumerGroup, h.Topic, h.QueueID)
	if !ok && b.store != nil && (h.SetZeroIfNotFound == nil || *h.SetZeroIfNotFound) &&
		b.store.MinOffset(h.Topic, h.QueueID) <= 0 {
		off, ok = 0, true
	}
	if !ok {
		return errorResponse(req, protocol.QueryNotFound, "Not found, maybe this group consumer boot first")
	}
	resp := success(req)
	resp.ExtFields = protocol.EncodeHeader(&protocol.QueryConsumerOffsetResponseHeader{Offset: off})
	return resp
}

// updateConsumerOffset handles UPDATE_CONSUMER_OFFSET (the Go client sends it with flag 0
// and ignores the answer, trap §7.2).
func (b *Broker) updateConsumerOffset(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.UpdateConsumerOffsetRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	tc, ok := b.topics.Get(h.Topic)
	if !ok {
		return errorResponse(req, protocol.TopicNotExist, "Topic "+h.Topic+" not exist!")
	}
	// Apache commits any queue id; an offset for a queue the topic lacks only grows
	// consumerOffset.json and shows up in every consume-progress view.
	if h.QueueID < 0 || h.QueueID >= max(tc.ReadQueueNums, tc.WriteQueueNums) {
		return errorResponse(req, protocol.InvalidParameter, fmt.Sprintf("QueueId is invalid, topic is %s, queueId is %d", h.Topic, h.QueueID))
	}
	if _, _, err := b.subs.FindOrCreate(h.ConsumerGroup); err != nil {
		return errorResponse(req, protocol.SubscriptionGroupNotExist, "Subscription group "+h.ConsumerGroup+" not exist!")
	}
	b.commitOffset(h.ConsumerGroup, h.Topic, h.QueueID, h.CommitOffset)
	return success(req)
}

// allConsumerOffsets answers GET_ALL_CONSUMER_OFFSET with consumerOffset.json's content.
func (b *Broker) allConsumerOffsets(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	w := b.offsets.Wrapper()
	if len(w.OffsetTable) == 0 {
		return errorResponse(req, protocol.SystemError, "No consumer offset in this broker")
	}
	return jsonResponse(req, w)
}
