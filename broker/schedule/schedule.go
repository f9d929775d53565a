// Package schedule delivers delay-level messages (Apache's ScheduleMessageService).
//
// A send with property DELAY=n (1 <= n <= len(levels)) is stored by the broker in
// SCHEDULE_TOPIC_XXXX, queue n-1, with the real destination in REAL_TOPIC and REAL_QID. This
// service reads each level's queue in order and, once a message is due (store time +
// levels[n-1]), stores it again in its real topic and queue without DELAY:
//
//	send(T, DELAY=3) ──► SCHEDULE_TOPIC_XXXX/2  (REAL_TOPIC=T, REAL_QID=q)
//	                        │  due = storeTime + levels[2]
//	                        ▼
//	                     T/q  (DELAY removed, REAL_TOPIC/REAL_QID kept, as Apache)
//
// One goroutine (Run) serves every level: it sleeps until the earliest due time of the
// first pending message of each level, or until Notify says a new delay message was
// dispatched. A due time further ahead than the level's delay (clock moved back) counts as
// now. The next offset of each level is persisted to delayOffset.json
// ({"offsetTable":{"1":5,...}}, Apache writes the keys bare) every FlushInterval and by
// Persist; a crash between a delivery and the next persist delivers again (at least once).
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/store"
)

// Topic is the topic delay messages wait in; level n uses queue n-1.
const Topic = "SCHEDULE_TOPIC_XXXX"

// ErrBadConfig is returned by New for a missing store or no levels.
var ErrBadConfig = errors.New("schedule: bad config")

// Config configures a Service.
type Config struct {
	// Store is the message store delay messages are read from and delivered to.
	Store *store.Store
	// Levels are the delays of levels 1..len(Levels).
	Levels []time.Duration
	// OffsetPath is delayOffset.json; empty keeps offsets in memory only.
	OffsetPath string
	// FlushInterval is how often changed offsets are written (default 10 s,
	// flushDelayOffsetInterval).
	FlushInterval time.Duration
	// Logger receives the service's logs (nil discards them).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Route checks a delivery's destination just before the message is stored there and
	// returns the queue to use (the broker's: the topic exists, is writable and not
	// internal). An error skips the message, logged at Error: a poisoned entry never blocks
	// its level. Nil accepts every destination the store accepts.
	Route func(topic string, queueID int32) (int32, error)
}

// Service moves due delay messages to their real topics. Run it in one goroutine.
type Service struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}

	mu      sync.Mutex
	offsets map[int32]int64 // level → next queue offset of SCHEDULE_TOPIC_XXXX/level-1
	dirty   bool
	version protocol.DataVersion
}

// batch is how many messages one read of a level returns.
const batch = 32

// New loads OffsetPath (if any) and returns a service that has not started.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || len(cfg.Levels) == 0 {
		return nil, fmt.Errorf("%w: need a store and at least one level", ErrBadConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 10 * time.Second
	}
	s := &Service{cfg: cfg, log: cfg.Logger.With("service", "schedule"), wake: make(chan struct{}, 1),
		offsets: make(map[int32]int64)}
	if cfg.OffsetPath != "" {
		var w protocol.DelayOffsetSerializeWrapper
		ok, err := readWrapper(cfg.OffsetPath, &w)
		if err != nil {
			return nil, err
		}
		if ok {
			maps.Copy(s.offsets, w.OffsetTable)
			s.version = w.DataVersion
		}
	}
	return s, nil
}

// Notify wakes Run to look at the queues again; it never blocks (the broker calls it from
// the store's dispatch listener when a SCHEDULE_TOPIC_XXXX entry is added).
func (s *Service) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Offsets returns a copy of the next offset of every level that has one.
func (s *Service) Offsets() map[int32]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.offsets)
}

// Wrapper returns delayOffset.json's content (GET_ALL_DELAY_OFFSET).
func (s *Service) Wrapper() protocol.DelayOffsetSerializeWrapper {
	s.mu.Lock()
	defer s.mu.Unlock()
	return protocol.DelayOffsetSerializeWrapper{DataVersion: s.version, OffsetTable: maps.Clone(s.offsets)}
}

// Persist writes delayOffset.json if offsets changed since the last write.
func (s *Service) Persist() error {
	if s.cfg.OffsetPath == "" {
		return nil
	}
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return nil
	}
	s.version.Counter++
	s.version.Timestamp = s.cfg.Now().UnixMilli()
	w := protocol.DelayOffsetSerializeWrapper{DataVersion: s.version, OffsetTable: maps.Clone(s.offsets)}
	s.dirty = false
	s.mu.Unlock()
	b, err := protocol.EncodeBody(w)
	if err == nil {
		err = store.WriteFileAtomic(s.cfg.OffsetPath, b)
	}
	if err != nil {
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
		return fmt.Errorf("schedule: persist offsets: %w", err)
	}
	return nil
}

