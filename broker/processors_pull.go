package broker

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/broker/filter"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

// PullSysFlag bits of PULL_MESSAGE (PullSysFlag.java).
const (
	pullCommitOffset = 0x1
	pullSuspend      = 0x2
	pullSubscription = 0x4
	pullClassFilter  = 0x8
)

// maxHold caps how long a pull is held (GoC gives up after 30 s, trap §7.14).
const maxHold = 25 * time.Second

// pullFilter is a pull's compiled subscription: pre checks ConsumeQueue tags codes in the
// store (nil: every entry), exact re-checks each record found (tags string or SQL92 over the
// properties; nil: none needed).
type pullFilter struct {
	pre   func(tagsCode int64) bool
	exact func(rec message.Stored) bool
}

// newPullFilter builds the pull filter of a compiled subscription. A TAG subscription is
// checked by tags code in the store, then by the exact TAGS value (a hash collision must not
// deliver another tag); SQL92 is evaluated on each record's properties (§5.10).
func newPullFilter(exprType, expr string, f filter.Filter) pullFilter {
	if exprType == filter.TypeSQL92 {
		return pullFilter{exact: func(rec message.Stored) bool {
			props := message.DecodeProperties(rec.Properties())
			return f.Match(props[message.PropertyTags], props)
		}}
	}
	if expr == "" || expr == filter.SubAll {
		return pullFilter{}
	}
	if tm, ok := f.(filter.TagMatcher); ok {
		return pullFilter{pre: f.MatchTagsCode, exact: func(rec message.Stored) bool {
			tags, _ := message.PropertyValue(rec.Properties(), message.PropertyTags)
			return tm.MatchTagBytes(tags)
		}}
	}
	return pullFilter{pre: f.MatchTagsCode, exact: func(rec message.Stored) bool {
		tags, _ := message.PropertyValue(rec.Properties(), message.PropertyTags)
		return f.Match(string(tags), nil)
	}}
}

// pullMessage handles PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361) (PullMessageProcessor).
// A pull that finds nothing with the SUSPEND flag is held (its worker is freed) until a
// message is dispatched to its queue or suspendTimeoutMillis (at most 25 s) passes; then it
// is evaluated again and answered with Conn.Reply.
func (b *Broker) pullMessage(_ context.Context, c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.PullMessageRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	resp, suspend := b.processPull(req, &h, true)
	if !suspend {
		return resp
	}
	hold := time.Duration(h.SuspendTimeoutMillis) * time.Millisecond
	if !b.conf().LongPollingEnable {
		hold = time.Duration(b.conf().ShortPollingTimeMills) * time.Millisecond
	}
	b.hold.add(&heldPull{conn: c, req: req, h: h}, min(max(hold, 0), maxHold))
	return nil
}

