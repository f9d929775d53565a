package protocol

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Body types are encoded with EncodeBody (standard JSON, Java property names in alphabetical
// order, as fastjson sorts them) or EncodeFastJSON (for MessageQueue-keyed maps), and decoded
// with DecodeBody, which accepts the fastjson dialect.

// DataVersion versions a broker's topic table (DataVersion.java).
type DataVersion struct {
	Counter      int64 `json:"counter"`
	StateVersion int64 `json:"stateVersion"`
	Timestamp    int64 `json:"timestamp"`
}

// TopicConfig is a topic's configuration (TopicConfig.java). Defaults: 16/16 queues, perm 6,
// SINGLE_TAG.
type TopicConfig struct {
	Attributes      map[string]string `json:"attributes"`
	Order           bool              `json:"order"`
	Perm            int32             `json:"perm"`
	ReadQueueNums   int32             `json:"readQueueNums"`
	TopicFilterType string            `json:"topicFilterType"`
	TopicName       string            `json:"topicName"`
	TopicSysFlag    int32             `json:"topicSysFlag"`
	WriteQueueNums  int32             `json:"writeQueueNums"`
}

// NewTopicConfig returns Java's defaults for name.
func NewTopicConfig(name string) TopicConfig {
	return TopicConfig{Attributes: map[string]string{}, Perm: PermRead | PermWrite,
		ReadQueueNums: 16, WriteQueueNums: 16, TopicFilterType: "SINGLE_TAG", TopicName: name}
}

// MarshalJSON writes absent attributes as {}.
func (t TopicConfig) MarshalJSON() ([]byte, error) {
	type plain TopicConfig
	if t.Attributes == nil {
		t.Attributes = map[string]string{}
	}
	return json.Marshal(plain(t))
}

// TopicConfigSerializeWrapper is a broker's topic table with its version (topics.json, the
// topicConfigSerializeWrapper of RegisterBrokerBody, the body of GET_ALL_TOPIC_CONFIG).
type TopicConfigSerializeWrapper struct {
	DataVersion        DataVersion            `json:"dataVersion"`
	MappingDataVersion *DataVersion           `json:"mappingDataVersion,omitempty"`
	TopicConfigTable   map[string]TopicConfig `json:"topicConfigTable"`
	// TopicQueueMappingInfoMap (5.x static topics) is kept as raw JSON.
	TopicQueueMappingInfoMap json.RawMessage `json:"topicQueueMappingInfoMap,omitempty"`
	// TopicQueueMappingDetailMap (5.x, GET_ALL_TOPIC_CONFIG) is kept as raw JSON.
	TopicQueueMappingDetailMap json.RawMessage `json:"topicQueueMappingDetailMap,omitempty"`
}

// KVTable is a string map body (KVTable.java).
type KVTable struct {
	Table map[string]string `json:"table"`
}

// TopicList is a list of topic names (TopicList.java); BrokerAddr is set only by brokers.
type TopicList struct {
	BrokerAddr string   `json:"brokerAddr,omitempty"`
	TopicList  []string `json:"topicList"`
}

// MarshalJSON writes an empty list as [].
func (t TopicList) MarshalJSON() ([]byte, error) {
	type plain TopicList
	if t.TopicList == nil {
		t.TopicList = []string{}
	}
	return json.Marshal(plain(t))
}

// GroupList is a list of consumer group names (GroupList.java).
type GroupList struct {
	GroupList []string `json:"groupList"`
}

// MessageQueue identifies one queue (MessageQueue.java). Its JSON is alphabetical, as fastjson
// writes it.
type MessageQueue struct {
	BrokerName string `json:"brokerName"`
	QueueID    int32  `json:"queueId"`
	Topic      string `json:"topic"`
}

func (q MessageQueue) String() string {
	return q.Topic + "@" + q.BrokerName + "#" + strconv.Itoa(int(q.QueueID))
}

// Less orders queues by topic, broker name and queue id.
func (q MessageQueue) Less(o MessageQueue) bool {
	if q.Topic != o.Topic {
		return q.Topic < o.Topic
	}
	if q.BrokerName != o.BrokerName {
		return q.BrokerName < o.BrokerName
	}
	return q.QueueID < o.QueueID
}

// MessageQueueMap is a map keyed by MessageQueue. Java writes such maps with JSON-object keys;
// in standard JSON (MarshalJSON) each key is the queue's compact JSON as a string, which
// StandardJSON also produces from Java's text and FastJSON turns back into object keys.
type MessageQueueMap[V any] map[MessageQueue]V

// MarshalJSON writes the map with string keys, sorted by queue.
func (m MessageQueueMap[V]) MarshalJSON() ([]byte, error) {
	keys := make([]MessageQueue, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Less(keys[j]) })
	out := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		out = appendJSONString(out, string(kb))
		out = append(out, ':')
		vb, err := json.Marshal(m[k])
		if err != nil {
			return nil, err
		}
		out = append(out, vb...)
	}
	return append(out, '}'), nil
}

