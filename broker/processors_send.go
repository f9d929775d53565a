package broker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"

	"github.com/mq-project/mq/broker/txn"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

// maxBatchMessages bounds how many messages one SEND_BATCH_MESSAGE body may hold.
const maxBatchMessages = 10000

// noSendTopics are the system topics producers may not send to (TopicValidator's
// NOT_ALLOWED_SEND_TOPIC_SET).
var noSendTopics = map[string]bool{
	TopicSchedule: true, TopicTransHalf: true, TopicTransOpHalf: true, TopicTransCheckMax: true,
	TopicSelfTest: true, TopicOffsetMoved: true,
}

// isInternalTopic reports whether clients may not send to topic: Apache's
// NOT_ALLOWED_SEND_TOPIC_SET plus every rmq_sys_ topic (rmq_sys_wheel_timer above all: the
// timer trusts what it holds). Apache lets clients write rmq_sys_wheel_timer; we do not.
// RMQ_SYS_TRACE_TOPIC stays writable (clients write their traces there), as do %RETRY% and
// %DLQ% topics (the retry rule in retryOrDLQ applies).
func isInternalTopic(topic string) bool {
	return noSendTopics[topic] || strings.HasPrefix(topic, SystemTopicPrefix)
}

// sendError is a refused send: a response code and its remark.
type sendError struct {
	code   protocol.ResponseCode
	remark string
}

func (e *sendError) Error() string { return e.remark }

func refuse(code protocol.ResponseCode, format string, args ...any) *sendError {
	return &sendError{code: code, remark: fmt.Sprintf(format, args...)}
}

// sendMessage handles SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320)
// (SendMessageProcessor): checks, topic auto-creation, the retry/DLQ rule for %RETRY%
// topics, the transaction half and delay-level transformations, then the append. The
// response carries what GoC parses: msgId (offset message id; comma-joined for a batch),
// queueId, queueOffset, transactionId, MSG_REGION and TRACE_ON.
func (b *Broker) sendMessage(ctx context.Context, c *remoting.Conn, req *remoting.Command) *remoting.Command {
	code := protocol.RequestCode(req.Code)
	// req.ExtAll reads the pairs of a RawExt route (rawExtCodes) as well as the map.
	d := protocol.NewSendHeaderDecoder(code)
	for k, v := range req.ExtAll() {
		d.Set(k, v)
	}
	h, err := d.Header()
	if err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	batch := code == protocol.SendBatchMessage
	resp, serr := b.doSend(ctx, c, req, &h, batch)
	if serr != nil {
		return errorResponse(req, serr.code, serr.remark)
	}
	return resp // nil: finishSend answers once the flush (or the slave) is done
}

// checkSend validates the header against the broker and topic configuration and returns the
// topic's config, creating the topic if needed (AbstractSendMessageProcessor#msgCheck).
func (b *Broker) checkSend(h *protocol.SendMessageRequestHeader) (protocol.TopicConfig, *sendError) {
	if int32(b.conf().BrokerPermission)&protocol.PermWrite == 0 {
		return protocol.TopicConfig{}, refuse(protocol.NoPermission, "the broker[%s] sending message is forbidden", b.conf().BrokerName)
	}
	limit := maxTopicLength
	if strings.HasPrefix(h.Topic, RetryGroupTopicPrefix) || strings.HasPrefix(h.Topic, DLQGroupTopicPrefix) {
		limit = maxRetryTopicLength
	}
	if len(h.Topic) > limit {
		return protocol.TopicConfig{}, refuse(protocol.MessageIllegal, "the topic[%s] is longer than %d characters", h.Topic, limit)
	}
	if err := ValidateTopic(h.Topic); err != nil {
		return protocol.TopicConfig{}, refuse(protocol.InvalidParameter, "%v", err)
	}
	if isInternalTopic(h.Topic) {
		return protocol.TopicConfig{}, refuse(protocol.NoPermission, "Sending message to topic[%s] is forbidden.", h.Topic)
	}
	tc, ok := b.topics.Get(h.Topic)
	if !ok && b.ms.DiskFull() {
		// Keep what is left of the disk for the metadata of what exists (offsets, groups).
		return tc, refuse(protocol.ServiceNotAvailable, "disk full: topic[%s] not created", h.Topic)
	}
	if !ok {
		var err error
		if strings.HasPrefix(h.Topic, RetryGroupTopicPrefix) {
			nt := protocol.NewTopicConfig(h.Topic)
			nt.ReadQueueNums, nt.WriteQueueNums = 1, 1
			nt.Perm = protocol.PermRead | protocol.PermWrite
			tc, _, err = b.topics.CreateIfAbsent(nt)
		} else {
			def := h.DefaultTopic
			if def == "" {
				def = TopicAutoCreate
			}
			nq := h.DefaultTopicQueueNums
			if nq <= 0 {
				nq = int32(b.conf().DefaultTopicQueueNums)
			}
			tc, _, err = b.topics.CreateFromDefault(h.Topic, def, nq, 0)
		}
		if err != nil {
			if errors.Is(err, ErrTopicNotExist) {
				return tc, refuse(protocol.TopicNotExist, "topic[%s] not exist, apply first please!", h.Topic)
			}
			// Not durable (topics.json could not be written): the message is not stored,
			// as a restart would not know its topic. 14 makes the client try another broker.
			b.log.Error("auto-create topic", "topic", h.Topic, "err", err)
			return tc, refuse(protocol.ServiceNotAvailable, "create topic %s failed, message not stored: %v", h.Topic, err)
		}
	}
	if tc.Perm&protocol.PermWrite == 0 {
		return tc, refuse(protocol.NoPermission, "the topic[%s] sending message is forbidden", h.Topic)
	}
	if limit := max(tc.ReadQueueNums, tc.WriteQueueNums); h.QueueID >= limit {
		return tc, refuse(protocol.InvalidParameter, "request queueId[%d] is illegal, topic %s has %d queues", h.QueueID, h.Topic, limit)
	}
	return tc, nil
}

