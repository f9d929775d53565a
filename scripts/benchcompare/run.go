package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// runOptions are the flags of `benchcompare run`.
type runOptions struct {
	mq, natsServer string
	quick          bool
	runs           int
	jsonOut        string
	tmp            string
	dur            time.Duration
	backlog        int64
	natsConsume    string
	self           string
	only           map[string]bool // groups to measure; empty: all
}

// Shapes (issue 15).
const (
	syncConns     = 16
	asyncConns    = 4
	asyncInflight = 256
	bodySize      = 1024
	benchTopic    = "CmpBench"
	backlogTopic  = "CmpBacklog"
	syncTopic     = "CmpSync"
)

func runCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	o := &runOptions{}
	fs.StringVar(&o.mq, "mq", "", "mq binary")
	fs.StringVar(&o.natsServer, "nats-server", "", "nats-server binary")
	fs.BoolVar(&o.quick, "quick", false, "short phases and a small backlog (a run in about 2 minutes)")
	fs.IntVar(&o.runs, "runs", 0, "repeats; figures are their medians (default 3, 1 with --quick)")
	fs.StringVar(&o.jsonOut, "json", "", "also write the figures and rows as JSON to this file")
	fs.StringVar(&o.tmp, "tmp", "", "directory for stores and logs (default a new temporary directory, removed at exit)")
	fs.DurationVar(&o.dur, "d", 0, "duration of each timed phase (default 6s, 3s with --quick)")
	fs.Int64Var(&o.backlog, "backlog", 0, "messages in the consume backlog (default 2000000, 200000 with --quick)")
	fs.StringVar(&o.natsConsume, "nats-consume", natsOrdered, "NATS consumer: ordered (push ordered consumer) or pull")
	only := fs.String("only", "", "measure only these groups, comma-separated: main (sync, async, consume, RSS, CPU, "+
		"idle, start), goclient, syncflush; the other rows show as skipped")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	for g := range strings.SplitSeq(*only, ",") {
		switch g = strings.TrimSpace(g); g {
		case "":
		case groupMain, groupGoClient, groupSyncFlush:
			if o.only == nil {
				o.only = map[string]bool{}
			}
			o.only[g] = true
		default:
			return fmt.Errorf("%w: --only %q: want main, goclient or syncflush", errUsage, g)
		}
	}
	if o.mq == "" || o.natsServer == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: run: --mq and --nats-server are required, and no arguments", errUsage)
	}
	if o.natsConsume != natsOrdered && o.natsConsume != natsPull {
		return fmt.Errorf("%w: --nats-consume %q: want ordered or pull", errUsage, o.natsConsume)
	}
	if o.runs <= 0 {
		o.runs = 3
		if o.quick {
			o.runs = 1
		}
	}
	if o.dur <= 0 {
		o.dur = 6 * time.Second
		if o.quick {
			o.dur = 3 * time.Second
		}
	}
	if o.backlog <= 0 {
		o.backlog = 2_000_000
		if o.quick {
			o.backlog = 200_000
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o.self = self
	if o.tmp == "" {
		if o.tmp, err = os.MkdirTemp("", "bench-compare-"); err != nil {
			return err
		}
		defer os.RemoveAll(o.tmp)
	}
	began := time.Now()
	var reps []figures
	for i := range o.runs {
		f, err := repeat(ctx, o, i)
		if err != nil {
			return err
		}
		reps = append(reps, f)
	}
	rows := evaluate(reps)
	failed := printTable(os.Stdout, o, rows, reps, time.Since(began))
	if o.jsonOut != "" {
		if err := writeJSON(o, rows, reps); err != nil {
			return err
		}
	}
	if failed > 0 {
		return errTargetsFailed
	}
	return nil
}

// errTargetsFailed makes run exit 1 once the table is printed; errUsage exits 2.
var (
	errTargetsFailed = errors.New("targets failed")
	errUsage         = errors.New("usage")
)

// figures are one repeat's measurements, by key (see evaluate for the keys).
type figures map[string]float64

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// Groups of figures (--only).
const (
	groupMain      = "main"      // sync, async, consume, peak RSS, CPU, idle RSS, start to ready
	groupGoClient  = "goclient"  // the official client against mq and the null broker
	groupSyncFlush = "syncflush" // SYNC_FLUSH against sync_interval: always
)

func (o *runOptions) has(group string) bool { return len(o.only) == 0 || o.only[group] }

// repeat measures mq and NATS once, shape by shape, alternating which goes first (mq in even
// repeats): both servers run side by side and each shape runs against one, then the other, so
// a pair's two figures are seconds apart. Then the official client against mq and the null
// broker, then SYNC_FLUSH against sync_interval=always.
func repeat(ctx context.Context, o *runOptions, i int) (figures, error) {
	logf("repeat %d of %d", i+1, o.runs)
	f := figures{}
	mqFirst := i%2 == 0
	if o.has(groupMain) || o.has(groupGoClient) {
		if err := mainAndClient(ctx, o, i, mqFirst, f); err != nil {
			return nil, err
		}
	}
	if o.has(groupSyncFlush) {
		if err := syncFlush(ctx, o, i, mqFirst, f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func mainAndClient(ctx context.Context, o *runOptions, i int, mqFirst bool, f figures) error {
	starts := []func() (*target, error){func() (*target, error) { return startMQ(ctx, o, "mq", i, "") }}
	if o.has(groupMain) {
		starts = append(starts, func() (*target, error) { return startNATS(ctx, o, "nats", i, false) })
		if !mqFirst {
			starts[0], starts[1] = starts[1], starts[0]
		}
	}
	ts, err := startAll(starts)
	if err != nil {
		return err
	}
	defer stopAll(ts)
	if o.has(groupMain) {
		if err := mainPhases(ctx, o, ts, f); err != nil {
			return err
		}
	}
	var mq *target
	for _, t := range ts {
		if t.sys == "mq" {
			mq = t
		} else {
			t.stop()
		}
	}
	null, err := startNull(ctx, o, i)
	if err != nil {
		return err
	}
	defer null.stop()
	if o.has(groupGoClient) {
		// The official client: against mq (its store holds the backlog) and the null broker.
		pair := []*target{mq, null}
		if !mqFirst {
			pair[0], pair[1] = null, mq
		}
		for _, sh := range []shape{{"gocsync", syncConns, 1, true}, {"gocasync", asyncConns, asyncInflight, false}} {
			for _, t := range pair {
				r, err := o.goClient(ctx, t.ns, benchTopic, sh, t.logPath)
				if err != nil {
					return err
				}
				f[sh.key+"."+t.sys] = r.MsgsPerSec
				logf("  %-5s %-8s %9.0f msgs/s (official Go client; %d errors, p50 %.2f ms)", t.sys, sh.key, r.MsgsPerSec,
					r.Errors, r.P50Ms)
			}
		}
	}
	mq.stop()
	if o.has(groupMain) {
		// The lean generator's ceiling, for context.
		for _, sh := range []shape{{"sync", syncConns, 1, true}, {"async", asyncConns, asyncInflight, false}} {
			c0, _ := null.srv.cpu()
			r, err := null.produce(benchTopic, sh, 0)
			if err != nil {
				return err
			}
			c1, _ := null.srv.cpu()
			if r.Messages > 0 {
				f[sh.key+"server.null"] = float64((c1 - c0).Microseconds()) / float64(r.Messages)
			}
			f[sh.key+".null"] = r.MsgsPerSec
			f[sh.key+"p50.null"] = r.P50Ms
			f[sh.key+"client.null"] = r.ClientCPUUs
			logf("  null  %-8s %9.0f msgs/s (mq bench; p50 %.2f ms, %d errors; CPU µs/msg server %.1f, generator %.1f)",
				sh.key, r.MsgsPerSec, r.P50Ms, r.Errors, f[sh.key+"server.null"], r.ClientCPUUs)
		}
	}
	return nil
}

// syncFlush: SYNC_FLUSH against sync_interval: always, 16 closed-loop senders.
func syncFlush(ctx context.Context, o *runOptions, i int, mqFirst bool, f figures) error {
	starts := []func() (*target, error){
		func() (*target, error) { return startMQ(ctx, o, "mq-syncflush", i, "flushDiskType=SYNC_FLUSH\n") },
		func() (*target, error) { return startNATS(ctx, o, "nats-syncalways", i, true) },
	}
	if !mqFirst {
		starts[0], starts[1] = starts[1], starts[0]
	}
	sf, err := startAll(starts)
	if err != nil {
		return err
	}
	defer stopAll(sf)
	for _, t := range sf {
		r, err := t.produce(syncTopic, shape{"syncflush", syncConns, 1, true}, 0)
		if err != nil {
			return err
		}
		f["syncflush."+t.sys] = r.MsgsPerSec
		logf("  %-5s %-9s %9.0f msgs/s (16 × 1, every send fsynced; p50 %.2f ms, %d errors)", t.sys, "syncflush",
			r.MsgsPerSec, r.P50Ms, r.Errors)
	}
	return nil
}

func startAll(starts []func() (*target, error)) ([]*target, error) {
	var ts []*target
	for _, start := range starts {
		t, err := start()
		for try := 0; err != nil && try < 2; try++ {
			// A free port taken by someone else between our probe and the server's bind.
			logf("  start failed, retrying on new ports: %v", err)
			t, err = start()
		}
		if err != nil {
			stopAll(ts)
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

func stopAll(ts []*target) {
	for _, t := range ts {
		t.stop()
	}
}

// shape is a load shape: conns connections × inflight requests (sync: 1, awaiting each answer).
type shape struct {
	key             string
	conns, inflight int
	sync            bool
}

// mainPhases: idle RSS; then sync 16 × 1, async 4 × 256 into the backlog topic, a fill that tops
// the backlog up to its size (not a figure), the drain; each against every target in turn.
// Server CPU and peak RssAnon cover those phases. After every produce phase the page cache is
// written back (settleWriteback, untimed), so no phase runs during another's writeback.
func mainPhases(ctx context.Context, o *runOptions, ts []*target, f figures) error {
	cpu0 := map[string]time.Duration{}
	msgs := map[string]int64{}
	produced := map[string]int64{} // messages of the produce phases, for the writeback figures
	asyncMsgs := map[string]int64{}
	backlog := map[string]int64{} // messages produced into the backlog topic
	for _, t := range ts {
		f["ready."+t.sys] = float64(t.srv.ready.Microseconds()) / 1000
		if err := settle(ctx, t.srv); err != nil {
			return err
		}
		idle, err := t.srv.rssAnonMiB()
		if err != nil {
			return err
		}
		f["idle."+t.sys] = idle
		logf("  %-5s ready in %.1f ms, idle RssAnon %.1f MiB", t.sys, f["ready."+t.sys], idle)
	}
	for _, t := range ts {
		c, err := t.srv.cpu()
		if err != nil {
			return err
		}
		cpu0[t.sys] = c
	}
	for _, sh := range []shape{{"sync", syncConns, 1, true}, {"async", asyncConns, asyncInflight, false},
		{"fill", asyncConns, asyncInflight, false}} {
		for _, t := range ts {
			topic, count := backlogTopic, int64(0)
			switch sh.key {
			case "sync":
				topic = benchTopic
			case "fill":
				if count = o.backlog - asyncMsgs[t.sys]; count <= 0 {
					continue
				}
			}
			c0, _ := t.srv.cpu()
			r, err := t.produce(topic, sh, count)
			if err != nil {
				return err
			}
			c1, _ := t.srv.cpu()
			f[sh.key+"server."+t.sys] = float64((c1 - c0).Microseconds()) / float64(r.Messages)
			for try := 0; sh.key == "fill" && r.Messages < count && try < 3; try++ {
				// Refused sends (busy broker) leave the backlog short: top it up again.
				more, err := t.produce(topic, sh, count-r.Messages)
				if err != nil {
					return err
				}
				r.Messages += more.Messages
			}
			f[sh.key+"."+t.sys] = r.MsgsPerSec
			f[sh.key+"client."+t.sys] = r.ClientCPUUs
			switch sh.key {
			case "sync":
				f["syncp50."+t.sys] = r.P50Ms
			case "async":
				asyncMsgs[t.sys] = r.Messages
			}
			msgs[t.sys] += r.Messages
			produced[t.sys] += r.Messages
			f[sh.key+"msgs."+t.sys] = float64(r.Messages)
			dirty, busy, err := settleWriteback()
			if err != nil {
				return err
			}
			f["dirty."+t.sys] += float64(dirty)
			f["wbcpu."+t.sys] += float64(busy.Microseconds())
			if topic == backlogTopic {
				backlog[t.sys] += r.Messages
			}
			logf("  %-5s %-8s %9.0f msgs/s (%d msgs, %d errors, p50 %.2f ms, p99 %.2f ms; CPU µs/msg server %.1f, generator %.1f)",
				t.sys, sh.key, r.MsgsPerSec, r.Messages, r.Errors, r.P50Ms, r.P99Ms, f[sh.key+"server."+t.sys], r.ClientCPUUs)
		}
	}
	for _, t := range ts {
		if produced[t.sys] > 0 {
			f["dirty."+t.sys] /= float64(produced[t.sys])
			f["wbcpu."+t.sys] /= float64(produced[t.sys])
		}
		logf("  %-5s left %.0f B/msg dirty after its produce phases; writing it back took %.2f µs/msg of machine CPU",
			t.sys, f["dirty."+t.sys], f["wbcpu."+t.sys])
		pages, _, err := residentPages(filepath.Join(t.dir, "store"))
		if err != nil {
			return fmt.Errorf("%s: store pages: %w", t.sys, err)
		}
		f["pages."+t.sys] = float64(pages)
		if produced[t.sys] > 0 {
			logf("  %-5s store fills %d page-cache pages, %.0f B/msg", t.sys, pages, float64(pages*4096)/float64(produced[t.sys]))
		}
	}
	if touch, err := firstTouchUs(o.tmp, 64<<20); err != nil {
		logf("  first-touch probe: %v (the server CPU row's floor leaves it out)", err) // before Linux 5.14
	} else {
		f["touchus"] = touch
		// The probe freed its pages as it returned and a second one takes such pages again: the
		// two differ by what the machine adds for memory it has not used lately (on a VM, the
		// host backing it again).
		if again, err := firstTouchUs(o.tmp, 64<<20); err == nil {
			f["retouchus"] = again
			logf("  first touch of a new page-cache page: %.2f µs; of one freed a moment before: %.2f µs "+
				"(MADV_POPULATE_WRITE over a new 64 MiB file, twice)", touch, again)
		} else {
			logf("  first touch of a new page-cache page: %.2f µs (MADV_POPULATE_WRITE over a new 64 MiB file)", touch)
		}
	}
	for _, t := range ts {
		c0, _ := t.srv.cpu()
		r, err := t.consume(backlogTopic, backlog[t.sys])
		if err != nil {
			return err
		}
		c1, _ := t.srv.cpu()
		f["consumeserver."+t.sys] = float64((c1 - c0).Microseconds()) / float64(r.Messages)
		if r.Messages < backlog[t.sys] {
			return fmt.Errorf("%s: drained %d of the %d messages produced into %s", t.sys, r.Messages, backlog[t.sys],
				backlogTopic)
		}
		f["consume."+t.sys] = r.MsgsPerSec
		f["drained."+t.sys] = float64(r.Messages)
		f["consumeclient."+t.sys] = r.ClientCPUUs
		msgs[t.sys] += r.Messages
		logf("  %-5s %-8s %9.0f msgs/s (%d msgs, %d errors; CPU µs/msg server %.1f, generator %.1f)", t.sys, "drain",
			r.MsgsPerSec, r.Messages, r.Errors, f["consumeserver."+t.sys], r.ClientCPUUs)
	}
	for _, t := range ts {
		c, err := t.srv.cpu()
		if err != nil {
			return err
		}
		t.srv.stopSampling()
		f["peak."+t.sys] = float64(t.srv.peakKB.Load()) / 1024
		f["cpu."+t.sys] = float64((c - cpu0[t.sys]).Microseconds()) / float64(msgs[t.sys])
		logf("  %-5s peak RssAnon %.1f MiB, CPU %.2f µs/msg over %d msgs", t.sys, f["peak."+t.sys], f["cpu."+t.sys],
			msgs[t.sys])
	}
	return nil
}

// settle waits until a second after the server's start (for the idle RSS figure).
func settle(ctx context.Context, s *server) error {
	select {
	case <-time.After(time.Until(s.started.Add(time.Second))):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