// UnmarshalJSON reads string keys holding a MessageQueue's JSON. GoC's
// "topic@broker#id"-less forms are not accepted.
func (m *MessageQueueMap[V]) UnmarshalJSON(b []byte) error {
	var raw map[string]V
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(MessageQueueMap[V], len(raw))
	for k, v := range raw {
		var q MessageQueue
		if err := json.Unmarshal([]byte(k), &q); err != nil {
			return fmt.Errorf("protocol: message queue key %q: %w", k, err)
		}
		out[q] = v
	}
	*m = out
	return nil
}

// OffsetWrapper is one queue's consume progress (OffsetWrapper.java).
type OffsetWrapper struct {
	BrokerOffset   int64 `json:"brokerOffset"`
	ConsumerOffset int64 `json:"consumerOffset"`
	LastTimestamp  int64 `json:"lastTimestamp"`
	PullOffset     int64 `json:"pullOffset"`
}

// ConsumeStats is the body of GET_CONSUME_STATS (ConsumeStats.java).
type ConsumeStats struct {
	ConsumeTps  float64                        `json:"consumeTps"`
	OffsetTable MessageQueueMap[OffsetWrapper] `json:"offsetTable"`
}

// TopicOffset is one queue's offsets (TopicOffset.java).
type TopicOffset struct {
	LastUpdateTimestamp int64 `json:"lastUpdateTimestamp"`
	MaxOffset           int64 `json:"maxOffset"`
	MinOffset           int64 `json:"minOffset"`
}

// TopicStatsTable is the body of GET_TOPIC_STATS_INFO (TopicStatsTable.java).
type TopicStatsTable struct {
	OffsetTable MessageQueueMap[TopicOffset] `json:"offsetTable"`
	TopicPutTps float64                      `json:"topicPutTps"`
}

// ResetOffsetBody is the body of RESET_CONSUMER_CLIENT_OFFSET and of the reset answer.
type ResetOffsetBody struct {
	OffsetTable MessageQueueMap[int64] `json:"offsetTable"`
}

// ConsumerOffsetSerializeWrapper is consumerOffset.json and the body of GET_ALL_CONSUMER_OFFSET:
// "topic@group" → queue id → next offset. Java writes the queue ids bare.
type ConsumerOffsetSerializeWrapper struct {
	DataVersion DataVersion                `json:"dataVersion"`
	OffsetTable map[string]map[int32]int64 `json:"offsetTable"`
}

// DelayOffsetSerializeWrapper is delayOffset.json and the body of GET_ALL_DELAY_OFFSET:
// delay level → next offset.
type DelayOffsetSerializeWrapper struct {
	DataVersion DataVersion     `json:"dataVersion"`
	OffsetTable map[int32]int64 `json:"offsetTable"`
}

// CodeSet holds tag hash codes. GoC sends them as JSON strings, Java as numbers; both decode.
// It encodes as numbers.
type CodeSet []int32

// UnmarshalJSON accepts an array of numbers or numeric strings.
func (c *CodeSet) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(CodeSet, 0, len(raw))
	for _, r := range raw {
		s := strings.Trim(string(r), `"`)
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return fmt.Errorf("protocol: codeSet element %s: %w", r, err)
		}
		out = append(out, int32(n))
	}
	*c = out
	return nil
}

// SubscriptionData is one topic subscription of a consumer (SubscriptionData.java).
type SubscriptionData struct {
	ClassFilterMode   bool     `json:"classFilterMode"`
	CodeSet           CodeSet  `json:"codeSet"`
	ExpressionType    string   `json:"expressionType"`
	FilterClassSource string   `json:"filterClassSource,omitempty"`
	SubString         string   `json:"subString"`
	SubVersion        int64    `json:"subVersion"`
	TagsSet           []string `json:"tagsSet"`
	Topic             string   `json:"topic"`
}

