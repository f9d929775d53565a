package protocol

// Client↔broker and admin↔broker headers (remoting/…/protocol/header/*.java) other than the
// hand-written hot ones. `bname` is the JRM 5.x RPC broker name GoC adds to most requests.

// QueryConsumerOffsetRequestHeader is the header of QUERY_CONSUMER_OFFSET (14).
type QueryConsumerOffsetRequestHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
	Topic         string `ext:"topic,required"`
	QueueID       int32  `ext:"queueId"`
	// SetZeroIfNotFound is nil when absent (Java default: true).
	SetZeroIfNotFound *bool  `ext:"setZeroIfNotFound"`
	BrokerName        string `ext:"bname,omitempty"`
}

// QueryConsumerOffsetResponseHeader is the response header of QUERY_CONSUMER_OFFSET.
type QueryConsumerOffsetResponseHeader struct {
	Offset int64 `ext:"offset"`
}

// UpdateConsumerOffsetRequestHeader is the header of UPDATE_CONSUMER_OFFSET (15).
type UpdateConsumerOffsetRequestHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
	Topic         string `ext:"topic,required"`
	QueueID       int32  `ext:"queueId"`
	CommitOffset  int64  `ext:"commitOffset"`
	BrokerName    string `ext:"bname,omitempty"`
}

// SearchOffsetRequestHeader is the header of SEARCH_OFFSET_BY_TIMESTAMP (29).
type SearchOffsetRequestHeader struct {
	Topic     string `ext:"topic,required"`
	QueueID   int32  `ext:"queueId"`
	Timestamp int64  `ext:"timestamp"`
	// BoundaryType is "LOWER" (default when empty) or "UPPER".
	BoundaryType string `ext:"boundaryType,omitempty"`
	BrokerName   string `ext:"bname,omitempty"`
}

// OffsetResponseHeader is the response header of SEARCH_OFFSET_BY_TIMESTAMP (29),
// GET_MAX_OFFSET (30) and GET_MIN_OFFSET (31).
type OffsetResponseHeader struct {
	Offset int64 `ext:"offset"`
}

// GetMaxOffsetRequestHeader is the header of GET_MAX_OFFSET (30).
type GetMaxOffsetRequestHeader struct {
	Topic   string `ext:"topic,required"`
	QueueID int32  `ext:"queueId"`
	// Committed is nil when absent (Java default: true).
	Committed  *bool  `ext:"committed"`
	BrokerName string `ext:"bname,omitempty"`
}

// GetMinOffsetRequestHeader is the header of GET_MIN_OFFSET (31).
type GetMinOffsetRequestHeader struct {
	Topic      string `ext:"topic,required"`
	QueueID    int32  `ext:"queueId"`
	BrokerName string `ext:"bname,omitempty"`
}

// GetEarliestMsgStoreTimeRequestHeader is the header of GET_EARLIEST_MSG_STORETIME (32).
type GetEarliestMsgStoreTimeRequestHeader struct {
	Topic      string `ext:"topic,required"`
	QueueID    int32  `ext:"queueId"`
	BrokerName string `ext:"bname,omitempty"`
}

// GetEarliestMsgStoreTimeResponseHeader is the response header of GET_EARLIEST_MSG_STORETIME.
type GetEarliestMsgStoreTimeResponseHeader struct {
	Timestamp int64 `ext:"timestamp"`
}

// UnregisterClientRequestHeader is the header of UNREGISTER_CLIENT (35).
type UnregisterClientRequestHeader struct {
	ClientID      string `ext:"clientID,required"`
	ProducerGroup string `ext:"producerGroup,omitempty"`
	ConsumerGroup string `ext:"consumerGroup,omitempty"`
}

