package bench

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

func consume(ctx context.Context, o *Options) (Result, error) {
	targets, err := queues(ctx, o, false, false)
	if err != nil {
		return Result{}, err
	}
	keys, err := openKeyLog(o.KeysFile)
	if err != nil {
		return Result{}, err
	}
	s := newStats()
	runCtx, stop := runContext(ctx, o)
	defer stop()
	start := time.Now()
	defer startTicker(runCtx, o, s, start)()
	// One connection per broker, read and written by one goroutine that keeps every queue
	// of that broker pulled (pullConn).
	byAddr := map[string][]admin.WriteQueue{}
	var addrs []string
	for _, t := range targets {
		if byAddr[t.Addr] == nil {
			addrs = append(addrs, t.Addr)
		}
		byAddr[t.Addr] = append(byAddr[t.Addr], t)
	}
	var wg sync.WaitGroup
	var drained atomic.Int64
	queueDrained := func() {
		if drained.Add(1) == int64(len(targets)) {
			stop()
		}
	}
	for _, addr := range addrs {
		wg.Go(func() { drainBroker(runCtx, o, s, keys, addr, byAddr[addr], queueDrained) })
	}
	if o.Count > 0 {
		// --count: stop once enough were pulled.
		wg.Go(func() {
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-tick.C:
				}
				if s.msgs.Load() >= o.Count {
					stop()
					return
				}
			}
		})
	}
	wg.Wait()
	if err := keys.close(); err != nil {
		return Result{}, err
	}
	return s.result(ModeConsume, time.Since(start)), nil
}

// pullFlagSubscription (PullSysFlag FLAG_SUBSCRIPTION) makes the broker use the request's
// subscription, so a pull needs no heartbeat first.
const pullFlagSubscription = 0x4

// pullTimeout fails a connection that has pulls in flight and cannot write them or receives
// nothing for so long.
const pullTimeout = 30 * time.Second

// span is a range of queue offsets [from, to).
type span struct{ from, to int64 }

// pullQueue is the pull state of one queue, drained from offset 0 until the broker says
// nothing is new, with up to Options.Pulls pulls in flight. ConsumeQueue offsets are dense,
// so the pulls ask for the consecutive ranges [k·batch, (k+1)·batch) without waiting for
// each other's answer; an answer that stops short of its range (the broker's byte or count
// cap) leaves a gap that is asked for next, and the first range past the end
// (PULL_NOT_FOUND, or OFFSET_MOVED back to the max offset) bounds the queue: it is drained
// once nothing below that is missing.
type pullQueue struct {
	t         admin.WriteQueue
	gaps      []span
	next, end int64 // end: the queue's max offset once a pull found it, else -1
	inflight  int
	retries   int           // PULL_RETRY_IMMEDIATELY answers in a row
	stopped   bool          // failed: no more pulls
	done      bool          // reported drained
	tpl       *pullTemplate // nil: each pull's header is encoded
}

// maxRetries bounds PULL_RETRY_IMMEDIATELY answers in a row: a slave that does not check
// offsets answers a range past the end this way, and would never tell where the queue ends.
const maxRetries = 1000

// nextSpan is the next range to ask for: a gap first, then a fresh range below the end.
func (q *pullQueue) nextSpan(batch int) (span, bool) {
	switch {
	case q.stopped:
	case len(q.gaps) > 0:
		r := q.gaps[len(q.gaps)-1]
		q.gaps = q.gaps[:len(q.gaps)-1]
		return r, true
	case q.end < 0 || q.next < q.end:
		r := span{q.next, q.next + int64(batch)}
		q.next = r.to
		return r, true
	}
	return span{}, false
}

// answer updates q with the answer to a pull of r: its code and nextBeginOffset. It returns
// an error (and stops the queue) for a code that ends the queue's pulls.
func (q *pullQueue) answer(r span, code protocol.ResponseCode, nb int64, fail func() error) error {
	switch code {
	case protocol.Success:
		q.retries = 0
		if nb > r.from && nb < r.to {
			q.gaps = append(q.gaps, span{nb, r.to})
		}
	case protocol.PullRetryImmediately:
		if q.retries++; q.retries > maxRetries {
			q.stopped = true
			return fmt.Errorf("queue %d: %d PULL_RETRY_IMMEDIATELY answers in a row", q.t.QueueID, q.retries)
		}
		if q.end < 0 || r.from < q.end {
			q.gaps = append(q.gaps, r)
		}
	case protocol.PullNotFound, protocol.PullOffsetMoved:
		switch {
		case nb <= r.from: // nothing from here on: the queue ends at nb
			if q.end < 0 || nb < q.end {
				q.end = nb
			}
		case nb < r.to: // the range's head is gone (retention): the rest is still to read
			q.gaps = append(q.gaps, span{nb, r.to})
		}
	default:
		q.stopped = true
		return fail()
	}
	return nil
}

// inflightPull is a pull waiting for its answer.
type inflightPull struct {
	q     *pullQueue
	r     span
	began time.Time
}

// pullConn drains the queues of one broker over one connection of its own, from one
// goroutine: it writes the pulls of every queue, reads the answers in place in its read
// buffer (no copy, nothing allocated per message), walks each answer's records and asks
// for the next ranges. Requests are written in one batch whenever the next answer is not
// already buffered.
type pullConn struct {
	o       *Options
	s       *stats
	keys    *keyLog
	queues  []*pullQueue
	drained func() // called once per queue when it is drained (or stopped)

	rd      frameReader
	dec     remoting.FrameDecoder
	resp    remoting.Command // the answer being handled
	now     time.Time        // when the answer being handled was read: one clock read an answer
	out     []byte           // requests not yet written
	ext     map[string]string
	opaque  int32
	pending map[int32]inflightPull
}