// ConsumerData is one consumer group of a heartbeat (ConsumerData.java).
type ConsumerData struct {
	ConsumeFromWhere    string             `json:"consumeFromWhere"`
	ConsumeType         string             `json:"consumeType"`
	GroupName           string             `json:"groupName"`
	MessageModel        string             `json:"messageModel"`
	SubscriptionDataSet []SubscriptionData `json:"subscriptionDataSet"`
	UnitMode            bool               `json:"unitMode"`
}

// ProducerData is one producer group of a heartbeat (ProducerData.java).
type ProducerData struct {
	GroupName string `json:"groupName"`
}

// HeartbeatData is the body of HEART_BEAT (HeartbeatData.java).
type HeartbeatData struct {
	ClientID             string         `json:"clientID"`
	ConsumerDataSet      []ConsumerData `json:"consumerDataSet"`
	HeartbeatFingerprint int64          `json:"heartbeatFingerprint,omitempty"`
	ProducerDataSet      []ProducerData `json:"producerDataSet"`
	WithoutSub           bool           `json:"withoutSub,omitempty"`
}

// GroupRetryPolicy is a subscription group's retry policy; Type is CUSTOMIZED or EXPONENTIAL.
type GroupRetryPolicy struct {
	CustomizedRetryPolicy  json.RawMessage `json:"customizedRetryPolicy,omitempty"`
	ExponentialRetryPolicy json.RawMessage `json:"exponentialRetryPolicy,omitempty"`
	Type                   string          `json:"type"`
}

// SimpleSubscriptionData is an entry of SubscriptionGroupConfig.subscriptionDataSet (5.x).
type SimpleSubscriptionData struct {
	Expression     string `json:"expression"`
	ExpressionType string `json:"expressionType"`
	Topic          string `json:"topic"`
	Version        int64  `json:"version"`
}

// SubscriptionGroupConfig is a consumer group's configuration (SubscriptionGroupConfig.java).
type SubscriptionGroupConfig struct {
	Attributes                     map[string]string        `json:"attributes"`
	BrokerID                       int64                    `json:"brokerId"`
	ConsumeBroadcastEnable         bool                     `json:"consumeBroadcastEnable"`
	ConsumeEnable                  bool                     `json:"consumeEnable"`
	ConsumeFromMinEnable           bool                     `json:"consumeFromMinEnable"`
	ConsumeMessageOrderly          bool                     `json:"consumeMessageOrderly"`
	ConsumeTimeoutMinute           int32                    `json:"consumeTimeoutMinute"`
	GroupName                      string                   `json:"groupName"`
	GroupRetryPolicy               GroupRetryPolicy         `json:"groupRetryPolicy"`
	GroupSysFlag                   int32                    `json:"groupSysFlag"`
	NotifyConsumerIdsChangedEnable bool                     `json:"notifyConsumerIdsChangedEnable"`
	RetryMaxTimes                  int32                    `json:"retryMaxTimes"`
	RetryQueueNums                 int32                    `json:"retryQueueNums"`
	SubscriptionDataSet            []SimpleSubscriptionData `json:"subscriptionDataSet,omitempty"`
	WhichBrokerWhenConsumeSlowly   int64                    `json:"whichBrokerWhenConsumeSlowly"`
}

// NewSubscriptionGroupConfig returns Java's defaults for group.
func NewSubscriptionGroupConfig(group string) SubscriptionGroupConfig {
	return SubscriptionGroupConfig{
		Attributes: map[string]string{}, ConsumeBroadcastEnable: true, ConsumeEnable: true,
		ConsumeFromMinEnable: true, ConsumeTimeoutMinute: 15, GroupName: group,
		GroupRetryPolicy: GroupRetryPolicy{Type: "CUSTOMIZED"}, NotifyConsumerIdsChangedEnable: true,
		RetryMaxTimes: 16, RetryQueueNums: 1, WhichBrokerWhenConsumeSlowly: 1,
	}
}

