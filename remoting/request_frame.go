package remoting

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// RequestFrame is a request encoded once, for a sender of many similar requests (a load
// generator): the caller patches the bytes that vary (found in Bytes, e.g. by encoding
// sentinel values) and sends it with Client.InvokeAsyncFrame, which writes the frame as is
// but for its opaque. In a JSON header the opaque is written padded with spaces to the
// width of the smallest int32, so every opaque fits in place (whitespace is valid JSON).
type RequestFrame struct {
	code     int16
	st       SerializeType
	buf      []byte
	opaqueAt int
}

// opaqueWidth is the width of the widest opaque in JSON, "-2147483648".
const opaqueWidth = 11

// ErrRequestFrame is returned for a request that cannot be a RequestFrame.
var ErrRequestFrame = errors.New("remoting: request frame")

// NewRequestFrame encodes req (not sent, its opaque ignored) as a RequestFrame.
func NewRequestFrame(req *Command) (*RequestFrame, error) {
	if req.IsResponse() || len(req.parts) != 0 {
		return nil, fmt.Errorf("%w: a response or body parts", ErrRequestFrame)
	}
	cp := *req
	cp.Opaque = math.MinInt32
	cp.Flag &^= FlagOneway
	buf, err := AppendFrame(nil, &cp)
	if err != nil {
		return nil, err
	}
	f := &RequestFrame{code: req.Code, st: req.Serialize, buf: buf}
	switch req.Serialize {
	case RocketMQ:
		f.opaqueAt = 8 + 5 // length, header-length word, code, language, version
	default:
		mark := []byte(`,"opaque":` + strconv.Itoa(math.MinInt32) + `,`)
		i := bytes.Index(buf, mark)
		if i < 0 {
			return nil, fmt.Errorf("%w: no opaque in the JSON header", ErrRequestFrame)
		}
		f.opaqueAt = i + len(mark) - 1 - opaqueWidth
	}
	return f, nil
}

// Bytes returns the whole frame, for the caller to patch in place (not the opaque).
func (f *RequestFrame) Bytes() []byte { return f.buf }

// AppendTo appends the frame to dst with opaque in place, for a caller that writes its own
// connection (its answers are matched by that opaque).
func (f *RequestFrame) AppendTo(dst []byte, opaque int32) []byte { return f.appendTo(dst, opaque) }

// appendTo appends the frame with opaque in place.
func (f *RequestFrame) appendTo(dst []byte, opaque int32) []byte {
	start := len(dst)
	dst = append(dst, f.buf...)
	at := dst[start+f.opaqueAt:]
	if f.st == RocketMQ {
		binary.BigEndian.PutUint32(at, uint32(opaque))
		return dst
	}
	n := len(strconv.AppendInt(at[:0], int64(opaque), 10))
	for i := n; i < opaqueWidth; i++ {
		at[i] = ' '
	}
	return dst
}

// InvokeAsyncFrame sends f to addr with a fresh opaque and returns once it is queued (f
// may then be patched again); cb is called exactly once, as with InvokeAsync, with the
// response of that opaque or an error (ctx done, connection closed). A client with
// Credentials cannot sign a prebuilt frame: it returns ErrRequestFrame.
func (c *Client) InvokeAsyncFrame(ctx context.Context, addr string, f *RequestFrame, cb func(*Command, error)) error {
	if c.cfg.Credentials != nil {
		return fmt.Errorf("%w: cannot sign a prebuilt frame", ErrRequestFrame)
	}
	conn, err := c.Conn(ctx, addr)
	if err != nil {
		return err
	}
	return conn.invokeAsync(ctx, &Command{Code: f.code, Serialize: f.st, frame: f}, cb)
}
