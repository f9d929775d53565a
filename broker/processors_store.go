package broker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

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

// queryMessage answers QUERY_MESSAGE: messages of the topic with the key (KEYS or UNIQ_KEY)
// stored in [beginTimestamp, endTimestamp], through the IndexFile; QUERY_NOT_FOUND when none.
func (b *Broker) queryMessage(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.QueryMessageRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	maxNum := int(h.MaxNum)
	if h.UniqueKeyQuery || maxNum <= 0 {
		maxNum = b.conf().DefaultQueryMaxNum
	}
	// DefaultMessageStore#queryMessage caps every query at maxMsgsNumBatch (64).
	maxNum = min(maxNum, max(b.conf().MaxMsgsNumBatch, 1))
	r, err := b.ms.QueryByKey(h.Topic, h.Key, maxNum, h.BeginTimestamp, h.EndTimestamp)
	if err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	ext := protocol.EncodeHeader(&protocol.QueryMessageResponseHeader{
		IndexLastUpdateTimestamp: r.IndexLastUpdateTimestamp, IndexLastUpdatePhyoffset: r.IndexLastUpdatePhyOffset})
	if len(r.Messages) == 0 {
		r.Release()
		resp := errorResponse(req, protocol.QueryNotFound, "can not find message, maybe time range not correct")
		resp.ExtFields = ext
		return resp
	}
	resp := success(req)
	resp.ExtFields = ext
	parts, _ := recordParts(r.Messages)
	resp.SetBodyParts(parts, r.Release) // written from the mapping; r holds it until then
	return resp
}

// recordParts returns records as body parts (no copy) and their total size.
func recordParts(ms []message.Stored) ([][]byte, int) {
	parts := make([][]byte, len(ms))
	n := 0
	for i, m := range ms {
		parts[i] = m
		n += len(m)
	}
	return parts, n
}

// viewMessageByID answers VIEW_MESSAGE_BY_ID: the record at a CommitLog offset.
func (b *Broker) viewMessageByID(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.ViewMessageRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	rec, err := b.ms.ReadAt(h.Offset)
	if err != nil {
		return errorResponse(req, protocol.SystemError, "can not find message by the offset, "+strconv.FormatInt(h.Offset, 10))
	}
	resp := success(req)
	resp.SetBodyParts([][]byte{rec.Stored}, rec.Release) // written from the mapping
	return resp
}