func newPullConn(o *Options, s *stats, keys *keyLog, qs []admin.WriteQueue, drained func()) *pullConn {
	p := &pullConn{o: o, s: s, keys: keys, drained: drained, ext: make(map[string]string, 16),
		pending: make(map[int32]inflightPull, len(qs)*o.Pulls)}
	for _, t := range qs {
		q := &pullQueue{t: t, end: -1}
		q.tpl = newPullTemplate(o, q)
		p.queues = append(p.queues, q)
	}
	return p
}

// run dials addr and pulls until every queue is drained; it returns early with ctx's end
// (the connection is closed then) or the first connection error.
func (p *pullConn) run(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: p.o.Timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("bench: dial %s: %w", addr, err)
	}
	defer nc.Close()
	defer context.AfterFunc(ctx, func() { nc.Close() })()
	r, w, _ := remoting.RawIO(nc) // as sendConn's
	p.rd.reset(r, false)
	p.now = time.Now()
	for _, q := range p.queues {
		if err := p.fill(ctx, q); err != nil {
			return err
		}
	}
	var armed time.Time
	for len(p.pending) > 0 {
		if p.now.Sub(armed) > time.Second {
			armed = p.now
			if err := nc.SetDeadline(p.now.Add(pullTimeout)); err != nil {
				return err
			}
		}
		frame, err := p.rd.roundTrip(w, &p.out)
		if err != nil {
			return fmt.Errorf("bench: pull from %s: %w", addr, err)
		}
		p.now = time.Now()
		if err := p.handle(ctx, frame); err != nil {
			return fmt.Errorf("bench: pull from %s: %w", addr, err)
		}
	}
	return nil
}

// drainBroker drains the queues qs of the broker at addr over one connection; drained is
// called once per queue, when it is drained or its pulls end (an error, ctx done).
func drainBroker(ctx context.Context, o *Options, s *stats, keys *keyLog, addr string, qs []admin.WriteQueue, drained func()) {
	p := newPullConn(o, s, keys, qs, drained)
	if err := p.run(ctx, addr); err != nil && !ended(ctx) {
		s.fail(err)
	}
	p.stopAll() // a failed connection's queues end with it
}

// stopAll reports every queue not yet drained as drained.
func (p *pullConn) stopAll() {
	for _, q := range p.queues {
		if !q.done {
			q.done = true
			p.drained()
		}
	}
}

// fill queues pulls for q up to Options.Pulls in flight, and reports q drained when it has
// nothing in flight and nothing more to ask for.
func (p *pullConn) fill(ctx context.Context, q *pullQueue) error {
	for q.inflight < p.o.Pulls && ctx.Err() == nil {
		r, ok := q.nextSpan(p.o.Batch)
		if !ok {
			break
		}
		if err := p.request(q, r); err != nil {
			return err
		}
	}
	if q.inflight == 0 && !q.done {
		q.done = true
		p.drained()
	}
	return nil
}

// request appends the pull of r from q to the requests to write.
func (p *pullConn) request(q *pullQueue, r span) error {
	p.opaque++
	if q.tpl != nil {
		p.out = q.tpl.append(p.out, p.opaque, r.from, int32(r.to-r.from))
	} else {
		req := pullRequest(p.o, q, r, p.ext)
		req.Opaque = p.opaque
		out, err := remoting.AppendFrame(p.out, req)
		if err != nil {
			return err
		}
		p.out = out
	}
	p.pending[p.opaque] = inflightPull{q: q, r: r, began: p.now}
	q.inflight++
	return nil
}

// handle takes one frame (valid only until it returns): the answer to a pull.
func (p *pullConn) handle(ctx context.Context, frame []byte) error {
	resp := &p.resp
	if err := p.dec.Decode(frame, resp); err != nil {
		return err
	}
	if !resp.IsResponse() {
		return nil // a request from the broker: a bench consumer serves none
	}
	pl, ok := p.pending[resp.Opaque]
	if !ok {
		return nil
	}
	delete(p.pending, resp.Opaque)
	q := pl.q
	q.inflight--
	if q.stopped {
		return p.fill(ctx, q) // the queue failed: the answers still due are dropped
	}
	code := protocol.ResponseCode(resp.Code)
	nb, err := nextBeginOffset(resp)
	if err != nil { // the queue cannot go on; the others can
		q.stopped = true
		p.s.fail(fmt.Errorf("queue %d: %w", q.t.QueueID, err))
		return p.fill(ctx, q)
	}
	if code == protocol.Success {
		n, err := walkRecords(resp.Body, pl.r.from, nb, p.keys)
		p.s.record(p.now.Sub(pl.began), n, int64(len(resp.Body)))
		if err != nil {
			p.s.fail(fmt.Errorf("queue %d: %w", q.t.QueueID, err))
		}
	}
	if err := q.answer(pl.r, code, nb, resp.Err); err != nil {
		p.s.fail(err)
	}
	return p.fill(ctx, q)
}

// nextBeginOffset reads an answer's nextBeginOffset as PullMessageResponseHeader.Decode
// does (absent is 0), from its extFields pairs.
func nextBeginOffset(resp *remoting.Command) (int64, error) {
	s, ok := resp.LookupExt("nextBeginOffset")
	if !ok || s == "" {
		return 0, nil
	}
	nb, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("pull answer: nextBeginOffset %q: %w", s, err)
	}
	return nb, nil
}
