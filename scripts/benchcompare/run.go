package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
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
	fs.DurationVar(&o.dur, "d", 0, "duration of each timed phase (default 8s, 3s with --quick)")
	fs.Int64Var(&o.backlog, "backlog", 0, "messages in the consume backlog (default 2000000, 200000 with --quick)")
	fs.StringVar(&o.natsConsume, "nats-consume", natsOrdered, "NATS consumer: ordered (push ordered consumer) or pull")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.mq == "" || o.natsServer == "" {
		return errors.New("run: --mq and --nats-server are required")
	}
	if o.runs <= 0 {
		o.runs = 3
		if o.quick {
			o.runs = 1
		}
	}
	if o.dur <= 0 {
		o.dur = 8 * time.Second
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
		stopAndExit(1)
	}
	return nil
}

// stopAndExit exits with code after deferred cleanups of main ran (none hold processes:
// every server is stopped by its phase).
func stopAndExit(code int) { os.Exit(code) }

// figures are one repeat's measurements, by key (see evaluate for the keys).
type figures map[string]float64

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// repeat measures every system once; odd repeats start with NATS, even ones with mq.
func repeat(ctx context.Context, o *runOptions, i int) (figures, error) {
	f := figures{}
	steps := []func(context.Context, *runOptions, int, figures) error{measureMQ, measureNATS, measureNull,
		syncFlushMQ, syncFlushNATS}
	if i%2 == 1 {
		steps = []func(context.Context, *runOptions, int, figures) error{measureNATS, measureMQ, measureNull,
			syncFlushNATS, syncFlushMQ}
	}
	logf("repeat %d of %d", i+1, o.runs)
	for _, step := range steps {
		if err := step(ctx, o, i, f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (o *runOptions) dir(name string, i int) (string, error) {
	d := filepath.Join(o.tmp, fmt.Sprintf("%s-%d", name, i))
	return d, os.MkdirAll(d, 0o755)
}

// --- mq ---

type mqServer struct {
	*server
	ns, broker string
}

func startMQ(ctx context.Context, o *runOptions, name string, i int, props string) (*mqServer, string, error) {
	dir, err := o.dir(name, i)
	if err != nil {
		return nil, "", err
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, "", err
	}
	argv := []string{o.mq, "standalone", "--namesrv-port", strconv.Itoa(ports[0]), "--broker-port",
		strconv.Itoa(ports[1]), "--store", filepath.Join(dir, "store")}
	if props != "" {
		cfg := filepath.Join(dir, "broker.properties")
		if err := os.WriteFile(cfg, []byte(props), 0o644); err != nil {
			return nil, "", err
		}
		argv = append(argv, "-c", cfg)
	}
	m := &mqServer{ns: "127.0.0.1:" + strconv.Itoa(ports[0]), broker: "127.0.0.1:" + strconv.Itoa(ports[1])}
	client := remoting.NewClient(remoting.ClientConfig{})
	defer client.Close()
	ready := func(ctx context.Context) error {
		resp, err := client.InvokeSync(ctx, m.broker, remoting.NewRequest(int16(protocol.GetBrokerRuntimeInfo), nil, nil))
		if err != nil {
			return err
		}
		return resp.Err()
	}
	s, err := startServer(ctx, name, argv, filepath.Join(dir, "server.log"), ready)
	if err != nil {
		return nil, "", err
	}
	m.server = s
	// Clients need the broker's routes on the nameserver (mq bench creates topics from TBW102's).
	route := func(ctx context.Context) error {
		req := remoting.NewRequest(int16(protocol.GetRouteInfoByTopic), map[string]string{"topic": "TBW102"}, nil)
		resp, err := client.InvokeSync(ctx, m.ns, req)
		if err != nil {
			return err
		}
		return resp.Err()
	}
	if err := poll(ctx, route); err != nil {
		s.stop()
		return nil, "", fmt.Errorf("%s: no TBW102 route on its nameserver: %w", name, err)
	}
	return m, dir, nil
}

// poll calls fn every 10 ms until it succeeds, for up to 30 s.
func poll(ctx context.Context, fn func(context.Context) error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		actx, cancel := context.WithTimeout(ctx, time.Second)
		err := fn(actx)
		cancel()
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (o *runOptions) mqBench(ctx context.Context, ns, topic string, conns, inflight int, sync bool, count int64,
	logPath string) (*Result, error) {
	argv := []string{o.mq, "bench", "produce", "-n", ns, "-t", topic, "--producers", strconv.Itoa(conns),
		"--inflight", strconv.Itoa(inflight), "--size", strconv.Itoa(bodySize), "-d", o.dur.String(), "-o", "json", "-q"}
	if sync {
		argv = append(argv, "--sync")
	}
	if count > 0 {
		argv = append(argv, "--count", strconv.FormatInt(count, 10))
	}
	return runLoad(ctx, argv, logPath)
}

func (o *runOptions) goClient(ctx context.Context, ns, topic string, conns, inflight int, sync bool, logPath string) (*Result, error) {
	argv := []string{o.self, "goclient", "-n", ns, "-t", topic, "--producers", strconv.Itoa(conns),
		"--inflight", strconv.Itoa(inflight), "--size", strconv.Itoa(bodySize), "-d", o.dur.String()}
	if sync {
		argv = append(argv, "--sync")
	}
	return runLoad(ctx, argv, logPath)
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

// loadPhases runs the shapes against a started server and records its figures under sys:
// sync, async, backlog fill, consume; server CPU and peak RssAnon over them.
func loadPhases(ctx context.Context, s *server, sys string, f figures,
	produce func(topic string, conns, inflight int, sync bool, count int64) (*Result, error),
	consume func(topic string) (*Result, error)) error {
	f["ready."+sys] = float64(s.ready.Microseconds()) / 1000
	if err := settle(ctx, s); err != nil {
		return err
	}
	idle, err := s.rssAnonMiB()
	if err != nil {
		return err
	}
	f["idle."+sys] = idle
	cpu0, err := s.cpu()
	if err != nil {
		return err
	}
	var msgs int64
	shapes := []struct {
		key             string
		topic           string
		conns, inflight int
		sync            bool
		count           int64
	}{
		{"sync", benchTopic, syncConns, 1, true, 0},
		{"async", benchTopic, asyncConns, asyncInflight, false, 0},
		{"fill", backlogTopic, asyncConns, asyncInflight, false, backlogOf(f)},
	}
	for _, sh := range shapes {
		r, err := produce(sh.topic, sh.conns, sh.inflight, sh.sync, sh.count)
		if err != nil {
			return err
		}
		f[sh.key+"."+sys] = r.MsgsPerSec
		if sh.key == "sync" {
			f["syncp50."+sys] = r.P50Ms
		}
		msgs += r.Messages
		logf("  %-5s %-6s %9.0f msgs/s  (%d msgs, %d errors, p50 %.2f ms, p99 %.2f ms)", sys, sh.key, r.MsgsPerSec,
			r.Messages, r.Errors, r.P50Ms, r.P99Ms)
	}
	r, err := consume(backlogTopic)
	if err != nil {
		return err
	}
	f["consume."+sys] = r.MsgsPerSec
	msgs += r.Messages
	logf("  %-5s %-6s %9.0f msgs/s  (%d msgs, %d errors)", sys, "drain", r.MsgsPerSec, r.Messages, r.Errors)
	cpu1, err := s.cpu()
	if err != nil {
		return err
	}
	s.stopSampling()
	f["peak."+sys] = float64(s.peakKB.Load()) / 1024
	f["cpu."+sys] = float64((cpu1 - cpu0).Microseconds()) / float64(msgs)
	logf("  %-5s ready %.1f ms, idle RSS %.1f MiB, peak RSS %.1f MiB, CPU %.2f µs/msg over %d msgs", sys,
		f["ready."+sys], idle, f["peak."+sys], f["cpu."+sys], msgs)
	return nil
}

// backlogOf is the backlog size stashed in the figures by the caller (see repeat's steps).
func backlogOf(f figures) int64 { return int64(f["backlog"]) }

func measureMQ(ctx context.Context, o *runOptions, i int, f figures) error {
	f["backlog"] = float64(o.backlog)
	m, dir, err := startMQ(ctx, o, "mq", i, "")
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Join(dir, "store"))
	defer m.stop()
	logPath := filepath.Join(dir, "load.log")
	produce := func(topic string, conns, inflight int, sync bool, count int64) (*Result, error) {
		return o.mqBench(ctx, m.ns, topic, conns, inflight, sync, count, logPath)
	}
	consume := func(topic string) (*Result, error) {
		return runLoad(ctx, []string{o.mq, "bench", "consume", "-n", m.ns, "-t", topic, "-o", "json", "-q"}, logPath)
	}
	if err := loadPhases(ctx, m.server, "mq", f, produce, consume); err != nil {
		return err
	}
	// The official client against mq (after the accounting window).
	for _, sh := range []struct {
		key  string
		sync bool
	}{{"gocsync", true}, {"gocasync", false}} {
		conns, inflight := asyncConns, asyncInflight
		if sh.sync {
			conns, inflight = syncConns, 1
		}
		r, err := o.goClient(ctx, m.ns, benchTopic, conns, inflight, sh.sync, logPath)
		if err != nil {
			return err
		}
		f[sh.key+".mq"] = r.MsgsPerSec
		logf("  mq    %-8s %9.0f msgs/s (official Go client; %d errors)", sh.key, r.MsgsPerSec, r.Errors)
	}
	return nil
}

// --- NATS ---

func startNATS(ctx context.Context, o *runOptions, name string, i int, syncAlways bool) (*server, string, string, error) {
	dir, err := o.dir(name, i)
	if err != nil {
		return nil, "", "", err
	}
	ports, err := freePorts(1)
	if err != nil {
		return nil, "", "", err
	}
	sync := ""
	if syncAlways {
		sync = "\n  sync_interval: always"
	}
	conf := fmt.Sprintf("listen: 127.0.0.1:%d\njetstream {\n  store_dir: %q%s\n}\n", ports[0],
		filepath.Join(dir, "store"), sync)
	cfg := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return nil, "", "", err
	}
	url := "nats://127.0.0.1:" + strconv.Itoa(ports[0])
	ready := func(ctx context.Context) error {
		nc, err := nats.Connect(url, nats.Timeout(200*time.Millisecond), nats.MaxReconnects(0))
		if err != nil {
			return err
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return err
		}
		_, err = js.AccountInfo(ctx)
		return err
	}
	s, err := startServer(ctx, name, []string{o.natsServer, "-c", cfg}, filepath.Join(dir, "server.log"), ready)
	if err != nil {
		return nil, "", "", err
	}
	return s, url, dir, nil
}

func (o *runOptions) natsLoad(ctx context.Context, url, topic string, conns, inflight int, sync bool, count int64,
	logPath string) (*Result, error) {
	argv := []string{o.self, "nats", "produce", "--url", url, "-t", topic, "--producers", strconv.Itoa(conns),
		"--inflight", strconv.Itoa(inflight), "--size", strconv.Itoa(bodySize), "-d", o.dur.String()}
	if sync {
		argv = append(argv, "--sync")
	}
	if count > 0 {
		argv = append(argv, "--count", strconv.FormatInt(count, 10))
	}
	return runLoad(ctx, argv, logPath)
}

func measureNATS(ctx context.Context, o *runOptions, i int, f figures) error {
	f["backlog"] = float64(o.backlog)
	s, url, dir, err := startNATS(ctx, o, "nats", i, false)
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Join(dir, "store"))
	defer s.stop()
	logPath := filepath.Join(dir, "load.log")
	produce := func(topic string, conns, inflight int, sync bool, count int64) (*Result, error) {
		return o.natsLoad(ctx, url, topic, conns, inflight, sync, count, logPath)
	}
	consume := func(topic string) (*Result, error) {
		return runLoad(ctx, []string{o.self, "nats", "consume", "--url", url, "-t", topic, "--method", o.natsConsume}, logPath)
	}
	return loadPhases(ctx, s, "nats", f, produce, consume)
}

// --- null broker: the generators' ceiling ---

func measureNull(ctx context.Context, o *runOptions, i int, f figures) error {
	dir, err := o.dir("null", i)
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Join(dir, "store"))
	ports, err := freePorts(1)
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	client := remoting.NewClient(remoting.ClientConfig{})
	defer client.Close()
	ready := func(ctx context.Context) error {
		req := remoting.NewRequest(int16(protocol.GetRouteInfoByTopic), map[string]string{"topic": benchTopic}, nil)
		resp, err := client.InvokeSync(ctx, addr, req)
		if err != nil {
			return err
		}
		return resp.Err()
	}
	s, err := startServer(ctx, "null", []string{o.self, "null", "--listen", addr}, filepath.Join(dir, "server.log"), ready)
	if err != nil {
		return err
	}
	defer s.stop()
	logPath := filepath.Join(dir, "load.log")
	for _, sh := range []struct {
		key  string
		sync bool
		goc  bool
	}{{"sync", true, false}, {"async", false, false}, {"gocsync", true, true}, {"gocasync", false, true}} {
		conns, inflight := asyncConns, asyncInflight
		if sh.sync {
			conns, inflight = syncConns, 1
		}
		var r *Result
		if sh.goc {
			r, err = o.goClient(ctx, addr, benchTopic, conns, inflight, sh.sync, logPath)
		} else {
			r, err = o.mqBench(ctx, addr, benchTopic, conns, inflight, sh.sync, 0, logPath)
		}
		if err != nil {
			return err
		}
		f[sh.key+".null"] = r.MsgsPerSec
		if sh.key == "sync" {
			f["syncp50.null"] = r.P50Ms
		}
		logf("  null  %-8s %9.0f msgs/s (p50 %.2f ms; %d errors)", sh.key, r.MsgsPerSec, r.P50Ms, r.Errors)
	}
	return nil
}

// --- SYNC_FLUSH vs sync_interval: always, 16 closed-loop senders ---

func syncFlushMQ(ctx context.Context, o *runOptions, i int, f figures) error {
	m, dir, err := startMQ(ctx, o, "mq-syncflush", i, "flushDiskType=SYNC_FLUSH\n")
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Join(dir, "store"))
	defer m.stop()
	r, err := o.mqBench(ctx, m.ns, syncTopic, syncConns, 1, true, 0, filepath.Join(dir, "load.log"))
	if err != nil {
		return err
	}
	f["syncflush.mq"] = r.MsgsPerSec
	logf("  mq    SYNC_FLUSH 16×1 %9.0f msgs/s (p50 %.2f ms; %d errors)", r.MsgsPerSec, r.P50Ms, r.Errors)
	return nil
}

func syncFlushNATS(ctx context.Context, o *runOptions, i int, f figures) error {
	s, url, dir, err := startNATS(ctx, o, "nats-syncalways", i, true)
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Join(dir, "store"))
	defer s.stop()
	r, err := o.natsLoad(ctx, url, syncTopic, syncConns, 1, true, 0, filepath.Join(dir, "load.log"))
	if err != nil {
		return err
	}
	f["syncflush.nats"] = r.MsgsPerSec
	logf("  nats  sync_interval=always 16×1 %9.0f msgs/s (p50 %.2f ms; %d errors)", r.MsgsPerSec, r.P50Ms, r.Errors)
	return nil
}
