package timer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// notifier forwards the store's dispatch of rmq_sys_wheel_timer to the timer under test.
type notifier struct {
	mu sync.Mutex
	t  *Timer
}

func (n *notifier) listener(topic string, _ int32, _ int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if topic == Topic && n.t != nil {
		n.t.Notify()
	}
}

func (n *notifier) set(t *Timer) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.t = t
}

func openStore(tb testing.TB, dir string, n *notifier) *store.Store {
	tb.Helper()
	cfg := store.DefaultConfig()
	cfg.StorePathRootDir = dir
	cfg.MappedFileSizeCommitLog = 256 << 20
	cfg.MappedFileSizeConsumeQueue = 20 * 300000
	cfg.MaxMessageSize = 64 << 10
	cfg.MaxHashSlotNum, cfg.MaxIndexNum = 1024, 4096
	cfg.MessageIndexEnable = false
	cfg.Listener = n.listener
	st, err := store.Open(cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// putTimer stores a timer message as the broker's send path does.
func putTimer(tb testing.TB, st *store.Store, at time.Time, body string) {
	tb.Helper()
	m := &message.MessageExt{Message: message.Message{Topic: Topic, Body: []byte(body), Properties: map[string]string{
		message.PropertyTimerOutMs: strconv.FormatInt(at.UnixMilli(), 10), message.PropertyTimerDeliverMs: strconv.FormatInt(at.UnixMilli(), 10),
		message.PropertyRealTopic: "Real", message.PropertyRealQueueID: "1", "KEYS": "k",
	}}}
	if _, err := st.Append(context.Background(), m); err != nil {
		tb.Fatal(err)
	}
}

func run(t *Timer) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); t.Run(ctx) }()
	return func() { cancel(); <-done }
}

func waitFor(tb testing.TB, d time.Duration, fn func() error) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func delivered(st *store.Store) []message.MessageExt {
	var out []message.MessageExt
	for off := int64(0); ; {
		r, _ := st.GetMessages("Real", 1, off, 256, nil)
		if r.Status != store.Found {
			r.Release()
			return out
		}
		for _, rec := range r.Messages {
			out = append(out, rec.Ext(true))
			off = rec.QueueOffset() + 1
		}
		r.Release()
	}
}

func TestDeliverAt(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	for _, tc := range []struct {
		name  string
		props map[string]string
		ms    int64
		ok    bool
		err   error
	}{
		{"prop=none", map[string]string{}, 0, false, nil},
		{"prop=deliverMs", map[string]string{"TIMER_DELIVER_MS": "1005000"}, 1_005_000, true, nil},
		{"prop=delaySec", map[string]string{"TIMER_DELAY_SEC": "3"}, 1_003_000, true, nil},
		{"prop=delayMs", map[string]string{"TIMER_DELAY_MS": "250"}, 1_000_250, true, nil},
		{"prop=past", map[string]string{"TIMER_DELIVER_MS": "5"}, 5, true, nil},
		{"prop=tooFar", map[string]string{"TIMER_DELAY_SEC": "100000"}, 101_000_000, true, ErrTooLate},
		{"prop=bad", map[string]string{"TIMER_DELAY_MS": "x"}, 0, true, ErrBadProperty},
		// Overflow: these wrapped into the past (delivered at once) before the arithmetic saturated.
		{"prop=delaySecOverflow", map[string]string{"TIMER_DELAY_SEC": "9000000000000000000"}, 1_000_000 + farMs/1000*1000, true, ErrTooLate},
		{"prop=delayMsOverflow", map[string]string{"TIMER_DELAY_MS": "9223372036854775807"}, 1_000_000 + farMs, true, ErrTooLate},
		{"prop=deliverMsMin", map[string]string{"TIMER_DELIVER_MS": "-9223372036854775808"}, -farMs, true, nil},
		{"prop=delaySecNegative", map[string]string{"TIMER_DELAY_SEC": "-9000000000000000000"}, 1_000_000 - farMs/1000*1000, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, ok, err := DeliverAt(tc.props, now, time.Hour)
			if ms != tc.ms || ok != tc.ok || !errors.Is(err, tc.err) {
				t.Fatalf("got %d %v %v, want %d %v %v", ms, ok, err, tc.ms, tc.ok, tc.err)
			}
		})
	}
}

