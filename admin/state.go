package admin

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/mq-project/mq/protocol"
)

// Delay, timer and half-message state. mq brokers answer their own codes (protocol
// codes_mq.go); an Apache broker answers REQUEST_CODE_NOT_SUPPORTED and these fall back to
// what it offers: the scheduleMessageOffset_<level> runtime-info keys, and the queue offsets
// of the half and op topics.

// Topics of the delay and transaction machinery.
const (
	ScheduleTopic  = "SCHEDULE_TOPIC_XXXX"
	HalfTopic      = "RMQ_SYS_TRANS_HALF_TOPIC"
	OpHalfTopic    = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
	SourceMQ       = "mq"
	SourceFallback = "apache-fallback"
)

// DelayStatus is one broker's delay levels (and timer wheel when it has one).
type DelayStatus struct {
	// Source is SourceMQ (the broker's own report) or SourceFallback (runtime info).
	Source string                      `json:"source"`
	Levels []protocol.DelayLevelStatus `json:"levels"`
	// Timer is nil when the broker has no timer report.
	Timer *protocol.TimerStatusBody `json:"timer,omitempty"`
}

// DelayStatus asks one broker for its delay and timer state (MQ_GET_DELAY_STATUS,
// MQ_GET_TIMER_STATUS), or reads scheduleMessageOffset_<level> ("delivered,max") from its
// runtime info when it does not know those codes.
func (a *Admin) DelayStatus(ctx context.Context, addr string) (DelayStatus, error) {
	ds := DelayStatus{Source: SourceMQ}
	resp, err := a.invoke(ctx, addr, protocol.MQGetDelayStatus, nil, nil)
	if err == nil {
		var body protocol.DelayStatusBody
		if err := decode(protocol.MQGetDelayStatus, resp, &body); err != nil {
			return ds, err
		}
		ds.Levels = body.Levels
		if resp, err := a.invoke(ctx, addr, protocol.MQGetTimerStatus, nil, nil); err == nil {
			var tb protocol.TimerStatusBody
			if decode(protocol.MQGetTimerStatus, resp, &tb) == nil {
				ds.Timer = &tb
			}
		}
		return ds, nil
	}
	if !IsCode(err, protocol.RequestCodeNotSupported) {
		return ds, err
	}
	ds.Source = SourceFallback
	info, err := a.BrokerRuntimeInfo(ctx, addr)
	if err != nil {
		return ds, err
	}
	for k, v := range info {
		lv, ok := strings.CutPrefix(k, "scheduleMessageOffset_")
		if !ok {
			continue
		}
		level, err := strconv.Atoi(lv)
		if err != nil {
			continue
		}
		d, m, _ := strings.Cut(v, ",")
		st := protocol.DelayLevelStatus{Level: int32(level)}
		st.DeliveredOffset, _ = strconv.ParseInt(strings.TrimSpace(d), 10, 64)
		st.MaxOffset, _ = strconv.ParseInt(strings.TrimSpace(m), 10, 64)
		st.Pending = max(st.MaxOffset-st.DeliveredOffset, 0)
		ds.Levels = append(ds.Levels, st)
	}
	sort.Slice(ds.Levels, func(i, j int) bool { return ds.Levels[i].Level < ds.Levels[j].Level })
	return ds, nil
}

// TxnStatus is one broker's pending transactions.
type TxnStatus struct {
	Source string `json:"source"`
	protocol.TransactionStatusBody
}

// TransactionStatus asks one broker for its half-message state and up to limit pending half
// messages (MQ_GET_TRANSACTION_STATUS). An Apache broker only gives the queue offsets of the
// half and op topics (GET_TOPIC_STATS_INFO): Pending is then -1 (unknown) and no messages
// are listed.
func (a *Admin) TransactionStatus(ctx context.Context, addr string, limit int32) (TxnStatus, error) {
	ts := TxnStatus{Source: SourceMQ}
	resp, err := a.invoke(ctx, addr, protocol.MQGetTransactionStatus, &protocol.MQGetTransactionStatusRequestHeader{Limit: limit}, nil)
	if err == nil {
		err = decode(protocol.MQGetTransactionStatus, resp, &ts.TransactionStatusBody)
		return ts, err
	}
	if !IsCode(err, protocol.RequestCodeNotSupported) {
		return ts, err
	}
	ts.Source = SourceFallback
	half, err := a.TopicStats(ctx, addr, HalfTopic)
	if err != nil {
		return ts, err
	}
	op, _ := a.TopicStats(ctx, addr, OpHalfTopic)
	byQueue := map[int32]*protocol.HalfQueueStatus{}
	for q, off := range half.OffsetTable {
		byQueue[q.QueueID] = &protocol.HalfQueueStatus{QueueID: q.QueueID, HalfOffset: off.MinOffset, MaxOffset: off.MaxOffset, Pending: -1}
	}
	for q, off := range op.OffsetTable {
		if s := byQueue[q.QueueID]; s != nil {
			s.OpOffset, s.OpMaxOffset = off.MinOffset, off.MaxOffset
		}
	}
	for _, s := range byQueue {
		ts.Queues = append(ts.Queues, *s)
	}
	sort.Slice(ts.Queues, func(i, j int) bool { return ts.Queues[i].QueueID < ts.Queues[j].QueueID })
	return ts, nil
}
