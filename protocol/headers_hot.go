package protocol

// The headers on the hot path (send and pull) are encoded and decoded by hand: no reflection,
// one map write or read per field. Their struct tags document the keys and let the tests
// compare the hand-written code with the reflection codec.

var (
	_ Header = (*SendMessageRequestHeader)(nil)
	_ Header = (*SendMessageRequestHeaderV2)(nil)
	_ Header = (*SendMessageResponseHeader)(nil)
	_ Header = (*PullMessageRequestHeader)(nil)
	_ Header = (*PullMessageResponseHeader)(nil)
)

// SendMessageRequestHeader is the header of SEND_MESSAGE (10) and SEND_REPLY_MESSAGE (324) with
// Java's full names (SendMessageRequestHeader.java). Convert it to SendMessageRequestHeaderV2
// for the one-letter names of codes 310, 320 and 325.
type SendMessageRequestHeader struct {
	ProducerGroup         string `ext:"producerGroup,required"`
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
	MaxReconsumeTimes     int32  `ext:"maxReconsumeTimes"`
	Batch                 bool   `ext:"batch"`
	BrokerName            string `ext:"bname,omitempty"`
}

// send header keys: V1 name and V2 letter, in the order of the struct (§4.4).
const (
	sendKeyProducerGroup = iota
	sendKeyTopic
	sendKeyDefaultTopic
	sendKeyDefaultTopicQueueNums
	sendKeyQueueID
	sendKeySysFlag
	sendKeyBornTimestamp
	sendKeyFlag
	sendKeyProperties
	sendKeyReconsumeTimes
	sendKeyUnitMode
	sendKeyMaxReconsumeTimes
	sendKeyBatch
	sendKeyBrokerName
	sendKeyCount
)

var sendKeysV1 = [sendKeyCount]string{"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums",
	"queueId", "sysFlag", "bornTimestamp", "flag", "properties", "reconsumeTimes", "unitMode",
	"maxReconsumeTimes", "batch", "bname"}

var sendKeysV2 = [sendKeyCount]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n"}

func (h *SendMessageRequestHeader) encode(ext map[string]string, k *[sendKeyCount]string) {
	ext[k[sendKeyProducerGroup]] = h.ProducerGroup
	ext[k[sendKeyTopic]] = h.Topic
	ext[k[sendKeyDefaultTopic]] = h.DefaultTopic
	ext[k[sendKeyDefaultTopicQueueNums]] = i32(h.DefaultTopicQueueNums)
	ext[k[sendKeyQueueID]] = i32(h.QueueID)
	ext[k[sendKeySysFlag]] = i32(h.SysFlag)
	ext[k[sendKeyBornTimestamp]] = i64(h.BornTimestamp)
	ext[k[sendKeyFlag]] = i32(h.Flag)
	ext[k[sendKeyProperties]] = h.Properties
	ext[k[sendKeyReconsumeTimes]] = i32(h.ReconsumeTimes)
	ext[k[sendKeyUnitMode]] = boolString(h.UnitMode)
	ext[k[sendKeyMaxReconsumeTimes]] = i32(h.MaxReconsumeTimes)
	ext[k[sendKeyBatch]] = boolString(h.Batch)
	if h.BrokerName != "" {
		ext[k[sendKeyBrokerName]] = h.BrokerName
	}
}

func (h *SendMessageRequestHeader) decode(ext map[string]string, k *[sendKeyCount]string) error {
	return h.decodeFrom(func(key string) string { return ext[key] }, k)
}

// decodeFrom decodes the header from get, which returns a key's value or "" when absent.
func (h *SendMessageRequestHeader) decodeFrom(get func(key string) string, k *[sendKeyCount]string) error {
	var vals [sendKeyCount]string
	for i := range vals {
		vals[i] = get(k[i])
	}
	return h.decodeVals(&vals, k)
}