// TestDeliversOnTime: messages due at different times reach REAL_TOPIC/REAL_QID never early
// and less than one precision late, without the timer properties; the admin view counts
// them by bucket while they wait.
func TestDeliversOnTime(t *testing.T) {
	dir := t.TempDir()
	var n notifier
	st := openStore(t, dir, &n)
	defer st.Close()
	tm, err := New(Config{Store: st, Dir: dir + "/timer", Precision: 100 * time.Millisecond, MaxDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	n.set(tm)
	stop := run(tm)
	now := time.Now()
	dues := map[string]time.Time{}
	for i, d := range []time.Duration{300 * time.Millisecond, 150 * time.Millisecond, 450 * time.Millisecond, 30 * time.Minute} {
		body := fmt.Sprintf("m%d", i)
		dues[body] = now.Add(d)
		putTimer(t, st, now.Add(d), body)
	}
	waitFor(t, 2*time.Second, func() error {
		s, err := tm.Stats(DefaultBuckets)
		if err != nil || s.Pending+s.Delivered != 4 {
			return fmt.Errorf("stats %+v %v", s, err)
		}
		if s.Buckets[2].Count != 1 {
			return fmt.Errorf("30 min message not in the <=1h bucket: %+v", s.Buckets)
		}
		return nil
	})
	waitFor(t, 3*time.Second, func() error {
		if n := len(delivered(st)); n != 3 {
			return fmt.Errorf("%d delivered", n)
		}
		return nil
	})
	for _, m := range delivered(st) {
		// Store timestamps are whole milliseconds: compare at that precision.
		due := time.UnixMilli(dues[string(m.Body)].UnixMilli())
		late := time.UnixMilli(m.StoreTimestamp).Sub(due)
		// Never early; late by the 100 ms precision plus what a loaded machine (-race, the
		// whole suite on two cores) adds: the bound catches a wheel that waits for a
		// checkpoint or a second pass, not scheduling jitter.
		if late < 0 || late > 2*time.Second {
			t.Errorf("%s delivered %v after its time", m.Body, late)
		}
		if m.Properties["TIMER_OUT_MS"] != "" || m.Properties["REAL_TOPIC"] != "" || m.Properties["KEYS"] != "k" || m.QueueID != 1 {
			t.Errorf("delivered %+v", m)
		}
	}
	stop()
	if err := tm.Close(); err != nil {
		t.Fatal(err)
	}
	// A clean restart keeps the pending one without a rebuild.
	tm2, err := New(Config{Store: st, Dir: dir + "/timer", Precision: 100 * time.Millisecond, MaxDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer tm2.Close()
	if s, _ := tm2.Stats(nil); s.Pending != 1 || tm2.w.rebuilt || s.EnqueueOffset != 4 {
		t.Fatalf("after a clean restart: %+v rebuilt=%v", s, tm2.w.rebuilt)
	}
}

// TestCrashRebuild: after a stop without Close (kill -9) the wheel is rebuilt from the timer
// log: nothing pending is lost, and a torn last unit is cut and its message enqueued again.
func TestCrashRebuild(t *testing.T) {
	for _, torn := range []bool{false, true} {
		t.Run(fmt.Sprintf("tornTail=%v", torn), func(t *testing.T) {
			dir := t.TempDir()
			var n notifier
			st := openStore(t, dir, &n)
			defer st.Close()
			cfg := Config{Store: st, Dir: dir + "/timer", Precision: 100 * time.Millisecond, MaxDelay: time.Hour, SegmentSize: 10 * unitSize}
			tm, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			n.set(tm)
			stop := run(tm)
			// Due well after the crash even on a loaded machine: nothing may be delivered
			// before it, so the rebuild must find all of them pending.
			at := time.Now().Add(3 * time.Second)
			for i := range 25 { // three segments
				putTimer(t, st, at.Add(time.Duration(i%3)*100*time.Millisecond), fmt.Sprintf("m%d", i))
			}
			waitFor(t, 2*time.Second, func() error {
				if s, _ := tm.Stats(nil); s.Pending != 25 {
					return fmt.Errorf("pending %d", s.Pending)
				}
				return nil
			})
			stop()
			n.set(nil)
			tm.w.close() // crash: no clean checkpoint
			if torn {
				f, err := os.OpenFile(dir+"/timer/timerlog/"+segName(20*unitSize), os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteAt([]byte{0xff}, 4*unitSize+20) // corrupt the 25th unit
				f.Close()
			}
			tm2, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !tm2.w.rebuilt {
				t.Fatal("no rebuild after a crash")
			}
			want := int64(25)
			if torn {
				want = 24
			}
			if s, _ := tm2.Stats(nil); s.Pending != want || s.EnqueueOffset != want {
				t.Fatalf("after rebuild: %+v, want %d pending", s, want)
			}
			n.set(tm2)
			stop2 := run(tm2)
			defer func() { stop2(); n.set(nil); tm2.Close() }()
			waitFor(t, 10*time.Second, func() error {
				ms := delivered(st)
				seen := map[string]bool{}
				for _, m := range ms {
					seen[string(m.Body)] = true
				}
				if len(seen) != 25 {
					return fmt.Errorf("%d distinct delivered of 25", len(seen))
				}
				return nil
			})
			if d := delivered(st); len(d) != 25 {
				t.Fatalf("%d deliveries, want 25 (no duplicates when nothing was delivered before the crash)", len(d))
			}
		})
	}
}

// BenchmarkTimerPending puts N timer messages (100k, 1M with MQ_BENCH_BIG=1) due at the same
// second, reports heap and RSS with all of them pending, and the lateness of their delivery.
func BenchmarkTimerPending(b *testing.B) {
	n := 100_000
	if os.Getenv("MQ_BENCH_BIG") == "1" {
		n = 1_000_000
	}
	for b.Loop() {
		dir := b.TempDir()
		var nt notifier
		st := openStore(b, dir, &nt)
		tm, err := New(Config{Store: st, Dir: dir + "/timer", MaxDelay: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		nt.set(tm)
		stop := run(tm)
		due := time.Now().Add(time.Hour) // moved by the fake clock below
		ms := make([]*message.MessageExt, 0, 1000)
		for i := range n {
			ms = append(ms, &message.MessageExt{Message: message.Message{Topic: Topic, Body: []byte("0123456789abcdef"),
				Properties: map[string]string{message.PropertyTimerOutMs: strconv.FormatInt(due.UnixMilli(), 10),
					message.PropertyRealTopic: "Real", message.PropertyRealQueueID: "1"}}})
			if len(ms) == cap(ms) || i == n-1 {
				if _, err := st.AppendBatch(context.Background(), ms); err != nil {
					b.Fatal(err)
				}
				ms = ms[:0]
			}
		}
		waitFor(b, 5*time.Minute, func() error {
			if s, _ := tm.Stats(nil); s.Pending != int64(n) {
				return fmt.Errorf("pending %d", s.Pending)
			}
			return nil
		})
		runtime.GC()
		var mem runtime.MemStats
		runtime.ReadMemStats(&mem)
		b.ReportMetric(float64(mem.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(rssMiB(), "rss-MiB")
		stop()
		nt.set(nil)
		if err := tm.Close(); err != nil {
			b.Fatal(err)
		}
		// Reopen with a clock one hour ahead minus 1 s, so they all fall due in a second.
		shift := time.Until(due) - time.Second
		tm, err = New(Config{Store: st, Dir: dir + "/timer", MaxDelay: time.Hour, Now: func() time.Time { return time.Now().Add(shift) }})
		if err != nil {
			b.Fatal(err)
		}
		stop = run(tm)
		waitFor(b, 5*time.Minute, func() error {
			if got := st.MaxOffset("Real", 1); got != int64(n) {
				return fmt.Errorf("%d delivered", got)
			}
			return nil
		})
		stop()
		tm.Close()
		var late []int64
		for off := int64(0); off < int64(n); {
			r, _ := st.GetMessages("Real", 1, off, 1000, nil)
			for _, rec := range r.Messages {
				late = append(late, rec.StoreTimestamp()+shift.Milliseconds()-due.UnixMilli())
				off = rec.QueueOffset() + 1
			}
			r.Release()
		}
		slices.Sort(late)
		b.ReportMetric(float64(late[len(late)/2]), "late-p50-ms")
		b.ReportMetric(float64(late[len(late)*99/100]), "late-p99-ms")
		b.ReportMetric(float64(n), "pending")
		st.Close()
	}
}

// rssMiB reads VmRSS from /proc/self/status (0 elsewhere).
func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// TestFreshWheelWritesNoCheckpointAtOpen: a wheel opened on an empty directory writes no
// timercheck (it would say what its absence says: rebuild from the empty log), which saves
// the start two fsyncs; messages parked before the first checkpoint still survive a crash,
// and a clean close writes the checkpoint.
func TestFreshWheelWritesNoCheckpointAtOpen(t *testing.T) {
	dir := t.TempDir()
	var n notifier
	st := openStore(t, dir, &n)
	defer st.Close()
	cfg := Config{Store: st, Dir: dir + "/timer", Precision: 100 * time.Millisecond, MaxDelay: time.Hour,
		SegmentSize: 10 * unitSize, CheckpointInterval: time.Hour}
	tm, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + "/timer/timercheck"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("fresh wheel wrote a checkpoint at open: %v", err)
	}
	n.set(tm)
	stop := run(tm)
	at := time.Now().Add(time.Hour)
	for i := range 5 {
		putTimer(t, st, at, fmt.Sprintf("m%d", i))
	}
	waitFor(t, 2*time.Second, func() error {
		if s, _ := tm.Stats(nil); s.Pending != 5 {
			return fmt.Errorf("pending %d", s.Pending)
		}
		return nil
	})
	stop()
	n.set(nil)
	tm.w.close() // crash before any checkpoint
	tm2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := tm2.Stats(nil); !tm2.w.rebuilt || s.Pending != 5 {
		t.Fatalf("after a crash without checkpoint: rebuilt %v, %+v", tm2.w.rebuilt, s)
	}
	if err := tm2.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dir + "/timer/timercheck")
	if err != nil || !strings.Contains(string(b), `"clean":true`) {
		t.Fatalf("checkpoint after a clean close: %v %s", err, b)
	}
}