func (b *Broker) doSend(ctx context.Context, c *remoting.Conn, req *remoting.Command, h *protocol.SendMessageRequestHeader, batch bool) (*remoting.Command, *sendError) {
	if b.isSlave() {
		return nil, refuse(protocol.ServiceNotAvailable, slaveRefusedRemark)
	}
	tc, serr := b.checkSend(h)
	if serr != nil {
		return nil, serr
	}
	if len(req.Body) > b.conf().MaxMessageSize {
		return nil, refuse(protocol.MessageIllegal, "the message body size over max value, MAX: %d", b.conf().MaxMessageSize)
	}
	if len(h.Properties) > message.MaxPropertiesLen {
		return nil, refuse(protocol.MessageIllegal, "the message properties length %d is over %d", len(h.Properties), message.MaxPropertiesLen)
	}
	qid := h.QueueID
	if qid < 0 {
		qid = rand.Int32N(max(tc.WriteQueueNums, 1))
	}
	bornHost := c.RemoteAddrPort()
	if !bornHost.IsValid() {
		bornHost = addrPortOf(c.RemoteAddr())
	}
	if batch {
		return b.sendBatch(ctx, c, req, h, qid, bornHost)
	}
	if plainSends {
		if resp, serr, ok := b.sendPlain(ctx, c, req, h, qid, bornHost); ok {
			return resp, serr
		}
	}
	m := &message.MessageExt{
		Message: message.Message{Topic: h.Topic, Flag: h.Flag, Properties: message.DecodePropertiesString(h.Properties, 4),
			Body: req.Body},
		QueueID: qid, SysFlag: h.SysFlag, BornTimestamp: h.BornTimestamp, BornHost: bornHost,
		ReconsumeTimes: h.ReconsumeTimes,
	}
	if strings.HasPrefix(h.Topic, RetryGroupTopicPrefix) {
		if serr := b.retryOrDLQ(req, h, m); serr != nil {
			return nil, serr
		}
	}
	if m.Properties[message.PropertyUniqClientMessageIDKeyIndex] == "" {
		m.SetProperty(message.PropertyUniqClientMessageIDKeyIndex, b.uniq.Next(b.now()))
	}
	b.stampProperties(m.Properties)
	respQID := m.QueueID
	if message.TransactionType(m.SysFlag) == message.TransactionPreparedType {
		if b.conf().RejectTransactionMessage {
			return nil, refuse(protocol.NoPermission, "the broker[%s] sending transaction message is forbidden", b.conf().BrokerName)
		}
		toHalf(m)
	}
	if serr := b.timerRewrite(m); serr != nil {
		return nil, serr
	}
	res, err := b.putMessageNoWait(m)
	if err != nil {
		return nil, b.storeRefusal(err)
	}
	b.countPut(h.Topic, 1, len(m.Body))
	txID := m.Properties[message.PropertyUniqClientMessageIDKeyIndex]
	wait := m.Properties[message.PropertyWaitStoreMsgOK]
	if b.answerNow(req, wait) {
		// Built here rather than through finishSend's closure: one allocation less a send.
		return b.sendResponse(req, protocol.Success, res, respQID, txID), nil
	}
	return b.answerLater(ctx, c, req, wait, res, func(rcode protocol.ResponseCode) *remoting.Command {
		return b.sendResponse(req, rcode, res, respQID, txID)
	}), nil
}

// plainSends turns sendPlain on; tests turn it off to compare with the general path.
var plainSends = true

