package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// `mq send --transaction` and `mq send --trace`.

// --transaction values.
const (
	txnCommit   = "commit"
	txnRollback = "rollback"
	txnUnknown  = "unknown"
)

// sendOne sends m to q: a plain send, or a half message ended as --transaction says; the
// trace records go to tr.
func sendOne(ctx context.Context, a *admin.Admin, opts *sendOptions, q admin.WriteQueue, m message.Message, tr *sendTracer) (admin.SendResult, error) {
	req := admin.SendRequest{ProducerGroup: opts.group, BrokerName: q.BrokerName, QueueID: q.QueueID, Message: m}
	if opts.transaction != "" {
		m.Properties[message.PropertyTransactionPrepared] = "true"
		m.Properties[message.PropertyProducerGroup] = opts.group
		req.SysFlag = message.TransactionPreparedType
	}
	began := time.Now()
	r, err := a.Send(ctx, q.Addr, req)
	if err != nil {
		return r, err
	}
	tr.pub(q, m, r, time.Since(began))
	switch opts.transaction {
	case txnCommit, txnRollback:
		if err := a.EndTransaction(ctx, q.Addr, opts.group, r, opts.transaction == txnCommit); err != nil {
			return r, fmt.Errorf("%s %s: %w", opts.transaction, r.MsgID, err)
		}
		tr.end(q, m, r, opts.transaction)
	case txnUnknown:
		tr.end(q, m, r, opts.transaction)
	}
	return r, nil
}

// sendTracer collects the trace records of a run and writes them in batches, as the clients'
// trace dispatcher does. A nil tracer (no --trace) records nothing.
type sendTracer struct {
	opts     *sendOptions
	host     string
	recs     []admin.TraceRecord
	untraced int // sends the broker said not to trace (no region or TRACE_ON=false)
}

func newSendTracer(opts *sendOptions) *sendTracer {
	if !opts.trace {
		return nil
	}
	return &sendTracer{opts: opts, host: localIP()}
}

func (t *sendTracer) record(q admin.WriteQueue, m message.Message, r admin.SendResult, typ, msgType string) *admin.TraceRecord {
	if !r.TraceOn || r.RegionID == "" {
		t.untraced++
		return nil
	}
	t.recs = append(t.recs, admin.TraceRecord{Type: typ, Timestamp: time.Now().UnixMilli(), Region: r.RegionID,
		Group: t.opts.group, Topic: m.Topic, MsgID: r.MsgID, Tags: m.Properties[message.PropertyTags],
		Keys: m.Properties[message.PropertyKeys], StoreHost: q.Addr, BodyLen: len(m.Body), MsgType: msgType,
		OffsetMsgID: r.OffsetMsgID, Success: true, ClientHost: t.host})
	return &t.recs[len(t.recs)-1]
}

func (t *sendTracer) pub(q admin.WriteQueue, m message.Message, r admin.SendResult, cost time.Duration) {
	if t == nil {
		return
	}
	msgType := admin.TraceMsgNormal
	switch {
	case t.opts.transaction != "":
		msgType = admin.TraceMsgHalf
	case m.Properties[message.PropertyDelayTimeLevel] != "" || m.Properties[message.PropertyTimerDeliverMs] != "":
		msgType = admin.TraceMsgDelay
	}
	if rec := t.record(q, m, r, admin.TracePub, msgType); rec != nil {
		rec.CostMs = cost.Milliseconds()
	}
}

// end records the transaction's end in Java's TransactionState names.
func (t *sendTracer) end(q admin.WriteQueue, m message.Message, r admin.SendResult, how string) {
	if t == nil {
		return
	}
	state := map[string]string{txnCommit: "COMMIT_MESSAGE", txnRollback: "ROLLBACK_MESSAGE", txnUnknown: "UNKNOW"}[how]
	if rec := t.record(q, m, r, admin.TraceEndTransaction, admin.TraceMsgTransCommit); rec != nil {
		rec.TransactionID, rec.TransactionState = r.TransactionID, state
		if rec.TransactionID == "" {
			rec.TransactionID = r.MsgID
		}
	}
}

// traceBatch is the number of records per trace message.
const traceBatch = 100

// flush writes the collected records to the trace topic.
func (t *sendTracer) flush(ctx context.Context, a *admin.Admin) error {
	if t == nil {
		return nil
	}
	if len(t.recs) == 0 && t.untraced > 0 {
		return fmt.Errorf("--trace: the broker turned tracing off (TRACE_ON=false or no MSG_REGION in its answers): no trace written")
	}
	for len(t.recs) > 0 {
		n := min(len(t.recs), traceBatch)
		if _, err := a.WriteTrace(ctx, t.opts.traceTopic, t.recs[:n]); err != nil {
			if admin.IsCode(err, protocol.TopicNotExist) {
				// Apache creates RMQ_SYS_TRACE_TOPIC only with traceTopicEnable=true.
				return fmt.Errorf("--trace: %w (set traceTopicEnable=true on the broker, or pass --trace-topic)", err)
			}
			return fmt.Errorf("--trace: writing to %s: %w", t.opts.traceTopic, err)
		}
		t.recs = t.recs[n:]
	}
	return nil
}

// localIP is the first non-loopback IPv4 address of this host (the clients' ClientHost),
// else 127.0.0.1.
func localIP() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return ipn.IP.String()
		}
	}
	return "127.0.0.1"
}