// processPull evaluates a pull once. suspend is true when the caller should hold the
// request (nothing new, SUSPEND flag, first evaluation); resp is then nil.
func (b *Broker) processPull(req *remoting.Command, h *protocol.PullMessageRequestHeader, allowSuspend bool) (resp *remoting.Command, suspend bool) {
	fail := func(code protocol.ResponseCode, remark string) (*remoting.Command, bool) {
		return errorResponse(req, code, remark), false
	}
	if int32(b.conf().BrokerPermission)&protocol.PermRead == 0 {
		return fail(protocol.NoPermission, "the broker["+b.conf().BrokerName+"] pulling message is forbidden")
	}
	if resp := b.pullRejected(req); resp != nil {
		return resp, false
	}
	sg, _, err := b.subs.FindOrCreate(h.ConsumerGroup)
	if err != nil {
		return fail(protocol.SubscriptionGroupNotExist, "subscription group ["+h.ConsumerGroup+"] does not exist")
	}
	if !sg.ConsumeEnable {
		return fail(protocol.NoPermission, "subscription group no permission, "+h.ConsumerGroup)
	}
	tc, ok := b.topics.Get(h.Topic)
	if !ok {
		return fail(protocol.TopicNotExist, "topic["+h.Topic+"] not exist, apply first please!")
	}
	if tc.Perm&protocol.PermRead == 0 {
		return fail(protocol.NoPermission, "the topic["+h.Topic+"] pulling message is forbidden")
	}
	if h.QueueID < 0 || h.QueueID >= tc.ReadQueueNums {
		return fail(protocol.InvalidParameter, "queueId is illegal, topic:["+h.Topic+"]")
	}
	var exprType, expr string
	var sub compiledSub
	if h.SysFlag&pullSubscription != 0 {
		exprType, expr = normalizeExprType(h.ExpressionType), h.Subscription
		sub = b.pullSubs.compile(exprType, expr)
	} else {
		sd, cs, ok := b.consumers.subscriptionFilter(h.ConsumerGroup, h.Topic)
		if !ok {
			if len(b.consumers.ClientIDs(h.ConsumerGroup)) == 0 {
				return fail(protocol.SubscriptionNotExist, "the consumer's group info not exist")
			}
			return fail(protocol.SubscriptionNotExist, "the consumer's subscription not exist")
		}
		if sd.SubVersion < h.SubVersion {
			return fail(protocol.SubscriptionNotLatest, "the consumer's subscription not latest")
		}
		exprType, expr, sub = normalizeExprType(sd.ExpressionType), sd.SubString, cs
	}
	if sub.err != nil {
		return fail(protocol.SubscriptionParseFailed, "parse the consumer's subscription["+clip(expr, maxEcho)+"] failed: "+
			clip(sub.err.Error(), maxEcho))
	}
	if exprType != filter.TypeTag && !b.conf().EnablePropertyFilter {
		return fail(protocol.SystemError, "The broker does not support consumer to filter message by "+exprType)
	}
	pf := newPullFilter(exprType, expr, sub.f)

	n := int(h.MaxMsgNums)
	if n <= 0 {
		n = 1 // trap §7.21
	}
	if lim := b.conf().MaxTransferCountOnMessageInMemory; lim > 0 {
		n = min(n, lim)
	}
	r, _ := b.ms.GetMessages(h.Topic, h.QueueID, h.QueueOffset, n, pf.pre)
	if pf.exact != nil && r.Status == store.Found {
		kept := r.Messages[:0]
		for _, m := range r.Messages {
			if pf.exact(m) {
				kept = append(kept, m)
			}
		}
		if len(kept) == 0 {
			r.Status = store.NoMatchedMessage
		}
		r.Messages = kept
	}
	rh := protocol.PullMessageResponseHeader{MinOffset: r.MinOffset, MaxOffset: r.MaxOffset, NextBeginOffset: r.NextBeginOffset,
		SuggestWhichBrokerID: b.suggestBroker(sg, &r)}
	code := protocol.Success
	switch r.Status {
	case store.Found:
	case store.NoMessageInQueue:
		rh.NextBeginOffset = 0
		code = protocol.PullNotFound
		if h.QueueOffset != 0 {
			code = protocol.PullOffsetMoved
		}
	case store.OffsetTooSmall, store.OffsetOverflowBadly:
		code = protocol.PullOffsetMoved
	case store.OffsetOverflowOne:
		code = protocol.PullNotFound
	default: // NoMatchedMessage, OffsetFoundNull
		code = protocol.PullRetryImmediately
	}
	if allowSuspend && h.SysFlag&pullCommitOffset != 0 && (!b.isSlave() || b.actingMaster()) {
		b.commitOffset(h.ConsumerGroup, h.Topic, h.QueueID, h.CommitOffset)
	}
	if code == protocol.PullNotFound && allowSuspend && h.SysFlag&pullSuspend != 0 {
		r.Release()
		return nil, true
	}
	key := offsetKey(h.Topic, h.ConsumerGroup) // topic@group: the stats key too
	b.pulled.recordKey(key, h.QueueID, rh.NextBeginOffset)
	resp = remoting.NewResponse(req, int16(code), r.Status.String())
	resp.ExtFields = make(map[string]string, 4)
	rh.Encode(resp.ExtFields)
	if code == protocol.Success {
		// No copy: the records are slices of the mapped CommitLog, written by remoting
		// from the mapping; r keeps their segments mapped until the write is done.
		n := len(r.Messages)
		parts, size := recordParts(r.Messages)
		resp.SetBodyParts(parts, r.Release)
		b.stats.get(n)
		b.items.add(statsGroupGetNums, key, int64(n))
		b.items.add(statsGroupGetSize, key, int64(size))
		b.items.add(statsBrokerGetNums, b.conf().BrokerClusterName, int64(n))
		return resp, false
	}
	r.Release()
	return resp, false
}

