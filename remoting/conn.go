package remoting

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
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
	readBufferSize = 16 << 10
	// bigReadBuffer is the read buffer of a connection that pipelines: after growAfter frames
	// in a row found more buffered behind them, reads take up to this much per system call.
	bigReadBuffer = 64 << 10
	growAfter     = 256
)

// connConfig is what a Server or Client gives each of its connections.
type connConfig struct {
	log       *slog.Logger
	mux       *mux
	callbacks *Pool // async response callbacks; nil runs them in the read loop
	opaque    *atomic.Int32
	maxFrame  int
	maxQueue  int
	maxOut    int64   // per-connection outbound bytes (queued + being written); 0 = no limit
	out       *budget // all connections' outbound bytes; nil = no limit
	in        *budget // frames of reserveFrom bytes or more being received; nil = no limit
	// budgetShort, when set, is called when a response waits for the shared outbound budget
	// (the server closes the connection holding most of it).
	budgetShort func()
	// inboundShort, when set, is called while a frame of n bytes waits for the inbound
	// budget (the server closes connections whose reserved frame stalled).
	inboundShort func(n int64)
	idle         time.Duration // close after this long without a frame; 0 = never
	stall        time.Duration
	onOpen       func(*Conn)
	onExit       func(*Conn)
	parent       context.Context
}

// Conn is one TCP connection, on the server or the client side. It has one read loop and
// one write loop; frames to send go through a bounded outbound queue that the write loop
// drains into one write. Requests can be sent in both directions: responses are matched
// to pending calls by opaque.
type Conn struct {
	id     uint64
	nc     net.Conn
	remote string
	// remoteAP is the peer's address parsed once (zero when it is not a TCP address).
	remoteAP netip.AddrPort
	local    string
	cfg      *connConfig
	ctx      context.Context
	cancel   context.CancelFunc

	// Outbound queue, guarded by omu: obuf holds encoded frames; osegs holds, in order,
	// slices of obuf and large bodies written without copying; osegStart is where the part
	// of obuf not yet in osegs begins.
	omu          sync.Mutex
	obuf         []byte
	osegs        [][]byte
	osegStart    int
	oframes      int
	oqueued      int64         // bytes of the frames in the queue
	owriting     int64         // bytes of the batch the write loop is writing
	oshared      int64         // of those queued, the bytes charged to the shared budget
	oshWriting   int64         // of those being written, the bytes charged to the shared budget
	odone        []func()      // SetBodyParts callbacks of the queued frames
	oexited      bool          // the write loop returned: send must not queue
	oundo        undo          // the queue's end before the frame being added
	parked       []parkedReply // responses waiting for room in the connection's budget
	parkedBytes  int64         // shared-budget bytes the parked responses hold
	writingSince atomic.Int64  // unix nanos the current write began; 0 between writes
	wake         chan struct{} // 1-slot: the write loop has work
	space        chan struct{} // 1-slot: the write loop took the queue
	// raw is the socket of a plain TCP connection (nil with TLS): a response that finds the
	// queue empty and the write loop idle is written at once with one non-blocking write
	// (tryDirectLocked), encoded into dbuf (kept up to maxKeptDirect bytes), instead of
	// waking the write loop.
	raw  syscall.RawConn
	rw   *rawWriter // the write loop's writer on plain TCP (nil under the race detector)
	dbuf []byte
	// batching is set by the read loop while more requests are buffered behind the one being
	// dispatched: responses queued meanwhile do not wake the write loop (heldWake notes that
	// one should have) nor go direct, so that the burst's answers leave in one write.
	batching atomic.Bool
	heldWake atomic.Bool

	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	pmu     sync.Mutex
	pending map[int32]*call
	pclosed bool

	attMu sync.Mutex
	att   any

	inReserved atomic.Int64 // inbound budget held by the frame being read
	lastRead   atomic.Int64 // unix nanos of the last read that returned bytes (when reserved)

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
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		c.remoteAP = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		if rc, err := tc.SyscallConn(); err == nil {
			c.raw = rc
			if !raceEnabled {
				// The write loop's writev too; under the race detector it keeps net.Conn's,
				// whose annotations order a test's writes before the peer's reads.
				c.rw = &rawWriter{rawCall: rawCall{raw: rc, nc: nc}}
			}
		}
	}
	return c
}

// ID returns the connection's id, unique within its Server or Client.
func (c *Conn) ID() uint64 { return c.id }

// RemoteAddr returns the peer's address as host:port.
func (c *Conn) RemoteAddr() string { return c.remote }

