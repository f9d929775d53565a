package remoting

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// defaultOutboundQueue is the default number of frames queued for writing per connection.
	defaultOutboundQueue = 4096
	// defaultStallTimeout is how long a sender waits for room in a full outbound queue
	// before the peer is declared slow and disconnected.
	defaultStallTimeout = 10 * time.Second
	// writeTimeout bounds one batched write to the socket.
	writeTimeout = 30 * time.Second
	// bigBody is the body size from which a body is written from the caller's slice
	// (writev) instead of being copied into the outbound buffer.
	bigBody = 32 << 10
	// maxSpareBuffer is the largest outbound buffer kept for reuse after a write.
	maxSpareBuffer = 1 << 20
	readBufferSize = 64 << 10
)

// connConfig is what a Server or Client gives each of its connections.
type connConfig struct {
	log       *slog.Logger
	mux       *mux
	callbacks *Pool // async response callbacks; nil runs them in the read loop
	opaque    *atomic.Int32
	maxFrame  int
	maxQueue  int
	idle      time.Duration // close after this long without a frame; 0 = never
	stall     time.Duration
	onOpen    func(*Conn)
	onExit    func(*Conn)
	parent    context.Context
}

// Conn is one TCP connection, on the server or the client side. It has one read loop and
// one write loop; frames to send go through a bounded outbound queue that the write loop
// drains into one write. Requests can be sent in both directions: responses are matched
// to pending calls by opaque.
type Conn struct {
	id     uint64
	nc     net.Conn
	remote string
	local  string
	cfg    *connConfig
	ctx    context.Context
	cancel context.CancelFunc

	// Outbound queue, guarded by omu: obuf holds encoded frames; osegs holds, in order,
	// slices of obuf and large bodies written without copying; osegStart is where the part
	// of obuf not yet in osegs begins.
	omu       sync.Mutex
	obuf      []byte
	osegs     [][]byte
	osegStart int
	oframes   int
	wake      chan struct{} // 1-slot: the write loop has work
	space     chan struct{} // 1-slot: the write loop took the queue

	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	pmu     sync.Mutex
	pending map[int32]*call
	pclosed bool

	attMu sync.Mutex
	att   any

	lang atomic.Uint32
	ver  atomic.Int32
}

// call is one request waiting for its response: either ch (InvokeSync) or cb (async).
type call struct {
	ch   chan *Command
	cb   func(*Command, error)
	stop func() bool
}

var callPool = sync.Pool{New: func() any { return &call{ch: make(chan *Command, 1)} }}

func newConn(id uint64, nc net.Conn, cfg *connConfig) *Conn {
	c := &Conn{
		id:      id,
		nc:      nc,
		remote:  nc.RemoteAddr().String(),
		local:   nc.LocalAddr().String(),
		cfg:     cfg,
		wake:    make(chan struct{}, 1),
		space:   make(chan struct{}, 1),
		done:    make(chan struct{}),
		pending: make(map[int32]*call),
	}
	c.ctx, c.cancel = context.WithCancel(cfg.parent)
	return c
}

// ID returns the connection's id, unique within its Server or Client.
func (c *Conn) ID() uint64 { return c.id }

// RemoteAddr returns the peer's address as host:port.
func (c *Conn) RemoteAddr() string { return c.remote }

// LocalAddr returns our address as host:port.
func (c *Conn) LocalAddr() string { return c.local }

// SetAttachment stores per-connection state (the broker keeps the client id here).
func (c *Conn) SetAttachment(v any) {
	c.attMu.Lock()
	c.att = v
	c.attMu.Unlock()
}

// Attachment returns what SetAttachment stored, or nil.
func (c *Conn) Attachment() any {
	c.attMu.Lock()
	defer c.attMu.Unlock()
	return c.att
}

// Language returns the language of the last request received on c.
func (c *Conn) Language() LanguageCode { return LanguageCode(c.lang.Load()) }

// Version returns the version of the last request received on c.
func (c *Conn) Version() int16 { return int16(c.ver.Load()) }

// Done returns a channel closed when the connection closes.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Close closes the connection; pending calls fail with ErrConnClosed.
func (c *Conn) Close() error {
	c.closeWith(ErrConnClosed)
	return nil
}

func (c *Conn) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *Conn) closeWith(err error) {
	c.closeOnce.Do(func() {
		c.closeErr = err
		close(c.done)
		c.cancel()
		c.nc.Close()
	})
}

// run starts the read and write loops in g; it reports false (and closes c) when g is
// shutting down.
func (c *Conn) run(g *group) bool {
	if !g.start(c.readLoop, c.writeLoop) {
		c.closeWith(ErrConnClosed)
		return false
	}
	return true
}

