package bench

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

func produce(ctx context.Context, o *Options) (Result, error) {
	targets, err := queues(ctx, o, true, true)
	if err != nil {
		return Result{}, err
	}
	body := make([]byte, o.Size)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	props := map[string]string{}
	if o.DelayLevel > 0 {
		props[message.PropertyDelayTimeLevel] = strconv.Itoa(o.DelayLevel)
	}
	mode := ModeProduce
	if o.Transaction {
		// As the Go client's TransactionProducer marks a half message.
		props[message.PropertyTransactionPrepared] = "true"
		props[message.PropertyProducerGroup] = o.Group
		mode = "produce-transaction"
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
	var sent atomic.Int64
	if leanProduce(o, targets) {
		produceLean(ctx, runCtx, stop, o, s, keys, targets, body, props, &sent)
	} else {
		produceClients(ctx, runCtx, stop, o, s, keys, targets, body, props, &sent)
	}
	if err := keys.close(); err != nil {
		return Result{}, err
	}
	res := s.result(mode, time.Since(start))
	if o.Transaction {
		n := s.rolledBack.Load()
		res.RolledBack = &n
	}
	return res, nil
}

// graceContext is the context of the requests of a run: it ends requestGrace after runCtx
// does (requests in flight then may still finish), and then calls expire. Not Duration +
// grace from the start: a --count run outlasting that failed every later send with
// "context deadline exceeded". The returned cancel ends it and waits for nothing.
func graceContext(ctx, runCtx context.Context, expire func()) (context.Context, context.CancelFunc) {
	reqCtx, reqCancel := context.WithCancel(context.WithoutCancel(ctx))
	grace := requestGrace
	go func() {
		select {
		case <-runCtx.Done():
		case <-reqCtx.Done():
			return
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			reqCancel()
			expire()
		case <-reqCtx.Done():
		}
	}()
	return reqCtx, reqCancel
}

// produceLean runs the producers of the lean path (leanProduce), each on its own connection.
func produceLean(ctx, runCtx context.Context, stop context.CancelFunc, o *Options, s *stats, keys *keyLog,
	targets []admin.WriteQueue, body []byte, props map[string]string, sent *atomic.Int64) {
	// A connection closes itself when reqCtx ends, failing the sends it still has in flight.
	reqCtx, reqCancel := graceContext(ctx, runCtx, func() {})
	defer reqCancel()
	var wg sync.WaitGroup
	for p := range o.Producers {
		c := newSendConn(o, p, s, keys, targets, body, props, sent, stop)
		wg.Go(func() { c.run(runCtx, reqCtx) })
	}
	wg.Wait()
}

// produceClients runs the producers through remoting.Client (produceLoop): transactions,
// ACL-signed requests, topics on several brokers.
func produceClients(ctx, runCtx context.Context, stop context.CancelFunc, o *Options, s *stats, keys *keyLog,
	targets []admin.WriteQueue, body []byte, props map[string]string, sent *atomic.Int64) {
	clients := make([]*remoting.Client, o.Producers)
	for p := range clients {
		// Plain sends check their answer in the read loop (no hand-off to a worker); a
		// transaction's callback sends END_TRANSACTION, which may wait, so it keeps the workers.
		clients[p] = remoting.NewClient(remoting.ClientConfig{Credentials: o.Credentials, InlineCallbacks: !o.Transaction})
	}
	closeClients := func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}
	defer closeClients()
	// Plain sends carry no deadline of their own (a context.AfterFunc per request costs the
	// generator CPU): closing the connections when reqCtx expires fails what is left.
	reqCtx, reqCancel := graceContext(ctx, runCtx, closeClients)
	defer reqCancel()
	var wg sync.WaitGroup
	for p, client := range clients {
		wg.Go(func() {
			defer client.Close()
			produceLoop(runCtx, reqCtx, stop, client, o, p, targets, body, props, s, sent, keys)
		})
	}
	wg.Wait()
}

// requestGrace is how long requests in flight at the end of a run may still take (tests
// shorten it).
var requestGrace = 30 * time.Second