// queueKey names one queue of a topic.
type queueKey struct {
	topic string
	qid   int32
}

// heldPull is one suspended pull waiting for a message past its offset.
type heldPull struct {
	conn  *remoting.Conn
	req   *remoting.Command
	h     protocol.PullMessageRequestHeader
	timer *time.Timer
	fired atomic.Bool // set once: by a dispatch, the timeout or shutdown
}

func (w *heldPull) key() queueKey { return queueKey{w.h.Topic, w.h.QueueID} }

// pullHold is the long-polling table (PullRequestHoldService): held pulls by topic and
// queue, woken by the store's dispatch listener or their timeout (no polling loop). Woken
// pulls go to a queue that holdWorkers goroutines evaluate and answer, so neither the
// dispatcher nor a pool worker waits on a held pull.
type pullHold struct {
	b       *Broker
	mu      sync.Mutex
	waiters map[queueKey][]*heldPull

	qmu   sync.Mutex
	ready []*heldPull
	wake  chan struct{} // 1-slot
}

// holdWorkers evaluate woken pulls.
const holdWorkers = 2

func newPullHold(b *Broker) *pullHold {
	return &pullHold{b: b, waiters: make(map[queueKey][]*heldPull), wake: make(chan struct{}, 1)}
}

// add holds w for at most d. It is woken at once if the queue already moved past its
// offset (a message dispatched between the evaluation and now).
func (p *pullHold) add(w *heldPull, d time.Duration) {
	k := w.key()
	p.mu.Lock() // the timer is set under mu, so fire and notify always see it
	w.timer = time.AfterFunc(d, func() { p.fire(w, true) })
	p.waiters[k] = append(p.waiters[k], w)
	p.mu.Unlock()
	if max := p.b.ms.MaxOffset(k.topic, k.qid); max > w.h.QueueOffset {
		p.notify(k.topic, k.qid, max)
	}
}

// fire queues w for its answer, once. fromTimer says w is still in the waiters table.
func (p *pullHold) fire(w *heldPull, fromTimer bool) {
	if !w.fired.CompareAndSwap(false, true) {
		return
	}
	if fromTimer {
		p.remove(w)
	} else if w.timer != nil {
		w.timer.Stop()
	}
	p.qmu.Lock()
	p.ready = append(p.ready, w)
	p.qmu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run answers woken pulls until ctx ends; then held pulls are dropped (clients pull again).
func (p *pullHold) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		}
		for {
			p.qmu.Lock()
			if len(p.ready) == 0 {
				p.qmu.Unlock()
				break
			}
			w := p.ready[0]
			p.ready[0] = nil
			p.ready = p.ready[1:]
			more := len(p.ready) > 0
			p.qmu.Unlock()
			if more { // let the other worker share the queue
				select {
				case p.wake <- struct{}{}:
				default:
				}
			}
			p.answer(w)
		}
	}
}

func (p *pullHold) answer(w *heldPull) {
	select {
	case <-w.conn.Done():
		return // the client went away: nobody to answer
	default:
	}
	resp, _ := p.b.processPull(w.req, &w.h, false)
	if resp == nil {
		return
	}
	if err := w.conn.Reply(w.req, resp); err != nil && !errors.Is(err, remoting.ErrConnClosed) {
		p.b.log.Warn("answer held pull", "remote", w.conn.RemoteAddr(), "topic", w.h.Topic, "err", err)
	}
}