func (c *Conn) readLoop() {
	if c.cfg.onOpen != nil {
		c.cfg.onOpen(c)
	}
	err := c.readFrames()
	c.closeWith(err)
	c.failPending()
	c.logClose(err)
	if c.cfg.onExit != nil {
		c.cfg.onExit(c)
	}
}

func (c *Conn) readFrames() error {
	fr := NewFrameReader(bufio.NewReaderSize(c.nc, readBufferSize), c.cfg.maxFrame)
	var armed time.Time
	for {
		if idle := c.cfg.idle; idle > 0 {
			// Re-arm the idle deadline at most every idle/8, to keep timer updates off the
			// per-frame path.
			if now := time.Now(); now.Sub(armed) > idle/8 {
				armed = now
				if err := c.nc.SetReadDeadline(now.Add(idle)); err != nil {
					return err
				}
			}
		}
		cmd, err := fr.ReadFrame()
		if err != nil {
			return err
		}
		if cmd.IsResponse() {
			c.complete(cmd)
			continue
		}
		c.lang.Store(uint32(cmd.Language))
		c.ver.Store(int32(cmd.Version))
		c.cfg.mux.dispatch(c, cmd)
	}
}

func isCodecError(err error) bool {
	return errors.Is(err, ErrFrameTooLarge) || errors.Is(err, ErrBadLength) ||
		errors.Is(err, ErrUnknownSerializeType) || errors.Is(err, ErrBadHeader)
}

// logClose writes the one line a closed connection gets: Warn for malformed input and slow
// peers, Debug for ordinary closes.
func (c *Conn) logClose(err error) {
	log := c.cfg.log
	if c.closeErr != nil && c.closeErr != err {
		err = c.closeErr // closed by us (slow peer, shutdown, Close) before the read failed
	}
	var ne net.Error
	switch {
	case isCodecError(err):
		log.Warn("malformed frame, connection closed", "remote", c.remote, "err", err)
	case err == errSlowPeer:
		log.Warn("slow peer, connection closed", "remote", c.remote, "err", err)
	case isTLSHandshakeError(err):
		log.Warn("tls handshake failed, connection closed", "remote", c.remote, "err", err)
	case errors.As(err, &ne) && ne.Timeout() && c.cfg.idle > 0:
		log.Info("idle connection closed", "remote", c.remote, "idle", c.cfg.idle)
	case err == io.EOF || err == ErrConnClosed || errors.Is(err, net.ErrClosed):
		log.Debug("connection closed", "remote", c.remote)
	default:
		log.Debug("connection closed", "remote", c.remote, "err", err)
	}
}

func (c *Conn) writeLoop() {
	var spare []byte
	var segs net.Buffers
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		c.omu.Lock()
		buf := c.obuf
		segs = append(segs[:0], c.osegs...)
		if c.osegStart < len(buf) {
			segs = append(segs, buf[c.osegStart:])
		}
		c.obuf = spare[:0]
		clear(c.osegs)
		c.osegs = c.osegs[:0]
		c.osegStart = 0
		c.oframes = 0
		c.omu.Unlock()
		select {
		case c.space <- struct{}{}:
		default:
		}
		if len(segs) == 0 {
			spare = buf
			continue
		}
		var err error
		if err = c.nc.SetWriteDeadline(time.Now().Add(writeTimeout)); err == nil {
			if len(segs) == 1 {
				_, err = c.nc.Write(segs[0])
			} else {
				w := segs
				_, err = w.WriteTo(c.nc)
			}
		}
		clear(segs)
		if err != nil {
			c.closeWith(err)
			return
		}
		if cap(buf) > maxSpareBuffer {
			buf = nil
		}
		spare = buf
	}
}