func produceLoop(ctx, reqCtx context.Context, stop context.CancelFunc, client *remoting.Client, o *Options, p int,
	targets []admin.WriteQueue, body []byte, props map[string]string, s *stats, sent *atomic.Int64, keys *keyLog) {
	sem := make(chan struct{}, o.Inflight)
	var inflight sync.WaitGroup
	defer inflight.Wait()
	tpl := newSendTemplate(o, props, targets)
	// Plain sends get no context deadline (see produce: closing the client ends them);
	// a context with a Done channel costs a context.AfterFunc per request.
	sendCtx := context.WithoutCancel(reqCtx)
	if o.Transaction {
		sendCtx = reqCtx
	}
	gen := message.NewUniqIDGenerator(netip.AddrFrom4([4]byte{127, 0, 0, 1}), os.Getpid()+p, 0, nil)
	for i := p; ; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		seq := sent.Add(1)
		if o.Count > 0 && seq > o.Count {
			<-sem
			stop()
			return
		}
		ti := i % len(targets)
		t := targets[ti]
		now := time.Now()
		uniq := gen.Next(now)
		var f *remoting.RequestFrame
		if o.Credentials == nil {
			f = tpl.frame(ti, []byte(uniq), now, body)
		}
		began := time.Now()
		inflight.Add(1)
		cb := func(resp *remoting.Command, err error) {
			if err == nil {
				err = resp.Err()
			}
			if err != nil {
				s.fail(err)
				<-sem
				inflight.Done()
				return
			}
			if !o.Transaction {
				if keys != nil {
					keys.add([]byte(uniq))
				}
				s.record(time.Since(began), 1, int64(len(body)))
				<-sem
				inflight.Done()
				return
			}
			commit := !rollsBack(seq, o.RollbackRatio)
			endTransaction(reqCtx, client, o, t, uniq, commit, resp, began, len(body), s, func() { <-sem; inflight.Done() })
		}
		var err error
		if f != nil {
			err = client.InvokeAsyncFrame(sendCtx, t.Addr, f, cb)
		} else {
			err = client.InvokeAsync(sendCtx, t.Addr, tpl.request(ti, uniq, now, body), cb)
		}
		if err != nil {
			inflight.Done()
			<-sem
			if ctx.Err() != nil {
				return
			}
			s.fail(err)
			time.Sleep(10 * time.Millisecond) // a broken connection: do not spin
		}
	}
}

// sendTemplate builds a producer's SEND_MESSAGE_V2 requests: the header fields every message
// shares are encoded once into one extFields map, reused for every request (the connection
// encodes a request before InvokeAsync returns); each message sets only its queue, broker,
// born timestamp and properties (its own UNIQ_KEY). The properties string is the fixed
// properties' encoding followed by UNIQ_KEY, as message.EncodeProperties orders them.
type sendTemplate struct {
	ext  map[string]string
	keys struct{ queueID, brokerName, born, props string }
	// queueIDs and brokers are the header values of each target.
	queueIDs, brokers []string
	// propsPrefix is the encoding of the properties but UNIQ_KEY, then "UNIQ_KEY\x01".
	propsPrefix string
	props       []byte
	// frames are the whole request frames of each target (built on first use), patched in
	// place for each message: UNIQ_KEY at uniqAt, the born timestamp at bornAt. nil when a
	// frame cannot be patched (a sentinel not found exactly once).
	frames         []*remoting.RequestFrame
	uniqAt, bornAt []int
}

// Sentinels of the patched fields in a frame: a UNIQ_KEY is 32 hex digits, a born timestamp
// in milliseconds 13 decimal digits (years 2001 to 2286).
const (
	uniqSentinel = "ZQZQZQZQZQZQZQZQZQZQZQZQZQZQZQZQ"
	bornSentinel = 9_999_999_999_999
)

// frame returns the request frame of one message to targets[ti], or nil when the message
// must take the request path (see frames); it is valid until the next call.
func (st *sendTemplate) frame(ti int, uniq []byte, born time.Time, body []byte) *remoting.RequestFrame {
	ms := born.UnixMilli()
	if len(uniq) != len(uniqSentinel) || ms < 1e12 || ms >= 1e13 {
		return nil
	}
	if st.frames == nil {
		st.frames = make([]*remoting.RequestFrame, len(st.queueIDs))
		st.uniqAt, st.bornAt = make([]int, len(st.queueIDs)), make([]int, len(st.queueIDs))
	}
	f := st.frames[ti]
	if f == nil {
		var err error
		f, err = remoting.NewRequestFrame(st.request(ti, uniqSentinel, time.UnixMilli(bornSentinel), body))
		if err != nil {
			return nil
		}
		b := f.Bytes()
		u, bt := []byte(uniqSentinel), []byte(strconv.Itoa(bornSentinel))
		if bytes.Count(b, u) != 1 || bytes.Count(b, bt) != 1 {
			return nil
		}
		st.frames[ti], st.uniqAt[ti], st.bornAt[ti] = f, bytes.Index(b, u), bytes.Index(b, bt)
	}
	b := f.Bytes()
	copy(b[st.uniqAt[ti]:], uniq)
	strconv.AppendInt(b[st.bornAt[ti]:st.bornAt[ti]], ms, 10)
	return f
}

