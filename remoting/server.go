package remoting

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ServerConfig configures a Server. Zero values mean the defaults.
type ServerConfig struct {
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// MaxFrameSize is the largest frame accepted, in bytes (default MaxFrameSize, 16 MiB).
	MaxFrameSize int
	// OutboundQueue is the number of frames queued for writing per connection before
	// senders wait (default 4096). A peer whose queue stays full for 10 s is disconnected.
	OutboundQueue int
	// IdleTimeout closes connections that send nothing for this long (default 120 s, as
	// Java's serverChannelMaxIdleTimeSeconds; negative disables).
	IdleTimeout time.Duration
	// TLS, when set, is used as TLSMode says (tls.go); nil serves plain connections.
	TLS     *tls.Config
	TLSMode TLSMode
	// MaxConnections is the most connections open at once; more are closed at accept
	// (default DefaultMaxConnections(), from the open-file limit; negative: no limit).
	MaxConnections int
	// ConnOutboundBytes bounds one connection's responses waiting to be written, in bytes
	// (default DefaultConnOutboundBytes; negative: no limit). A response that does not fit
	// waits for the peer to read; after 10 s the peer is disconnected as slow.
	ConnOutboundBytes int64
	// OutboundBytes bounds all connections' responses waiting to be written, in bytes
	// (default DefaultOutboundBytes; negative: no limit).
	OutboundBytes int64
	// InboundBytes bounds the frames of 16 KiB or more being received at once, in bytes
	// (default DefaultInboundBytes; negative: no limit). Such a frame reserves its length
	// before its body is read; connections whose reserved frame stalled for a second are
	// closed while others wait, and one that cannot reserve within 10 s closes its own.
	InboundBytes int64
}

// orDefault maps 0 to def and negative values to 0 (no limit).
func orDefault[T int | int64](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

const (
	defaultIdleTimeout = 120 * time.Second
	defaultPoolWorkers = 16
	defaultPoolQueue   = 4096
)

// Server accepts remoting connections and serves requests with the handler registered for
// their code. Requests run on worker pools, never in the read loops.
type Server struct {
	log  *slog.Logger
	g    *group
	mux  *mux
	conf connConfig

	tls     *tls.Config
	tlsMode TLSMode

	opaque atomic.Int32
	nextID atomic.Uint64

	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	lns       []net.Listener // every listener Serve was called with, in order
	conns     map[*Conn]struct{}
	onConnect []func(*Conn)
	onClose   []func(*Conn)

	shut atomic.Bool
	done chan struct{}

	maxConns     int
	lastShed     atomic.Int64 // unix nanos of the last shedOutbound scan
	lastShedIn   atomic.Int64 // unix nanos of the last shedInbound scan
	refused      atomic.Int64
	lastRefusedW atomic.Int64 // unix nanos of the last "too many connections" warning
}

// HandleOption modifies how Handle registers a handler.
type HandleOption func(*route)

// WithPool runs the handler on p instead of the server's default pool.
func WithPool(p *Pool) HandleOption {
	return func(r *route) { r.pool = p }
}

// Inline runs the handler on the connection's read goroutine while its pool has no request
// waiting, instead of handing the request to a worker: one goroutine hand-off less per
// request. The connection reads nothing more until the handler returns, so only handlers
// that never wait long — and never for a response on a connection — may be inline; when the
// pool has a backlog the request queues behind it as usual.
//
// An Inline handler's req.Body may be lent: read in place in the connection's read buffer,
// it is valid only until the handler returns (the next frame is read into the same memory).
// The handler must copy whatever it keeps of it past its return (a body it hands to a
// goroutine, a queue or a timer); a response whose Body shares it is copied before it is
// sent, and req.Body is set to nil when the handler returns. The same holds for the
// extFields pairs of a RawExt route (read with Ext, LookupExt, ExtAll): read them, or
// LoadExt, before returning; the strings read are the handler's to keep. A request that
// waits for the pool gets its own.
func Inline() HandleOption {
	return func(r *route) { r.inline = true }
}

// RawExt delivers the route's requests with their extFields as pairs read through
// Command.Ext and LookupExt, without building the ExtFields map (one map per request less on
// the hot path). A handler of such a route that reads ExtFields directly, or hands the
// request to code that does, calls Command.LoadExt first.
func RawExt() HandleOption {
	return func(r *route) { r.raw = true }
}

// NewServer returns a Server; it starts serving when Serve is called.
func NewServer(cfg ServerConfig) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The owner (namesrv, broker) has already named its component on the logger.
	idle := cfg.IdleTimeout
	switch {
	case idle == 0:
		idle = defaultIdleTimeout
	case idle < 0:
		idle = 0
	}
	s := &Server{
		log:   log,
		g:     newGroup(),
		conns: make(map[*Conn]struct{}),
		done:  make(chan struct{}),
	}
	s.tls, s.tlsMode = cfg.TLS, cfg.TLSMode
	s.ctx, s.cancel = context.WithCancel(context.Background())
	def := NewPool("default", defaultPoolWorkers, defaultPoolQueue)
	s.mux = newMux(log, s.g, def)
	s.conf = connConfig{
		log:       log,
		mux:       s.mux,
		callbacks: def,
		opaque:    &s.opaque,
		maxFrame:  cfg.MaxFrameSize,
		maxQueue:  cfg.OutboundQueue,
		idle:      idle,
		stall:     defaultStallTimeout,
		onOpen:    s.connOpened,
		onExit:    s.connClosed,
		parent:    s.ctx,
	}
	if s.conf.maxFrame <= 0 {
		s.conf.maxFrame = MaxFrameSize
	}
	if s.conf.maxQueue <= 0 {
		s.conf.maxQueue = defaultOutboundQueue
	}
	s.conf.maxOut = orDefault(cfg.ConnOutboundBytes, DefaultConnOutboundBytes)
	s.conf.out = newBudget(orDefault(cfg.OutboundBytes, DefaultOutboundBytes))
	s.conf.in = newBudget(orDefault(cfg.InboundBytes, DefaultInboundBytes))
	if s.conf.out != nil {
		s.conf.budgetShort = s.shedOutbound
	}
	if s.conf.in != nil {
		s.conf.inboundShort = s.shedInbound
	}
	s.maxConns = cfg.MaxConnections
	if s.maxConns == 0 {
		s.maxConns = DefaultMaxConnections()
	}
	return s
}

