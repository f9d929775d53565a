package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Apache RocketMQ writes many bodies with fastjson, which is not standard JSON when a map key is
// not a string: numeric keys are written bare ({0:"10.0.0.1:10911"}) and object keys are written
// as the object itself ({{"brokerName":"b","queueId":0,"topic":"T"}:42}). StandardJSON turns such
// text into standard JSON by quoting bare keys and replacing object keys with their compact JSON
// text as a string; MessageQueueMap decodes those string keys back. FastJSON does the reverse for
// object keys, so a Java reader gets the shape it expects.

// ErrFastJSON is returned (wrapped) for text StandardJSON cannot convert.
var ErrFastJSON = errors.New("protocol: malformed fastjson")

const (
	maxJSONDepth    = 256 // nesting limit of StandardJSON
	maxKeyNestDepth = 2   // object keys inside object keys (each level doubles the escaping)
)

// StandardJSON converts fastjson text (bare numeric or literal keys, JSON-object or array keys)
// to standard JSON. Standard JSON passes through unchanged apart from whitespace outside strings
// being dropped. It never panics; malformed input gives an error wrapping ErrFastJSON. The result
// is not validated beyond the structure: json.Unmarshal reports bad literals.
func StandardJSON(src []byte) ([]byte, error) {
	p := fjParser{src: src}
	out := make([]byte, 0, len(src)+len(src)/8)
	out, err := p.value(out, 0, 0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, p.errorf("trailing data")
	}
	return out, nil
}

// DecodeBody unmarshals a JSON body written by Apache RocketMQ (fastjson dialect) or by us
// (standard JSON) into v.
func DecodeBody(data []byte, v any) error {
	if !json.Valid(data) {
		std, err := StandardJSON(data)
		if err != nil {
			return err
		}
		data = std
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("protocol: decode %T: %w", v, err)
	}
	return nil
}

// EncodeBody returns the standard JSON of v without HTML escaping (fastjson does not escape
// <, > and &).
func EncodeBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("protocol: encode %T: %w", v, err)
	}
	b := buf.Bytes()
	return b[:len(b)-1], nil // drop Encode's newline
}

// EncodeFastJSON is EncodeBody followed by FastJSON: map keys holding a JSON object (the
// MessageQueue keys of ConsumeStats, TopicStatsTable, ResetOffsetBody …) are written as bare
// objects, the way Java readers (fastjson) and GoC's ResetOffsetBody parser expect.
func EncodeFastJSON(v any) ([]byte, error) {
	b, err := EncodeBody(v)
	if err != nil {
		return nil, err
	}
	return FastJSON(b)
}

// FastJSON rewrites standard JSON so that object keys whose string value is itself a JSON
// object or array are written bare, as fastjson writes non-string map keys. Other keys and all
// values are kept.
func FastJSON(std []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(std))
	dec.UseNumber()
	out := make([]byte, 0, len(std))
	type frame struct {
		object bool
		n      int // tokens written in this container
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFastJSON, err)
		}
		isKey := false
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			if d, ok := tok.(json.Delim); !ok || d == '{' || d == '[' {
				if top.object {
					isKey = top.n%2 == 0
					if top.n > 0 {
						if isKey {
							out = append(out, ',')
						} else {
							out = append(out, ':')
						}
					}
				} else if top.n > 0 {
					out = append(out, ',')
				}
				top.n++
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			out = append(out, byte(t))
			if t == '{' || t == '[' {
				stack = append(stack, frame{object: t == '{'})
			} else {
				stack = stack[:len(stack)-1]
			}
		case string:
			if isKey && len(t) > 1 && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
				out = append(out, t...)
			} else {
				out = appendJSONString(out, t)
			}
		case json.Number:
			out = append(out, t...)
		case bool:
			out = strconv.AppendBool(out, t)
		case nil:
			out = append(out, "null"...)
		}
	}
}

// appendJSONString appends s as a JSON string; plain printable ASCII is copied directly,
// anything else goes through encoding/json (which escapes <, > and & too).
func appendJSONString(out []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // cannot fail for a string
			return append(out, b...)
		}
	}
	out = append(out, '"')
	out = append(out, s...)
	return append(out, '"')
}

type fjParser struct {
	src []byte
	pos int
}

func (p *fjParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", ErrFastJSON, p.pos, fmt.Sprintf(format, args...))
}

