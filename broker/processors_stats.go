package broker

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

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

// countPut adds n stored messages of size bytes in all to topic's stats items.
func (b *Broker) countPut(topic string, n, size int) {
	b.items.addPut(topic, b.conf().BrokerClusterName, int64(n), int64(size))
}