// SubscriptionGroupWrapper is subscriptionGroup.json and the body of
// GET_ALL_SUBSCRIPTIONGROUP_CONFIG.
type SubscriptionGroupWrapper struct {
	DataVersion            DataVersion                        `json:"dataVersion"`
	ForbiddenTable         map[string]map[string]int32        `json:"forbiddenTable"`
	SubscriptionGroupTable map[string]SubscriptionGroupConfig `json:"subscriptionGroupTable"`
}

// Connection is one client connection of a group (Connection.java).
type Connection struct {
	ClientAddr string `json:"clientAddr"`
	ClientID   string `json:"clientId"`
	Language   string `json:"language"`
	Version    int32  `json:"version"`
}

// ConsumerConnection is the body of GET_CONSUMER_CONNECTION_LIST.
type ConsumerConnection struct {
	ConnectionSet     []Connection                `json:"connectionSet"`
	ConsumeFromWhere  string                      `json:"consumeFromWhere"`
	ConsumeType       string                      `json:"consumeType"`
	MessageModel      string                      `json:"messageModel"`
	SubscriptionTable map[string]SubscriptionData `json:"subscriptionTable"`
}

// ProducerConnection is the body of GET_PRODUCER_CONNECTION_LIST.
type ProducerConnection struct {
	ConnectionSet []Connection `json:"connectionSet"`
}

// LockBatchRequestBody is the body of LOCK_BATCH_MQ and UNLOCK_BATCH_MQ.
type LockBatchRequestBody struct {
	ClientID       string         `json:"clientId"`
	ConsumerGroup  string         `json:"consumerGroup"`
	MQSet          []MessageQueue `json:"mqSet"`
	OnlyThisBroker bool           `json:"onlyThisBroker"`
}

// LockBatchResponseBody is the body of a LOCK_BATCH_MQ response: the queues now held.
type LockBatchResponseBody struct {
	LockOKMQSet []MessageQueue `json:"lockOKMQSet"`
}

// MarshalJSON writes an empty set as [].
func (l LockBatchResponseBody) MarshalJSON() ([]byte, error) {
	type plain LockBatchResponseBody
	if l.LockOKMQSet == nil {
		l.LockOKMQSet = []MessageQueue{}
	}
	return json.Marshal(plain(l))
}

// GetConsumerListByGroupResponseBody is the body of a GET_CONSUMER_LIST_BY_GROUP response.
type GetConsumerListByGroupResponseBody struct {
	ConsumerIDList []string `json:"consumerIdList"`
}

// QueueTimeSpan is one entry of QueryConsumeTimeSpanBody.
type QueueTimeSpan struct {
	ConsumeTimeStamp int64        `json:"consumeTimeStamp"`
	DelayTime        int64        `json:"delayTime"`
	MaxTimeStamp     int64        `json:"maxTimeStamp"`
	MessageQueue     MessageQueue `json:"messageQueue"`
	MinTimeStamp     int64        `json:"minTimeStamp"`
}

// QueryConsumeTimeSpanBody is the body of a QUERY_CONSUME_TIME_SPAN response.
type QueryConsumeTimeSpanBody struct {
	ConsumeTimeSpanSet []QueueTimeSpan `json:"consumeTimeSpanSet"`
}

// ConsumerRunningInfo is a client's answer to GET_CONSUMER_RUNNING_INFO, decoded loosely: the
// per-queue and per-topic details stay raw JSON (GoC and Java spell them differently).
type ConsumerRunningInfo struct {
	Jstack          string                           `json:"jstack,omitempty"`
	MQTable         MessageQueueMap[json.RawMessage] `json:"mqTable"`
	Properties      map[string]string                `json:"properties"`
	StatusTable     map[string]json.RawMessage       `json:"statusTable"`
	SubscriptionSet []SubscriptionData               `json:"subscriptionSet"`
}

// ConsumeMessageDirectlyResult is a client's answer to CONSUME_MESSAGE_DIRECTLY. ConsumeResult
// is an ordinal from GoC and an enum name from Java, so it stays raw.
type ConsumeMessageDirectlyResult struct {
	AutoCommit     bool            `json:"autoCommit"`
	ConsumeResult  json.RawMessage `json:"consumeResult"`
	Order          bool            `json:"order"`
	Remark         string          `json:"remark"`
	SpentTimeMills int64           `json:"spentTimeMills"`
}

func sortStrings(s []string) { sort.Strings(s) }