// stop cancels every pending timeout (shutdown).
func (p *pullHold) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ws := range p.waiters {
		for _, w := range ws {
			if w.timer != nil {
				w.timer.Stop()
			}
		}
	}
}

// remove drops w if it is still waiting.
func (p *pullHold) remove(w *heldPull) {
	k := w.key()
	p.mu.Lock()
	defer p.mu.Unlock()
	ws := p.waiters[k]
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(p.waiters, k)
	} else {
		p.waiters[k] = ws
	}
}

// notify is the store's dispatch listener: it wakes the pulls of topic/qid waiting below
// maxOffset, and the schedule service for SCHEDULE_TOPIC_XXXX. It never blocks.
func (p *pullHold) notify(topic string, qid int32, maxOffset int64) {
	if topic == TopicSchedule && p.b.svc.sched != nil {
		p.b.svc.sched.Notify()
	}
	k := queueKey{topic, qid}
	p.mu.Lock()
	ws := p.waiters[k]
	if len(ws) == 0 {
		p.mu.Unlock()
		return
	}
	var woken []*heldPull
	keep := ws[:0]
	for _, w := range ws {
		if maxOffset > w.h.QueueOffset {
			woken = append(woken, w)
		} else {
			keep = append(keep, w)
		}
	}
	clear(ws[len(keep):])
	if len(keep) == 0 {
		delete(p.waiters, k)
	} else {
		p.waiters[k] = keep
	}
	p.mu.Unlock()
	for _, w := range woken {
		p.fire(w, false)
	}
}

// held returns how many pulls are waiting.
func (p *pullHold) held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, ws := range p.waiters {
		n += len(ws)
	}
	return n
}

// pullOffsets remembers the next offset of each group's last pull per queue (the
// "pullOffset" of GET_CONSUME_STATS).
type pullOffsets struct {
	mu sync.Mutex
	m  map[string]map[int32]int64 // topic@group → queue → next offset
}

func (p *pullOffsets) record(group, topic string, qid int32, next int64) {
	p.recordKey(offsetKey(topic, group), qid, next)
}

// recordKey is record with the topic@group key (offsetKey) already built.
func (p *pullOffsets) recordKey(k string, qid int32, next int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[string]map[int32]int64)
	}
	q := p.m[k]
	if q == nil {
		q = make(map[int32]int64)
		p.m[k] = q
	}
	q[qid] = next
}

func (p *pullOffsets) get(group, topic string, qid int32) (int64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.m[offsetKey(topic, group)][qid]
	return v, ok
}

// subCache holds the compiled subscriptions that pulls carry themselves (the SUBSCRIPTION
// flag: the official clients send it on every pull), so a pull does not parse its
// expression again; it is emptied when it reaches maxSubCacheBytes of expressions.
type subCache struct {
	mu    sync.RWMutex
	m     map[subKey]compiledSub
	bytes int
}

type subKey struct{ exprType, expr string }

// maxSubCacheBytes bounds the expressions a subCache keeps (a client may send a new one on
// every pull).
const maxSubCacheBytes = 1 << 20

func (c *subCache) compile(exprType, expr string) compiledSub {
	k := subKey{exprType, expr}
	c.mu.RLock()
	s, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return s
	}
	s = compileSub(exprType, expr)
	k = subKey{strings.Clone(exprType), strings.Clone(expr)} // not pinning the request's frame
	size := len(exprType) + len(expr) + 64                   // + the entry's own room, roughly
	c.mu.Lock()
	if c.m == nil || c.bytes+size > maxSubCacheBytes {
		c.m, c.bytes = make(map[subKey]compiledSub), 0
	}
	c.m[k] = s
	c.bytes += size
	c.mu.Unlock()
	return s
}

// maxEcho bounds how much of a client's input (a SQL92 expression) a remark repeats.
const maxEcho = 200

// clip returns s cut to at most n bytes at a UTF-8 boundary, with "..." when cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "..."
}
