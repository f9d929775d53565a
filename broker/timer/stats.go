package timer

import (
	"time"
)

// Bucket counts pending messages due within Upto from now (and after the previous bucket's
// Upto); the last bucket has Upto 0 and counts everything later.
type Bucket struct {
	Upto  time.Duration
	Count int64
}

// Stats is the timer's admin view.
type Stats struct {
	// Pending is how many messages wait in the wheel.
	Pending int64
	// Backlog is how many stored timer messages are not in the wheel yet.
	Backlog int64
	// ReadSlot is the first slot not delivered; its time is ReadSlot*Precision.
	ReadSlot int64
	// Precision is the slot width.
	Precision time.Duration
	// EnqueueOffset is the next queue offset of rmq_sys_wheel_timer/0 to enqueue.
	EnqueueOffset int64
	// Enqueued and Delivered count messages since the timer started.
	Enqueued, Delivered int64
	// NextDue is when the earliest pending message is due (zero when none).
	NextDue time.Time
	// Buckets split Pending by due time (see Bucket).
	Buckets []Bucket
}

// DefaultBuckets are the due-time buckets of the admin view.
var DefaultBuckets = []time.Duration{time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}

// Stats scans the wheel and counts pending messages by due time. bounds must increase; a
// final bucket for later messages is added.
func (t *Timer) Stats(bounds []time.Duration) (Stats, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.w
	st := Stats{Precision: time.Duration(t.prec) * time.Millisecond, Enqueued: t.enqueued, Delivered: t.delivered}
	st.Buckets = make([]Bucket, len(bounds)+1)
	for i, b := range bounds {
		st.Buckets[i].Upto = b
	}
	if w == nil {
		return st, nil
	}
	st.Pending, st.ReadSlot, st.EnqueueOffset = w.ck.Pending, w.ck.ReadSlot, w.ck.EnqueueOffset
	st.Backlog = max(t.cfg.Store.MaxOffset(Topic, 0)-w.ck.EnqueueOffset, 0)
	if st.Pending == 0 {
		return st, nil
	}
	nowMs := t.cfg.Now().UnixMilli()
	const chunk = 32768
	buf := make([]byte, chunk*slotSize)
	next := int64(-1)
	for base := int64(0); base < w.nslots; base += chunk {
		n, _ := w.slots.ReadAt(buf[:min(chunk, w.nslots-base)*slotSize], base*slotSize)
		for p := 0; p+slotSize <= n; p += slotSize {
			s := parseSlot(buf[p : p+slotSize])
			if s.count <= 0 || s.slot < w.ck.ReadSlot {
				continue
			}
			if next < 0 || s.slot < next {
				next = s.slot
			}
			in := time.Duration(s.slot*t.prec-nowMs) * time.Millisecond
			i := 0
			for i < len(bounds) && in > bounds[i] {
				i++
			}
			st.Buckets[i].Count += s.count
		}
	}
	if next >= 0 {
		st.NextDue = time.UnixMilli(next * t.prec)
	}
	return st, nil
}
