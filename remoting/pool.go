package remoting

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
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
//
// The queue is a ring that grows as requests wait (up to the capacity) and is dropped once
// it drains after a burst, so an idle pool holds no room for its capacity (a channel of
// tasks would allocate all of it up front: ~0.9 MB for 16384 tasks). Workers wait on ready,
// which holds one token per queued task and, its elements being empty, allocates nothing.
//
// Workers start as they are needed, up to the pool's size: one when the pool gets its owner,
// another whenever a request is queued and fewer workers wait than requests are queued, so an
// idle server holds a few goroutines rather than every pool's full complement.
type Pool struct {
	name    string
	workers int
	limit   int           // queue capacity (at least 1)
	ready   chan struct{} // a token per queued task; never more tokens than tasks
	once    sync.Once
	waiting atomic.Int32 // workers blocked waiting for a token (or just handed one)
	queued  atomic.Int32 // n, readable without mu (Inline asks it on every request)

	mu      sync.Mutex
	stopped bool
	q       []task // ring of queued tasks; len(q) is 0 or a power of two
	head    int
	n       int          // queued tasks
	owner   *group       // set by startOnce; nil until the pool is registered
	log     *slog.Logger // the owner's
	spawned int          // workers started
}

// poolRingMin is the ring's first size; poolRingKeep is the largest ring kept once empty.
const (
	poolRingMin  = 16
	poolRingKeep = 256
)

// NewPool returns a pool of workers goroutines (at least 1) with room for queue waiting
// requests (at least 1).
func NewPool(name string, workers, queue int) *Pool {
	queue = max(queue, 1)
	return &Pool{name: name, workers: max(workers, 1), limit: queue, ready: make(chan struct{}, queue)}
}

// Name returns the pool's name.
func (p *Pool) Name() string { return p.name }

// Queued returns how many requests wait for a worker now.
func (p *Pool) Queued() int { return int(p.queued.Load()) }

// task is one unit of pool work: a request for a handler, or a response callback.
type task struct {
	conn *Conn
	req  *Command
	h    Handler
	cb   func(*Command, error)
	err  error
}

// startOnce gives the pool its owner and starts its first worker (the one that runs the
// queued response callbacks at shutdown, however few requests came).
func (p *Pool) startOnce(g *group, log *slog.Logger) {
	p.once.Do(func() {
		p.mu.Lock()
		p.owner, p.log, p.spawned = g, log, 1
		p.mu.Unlock()
		g.start(func() { p.work(g.quit, log) })
	})
}

// trySubmit queues t, or reports false when the queue is full or the pool stopped.
func (p *Pool) trySubmit(t task) bool {
	p.mu.Lock()
	if p.stopped || p.n >= p.limit {
		p.mu.Unlock()
		return false
	}
	if p.n == len(p.q) {
		p.growLocked()
	}
	p.q[(p.head+p.n)&(len(p.q)-1)] = t
	p.n++
	p.queued.Store(int32(p.n))
	// A worker that stopped waiting takes a task before it waits again, so when as many
	// workers wait as tasks are queued, each queued task has one.
	g, log := p.owner, p.log
	spawn := g != nil && p.spawned < p.workers && int(p.waiting.Load()) < p.n
	if spawn {
		p.spawned++
	}
	p.mu.Unlock()
	p.ready <- struct{}{} // never blocks: tokens <= queued tasks <= limit = cap(ready)
	if spawn {
		g.start(func() { p.work(g.quit, log) }) // refused once the owner closes: nothing to run then
	}
	return true
}

// growLocked doubles the ring (p.mu held), keeping the queued tasks in order.
func (p *Pool) growLocked() {
	q := make([]task, max(2*len(p.q), poolRingMin))
	for i := range p.n {
		q[i] = p.q[(p.head+i)&(len(p.q)-1)]
	}
	p.q, p.head = q, 0
}

// take removes the oldest queued task; false when there is none (the pool stopped).
func (p *Pool) take() (task, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		return task{}, false
	}
	t := p.q[p.head]
	p.q[p.head] = task{}
	p.head = (p.head + 1) & (len(p.q) - 1)
	p.n--
	p.queued.Store(int32(p.n))
	if p.n == 0 && len(p.q) > poolRingKeep {
		p.q, p.head = nil, 0 // a burst is over: give its room back
	}
	return t, true
}

func (p *Pool) work(quit <-chan struct{}, log *slog.Logger) {
	for {
		p.waiting.Add(1)
		select {
		case <-p.ready:
			p.waiting.Add(-1)
			if t, ok := p.take(); ok {
				p.run(t, log)
			}
		case <-quit:
			p.waiting.Add(-1)
			p.stop()
			return
		}
	}
}

// started returns how many workers the pool started.
func (p *Pool) started() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.spawned
}

// stop refuses new tasks and runs the response callbacks still queued, so that every
// callback is called exactly once; queued requests are dropped (their connections are
// closing).
func (p *Pool) stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	for {
		t, ok := p.take()
		if !ok {
			return
		}
		if t.cb != nil {
			t.cb(t.req, t.err)
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
	if resp := callHandler(c, h, req, log); resp != nil {
		replyServed(c, req, resp, log)
	}
}

// replyServed sends a handler's response, logging a failure other than a closed connection.
func replyServed(c *Conn, req, resp *Command, log *slog.Logger) {
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
