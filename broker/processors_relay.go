package broker

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// Timeouts of requests the broker sends to clients.
const (
	pushReplyTimeout  = 3 * time.Second  // ReplyMessageProcessor
	callClientTimeout = 10 * time.Second // AdminBrokerProcessor#callConsumer
)

// sendReplyMessage handles SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325)
// (ReplyMessageProcessor, §5.12, trap §7.31): the reply is pushed with
// PUSH_REPLY_MESSAGE_TO_CLIENT (326) on the connection of the producer whose client id is
// the message's REPLY_TO_CLIENT, then stored when storeReplyMessageEnable. The answer is
// SUCCESS with msgId "0" and queueOffset 0 when the push worked (as Apache), else
// SYSTEM_ERROR with the reason.
func (b *Broker) sendReplyMessage(ctx context.Context, c *remoting.Conn, req *remoting.Command) *remoting.Command {
	h, err := protocol.DecodeSendMessageRequestHeader(protocol.RequestCode(req.Code), req.ExtFields)
	if err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	tc, serr := b.checkSend(&h)
	if serr != nil {
		return errorResponse(req, serr.code, serr.remark)
	}
	if len(req.Body) > b.conf().MaxMessageSize {
		return errorResponse(req, protocol.MessageIllegal, "the message body size over max value, MAX: "+strconv.Itoa(b.conf().MaxMessageSize))
	}
	qid := h.QueueID
	if qid < 0 {
		qid = rand.Int32N(max(tc.WriteQueueNums, 1))
	}
	props := message.DecodeProperties([]byte(h.Properties))
	if props == nil {
		props = make(map[string]string, 2)
	}
	props[message.PropertyCluster] = b.conf().BrokerClusterName
	m := &message.MessageExt{
		Message: message.Message{Topic: h.Topic, Flag: h.Flag, Properties: props, Body: req.Body},
		QueueID: qid, SysFlag: h.SysFlag, BornTimestamp: h.BornTimestamp, BornHost: addrPortOf(c.RemoteAddr()),
		ReconsumeTimes: h.ReconsumeTimes,
	}
	var resp *remoting.Command
	if remark := b.pushReply(ctx, &h, m, c.RemoteAddr()); remark != "" {
		resp = errorResponse(req, protocol.SystemError, remark)
	} else {
		resp = success(req)
		resp.ExtFields = make(map[string]string, 4)
		(&protocol.SendMessageResponseHeader{MsgID: "0", QueueID: qid}).Encode(resp.ExtFields)
	}
	if b.conf().StoreReplyMessageEnable {
		if _, err := b.putMessage(ctx, m); err != nil {
			b.log.Warn("store reply message", "topic", m.Topic, "err", err)
		}
	}
	return resp
}

