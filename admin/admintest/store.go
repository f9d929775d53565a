package admintest

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// An in-memory stand-in for Apache 4.9.8's message store, enough for the answers admin reads
// back: queue offsets, where a send lands (retry, DLQ, schedule and half topics), consumer
// offsets of the system groups.

// Names Apache uses for its delay and transaction machinery.
const (
	scheduleTopic     = "SCHEDULE_TOPIC_XXXX"
	halfTopic         = "RMQ_SYS_TRANS_HALF_TOPIC"
	retryPrefix       = "%RETRY%"
	dlqPrefix         = "%DLQ%"
	scheduleQueueNums = 18 // TopicConfigManager.SCHEDULE_TOPIC_QUEUE_NUM
	// versionV349 is MQVersion.Version.V3_4_9's ordinal: from it on, a send's
	// maxReconsumeTimes header replaces the group's retryMaxTimes.
	versionV349 = 121
	// DefaultDelayLevels is MessageStoreConfig.messageDelayLevel's default.
	DefaultDelayLevels = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"
	faqTail            = "\nSee http://rocketmq.apache.org/docs/faq/ for further details."
)

// queueState is one queue: offsets min..max, the messages sent to it (offset min+i).
type queueState struct {
	min, max int64
	last     int64 // store timestamp of the last message
	msgs     []message.MessageExt
}

// Stored is a message the stand-in holds.
type Stored struct {
	Topic   string
	QueueID int32
	Offset  int64
	Message message.MessageExt
}

// queueLocked returns topic's queue q, creating it empty.
func (b *Broker) queueLocked(topic string, q int32) *queueState {
	qs := b.queues[topic]
	for int32(len(qs)) <= q {
		qs = append(qs, &queueState{})
	}
	b.queues[topic] = qs
	return qs[q]
}

// Messages returns the messages sent to topic, in queue then offset order.
func (b *Broker) Messages(topic string) []Stored {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Stored
	for q, qs := range b.queues[topic] {
		for i, m := range qs.msgs {
			out = append(out, Stored{Topic: topic, QueueID: int32(q), Offset: qs.max - int64(len(qs.msgs)) + int64(i), Message: m})
		}
	}
	return out
}

// SetConsumerOffset sets group's committed offset of a queue, as a consumer's commit (or
// Apache's transaction checker, group CID_RMQ_SYS_TRANS) would.
func (b *Broker) SetConsumerOffset(group, topic string, queueID int32, offset int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.offsets[offsetKey(group, topic, queueID)] = offset
}

// Deliver marks the first n messages of delay level as delivered, as Apache's
// ScheduleMessageService does; from then on runtime info reports scheduleMessageOffset_level.
func (b *Broker) Deliver(level int, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.delivered[level] += n
}

func offsetKey(group, topic string, q int32) string {
	return group + "@" + topic + "@" + strconv.Itoa(int(q))
}

