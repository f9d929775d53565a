package timer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/store"
)

// putRaw stores a timer entry with the given properties, as a forged write to
// rmq_sys_wheel_timer (or an older log) would have.
func putRaw(tb testing.TB, st *store.Store, body string, props map[string]string) {
	tb.Helper()
	m := &message.MessageExt{Message: message.Message{Topic: Topic, Body: []byte(body), Properties: props}}
	if _, err := st.Append(context.Background(), m); err != nil {
		tb.Fatal(err)
	}
}

var errForbidden = errors.New("forbidden destination")

// TestPoisonedEntriesNeverBlock: entries due 10^13 ms ahead, naming ../../pwned, no queue, a
// destination Route refuses, or a bad TIMER_OUT_MS are clamped or skipped, and a good message
// parked behind them is still delivered on time, before and after a restart.
func TestPoisonedEntriesNeverBlock(t *testing.T) {
	dir := t.TempDir()
	var n notifier
	st := openStore(t, dir, &n)
	defer st.Close()
	routed := 0
	cfg := Config{Store: st, Dir: dir + "/timer", Precision: 100 * time.Millisecond, MaxDelay: time.Hour,
		Route: func(topic string, qid int32) (int32, error) {
			routed++
			if topic == "Forbidden" {
				return 0, errForbidden
			}
			return qid, nil
		}}
	tm, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.set(tm)
	now := time.Now()
	ms := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	putRaw(t, st, "far", map[string]string{"TIMER_OUT_MS": strconv.FormatInt(now.UnixMilli()+1e13, 10), "REAL_TOPIC": "Real", "REAL_QID": "1"})
	putRaw(t, st, "pwned", map[string]string{"TIMER_OUT_MS": ms(0), "REAL_TOPIC": "../../pwned", "REAL_QID": "0"})
	putRaw(t, st, "noqid", map[string]string{"TIMER_OUT_MS": ms(0), "REAL_TOPIC": "Real"})
	putRaw(t, st, "badqid", map[string]string{"TIMER_OUT_MS": ms(0), "REAL_TOPIC": "Real", "REAL_QID": "-3"})
	putRaw(t, st, "forbidden", map[string]string{"TIMER_OUT_MS": ms(0), "REAL_TOPIC": "Forbidden", "REAL_QID": "0"})
	putRaw(t, st, "badout", map[string]string{"TIMER_OUT_MS": "soon", "REAL_TOPIC": "Real", "REAL_QID": "1"})
	putTimer(t, st, now.Add(200*time.Millisecond), "good")
	stop := run(tm)
	waitFor(t, 3*time.Second, func() error {
		got := map[string]bool{}
		for _, m := range delivered(st) {
			got[string(m.Body)] = true
		}
		if !got["good"] || !got["badout"] || len(got) != 2 {
			return fmt.Errorf("delivered %v, want good and badout", got)
		}
		return nil
	})
	if s, _ := tm.Stats(nil); s.Pending != 1 || s.EnqueueOffset != 7 {
		t.Fatalf("stats %+v: want the far one pending (clamped into the wheel) and all 7 enqueued", s)
	}
	if routed != 4 { // pwned (then refused by the store), forbidden, badout, good
		t.Errorf("Route called %d times, want 4", routed)
	}
	stop()
	if err := tm.Close(); err != nil {
		t.Fatal(err)
	}

	// After a restart the clamped entry is still there and still blocks nothing.
	tm2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.set(tm2)
	putTimer(t, st, time.Now().Add(100*time.Millisecond), "after-restart")
	stop2 := run(tm2)
	defer func() { stop2(); n.set(nil); tm2.Close() }()
	waitFor(t, 3*time.Second, func() error {
		for _, m := range delivered(st) {
			if string(m.Body) == "after-restart" {
				return nil
			}
		}
		return errors.New("after-restart not delivered")
	})
	if due := tm2.dueMs(mustRecord(t, st, 0)); due > now.Add(time.Hour+time.Second).UnixMilli() {
		t.Fatalf("far entry due at %d, beyond the maximum delay", due)
	}
}

func mustRecord(t *testing.T, st *store.Store, qoff int64) message.Stored {
	t.Helper()
	r, err := st.GetMessages(Topic, 0, qoff, 1, nil)
	if err != nil || r.Status != store.Found {
		t.Fatalf("get %d: %v %v", qoff, r.Status, err)
	}
	t.Cleanup(r.Release)
	return r.Messages[0]
}