// pushReply sends PUSH_REPLY_MESSAGE_TO_CLIENT to the requester and returns "" or why it
// failed.
func (b *Broker) pushReply(ctx context.Context, h *protocol.SendMessageRequestHeader, m *message.MessageExt, bornHost string) string {
	sender := m.Properties[message.PropertyMessageReplyToClient]
	ch, ok := b.producers.ChannelByClientID(sender)
	if !ok || ch.Conn() == nil {
		return "push reply message fail, channel of <" + sender + "> not found."
	}
	now := b.now().UnixMilli()
	props := maps.Clone(m.Properties)
	props[message.PropertyPushReplyTime] = strconv.FormatInt(now, 10)
	rh := protocol.ReplyMessageRequestHeader{
		ProducerGroup: h.ProducerGroup, Topic: m.Topic, DefaultTopic: h.DefaultTopic,
		DefaultTopicQueueNums: h.DefaultTopicQueueNums, QueueID: m.QueueID, SysFlag: h.SysFlag,
		BornTimestamp: h.BornTimestamp, Flag: h.Flag, Properties: message.EncodeProperties(props),
		ReconsumeTimes: h.ReconsumeTimes, UnitMode: h.UnitMode, BornHost: bornHost,
		StoreHost: b.storeHost.String(), StoreTimestamp: now,
	}
	req := remoting.NewRequest(int16(protocol.PushReplyMessageToClient), protocol.EncodeHeader(&rh), m.Body)
	cctx, cancel := context.WithTimeout(ctx, pushReplyTimeout)
	defer cancel()
	resp, err := ch.Conn().InvokeSync(cctx, req)
	if err != nil {
		return "push reply message to " + sender + " failed: " + err.Error()
	}
	if resp.Code != int16(protocol.Success) {
		return "push reply message to " + sender + " failed: code " + strconv.Itoa(int(resp.Code)) + " " + resp.Remark
	}
	return ""
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

// callConsumer relays req to the consumer clientID of group and answers with the client's
// response (AdminBrokerProcessor#callConsumer).
func (b *Broker) callConsumer(ctx context.Context, req *remoting.Command, group, clientID string, body []byte) *remoting.Command {
	ch, ok := b.consumers.Channel(group, clientID)
	if !ok || ch.Conn() == nil {
		return errorResponse(req, protocol.SystemError, "The Consumer <"+group+"> <"+clientID+"> not online")
	}
	n := remoting.NewRequest(req.Code, maps.Clone(req.ExtFields), body)
	cctx, cancel := context.WithTimeout(ctx, callClientTimeout)
	defer cancel()
	cr, err := ch.Conn().InvokeSync(cctx, n)
	if err != nil {
		return errorResponse(req, protocol.SystemError, "invoke consumer <"+group+"> <"+clientID+"> Exception: "+err.Error())
	}
	resp := remoting.NewResponse(req, cr.Code, cr.Remark)
	resp.ExtFields = cr.ExtFields
	resp.Body = cr.Body
	return resp
}

// consumerRunningInfo relays GET_CONSUMER_RUNNING_INFO (307) to the client.
func (b *Broker) consumerRunningInfo(ctx context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumerRunningInfoRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	return b.callConsumer(ctx, req, h.ConsumerGroup, h.ClientID, req.Body)
}

// consumeMessageDirectly relays CONSUME_MESSAGE_DIRECTLY (309) to the client with the
// message named by msgId (an offset message id of this broker) as the body.
func (b *Broker) consumeMessageDirectly(ctx context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.ConsumeMessageDirectlyResultRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	_, off, err := message.ParseOffsetMsgID(h.MsgID)
	if err != nil {
		return errorResponse(req, protocol.SystemError, "bad offset message id "+h.MsgID+": "+err.Error())
	}
	rec, err := b.ms.ReadAt(off)
	if err != nil {
		return errorResponse(req, protocol.SystemError, "can not find message by the offset, "+strconv.FormatInt(off, 10))
	}
	body := append([]byte(nil), rec.Stored...)
	rec.Release()
	if req.ExtFields == nil {
		req.ExtFields = map[string]string{}
	}
	req.ExtFields["brokerName"] = b.conf().BrokerName
	return b.callConsumer(ctx, req, h.ConsumerGroup, h.ClientID, body)
}

// topicConsumeByWho answers QUERY_TOPIC_CONSUME_BY_WHO: the groups subscribed to the topic
// now, and those with committed offsets for it.
func (b *Broker) topicConsumeByWho(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.QueryTopicConsumeByWhoRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	groups := append(b.consumers.GroupsOfTopic(h.Topic), b.offsets.GroupsOfTopic(h.Topic)...)
	slices.Sort(groups)
	return jsonResponse(req, protocol.GroupList{GroupList: slices.Compact(groups)})
}

// topicsByConsumer answers QUERY_TOPICS_BY_CONSUMER: the topics the group has offsets for.
func (b *Broker) topicsByConsumer(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.QueryTopicsByConsumerRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	topics := b.offsets.TopicsOfGroup(h.Group)
	slices.Sort(topics)
	return jsonResponse(req, protocol.TopicList{TopicList: topics, BrokerAddr: b.Addr()})
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

// consumeStatsList is the body of GET_BROKER_CONSUME_STATS (ConsumeStatsList.java).
type consumeStatsList struct {
	BrokerAddr       string                               `json:"brokerAddr"`
	ConsumeStatsList []map[string][]protocol.ConsumeStats `json:"consumeStatsList"`
	TotalDiff        int64                                `json:"totalDiff"`
}

// brokerConsumeStats answers GET_BROKER_CONSUME_STATS: for every online group, the consume
// stats of each topic it subscribes to (retry topics excluded; with isOrder only orderly
// topics), and the total lag.
func (b *Broker) brokerConsumeStats(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetBrokerConsumeStatsRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	out := consumeStatsList{BrokerAddr: b.Addr(), ConsumeStatsList: []map[string][]protocol.ConsumeStats{}}
	for _, group := range b.consumers.Groups() {
		var list []protocol.ConsumeStats
		for _, topic := range b.consumers.Topics(group) {
			if strings.HasPrefix(topic, RetryGroupTopicPrefix) {
				continue
			}
			tc, ok := b.topics.Get(topic)
			if !ok || (h.IsOrder && !tc.Order) {
				continue
			}
			cs := b.groupConsumeStats(group, topic, tc.ReadQueueNums)
			for _, ow := range cs.OffsetTable {
				out.TotalDiff += ow.BrokerOffset - ow.ConsumerOffset
			}
			list = append(list, cs)
		}
		if len(list) > 0 {
			out.ConsumeStatsList = append(out.ConsumeStatsList, map[string][]protocol.ConsumeStats{group: list})
		}
	}
	return fastJSONResponse(req, out)
}

// groupConsumeStats is GET_CONSUME_STATS for one topic of a group.
func (b *Broker) groupConsumeStats(group, topic string, queues int32) protocol.ConsumeStats {
	cs := protocol.ConsumeStats{OffsetTable: protocol.MessageQueueMap[protocol.OffsetWrapper]{}}
	for q := range queues {
		ow := protocol.OffsetWrapper{BrokerOffset: b.ms.MaxOffset(topic, q)}
		if off, ok := b.offsets.Query(group, topic, q); ok {
			ow.ConsumerOffset = max(off, 0)
		}
		ow.PullOffset = ow.ConsumerOffset
		if p, ok := b.pulled.get(group, topic, q); ok {
			ow.PullOffset = max(p, ow.ConsumerOffset)
		}
		if ow.ConsumerOffset > 0 {
			ow.LastTimestamp = max(b.storeTimeAt(topic, q, ow.ConsumerOffset-1), 0)
		}
		cs.OffsetTable[protocol.MessageQueue{Topic: topic, BrokerName: b.conf().BrokerName, QueueID: q}] = ow
	}
	return cs
}
