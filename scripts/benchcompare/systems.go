package main

import (
	"context"
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

// target is a started server and the load generators that drive it.
type target struct {
	sys     string // "mq", "nats" or "null": the figures' key suffix
	srv     *server
	ns      string // RocketMQ nameserver address (mq, null)
	dir     string
	logPath string // the load generators' stderr
	produce func(topic string, sh shape, count int64) (*Result, error)
	// consume drains topic, which holds want messages.
	consume func(topic string, want int64) (*Result, error)
}

// stop stops the server and removes its store (the logs stay until the run's end).
func (t *target) stop() {
	t.srv.stop()
	_ = os.RemoveAll(filepath.Join(t.dir, "store"))
}

func (o *runOptions) dir(name string, i int) (string, error) {
	d := filepath.Join(o.tmp, fmt.Sprintf("%s-%d", name, i))
	return d, os.MkdirAll(d, 0o755)
}

// shapeArgs are the flags of `mq bench produce` and of our generators for sh.
func (o *runOptions) shapeArgs(sh shape, count int64) []string {
	d := o.dur.String()
	if count > 0 {
		// A long -d: `mq bench produce` before b7fb09f bounded each request of a counted run by
		// duration + 30 s from its start, failing every send of a longer fill.
		d = "10m"
	}
	a := []string{"--producers", strconv.Itoa(sh.conns), "--inflight", strconv.Itoa(sh.inflight),
		"--size", strconv.Itoa(bodySize), "-d", d}
	if sh.sync {
		a = append(a, "--sync")
	}
	if count > 0 {
		a = append(a, "--count", strconv.FormatInt(count, 10))
	}
	return a
}

// mqBench runs `mq bench produce` (the lean pipelining generator) against nameserver ns.
func (o *runOptions) mqBench(ctx context.Context, ns, topic string, sh shape, count int64, logPath string) (*Result, error) {
	argv := append([]string{o.mq, "bench", "produce", "-n", ns, "-t", topic, "-o", "json", "-q"}, o.shapeArgs(sh, count)...)
	return runLoad(ctx, argv, logPath)
}

// goClient runs the official Go client against nameserver ns.
func (o *runOptions) goClient(ctx context.Context, ns, topic string, sh shape, logPath string) (*Result, error) {
	argv := append([]string{o.self, "goclient", "-n", ns, "-t", topic}, o.shapeArgs(sh, 0)...)
	return runLoad(ctx, argv, logPath)
}

// startMQ starts `mq standalone` on free ports; props, when set, is its broker config (-c).
// Ready is the first GET_BROKER_RUNTIME_INFO answered SUCCESS on the broker port.
func startMQ(ctx context.Context, o *runOptions, name string, i int, props string) (*target, error) {
	dir, err := o.dir(name, i)
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	argv := []string{o.mq, "standalone", "--namesrv-port", strconv.Itoa(ports[0]), "--broker-port",
		strconv.Itoa(ports[1]), "--store", filepath.Join(dir, "store")}
	if props != "" {
		cfg := filepath.Join(dir, "broker.properties")
		if err := os.WriteFile(cfg, []byte(props), 0o644); err != nil {
			return nil, err
		}
		argv = append(argv, "-c", cfg)
	}
	ns, broker := "127.0.0.1:"+strconv.Itoa(ports[0]), "127.0.0.1:"+strconv.Itoa(ports[1])
	client := remoting.NewClient(remoting.ClientConfig{})
	defer client.Close()
	call := func(ctx context.Context, addr string, code protocol.RequestCode, ext map[string]string) error {
		resp, err := client.InvokeSync(ctx, addr, remoting.NewRequest(int16(code), ext, nil))
		if err != nil {
			return err
		}
		return resp.Err()
	}
	s, err := startServer(ctx, name, argv, filepath.Join(dir, "server.log"), func(ctx context.Context) error {
		return call(ctx, broker, protocol.GetBrokerRuntimeInfo, nil)
	})
	if err != nil {
		return nil, err
	}
	t := &target{sys: "mq", srv: s, ns: ns, dir: dir, logPath: filepath.Join(dir, "load.log")}
	// Clients need the broker's routes on the nameserver (mq bench creates topics from TBW102's).
	if err := poll(ctx, func(ctx context.Context) error {
		return call(ctx, ns, protocol.GetRouteInfoByTopic, map[string]string{"topic": "TBW102"})
	}); err != nil {
		t.stop()
		return nil, fmt.Errorf("%s: no TBW102 route on its nameserver: %w", name, err)
	}
	t.produce = func(topic string, sh shape, count int64) (*Result, error) {
		return o.mqBench(ctx, ns, topic, sh, count, t.logPath)
	}
	t.consume = func(topic string, want int64) (*Result, error) {
		// --count ends the drain at the backlog's size (without it -d would cut it at 10 s).
		return runLoad(ctx, []string{o.mq, "bench", "consume", "-n", ns, "-t", topic, "-o", "json", "-q",
			"--count", strconv.FormatInt(want, 10), "-d", "10m"}, t.logPath)
	}
	return t, nil
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

// startNATS starts nats-server with JetStream (file store) on a free port; syncAlways sets
// sync_interval: always (every write fsynced before its PubAck). Ready is the first
// JetStream account info answered.
func startNATS(ctx context.Context, o *runOptions, name string, i int, syncAlways bool) (*target, error) {
	dir, err := o.dir(name, i)
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	sync := ""
	if syncAlways {
		sync = "\n  sync_interval: always"
	}
	conf := fmt.Sprintf("listen: 127.0.0.1:%d\njetstream {\n  store_dir: %q%s\n}\n", ports[0],
		filepath.Join(dir, "store"), sync)
	cfg := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	url := "nats://127.0.0.1:" + strconv.Itoa(ports[0])
	s, err := startServer(ctx, name, []string{o.natsServer, "-c", cfg}, filepath.Join(dir, "server.log"),
		func(ctx context.Context) error {
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
		})
	if err != nil {
		return nil, err
	}
	t := &target{sys: "nats", srv: s, dir: dir, logPath: filepath.Join(dir, "load.log")}
	t.produce = func(topic string, sh shape, count int64) (*Result, error) {
		argv := append([]string{o.self, "nats", "produce", "--url", url, "-t", topic}, o.shapeArgs(sh, count)...)
		return runLoad(ctx, argv, t.logPath)
	}
	t.consume = func(topic string, _ int64) (*Result, error) {
		// Drains what the stream holds when the consumer starts.
		return runLoad(ctx, []string{o.self, "nats", "consume", "--url", url, "-t", topic, "--method", o.natsConsume},
			t.logPath)
	}
	return t, nil
}

// startNull starts the null broker (benchcompare null) on a free port.
func startNull(ctx context.Context, o *runOptions, i int) (*target, error) {
	dir, err := o.dir("null", i)
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	client := remoting.NewClient(remoting.ClientConfig{})
	defer client.Close()
	s, err := startServer(ctx, "null", []string{o.self, "null", "--listen", addr}, filepath.Join(dir, "server.log"),
		func(ctx context.Context) error {
			req := remoting.NewRequest(int16(protocol.GetRouteInfoByTopic), map[string]string{"topic": benchTopic}, nil)
			resp, err := client.InvokeSync(ctx, addr, req)
			if err != nil {
				return err
			}
			return resp.Err()
		})
	if err != nil {
		return nil, err
	}
	t := &target{sys: "null", srv: s, ns: addr, dir: dir, logPath: filepath.Join(dir, "load.log")}
	t.produce = func(topic string, sh shape, count int64) (*Result, error) {
		return o.mqBench(ctx, addr, topic, sh, count, t.logPath)
	}
	return t, nil
}
