// Package protocol holds the data of Apache RocketMQ's remoting protocol that sits above the
// frame: request and response codes, typed headers carried in extFields, and JSON bodies. It is
// pure data and imports only the standard library; remoting moves the frames, namesrv and broker
// give them meaning.
//
// # Codes
//
// RequestCode and ResponseCode are int16 named types whose String method gives Java's name
// (SEND_MESSAGE, TOPIC_NOT_EXIST). 5.x pop codes (200050+) do not fit the wire's int16 and are
// absent.
//
// # Headers
//
// A header is a flat map of strings in the frame's extFields:
//
//	"extFields":{"topic":"TopicTest","queueId":"1","unitMode":"false"}
//	             key = Java field name   value = always a string
//	             ints decimal ("-1"), bools "true"/"false", enums by name
//
// Cold headers are structs with `ext:"key[,required][,omitempty][,default=N]"` tags, encoded
// and decoded by EncodeHeader and DecodeHeader through a per-type cached reflection walk. Hot
// headers (send V1/V2, pull, and their responses) implement Header by hand. Decoding is lenient
// like Java's: missing numbers are 0 (or the default), unknown keys are ignored, pointer fields
// stay nil when absent; a number that does not parse is a *FieldError and a missing required
// field a *MissingFieldError (servers answer SYSTEM_ERROR). Only fields that GoC always sends
// are marked required.
//
// SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and SEND_REPLY_MESSAGE_V2 (325) use one-letter
// names:
//
//	a producerGroup  b topic   c defaultTopic   d defaultTopicQueueNums  e queueId
//	f sysFlag        g bornTimestamp            h flag   i properties   j reconsumeTimes
//	k unitMode       l maxReconsumeTimes        m batch  n bname
//
// # Bodies
//
// Bodies are JSON with Java's property names in alphabetical order (fastjson sorts them); our
// structs declare fields in that order so encoding/json writes the same text. Java writes
// non-string map keys the fastjson way, which is not standard JSON:
//
//	{"brokerAddrs":{0:"10.0.0.10:10911"}}                     bare numeric key
//	{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:25}}   object key
//
// StandardJSON rewrites both into standard JSON (numeric keys quoted, object keys replaced by
// their compact text as a string); DecodeBody applies it when the input is not valid JSON.
// MessageQueueMap reads and writes the string form; EncodeFastJSON turns it back into object
// keys for Java and GoC readers. BrokerAddrs always encodes compact and present ({} when empty)
// and TopicRouteData always carries brokerDatas and queueDatas, because GoC slices the
// brokerAddrs text by hand and fails without them.
//
// # Compressed REGISTER_BROKER body
//
// With the header compressed=true the body is a zlib stream (Java DeflaterOutputStream) of:
//
//	+--------+------------------+--------+---------------------------------------+
//	| int32  | DataVersion JSON | int32  | per topic: int32 len + "name r w perm |
//	| len    |                  | topics |   filterType {attributes}"            |
//	+--------+------------------+--------+---------------------------------------+
//	| int32 len + filterServerList JSON | int32 mappings | per mapping: int32 len + JSON |
//	+-----------------------------------+----------------+-------------------------------+
//
// (the mapping part only from brokers >= 5.0). All integers are big-endian.
package protocol