// queryConsumerOffset answers QUERY_CONSUMER_OFFSET as 4.9.8's ConsumerManageProcessor: the
// committed offset; none and the queue still starts at 0: offset 0; else QUERY_NOT_FOUND.
func (b *Broker) queryConsumerOffset(req *remoting.Command) *remoting.Command {
	var h protocol.QueryConsumerOffsetRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return fail(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	off, found := b.offsets[offsetKey(h.ConsumerGroup, h.Topic, h.QueueID)]
	min := b.queueLocked(h.Topic, h.QueueID).min
	b.mu.Unlock()
	if !found {
		if min > 0 {
			return fail(req, protocol.QueryNotFound, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")
		}
		off = 0
	}
	resp := ok(req, "")
	resp.ExtFields = protocol.EncodeHeader(&protocol.QueryConsumerOffsetResponseHeader{Offset: off})
	return resp
}

// sendMessage answers SEND_MESSAGE and SEND_MESSAGE_V2 as 4.9.8's SendMessageProcessor: a
// topic must exist (retry topics are created); a send to %RETRY%G moves to %DLQ%G when
// reconsumeTimes >= maxReconsumeTimes (the header's when present, else the group's
// retryMaxTimes); a delayed message is stored in SCHEDULE_TOPIC_XXXX queue level-1, a
// prepared one in RMQ_SYS_TRANS_HALF_TOPIC queue 0.
func (b *Broker) sendMessage(req *remoting.Command) *remoting.Command {
	var h protocol.SendMessageRequestHeader
	var err error
	if req.Code == int16(protocol.SendMessageV2) {
		var h2 protocol.SendMessageRequestHeaderV2
		err = h2.Decode(req.ExtFields)
		h = protocol.SendMessageRequestHeader(h2)
	} else {
		err = h.Decode(req.ExtFields)
	}
	if err != nil {
		return fail(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	topic, queueID := h.Topic, h.QueueID
	tc, found := b.topics[topic]
	if !found && strings.HasPrefix(topic, retryPrefix) {
		tc = systemTopicConfig(topic)
		b.topics[topic], found = tc, true
	}
	if !found {
		return fail(req, protocol.TopicNotExist, "topic["+topic+"] not exist, apply first please!"+faqTail)
	}
	if group, isRetry := strings.CutPrefix(topic, retryPrefix); isRetry {
		g, known := b.groups[group]
		if !known {
			return fail(req, protocol.SubscriptionGroupNotExist, "subscription group not exist, "+group+" "+faqTail)
		}
		maxTimes := g.RetryMaxTimes
		if v, sent := req.ExtFields[maxReconsumeKey(req)]; sent && req.Version >= versionV349 {
			n, _ := strconv.Atoi(v)
			maxTimes = int32(n)
		}
		if h.ReconsumeTimes >= maxTimes {
			topic = dlqPrefix + group
			if _, ok := b.topics[topic]; !ok {
				b.topics[topic] = systemTopicConfig(topic)
			}
			queueID = 0
		}
	}
	if queueID < 0 || queueID >= max(b.topics[topic].WriteQueueNums, 1) {
		return fail(req, protocol.SystemError, fmt.Sprintf("request queueId[%d] is illegal, %s Producer: %s", queueID, topic, req.Ext("bornHost")))
	}
	props := message.DecodeProperties([]byte(h.Properties))
	m := message.MessageExt{Message: message.Message{Topic: topic, Flag: h.Flag, Properties: props, Body: req.Body},
		QueueID: queueID, SysFlag: h.SysFlag, BornTimestamp: h.BornTimestamp, ReconsumeTimes: h.ReconsumeTimes,
		StoreHost: netip.MustParseAddrPort(b.Addr), BornHost: netip.MustParseAddrPort("10.0.0.5:53122")}
	storeTopic, storeQueue := topic, queueID
	switch {
	case h.SysFlag&message.SysFlagTransactionMask == message.TransactionPreparedType:
		m.SetProperty(message.PropertyRealTopic, topic)
		m.SetProperty(message.PropertyRealQueueID, strconv.Itoa(int(queueID)))
		storeTopic, storeQueue = halfTopic, 0
		if _, ok := b.topics[halfTopic]; !ok {
			b.topics[halfTopic] = systemTopicConfig(halfTopic)
		}
	case props[message.PropertyDelayTimeLevel] != "":
		level, _ := strconv.Atoi(props[message.PropertyDelayTimeLevel])
		if level > 0 {
			level = min(level, scheduleQueueNums)
			m.SetProperty(message.PropertyRealTopic, topic)
			m.SetProperty(message.PropertyRealQueueID, strconv.Itoa(int(queueID)))
			storeTopic, storeQueue = scheduleTopic, int32(level-1)
		}
	}
	m.Topic, m.QueueID = storeTopic, storeQueue
	qs := b.queueLocked(storeTopic, storeQueue)
	m.QueueOffset = qs.max
	m.StoreTimestamp = 1700000000000 + qs.max
	qs.msgs = append(qs.msgs, m)
	qs.max++
	qs.last = m.StoreTimestamp
	resp := ok(req, "")
	resp.ExtFields = protocol.EncodeHeader(&protocol.SendMessageResponseHeader{
		MsgID: fmt.Sprintf("7F00000100002A9F%016X", qs.max), QueueID: queueID, QueueOffset: m.QueueOffset,
		MsgRegion: "DefaultRegion", TraceOn: "true"})
	return resp
}

// maxReconsumeKey is the header name of maxReconsumeTimes in req's dialect.
func maxReconsumeKey(req *remoting.Command) string {
	if req.Code == int16(protocol.SendMessageV2) {
		return "l"
	}
	return "maxReconsumeTimes"
}

// scheduleRuntimeLocked adds scheduleMessageOffset_<level> = "delivered,max" for every level
// that delivered at least once, as ScheduleMessageService.buildRunningStats does.
func (b *Broker) scheduleRuntimeLocked(table map[string]string) {
	for level, d := range b.delivered {
		max := b.queueLocked(scheduleTopic, int32(level-1)).max
		table["scheduleMessageOffset_"+strconv.Itoa(level)] = strconv.FormatInt(d, 10) + "," + strconv.FormatInt(max, 10)
	}
}

// consumedTopicsLocked are the topics the fake groups consume: every topic but the delay and
// transaction machinery's.
func (b *Broker) consumedTopicsLocked() []string {
	var out []string
	for _, t := range sortedKeys(b.topics) {
		if t != scheduleTopic && t != halfTopic {
			out = append(out, t)
		}
	}
	return out
}

// unknownGroupStats is GET_CONSUME_STATS of a group with no offsets.
func (b *Broker) unknownGroupStats(req *remoting.Command, topic string) *remoting.Command {
	b.mu.Lock()
	defer b.mu.Unlock()
	var parts []string
	if tc, ok := b.topics[topic]; ok {
		for q := int32(0); q < tc.ReadQueueNums; q++ {
			parts = append(parts, fmt.Sprintf(`{"brokerName":%q,"queueId":%d,"topic":%q}:{"brokerOffset":%d,"consumerOffset":0,"lastTimestamp":0,"pullOffset":0}`,
				b.cfg.Name, q, topic, b.queueLocked(topic, q).max))
		}
	}
	return ok(req, `{"consumeTps":0.0,"offsetTable":{`+strings.Join(parts, ",")+`}}`)
}

// Put stores m in topic's queue as if it had been sent there (a dead letter moved to %DLQ%G,
// say) and returns its queue offset. The topic must be one of the broker's.
func (b *Broker) Put(topic string, queueID int32, m message.MessageExt) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	qs := b.queueLocked(topic, queueID)
	m.Topic, m.QueueID, m.QueueOffset = topic, queueID, qs.max
	if m.StoreTimestamp == 0 {
		m.StoreTimestamp = 1700000000000 + qs.max
	}
	if !m.StoreHost.IsValid() {
		m.StoreHost = netip.MustParseAddrPort(b.Addr)
	}
	if !m.BornHost.IsValid() {
		m.BornHost = netip.MustParseAddrPort("10.0.0.5:53122")
	}
	qs.msgs = append(qs.msgs, m)
	qs.max++
	qs.last = m.StoreTimestamp
	return m.QueueOffset
}

// queueOffset answers GET_MIN_OFFSET and GET_MAX_OFFSET.
func (b *Broker) queueOffset(req *remoting.Command) *remoting.Command {
	var h protocol.GetMinOffsetRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return fail(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	qs := b.queueLocked(h.Topic, h.QueueID)
	off := qs.max
	if req.Code == int16(protocol.GetMinOffset) {
		off = qs.min
	}
	b.mu.Unlock()
	resp := ok(req, "")
	resp.ExtFields = protocol.EncodeHeader(&protocol.OffsetResponseHeader{Offset: off})
	return resp
}

// pullMessage answers PULL_MESSAGE with the stored messages from the asked offset (the fake
// offsets of configured topics hold none): FOUND, or PULL_NOT_FOUND at the end.
func (b *Broker) pullMessage(req *remoting.Command) *remoting.Command {
	var h protocol.PullMessageRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return fail(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	qs := b.queueLocked(h.Topic, h.QueueID)
	first := qs.max - int64(len(qs.msgs)) // offset of msgs[0]
	rh := protocol.PullMessageResponseHeader{MinOffset: qs.min, MaxOffset: qs.max, NextBeginOffset: max(h.QueueOffset, first)}
	var body []byte
	for off := max(h.QueueOffset, first); off < qs.max && int32(off-max(h.QueueOffset, first)) < max(h.MaxMsgNums, 1); off++ {
		m := qs.msgs[off-first]
		var err error
		if body, err = message.EncodeStored(body, &m, nil); err != nil {
			return fail(req, protocol.SystemError, err.Error())
		}
		rh.NextBeginOffset = off + 1
	}
	code := protocol.Success
	if len(body) == 0 {
		code = protocol.PullNotFound
	}
	resp := remoting.NewResponse(req, int16(code), "")
	resp.ExtFields = map[string]string{}
	rh.Encode(resp.ExtFields)
	resp.Body = body
	return resp
}
