package broker

import (
	"context"
	"strconv"

	"github.com/mq-project/mq/broker/schedule"
	"github.com/mq-project/mq/broker/timer"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

// DelayStatus reports every delay level: delay, delivered and max offsets of its
// SCHEDULE_TOPIC_XXXX queue, pending = max - delivered, and when the next one is due.
func (b *Broker) DelayStatus() protocol.DelayStatusBody {
	offs := b.svc.sched.Offsets()
	body := protocol.DelayStatusBody{Levels: make([]protocol.DelayLevelStatus, 0, len(b.delays))}
	for i, d := range b.delays {
		level := int32(i + 1)
		ls := protocol.DelayLevelStatus{Level: level, DelayMillis: d.Milliseconds(), DeliveredOffset: offs[level],
			MaxOffset: b.ms.MaxOffset(schedule.Topic, level-1)}
		ls.DeliveredOffset = max(ls.DeliveredOffset, b.ms.MinOffset(schedule.Topic, level-1))
		ls.Pending = max(ls.MaxOffset-ls.DeliveredOffset, 0)
		if ls.Pending > 0 {
			r, _ := b.ms.GetMessages(schedule.Topic, level-1, ls.DeliveredOffset, 1, nil)
			if r.Status == store.Found && len(r.Messages) > 0 {
				ls.NextDueTimestamp = r.Messages[0].StoreTimestamp() + d.Milliseconds()
			}
			r.Release()
		}
		body.Levels = append(body.Levels, ls)
	}
	return body
}

func (b *Broker) mqDelayStatus(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	return jsonResponse(req, b.DelayStatus())
}

// TimerStatus reports the timer wheel: pending messages by due-time bucket.
func (b *Broker) TimerStatus() (protocol.TimerStatusBody, error) {
	body := protocol.TimerStatusBody{Enabled: b.svc.timer != nil, PrecisionMillis: int64(b.conf().TimerPrecisionMs),
		MaxDelaySec: int64(b.conf().TimerMaxDelaySec)}
	if b.svc.timer == nil {
		return body, nil
	}
	st, err := b.svc.timer.Stats(timer.DefaultBuckets)
	if err != nil {
		return body, err
	}
	body.Pending, body.Backlog, body.EnqueueOffset = st.Pending, st.Backlog, st.EnqueueOffset
	body.ReadTimestamp = st.ReadSlot * st.Precision.Milliseconds()
	body.Enqueued, body.Delivered = st.Enqueued, st.Delivered
	if !st.NextDue.IsZero() {
		body.NextDueTimestamp = st.NextDue.UnixMilli()
	}
	for _, bk := range st.Buckets {
		body.Buckets = append(body.Buckets, protocol.TimerBucket{UptoMillis: bk.Upto.Milliseconds(), Count: bk.Count})
	}
	return body, nil
}

func (b *Broker) mqTimerStatus(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	body, err := b.TimerStatus()
	if err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	return jsonResponse(req, body)
}

// TransactionStatus reports the half queue: pending transactions, oldest age, check counts,
// and up to limit of them.
func (b *Broker) TransactionStatus(limit int) protocol.TransactionStatusBody {
	st := b.svc.txn.Status(limit)
	q := protocol.HalfQueueStatus{HalfOffset: st.HalfOffset, MaxOffset: st.MaxOffset, OpOffset: st.OpOffset,
		OpMaxOffset: st.OpMaxOffset, Pending: int64(st.Pending), ChecksSent: st.ChecksSent,
		CheckTimes: make(map[string]int64, len(st.CheckTimes))}
	if !st.Oldest.IsZero() {
		q.OldestAgeMillis = b.now().Sub(st.Oldest).Milliseconds()
	}
	for k, v := range st.CheckTimes {
		q.CheckTimes[strconv.Itoa(k)] = int64(v)
	}
	body := protocol.TransactionStatusBody{Queues: []protocol.HalfQueueStatus{q}, Messages: []protocol.HalfMessage{}}
	for _, h := range st.Messages {
		body.Messages = append(body.Messages, protocol.HalfMessage{QueueOffset: h.QueueOffset, OriginalOffset: h.OriginalOffset,
			CommitLogOffset: h.CommitLogOffset, Topic: h.Topic, QueueID: h.QueueID, ProducerGroup: h.ProducerGroup,
			MsgID: h.MsgID, CheckTimes: int32(h.CheckTimes), BornTimestamp: h.BornTimestamp, StoreTimestamp: h.StoreTimestamp})
	}
	return body
}

func (b *Broker) mqTransactionStatus(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.MQGetTransactionStatusRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	return jsonResponse(req, b.TransactionStatus(int(max(h.Limit, 0))))
}

// CheckTransactionsNow runs a transaction check round at once (tests, operators).
func (b *Broker) CheckTransactionsNow() { b.svc.txn.Notify() }
