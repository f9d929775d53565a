package bench

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/remoting"
)

// leanProduce reports whether a produce run takes the lean path (sendConn): plain or
// delayed sends to one broker address, unsigned. Transactions (END_TRANSACTION on each
// answer), ACL-signed requests (the signature covers each request's values) and topics
// spread over several brokers take remoting.Client (produceLoop).
func leanProduce(o *Options, targets []admin.WriteQueue) bool {
	if o.Transaction || o.Credentials != nil {
		return false
	}
	for _, t := range targets {
		if t.Addr != targets[0].Addr {
			return false
		}
	}
	return true
}

// maxUniqKey is the length of the longest UNIQ_KEY (an IPv6 client's: 28 bytes in hex).
const maxUniqKey = 56

// pendingSend is a send waiting for its answer.
type pendingSend struct {
	uniq  [maxUniqKey]byte
	n     uint8 // the length of the UNIQ_KEY in uniq
	began time.Time
}

// sendConn is one producer of the lean path: a connection of its own, written and read by
// one goroutine, like pullConn. It keeps Options.Inflight sends in flight, each its own
// SEND_MESSAGE_V2 frame spliced from the queue's template (its own opaque, UNIQ_KEY and born
// timestamp), round robin over the queues; it writes the requests in one batch whenever the
// next answer is not already buffered, decodes each answer in place (remoting.FrameDecoder,
// its extFields checked but not kept: msgId and offsets are not used) and matches it to its
// send by opaque. One clock read an answer serves its latency and the born timestamp of the
// sends that follow it.
type sendConn struct {
	o       *Options
	s       *stats
	keys    *keyLog
	targets []admin.WriteQueue
	body    []byte
	sent    *atomic.Int64
	stop    context.CancelFunc // ends the run (--count reached)

	tpl     *sendTemplate
	gen     *message.UniqIDGenerator
	rd      frameReader
	dec     remoting.FrameDecoder
	resp    remoting.Command
	hist    *hdrhistogram.Histogram // merged into s.hist at the end
	now     time.Time
	out     []byte
	uniq    [maxUniqKey]byte // the UNIQ_KEY being sent
	opaque  int32
	next    int  // the round-robin index of the next send
	done    bool // no more sends: the run ended or --count was reached
	pending map[int32]pendingSend
}

func newSendConn(o *Options, p int, s *stats, keys *keyLog, targets []admin.WriteQueue, body []byte, props map[string]string,
	sent *atomic.Int64, stop context.CancelFunc) *sendConn {
	return &sendConn{o: o, s: s, keys: keys, targets: targets, body: body, sent: sent, stop: stop,
		tpl:     newSendTemplate(o, props, targets),
		gen:     message.NewUniqIDGenerator(netip.AddrFrom4([4]byte{127, 0, 0, 1}), os.Getpid()+p, 0, nil),
		dec:     remoting.FrameDecoder{SkipExt: true}, // a send's answer is checked by its code alone
		hist:    newStats().hist,
		next:    p,
		pending: make(map[int32]pendingSend, o.Inflight)}
}

// run sends until runCtx ends (or --count is reached) and every send is answered; reqCtx
// ending closes the connection, failing the sends still in flight. A lost connection fails
// its sends in flight, and is dialled again after 10 ms while the run goes on.
func (c *sendConn) run(runCtx, reqCtx context.Context) {
	defer c.mergeHist()
	addr := c.targets[0].Addr
	for {
		err := c.session(runCtx, reqCtx, addr)
		if err == nil {
			return
		}
		if len(c.pending) == 0 && !ended(runCtx) {
			c.s.fail(err) // a failure with nothing in flight (a dial) while the run goes on
		}
		for range c.pending {
			c.s.fail(err)
		}
		clear(c.pending)
		c.out = c.out[:0]
		if c.done || ended(runCtx) {
			return
		}
		select { // do not spin on a broker that refuses connections
		case <-time.After(10 * time.Millisecond):
		case <-runCtx.Done():
			return
		}
	}
}

