package txn

import (
	"context"
	"strconv"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// CheckOnce runs one check round (TransactionalMessageServiceImpl#check): it walks the half
// queue from SysGroup's progress, skips finished messages, discards those checked CheckMax
// times into TRANS_CHECK_MAX_TIME_TOPIC, re-puts immune ones, and for each old enough one
// re-puts a copy with TRANSACTION_CHECK_TIMES+1 and sends CHECK_TRANSACTION_STATE about the
// copy. It stops at the first message younger than Timeout or stored during the round.
func (s *Service) CheckOnce(ctx context.Context) {
	s.mu.Lock()
	s.loadLocked()
	s.readOpsLocked()
	s.mu.Unlock()
	start := s.cfg.Now().UnixMilli()
	from := s.halfOffset()
	end := s.cfg.Store.MaxOffset(HalfTopic, 0)
	off := from
	s.eachHalf(from, end, func(o int64, rec message.Stored) bool {
		if ctx.Err() != nil {
			return false
		}
		props := rec.Properties()
		orig := original(o, props)
		s.mu.Lock()
		resolved := s.resolvedLocked(o, orig)
		s.mu.Unlock()
		if resolved {
			off = o + 1
			return true
		}
		if rec.StoreTimestamp() >= start {
			return false // stored during this round (a copy of ours or a new one)
		}
		times := 0
		if v, ok := message.PropertyValue(props, message.PropertyTransactionCheckTimes); ok {
			times, _ = strconv.Atoi(string(v))
		}
		if times >= s.cfg.CheckMax {
			if !s.discard(ctx, rec, orig) {
				return false
			}
			off = o + 1
			return true
		}
		age := time.Duration(start-rec.BornTimestamp()) * time.Millisecond
		imm, hasImm := s.cfg.Timeout, false
		if v, ok := message.PropertyValue(props, message.PropertyCheckImmunityTimeInSeconds); ok {
			imm, hasImm = s.immunity(string(v)), true
		}
		if age >= 0 && age < imm {
			if !hasImm {
				return false // later messages are younger still
			}
			// Park the immune message at the tail so the queue moves on.
			if _, ok := s.putBack(ctx, rec, orig, times); !ok {
				return false
			}
			off = o + 1
			return true
		}
		cp, ok := s.putBack(ctx, rec, orig, times+1)
		if !ok {
			return false
		}
		s.sendCheck(cp)
		off = o + 1
		return true
	})
	s.mu.Lock()
	for k := range s.done {
		if k < off {
			delete(s.done, k)
		}
	}
	for orig, c := range s.copies {
		if c < off {
			delete(s.copies, orig)
		}
	}
	i := 0
	for i < len(s.ops) && s.ops[i].maxHalf < off {
		i++
	}
	s.ops = s.ops[i:]
	opCommit := s.opNext
	if len(s.ops) > 0 {
		opCommit = s.ops[0].off
	}
	s.scanned = off
	s.mu.Unlock()
	// Half progress first: a snapshot with the new op progress and the old half progress
	// would forget finished messages.
	s.cfg.Offsets.Commit(SysGroup, HalfTopic, 0, off)
	s.cfg.Offsets.Commit(SysGroup, OpTopic, 0, opCommit)
}

// putBack appends a copy of rec to the half queue with TRANSACTION_CHECK_TIMES=times and
// TRAN_PREPARED_QUEUE_OFFSET=orig (renewHalfMessageInner) and records it as orig's newest copy.
func (s *Service) putBack(ctx context.Context, rec message.Stored, orig int64, times int) (*message.MessageExt, bool) {
	m := rec.Ext(true)
	m.SetProperty(message.PropertyTransactionCheckTimes, strconv.Itoa(times))
	m.SetProperty(message.PropertyTransactionPreparedQueueOff, strconv.FormatInt(orig, 10))
	m.QueueOffset, m.CommitLogOffset, m.StoreTimestamp = 0, 0, 0
	if err := s.cfg.Append(ctx, &m); err != nil {
		s.log.Warn("put back half message", "err", err, "offset", rec.QueueOffset())
		return nil, false
	}
	s.mu.Lock()
	s.copies[orig] = m.QueueOffset
	s.mu.Unlock()
	return &m, true
}

// discard moves a message checked too often to TRANS_CHECK_MAX_TIME_TOPIC.
func (s *Service) discard(ctx context.Context, rec message.Stored, orig int64) bool {
	m := rec.Ext(true)
	m.Topic, m.QueueID = CheckMaxTopic, 0
	m.QueueOffset, m.CommitLogOffset, m.StoreTimestamp = 0, 0, 0
	if err := s.cfg.Append(ctx, &m); err != nil {
		s.log.Warn("discard half message", "err", err, "offset", rec.QueueOffset())
		return false
	}
	s.log.Info("half message checked too often, moved", "topic", CheckMaxTopic, "offset", rec.QueueOffset(),
		"uniq", m.Properties[message.PropertyUniqClientMessageIDKeyIndex])
	s.mu.Lock()
	delete(s.copies, orig)
	s.mu.Unlock()
	return true
}

// sendCheck asks a producer of the message's group about the stored copy m. The body is the
// copy in stored layout with the real topic and queue (trap §7.22).
func (s *Service) sendCheck(m *message.MessageExt) {
	group := m.Properties[message.PropertyProducerGroup]
	uniq := m.Properties[message.PropertyUniqClientMessageIDKeyIndex]
	tid := m.Properties[message.PropertyTransactionID]
	if tid == "" {
		tid = uniq
	}
	h := protocol.CheckTransactionStateRequestHeader{
		Topic:                m.Properties[message.PropertyRealTopic],
		TranStateTableOffset: m.QueueOffset,
		CommitLogOffset:      m.CommitLogOffset,
		MsgID:                uniq,
		TransactionID:        tid,
		OffsetMsgID:          message.OffsetMsgID(m.StoreHost, m.CommitLogOffset),
		BrokerName:           s.cfg.BrokerName,
	}
	body := *m
	body.Topic = h.Topic
	if q, err := strconv.Atoi(m.Properties[message.PropertyRealQueueID]); err == nil {
		body.QueueID = int32(q)
	}
	b, err := message.EncodeStored(nil, &body, nil)
	if err != nil {
		s.log.Warn("encode check body", "err", err)
		return
	}
	s.mu.Lock()
	s.checks++
	s.mu.Unlock()
	if s.cfg.Check == nil || !s.cfg.Check(group, h, b) {
		s.log.Warn("check transaction: no live producer", "group", group, "uniq", uniq)
	}
}