func (p *fjParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// value copies one value to out, converting the keys of the objects inside it.
func (p *fjParser) value(out []byte, depth, keyDepth int) ([]byte, error) {
	if depth > maxJSONDepth {
		return nil, p.errorf("nesting deeper than %d", maxJSONDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end")
	}
	switch p.src[p.pos] {
	case '{':
		return p.object(out, depth, keyDepth)
	case '[':
		return p.array(out, depth, keyDepth)
	case '"':
		return p.str(out)
	case '\'':
		return p.singleQuoted(out)
	case ',', ':', '}', ']':
		return nil, p.errorf("unexpected %q", p.src[p.pos])
	}
	lit := p.literal()
	if len(lit) == 0 {
		return nil, p.errorf("empty value")
	}
	return append(out, lit...), nil
}

func (p *fjParser) literal() []byte {
	start := p.pos
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ',', ':', '}', ']', '{', '[', '"', '\'', ' ', '\t', '\n', '\r':
			return p.src[start:p.pos]
		}
		p.pos++
	}
	return p.src[start:p.pos]
}

// str copies a double-quoted string verbatim.
func (p *fjParser) str(out []byte) ([]byte, error) {
	start := p.pos
	p.pos++
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case '\\':
			p.pos += 2
			continue
		case '"':
			p.pos++
			return append(out, p.src[start:p.pos]...), nil
		}
		p.pos++
	}
	p.pos = len(p.src)
	return nil, p.errorf("unterminated string")
}

// singleQuoted converts a fastjson single-quoted string to a double-quoted one.
func (p *fjParser) singleQuoted(out []byte) ([]byte, error) {
	p.pos++
	var s []byte
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '\\':
			if p.pos+1 >= len(p.src) {
				return nil, p.errorf("unterminated string")
			}
			if p.src[p.pos+1] == '\'' {
				s = append(s, '\'')
			} else {
				s = append(s, c, p.src[p.pos+1])
			}
			p.pos += 2
			continue
		case '\'':
			p.pos++
			var unq string
			if err := json.Unmarshal(append(append([]byte{'"'}, s...), '"'), &unq); err != nil {
				return nil, p.errorf("bad string: %v", err)
			}
			return appendJSONString(out, unq), nil
		case '"':
			s = append(s, '\\', '"')
		default:
			s = append(s, c)
		}
		p.pos++
	}
	return nil, p.errorf("unterminated string")
}

func (p *fjParser) object(out []byte, depth, keyDepth int) ([]byte, error) {
	p.pos++ // '{'
	out = append(out, '{')
	for first := true; ; first = false {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errorf("unterminated object")
		}
		if p.src[p.pos] == '}' {
			p.pos++
			return append(out, '}'), nil
		}
		if !first {
			if p.src[p.pos] != ',' {
				return nil, p.errorf("expected ',' or '}'")
			}
			p.pos++
			p.skipSpace()
			if p.pos >= len(p.src) {
				return nil, p.errorf("unterminated object")
			}
			out = append(out, ',')
		}
		var err error
		switch c := p.src[p.pos]; c {
		case '"':
			out, err = p.str(out)
		case '\'':
			out, err = p.singleQuoted(out)
		case '{', '[':
			if keyDepth >= maxKeyNestDepth {
				return nil, p.errorf("object keys nested too deep")
			}
			var key []byte
			key, err = p.value(nil, depth+1, keyDepth+1)
			if err == nil {
				out = appendJSONString(out, string(key))
			}
		case ',', ':', '}', ']':
			return nil, p.errorf("expected key, got %q", c)
		default:
			out = appendJSONString(out, string(p.literal()))
		}
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, p.errorf("expected ':'")
		}
		p.pos++
		out = append(out, ':')
		if out, err = p.value(out, depth+1, keyDepth); err != nil {
			return nil, err
		}
	}
}

func (p *fjParser) array(out []byte, depth, keyDepth int) ([]byte, error) {
	p.pos++ // '['
	out = append(out, '[')
	for first := true; ; first = false {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errorf("unterminated array")
		}
		if p.src[p.pos] == ']' {
			p.pos++
			return append(out, ']'), nil
		}
		if !first {
			if p.src[p.pos] != ',' {
				return nil, p.errorf("expected ',' or ']'")
			}
			p.pos++
			out = append(out, ',')
		}
		var err error
		if out, err = p.value(out, depth+1, keyDepth); err != nil {
			return nil, err
		}
	}
}
