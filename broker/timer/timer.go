package timer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/store"
)

// Topic is the system topic timer messages wait in (queue 0), as Apache's.
const Topic = "rmq_sys_wheel_timer"

// Errors.
var (
	// ErrBadConfig is returned by New for a missing store or directory.
	ErrBadConfig = errors.New("timer: bad config")
	// ErrTooLate is returned by DeliverAt for a time further ahead than the maximum delay.
	ErrTooLate = errors.New("timer: delivery time beyond the maximum delay")
	// ErrBadProperty is returned by DeliverAt for a timer property that is not a number.
	ErrBadProperty = errors.New("timer: bad timer property")
)

// Config configures a Timer.
type Config struct {
	// Store holds the timer messages and receives the delivered ones.
	Store *store.Store
	// Dir holds the timer log, the wheel and the checkpoint (storePathRootDir/timer).
	Dir string
	// Precision is the slot width (timerPrecisionMs, default 1 s). A message is delivered in
	// the first slot boundary at or after its time: never early, late by less than Precision.
	Precision time.Duration
	// MaxDelay is the furthest ahead a message may be due (timerMaxDelaySec, default 3 days).
	MaxDelay time.Duration
	// SegmentSize is the size of a timer log segment (default 48 MiB, 1 Mi units).
	SegmentSize int64
	// CheckpointInterval is how often the checkpoint is written while the wheel changes
	// (default 1 s).
	CheckpointInterval time.Duration
	// Logger receives the timer's logs (nil discards them).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Route checks a delivery's destination just before the message is stored there and
	// returns the queue to use (the broker's: the topic exists, is writable and not
	// internal). An error skips the message, logged at Error: a poisoned entry never blocks
	// the wheel. Nil accepts every destination the store accepts.
	Route func(topic string, queueID int32) (int32, error)
}

// Timer moves timer messages to their real topics when due. Run it in one goroutine, then
// Close it.
type Timer struct {
	cfg  Config
	log  *slog.Logger
	prec int64 // ms
	wake chan struct{}

	mu sync.Mutex // guards w (Run's loop and the admin view)
	w  *wheel

	delivered, enqueued int64 // guarded by mu
}

