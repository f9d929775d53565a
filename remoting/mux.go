package remoting

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// route is the handler registered for one request code and the pool it runs on.
type route struct {
	h      Handler
	pool   *Pool
	inline bool // run on the read goroutine while the pool has no backlog (Inline)
	raw    bool // extFields as pairs (RawExt)
}

// mux maps request codes to handlers. The table is copied on write, so the read loops look
// it up without a lock.
type mux struct {
	log    *slog.Logger
	g      *group
	def    *Pool
	mu     sync.Mutex
	routes atomic.Pointer[map[int16]route]

	lastBusyWarn atomic.Int64 // unix nanos of the last "pool full" warning
}

func newMux(log *slog.Logger, g *group, def *Pool) *mux {
	m := &mux{log: log, g: g, def: def}
	m.routes.Store(&map[int16]route{})
	return m
}

func (m *mux) handle(code int16, h Handler, p *Pool, inline, raw bool) {
	if p == nil {
		p = m.def
	}
	p.startOnce(m.g, m.log)
	m.mu.Lock()
	defer m.mu.Unlock()
	next := maps.Clone(*m.routes.Load())
	next[code] = route{h: h, pool: p, inline: inline, raw: raw}
	m.routes.Store(&next)
}

// rawExt reports whether requests with code go to a RawExt route.
func (m *mux) rawExt(code int16) bool {
	r, ok := (*m.routes.Load())[code]
	return ok && r.raw
}

// inline reports whether requests with code go to an Inline route: their bodies and pairs
// may be lent (interner.lendFor); dispatch copies them when they go to the pool after all.
func (m *mux) inline(code int16) bool {
	r, ok := (*m.routes.Load())[code]
	return ok && r.inline
}

// The remarks Java's NettyRemotingAbstract answers with.
const (
	remarkOverload = "[OVERLOAD]system busy, start flow control for a while"
)

// dispatch hands a request read on c to its pool. It runs in c's read loop and blocks on
// no handler but an Inline one while its pool has no backlog: a full pool is answered with
// SYSTEM_BUSY, an unknown code with REQUEST_CODE_NOT_SUPPORTED.
func (m *mux) dispatch(c *Conn, req *Command) {
	if m.log.Enabled(context.Background(), slog.LevelDebug) {
		m.log.Debug("request", "remote", c.remote, "code", req.Code, "opaque", req.Opaque, "flag", req.Flag)
	}
	r, ok := (*m.routes.Load())[req.Code]
	if !ok {
		m.reply(c, req, CodeRequestCodeNotSupported, " request type "+strconv.Itoa(int(req.Code))+" not supported")
		return
	}
	if r.inline && r.pool.Queued() == 0 {
		serveInline(c, r.h, req, m.log)
		return
	}
	req.own() // the worker reads it after the read loop has moved on
	if !r.pool.trySubmit(task{conn: c, req: req, h: r.h}) {
		if now := time.Now().UnixNano(); now-m.lastBusyWarn.Load() > int64(time.Second) {
			m.lastBusyWarn.Store(now)
			m.log.Warn("pool full, request rejected", "remote", c.remote, "code", req.Code, "pool", r.pool.name)
		}
		m.reply(c, req, CodeSystemBusy, remarkOverload)
	}
}

// serveInline serves req on the read goroutine. A lent body and pairs are valid only until
// the handler returns: a response that carries the body gets a copy, and req loses both, so
// that anything that kept req (an answer sent later) cannot read the next frame's in their
// place.
func serveInline(c *Conn, h Handler, req *Command, log *slog.Logger) {
	if !req.lent && !req.lentPairs {
		serveRequest(c, h, req, log)
		return
	}
	resp := callHandler(c, h, req, log)
	if resp != nil && overlaps(resp.Body, req.Body) {
		resp.Body = bytes.Clone(resp.Body)
	}
	if req.lent {
		req.Body, req.lent = nil, false
	}
	if req.lentPairs {
		req.pairs, req.lentPairs = nil, false
	}
	if resp != nil {
		replyServed(c, req, resp, log)
	}
}

// overlaps reports whether a and b share memory.
func overlaps(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	pa, pb := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(len(b)) && pb < pa+uintptr(len(a))
}

func (m *mux) reply(c *Conn, req *Command, code int16, remark string) {
	if req.IsOneway() {
		return
	}
	if err := c.send(NewResponse(req, code, remark), sendPark); err != nil && err != ErrConnClosed {
		m.log.Warn("send response", "remote", c.remote, "code", req.Code, "err", err)
	}
}
