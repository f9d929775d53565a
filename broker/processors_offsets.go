package broker

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

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

func offsetResponse(req *remoting.Command, off int64) *remoting.Command {
	resp := success(req)
	resp.ExtFields = protocol.EncodeHeader(&protocol.OffsetResponseHeader{Offset: off})
	return resp
}

// getMaxOffset answers GET_MAX_OFFSET: the queue's next offset to be written.
func (b *Broker) getMaxOffset(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetMaxOffsetRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	return offsetResponse(req, b.ms.MaxOffset(h.Topic, h.QueueID))
}

// getMinOffset answers GET_MIN_OFFSET: the queue's first readable offset.
func (b *Broker) getMinOffset(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetMinOffsetRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	return offsetResponse(req, b.ms.MinOffset(h.Topic, h.QueueID))
}

// searchOffsetByTimestamp answers SEARCH_OFFSET_BY_TIMESTAMP: the first offset stored at or
// after the timestamp (the max offset when all are older). boundaryType UPPER is answered
// like LOWER.
func (b *Broker) searchOffsetByTimestamp(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.SearchOffsetRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	return offsetResponse(req, b.ms.OffsetByTime(h.Topic, h.QueueID, h.Timestamp))
}

// storeTimeAt returns the store time of the message at queue offset off, or -1.
func (b *Broker) storeTimeAt(topic string, qid int32, off int64) int64 {
	r, _ := b.ms.GetMessages(topic, qid, off, 1, nil)
	defer r.Release()
	if r.Status != store.Found || len(r.Messages) == 0 {
		return -1
	}
	return r.Messages[0].StoreTimestamp()
}

// earliestMsgStoreTime answers GET_EARLIEST_MSG_STORETIME: the store time of the message at
// the queue's min offset (-1 when the queue is empty).
func (b *Broker) earliestMsgStoreTime(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetEarliestMsgStoreTimeRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	ts := b.storeTimeAt(h.Topic, h.QueueID, b.ms.MinOffset(h.Topic, h.QueueID))
	resp := success(req)
	resp.ExtFields = protocol.EncodeHeader(&protocol.GetEarliestMsgStoreTimeResponseHeader{Timestamp: ts})
	return resp
}

// resetOffset handles INVOKE_BROKER_TO_RESET_OFFSET (222): the group's committed offsets of
// the topic (every readable queue, or queueId) are set to the first offset stored at or
// after timestamp (-1: the max offset; or the explicit offset); without isForce an offset
// only moves back (Apache's legacy rule). Online members are sent
// RESET_CONSUMER_CLIENT_OFFSET (220, oneway) with the table, which the Go client applies at
// once; the answer is SUCCESS with the ResetOffsetBody. The group may be offline (then the
// committed offsets are what its consumers resume from). Apache 5.x's server-side reset
// table (useServerSideResetOffset: the next pull answered OFFSET_MOVED) is not used: GoC
// sleeps 10 s and drops the queue on OFFSET_MOVED.
func (b *Broker) resetOffset(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.ResetOffsetRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	tc, ok := b.topics.Get(h.Topic)
	if !ok {
		return errorResponse(req, protocol.TopicNotExist, "[reset-offset] topic not exist, topic="+h.Topic)
	}
	if _, ok := b.subs.Get(h.Group); !ok {
		return errorResponse(req, protocol.SubscriptionGroupNotExist, "[reset-offset] subscription group not exist, group="+h.Group)
	}
	table := protocol.MessageQueueMap[int64]{}
	for q := range tc.ReadQueueNums {
		if h.QueueID >= 0 && q != h.QueueID {
			continue
		}
		var target int64
		switch {
		case h.Offset != nil && h.QueueID >= 0:
			target = min(max(*h.Offset, b.ms.MinOffset(h.Topic, q)), b.ms.MaxOffset(h.Topic, q))
		case h.Timestamp < 0:
			target = b.ms.MaxOffset(h.Topic, q)
		default:
			target = b.ms.OffsetByTime(h.Topic, q, h.Timestamp)
		}
		if cur, ok := b.offsets.Query(h.Group, h.Topic, q); ok && !h.IsForce && cur >= 0 && cur < target {
			target = cur
		}
		b.offsets.Commit(h.Group, h.Topic, q, target)
		table[protocol.MessageQueue{Topic: h.Topic, BrokerName: b.conf().BrokerName, QueueID: q}] = target
	}
	body, err := protocol.EncodeFastJSON(protocol.ResetOffsetBody{OffsetTable: table})
	if err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	ext := protocol.EncodeHeader(&protocol.ResetOffsetRequestHeader{Topic: h.Topic, Group: h.Group,
		Timestamp: h.Timestamp, IsForce: h.IsForce, QueueID: -1})
	delete(ext, "queueId")
	for _, ch := range b.consumers.Channels(h.Group) {
		n := remoting.NewRequest(int16(protocol.ResetConsumerClientOffset), maps.Clone(ext), body)
		if err := ch.conn.InvokeOneway(n); err != nil {
			b.log.Warn("notify reset offset", "group", h.Group, "client", ch.ClientID, "err", err)
		}
	}
	b.log.Info("reset offset", "group", h.Group, "topic", h.Topic, "timestamp", h.Timestamp, "force", h.IsForce, "queues", len(table))
	resp := success(req)
	resp.Body = body
	return resp
}

// cloneGroupOffset handles CLONE_GROUP_OFFSET: destGroup gets srcGroup's offsets of topic
// (or of all its topics). Unless offline, topics an online srcGroup no longer subscribes
// to are skipped, as Apache does.
func (b *Broker) cloneGroupOffset(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.CloneGroupOffsetRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	topics := []string{h.Topic}
	if strings.TrimSpace(h.Topic) == "" {
		topics = b.offsets.TopicsOfGroup(h.SrcGroup)
	}
	online := len(b.consumers.ClientIDs(h.SrcGroup)) > 0
	for _, topic := range topics {
		if _, ok := b.topics.Get(topic); !ok {
			continue
		}
		if !h.Offline && online {
			if _, ok := b.consumers.Subscription(h.SrcGroup, topic); !ok {
				continue
			}
		}
		for q, off := range b.offsets.QueueOffsets(h.SrcGroup, topic) {
			b.offsets.Commit(h.DestGroup, topic, q, off)
		}
	}
	return success(req)
}

// lockBatchMQ answers LOCK_BATCH_MQ with the requested queues the client now holds.
func (b *Broker) lockBatchMQ(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var body protocol.LockBatchRequestBody
	if err := protocol.DecodeBody(req.Body, &body); err != nil {
		return errorResponse(req, protocol.SystemError, "decode lock body: "+err.Error())
	}
	ok := b.locks.tryLock(body.ConsumerGroup, body.ClientID, body.MQSet)
	return jsonResponse(req, protocol.LockBatchResponseBody{LockOKMQSet: ok})
}

// unlockBatchMQ handles UNLOCK_BATCH_MQ.
func (b *Broker) unlockBatchMQ(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var body protocol.LockBatchRequestBody
	if err := protocol.DecodeBody(req.Body, &body); err != nil {
		return errorResponse(req, protocol.SystemError, "decode unlock body: "+err.Error())
	}
	b.locks.unlock(body.ConsumerGroup, body.ClientID, body.MQSet)
	return success(req)
}