// decodeVals decodes the header from its fields' values ("" when absent), in the order of
// the sendKey constants; k names them in errors.
func (h *SendMessageRequestHeader) decodeVals(vals *[sendKeyCount]string, k *[sendKeyCount]string) error {
	*h = SendMessageRequestHeader{
		ProducerGroup: vals[sendKeyProducerGroup],
		Topic:         vals[sendKeyTopic],
		DefaultTopic:  vals[sendKeyDefaultTopic],
		Properties:    vals[sendKeyProperties],
		UnitMode:      parseBool(vals[sendKeyUnitMode]),
		Batch:         parseBool(vals[sendKeyBatch]),
		BrokerName:    vals[sendKeyBrokerName],
	}
	if h.ProducerGroup == "" {
		return &MissingFieldError{Field: k[sendKeyProducerGroup]}
	}
	if h.Topic == "" {
		return &MissingFieldError{Field: k[sendKeyTopic]}
	}
	for _, f := range [...]struct {
		key int
		dst *int32
	}{
		{sendKeyDefaultTopicQueueNums, &h.DefaultTopicQueueNums},
		{sendKeyQueueID, &h.QueueID},
		{sendKeySysFlag, &h.SysFlag},
		{sendKeyFlag, &h.Flag},
		{sendKeyReconsumeTimes, &h.ReconsumeTimes},
		{sendKeyMaxReconsumeTimes, &h.MaxReconsumeTimes},
	} {
		if err := parseInt32(k[f.key], vals[f.key], f.dst); err != nil {
			return err
		}
	}
	return parseInt64(k[sendKeyBornTimestamp], vals[sendKeyBornTimestamp], &h.BornTimestamp)
}

// sendKeyV1 returns the sendKey constant of a V1 (full) name, or -1.
func sendKeyV1(key string) int {
	switch key {
	case "producerGroup":
		return sendKeyProducerGroup
	case "topic":
		return sendKeyTopic
	case "defaultTopic":
		return sendKeyDefaultTopic
	case "defaultTopicQueueNums":
		return sendKeyDefaultTopicQueueNums
	case "queueId":
		return sendKeyQueueID
	case "sysFlag":
		return sendKeySysFlag
	case "bornTimestamp":
		return sendKeyBornTimestamp
	case "flag":
		return sendKeyFlag
	case "properties":
		return sendKeyProperties
	case "reconsumeTimes":
		return sendKeyReconsumeTimes
	case "unitMode":
		return sendKeyUnitMode
	case "maxReconsumeTimes":
		return sendKeyMaxReconsumeTimes
	case "batch":
		return sendKeyBatch
	case "bname":
		return sendKeyBrokerName
	}
	return -1
}

// sendKeyV2 returns the sendKey constant of a V2 letter, or -1.
func sendKeyV2(key string) int {
	if len(key) == 1 && key[0] >= 'a' && key[0] < 'a'+sendKeyCount {
		return int(key[0] - 'a')
	}
	return -1
}

// Encode writes the header with the V1 (full) names.
func (h *SendMessageRequestHeader) Encode(ext map[string]string) { h.encode(ext, &sendKeysV1) }

// Decode reads the header from the V1 (full) names; producerGroup and topic are required.
func (h *SendMessageRequestHeader) Decode(ext map[string]string) error {
	return h.decode(ext, &sendKeysV1)
}

// SendMessageRequestHeaderV2 is SendMessageRequestHeader written with the one-letter names of
// SendMessageRequestHeaderV2.java (a..n), used by SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320)
// and SEND_REPLY_MESSAGE_V2 (325).
type SendMessageRequestHeaderV2 SendMessageRequestHeader

// Encode writes the header with the V2 letters.
func (h *SendMessageRequestHeaderV2) Encode(ext map[string]string) {
	(*SendMessageRequestHeader)(h).encode(ext, &sendKeysV2)
}

// Decode reads the header from the V2 letters; a (producerGroup) and b (topic) are required.
func (h *SendMessageRequestHeaderV2) Decode(ext map[string]string) error {
	return (*SendMessageRequestHeader)(h).decode(ext, &sendKeysV2)
}

// DecodeSendMessageRequestHeader decodes the header of a send request the way Java's
// SendMessageRequestHeader.parseRequestHeader does: V2 letters for codes 310, 320 and 325,
// full names otherwise.
func DecodeSendMessageRequestHeader(code RequestCode, ext map[string]string) (SendMessageRequestHeader, error) {
	var h SendMessageRequestHeader
	switch code {
	case SendMessageV2, SendBatchMessage, SendReplyMessageV2:
		return h, h.decode(ext, &sendKeysV2)
	}
	return h, h.decode(ext, &sendKeysV1)
}