// consumerSendMsgBack handles CONSUMER_SEND_MSG_BACK (AbstractSendMessageProcessor
// #consumerSendMsgBack): the message at the CommitLog offset (trap §7.19) is stored again in
// %RETRY%<group> with reconsumeTimes+1 and delay level 3+reconsumeTimes (or the given level),
// or in %DLQ%<group> once reconsumeTimes >= maxReconsumeTimes or delayLevel < 0.
func (b *Broker) consumerSendMsgBack(ctx context.Context, c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.ConsumerSendMsgBackRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	sg, _, err := b.subs.FindOrCreate(h.Group)
	if err != nil {
		return errorResponse(req, protocol.SubscriptionGroupNotExist, "subscription group not exist, "+h.Group)
	}
	if int32(b.conf().BrokerPermission)&protocol.PermWrite == 0 {
		return errorResponse(req, protocol.NoPermission, "the broker["+b.conf().BrokerName+"] sending message is forbidden")
	}
	if sg.RetryQueueNums <= 0 {
		return success(req)
	}
	rec, err := b.ms.ReadAt(h.Offset)
	if err != nil {
		return errorResponse(req, protocol.SystemError, "look message by offset failed, "+strconv.FormatInt(h.Offset, 10))
	}
	old := rec.Ext(true)
	rec.Release()
	nt := protocol.NewTopicConfig(RetryTopic(h.Group))
	nt.ReadQueueNums, nt.WriteQueueNums = sg.RetryQueueNums, sg.RetryQueueNums
	nt.Perm = protocol.PermRead | protocol.PermWrite
	tc, _, err := b.topics.CreateIfAbsent(nt)
	if err != nil && tc.TopicName == "" {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	props := old.Properties
	if props == nil {
		props = make(map[string]string)
	}
	if props[message.PropertyRetryTopic] == "" {
		props[message.PropertyRetryTopic] = old.Topic
	}
	maxTimes := sg.RetryMaxTimes
	if _, ok := req.ExtFields["maxReconsumeTimes"]; ok {
		maxTimes = h.MaxReconsumeTimes
	}
	m := &message.MessageExt{
		Message: message.Message{Topic: tc.TopicName, Flag: old.Flag, Properties: props, Body: old.Body},
		QueueID: rand.Int32N(max(tc.WriteQueueNums, 1)), SysFlag: old.SysFlag,
		BornTimestamp: old.BornTimestamp, BornHost: old.BornHost, ReconsumeTimes: old.ReconsumeTimes + 1,
	}
	delay := h.DelayLevel
	if old.ReconsumeTimes >= maxTimes || delay < 0 {
		dlq, serr := b.dlqTopic(h.Group)
		if serr != nil {
			return errorResponse(req, serr.code, serr.remark)
		}
		m.Topic, m.QueueID = dlq.TopicName, 0
		delete(props, message.PropertyDelayTimeLevel)
	} else {
		if delay == 0 {
			delay = 3 + old.ReconsumeTimes
		}
		props[message.PropertyDelayTimeLevel] = strconv.Itoa(int(delay))
	}
	if props[message.PropertyOriginMessageID] == "" {
		props[message.PropertyOriginMessageID] = message.OffsetMsgID(old.StoreHost, old.CommitLogOffset)
	}
	if _, err := b.putMessage(ctx, m); err != nil && !errors.Is(err, store.ErrFlushTimeout) {
		return errorResponse(req, storeErrorCode(err), err.Error())
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

// brokerVersionDesc is what GET_BROKER_RUNTIME_INFO reports as the broker version.
const brokerVersionDesc = "V5_3_3"

// brokerRuntimeInfo answers GET_BROKER_RUNTIME_INFO with the KVTable keys mqadmin reads.
func (b *Broker) brokerRuntimeInfo(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	t := make(map[string]string, 32)
	put, get := b.stats.putTotal.Load(), b.stats.getTotal.Load()
	today, yesterday := b.stats.mornings()
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	t["brokerVersionDesc"] = brokerVersionDesc
	t["brokerVersion"] = "453"
	t["msgPutTotalTodayNow"] = i64(put)
	t["msgGetTotalTodayNow"] = i64(get)
	t["msgPutTotalTodayMorning"] = i64(today[0])
	t["msgGetTotalTodayMorning"] = i64(today[1])
	t["msgPutTotalYesterdayMorning"] = i64(yesterday[0])
	t["msgGetTotalYesterdayMorning"] = i64(yesterday[1])
	var putTps, getTps [3]string
	for i, w := range []int{10, 60, 600} {
		p, g := b.stats.tps(secondsDur(w))
		putTps[i], getTps[i] = fmt.Sprintf("%.2f", p), fmt.Sprintf("%.2f", g)
	}
	t["putTps"] = strings.Join(putTps[:], " ")
	t["getTransferedTps"] = strings.Join(getTps[:], " ")
	t["getTransferredTps"] = t["getTransferedTps"]
	t["commitLogMinOffset"] = i64(b.ms.CommitLogMinOffset())
	t["commitLogMaxOffset"] = i64(b.ms.CommitLogMaxOffset())
	t["dispatchBehindBytes"] = i64(b.ms.DispatchLag())
	t["bootTimestamp"] = i64(b.boot.UnixMilli())
	t["runtime"] = runtimeString(b.now().Sub(b.boot))
	t["brokerActive"] = "true"
	t["earliestMessageTimeStamp"] = i64(b.earliestCommitLogTime())
	b.measuredRuntimeInfo(t)
	t["remainHowManyDataToFlush"] = i64(b.ms.CommitLogMaxOffset() - b.ms.FlushedOffset())
	// mq's own key: true while the disk is above diskSpaceWarningLevelRatio (read-only).
	t["diskFull"] = strconv.FormatBool(b.ms.DiskFull())
	if b.ms.SyncFlush() { // mq's own keys: how well the SYNC_FLUSH group commit groups
		rounds, served := b.ms.GroupCommitStats()
		t["groupCommitRounds"], t["groupCommitWaits"] = i64(rounds), i64(served)
	}
	offs := b.svc.sched.Offsets()
	for i := range b.delays {
		level := int32(i + 1)
		t["scheduleMessageOffset_"+strconv.Itoa(int(level))] = i64(offs[level]) + "," + i64(b.ms.MaxOffset(TopicSchedule, level-1))
	}
	b.haRuntimeInfo(t)
	return jsonResponse(req, protocol.KVTable{Table: t})
}

// earliestCommitLogTime is the store time of the first record kept, or 0.
func (b *Broker) earliestCommitLogTime() int64 {
	rec, err := b.ms.ReadAt(b.ms.CommitLogMinOffset())
	if err != nil {
		return 0
	}
	defer rec.Release()
	return rec.StoreTimestamp()
}

// topicStatsInfo answers GET_TOPIC_STATS_INFO: min and max offset and last store time of
// every queue of the topic.
func (b *Broker) topicStatsInfo(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetTopicStatsInfoRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	tc, ok := b.topics.Get(h.Topic)
	if !ok {
		return errorResponse(req, protocol.TopicNotExist, "topic["+h.Topic+"] not exist")
	}
	st := protocol.TopicStatsTable{OffsetTable: protocol.MessageQueueMap[protocol.TopicOffset]{}}
	for q := range max(tc.ReadQueueNums, tc.WriteQueueNums) {
		mx := b.ms.MaxOffset(h.Topic, q)
		to := protocol.TopicOffset{MinOffset: b.ms.MinOffset(h.Topic, q), MaxOffset: mx}
		if mx > 0 {
			to.LastUpdateTimestamp = max(b.storeTimeAt(h.Topic, q, mx-1), 0)
		}
		st.OffsetTable[protocol.MessageQueue{Topic: h.Topic, BrokerName: b.conf().BrokerName, QueueID: q}] = to
	}
	return fastJSONResponse(req, st)
}

// consumeStats answers GET_CONSUME_STATS for a group: per readable queue of each topic
// (topicList, topic, or every topic the group has offsets for) the broker's max offset, the
// committed offset, the last pulled offset and the store time of the last consumed message.
func (b *Broker) consumeStats(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumeStatsRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	var topics []string
	switch {
	case h.TopicList != "":
		for _, t := range strings.Split(h.TopicList, ",") {
			if t = strings.TrimSpace(t); t != "" {
				topics = append(topics, t)
			}
		}
	case h.Topic != "":
		topics = []string{h.Topic}
	default:
		online := len(b.consumers.ClientIDs(h.ConsumerGroup)) > 0
		for _, t := range b.offsets.TopicsOfGroup(h.ConsumerGroup) {
			if online {
				if _, ok := b.consumers.Subscription(h.ConsumerGroup, t); !ok {
					continue
				}
			}
			topics = append(topics, t)
		}
	}
	cs := protocol.ConsumeStats{OffsetTable: protocol.MessageQueueMap[protocol.OffsetWrapper]{}}
	for _, topic := range topics {
		tc, ok := b.topics.Get(topic)
		if !ok {
			continue
		}
		for q := range tc.ReadQueueNums {
			ow := protocol.OffsetWrapper{BrokerOffset: b.ms.MaxOffset(topic, q)}
			if off, ok := b.offsets.Query(h.ConsumerGroup, topic, q); ok {
				ow.ConsumerOffset = max(off, 0)
			}
			ow.PullOffset = ow.ConsumerOffset
			if p, ok := b.pulled.get(h.ConsumerGroup, topic, q); ok {
				ow.PullOffset = max(p, ow.ConsumerOffset)
			}
			if ow.ConsumerOffset > 0 {
				ow.LastTimestamp = max(b.storeTimeAt(topic, q, ow.ConsumerOffset-1), 0)
			}
			cs.OffsetTable[protocol.MessageQueue{Topic: topic, BrokerName: b.conf().BrokerName, QueueID: q}] = ow
		}
	}
	return fastJSONResponse(req, cs)
}

// allDelayOffset answers GET_ALL_DELAY_OFFSET with delayOffset.json's content.
func (b *Broker) allDelayOffset(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	return jsonResponse(req, b.svc.sched.Wrapper())
}

// fastJSONResponse answers SUCCESS with v in fastjson's shape (object map keys, trap §7.7).
func fastJSONResponse(req *remoting.Command, v any) *remoting.Command {
	body, err := protocol.EncodeFastJSON(v)
	if err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	resp := success(req)
	resp.Body = body
	return resp
}

// viewBrokerStatsData answers VIEW_BROKER_STATS_DATA (AdminBrokerProcessor#ViewBrokerStatsData)
// with the minute, hour and day of one stats item, or SYSTEM_ERROR when it has no data.
func (b *Broker) viewBrokerStatsData(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.ViewBrokerStatsDataRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	d, ok := b.items.data(h.StatsName, h.StatsKey)
	if !ok {
		return errorResponse(req, protocol.SystemError, "The stats <"+h.StatsName+"> <"+h.StatsKey+"> not exist")
	}
	return jsonResponse(req, d)
}

// countPut adds n stored messages of size bytes in all to topic's stats items.
func (b *Broker) countPut(topic string, n, size int) {
	b.items.add(statsTopicPutNums, topic, int64(n))
	b.items.add(statsTopicPutSize, topic, int64(size))
	b.items.add(statsBrokerPutNums, b.conf().BrokerClusterName, int64(n))
}
