package broker

import (
	"context"
	"maps"
	"strconv"
	"time"

	"github.com/mq-project/mq/message"
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

// Timeouts of requests the broker sends to clients.
const (
	pushReplyTimeout  = 3 * time.Second  // ReplyMessageProcessor
	callClientTimeout = 10 * time.Second // AdminBrokerProcessor#callConsumer
)

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