// SendHeaderDecoder decodes the header of a send request from its extFields fed one at a time
// (Set), the last of repeated keys winning: one pass over the fields of a request decoded
// without its ExtFields map (remoting.Command.ExtAll), with nothing allocated. It reads the
// names DecodeSendMessageRequestHeader reads for the code.
type SendHeaderDecoder struct {
	vals [sendKeyCount]string
	v2   bool
}

// NewSendHeaderDecoder returns a decoder for a send request with this code.
func NewSendHeaderDecoder(code RequestCode) SendHeaderDecoder {
	switch code {
	case SendMessageV2, SendBatchMessage, SendReplyMessageV2:
		return SendHeaderDecoder{v2: true}
	}
	return SendHeaderDecoder{}
}

// Set records one extFields entry; keys of no header field are ignored.
func (d *SendHeaderDecoder) Set(key, value string) {
	i := -1
	if d.v2 {
		i = sendKeyV2(key)
	} else {
		i = sendKeyV1(key)
	}
	if i >= 0 {
		d.vals[i] = value
	}
}

// Header returns the decoded header; producerGroup and topic are required.
func (d *SendHeaderDecoder) Header() (SendMessageRequestHeader, error) {
	var h SendMessageRequestHeader
	k := &sendKeysV1
	if d.v2 {
		k = &sendKeysV2
	}
	return h, h.decodeVals(&d.vals, k)
}

// SendMessageResponseHeader is the header of a send response (SendMessageResponseHeader.java
// plus the MSG_REGION and TRACE_ON extras GoC reads).
type SendMessageResponseHeader struct {
	MsgID         string `ext:"msgId"`
	QueueID       int32  `ext:"queueId"`
	QueueOffset   int64  `ext:"queueOffset"`
	TransactionID string `ext:"transactionId,omitempty"`
	BatchUniqID   string `ext:"batchUniqId,omitempty"`
	MsgRegion     string `ext:"MSG_REGION,omitempty"`
	// TraceOn is "true" or "false"; GoC traces only when it is present and not "false".
	TraceOn string `ext:"TRACE_ON,omitempty"`
}

// Encode writes the header.
func (h *SendMessageResponseHeader) Encode(ext map[string]string) {
	h.EncodeTo(func(k, v string) { ext[k] = v })
}

// EncodeTo calls set for every field Encode writes, in sorted key order.
func (h *SendMessageResponseHeader) EncodeTo(set func(key, value string)) {
	if h.MsgRegion != "" {
		set("MSG_REGION", h.MsgRegion)
	}
	if h.TraceOn != "" {
		set("TRACE_ON", h.TraceOn)
	}
	if h.BatchUniqID != "" {
		set("batchUniqId", h.BatchUniqID)
	}
	set("msgId", h.MsgID)
	set("queueId", i32(h.QueueID))
	set("queueOffset", i64(h.QueueOffset))
	if h.TransactionID != "" {
		set("transactionId", h.TransactionID)
	}
}

// Decode reads the header.
func (h *SendMessageResponseHeader) Decode(ext map[string]string) error {
	*h = SendMessageResponseHeader{
		MsgID:         ext["msgId"],
		TransactionID: ext["transactionId"],
		BatchUniqID:   ext["batchUniqId"],
		MsgRegion:     ext["MSG_REGION"],
		TraceOn:       ext["TRACE_ON"],
	}
	if err := getInt32(ext, "queueId", &h.QueueID); err != nil {
		return err
	}
	return getInt64(ext, "queueOffset", &h.QueueOffset)
}

// PullMessageRequestHeader is the header of PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361)
// (PullMessageRequestHeader.java).
type PullMessageRequestHeader struct {
	ConsumerGroup        string `ext:"consumerGroup,required"`
	Topic                string `ext:"topic,required"`
	QueueID              int32  `ext:"queueId"`
	QueueOffset          int64  `ext:"queueOffset"`
	MaxMsgNums           int32  `ext:"maxMsgNums"`
	SysFlag              int32  `ext:"sysFlag"`
	CommitOffset         int64  `ext:"commitOffset"`
	SuspendTimeoutMillis int64  `ext:"suspendTimeoutMillis"`
	Subscription         string `ext:"subscription"`
	SubVersion           int64  `ext:"subVersion"`
	ExpressionType       string `ext:"expressionType"`
	MaxMsgBytes          int32  `ext:"maxMsgBytes,omitempty"`
	BrokerName           string `ext:"bname,omitempty"`
}

