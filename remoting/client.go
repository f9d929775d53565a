package remoting

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ClientConfig configures a Client. Zero values mean the defaults.
type ClientConfig struct {
	// Logger receives the client's logs; nil discards them.
	Logger *slog.Logger
	// DialTimeout bounds connecting to an address (default 15 s, as the Go client), within
	// the caller's ctx.
	DialTimeout time.Duration
	// MaxFrameSize is the largest frame accepted, in bytes (default MaxFrameSize, 16 MiB).
	MaxFrameSize int
	// OutboundQueue is the number of frames queued for writing per connection (default 4096).
	OutboundQueue int
	// Credentials, when set, sign every request the client sends (ACL v1).
	Credentials *Credentials
	// TLS, when set, wraps every connection in TLS (ClientTLS builds one).
	TLS *tls.Config
	// InlineCallbacks runs InvokeAsync callbacks on the connection's read goroutine instead
	// of a client worker: one goroutine hand-off less per response (a load generator's
	// choice). Callbacks must then be short and must not block, nor wait for another
	// response on the same connection (no InvokeSync, no InvokeAsync that may wait for room).
	InlineCallbacks bool
}

const (
	defaultDialTimeout   = 15 * time.Second
	clientPoolWorkers    = 4
	clientPoolQueue      = 1024
	clientCallbackQueue  = 4096
	clientCallbackWorker = 2
)

// Client sends requests to remoting servers, one connection per address, created on first
// use and re-created on the next call after it fails. It also serves requests the servers
// send back on those connections (Handle).
type Client struct {
	log    *slog.Logger
	cfg    ClientConfig
	g      *group
	mux    *mux
	conf   connConfig
	dialer net.Dialer

	opaque atomic.Int32
	nextID atomic.Uint64

	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	conns  map[string]*clientConn
	closed bool
}

// clientConn is the connection slot of one address; mu serialises dialing.
type clientConn struct {
	mu sync.Mutex
	c  atomic.Pointer[Conn]
}

// NewClient returns a Client. Close it to stop its connections and workers.
func NewClient(cfg ClientConfig) *Client {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The owner has already named its component on the logger.
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = defaultDialTimeout
	}
	c := &Client{
		log:   log,
		cfg:   cfg,
		g:     newGroup(),
		conns: make(map[string]*clientConn),
	}
	c.dialer.Timeout = cfg.DialTimeout
	c.ctx, c.cancel = context.WithCancel(context.Background())
	handlers := NewPool("client", clientPoolWorkers, clientPoolQueue)
	var callbacks *Pool // nil runs callbacks in the read loop
	if !cfg.InlineCallbacks {
		callbacks = NewPool("callbacks", clientCallbackWorker, clientCallbackQueue)
		callbacks.startOnce(c.g, log)
	}
	c.mux = newMux(log, c.g, handlers)
	c.conf = connConfig{
		log:       log,
		mux:       c.mux,
		callbacks: callbacks,
		opaque:    &c.opaque,
		maxFrame:  cfg.MaxFrameSize,
		maxQueue:  cfg.OutboundQueue,
		stall:     defaultStallTimeout,
		parent:    c.ctx,
	}
	if c.conf.maxFrame <= 0 {
		c.conf.maxFrame = MaxFrameSize
	}
	if c.conf.maxQueue <= 0 {
		c.conf.maxQueue = defaultOutboundQueue
	}
	return c
}

// Handle registers h for requests with the given code that servers send to this client.
// The reply goes back with the request's opaque and the RESPONSE flag, unless the request
// was oneway or h returned nil.
func (c *Client) Handle(code int16, h Handler) {
	c.mux.handle(code, h, nil, false, false)
}

// Conn returns the connection to addr, dialing it if there is none or the last one closed.
func (c *Client) Conn(ctx context.Context, addr string) (*Conn, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClientClosed
	}
	slot := c.conns[addr]
	if slot == nil {
		slot = new(clientConn)
		c.conns[addr] = slot
	}
	c.mu.Unlock()
	if conn := slot.c.Load(); conn != nil && !conn.closed() {
		return conn, nil
	}
	slot.mu.Lock()
	defer slot.mu.Unlock()
	if conn := slot.c.Load(); conn != nil && !conn.closed() {
		return conn, nil
	}
	nc, err := c.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("remoting: dial %s: %w", addr, err)
	}
	if c.cfg.TLS != nil {
		if nc, err = dialTLS(ctx, nc, c.cfg.TLS, addr); err != nil {
			return nil, err
		}
	}
	conn := newConn(c.nextID.Add(1), nc, &c.conf)
	if !conn.run(c.g) {
		return nil, ErrClientClosed
	}
	slot.c.Store(conn)
	c.log.Debug("connected", "addr", addr, "local", conn.local)
	return conn, nil
}

// InvokeSync sends req to addr and waits for its response until ctx is done. When ctx
// expires the call is forgotten; a late response is dropped. It sets req.Opaque.
func (c *Client) InvokeSync(ctx context.Context, addr string, req *Command) (*Command, error) {
	c.sign(req)
	conn, err := c.Conn(ctx, addr)
	if err != nil {
		return nil, err
	}
	resp, err := conn.InvokeSync(ctx, req)
	if err == ErrConnClosed {
		return nil, fmt.Errorf("remoting: code %d to %s: %w", req.Code, addr, err)
	}
	return resp, err
}

// InvokeAsync sends req to addr and returns; cb is called exactly once, from a client
// worker, with the response or an error (ctx done, connection closed). If InvokeAsync
// returns an error, cb is not called.
func (c *Client) InvokeAsync(ctx context.Context, addr string, req *Command, cb func(*Command, error)) error {
	c.sign(req)
	conn, err := c.Conn(ctx, addr)
	if err != nil {
		return err
	}
	return conn.invokeAsync(ctx, req, cb)
}

// InvokeOneway sends req to addr with the ONEWAY flag and does not wait for a response.
func (c *Client) InvokeOneway(ctx context.Context, addr string, req *Command) error {
	c.sign(req)
	conn, err := c.Conn(ctx, addr)
	if err != nil {
		return err
	}
	return conn.InvokeOneway(req)
}

// sign adds the ACL signature when the client has credentials.
func (c *Client) sign(req *Command) {
	if c.cfg.Credentials != nil {
		c.cfg.Credentials.Sign(req)
	}
}

// Close closes every connection (pending calls fail with ErrConnClosed), stops the
// workers and waits for all goroutines. It is safe to call more than once.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.g.wg.Wait()
		return nil
	}
	c.closed = true
	slots := c.conns
	c.mu.Unlock()
	c.g.close()
	c.cancel()
	for _, slot := range slots {
		slot.mu.Lock()
		if conn := slot.c.Load(); conn != nil {
			conn.closeWith(ErrConnClosed)
		}
		slot.mu.Unlock()
	}
	c.g.wg.Wait()
	return nil
}
