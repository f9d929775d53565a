package message

import (
	"errors"
	"net/netip"
)

// Sentinel errors returned by the decoders and encoders of this package.
var (
	// ErrShort is returned when a buffer ends before the record or field it should hold.
	ErrShort = errors.New("message: short buffer")
	// ErrBadMagic is returned when a stored record's magic code is not a message magic.
	ErrBadMagic = errors.New("message: bad magic code")
	// ErrBadLength is returned when a length field is negative, inconsistent or over a limit.
	ErrBadLength = errors.New("message: bad length")
	// ErrBodyCRC is returned by DecodeStored when the body does not match its stored CRC.
	ErrBodyCRC = errors.New("message: body crc mismatch")
	// ErrTopicTooLong is returned when a topic does not fit the V1 one-byte topic length.
	ErrTopicTooLong = errors.New("message: topic too long")
	// ErrPropertiesTooLong is returned when the properties string exceeds 32767 bytes.
	ErrPropertiesTooLong = errors.New("message: properties too long")
	// ErrBadMsgID is returned when a message id is not valid hex of a known length.
	ErrBadMsgID = errors.New("message: bad message id")
	// ErrNoDestination is returned by RealDestination when REAL_TOPIC or REAL_QID is missing
	// or REAL_QID is not a queue id.
	ErrNoDestination = errors.New("message: no valid REAL_TOPIC/REAL_QID")
)

// Limits of the stored and batch encodings.
const (
	// MaxTopicLen is the longest topic the V1 record (1-byte topic length) can hold.
	MaxTopicLen = 127
	// MaxPropertiesLen is the longest properties string (the stored length is an int16).
	MaxPropertiesLen = 32767
)

// Message is what a producer sends: a topic, a user flag, properties and a body.
type Message struct {
	Topic      string
	Flag       int32
	Properties map[string]string
	Body       []byte
}

// Property returns the value of property key, or "".
func (m *Message) Property(key string) string { return m.Properties[key] }

// SetProperty sets a property, creating the map when needed.
func (m *Message) SetProperty(key, value string) {
	if m.Properties == nil {
		m.Properties = make(map[string]string)
	}
	m.Properties[key] = value
}

// Tags returns the TAGS property.
func (m *Message) Tags() string { return m.Properties[PropertyTags] }

// Keys returns the KEYS property.
func (m *Message) Keys() string { return m.Properties[PropertyKeys] }

// MessageExt is a Message with the fields of a stored record (reference §4.6).
type MessageExt struct {
	Message
	QueueID                   int32
	QueueOffset               int64
	CommitLogOffset           int64
	SysFlag                   int32
	BornTimestamp             int64 // ms
	BornHost                  netip.AddrPort
	StoreTimestamp            int64 // ms
	StoreHost                 netip.AddrPort
	ReconsumeTimes            int32
	PreparedTransactionOffset int64
	BodyCRC                   int32
	StoreSize                 int32
	// EncodedProperties, when not nil, is the properties string the store writes for this
	// message instead of encoding Properties (the broker's send path builds it without a map
	// and leaves Properties nil). Nothing sets it when decoding.
	EncodedProperties []byte
}

// OffsetMsgID returns the offset message id of the record (store host and CommitLog offset).
func (m *MessageExt) OffsetMsgID() string { return OffsetMsgID(m.StoreHost, m.CommitLogOffset) }

// MsgID returns UNIQ_KEY when present, else the offset message id (what clients show as MsgId).
func (m *MessageExt) MsgID() string {
	if id := m.Properties[PropertyUniqClientMessageIDKeyIndex]; id != "" {
		return id
	}
	return m.OffsetMsgID()
}