// Handle registers h for requests with the given code, replacing any earlier handler. It
// may be called while serving.
func (s *Server) Handle(code int16, h Handler, opts ...HandleOption) {
	var r route
	for _, o := range opts {
		o(&r)
	}
	s.mux.handle(code, h, r.pool, r.inline, r.raw)
}

// OnConnect registers fn to run when a connection opens, before its first request is read.
func (s *Server) OnConnect(fn func(*Conn)) {
	s.mu.Lock()
	s.onConnect = append(s.onConnect, fn)
	s.mu.Unlock()
}

// OnClose registers fn to run once after a connection closed (for any reason, including
// Shutdown). The NameServer drops brokers, the broker unregisters clients.
func (s *Server) OnClose(fn func(*Conn)) {
	s.mu.Lock()
	s.onClose = append(s.onClose, fn)
	s.mu.Unlock()
}

func (s *Server) connOpened(c *Conn) {
	s.mu.Lock()
	hooks := s.onConnect
	s.mu.Unlock()
	for _, fn := range hooks {
		fn(c)
	}
}

func (s *Server) connClosed(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	hooks := s.onClose
	s.mu.Unlock()
	for _, fn := range hooks {
		fn(c)
	}
}

// Serve accepts connections on ln until Shutdown, then returns nil. Other accept errors
// are returned; temporary ones are retried with a backoff. Serve may be called on several
// listeners at once (a broker's main and VIP ports): all share the handlers, and Shutdown
// closes them all.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.lns = append(s.lns, ln)
	s.mu.Unlock()
	// Serve runs in the caller's goroutine; count it so Shutdown waits for it to return.
	s.g.mu.Lock()
	if s.g.closing {
		s.g.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.g.wg.Add(1)
	s.g.mu.Unlock()
	defer s.g.wg.Done()
	s.log.Debug("listening", "addr", ln.Addr().String())
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shut.Load() {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accept", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
				continue
			case <-s.g.quit:
				return nil
			}
		}
		backoff = 0
		s.startConn(nc)
	}
}