// Encode writes the header.
func (h *PullMessageRequestHeader) Encode(ext map[string]string) {
	ext["consumerGroup"] = h.ConsumerGroup
	ext["topic"] = h.Topic
	ext["queueId"] = i32(h.QueueID)
	ext["queueOffset"] = i64(h.QueueOffset)
	ext["maxMsgNums"] = i32(h.MaxMsgNums)
	ext["sysFlag"] = i32(h.SysFlag)
	ext["commitOffset"] = i64(h.CommitOffset)
	ext["suspendTimeoutMillis"] = i64(h.SuspendTimeoutMillis)
	ext["subscription"] = h.Subscription
	ext["subVersion"] = i64(h.SubVersion)
	ext["expressionType"] = h.ExpressionType
	if h.MaxMsgBytes != 0 {
		ext["maxMsgBytes"] = i32(h.MaxMsgBytes)
	}
	if h.BrokerName != "" {
		ext["bname"] = h.BrokerName
	}
}

// Decode reads the header; consumerGroup and topic are required.
func (h *PullMessageRequestHeader) Decode(ext map[string]string) error {
	*h = PullMessageRequestHeader{
		ConsumerGroup:  ext["consumerGroup"],
		Topic:          ext["topic"],
		Subscription:   ext["subscription"],
		ExpressionType: ext["expressionType"],
		BrokerName:     ext["bname"],
	}
	if h.ConsumerGroup == "" {
		return &MissingFieldError{Field: "consumerGroup"}
	}
	if h.Topic == "" {
		return &MissingFieldError{Field: "topic"}
	}
	for _, f := range [...]struct {
		key string
		dst *int32
	}{{"queueId", &h.QueueID}, {"maxMsgNums", &h.MaxMsgNums}, {"sysFlag", &h.SysFlag}, {"maxMsgBytes", &h.MaxMsgBytes}} {
		if err := getInt32(ext, f.key, f.dst); err != nil {
			return err
		}
	}
	for _, f := range [...]struct {
		key string
		dst *int64
	}{{"queueOffset", &h.QueueOffset}, {"commitOffset", &h.CommitOffset},
		{"suspendTimeoutMillis", &h.SuspendTimeoutMillis}, {"subVersion", &h.SubVersion}} {
		if err := getInt64(ext, f.key, f.dst); err != nil {
			return err
		}
	}
	return nil
}

// PullMessageResponseHeader is the header of every pull response, whatever its code: GoC
// takes its next offset from nextBeginOffset, so all four fields are always written.
type PullMessageResponseHeader struct {
	SuggestWhichBrokerID int64 `ext:"suggestWhichBrokerId"`
	NextBeginOffset      int64 `ext:"nextBeginOffset"`
	MinOffset            int64 `ext:"minOffset"`
	MaxOffset            int64 `ext:"maxOffset"`
	TopicSysFlag         int32 `ext:"topicSysFlag,omitempty"`
	GroupSysFlag         int32 `ext:"groupSysFlag,omitempty"`
}

// Encode writes the header.
func (h *PullMessageResponseHeader) Encode(ext map[string]string) {
	ext["suggestWhichBrokerId"] = i64(h.SuggestWhichBrokerID)
	ext["nextBeginOffset"] = i64(h.NextBeginOffset)
	ext["minOffset"] = i64(h.MinOffset)
	ext["maxOffset"] = i64(h.MaxOffset)
	if h.TopicSysFlag != 0 {
		ext["topicSysFlag"] = i32(h.TopicSysFlag)
	}
	if h.GroupSysFlag != 0 {
		ext["groupSysFlag"] = i32(h.GroupSysFlag)
	}
}

// Decode reads the header.
func (h *PullMessageResponseHeader) Decode(ext map[string]string) error {
	*h = PullMessageResponseHeader{}
	for _, f := range [...]struct {
		key string
		dst *int64
	}{{"suggestWhichBrokerId", &h.SuggestWhichBrokerID}, {"nextBeginOffset", &h.NextBeginOffset},
		{"minOffset", &h.MinOffset}, {"maxOffset", &h.MaxOffset}} {
		if err := getInt64(ext, f.key, f.dst); err != nil {
			return err
		}
	}
	if err := getInt32(ext, "topicSysFlag", &h.TopicSysFlag); err != nil {
		return err
	}
	return getInt32(ext, "groupSysFlag", &h.GroupSysFlag)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
