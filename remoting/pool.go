package remoting

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
)

// group owns goroutines: it starts them only while open and waits for all of them.
type group struct {
	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup
	quit    chan struct{}
}

func newGroup() *group { return &group{quit: make(chan struct{})} }

// start runs every fn in its own goroutine, or none of them (returning false) once the
// group is closing.
func (g *group) start(fns ...func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	for _, fn := range fns {
		g.wg.Go(fn)
	}
	return true
}

// close stops new goroutines and signals quit; it reports whether this call closed it.
func (g *group) close() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	g.closing = true
	close(g.quit)
	return true
}

// Pool is a bounded worker pool that runs handlers for the request codes registered with
// it, so that slow work of one kind (admin) never stalls another (send) nor the read loops.
// When its queue is full, a Server answers SYSTEM_BUSY instead of waiting. A Pool's workers
// belong to the first Server or Client it is registered with and stop when that owner
// shuts down.
type Pool struct {
	name    string
	workers int
	tasks   chan task
	once    sync.Once

	mu      sync.RWMutex // held shared by submitters, exclusively to stop
	stopped bool
}

// NewPool returns a pool of workers goroutines (at least 1) with room for queue waiting
// requests (at least 0).
func NewPool(name string, workers, queue int) *Pool {
	return &Pool{name: name, workers: max(workers, 1), tasks: make(chan task, max(queue, 0))}
}

// Name returns the pool's name.
func (p *Pool) Name() string { return p.name }

// Queued returns how many requests wait for a worker now.
func (p *Pool) Queued() int { return len(p.tasks) }

// task is one unit of pool work: a request for a handler, or a response callback.
type task struct {
	conn *Conn
	req  *Command
	h    Handler
	cb   func(*Command, error)
	err  error
}

func (p *Pool) startOnce(g *group, log *slog.Logger) {
	p.once.Do(func() {
		fns := make([]func(), p.workers)
		for i := range fns {
			fns[i] = func() { p.work(g.quit, log) }
		}
		g.start(fns...)
	})
}

// trySubmit queues t, or reports false when the queue is full or the pool stopped.
func (p *Pool) trySubmit(t task) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.stopped {
		return false
	}
	select {
	case p.tasks <- t:
		return true
	default:
		return false
	}
}

func (p *Pool) work(quit <-chan struct{}, log *slog.Logger) {
	for {
		select {
		case t := <-p.tasks:
			p.run(t, log)
		case <-quit:
			p.stop()
			return
		}
	}
}

// stop refuses new tasks and runs the response callbacks still queued, so that every
// callback is called exactly once; queued requests are dropped (their connections are
// closing).
func (p *Pool) stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	for {
		select {
		case t := <-p.tasks:
			if t.cb != nil {
				t.cb(t.req, t.err)
			}
		default:
			return
		}
	}
}

func (p *Pool) run(t task, log *slog.Logger) {
	if t.cb != nil {
		t.cb(t.req, t.err)
		return
	}
	serveRequest(t.conn, t.h, t.req, log)
}

// serveRequest runs h for req and sends its response, if any. A panicking handler is
// answered with SYSTEM_ERROR, as Java answers an exception.
func serveRequest(c *Conn, h Handler, req *Command, log *slog.Logger) {
	resp := callHandler(c, h, req, log)
	if resp == nil {
		return
	}
	if err := c.Reply(req, resp); err != nil && err != ErrConnClosed {
		log.Warn("send response", "remote", c.remote, "code", req.Code, "opaque", req.Opaque, "err", err)
	}
}

// Reply sends resp as the answer to req, which was received on c: the opaque, RESPONSE flag
// and serialisation come from req. Handlers that answer later (a held long-poll pull) return
// nil from Serve and call Reply when the answer is ready. A oneway req gets nothing.
func (c *Conn) Reply(req, resp *Command) error {
	if req.IsOneway() {
		resp.dropParts()
		return nil
	}
	resp.Opaque = req.Opaque
	resp.Flag |= FlagResponse
	resp.Serialize = req.Serialize
	return c.send(resp, sendPark)
}

func callHandler(c *Conn, h Handler, req *Command, log *slog.Logger) (resp *Command) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("handler panic", "remote", c.remote, "code", req.Code, "err", r, "stack", string(debug.Stack()))
			resp = NewResponse(req, CodeSystemError, fmt.Sprint(r))
		}
	}()
	return h.Serve(c.ctx, c, req)
}

// Handler serves one request received on c. It returns the response, or nil to send
// nothing. The response's opaque, RESPONSE flag and serialize type are set from req.
type Handler interface {
	Serve(ctx context.Context, c *Conn, req *Command) *Command
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c *Conn, req *Command) *Command

// Serve calls f.
func (f HandlerFunc) Serve(ctx context.Context, c *Conn, req *Command) *Command {
	return f(ctx, c, req)
}

var _ Handler = HandlerFunc(nil)