// sendPlain stores a send that takes none of the paths its properties or topic would change
// (a retry topic, a prepared transaction, a delay level, a timer), without building a
// properties map: the properties string is parsed into a list, given its UNIQ_KEY when it has
// none and the broker's stamps (stampProperties), and encoded once for the store, as doSend's
// map would be. ok is false, nothing done, when the send needs doSend's general path or
// carries more properties than the list holds.
func (b *Broker) sendPlain(ctx context.Context, c *remoting.Conn, req *remoting.Command, h *protocol.SendMessageRequestHeader,
	qid int32, bornHost netip.AddrPort) (resp *remoting.Command, serr *sendError, ok bool) {
	if strings.HasPrefix(h.Topic, RetryGroupTopicPrefix) || message.TransactionType(h.SysFlag) == message.TransactionPreparedType {
		return nil, nil, false
	}
	var pl message.PropertyList
	if !pl.Parse(h.Properties, 4) || pl.Get(message.PropertyDelayTimeLevel) != "" ||
		pl.Get(message.PropertyTimerDeliverMs) != "" || pl.Get(message.PropertyTimerDelaySec) != "" ||
		pl.Get(message.PropertyTimerDelayMs) != "" {
		return nil, nil, false
	}
	txID := pl.Get(message.PropertyUniqClientMessageIDKeyIndex)
	if txID == "" {
		txID = b.uniq.Next(b.now())
		pl.Set(message.PropertyUniqClientMessageIDKeyIndex, txID)
	}
	b.stampList(&pl)
	m := &message.MessageExt{
		Message: message.Message{Topic: h.Topic, Flag: h.Flag, Body: req.Body},
		QueueID: qid, SysFlag: h.SysFlag, BornTimestamp: h.BornTimestamp, BornHost: bornHost,
		ReconsumeTimes: h.ReconsumeTimes, EncodedProperties: pl.Append(make([]byte, 0, pl.Len())),
	}
	res, err := b.putMessageNoWait(m)
	if err != nil {
		return nil, b.storeRefusal(err), true
	}
	b.countPut(h.Topic, 1, len(m.Body))
	wait := pl.Get(message.PropertyWaitStoreMsgOK)
	if b.answerNow(req, wait) {
		return b.sendResponse(req, protocol.Success, res, qid, txID), nil, true
	}
	return b.answerLater(ctx, c, req, wait, res, func(rcode protocol.ResponseCode) *remoting.Command {
		return b.sendResponse(req, rcode, res, qid, txID)
	}), nil, true
}

// sendResponse is the answer to a stored send with code rcode.
func (b *Broker) sendResponse(req *remoting.Command, rcode protocol.ResponseCode, res store.AppendResult, qid int32, txID string) *remoting.Command {
	conf := b.conf()
	if req.Serialize == remoting.JSON {
		if r := newSendResponseJSON(req, rcode, b.storeHost, res, qid, txID, conf.RegionID, conf.TraceOn); r != nil {
			return r
		}
	}
	rh := protocol.SendMessageResponseHeader{
		MsgID:         message.OffsetMsgID(b.storeHost, res.PhysicalOffset),
		QueueID:       qid,
		QueueOffset:   res.QueueOffset,
		TransactionID: txID,
		MsgRegion:     conf.RegionID,
		TraceOn:       strconv.FormatBool(conf.TraceOn),
	}
	return newSendResponse(req, rcode, &rh)
}

// sendResponseJSON is a send's answer for a JSON header and its pairs, allocated together.
type sendResponseJSON struct {
	cmd   remoting.Command
	pairs [6]remoting.ExtPair
}

// newSendResponseJSON builds what newSendResponse builds from the same header, for a JSON
// request, in two allocations: the command with its pairs, and one string holding the
// extFields members as written (SetExtPairsJSON), of which every value is a substring. No
// string per value and nothing escaped on the way out. It returns nil when the region or
// the transaction id would need escaping (newSendResponse then writes them).
func newSendResponseJSON(req *remoting.Command, rcode protocol.ResponseCode, storeHost netip.AddrPort,
	res store.AppendResult, qid int32, txID, region string, traceOn bool) *remoting.Command {
	if !remoting.JSONPlain(region) || !remoting.JSONPlain(txID) {
		return nil
	}
	// The keys in SendMessageResponseHeader.EncodeTo's order, which is sorted.
	var buf [256]byte
	var ends [6][2]int // each value's start and end in b
	var keys [6]string
	n := 0
	b := buf[:0]
	value := func(key string) {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, key...)
		b = append(b, `":"`...)
		keys[n], ends[n][0] = key, len(b)
	}
	end := func() {
		ends[n][1] = len(b)
		b = append(b, '"')
		n++
	}
	if region != "" {
		value("MSG_REGION")
		b = append(b, region...)
		end()
	}
	value("TRACE_ON")
	b = strconv.AppendBool(b, traceOn)
	end()
	value("msgId")
	b = message.AppendOffsetMsgID(b, storeHost, res.PhysicalOffset)
	end()
	value("queueId")
	b = strconv.AppendInt(b, int64(qid), 10)
	end()
	value("queueOffset")
	b = strconv.AppendInt(b, res.QueueOffset, 10)
	end()
	if txID != "" {
		value("transactionId")
		b = append(b, txID...)
		end()
	}
	members := string(b)
	r := &sendResponseJSON{cmd: remoting.Command{Code: int16(rcode), Language: remoting.Go, Version: remoting.Version,
		Opaque: req.Opaque, Flag: remoting.FlagResponse, Serialize: req.Serialize}}
	for i := range n {
		r.pairs[i] = remoting.ExtPair{Key: keys[i], Value: members[ends[i][0]:ends[i][1]]}
	}
	r.cmd.SetExtPairsJSON(r.pairs[:n], members)
	return &r.cmd
}

// sendResponseAlloc is a send's response and the room for its extFields pairs, allocated
// together.
type sendResponseAlloc struct {
	cmd   remoting.Command
	pairs [7]remoting.ExtPair
}

