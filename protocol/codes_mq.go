package protocol

// mq's own admin request codes. Apache RocketMQ's RequestCode.java uses 10..3010 in the
// int16 range (5.x pop codes start at 200050 and do not fit the wire field), so 30001..30010
// cannot collide; an Apache broker answers them REQUEST_CODE_NOT_SUPPORTED (3), which admin
// tools take as "fall back to what Apache offers" (GET_BROKER_RUNTIME_INFO's
// scheduleMessageOffset_N, queue stats of the half and op topics).
const (
	// MQGetDelayStatus (30001): no header; body DelayStatusBody.
	MQGetDelayStatus RequestCode = 30001
	// MQGetTimerStatus (30002): no header; body TimerStatusBody.
	MQGetTimerStatus RequestCode = 30002
	// MQGetTransactionStatus (30003): header MQGetTransactionStatusRequestHeader; body
	// TransactionStatusBody.
	MQGetTransactionStatus RequestCode = 30003
)

// mqRequestCodeNames names mq's own codes for RequestCode.String.
var mqRequestCodeNames = map[RequestCode]string{
	MQGetDelayStatus:       "MQ_GET_DELAY_STATUS",
	MQGetTimerStatus:       "MQ_GET_TIMER_STATUS",
	MQGetTransactionStatus: "MQ_GET_TRANSACTION_STATUS",
}

// DelayLevelStatus is one delay level of SCHEDULE_TOPIC_XXXX (queue Level-1).
type DelayLevelStatus struct {
	Level           int32 `json:"level"`
	DelayMillis     int64 `json:"delayMillis"`
	DeliveredOffset int64 `json:"deliveredOffset"`
	MaxOffset       int64 `json:"maxOffset"`
	// Pending is MaxOffset - DeliveredOffset.
	Pending int64 `json:"pending"`
	// NextDueTimestamp is when the next message of the level is due (ms), 0 when none waits.
	NextDueTimestamp int64 `json:"nextDueTimestamp"`
}

// DelayStatusBody answers MQGetDelayStatus.
type DelayStatusBody struct {
	Levels []DelayLevelStatus `json:"levels"`
}

// TimerBucket counts pending timer messages due within UptoMillis from now (after the
// previous bucket); UptoMillis 0 marks the last bucket (everything later).
type TimerBucket struct {
	UptoMillis int64 `json:"uptoMillis"`
	Count      int64 `json:"count"`
}

// TimerStatusBody answers MQGetTimerStatus.
type TimerStatusBody struct {
	Enabled         bool  `json:"enabled"`
	PrecisionMillis int64 `json:"precisionMillis"`
	MaxDelaySec     int64 `json:"maxDelaySec"`
	// Pending messages are in the wheel; Backlog ones are stored but not in the wheel yet.
	Pending int64 `json:"pending"`
	Backlog int64 `json:"backlog"`
	// ReadTimestamp is the time of the first slot not delivered yet (ms).
	ReadTimestamp    int64         `json:"readTimestamp"`
	EnqueueOffset    int64         `json:"enqueueOffset"`
	Enqueued         int64         `json:"enqueued"`
	Delivered        int64         `json:"delivered"`
	NextDueTimestamp int64         `json:"nextDueTimestamp"`
	Buckets          []TimerBucket `json:"buckets"`
}

// MQGetTransactionStatusRequestHeader is the header of MQGetTransactionStatus: Limit is how
// many pending half messages to list (0 lists none).
type MQGetTransactionStatusRequestHeader struct {
	Limit int32 `ext:"limit"`
}

// HalfMessage is one pending transaction (its newest half message).
type HalfMessage struct {
	QueueOffset     int64  `json:"queueOffset"`
	OriginalOffset  int64  `json:"originalOffset"`
	CommitLogOffset int64  `json:"commitLogOffset"`
	Topic           string `json:"topic"`
	QueueID         int32  `json:"queueId"`
	ProducerGroup   string `json:"producerGroup"`
	MsgID           string `json:"msgId"`
	CheckTimes      int32  `json:"checkTimes"`
	BornTimestamp   int64  `json:"bornTimestamp"`
	StoreTimestamp  int64  `json:"storeTimestamp"`
}

// HalfQueueStatus is the state of one RMQ_SYS_TRANS_HALF_TOPIC queue.
type HalfQueueStatus struct {
	QueueID     int32 `json:"queueId"`
	HalfOffset  int64 `json:"halfOffset"`
	MaxOffset   int64 `json:"maxOffset"`
	OpOffset    int64 `json:"opOffset"`
	OpMaxOffset int64 `json:"opMaxOffset"`
	Pending     int64 `json:"pending"`
	// OldestAgeMillis is the age of the oldest pending transaction (0 when none).
	OldestAgeMillis int64 `json:"oldestAgeMillis"`
	// CheckTimes counts pending transactions by how often they were checked ("0", "1", …).
	CheckTimes map[string]int64 `json:"checkTimes"`
	ChecksSent int64            `json:"checksSent"`
}

// TransactionStatusBody answers MQGetTransactionStatus.
type TransactionStatusBody struct {
	Queues   []HalfQueueStatus `json:"queues"`
	Messages []HalfMessage     `json:"messages"`
}