// send queues cmd for the write loop. When the queue is full, wait decides: false returns
// ErrQueueFull at once, true waits for room up to the stall timeout and then disconnects
// the slow peer. Bodies of bigBody bytes or more are referenced, not copied, until written.
func (c *Conn) send(cmd *Command, wait bool) error {
	var timer *time.Timer
	waited := false
	c.omu.Lock()
	for c.oframes >= c.cfg.maxQueue {
		c.omu.Unlock()
		if !wait {
			return ErrQueueFull
		}
		if timer == nil {
			timer = time.NewTimer(c.cfg.stall)
			defer timer.Stop()
		}
		select {
		case <-c.space:
		case <-c.done:
			return ErrConnClosed
		case <-timer.C:
			c.closeWith(errSlowPeer)
			return ErrConnClosed
		}
		waited = true
		c.omu.Lock()
	}
	if c.closed() {
		c.omu.Unlock()
		return ErrConnClosed
	}
	var err error
	if len(cmd.Body) >= bigBody {
		var buf []byte
		if buf, err = appendFrameHead(c.obuf, cmd, len(cmd.Body)); err == nil {
			c.osegs = append(c.osegs, buf[c.osegStart:], cmd.Body)
			c.osegStart = len(buf)
			c.obuf = buf
		}
	} else {
		c.obuf, err = AppendFrame(c.obuf, cmd)
	}
	if err == nil {
		c.oframes++
	}
	room := c.oframes < c.cfg.maxQueue
	c.omu.Unlock()
	if err != nil {
		return err
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
	if waited && room {
		// Pass the wake-up on to the next sender waiting for room.
		select {
		case c.space <- struct{}{}:
		default:
		}
	}
	return nil
}

func (c *Conn) addPending(opaque int32, cl *call) error {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	if c.pclosed {
		return ErrConnClosed
	}
	c.pending[opaque] = cl
	return nil
}

// takePending removes and returns the call waiting for opaque, or nil.
func (c *Conn) takePending(opaque int32) *call {
	c.pmu.Lock()
	cl := c.pending[opaque]
	if cl != nil {
		delete(c.pending, opaque)
	}
	c.pmu.Unlock()
	return cl
}

// complete delivers a response to its waiting call; unmatched responses are dropped (the
// caller gave up).
func (c *Conn) complete(resp *Command) {
	cl := c.takePending(resp.Opaque)
	if cl == nil {
		c.cfg.log.Debug("response without a caller", "remote", c.remote, "opaque", resp.Opaque, "code", resp.Code)
		return
	}
	c.finish(cl, resp, nil)
}

func (c *Conn) finish(cl *call, resp *Command, err error) {
	if cl.cb == nil {
		cl.ch <- resp // nil means the connection closed
		return
	}
	if cl.stop != nil {
		cl.stop()
	}
	if p := c.cfg.callbacks; p == nil || !p.trySubmit(task{req: resp, cb: cl.cb, err: err}) {
		cl.cb(resp, err)
	}
}

func (c *Conn) failPending() {
	c.pmu.Lock()
	c.pclosed = true
	calls := c.pending
	c.pending = nil
	c.pmu.Unlock()
	for _, cl := range calls {
		c.finish(cl, nil, ErrConnClosed)
	}
}

// prepareRequest gives req a fresh opaque and clears the RESPONSE bit.
func (c *Conn) prepareRequest(req *Command) int32 {
	req.Opaque = c.cfg.opaque.Add(1)
	req.Flag &^= FlagResponse
	return req.Opaque
}

// InvokeSync sends req on c and waits for the response with the same opaque, until ctx is
// done or the connection closes. It sets req.Opaque and clears the ONEWAY bit. A response
// with a non-zero code is returned as is (see Command.Err).
func (c *Conn) InvokeSync(ctx context.Context, req *Command) (*Command, error) {
	req.Flag &^= FlagOneway
	opaque := c.prepareRequest(req)
	cl := callPool.Get().(*call)
	if err := c.addPending(opaque, cl); err != nil {
		callPool.Put(cl)
		return nil, err
	}
	if err := c.send(req, true); err != nil {
		if c.takePending(opaque) != nil {
			callPool.Put(cl)
		}
		// Otherwise failPending owns the call and fills cl.ch; leave cl to the GC.
		return nil, err
	}
	var resp *Command
	select {
	case resp = <-cl.ch:
	case <-ctx.Done():
		if c.takePending(opaque) != nil {
			callPool.Put(cl)
			return nil, fmt.Errorf("remoting: code %d to %s: %w", req.Code, c.remote, ctx.Err())
		}
		resp = <-cl.ch // the response (or the close) won the race; it is already on its way
	}
	callPool.Put(cl)
	if resp == nil {
		return nil, ErrConnClosed
	}
	return resp, nil
}

// invokeAsync sends req and calls cb once with the response, or with an error when ctx is
// done or the connection closes first.
func (c *Conn) invokeAsync(ctx context.Context, req *Command, cb func(*Command, error)) error {
	req.Flag &^= FlagOneway
	opaque := c.prepareRequest(req)
	cl := &call{cb: cb}
	if err := c.addPending(opaque, cl); err != nil {
		return err
	}
	if ctx.Done() != nil {
		cl.stop = context.AfterFunc(ctx, func() {
			if c.takePending(opaque) != nil {
				cb(nil, fmt.Errorf("remoting: code %d to %s: %w", req.Code, c.remote, ctx.Err()))
			}
		})
	}
	if err := c.send(req, true); err != nil {
		if c.takePending(opaque) != nil {
			if cl.stop != nil {
				cl.stop()
			}
			return err
		}
		return nil // the callback has been or will be called with the error
	}
	return nil
}

// InvokeOneway sends req with the ONEWAY flag set and does not wait for anything; it
// returns ErrQueueFull rather than block when the outbound queue is full. Use it for
// requests the peer never answers (the Go client needs flag=2 on codes 39, 40 and 220).
func (c *Conn) InvokeOneway(req *Command) error {
	c.prepareRequest(req)
	req.Flag |= FlagOneway
	return c.send(req, false)
}
