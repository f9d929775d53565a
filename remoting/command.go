package remoting

import (
	"bytes"
	"iter"
	"slices"
	"strconv"
	"strings"
)

// SerializeType is the header serialisation named in the high byte of the header-length word.
type SerializeType byte

const (
	// JSON is serialize type 0: the header is a JSON object. The Go client always sends it.
	JSON SerializeType = 0
	// RocketMQ is serialize type 1: the compact binary header of RocketMQSerializable.java.
	RocketMQ SerializeType = 1
)

func (t SerializeType) String() string {
	switch t {
	case JSON:
		return "JSON"
	case RocketMQ:
		return "ROCKETMQ"
	}
	return "SerializeType(" + strconv.Itoa(int(t)) + ")"
}

// LanguageCode is the sender's language (LanguageCode.java). JSON headers carry its name,
// ROCKETMQ headers its byte value.
type LanguageCode byte

// Language codes, in the order of LanguageCode.java.
const (
	Java LanguageCode = iota
	CPP
	DotNet
	Python
	Delphi
	Erlang
	Ruby
	Other
	HTTP
	Go
	PHP
	OMS
	Rust
	NodeJS
)

var languageNames = [...]string{"JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
	"OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS"}

func (l LanguageCode) String() string {
	if int(l) < len(languageNames) {
		return languageNames[l]
	}
	return "OTHER"
}

// ParseLanguage maps a JSON language name to its code; unknown names map to Other.
func ParseLanguage(s string) LanguageCode {
	for i, n := range languageNames {
		if n == s {
			return LanguageCode(i)
		}
	}
	return Other
}

// Flag bits of a command (RemotingCommand.java RPC_TYPE and RPC_ONEWAY).
const (
	FlagResponse int32 = 1 << 0
	FlagOneway   int32 = 1 << 1
)

// Version is the MQVersion ordinal we put in the commands we send: V5_3_3, so Apache
// nameservers answer with standard JSON (they do for versions >= 401).
const Version int16 = 479

// Command is one remoting frame: a request or a response. Code is a request code in a
// request and a response code in a response; remoting does not interpret either.
type Command struct {
	Code      int16
	Language  LanguageCode
	Version   int16
	Opaque    int32
	Flag      int32
	Remark    string
	ExtFields map[string]string
	Body      []byte

	// Serialize is the header serialisation the frame arrived in, or will be written in.
	Serialize SerializeType

	// lent is set while Body is lent by the connection's reader, lentPairs while pairs
	// are: they are valid only until the read loop reads the next frame (see Inline, own).
	lent, lentPairs bool

	// pairs, when set, hold the extFields of a request decoded for a RawExt route, and
	// ExtFields is nil until LoadExt builds it from them.
	pairs []ExtPair
	// pairsJSON, when set, is pairs as the members of a JSON object, written as they are
	// in a JSON header (SetExtPairsJSON).
	pairsJSON string

	// parts, when set, follow Body on the wire and are written without being copied;
	// written is called once they are no longer needed (see SetBodyParts).
	parts   [][]byte
	written func()
	// frame, when set, is the whole frame of this request, written as is but for Opaque
	// (Client.InvokeAsyncFrame).
	frame *RequestFrame
}

// own gives c copies of a lent body and pairs, so that they outlive the next frame.
func (c *Command) own() {
	if c.lent {
		c.Body, c.lent = bytes.Clone(c.Body), false
	}
	if c.lentPairs {
		c.pairs, c.lentPairs = slices.Clone(c.pairs), false
	}
}

// SetBodyParts makes parts the body of c (after Body, usually empty): a Conn writes them
// straight from the caller's memory, without a copy (records sliced from a mapped file).
// done is called exactly once, when the frame has been written or dropped (the connection
// closed, the send failed): until then parts must stay valid. Only responses and requests
// sent through a Conn honour parts; call it last, on a command about to be sent.
func (c *Command) SetBodyParts(parts [][]byte, done func()) {
	c.parts, c.written = parts, done
}

// BodyLen returns the length of the body on the wire: Body plus any parts.
func (c *Command) BodyLen() int {
	n := len(c.Body)
	for _, p := range c.parts {
		n += len(p)
	}
	return n
}

// dropParts calls the parts' done function, once.
// ReleaseParts drops the body parts of a command that will not be written, calling their
// done function once (as a write would).
func (c *Command) ReleaseParts() {
	c.parts = nil
	c.dropParts()
}

func (c *Command) dropParts() {
	if fn := c.written; fn != nil {
		c.written = nil
		fn()
	}
}