func newSendTemplate(o *Options, props map[string]string, targets []admin.WriteQueue) *sendTemplate {
	// The varying fields get sentinel values, to find which extFields keys they encode to.
	const queueID, born, propsMark, brokerMark = 7_000_001, 7_000_002, "\x00properties", "\x00broker"
	h := protocol.SendMessageRequestHeaderV2{ProducerGroup: o.Group, Topic: o.Topic, DefaultTopic: admin.AutoCreateTopic,
		DefaultTopicQueueNums: 4, QueueID: queueID, BornTimestamp: born, Properties: propsMark, BrokerName: brokerMark}
	if o.Transaction {
		h.SysFlag = message.TransactionPreparedType
	}
	st := &sendTemplate{ext: make(map[string]string, 16)}
	h.Encode(st.ext)
	for k, v := range st.ext {
		switch v {
		case strconv.Itoa(queueID):
			st.keys.queueID = k
		case strconv.Itoa(born):
			st.keys.born = k
		case propsMark:
			st.keys.props = k
		case brokerMark:
			st.keys.brokerName = k
		}
	}
	for _, t := range targets {
		st.queueIDs = append(st.queueIDs, strconv.Itoa(int(t.QueueID)))
		st.brokers = append(st.brokers, t.BrokerName)
	}
	rest := maps.Clone(props)
	delete(rest, message.PropertyUniqClientMessageIDKeyIndex)
	st.propsPrefix = message.EncodeProperties(rest) + message.PropertyUniqClientMessageIDKeyIndex + string(rune(message.NameValueSeparator))
	return st
}

// request returns the SEND_MESSAGE_V2 request of one message to targets[ti]; it is valid
// until the next call.
func (st *sendTemplate) request(ti int, uniq string, born time.Time, body []byte) *remoting.Command {
	b := append(st.props[:0], st.propsPrefix...)
	b = append(b, uniq...)
	b = append(b, message.PropertySeparator)
	st.props = b
	st.ext[st.keys.queueID] = st.queueIDs[ti]
	st.ext[st.keys.brokerName] = st.brokers[ti]
	st.ext[st.keys.born] = strconv.FormatInt(born.UnixMilli(), 10)
	st.ext[st.keys.props] = string(b)
	return remoting.NewRequest(int16(protocol.SendMessageV2), st.ext, body)
}

// rollsBack spreads rollbacks evenly over the transaction sequence numbers 1, 2, …: the n-th
// rolls back when ⌊n·ratio⌋ grows, so the first N transactions hold exactly ⌊N·ratio⌋ rollbacks.
func rollsBack(n int64, ratio float64) bool {
	return int64(float64(n)*ratio) > int64(float64(n-1)*ratio)
}

// endTransaction ends the half message a SUCCESS send response describes, with the header
// the Go client sends after its local transaction (protocol §2.3.7): the half queue offset,
// the physical offset from the offset msgId, the UNIQ_KEY and the response's transactionId.
// The Go client sends it oneway; we wait for the broker's answer so a refused END counts as
// an error. A commit counts in messages (latency: send start → END answered), a rollback in
// rolledBack. done is called once at the end.
func endTransaction(ctx context.Context, client *remoting.Client, o *Options, t admin.WriteQueue, uniq string, commit bool,
	resp *remoting.Command, began time.Time, size int, s *stats, done func()) {
	var rh protocol.SendMessageResponseHeader
	if err := rh.Decode(resp.ExtFields); err != nil {
		s.fail(fmt.Errorf("send response: %w", err))
		done()
		return
	}
	_, phys, err := message.ParseOffsetMsgID(rh.MsgID)
	if err != nil {
		s.fail(fmt.Errorf("send response msgId %q: %w", rh.MsgID, err))
		done()
		return
	}
	h := protocol.EndTransactionRequestHeader{ProducerGroup: o.Group, TranStateTableOffset: rh.QueueOffset,
		CommitLogOffset: phys, CommitOrRollback: message.TransactionCommitType, MsgID: uniq,
		TransactionID: rh.TransactionID, BrokerName: t.BrokerName}
	if !commit {
		h.CommitOrRollback = message.TransactionRollbackType
	}
	req := remoting.NewRequest(int16(protocol.EndTransaction), protocol.EncodeHeader(&h), nil)
	err = client.InvokeAsync(ctx, t.Addr, req, func(resp *remoting.Command, err error) {
		defer done()
		if err == nil {
			err = resp.Err()
		}
		if err != nil {
			s.fail(fmt.Errorf("end transaction: %w", err))
			return
		}
		if commit {
			s.record(time.Since(began), 1, int64(size))
		} else {
			s.rollback(time.Since(began))
		}
		if o.OnEnd != nil {
			o.OnEnd(uniq, commit)
		}
	})
	if err != nil {
		s.fail(fmt.Errorf("end transaction: %w", err))
		done()
	}
}