// ConsumerSendMsgBackRequestHeader is the header of CONSUMER_SEND_MSG_BACK (36). Offset is the
// CommitLog physical offset of the message.
type ConsumerSendMsgBackRequestHeader struct {
	Offset            int64  `ext:"offset"`
	Group             string `ext:"group,required"`
	DelayLevel        int32  `ext:"delayLevel"`
	OriginMsgID       string `ext:"originMsgId,omitempty"`
	OriginTopic       string `ext:"originTopic,omitempty"`
	UnitMode          bool   `ext:"unitMode"`
	MaxReconsumeTimes int32  `ext:"maxReconsumeTimes"`
	BrokerName        string `ext:"bname,omitempty"`
}

// EndTransactionRequestHeader is the header of END_TRANSACTION (37). CommitOrRollback is
// 0 (unknown), 8 (commit) or 12 (rollback).
type EndTransactionRequestHeader struct {
	Topic                string `ext:"topic,omitempty"`
	ProducerGroup        string `ext:"producerGroup,required"`
	TranStateTableOffset int64  `ext:"tranStateTableOffset"`
	CommitLogOffset      int64  `ext:"commitLogOffset"`
	CommitOrRollback     int32  `ext:"commitOrRollback"`
	FromTransactionCheck bool   `ext:"fromTransactionCheck"`
	MsgID                string `ext:"msgId"`
	TransactionID        string `ext:"transactionId,omitempty"`
	BrokerName           string `ext:"bname"`
}

// GetConsumerListByGroupRequestHeader is the header of GET_CONSUMER_LIST_BY_GROUP (38).
type GetConsumerListByGroupRequestHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
}

// CheckTransactionStateRequestHeader is the header of CHECK_TRANSACTION_STATE (39), sent by
// the broker to a producer.
type CheckTransactionStateRequestHeader struct {
	Topic                string `ext:"topic"`
	TranStateTableOffset int64  `ext:"tranStateTableOffset"`
	CommitLogOffset      int64  `ext:"commitLogOffset"`
	MsgID                string `ext:"msgId"`
	TransactionID        string `ext:"transactionId"`
	OffsetMsgID          string `ext:"offsetMsgId"`
	BrokerName           string `ext:"bname,omitempty"`
}

// NotifyConsumerIDsChangedRequestHeader is the header of NOTIFY_CONSUMER_IDS_CHANGED (40).
type NotifyConsumerIDsChangedRequestHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
}

// QueryMessageRequestHeader is the header of QUERY_MESSAGE (12). The extField
// _UNIQUE_KEY_QUERY="true" makes Key a UNIQ_KEY.
type QueryMessageRequestHeader struct {
	Topic          string `ext:"topic,required"`
	Key            string `ext:"key,required"`
	MaxNum         int32  `ext:"maxNum"`
	BeginTimestamp int64  `ext:"beginTimestamp"`
	EndTimestamp   int64  `ext:"endTimestamp"`
	UniqueKeyQuery bool   `ext:"_UNIQUE_KEY_QUERY,omitempty"`
}

// QueryMessageResponseHeader is the response header of QUERY_MESSAGE.
type QueryMessageResponseHeader struct {
	IndexLastUpdateTimestamp int64 `ext:"indexLastUpdateTimestamp"`
	IndexLastUpdatePhyoffset int64 `ext:"indexLastUpdatePhyoffset"`
}

// ViewMessageRequestHeader is the header of VIEW_MESSAGE_BY_ID (33): a CommitLog offset.
type ViewMessageRequestHeader struct {
	Topic  string `ext:"topic,omitempty"`
	Offset int64  `ext:"offset"`
}

// CreateTopicRequestHeader is the header of UPDATE_AND_CREATE_TOPIC (17).
type CreateTopicRequestHeader struct {
	Topic           string `ext:"topic,required"`
	DefaultTopic    string `ext:"defaultTopic"`
	ReadQueueNums   int32  `ext:"readQueueNums"`
	WriteQueueNums  int32  `ext:"writeQueueNums"`
	Perm            int32  `ext:"perm"`
	TopicFilterType string `ext:"topicFilterType"`
	TopicSysFlag    int32  `ext:"topicSysFlag"`
	Order           bool   `ext:"order"`
	Attributes      string `ext:"attributes,omitempty"`
	Force           bool   `ext:"force,omitempty"`
}