// newSendResponse returns the response to req with rh as extFields pairs: no map to build
// and sort, and one allocation for the command and its pairs.
func newSendResponse(req *remoting.Command, rcode protocol.ResponseCode, rh *protocol.SendMessageResponseHeader) *remoting.Command {
	r := &sendResponseAlloc{cmd: remoting.Command{Code: int16(rcode), Language: remoting.Go, Version: remoting.Version,
		Opaque: req.Opaque, Flag: remoting.FlagResponse, Serialize: req.Serialize}}
	ps := r.pairs[:0]
	rh.EncodeTo(func(k, v string) { ps = append(ps, remoting.ExtPair{Key: k, Value: v}) })
	r.cmd.SetExtPairs(ps)
	return &r.cmd
}

// finishSend answers a stored send. With nothing to wait for (ASYNC_FLUSH and no SYNC_MASTER
// ack, or the producer's WAIT=false) it builds the response now. Otherwise the request worker
// is freed and the answer comes later through c.Reply, as Java's asynchronous put does: a
// worker blocked per send would cap a group commit at the size of the send pool. Under
// SYNC_FLUSH alone the store's flusher answers (answerFlushed); with a SYNC_MASTER slave to
// wait for, a goroutine does. It then returns nil (the answer comes later).
func (b *Broker) finishSend(ctx context.Context, c *remoting.Conn, req *remoting.Command, wait string,
	res store.AppendResult, build func(protocol.ResponseCode) *remoting.Command) *remoting.Command {
	if b.answerNow(req, wait) {
		return build(protocol.Success)
	}
	return b.answerLater(ctx, c, req, wait, res, build)
}

// answerNow reports whether a stored send is answered at once: there is no flush (SYNC_FLUSH)
// nor slave (SYNC_MASTER) to wait for, or the producer does not wait (a SYNC_FLUSH store is
// then asked to flush soon). wait is the send's WAIT property.
func (b *Broker) answerNow(req *remoting.Command, wait string) bool {
	noWait := wait == "false" || req.IsOneway()
	if noWait {
		if b.ms.SyncFlush() {
			b.ms.RequestFlush()
		}
		return true
	}
	return !b.ms.SyncFlush() && b.cfg.BrokerRole != SyncMaster
}

// answerLater is finishSend's answer once the flush and the slave are done (answerNow is
// false): it returns nil and answers through c.Reply.
func (b *Broker) answerLater(ctx context.Context, c *remoting.Conn, req *remoting.Command, wait string,
	res store.AppendResult, build func(protocol.ResponseCode) *remoting.Command) *remoting.Command {
	waitFlush := b.ms.SyncFlush()
	if waitFlush && b.cfg.BrokerRole != SyncMaster {
		return b.answerFlushed(ctx, c, req, res, build)
	}
	complete := func() *remoting.Command {
		rcode := protocol.Success
		if waitFlush {
			var refused *remoting.Command
			if rcode, refused = flushOutcome(req, b.ms.WaitFlushed(ctx, res)); refused != nil {
				return refused
			}
		}
		return build(b.waitSlave(ctx, wait, res, rcode))
	}
	if !b.takeSendWait(ctx) {
		return nil // the connection is gone: nobody to answer
	}
	b.sendWG.Go(func() {
		defer func() { <-b.sendWaits }()
		b.replyLater(c, req, complete())
	})
	return nil
}

// answerFlushed answers a SYNC_FLUSH send once its records are on disk. The store's flusher
// answers every send of a group commit right after its flush (c.Reply does not block), so
// a round of N sends costs no goroutine rather than N.
func (b *Broker) answerFlushed(ctx context.Context, c *remoting.Conn, req *remoting.Command,
	res store.AppendResult, build func(protocol.ResponseCode) *remoting.Command) *remoting.Command {
	if !b.takeSendWait(ctx) {
		return nil // the connection is gone: nobody to answer
	}
	b.sendWG.Add(1)
	b.ms.OnFlushed(res, func(err error) {
		defer b.sendWG.Done()
		defer func() { <-b.sendWaits }()
		rcode, resp := flushOutcome(req, err)
		if resp == nil {
			resp = build(rcode)
		}
		b.replyLater(c, req, resp)
	})
	return nil
}

// flushOutcome maps how a send's wait for its flush ended: the send's answer is built with
// rcode (SUCCESS, or FLUSH_DISK_TIMEOUT as Java answers a flush that timed out: the message
// is stored), unless refused is the error answer to send instead.
func flushOutcome(req *remoting.Command, err error) (rcode protocol.ResponseCode, refused *remoting.Command) {
	if err == nil {
		return protocol.Success, nil
	}
	if rcode = storeErrorCode(err); rcode != protocol.FlushDiskTimeout {
		return rcode, errorResponse(req, rcode, err.Error())
	}
	return rcode, nil
}

