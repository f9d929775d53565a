package admin

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mq-project/mq/protocol"
)

// Delay, timer and half-message state. mq brokers answer their own codes (protocol
// codes_mq.go); an Apache broker answers REQUEST_CODE_NOT_SUPPORTED and these fall back to
// what it offers: the scheduleMessageOffset_<level> runtime-info keys, and the queue offsets
// of the half and op topics.

// Topics of the delay and transaction machinery.
const (
	ScheduleTopic = "SCHEDULE_TOPIC_XXXX"
	HalfTopic     = "RMQ_SYS_TRANS_HALF_TOPIC"
	OpHalfTopic   = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
	// TransactionCheckGroup is the group whose offsets on HalfTopic are Apache's transaction
	// checker's position (MixAll.CID_SYS_RMQ_TRANS).
	TransactionCheckGroup = "CID_RMQ_SYS_TRANS"
	SourceMQ              = "mq"
	SourceFallback        = "apache-fallback"
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
// MQ_GET_TIMER_STATUS). A broker that does not know those codes (Apache) is read the way its
// ScheduleMessageService works: the levels of messageDelayLevel (broker config), each level's
// queue (level-1) of SCHEDULE_TOPIC_XXXX for the max offset, and scheduleMessageOffset_<level>
// of runtime info for the delivered offset, which Apache reports only after the level's first
// delivery (absent = 0).
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
	conf, err := a.BrokerConfig(ctx, addr)
	if err != nil {
		return ds, err
	}
	delays, err := ParseDelayLevels(conf["messageDelayLevel"])
	if err != nil {
		return ds, err
	}
	info, err := a.BrokerRuntimeInfo(ctx, addr)
	if err != nil {
		return ds, err
	}
	maxByQueue := map[int32]int64{}
	stats, err := a.TopicStats(ctx, addr, ScheduleTopic)
	if err != nil && !IsCode(err, protocol.TopicNotExist) {
		return ds, err
	}
	for q, off := range stats.OffsetTable {
		maxByQueue[q.QueueID] = off.MaxOffset
	}
	for i, d := range delays {
		level := i + 1
		st := protocol.DelayLevelStatus{Level: int32(level), DelayMillis: d.Milliseconds(), MaxOffset: maxByQueue[int32(i)]}
		if v, ok := info["scheduleMessageOffset_"+strconv.Itoa(level)]; ok {
			d, _, _ := strings.Cut(v, ",")
			st.DeliveredOffset, _ = strconv.ParseInt(strings.TrimSpace(d), 10, 64)
		}
		st.Pending = max(st.MaxOffset-st.DeliveredOffset, 0)
		ds.Levels = append(ds.Levels, st)
	}
	return ds, nil
}

// DefaultDelayLevels is messageDelayLevel's default in Apache's MessageStoreConfig.
const DefaultDelayLevels = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"

// ParseDelayLevels reads a messageDelayLevel value ("1s 5s … 2h"; units s, m, h, d, as
// ScheduleMessageService.parseDelayLevel); "" is the default.
func ParseDelayLevels(s string) ([]time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		s = DefaultDelayLevels
	}
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}
	var out []time.Duration
	for _, f := range strings.Fields(s) {
		unit, ok := units[f[len(f)-1]]
		n, err := strconv.ParseInt(f[:len(f)-1], 10, 64)
		if !ok || err != nil || n < 0 {
			return nil, wrapf("bad messageDelayLevel %q: %q is not a number followed by s, m, h or d", s, f)
		}
		out = append(out, time.Duration(n)*unit)
	}
	return out, nil
}

// TxnStatus is one broker's pending transactions.
type TxnStatus struct {
	Source string `json:"source"`
	protocol.TransactionStatusBody
}

// TransactionStatus asks one broker for its half-message state and up to limit pending half
// messages (MQ_GET_TRANSACTION_STATUS). An Apache broker is read the way its transaction
// checker works: the checker commits its position in RMQ_SYS_TRANS_HALF_TOPIC as group
// CID_RMQ_SYS_TRANS (none yet: the queue's min offset), so Pending is max − position; no
// messages are listed. A broker that never saw a transaction has no half topic and no queues.
// RMQ_SYS_TRANS_OP_HALF_TOPIC, which Apache creates on the first commit or rollback, adds the
// op offsets when it exists.
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
	ts.Queues = []protocol.HalfQueueStatus{}
	half, err := a.TopicStats(ctx, addr, HalfTopic)
	if IsCode(err, protocol.TopicNotExist) {
		return ts, nil
	}
	if err != nil {
		return ts, err
	}
	op, _ := a.TopicStats(ctx, addr, OpHalfTopic)
	for q, off := range half.OffsetTable {
		pos, err := a.ConsumerOffset(ctx, addr, TransactionCheckGroup, HalfTopic, q.QueueID)
		if err != nil {
			return ts, err
		}
		if pos < 0 {
			pos = off.MinOffset
		}
		s := protocol.HalfQueueStatus{QueueID: q.QueueID, HalfOffset: pos, MaxOffset: off.MaxOffset, Pending: max(off.MaxOffset-pos, 0)}
		for oq, ooff := range op.OffsetTable {
			if oq.QueueID == q.QueueID {
				s.OpOffset, s.OpMaxOffset = ooff.MinOffset, ooff.MaxOffset
			}
		}
		ts.Queues = append(ts.Queues, s)
	}
	sort.Slice(ts.Queues, func(i, j int) bool { return ts.Queues[i].QueueID < ts.Queues[j].QueueID })
	return ts, nil
}