// ended reports whether ctx is done or its deadline has passed: a dial bounded by that
// deadline can fail with a timeout a moment before ctx's own timer marks it done.
func ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// session runs one connection until nothing is left to send or wait for (nil) or it fails.
func (c *sendConn) session(runCtx, reqCtx context.Context, addr string) error {
	d := net.Dialer{Timeout: c.o.Timeout}
	nc, err := d.DialContext(runCtx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("bench: dial %s: %w", addr, err)
	}
	defer nc.Close()
	defer context.AfterFunc(reqCtx, func() { nc.Close() })()
	// Raw read(2)/write(2) on TCP, as the broker's connections: the generator's CPU per
	// message is part of what every shape measures on a shared machine.
	r, w, _ := remoting.RawIO(nc)
	c.rd.reset(r, c.o.Inflight == 1)
	c.now = time.Now()
	if err := c.fill(runCtx); err != nil {
		return err
	}
	for len(c.pending) > 0 {
		frame, err := c.rd.roundTrip(w, &c.out)
		if err != nil {
			return fmt.Errorf("bench: send to %s: %w", addr, err)
		}
		c.now = time.Now()
		if err := c.handle(frame); err != nil {
			return fmt.Errorf("bench: send to %s: %w", addr, err)
		}
		if err := c.fill(runCtx); err != nil {
			return err
		}
	}
	return nil
}

// fill appends sends up to Options.Inflight in flight, unless the run is over.
func (c *sendConn) fill(ctx context.Context) error {
	if c.done || len(c.pending) >= c.o.Inflight {
		return nil
	}
	if ctx.Err() != nil {
		c.done = true
		return nil
	}
	for len(c.pending) < c.o.Inflight {
		if seq := c.sent.Add(1); c.o.Count > 0 && seq > c.o.Count {
			c.done = true
			c.stop()
			return nil
		}
		if err := c.appendSend(); err != nil {
			return err
		}
	}
	return nil
}

// appendSend appends the next message's request to the requests to write.
func (c *sendConn) appendSend() error {
	ti := c.next % len(c.targets)
	c.next++
	ps := pendingSend{began: c.now}
	uniq := c.gen.AppendNext(c.uniq[:0], c.now)
	ps.n = uint8(copy(ps.uniq[:], uniq)) // an id is at most maxUniqKey long
	c.opaque++
	if f := c.tpl.frame(ti, uniq, c.now, c.body); f != nil {
		c.out = f.AppendTo(c.out, c.opaque)
	} else {
		req := c.tpl.request(ti, string(uniq), c.now, c.body)
		req.Opaque = c.opaque
		out, err := remoting.AppendFrame(c.out, req)
		if err != nil {
			return err
		}
		c.out = out
	}
	c.pending[c.opaque] = ps
	return nil
}

// handle takes one frame (valid only until it returns): the answer to a send. A frame that
// is no answer to a send in flight (a request from the broker) is ignored.
func (c *sendConn) handle(frame []byte) error {
	resp := &c.resp
	if err := c.dec.Decode(frame, resp); err != nil {
		return err
	}
	if !resp.IsResponse() {
		return nil
	}
	ps, ok := c.pending[resp.Opaque]
	if !ok {
		return nil
	}
	delete(c.pending, resp.Opaque)
	if err := resp.Err(); err != nil {
		c.s.fail(err)
		return nil
	}
	if c.keys != nil {
		c.keys.add(c.uniq[:copy(c.uniq[:], ps.uniq[:ps.n])]) // a copy: ps stays on the stack
	}
	c.s.msgs.Add(1)
	c.s.bytes.Add(int64(len(c.body)))
	_ = c.hist.RecordValue(c.now.Sub(ps.began).Microseconds())
	return nil
}

// mergeHist adds the connection's latencies to the run's.
func (c *sendConn) mergeHist() {
	c.s.mu.Lock()
	c.s.hist.Merge(c.hist)
	c.s.mu.Unlock()
}