// RemoteAddrPort returns the peer's address with an IPv4-mapped IPv6 address unmapped, or
// the zero value when the connection is not over TCP.
func (c *Conn) RemoteAddrPort() netip.AddrPort { return c.remoteAP }

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

// rawTCP returns the TCP connection under nc (through a tls.Conn or the TLS sniffer).
func rawTCP(nc net.Conn) (*net.TCPConn, bool) {
	for range 3 {
		switch x := nc.(type) {
		case *net.TCPConn:
			return x, true
		case interface{ NetConn() net.Conn }: // *tls.Conn
			nc = x.NetConn()
		case *sniffConn:
			nc = x.Conn
		default:
			return nil, false
		}
	}
	return nil, false
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
		if err == errSlowPeer || err == errOutboundBudget {
			// Reset rather than leave the kernel trying to deliver what the peer never
			// reads (an orphaned socket keeps its send buffer for minutes).
			if tc, ok := rawTCP(c.nc); ok {
				_ = tc.SetLinger(0)
			}
		}
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

// source returns what the read loop reads from: a plain TCP connection through rawReader.
func (c *Conn) source() io.Reader {
	if c.raw != nil {
		return &rawReader{rawCall: rawCall{raw: c.raw, nc: c.nc}}
	}
	return c.nc
}

func (c *Conn) readFrames() error {
	src := c.source()
	if c.cfg.in != nil {
		src = progressReader{c, src}
	}
	fr := NewFrameReader(bufio.NewReaderSize(src, readBufferSize), c.cfg.maxFrame)
	if c.cfg.mux != nil {
		fr.in.pairsFor = c.cfg.mux.rawExt
		fr.in.lendFor = c.cfg.mux.inline
	}
	var armed time.Time
	if in := c.cfg.in; in != nil {
		fr.reserve = func(n int) (func(), error) {
			var short func()
			if c.cfg.inboundShort != nil {
				short = func() { c.cfg.inboundShort(int64(n)) }
			}
			if !in.acquire(int64(n), c.done, c.cfg.stall, short) {
				if c.closed() {
					return nil, ErrConnClosed
				}
				return nil, errInboundBudget
			}
			c.lastRead.Store(time.Now().UnixNano())
			c.inReserved.Store(int64(n))
			// A frame holding a reservation must arrive at minFrameRate; the idle
			// deadline is re-armed for the next frame.
			armed = time.Time{}
			d := c.cfg.stall + time.Duration(n/minFrameRate)*time.Second
			if err := c.nc.SetReadDeadline(time.Now().Add(d)); err != nil {
				in.release(int64(n))
				return nil, err
			}
			return func() {
				c.inReserved.Store(0)
				in.release(int64(n))
				if c.cfg.idle <= 0 {
					_ = c.nc.SetReadDeadline(time.Time{})
				}
			}, nil
		}
	}
	frames, burst := 0, 0
	for {
		// The idle deadline is checked before a read may wait (nothing buffered), every 64
		// frames of a burst that never empties the buffer, and after a reserved frame.
		if idle := c.cfg.idle; idle > 0 && (fr.r.Buffered() == 0 || frames%64 == 0 || armed.IsZero()) {
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
		frames++
		if fr.r.Buffered() > 0 {
			c.batching.Store(true)
			if burst++; burst == growAfter && fr.r.Size() < bigReadBuffer {
				// The small reader is drained first, then read around (bufio reads a large
				// request straight into it); cmd's lent body stays valid until the next read.
				fr.r = bufio.NewReaderSize(fr.r, bigReadBuffer)
			}
		} else {
			burst = 0
			c.endBurst()
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

// progressReader notes when the connection last received bytes, so that the server can
// tell a frame that stalled while holding inbound budget from one still arriving.
type progressReader struct {
	c   *Conn
	src io.Reader
}

func (r progressReader) Read(p []byte) (int, error) {
	n, err := r.src.Read(p)
	if n > 0 && r.c.inReserved.Load() > 0 {
		r.c.lastRead.Store(time.Now().UnixNano())
	}
	return n, err
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
	case err == errOutboundBudget:
		log.Warn("outbound memory budget exhausted, connection closed", "remote", c.remote, "err", err)
	case err == errStalledFrame:
		log.Warn("frame stalled while the inbound budget is short, connection closed", "remote", c.remote, "err", err)
	case err == errInboundBudget:
		log.Warn("inbound memory budget exhausted, connection closed", "remote", c.remote, "err", err)
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
	var dones []func()
	defer c.drainOutbound()
	for {
		c.omu.Lock()
		c.promoteLocked()
		if c.oframes == 0 {
			c.omu.Unlock()
			select {
			case <-c.wake:
			case <-c.done:
				return
			}
			continue
		}
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
		charged := c.oshared
		c.owriting, c.oqueued = c.oqueued, 0
		c.oshWriting, c.oshared = charged, 0
		dones = append(dones[:0], c.odone...)
		clear(c.odone)
		c.odone = c.odone[:0]
		c.omu.Unlock()
		c.signalSpace()
		var err error
		c.writingSince.Store(time.Now().UnixNano())
		if err = c.nc.SetWriteDeadline(time.Now().Add(writeTimeout)); err == nil {
			if c.rw != nil {
				_, err = c.rw.writeBuffers(segs)
			} else if len(segs) == 1 {
				_, err = c.nc.Write(segs[0])
			} else {
				w := segs
				_, err = w.WriteTo(c.nc)
			}
		}
		c.writingSince.Store(0)
		clear(segs)
		for i, fn := range dones {
			fn()
			dones[i] = nil
		}
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				err = errSlowPeer // the peer read nothing for writeTimeout
			}
			c.closeWith(err)
			return
		}
		c.omu.Lock()
		c.owriting, c.oshWriting = 0, 0
		c.omu.Unlock()
		if c.cfg.out != nil {
			c.cfg.out.release(charged)
		}
		c.signalSpace()
		if cap(buf) > maxSpareBuffer {
			buf = nil
		}
		spare = buf
	}
}

// parkedReply is a response that did not fit the connection's outbound budget when its
// handler finished: it waits here, not encoded, so that the handler's worker is free.
type parkedReply struct {
	cmd    *Command
	charge int64 // bytes of its Body already taken from the shared budget
}

// maxParked bounds the responses parked on one connection.
const maxParked = 256

// promoteLocked moves parked responses into the queue while they fit; c.omu is held.
func (c *Conn) promoteLocked() {
	for len(c.parked) > 0 && c.oframes < c.cfg.maxQueue {
		p := c.parked[0]
		charge, shared, err := c.appendLocked(p.cmd)
		if err != nil { // cannot happen: it encoded when it was parked
			c.rollbackLocked()
			p.cmd.dropParts()
			if c.cfg.out != nil {
				c.cfg.out.release(p.charge)
			}
		} else {
			held := c.oqueued + c.owriting
			if c.cfg.maxOut > 0 && held > 0 && held+charge > c.cfg.maxOut {
				c.rollbackLocked()
				return
			}
			if extra := shared - p.charge; c.cfg.out != nil && extra > 0 {
				// Its body is charged already; the header may pass the limit too
				// (the server sheds stalled holders when it is over).
				c.cfg.out.force(extra)
			}
			c.commitLocked(p.cmd, charge, shared)
		}
		c.parkedBytes -= p.charge
		c.parked[0] = parkedReply{}
		c.parked = c.parked[1:]
	}
}

// parkLocked parks cmd, charging its Body's bytes to the shared budget even past its limit
// (the handler already allocated them: waiting would free nothing and hold a worker); over
// reports that the budget is now over its limit. It reports false when the connection
// already has too much parked: the peer reads nothing.
func (c *Conn) parkLocked(cmd *Command) (ok, over bool) {
	n := int64(len(cmd.Body))
	if len(c.parked) >= maxParked || (c.cfg.maxOut > 0 && c.parkedBytes > 0 && c.parkedBytes+n > c.cfg.maxOut) {
		return false, false
	}
	if c.cfg.out != nil && n > 0 {
		over = c.cfg.out.force(n)
	}
	c.parked = append(c.parked, parkedReply{cmd: cmd, charge: n})
	c.parkedBytes += n
	return true, over
}

// drainOutbound runs when the write loop returns: frames still queued or parked are
// dropped, their parts' callbacks called and their bytes given back to the shared budget.
func (c *Conn) drainOutbound() {
	c.omu.Lock()
	c.oexited = true
	charged := c.oshared + c.oshWriting + c.parkedBytes
	c.oqueued, c.owriting, c.oshared, c.oshWriting, c.parkedBytes = 0, 0, 0, 0, 0
	dones := c.odone
	parked := c.parked
	c.odone, c.parked = nil, nil
	c.obuf, c.osegs = nil, nil
	c.omu.Unlock()
	for _, fn := range dones {
		fn()
	}
	for _, p := range parked {
		p.cmd.dropParts()
	}
	if c.cfg.out != nil {
		c.cfg.out.release(charged)
	}
}

func (c *Conn) signalSpace() {
	select {
	case c.space <- struct{}{}:
	default:
	}
}

// OutboundBytes returns the bytes of c's responses queued, being written or parked.
func (c *Conn) OutboundBytes() int64 {
	c.omu.Lock()
	defer c.omu.Unlock()
	return c.oqueued + c.owriting + c.parkedBytes
}

// sharedBytes returns what c holds of the shared outbound budget.
func (c *Conn) sharedBytes() int64 {
	c.omu.Lock()
	defer c.omu.Unlock()
	return c.oshared + c.oshWriting + c.parkedBytes
}

// sendMode says what send does when the outbound queue is full.
type sendMode int

const (
	sendNoWait sendMode = iota // return ErrQueueFull
	sendWait                   // wait for room, up to the stall timeout
	// sendPark parks a response that does not fit this connection's budget, so that the
	// handler's worker never waits for a slow peer; only the shared budget is waited for.
	sendPark
)

// send queues cmd for the write loop. When the queue is full (cfg.maxQueue frames, or
// cfg.maxOut bytes for this connection, or the shared outbound budget), mode decides; a
// sender that waited the whole stall timeout disconnects the slow peer (Warn). Bodies of
// bigBody bytes or more and body parts are referenced, not copied, until written. A frame
// always fits an empty queue, whatever its size.
func (c *Conn) send(cmd *Command, mode sendMode) error {
	var timer *time.Timer
	waited := false
	var freed <-chan struct{}
	shared := false // the last try failed on the shared budget
	c.omu.Lock()
	for {
		if c.closed() || c.oexited {
			c.omu.Unlock()
			cmd.dropParts()
			return ErrConnClosed
		}
		freed, shared = nil, false
		if mode == sendPark && c.tryDirectLocked(cmd) {
			break
		}
		if c.oframes < c.cfg.maxQueue && (mode != sendPark || len(c.parked) == 0) {
			charge, sh, err := c.appendLocked(cmd)
			if err != nil {
				c.omu.Unlock()
				cmd.dropParts()
				return err
			}
			held := c.oqueued + c.owriting
			fits := c.cfg.maxOut <= 0 || held == 0 || held+charge <= c.cfg.maxOut
			if fits && c.cfg.out != nil {
				fits, freed = c.cfg.out.tryAcquire(sh)
				shared = !fits
			}
			if fits {
				c.commitLocked(cmd, charge, sh)
				break
			}
			c.rollbackLocked()
		}
		if mode == sendPark {
			ok, over := c.parkLocked(cmd)
			c.omu.Unlock()
			if !ok { // too much parked: the peer is not reading
				c.closeWith(errSlowPeer)
				cmd.dropParts()
				return ErrConnClosed
			}
			c.wakeWriter()
			if (over || shared) && c.cfg.budgetShort != nil {
				c.cfg.budgetShort()
			}
			return nil
		}
		c.omu.Unlock()
		if shared && c.cfg.budgetShort != nil {
			c.cfg.budgetShort()
		}
		if mode == sendNoWait {
			cmd.dropParts()
			return ErrQueueFull
		}
		if timer == nil {
			timer = time.NewTimer(c.cfg.stall)
			defer timer.Stop()
		}
		select {
		case <-c.space:
		case <-freed: // nil unless the shared budget was short
		case <-c.done:
			cmd.dropParts()
			return ErrConnClosed
		case <-timer.C:
			if shared {
				c.closeWith(errOutboundBudget)
			} else {
				c.closeWith(errSlowPeer)
			}
			cmd.dropParts()
			return ErrConnClosed
		}
		waited = true
		c.omu.Lock()
	}
	room := c.oframes < c.cfg.maxQueue
	queued := c.oframes > 0 // not when tryDirectLocked wrote it all
	c.omu.Unlock()
	switch {
	case !queued:
	case mode == sendPark && c.batching.Load():
		// The read loop wakes the writer at the burst's end; had it just ended, wake it here.
		c.heldWake.Store(true)
		if !c.batching.Load() && c.heldWake.Swap(false) {
			c.wakeWriter()
		}
	default:
		c.wakeWriter()
	}
	if waited && room {
		// Pass the wake-up on to the next sender waiting for room.
		c.signalSpace()
	}
	return nil
}

// maxDirectFrame is the largest response tryDirectLocked writes; maxKeptDirect is the
// largest encoding buffer a connection keeps for the next one (a send's answer takes ~300 B).
const (
	maxDirectFrame = 16 << 10
	maxKeptDirect  = 1 << 10
)

// tryDirectLocked writes cmd (a response) on the caller's goroutine when nothing is queued,
// parked or being written, no burst of requests is being read (batching) and the shared
// outbound budget would take it: one non-blocking
// write, so the caller never waits for the peer.
// It reports false, having written nothing, when that does not apply or the socket took
// nothing (its buffer is full, the write deadline passed, an error the write loop will meet):
// cmd then goes through the queue. What a short write left is queued as the frame's rest.
// c.omu is held.
func (c *Conn) tryDirectLocked(cmd *Command) bool {
	if c.raw == nil || c.oframes != 0 || c.owriting != 0 || len(c.parked) != 0 || len(cmd.parts) != 0 ||
		cmd.written != nil || len(cmd.Body) >= maxDirectFrame || c.batching.Load() {
		return false
	}
	buf, err := AppendFrame(c.dbuf[:0], cmd)
	if err != nil || len(buf) > maxDirectFrame {
		return false // the queue reports the error; a large frame goes through it too
	}
	if cap(buf) <= maxKeptDirect {
		c.dbuf = buf
	}
	if c.cfg.out != nil && !c.cfg.out.fits(int64(len(buf))) {
		return false // the queue's path sheds the stalled holders of the shared budget
	}
	n := 0
	werr := c.raw.Write(func(fd uintptr) bool {
		for { // a raw system call, as rawReader's: the socket is non-blocking
			w, errno := writeFD(fd, buf)
			if errno == syscall.EINTR {
				continue
			}
			if n = w; errno != 0 {
				n = 0
			}
			break
		}
		return true // never wait for the socket: the write loop does that
	})
	if werr != nil || n <= 0 {
		return false
	}
	if rest := buf[n:]; len(rest) > 0 {
		c.obuf = append(c.obuf, rest...) // the queue is empty: the rest goes first
		c.oframes++
		c.oqueued += int64(len(rest))
		if c.cfg.out != nil {
			c.cfg.out.force(int64(len(rest)))
			c.oshared += int64(len(rest))
		}
	}
	return true
}

// endBurst ends a burst of buffered requests: the write loop is woken if a response held
// its wake-up (see send).
func (c *Conn) endBurst() {
	c.batching.Store(false)
	if c.heldWake.Swap(false) {
		c.wakeWriter()
	}
}

func (c *Conn) wakeWriter() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// appendLocked encodes cmd at the end of the outbound queue, tentatively (commitLocked or
// rollbackLocked follows), and returns the bytes it costs.
func (c *Conn) appendLocked(cmd *Command) (charge, shared int64, err error) {
	c.oundo = undo{obuf: len(c.obuf), osegs: len(c.osegs), osegStart: c.osegStart}
	if len(cmd.Body) < bigBody && len(cmd.parts) == 0 {
		c.obuf, err = AppendFrame(c.obuf, cmd)
		n := int64(len(c.obuf) - c.oundo.obuf)
		return n, n, err
	}
	bodyLen := cmd.BodyLen()
	buf, err := appendFrameHead(c.obuf, cmd, bodyLen)
	if err != nil {
		return 0, 0, err
	}
	head := len(buf) - c.oundo.obuf
	c.osegs = append(c.osegs, buf[c.osegStart:])
	if len(cmd.Body) > 0 {
		c.osegs = append(c.osegs, cmd.Body)
	}
	for _, p := range cmd.parts {
		if len(p) > 0 {
			c.osegs = append(c.osegs, p)
		}
	}
	c.osegStart = len(buf)
	c.obuf = buf
	// Parts are mapped memory: they count against the connection's budget, not the shared
	// one, which bounds the heap.
	return int64(head + bodyLen), int64(head + len(cmd.Body)), nil
}

// undo is where the outbound queue ended before appendLocked.
type undo struct{ obuf, osegs, osegStart int }

func (c *Conn) rollbackLocked() {
	u := c.oundo
	c.obuf = c.obuf[:u.obuf]
	clear(c.osegs[u.osegs:])
	c.osegs = c.osegs[:u.osegs]
	c.osegStart = u.osegStart
}

func (c *Conn) commitLocked(cmd *Command, charge, shared int64) {
	c.oframes++
	c.oqueued += charge
	c.oshared += shared
	if cmd.written != nil {
		c.odone = append(c.odone, cmd.written)
		cmd.written = nil
	}
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
	if err := c.send(req, sendWait); err != nil {
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
	if err := c.send(req, sendWait); err != nil {
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
	return c.send(req, sendNoWait)
}