// IsResponse reports whether the RESPONSE flag bit is set.
func (c *Command) IsResponse() bool { return c.Flag&FlagResponse != 0 }

// IsOneway reports whether the ONEWAY flag bit is set. The Go client never sets it, even for
// the calls it does not wait on.
func (c *Command) IsOneway() bool { return c.Flag&FlagOneway != 0 }

// NewRequest returns a request command with our language and version. The opaque is assigned
// when the request is sent.
func NewRequest(code int16, ext map[string]string, body []byte) *Command {
	return &Command{Code: code, Language: Go, Version: Version, ExtFields: ext, Body: body}
}

// NewResponse returns a response to req: same opaque and serialisation, RESPONSE flag set.
func NewResponse(req *Command, code int16, remark string) *Command {
	return &Command{
		Code:      code,
		Language:  Go,
		Version:   Version,
		Opaque:    req.Opaque,
		Flag:      FlagResponse,
		Remark:    remark,
		Serialize: req.Serialize,
	}
}

// ExtPair is one extFields key and its value.
type ExtPair struct{ Key, Value string }

// Ext returns extFields[key], or "" when absent. It reads the pairs of a request decoded
// for a RawExt route without building the map.
func (c *Command) Ext(key string) string {
	v, _ := c.LookupExt(key)
	return v
}

// LookupExt returns extFields[key] and whether it is present, like Ext.
func (c *Command) LookupExt(key string) (string, bool) {
	if c.pairs != nil {
		for _, p := range c.pairs {
			if p.Key == key {
				return p.Value, true
			}
		}
		return "", false
	}
	v, ok := c.ExtFields[key]
	return v, ok
}

// ExtAll returns c's extFields as a sequence of key/value pairs: the pairs of a request
// decoded for a RawExt route (each key once), else the map. Pairs set with SetExtPairs are
// yielded as they are, repeated keys included (the last wins, as when written).
func (c *Command) ExtAll() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		if c.pairs != nil {
			for _, p := range c.pairs {
				if !yield(p.Key, p.Value) {
					return
				}
			}
			return
		}
		for k, v := range c.ExtFields {
			if !yield(k, v) {
				return
			}
		}
	}
}

// LoadExt builds ExtFields from the pairs of a request decoded for a RawExt route; code that
// reads ExtFields directly calls it first. It does nothing for any other command.
func (c *Command) LoadExt() {
	if c.pairs == nil {
		return
	}
	m := make(map[string]string, len(c.pairs))
	for _, p := range c.pairs {
		m[p.Key] = p.Value
	}
	c.ExtFields, c.pairs, c.pairsJSON = m, nil, ""
}

// SetExtPairs makes ps the extFields of c in place of the map: a response built without a
// map is written as if ExtFields held ps (in sorted key order; the last of repeated keys
// wins). ExtFields is nil until LoadExt.
func (c *Command) SetExtPairs(ps []ExtPair) {
	c.ExtFields, c.pairs, c.pairsJSON = nil, ps, ""
}

// SetExtPairsJSON is SetExtPairs with the same pairs already encoded as the members of a
// JSON object: in strictly increasing key order, each key and value a JSON string,
// separated by commas, no braces and no whitespace ("a":"1","b":"2"). A JSON header writes
// members as they are instead of encoding ps; everything else reads ps. The caller vouches
// that the two agree (a send's answer builds its values as substrings of members).
func (c *Command) SetExtPairsJSON(ps []ExtPair, members string) {
	c.ExtFields, c.pairs, c.pairsJSON = nil, ps, members
}

// sortedPairs returns c's pairs sorted by key with repeated keys dropped (the last wins),
// in dst when it is large enough; pairs already in strictly increasing key order (a send's
// response) are returned as they are, to be read only.
func (c *Command) sortedPairs(dst []ExtPair) []ExtPair {
	sorted := true
	for i := 1; i < len(c.pairs) && sorted; i++ {
		sorted = c.pairs[i-1].Key < c.pairs[i].Key
	}
	if sorted {
		return c.pairs
	}
	ps := append(dst[:0], c.pairs...)
	slices.SortStableFunc(ps, func(a, b ExtPair) int { return strings.Compare(a.Key, b.Key) })
	out := ps[:0]
	for i, p := range ps {
		if i+1 < len(ps) && ps[i+1].Key == p.Key {
			continue
		}
		out = append(out, p)
	}
	return out
}

// SetExt sets extFields[key] = value, allocating the map if needed.
func (c *Command) SetExt(key, value string) {
	c.LoadExt()
	if c.ExtFields == nil {
		c.ExtFields = make(map[string]string, 4)
	}
	c.ExtFields[key] = value
}
