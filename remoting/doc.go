// Package remoting speaks Apache RocketMQ's classic remoting protocol: the frame codec with
// both header serialisations, a TCP Server that dispatches requests by code to handlers on
// bounded worker pools, and a Client that matches responses to requests by opaque. It knows
// nothing about topics or brokers and imports only the standard library.
//
// # Frame
//
// Every integer is big-endian.
//
//	+--------------+--------------------+----------------------+-------------------+
//	| length int32 | headerLenWord int32| header               | body              |
//	|  4 bytes     |  4 bytes           | headerLen bytes      | length-4-headerLen|
//	+--------------+--------------------+----------------------+-------------------+
//	length        = 4 + headerLen + bodyLen   (the length word does not count itself)
//	headerLenWord = serializeType<<24 | headerLen  (24 bits: at most 16 MiB-1)
//	serializeType = 0 JSON | 1 ROCKETMQ
//
// A reader rejects a length that is negative, below 4 or above the maximum frame size
// (16 MiB by default, as Java's NettyDecoder), a header length beyond the frame, and any
// other serialize type. No length read off the wire is allocated before it is checked;
// bodies over 1 MiB grow as their bytes arrive.
//
// # JSON header (serialize type 0)
//
// We write the Go client's key order, compact, extFields always present and its keys
// sorted (so frames are deterministic):
//
//	{"code":38,"language":"GO","version":479,"opaque":4,"flag":0,"remark":"",
//	 "extFields":{"consumerGroup":"capConsumerGroup"}}
//
// We read any key order (Java writes them alphabetically and adds
// "serializeTypeCurrentRPC":"JSON"), missing or null remark and extFields, and ignore
// unknown keys. code and version must fit int16, opaque and flag int32; every extFields
// value must be a JSON string (null values are dropped), otherwise the frame is rejected.
//
// # ROCKETMQ header (serialize type 1, RocketMQSerializable.java)
//
//	 0      2    3       5            9           13             17
//	+------+----+-------+------------+-----------+--------------+--------------+
//	| code |lang|version| opaque     | flag      | remarkLen    | remark ...   |
//	|int16 |byte| int16 | int32      | int32     | int32        | remarkLen B  |
//	+------+----+-------+------------+-----------+--------------+--------------+
//	| extLen int32 | extFields: extLen bytes of repeated entries               |
//	+--------------+-----------------------------------------------------------+
//	entry: | keyLen int16 | key | valLen int32 | value |
//
// Each length is checked against the bytes left before it is used, and the entries must
// fill extLen exactly.
//
// # Flags and opaque
//
// Bit 0 of flag marks a response, bit 1 a oneway request (no response is sent). A response
// carries its request's opaque; each Server and Client numbers its requests from its own
// counter. Responses are sent in the serialisation of their request.
//
// # Connections
//
// Each connection has one read loop and one write loop. The read loop decodes frames,
// completes pending calls with responses and hands requests to the worker pool of their
// code (Server.Handle, WithPool); a full pool is answered with SYSTEM_BUSY, an unknown code
// with REQUEST_CODE_NOT_SUPPORTED, and malformed input closes that connection with one
// warning. Senders encode frames into the connection's outbound buffer; the write loop takes
// the whole buffer and writes it at once (large bodies and SetBodyParts parts by reference,
// with writev). On plain TCP the read loop's reads and a response written by its replying
// goroutine (an empty queue, no burst being read) are raw read(2)/write(2) calls on the
// non-blocking socket (RawIO), so an idle process's first call does not wake the runtime's
// monitor thread. A Server bounds what clients can make it hold:
//
//   - outbound, per connection (ConnOutboundBytes) and shared (OutboundBytes, the heap: body
//     parts, mapped memory, count only per connection). A response that does not fit its
//     connection is parked, not encoded, so that no worker waits for a slow peer; a peer
//     with as much again parked is disconnected. When the shared budget is over its limit,
//     connections whose write has been blocked for a second are closed, largest first.
//     Requests a Server or Client sends wait for room instead (up to 10 s, then the peer is
//     disconnected as slow).
//   - inbound (InboundBytes): a frame of 16 KiB or more reserves its length before its body
//     is read and must then arrive at 1 MiB/s. While one waits for room, connections whose
//     reserved frame received nothing for a second are closed; one that cannot reserve
//     within 10 s closes its connection.
//   - MaxConnections: connections over it are closed at accept. Below the reservation size a
//     connection holds at most its 16 KiB read buffer and one 16 KiB frame.
//
// A route registered with RawExt (the broker's SEND_MESSAGE and SEND_MESSAGE_V2) gets its
// requests' extFields as pairs read with Command.Ext and LookupExt instead of the ExtFields
// map, which Command.LoadExt builds on demand; responses, other codes, a header that names
// its code or flag after extFields, and frames of more than 32 fields take the map. A
// response's extFields may likewise be set as pairs (SetExtPairs); both encoders write them
// exactly as the map.
//
// Both sides can send
// requests on a connection: the broker asks clients for their running info or tells them
// that a group's consumers changed (Conn.InvokeSync, Conn.InvokeOneway), and the Client
// serves such requests with the handlers given to Client.Handle.
package remoting
