package admin

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// Transactions and traces written the way the official clients write them, so that what an
// operator sends with mq looks like what applications send: `mq txn half` sees the half
// messages, `mq message trace` the trace records.

// EndTransaction commits or rolls back a half message sent with Send (SysFlag
// message.TransactionPreparedType) on the broker at addr (END_TRANSACTION, as the producer
// does after its local transaction).
func (a *Admin) EndTransaction(ctx context.Context, addr, producerGroup string, sent SendResult, commit bool) error {
	_, off, err := message.ParseOffsetMsgID(sent.OffsetMsgID)
	if err != nil {
		return wrapf("END_TRANSACTION: offset message id %q: %w", sent.OffsetMsgID, err)
	}
	state := message.TransactionRollbackType
	if commit {
		state = message.TransactionCommitType
	}
	txID := sent.TransactionID
	if txID == "" {
		txID = sent.MsgID
	}
	_, err = a.invoke(ctx, addr, protocol.EndTransaction, &protocol.EndTransactionRequestHeader{ProducerGroup: producerGroup,
		TranStateTableOffset: sent.QueueOffset, CommitLogOffset: off, CommitOrRollback: state, MsgID: sent.MsgID,
		TransactionID: txID, BrokerName: sent.BrokerName}, nil)
	return err
}

// Trace message types of a record (Java's MessageType ordinal).
const (
	TraceMsgNormal      = "0"
	TraceMsgHalf        = "1"
	TraceMsgTransCommit = "2"
	TraceMsgDelay       = "3"
)

// TraceProducerGroup is the group trace messages are sent as (the clients' trace dispatcher).
const TraceProducerGroup = "_INNER_TRACE_PRODUCER"

// EncodeTraceRecord writes r as the official clients' trace dispatcher does (fields separated
// by \x01, the record ended by \x02): Pub and EndTransaction records. ParseTraceBody reads
// them back.
func EncodeTraceRecord(r TraceRecord) string {
	var f []string
	bare := func(s string) string { // the clients drop the namespace part of "ns%name"
		if _, after, ok := strings.Cut(s, "%"); ok && !strings.Contains(after, "%") {
			return after
		}
		return s
	}
	switch r.Type {
	case TracePub:
		f = []string{r.Type, strconv.FormatInt(r.Timestamp, 10), r.Region, bare(r.Group), bare(r.Topic), r.MsgID, r.Tags, r.Keys,
			r.StoreHost, strconv.Itoa(r.BodyLen), strconv.FormatInt(r.CostMs, 10), r.MsgType, r.OffsetMsgID,
			strconv.FormatBool(r.Success), r.ClientHost}
	case TraceEndTransaction:
		f = []string{r.Type, strconv.FormatInt(r.Timestamp, 10), r.Region, bare(r.Group), bare(r.Topic), r.MsgID, r.Tags, r.Keys,
			r.StoreHost, r.MsgType, r.TransactionID, r.TransactionState, "false"}
	default:
		return ""
	}
	return strings.Join(f, "\x01") + "\x02"
}

// WriteTrace sends trace records to traceTopic ("" means RMQ_SYS_TRACE_TOPIC) as one message
// whose KEYS are the traced message ids and keys, the way the clients' trace dispatcher does,
// so MessageTrace finds them through the index.
func (a *Admin) WriteTrace(ctx context.Context, traceTopic string, recs []TraceRecord) (SendResult, error) {
	if traceTopic == "" {
		traceTopic = DefaultTraceTopic
	}
	var body strings.Builder
	var keys []string
	seen := map[string]bool{}
	for _, r := range recs {
		body.WriteString(EncodeTraceRecord(r))
		for _, k := range append([]string{r.MsgID}, strings.Fields(r.Keys)...) {
			if k != "" && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	rd, err := a.TopicRoute(ctx, traceTopic)
	if err != nil {
		return SendResult{}, err
	}
	qs := TopicQueues(rd, true)
	if len(qs) == 0 {
		return SendResult{}, wrapf("%w: trace topic %s has no writable queue on a master", ErrNoBrokers, traceTopic)
	}
	q := qs[rand.IntN(len(qs))]
	m := message.Message{Topic: traceTopic, Body: []byte(body.String()),
		Properties: map[string]string{message.PropertyKeys: strings.Join(keys, message.KeySeparator)}}
	return a.Send(ctx, q.Addr, SendRequest{ProducerGroup: TraceProducerGroup, BrokerName: q.BrokerName, QueueID: q.QueueID, Message: m})
}