// New opens (or creates) the wheel under cfg.Dir, rebuilding its slots from the timer log
// after an unclean stop.
func New(cfg Config) (*Timer, error) {
	if cfg.Store == nil || cfg.Dir == "" {
		return nil, fmt.Errorf("%w: need a store and a directory", ErrBadConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Precision <= 0 {
		cfg.Precision = time.Second
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 72 * time.Hour
	}
	if cfg.SegmentSize <= 0 {
		cfg.SegmentSize = unitSize << 20
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = time.Second
	}
	prec := max(cfg.Precision.Milliseconds(), 1)
	// Slots cover the maximum delay plus a day of margin for an enqueue backlog.
	nslots := (cfg.MaxDelay.Milliseconds()+24*3600*1000)/prec + 1
	w, err := openWheel(cfg.Dir, cfg.SegmentSize, nslots)
	if err != nil {
		return nil, err
	}
	t := &Timer{cfg: cfg, log: cfg.Logger.With("service", "timer"), prec: prec, wake: make(chan struct{}, 1), w: w}
	if w.ck.ReadSlot == 0 {
		w.ck.ReadSlot = t.nowSlot()
	}
	if w.rebuilt {
		t.log.Info("timer wheel rebuilt from the timer log", "pending", w.ck.Pending, "enqueueOffset", w.ck.EnqueueOffset)
	}
	if w.noSpaceAtOpen != nil {
		t.log.Error("disk full: timer checkpoint removed, a crash rebuilds the wheel from the timer log", "err", w.noSpaceAtOpen)
	}
	return t, nil
}

// nowSlot is the last slot whose time has come: slot s is due once now >= s*precision.
func (t *Timer) nowSlot() int64 { return t.cfg.Now().UnixMilli() / t.prec }

// DeliverAt returns the delivery time (ms) asked by a message's timer properties:
// TIMER_DELIVER_MS (absolute), else TIMER_DELAY_SEC or TIMER_DELAY_MS (relative to now).
// ok is false when none is set. ErrTooLate is returned for more than maxDelay ahead; the
// arithmetic saturates, so TIMER_DELAY_SEC=9e18 is too late rather than an overflow into
// the past.
func DeliverAt(props map[string]string, now time.Time, maxDelay time.Duration) (ms int64, ok bool, err error) {
	nowMs := now.UnixMilli()
	parse := func(k string) (int64, bool, error) {
		v, has := props[k]
		if !has || v == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, true, fmt.Errorf("%w: %s=%.32q", ErrBadProperty, k, v)
		}
		return clampMs(n), true, nil
	}
	var n int64
	if n, ok, err = parse(message.PropertyTimerDeliverMs); ok || err != nil {
		ms = n
	} else if n, ok, err = parse(message.PropertyTimerDelaySec); ok || err != nil {
		ms = nowMs + min(max(n, -farMs/1000), farMs/1000)*1000
	} else if n, ok, err = parse(message.PropertyTimerDelayMs); ok || err != nil {
		ms = nowMs + n
	}
	if err != nil || !ok {
		return 0, ok, err
	}
	if ms-nowMs > maxDelay.Milliseconds() {
		return ms, true, fmt.Errorf("%w: %d ms ahead, max %d s", ErrTooLate, ms-nowMs, int64(maxDelay/time.Second))
	}
	return ms, true, nil
}

// farMs bounds the times DeliverAt computes with (about 73 million years either side of
// 1970), so sums of a time and a delay never overflow.
const farMs = int64(1) << 61

func clampMs(n int64) int64 { return min(max(n, -farMs), farMs) }

// Notify wakes Run to enqueue newly dispatched timer messages; it never blocks.
func (t *Timer) Notify() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Run enqueues and delivers until ctx is done.
func (t *Timer) Run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	ck := time.NewTicker(t.cfg.CheckpointInterval)
	defer ck.Stop()
	for {
		next, err := t.step(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			t.log.Warn("timer", "err", err)
			next = t.cfg.Now().Add(time.Second)
		}
		timer.Stop()
		if !next.IsZero() {
			timer.Reset(max(next.Sub(t.cfg.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
		case <-timer.C:
		case <-ck.C:
			t.mu.Lock()
			if t.w.dirtyLog {
				if err := t.w.writeCheckpoint(false); err != nil {
					t.log.Error("timer checkpoint", "err", err)
				}
			}
			t.mu.Unlock()
		}
	}
}

// step enqueues what was dispatched and delivers due slots; it returns when it wants to
// run again (zero: only when notified).
func (t *Timer) step(ctx context.Context) (time.Time, error) {
	for {
		more, err := t.enqueue(ctx)
		if err != nil {
			return time.Time{}, err
		}
		n, err := t.deliverDue(ctx)
		if err != nil {
			return time.Time{}, err
		}
		if !more && n == 0 {
			break
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.w.ck.Pending == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(t.w.ck.ReadSlot * t.prec), nil
}

// enqueue adds up to one batch of rmq_sys_wheel_timer messages to the wheel; more is true
// when it stopped early.
func (t *Timer) enqueue(ctx context.Context) (more bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.w
	off := w.ck.EnqueueOffset
	r, err := t.cfg.Store.GetMessages(Topic, 0, off, 256, nil)
	defer r.Release()
	switch r.Status {
	case store.Found:
	case store.OffsetTooSmall, store.OffsetOverflowBadly, store.OffsetFoundNull, store.NoMatchedMessage:
		if r.NextBeginOffset != off {
			w.ck.EnqueueOffset = r.NextBeginOffset
			return true, nil
		}
		return false, nil
	default:
		if err != nil && !errors.Is(err, store.ErrOffsetTooSmall) {
			return false, err
		}
		return false, nil
	}
	for _, rec := range r.Messages {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		ms := t.dueMs(rec)
		slot := (ms + t.prec - 1) / t.prec // never early
		slot = max(slot, w.ck.ReadSlot)
		if slot-w.ck.ReadSlot >= w.nslots-1 {
			return false, nil // beyond the wheel: wait for the read slot to move on
		}
		if err := w.add(slot, rec.PhysicalOffset(), rec.TotalSize(), rec.QueueOffset()); err != nil {
			return false, err
		}
		t.enqueued++
	}
	return len(r.Messages) > 0, nil
}

// dueMs is a parked record's delivery time: TIMER_OUT_MS, clamped to its store time plus
// MaxDelay (the send path refuses more, so more is a forged or replicated entry, or
// timerMaxDelaySec was lowered since) so that no entry can hold the wheel. A missing or bad
// TIMER_OUT_MS is due now. Both are logged.
func (t *Timer) dueMs(rec message.Stored) int64 {
	v, ok := message.PropertyValue(rec.Properties(), message.PropertyTimerOutMs)
	ms, err := strconv.ParseInt(string(v), 10, 64)
	if !ok || err != nil {
		t.log.Error("timer message without a valid TIMER_OUT_MS, due now", "offset", rec.PhysicalOffset())
		return 0
	}
	if limit := rec.StoreTimestamp() + t.cfg.MaxDelay.Milliseconds() + t.prec; ms > limit {
		t.log.Warn("timer message due beyond the maximum delay, clamped", "offset", rec.PhysicalOffset(),
			"timerOutMs", ms, "clampedMs", limit)
		return limit
	}
	return ms
}

// deliverDue delivers every slot up to now and returns how many messages it delivered.
func (t *Timer) deliverDue(ctx context.Context) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.w
	now := t.nowSlot()
	n := 0
	for w.ck.ReadSlot <= now {
		if w.ck.Pending == 0 {
			w.ck.ReadSlot = now + 1
			break
		}
		s, err := w.slotAt(w.ck.ReadSlot)
		if err != nil {
			return n, err
		}
		err = w.walk(s, func(u unit) error {
			if err := t.deliver(ctx, u); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return n, err
		}
		if err := w.clear(s); err != nil {
			return n, err
		}
		if s.count > 0 {
			w.dirtyLog = true
		}
	}
	if n > 0 {
		t.delivered += int64(n)
		w.dropDeadSegments()
		if err := w.writeCheckpoint(false); err != nil {
			return n, err
		}
	}
	return n, nil
}

// deliver stores the message of u again in its REAL_TOPIC/REAL_QID without the timer
// properties. A message that is gone (retention), not a timer message, or whose
// destination is refused (Route, or a store that refuses it) is logged and skipped; only a
// failure worth retrying (store closed, disk full) returns an error.
func (t *Timer) deliver(ctx context.Context, u unit) error {
	rec, err := t.cfg.Store.ReadAt(u.phys)
	if err != nil {
		t.log.Warn("timer message gone, skipped", "offset", u.phys, "err", err)
		return nil
	}
	if string(rec.Topic()) != Topic || rec.QueueOffset() != u.qoff {
		rec.Release()
		t.log.Warn("timer unit names another record, skipped", "offset", u.phys)
		return nil
	}
	m := rec.Ext(true)
	rec.Release()
	if err := t.prepareDelivery(&m); err != nil {
		t.log.Error("timer message not delivered, skipped", "offset", u.phys, "err", err)
		return nil
	}
	_, err = t.cfg.Store.Append(ctx, &m)
	switch {
	case errors.Is(err, store.ErrFlushTimeout):
		return nil
	case store.Refused(err):
		t.log.Error("timer message refused by the store, skipped", "offset", u.phys, "topic", m.Topic, "err", err)
		return nil
	}
	return err
}

// timerProps are the properties a delivered message loses.
var timerProps = []string{message.PropertyRealTopic, message.PropertyRealQueueID, message.PropertyTimerOutMs,
	message.PropertyTimerDeliverMs, message.PropertyTimerDelaySec, message.PropertyTimerDelayMs}

// prepareDelivery turns a parked timer message into the message to store: topic and queue
// from REAL_TOPIC/REAL_QID (checked by Route), timer properties removed.
func (t *Timer) prepareDelivery(m *message.MessageExt) error {
	topic, qid, err := message.RealDestination(m.Properties)
	if err != nil {
		return err
	}
	if t.cfg.Route != nil {
		if qid, err = t.cfg.Route(topic, qid); err != nil {
			return fmt.Errorf("destination %.200q: %w", topic, err)
		}
	}
	m.Topic, m.QueueID = topic, qid
	for _, k := range timerProps {
		delete(m.Properties, k)
	}
	m.QueueOffset, m.CommitLogOffset, m.StoreTimestamp = 0, 0, 0
	return nil
}

// Close writes a clean checkpoint and closes the files. Call it after Run returned.
func (t *Timer) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.w == nil {
		return nil
	}
	err := t.w.writeCheckpoint(true)
	err = errors.Join(err, t.w.close())
	t.w = nil
	return err
}