// takeSendWait takes one of the maxSendWaits slots of sends answered later, waiting for one
// when all are taken (backpressure on the producers); false when ctx ended first.
func (b *Broker) takeSendWait(ctx context.Context) bool {
	select {
	case b.sendWaits <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// replyLater sends an answer that comes after its handler returned.
func (b *Broker) replyLater(c *remoting.Conn, req, resp *remoting.Command) {
	if err := c.Reply(req, resp); err != nil && !errors.Is(err, remoting.ErrConnClosed) {
		b.log.Warn("answer send", "remote", c.RemoteAddr(), "err", err)
	}
}

// maxSendWaits bounds the sends waiting for a flush or a slave at once; a request worker
// that finds them all taken waits for one to finish (backpressure on the producers).
const maxSendWaits = 16384

// sendBatch stores the members of a SEND_BATCH_MESSAGE body in one append.
func (b *Broker) sendBatch(ctx context.Context, c *remoting.Conn, req *remoting.Command, h *protocol.SendMessageRequestHeader, qid int32, bornHost netip.AddrPort) (*remoting.Command, *sendError) {
	if strings.HasPrefix(h.Topic, RetryGroupTopicPrefix) {
		return nil, refuse(protocol.MessageIllegal, "batch request does not support retry group %s", h.Topic)
	}
	// CommitLog#asyncPutMessages: a batch with a delay level is MESSAGE_ILLEGAL.
	if v, ok := message.PropertyValue([]byte(h.Properties), message.PropertyDelayTimeLevel); ok {
		if d, err := strconv.Atoi(string(v)); err == nil && d > 0 {
			return nil, refuse(protocol.MessageIllegal, "batch message does not support delay level %d", d)
		}
	}
	members, err := message.SplitBatch(req.Body, maxBatchMessages)
	if err != nil {
		return nil, refuse(protocol.MessageIllegal, "bad batch body: %v", err)
	}
	if len(members) == 0 {
		return nil, refuse(protocol.MessageIllegal, "empty batch")
	}
	exts := make([]message.MessageExt, len(members))
	ptrs := make([]*message.MessageExt, len(members))
	for i, bm := range members {
		exts[i] = message.MessageExt{Message: message.Message{Topic: h.Topic, Flag: bm.Flag, Body: bm.Body}, QueueID: qid,
			SysFlag: h.SysFlag &^ message.SysFlagTransactionMask, BornTimestamp: h.BornTimestamp, BornHost: bornHost,
			ReconsumeTimes: h.ReconsumeTimes}
		ptrs[i] = &exts[i]
	}
	wait, plain := "", false // wait: the first member's WAIT
	if plainSends {
		wait, plain = b.batchPropertiesPlain(exts, members)
	}
	if !plain {
		for i, bm := range members {
			exts[i].Properties = message.DecodeProperties(bm.Properties)
			exts[i].EncodedProperties = nil
			b.stampProperties(exts[i].Properties)
		}
		wait = exts[0].Properties[message.PropertyWaitStoreMsgOK]
	}
	t0 := b.putStart()
	res, err := b.ms.AppendBatchNoWait(ptrs)
	b.putDone(t0)
	if err != nil {
		return nil, b.storeRefusal(err)
	}
	b.stats.put(len(ptrs))
	size := 0
	for _, m := range ptrs {
		size += len(m.Body)
	}
	b.countPut(h.Topic, len(ptrs), size)
	var ids strings.Builder
	buf := make([]byte, 0, 56)
	for i, m := range ptrs {
		if i > 0 {
			ids.WriteByte(',')
		}
		buf = message.AppendOffsetMsgID(buf[:0], b.storeHost, m.CommitLogOffset)
		ids.Write(buf)
	}
	return b.finishSend(ctx, c, req, wait, res, func(rcode protocol.ResponseCode) *remoting.Command {
		rh := protocol.SendMessageResponseHeader{
			MsgID: ids.String(), QueueID: qid, QueueOffset: res.QueueOffset,
			MsgRegion: b.conf().RegionID, TraceOn: strconv.FormatBool(b.conf().TraceOn),
		}
		return newSendResponse(req, rcode, &rh)
	}), nil
}

// batchPropertiesPlain gives every member of a batch its stored properties string without a
// map, as sendPlain does (the member's properties and the broker's stamps, encoded once), all in
// one buffer, and returns the first member's WAIT. ok is false, exts' properties left to the
// caller, when a member carries more properties than a PropertyList holds.
func (b *Broker) batchPropertiesPlain(exts []message.MessageExt, members []message.BatchMember) (wait string, ok bool) {
	conf := b.conf()
	stamps := len(message.PropertyCluster) + len(conf.BrokerClusterName) + len(message.PropertyMsgRegion) +
		len(conf.RegionID) + len(message.PropertyTraceSwitch) + len("false") + 6
	n := 0
	for _, bm := range members {
		n += len(bm.Properties) + 1 + stamps // +1: a last pair without its separator gets one
	}
	buf := make([]byte, 0, n)
	var pl message.PropertyList
	for i, bm := range members {
		if !pl.Parse(string(bm.Properties), 3) {
			return "", false
		}
		if i == 0 {
			wait = pl.Get(message.PropertyWaitStoreMsgOK)
		}
		b.stampList(&pl)
		from := len(buf)
		buf = pl.Append(buf)
		exts[i].EncodedProperties = buf[from:len(buf):len(buf)]
	}
	return wait, true
}

// stampList is stampProperties for a PropertyList (which keeps room for the three).
func (b *Broker) stampList(pl *message.PropertyList) {
	conf := b.conf()
	pl.Set(message.PropertyCluster, conf.BrokerClusterName)
	pl.Set(message.PropertyMsgRegion, conf.RegionID)
	pl.Set(message.PropertyTraceSwitch, strconv.FormatBool(conf.TraceOn))
}

// stampProperties adds what Apache adds to every stored message: CLUSTER, MSG_REGION and
// TRACE_ON (trap §7.31).
func (b *Broker) stampProperties(p map[string]string) {
	p[message.PropertyCluster] = b.conf().BrokerClusterName
	p[message.PropertyMsgRegion] = b.conf().RegionID
	p[message.PropertyTraceSwitch] = strconv.FormatBool(b.conf().TraceOn)
}

// retryOrDLQ applies the rule of a plain send to %RETRY%<group> (handleRetryAndDLQ): the
// group must exist; when reconsumeTimes is strictly greater than the max (the header's
// maxReconsumeTimes when sent, else the group's retryMaxTimes) the message goes to
// %DLQ%<group> without delay.
func (b *Broker) retryOrDLQ(req *remoting.Command, h *protocol.SendMessageRequestHeader, m *message.MessageExt) *sendError {
	group := strings.TrimPrefix(h.Topic, RetryGroupTopicPrefix)
	sg, _, err := b.subs.FindOrCreate(group)
	if err != nil {
		return refuse(protocol.SubscriptionGroupNotExist, "subscription group not exist, %s", group)
	}
	maxTimes := sg.RetryMaxTimes
	if _, ok := req.LookupExt("maxReconsumeTimes"); ok {
		maxTimes = h.MaxReconsumeTimes
	} else if _, ok := req.LookupExt("l"); ok {
		maxTimes = h.MaxReconsumeTimes
	}
	if h.ReconsumeTimes <= maxTimes {
		return nil
	}
	dlq, serr := b.dlqTopic(group)
	if serr != nil {
		return serr
	}
	m.Topic = dlq.TopicName
	m.QueueID = rand.Int32N(max(dlq.WriteQueueNums, 1))
	delete(m.Properties, message.PropertyDelayTimeLevel)
	return nil
}

// dlqTopic returns %DLQ%<group>, creating it with one read-write queue.
func (b *Broker) dlqTopic(group string) (protocol.TopicConfig, *sendError) {
	nt := protocol.NewTopicConfig(DLQTopic(group))
	nt.ReadQueueNums, nt.WriteQueueNums = 1, 1
	nt.Perm = protocol.PermRead | protocol.PermWrite
	tc, _, err := b.topics.CreateIfAbsent(nt)
	if err != nil && tc.TopicName == "" {
		return tc, refuse(protocol.SystemError, "create topic %s: %v", nt.TopicName, err)
	}
	return tc, nil
}

// toHalf turns a prepared transaction message into its half message
// (TransactionalMessageBridge#parseHalfMessageInner).
func toHalf(m *message.MessageExt) {
	m.SetProperty(message.PropertyRealTopic, m.Topic)
	m.SetProperty(message.PropertyRealQueueID, strconv.Itoa(int(m.QueueID)))
	if id := m.Properties[message.PropertyUniqClientMessageIDKeyIndex]; id != "" {
		m.SetProperty(message.PropertyTransactionID, id)
	}
	m.SysFlag = message.SetTransactionType(m.SysFlag, message.TransactionNotType)
	m.Topic, m.QueueID = TopicTransHalf, 0
}

// putMessage stores m after the delay-level transformation (HookUtils#handleScheduleMessage):
// a message with DELAY > 0 (and no transaction or a commit) waits in SCHEDULE_TOPIC_XXXX,
// queue level-1, with REAL_TOPIC and REAL_QID.
func (b *Broker) putMessage(ctx context.Context, m *message.MessageExt) (store.AppendResult, error) {
	res, err := b.putMessageNoWait(m)
	if err != nil {
		return res, err
	}
	return res, b.ms.WaitFlushed(ctx, res)
}

// putMessageNoWait is putMessage without the SYNC_FLUSH wait (see store.AppendNoWait).
func (b *Broker) putMessageNoWait(m *message.MessageExt) (store.AppendResult, error) {
	if b.isSlave() {
		return store.AppendResult{}, errSlaveRole
	}
	t := message.TransactionType(m.SysFlag)
	if d := m.Properties[message.PropertyDelayTimeLevel]; d != "" && (t == message.TransactionNotType || t == message.TransactionCommitType) {
		if level, err := strconv.Atoi(d); err == nil && level > 0 {
			level = min(level, len(b.delays))
			m.SetProperty(message.PropertyRealTopic, m.Topic)
			m.SetProperty(message.PropertyRealQueueID, strconv.Itoa(int(m.QueueID)))
			m.Topic, m.QueueID = TopicSchedule, int32(level-1)
		}
	}
	t0 := b.putStart()
	res, err := b.ms.AppendNoWait(m)
	b.putDone(t0)
	if err == nil {
		b.stats.put(1)
	}
	return res, err
}

// storeRefusal is the answer to a send the store refused. A segment that cannot be created is
// logged with its cause and answered with Apache's remark, without the file's path.
func (b *Broker) storeRefusal(err error) *sendError {
	if errors.Is(err, store.ErrNoSegment) {
		b.log.Error("send refused: no CommitLog segment", "err", err)
		return refuse(protocol.ServiceNotAvailable, "create mapped file failed, server is busy or broken.")
	}
	return refuse(storeErrorCode(err), "%v", err)
}

// storeErrorCode translates a store error into a send response code.
func storeErrorCode(err error) protocol.ResponseCode {
	switch {
	case errors.Is(err, store.ErrFlushTimeout):
		return protocol.FlushDiskTimeout
	case errors.Is(err, store.ErrMessageTooLarge), errors.Is(err, message.ErrPropertiesTooLong), errors.Is(err, store.ErrInvalidTopic),
		errors.Is(err, message.ErrTopicTooLong), errors.Is(err, message.ErrBadLength):
		return protocol.MessageIllegal
	case errors.Is(err, store.ErrClosed), errors.Is(err, errSlaveRole), errors.Is(err, store.ErrDiskFull),
		errors.Is(err, store.ErrNoSegment):
		return protocol.ServiceNotAvailable
	}
	return protocol.SystemError
}

// consumerSendMsgBack handles CONSUMER_SEND_MSG_BACK (AbstractSendMessageProcessor
// #consumerSendMsgBack): the message at the CommitLog offset (trap §7.19) is stored again in
// %RETRY%<group> with reconsumeTimes+1 and delay level 3+reconsumeTimes (or the given level),
// or in %DLQ%<group> once reconsumeTimes >= maxReconsumeTimes or delayLevel < 0.
func (b *Broker) consumerSendMsgBack(ctx context.Context, c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.ConsumerSendMsgBackRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	sg, _, err := b.subs.FindOrCreate(h.Group)
	if err != nil {
		return errorResponse(req, protocol.SubscriptionGroupNotExist, "subscription group not exist, "+h.Group)
	}
	if int32(b.conf().BrokerPermission)&protocol.PermWrite == 0 {
		return errorResponse(req, protocol.NoPermission, "the broker["+b.conf().BrokerName+"] sending message is forbidden")
	}
	if sg.RetryQueueNums <= 0 {
		return success(req)
	}
	rec, err := b.ms.ReadAt(h.Offset)
	if err != nil {
		return errorResponse(req, protocol.SystemError, "look message by offset failed, "+strconv.FormatInt(h.Offset, 10))
	}
	old := rec.Ext(true)
	rec.Release()
	nt := protocol.NewTopicConfig(RetryTopic(h.Group))
	nt.ReadQueueNums, nt.WriteQueueNums = sg.RetryQueueNums, sg.RetryQueueNums
	nt.Perm = protocol.PermRead | protocol.PermWrite
	tc, _, err := b.topics.CreateIfAbsent(nt)
	if err != nil && tc.TopicName == "" {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	props := old.Properties
	if props == nil {
		props = make(map[string]string)
	}
	if props[message.PropertyRetryTopic] == "" {
		props[message.PropertyRetryTopic] = old.Topic
	}
	maxTimes := sg.RetryMaxTimes
	if _, ok := req.ExtFields["maxReconsumeTimes"]; ok {
		maxTimes = h.MaxReconsumeTimes
	}
	m := &message.MessageExt{
		Message: message.Message{Topic: tc.TopicName, Flag: old.Flag, Properties: props, Body: old.Body},
		QueueID: rand.Int32N(max(tc.WriteQueueNums, 1)), SysFlag: old.SysFlag,
		BornTimestamp: old.BornTimestamp, BornHost: old.BornHost, ReconsumeTimes: old.ReconsumeTimes + 1,
	}
	delay := h.DelayLevel
	if old.ReconsumeTimes >= maxTimes || delay < 0 {
		dlq, serr := b.dlqTopic(h.Group)
		if serr != nil {
			return errorResponse(req, serr.code, serr.remark)
		}
		m.Topic, m.QueueID = dlq.TopicName, 0
		delete(props, message.PropertyDelayTimeLevel)
	} else {
		if delay == 0 {
			delay = 3 + old.ReconsumeTimes
		}
		props[message.PropertyDelayTimeLevel] = strconv.Itoa(int(delay))
	}
	if props[message.PropertyOriginMessageID] == "" {
		props[message.PropertyOriginMessageID] = message.OffsetMsgID(old.StoreHost, old.CommitLogOffset)
	}
	if _, err := b.putMessage(ctx, m); err != nil && !errors.Is(err, store.ErrFlushTimeout) {
		return errorResponse(req, storeErrorCode(err), err.Error())
	}
	return success(req)
}

// sendReplyMessage handles SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325)
// (ReplyMessageProcessor, §5.12, trap §7.31): the reply is pushed with
// PUSH_REPLY_MESSAGE_TO_CLIENT (326) on the connection of the producer whose client id is
// the message's REPLY_TO_CLIENT, then stored when storeReplyMessageEnable. The answer is
// SUCCESS with msgId "0" and queueOffset 0 when the push worked (as Apache), else
// SYSTEM_ERROR with the reason.
func (b *Broker) sendReplyMessage(ctx context.Context, c *remoting.Conn, req *remoting.Command) *remoting.Command {
	h, err := protocol.DecodeSendMessageRequestHeader(protocol.RequestCode(req.Code), req.ExtFields)
	if err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	tc, serr := b.checkSend(&h)
	if serr != nil {
		return errorResponse(req, serr.code, serr.remark)
	}
	if len(req.Body) > b.conf().MaxMessageSize {
		return errorResponse(req, protocol.MessageIllegal, "the message body size over max value, MAX: "+strconv.Itoa(b.conf().MaxMessageSize))
	}
	qid := h.QueueID
	if qid < 0 {
		qid = rand.Int32N(max(tc.WriteQueueNums, 1))
	}
	props := message.DecodePropertiesString(h.Properties, 2)
	if props == nil {
		props = make(map[string]string, 2)
	}
	props[message.PropertyCluster] = b.conf().BrokerClusterName
	m := &message.MessageExt{
		Message: message.Message{Topic: h.Topic, Flag: h.Flag, Properties: props, Body: req.Body},
		QueueID: qid, SysFlag: h.SysFlag, BornTimestamp: h.BornTimestamp, BornHost: addrPortOf(c.RemoteAddr()),
		ReconsumeTimes: h.ReconsumeTimes,
	}
	var resp *remoting.Command
	if remark := b.pushReply(ctx, &h, m, c.RemoteAddr()); remark != "" {
		resp = errorResponse(req, protocol.SystemError, remark)
	} else {
		resp = success(req)
		resp.ExtFields = make(map[string]string, 4)
		(&protocol.SendMessageResponseHeader{MsgID: "0", QueueID: qid}).Encode(resp.ExtFields)
	}
	if b.conf().StoreReplyMessageEnable {
		if _, err := b.putMessage(ctx, m); err != nil {
			b.log.Warn("store reply message", "topic", m.Topic, "err", err)
		}
	}
	return resp
}

// pushReply sends PUSH_REPLY_MESSAGE_TO_CLIENT to the requester and returns "" or why it
// failed.
func (b *Broker) pushReply(ctx context.Context, h *protocol.SendMessageRequestHeader, m *message.MessageExt, bornHost string) string {
	sender := m.Properties[message.PropertyMessageReplyToClient]
	ch, ok := b.producers.ChannelByClientID(sender)
	if !ok || ch.Conn() == nil {
		return "push reply message fail, channel of <" + sender + "> not found."
	}
	now := b.now().UnixMilli()
	props := maps.Clone(m.Properties)
	props[message.PropertyPushReplyTime] = strconv.FormatInt(now, 10)
	rh := protocol.ReplyMessageRequestHeader{
		ProducerGroup: h.ProducerGroup, Topic: m.Topic, DefaultTopic: h.DefaultTopic,
		DefaultTopicQueueNums: h.DefaultTopicQueueNums, QueueID: m.QueueID, SysFlag: h.SysFlag,
		BornTimestamp: h.BornTimestamp, Flag: h.Flag, Properties: message.EncodeProperties(props),
		ReconsumeTimes: h.ReconsumeTimes, UnitMode: h.UnitMode, BornHost: bornHost,
		StoreHost: b.storeHost.String(), StoreTimestamp: now,
	}
	req := remoting.NewRequest(int16(protocol.PushReplyMessageToClient), protocol.EncodeHeader(&rh), m.Body)
	cctx, cancel := context.WithTimeout(ctx, pushReplyTimeout)
	defer cancel()
	resp, err := ch.Conn().InvokeSync(cctx, req)
	if err != nil {
		return "push reply message to " + sender + " failed: " + err.Error()
	}
	if resp.Code != int16(protocol.Success) {
		return "push reply message to " + sender + " failed: code " + strconv.Itoa(int(resp.Code)) + " " + resp.Remark
	}
	return ""
}

// endTransaction handles END_TRANSACTION (37). The Go client sends it without waiting, but
// a response is written unless the request is oneway.
func (b *Broker) endTransaction(ctx context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.EndTransactionRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	if b.conf().BrokerRole == Slave {
		return errorResponse(req, protocol.SlaveNotAvailable, "Can not process transaction message in slave")
	}
	if h.CommitOrRollback != txn.Commit && h.CommitOrRollback != txn.Rollback {
		return nil // UNKNOWN: a later check decides (Apache answers nothing)
	}
	err := b.svc.txn.End(ctx, h)
	switch {
	case err == nil:
		return success(req)
	case errors.Is(err, txn.ErrImmunityOver):
		return errorResponse(req, protocol.IllegalOperation, err.Error())
	case errors.Is(err, txn.ErrMismatch):
		return errorResponse(req, protocol.SystemError, err.Error())
	default:
		var se *sendError
		if errors.As(err, &se) {
			return errorResponse(req, se.code, se.remark)
		}
		return errorResponse(req, protocol.SystemError, err.Error())
	}
}
