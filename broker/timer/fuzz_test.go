package timer

import (
	"log/slog"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/store"
)

// checkRoute is the broker's routeDelivery reduced to what needs no topic table: a name
// the store accepts and a queue id >= 0.
func checkRoute(topic string, qid int32) (int32, error) {
	if err := store.CheckTopic(topic); err != nil {
		return 0, err
	}
	return qid, nil
}

// FuzzTimerDelivery feeds a client's properties string through everything the timer
// decodes: the send-side DeliverAt, the wheel's due time of the parked record, and the
// delivery's REAL_TOPIC/REAL_QID. Nothing may panic, no accepted time is beyond the maximum
// delay, no due time beyond store time + maximum delay, and an accepted delivery names a
// valid topic and queue without timer properties.
func FuzzTimerDelivery(f *testing.F) {
	for _, s := range []string{
		"TIMER_DELIVER_MS\x011700000005000\x02REAL_TOPIC\x01T\x02REAL_QID\x011\x02TIMER_OUT_MS\x011700000005000\x02",
		"TIMER_DELAY_SEC\x019000000000000000000\x02",
		"TIMER_DELAY_MS\x01-9223372036854775808\x02REAL_TOPIC\x01../../pwned\x02REAL_QID\x010\x02",
		"TIMER_OUT_MS\x0199999999999999999\x02REAL_TOPIC\x01%RETRY%g\x02REAL_QID\x015000\x02",
		"REAL_TOPIC\x01\x02REAL_QID\x01-1\x02",
	} {
		f.Add(s, int64(1_700_000_000_000), int64(1_700_000_000_000))
	}
	const maxDelay = 72 * time.Hour
	tm := &Timer{cfg: Config{MaxDelay: maxDelay, Route: checkRoute}, log: slog.New(slog.DiscardHandler), prec: 1000}
	f.Fuzz(func(t *testing.T, props string, nowMs, storeMs int64) {
		now := time.UnixMilli(nowMs)
		p := message.DecodeProperties([]byte(props))
		if ms, ok, err := DeliverAt(p, now, maxDelay); ok && err == nil && ms-now.UnixMilli() > maxDelay.Milliseconds() {
			t.Fatalf("DeliverAt accepted %d, %d ms ahead", ms, ms-now.UnixMilli())
		}
		if len(props) <= message.MaxPropertiesLen {
			m := &message.MessageExt{Message: message.Message{Topic: Topic, Body: []byte("b")}, StoreTimestamp: storeMs}
			size, err := message.StoredLen(m, len(props))
			if err != nil {
				return
			}
			buf := make([]byte, size)
			message.PutStored(buf, m, []byte(props), size)
			rec, err := message.ParseStored(buf)
			if err != nil {
				t.Fatalf("parse own record: %v", err)
			}
			if due := tm.dueMs(rec); storeMs < 1<<60 && due > storeMs+maxDelay.Milliseconds()+tm.prec {
				t.Fatalf("due %d beyond store time %d + max delay", due, storeMs)
			}
		}
		m := message.MessageExt{Message: message.Message{Topic: Topic, Properties: p}}
		if p == nil {
			m.Properties = map[string]string{}
		}
		if err := tm.prepareDelivery(&m); err != nil {
			return
		}
		if store.CheckTopic(m.Topic) != nil || m.QueueID < 0 {
			t.Fatalf("delivery to %q/%d accepted", m.Topic, m.QueueID)
		}
		for _, k := range timerProps {
			if _, ok := m.Properties[k]; ok {
				t.Fatalf("delivered with %s", k)
			}
		}
	})
}
