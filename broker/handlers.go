package broker

import (
	"context"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// handlerFunc serves one request; nil answers nothing (oneway requests).
type handlerFunc = func(context.Context, *remoting.Conn, *remoting.Command) *remoting.Command

// handler is one row of the broker's handler table: the request code, the worker pool it
// runs on, the function that serves it and the right it needs when aclEnable=true.
type handler struct {
	code  protocol.RequestCode
	pool  Pool
	fn    handlerFunc
	right right
}

// handlers is the broker's one handler table. Every request code the broker serves is
// here, with the right it needs (acl_rights.go); a row without a right does not compile
// into a served code when ACL is on (registerHandlers refuses it).
func (b *Broker) handlers() []handler {
	return []handler{
		// Produce and consume (Apache's PlainAccessValidator.parse decides these rights).
		{protocol.SendMessage, PoolSend, b.sendMessage, sendRight},
		{protocol.SendMessageV2, PoolSend, b.sendMessage, sendRight},
		{protocol.SendBatchMessage, PoolSend, b.sendMessage, sendRight},
		{protocol.SendReplyMessage, PoolSend, b.sendReplyMessage, sendRight},
		{protocol.SendReplyMessageV2, PoolSend, b.sendReplyMessage, sendRight},
		{protocol.ConsumerSendMsgBack, PoolSend, b.consumerSendMsgBack, groupRight("group")},
		{protocol.PullMessage, PoolPull, b.pullMessage, subRight("topic", "consumerGroup")},
		{protocol.LitePullMessage, PoolPull, b.pullMessage, subRight("topic", "consumerGroup")},
		{protocol.QueryMessage, PoolQuery, b.queryMessage, subRight("topic", "")},
		{protocol.ViewMessageByID, PoolQuery, b.viewMessageByID, rightSigned},
		{protocol.EndTransaction, PoolEndTransaction, b.endTransaction, pubIfTopic},

		// Clients and offsets.
		{protocol.HeartBeat, PoolHeartbeat, b.heartbeat, heartbeatRight},
		{protocol.UnregisterClient, PoolClientManage, b.unregisterClient, groupRight("consumerGroup")},
		{protocol.GetConsumerListByGroup, PoolClientManage, b.consumerListByGroup, groupRight("consumerGroup")},
		{protocol.QueryConsumerOffset, PoolConsumerManage, b.queryConsumerOffset, subRight("topic", "consumerGroup")},
		{protocol.UpdateConsumerOffset, PoolConsumerManage, b.updateConsumerOffset, subRight("topic", "consumerGroup")},
		{protocol.GetMaxOffset, PoolConsumerManage, b.getMaxOffset, subRight("topic", "")},
		{protocol.GetMinOffset, PoolConsumerManage, b.getMinOffset, subRight("topic", "")},
		{protocol.SearchOffsetByTimestamp, PoolConsumerManage, b.searchOffsetByTimestamp, subRight("topic", "")},
		{protocol.GetEarliestMsgStoreTime, PoolConsumerManage, b.earliestMsgStoreTime, subRight("topic", "")},
		{protocol.LockBatchMQ, PoolConsumerManage, b.lockBatchMQ, rightSigned},
		{protocol.UnlockBatchMQ, PoolConsumerManage, b.unlockBatchMQ, rightSigned},

		// Administration that changes the broker: admin accounts only.
		{protocol.UpdateAndCreateTopic, PoolAdmin, b.updateAndCreateTopic, rightAdmin},
		{protocol.DeleteTopicInBroker, PoolAdmin, b.deleteTopic, rightAdmin},
		{protocol.UpdateAndCreateSubscriptionGroup, PoolAdmin, b.updateSubscriptionGroup, rightAdmin},
		{protocol.DeleteSubscriptionGroup, PoolAdmin, b.deleteSubscriptionGroup, rightAdmin},
		{protocol.UpdateBrokerConfig, PoolAdmin, b.updateBrokerConfig, rightAdmin},
		{protocol.GetBrokerConfig, PoolAdmin, b.brokerConfig, rightAdmin},
		{protocol.InvokeBrokerToResetOffset, PoolAdmin, b.resetOffset, rightAdmin},
		{protocol.CloneGroupOffset, PoolAdmin, b.cloneGroupOffset, rightAdmin},
		{protocol.ConsumeMessageDirectly, PoolAdmin, b.consumeMessageDirectly, rightAdmin},
		{protocol.UpdateAndCreateACLConfig, PoolAdmin, b.updateACLConfig, rightAdmin},
		{protocol.DeleteACLConfig, PoolAdmin, b.deleteACLConfig, rightAdmin},
		{protocol.UpdateGlobalWhiteAddrsConfig, PoolAdmin, b.updateGlobalWhiteAddrs, rightAdmin},
		{protocol.GetBrokerClusterACLInfo, PoolAdmin, b.aclInfo, rightAdmin},
		{protocol.GetBrokerClusterACLConfig, PoolAdmin, b.aclConfig, rightAdmin},

		// Reads (metadata a slave syncs, stats, connections): any signed account.
		{protocol.GetAllTopicConfig, PoolAdmin, b.allTopicConfig, rightSigned},
		{protocol.GetTopicConfig, PoolAdmin, b.topicConfig, rightSigned},
		{protocol.GetAllSubscriptionGroupConfig, PoolAdmin, b.allSubscriptionGroups, rightSigned},
		{protocol.GetSubscriptionGroupConfig, PoolAdmin, b.subscriptionGroup, rightSigned},
		{protocol.GetAllConsumerOffset, PoolAdmin, b.allConsumerOffsets, rightSigned},
		{protocol.GetAllDelayOffset, PoolAdmin, b.allDelayOffset, rightSigned},
		{protocol.GetProducerConnectionList, PoolAdmin, b.producerConnections, rightSigned},
		{protocol.GetConsumerConnectionList, PoolAdmin, b.consumerConnections, rightSigned},
		{protocol.GetConsumerRunningInfo, PoolAdmin, b.consumerRunningInfo, rightSigned},
		{protocol.QueryTopicConsumeByWho, PoolAdmin, b.topicConsumeByWho, rightSigned},
		{protocol.QueryTopicsByConsumer, PoolAdmin, b.topicsByConsumer, rightSigned},
		{protocol.GetBrokerConsumeStats, PoolAdmin, b.brokerConsumeStats, rightSigned},
		{protocol.GetBrokerRuntimeInfo, PoolAdmin, b.brokerRuntimeInfo, rightSigned},
		{protocol.ViewBrokerStatsData, PoolAdmin, b.viewBrokerStatsData, rightSigned},
		{protocol.GetTopicStatsInfo, PoolAdmin, b.topicStatsInfo, rightSigned},
		{protocol.GetConsumeStats, PoolAdmin, b.consumeStats, rightSigned},
		{protocol.GetBrokerHAStatus, PoolAdmin, b.haStatus, rightSigned},
		{protocol.MQGetDelayStatus, PoolAdmin, b.mqDelayStatus, rightSigned},
		{protocol.MQGetTimerStatus, PoolAdmin, b.mqTimerStatus, rightSigned},
		{protocol.MQGetTransactionStatus, PoolAdmin, b.mqTransactionStatus, rightSigned},
	}
}

// registerHandlers installs the handler table, each handler behind its right.
func (b *Broker) registerHandlers() {
	for _, h := range b.handlers() {
		opts := []remoting.HandleOption{remoting.WithPool(b.pools[h.pool])}
		if inlineSends && inlineCodes[h.code] {
			opts = append(opts, remoting.Inline())
		}
		if rawExtCodes[h.code] {
			opts = append(opts, remoting.RawExt())
		}
		b.server.Handle(int16(h.code), remoting.HandlerFunc(b.guard(h.code, h.right, h.fn)), opts...)
	}
}

// inlineCodes run on the connection's read goroutine while the send pool has no backlog
// (remoting.Inline): a plain send appends to the CommitLog without waiting (a SYNC_FLUSH or
// SYNC_MASTER answer is sent later by finishSend), so the hand-off to a worker cost more than
// the work. Reply messages wait for the requester's answer and stay on the pool.
var inlineCodes = map[protocol.RequestCode]bool{
	protocol.SendMessage: true, protocol.SendMessageV2: true, protocol.SendBatchMessage: true,
}

// rawExtCodes take their extFields without the map (remoting.RawExt): sendMessage reads
// them with Command.Ext and LookupExt, and guard builds the map (LoadExt) when ACL or audit
// need it.
var rawExtCodes = map[protocol.RequestCode]bool{
	protocol.SendMessage: true, protocol.SendMessageV2: true,
}

// inlineSends turns inlineCodes on; the send benchmarks compare both ways.
var inlineSends = true

// Handle registers h for code on pool, replacing any earlier handler (tests plug fakes in
// with it). Such a handler has no declared right: with aclEnable=true it is refused.
func (b *Broker) Handle(code protocol.RequestCode, pool Pool, h remoting.Handler) {
	b.server.Handle(int16(code), remoting.HandlerFunc(b.guard(code, nil, h.Serve)), remoting.WithPool(b.pools[pool]))
}