func (s *Server) startConn(nc net.Conn) {
	s.mu.Lock()
	if s.maxConns > 0 && len(s.conns) >= s.maxConns {
		s.mu.Unlock()
		s.refuse(nc)
		return
	}
	c := newConn(s.nextID.Add(1), s.wrapTLS(nc), &s.conf)
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	if !c.run(s.g) {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}
}

// refuse closes a connection accepted over MaxConnections, with a Warn at most once a
// second (the count says how many were refused).
func (s *Server) refuse(nc net.Conn) {
	n := s.refused.Add(1) // before the close: a peer that sees it closed sees it counted
	nc.Close()
	if now := time.Now().UnixNano(); now-s.lastRefusedW.Load() > int64(time.Second) {
		s.lastRefusedW.Store(now)
		s.log.Warn("too many connections, new ones closed", "remote", nc.RemoteAddr().String(),
			"max_connections", s.maxConns, "refused_total", n)
	}
}

// shedOutbound runs when a response finds the shared outbound budget short. Connections
// whose current write has been blocked for a second (the peer stopped reading) are closed,
// largest holder first, until the budget would be back under 7/8 of its limit; it scans at
// most every 100 ms. Peers that stopped reading cannot keep the budget from the others.
func (s *Server) shedOutbound() {
	now := time.Now().UnixNano()
	last := s.lastShed.Load()
	if now-last < int64(100*time.Millisecond) || !s.lastShed.CompareAndSwap(last, now) {
		return
	}
	type holder struct {
		c *Conn
		n int64
	}
	var stalled []holder
	s.mu.Lock()
	for c := range s.conns {
		if since := c.writingSince.Load(); since == 0 || now-since < int64(time.Second) {
			continue
		}
		if n := c.sharedBytes(); n > 0 {
			stalled = append(stalled, holder{c, n})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(stalled, func(a, b holder) int { return cmp.Compare(b.n, a.n) })
	b := s.conf.out
	excess := b.used.Load() - b.limit*7/8
	for _, h := range stalled {
		if excess <= 0 {
			break
		}
		h.c.closeWith(errOutboundBudget)
		excess -= h.n
	}
}

// shedInbound runs while a frame of n bytes waits for the inbound budget: connections whose
// reserved frame has received nothing for a second are closed, largest reservation first,
// until n would fit; it scans at most every 100 ms. A peer that sends part of a large frame
// and stops cannot keep the budget from frames that are arriving.
func (s *Server) shedInbound(n int64) {
	now := time.Now().UnixNano()
	last := s.lastShedIn.Load()
	if now-last < int64(100*time.Millisecond) || !s.lastShedIn.CompareAndSwap(last, now) {
		return
	}
	type holder struct {
		c *Conn
		n int64
	}
	var stalled []holder
	s.mu.Lock()
	for c := range s.conns {
		r := c.inReserved.Load()
		if r > 0 && now-c.lastRead.Load() >= int64(time.Second) {
			stalled = append(stalled, holder{c, r})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(stalled, func(a, b holder) int { return cmp.Compare(b.n, a.n) })
	b := s.conf.in
	need := b.used.Load() + n - b.limit
	for _, h := range stalled {
		if need <= 0 {
			break
		}
		h.c.closeWith(errStalledFrame)
		need -= h.n
	}
}

// Addr returns the first listener's address, or nil before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lns) == 0 {
		return nil
	}
	return s.lns[0].Addr()
}

// Conns returns the open connections.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Shutdown stops accepting, closes every connection, stops the worker pools and waits for
// all goroutines (OnClose hooks included), or returns ctx's error when ctx is done first.
// It is safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.shut.CompareAndSwap(false, true) {
		s.g.close()
		s.cancel()
		s.mu.Lock()
		lns := s.lns
		conns := make([]*Conn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.mu.Unlock()
		for _, ln := range lns {
			ln.Close()
		}
		for _, c := range conns {
			c.closeWith(ErrConnClosed)
		}
		go func() {
			s.g.wg.Wait()
			s.log.Debug("shutdown complete")
			close(s.done)
		}()
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