// DeleteTopicRequestHeader is the header of DELETE_TOPIC_IN_BROKER (215).
type DeleteTopicRequestHeader struct {
	Topic string `ext:"topic,required"`
}

// GetTopicConfigRequestHeader is the header of GET_TOPIC_CONFIG (351).
type GetTopicConfigRequestHeader struct {
	Topic string `ext:"topic,required"`
}

// GetAllTopicConfigResponseHeader is the response header of GET_ALL_TOPIC_CONFIG (21).
type GetAllTopicConfigResponseHeader struct {
	TotalTopicNum int32 `ext:"totalTopicNum,omitempty"`
}

// GetTopicStatsInfoRequestHeader is the header of GET_TOPIC_STATS_INFO (202).
type GetTopicStatsInfoRequestHeader struct {
	Topic string `ext:"topic,required"`
}

// DeleteSubscriptionGroupRequestHeader is the header of DELETE_SUBSCRIPTIONGROUP (207).
type DeleteSubscriptionGroupRequestHeader struct {
	GroupName   string `ext:"groupName,required"`
	CleanOffset bool   `ext:"cleanOffset"`
}

// GetSubscriptionGroupConfigRequestHeader is the header of GET_SUBSCRIPTIONGROUP_CONFIG (352).
type GetSubscriptionGroupConfigRequestHeader struct {
	Group string `ext:"group,required"`
}

// GetAllSubscriptionGroupResponseHeader is the response header of
// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
type GetAllSubscriptionGroupResponseHeader struct {
	TotalGroupNum int32 `ext:"totalGroupNum,omitempty"`
}

// GetConsumeStatsRequestHeader is the header of GET_CONSUME_STATS (208). TopicList is comma
// separated.
type GetConsumeStatsRequestHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
	Topic         string `ext:"topic,omitempty"`
	TopicList     string `ext:"topicList,omitempty"`
}

// GetConsumerConnectionListRequestHeader is the header of GET_CONSUMER_CONNECTION_LIST (203).
type GetConsumerConnectionListRequestHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
}

// GetProducerConnectionListRequestHeader is the header of GET_PRODUCER_CONNECTION_LIST (204).
type GetProducerConnectionListRequestHeader struct {
	ProducerGroup string `ext:"producerGroup,required"`
}

// ResetOffsetRequestHeader is the header of INVOKE_BROKER_TO_RESET_OFFSET (222) and of
// RESET_CONSUMER_CLIENT_OFFSET (220). QueueID -1 means every queue; Offset, when set, is an
// explicit target.
type ResetOffsetRequestHeader struct {
	Topic     string `ext:"topic,required"`
	Group     string `ext:"group,required"`
	Timestamp int64  `ext:"timestamp"`
	IsForce   bool   `ext:"isForce"`
	QueueID   int32  `ext:"queueId,default=-1"`
	Offset    *int64 `ext:"offset"`
}

// GetConsumerStatusRequestHeader is the header of GET_CONSUMER_STATUS_FROM_CLIENT (221) and
// INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223).
type GetConsumerStatusRequestHeader struct {
	Topic      string `ext:"topic,required"`
	Group      string `ext:"group,required"`
	ClientAddr string `ext:"clientAddr,omitempty"`
}

// GetConsumerRunningInfoRequestHeader is the header of GET_CONSUMER_RUNNING_INFO (307).
type GetConsumerRunningInfoRequestHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
	ClientID      string `ext:"clientId,required"`
	JstackEnable  bool   `ext:"jstackEnable"`
}

// ConsumeMessageDirectlyResultRequestHeader is the header of CONSUME_MESSAGE_DIRECTLY (309).
type ConsumeMessageDirectlyResultRequestHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
	ClientID      string `ext:"clientId,omitempty"`
	MsgID         string `ext:"msgId,omitempty"`
	BrokerName    string `ext:"brokerName,omitempty"`
	Topic         string `ext:"topic,omitempty"`
}

