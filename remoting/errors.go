package remoting

import (
	"errors"
	"strconv"
)

// Errors returned by the codec, the Server and the Client. Codec errors are wrapped with
// detail (fmt.Errorf with %w); test them with errors.Is.
var (
	// ErrFrameTooLarge is returned when a frame's length word exceeds the reader's maximum
	// frame size, or when a command is too large to encode (header over 16 MiB-1).
	ErrFrameTooLarge = errors.New("remoting: frame too large")
	// ErrBadLength is returned when a frame's length word is negative or shorter than the
	// header-length word, or when the header length exceeds the frame.
	ErrBadLength = errors.New("remoting: bad frame length")
	// ErrUnknownSerializeType is returned when the header-length word names a serialize type
	// other than JSON (0) or ROCKETMQ (1).
	ErrUnknownSerializeType = errors.New("remoting: unknown serialize type")
	// ErrBadHeader is returned when a JSON header does not parse, an extFields value is not a
	// string, or a binary header is truncated or inconsistent.
	ErrBadHeader = errors.New("remoting: bad header")
	// ErrConnClosed is returned to callers waiting on a connection that closed, and when
	// sending on a closed connection.
	ErrConnClosed = errors.New("remoting: connection closed")
	// ErrQueueFull is returned by InvokeOneway when the connection's outbound queue is full.
	ErrQueueFull = errors.New("remoting: outbound queue full")
	// ErrClientClosed is returned by Client methods after Close.
	ErrClientClosed = errors.New("remoting: client closed")
	// ErrServerClosed is returned by Serve when it is called after Shutdown.
	ErrServerClosed = errors.New("remoting: server closed")

	// errSlowPeer is the close reason of a connection whose outbound queue stayed full.
	errSlowPeer = errors.New("remoting: slow peer, outbound queue full")
	// errOutboundBudget is the close reason of a connection whose response waited too long
	// for room in the server's shared outbound budget.
	errOutboundBudget = errors.New("remoting: outbound memory budget exhausted")
	// errInboundBudget is the close reason of a connection whose large frame waited too
	// long for room in the server's inbound budget.
	errInboundBudget = errors.New("remoting: inbound memory budget exhausted")
	// errStalledFrame is the close reason of a connection whose frame held inbound budget
	// but received nothing for a second while others waited for it.
	errStalledFrame = errors.New("remoting: frame stalled while the inbound budget is short")
)

// Response codes of the remoting layer itself (RemotingSysResponseCode.java). The protocol
// package names the full set; these are the ones remoting produces.
const (
	CodeSuccess                 int16 = 0
	CodeSystemError             int16 = 1
	CodeSystemBusy              int16 = 2
	CodeRequestCodeNotSupported int16 = 3
)

// ResponseError is a response whose code is not SUCCESS, as an error. Callers use errors.As
// to read the code and remark.
type ResponseError struct {
	Code   int16
	Remark string
}

func (e *ResponseError) Error() string {
	s := "remoting: response code " + strconv.Itoa(int(e.Code))
	if e.Remark != "" {
		s += ": " + e.Remark
	}
	return s
}

// Err returns nil when c.Code is SUCCESS (0) and a *ResponseError otherwise.
func (c *Command) Err() error {
	if c.Code == CodeSuccess {
		return nil
	}
	return &ResponseError{Code: c.Code, Remark: c.Remark}
}
