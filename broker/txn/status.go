package txn

import (
	"strconv"
	"time"

	"github.com/mq-project/mq/message"
)

// Half is one pending half message.
type Half struct {
	QueueOffset     int64
	OriginalOffset  int64
	CommitLogOffset int64
	Topic           string // REAL_TOPIC
	QueueID         int32  // REAL_QID
	ProducerGroup   string
	MsgID           string // UNIQ_KEY
	CheckTimes      int
	BornTimestamp   int64
	StoreTimestamp  int64
}

// Status is the admin view of the half queue.
type Status struct {
	// HalfOffset and MaxOffset bound the part of the half queue still examined.
	HalfOffset, MaxOffset int64
	// OpOffset and OpMaxOffset are the op queue's progress and end.
	OpOffset, OpMaxOffset int64
	// Pending counts unfinished transactions; Oldest is the oldest one's born time.
	Pending int
	Oldest  time.Time
	// CheckTimes counts pending transactions by how often they were checked.
	CheckTimes map[int]int
	// ChecksSent counts CHECK_TRANSACTION_STATE sent since start.
	ChecksSent int64
	// Messages lists up to the limit given to Status, oldest first.
	Messages []Half
}

// Status walks the half queue from the check progress and reports the pending
// transactions, listing up to limit of them.
func (s *Service) Status(limit int) Status {
	s.mu.Lock()
	s.loadLocked()
	s.readOpsLocked()
	st := Status{ChecksSent: s.checks, CheckTimes: map[int]int{}}
	s.mu.Unlock()
	st.HalfOffset = s.halfOffset()
	st.MaxOffset = s.cfg.Store.MaxOffset(HalfTopic, 0)
	st.OpOffset, _ = s.cfg.Offsets.Query(SysGroup, OpTopic, 0)
	st.OpMaxOffset = s.cfg.Store.MaxOffset(OpTopic, 0)
	s.eachHalf(st.HalfOffset, st.MaxOffset, func(o int64, rec message.Stored) bool {
		props := rec.Properties()
		orig := original(o, props)
		s.mu.Lock()
		resolved := s.resolvedLocked(o, orig)
		s.mu.Unlock()
		if resolved {
			return true
		}
		h := Half{QueueOffset: o, OriginalOffset: orig, CommitLogOffset: rec.PhysicalOffset(),
			BornTimestamp: rec.BornTimestamp(), StoreTimestamp: rec.StoreTimestamp()}
		get := func(k string) string {
			v, _ := message.PropertyValue(props, k)
			return string(v)
		}
		h.Topic, h.ProducerGroup, h.MsgID = get(message.PropertyRealTopic), get(message.PropertyProducerGroup),
			get(message.PropertyUniqClientMessageIDKeyIndex)
		q, _ := strconv.Atoi(get(message.PropertyRealQueueID))
		h.QueueID = int32(q)
		h.CheckTimes, _ = strconv.Atoi(get(message.PropertyTransactionCheckTimes))
		st.Pending++
		st.CheckTimes[h.CheckTimes]++
		if born := time.UnixMilli(h.BornTimestamp); st.Oldest.IsZero() || born.Before(st.Oldest) {
			st.Oldest = born
		}
		if len(st.Messages) < limit {
			st.Messages = append(st.Messages, h)
		}
		return true
	})
	return st
}