// Run delivers due messages until ctx is done. It returns after its last offset write.
func (s *Service) Run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := time.NewTicker(s.cfg.FlushInterval)
	defer flush.Stop()
	defer func() {
		if err := s.Persist(); err != nil {
			s.log.Error("persist delay offsets", "err", err)
		}
	}()
	for {
		next, err := s.deliverDue(ctx)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("deliver delay messages", "err", err)
			timer.Reset(time.Second)
		case !next.IsZero():
			timer.Reset(max(next.Sub(s.cfg.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.wake:
		case <-flush.C:
			if err := s.Persist(); err != nil {
				s.log.Error("persist delay offsets", "err", err)
			}
		}
		timer.Stop()
	}
}

// deliverDue delivers every due message of every level and returns the earliest due time
// still pending (zero when no message waits).
func (s *Service) deliverDue(ctx context.Context) (time.Time, error) {
	var next time.Time
	for i, d := range s.cfg.Levels {
		level := int32(i + 1)
		due, err := s.deliverLevel(ctx, level, d)
		if err != nil {
			return time.Time{}, err
		}
		if !due.IsZero() && (next.IsZero() || due.Before(next)) {
			next = due
		}
	}
	return next, nil
}

func (s *Service) offset(level int32) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offsets[level]
}

func (s *Service) setOffset(level int32, off int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.offsets[level] != off {
		s.offsets[level] = off
		s.dirty = true
	}
}

// deliverLevel delivers the due messages of one level; it returns the due time of the first
// message that is not due yet, or zero.
func (s *Service) deliverLevel(ctx context.Context, level int32, delay time.Duration) (time.Time, error) {
	st := s.cfg.Store
	qid := level - 1
	for {
		if err := ctx.Err(); err != nil {
			return time.Time{}, err
		}
		off := s.offset(level)
		r, err := st.GetMessages(Topic, qid, off, batch, nil)
		switch r.Status {
		case store.OffsetTooSmall, store.OffsetOverflowBadly:
			s.log.Warn("delay offset out of range, corrected", "level", level, "offset", off, "next", r.NextBeginOffset)
			s.setOffset(level, r.NextBeginOffset)
			continue
		case store.Found:
		case store.OffsetFoundNull, store.NoMatchedMessage:
			if r.NextBeginOffset > off {
				s.setOffset(level, r.NextBeginOffset)
				continue
			}
			return time.Time{}, nil
		default: // empty queue or nothing new
			if err != nil && !errors.Is(err, store.ErrOffsetTooSmall) {
				return time.Time{}, err
			}
			return time.Time{}, nil
		}
		now := s.cfg.Now()
		for _, rec := range r.Messages {
			due := time.UnixMilli(rec.StoreTimestamp()).Add(delay)
			if due.After(now.Add(delay)) { // store time in the future: the clock moved back
				due = now
			}
			if due.After(now) {
				r.Release()
				return due, nil
			}
			if err := s.deliver(ctx, rec); err != nil {
				r.Release()
				return time.Time{}, err
			}
			s.setOffset(level, rec.QueueOffset()+1)
		}
		next := r.NextBeginOffset
		r.Release()
		if next > s.offset(level) {
			s.setOffset(level, next)
		}
	}
}

// deliver stores rec again in its REAL_TOPIC/REAL_QID without DELAY. A record without a
// valid destination, or whose destination is refused (Route, or a store that refuses it), is
// logged and skipped; only a failure worth retrying (store closed, disk full) returns an
// error.
func (s *Service) deliver(ctx context.Context, rec message.Stored) error {
	m := rec.Ext(true)
	if err := s.prepareDelivery(&m); err != nil {
		s.log.Error("delay message not delivered, skipped", "offset", rec.PhysicalOffset(), "err", err)
		return nil
	}
	_, err := s.cfg.Store.Append(ctx, &m)
	switch {
	case errors.Is(err, store.ErrFlushTimeout):
		return nil // stored; it will be flushed
	case store.Refused(err):
		s.log.Error("delay message refused by the store, skipped", "offset", rec.PhysicalOffset(), "topic", m.Topic, "err", err)
		return nil
	}
	return err
}

// prepareDelivery turns a parked delay message into the message to store: topic and queue
// from REAL_TOPIC/REAL_QID (checked by Route; both kept as properties, as Apache), DELAY and
// the timer properties removed.
func (s *Service) prepareDelivery(m *message.MessageExt) error {
	topic, qid, err := message.RealDestination(m.Properties)
	if err != nil {
		return err
	}
	if s.cfg.Route != nil {
		if qid, err = s.cfg.Route(topic, qid); err != nil {
			return fmt.Errorf("destination %.200q: %w", topic, err)
		}
	}
	m.Topic, m.QueueID = topic, qid
	delete(m.Properties, message.PropertyDelayTimeLevel)
	delete(m.Properties, message.PropertyTimerDeliverMs)
	delete(m.Properties, message.PropertyTimerDelaySec)
	delete(m.Properties, message.PropertyTimerDelayMs)
	m.QueueOffset, m.CommitLogOffset, m.StoreTimestamp = 0, 0, 0
	return nil
}