// QueryTopicConsumeByWhoRequestHeader is the header of QUERY_TOPIC_CONSUME_BY_WHO (300).
type QueryTopicConsumeByWhoRequestHeader struct {
	Topic string `ext:"topic,required"`
}

// QueryTopicsByConsumerRequestHeader is the header of QUERY_TOPICS_BY_CONSUMER (343).
type QueryTopicsByConsumerRequestHeader struct {
	Group string `ext:"group,required"`
}

// QuerySubscriptionByConsumerRequestHeader is the header of QUERY_SUBSCRIPTION_BY_CONSUMER (345).
type QuerySubscriptionByConsumerRequestHeader struct {
	Group string `ext:"group,required"`
	Topic string `ext:"topic,required"`
}

// QueryConsumeTimeSpanRequestHeader is the header of QUERY_CONSUME_TIME_SPAN (303).
type QueryConsumeTimeSpanRequestHeader struct {
	Topic string `ext:"topic,required"`
	Group string `ext:"group,required"`
}

// GetBrokerConfigResponseHeader is the response header of GET_BROKER_CONFIG (26): a
// DataVersion JSON text.
type GetBrokerConfigResponseHeader struct {
	Version string `ext:"version"`
}

// CloneGroupOffsetRequestHeader is the header of CLONE_GROUP_OFFSET (314).
type CloneGroupOffsetRequestHeader struct {
	SrcGroup  string `ext:"srcGroup,required"`
	DestGroup string `ext:"destGroup,required"`
	Topic     string `ext:"topic,omitempty"`
	Offline   bool   `ext:"offline"`
}

// GetBrokerConsumeStatsRequestHeader is the header of GET_BROKER_CONSUME_STATS (317).
type GetBrokerConsumeStatsRequestHeader struct {
	IsOrder bool `ext:"isOrder"`
}

// QueryConsumeQueueRequestHeader is the header of QUERY_CONSUME_QUEUE (321).
type QueryConsumeQueueRequestHeader struct {
	Topic         string `ext:"topic,required"`
	QueueID       int32  `ext:"queueId"`
	Index         int64  `ext:"index"`
	Count         int32  `ext:"count"`
	ConsumerGroup string `ext:"consumerGroup,omitempty"`
}

// ResumeCheckHalfMessageRequestHeader is the header of RESUME_CHECK_HALF_MESSAGE (323).
type ResumeCheckHalfMessageRequestHeader struct {
	MsgID string `ext:"msgId,required"`
	Topic string `ext:"topic,omitempty"`
}

// ReplyMessageRequestHeader is the header of PUSH_REPLY_MESSAGE_TO_CLIENT (326).
type ReplyMessageRequestHeader struct {
	ProducerGroup         string `ext:"producerGroup"`
	Topic                 string `ext:"topic,required"`
	DefaultTopic          string `ext:"defaultTopic"`
	DefaultTopicQueueNums int32  `ext:"defaultTopicQueueNums"`
	QueueID               int32  `ext:"queueId"`
	SysFlag               int32  `ext:"sysFlag"`
	BornTimestamp         int64  `ext:"bornTimestamp"`
	Flag                  int32  `ext:"flag"`
	Properties            string `ext:"properties"`
	ReconsumeTimes        int32  `ext:"reconsumeTimes"`
	UnitMode              bool   `ext:"unitMode"`
	BornHost              string `ext:"bornHost"`
	StoreHost             string `ext:"storeHost"`
	StoreTimestamp        int64  `ext:"storeTimestamp"`
}

// HeartbeatResponseHeader carries the JRM 5.x extras of a HEART_BEAT response.
type HeartbeatResponseHeader struct {
	IsSupportHeartbeatV2 bool `ext:"IS_SUPPORT_HEART_BEAT_V2,omitempty"`
	IsSubChange          bool `ext:"IS_SUB_CHANGE,omitempty"`
}
