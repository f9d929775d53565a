package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// benchCluster starts a NameServer and broker for a benchmark (files sized like a small
// production store: 64 MiB CommitLog segments).
func benchCluster(b *testing.B) *cluster {
	return startClusterTB(b, func(cfg *broker.Config) { cfg.MappedFileSizeCommitLog = 64 << 20 })
}

// BenchmarkGoClientSendSync: 16 goroutines share one official-client producer and SendSync
// 1 KiB messages to a 4-queue topic (ASYNC_FLUSH). Reports msgs/s and the p50/p99 latency
// (µs, HDR histogram). GoC itself costs ~35–50 µs of CPU per message (trap §7.35).
func BenchmarkGoClientSendSync(b *testing.B) {
	c := benchCluster(b)
	const topic, workers = "BenchGoSend", 16
	c.createTopic(b, topic, 4)
	p := startProducer(b, c)
	body := make([]byte, 1024)
	// Warm up: route, connection.
	if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, body)); err != nil {
		b.Fatal(err)
	}
	hists := make([]*hdrhistogram.Histogram, workers)
	var next atomic.Int64
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		h := hdrhistogram.New(1, int64(10*time.Second/time.Microsecond), 3)
		hists[w] = h
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, body)); err != nil {
					failed.Add(1)
					continue
				}
				h.RecordValue(time.Since(t0).Microseconds())
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := hdrhistogram.New(1, int64(10*time.Second/time.Microsecond), 3)
	for _, h := range hists {
		all.Merge(h)
	}
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d sends failed", n)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(all.ValueAtQuantile(50)), "p50-µs")
	b.ReportMetric(float64(all.ValueAtQuantile(99)), "p99-µs")
}

// BenchmarkRawPullDrain: a backlog of 100,000 1 KiB messages (1,000,000 with
// MQ_BENCH_BIG=1) in a 4-queue topic, preloaded with SEND_BATCH_MESSAGE, is read from offset
// 0 by four raw PULL_MESSAGE loops (one per queue, 32 messages a pull). Each iteration drains
// the whole backlog; reports msgs/s and MB/s.
func BenchmarkRawPullDrain(b *testing.B) {
	total := 100_000
	if os.Getenv("MQ_BENCH_BIG") == "1" {
		total = 1_000_000
	}
	total = total / (256 * 4) * 256 * 4 // whole batches per queue
	c := startClusterTB(b, func(cfg *broker.Config) {
		cfg.MappedFileSizeCommitLog = 256 << 20
		cfg.MappedFileSizeConsumeQueue = 300000 * 20
	})
	const topic, queues = "BenchDrain", 4
	c.createTopic(b, topic, queues)
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	preload(b, cl, c.b.Addr, topic, queues, total)
	b.ResetTimer()
	var bytes atomic.Int64
	start := time.Now()
	for range b.N {
		var wg sync.WaitGroup
		errs := make(chan error, queues)
		for q := range int32(queues) {
			wg.Go(func() {
				var off int64
				for {
					h := &protocol.PullMessageRequestHeader{ConsumerGroup: "benchDrain", Topic: topic, QueueID: q,
						QueueOffset: off, MaxMsgNums: 32, SysFlag: 0x4, Subscription: "*", ExpressionType: "TAG"}
					resp, err := cl.InvokeSync(context.Background(), c.b.Addr, remoting.NewRequest(int16(protocol.PullMessage), protocol.EncodeHeader(h), nil))
					if err != nil {
						errs <- err
						return
					}
					if resp.Code != 0 {
						if off < int64(total/queues) {
							errs <- fmt.Errorf("queue %d stopped at %d: code %d %s", q, off, resp.Code, resp.Remark)
						}
						return
					}
					bytes.Add(int64(len(resp.Body)))
					var rh protocol.PullMessageResponseHeader
					rh.Decode(resp.ExtFields)
					off = rh.NextBeginOffset
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(total*b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(bytes.Load())/elapsed.Seconds()/1e6, "MB/s")
}

// preload stores total 1 KiB messages round-robin over the queues with batches of 256.
func preload(b *testing.B, cl *remoting.Client, addr, topic string, queues, total int) {
	b.Helper()
	const batch = 256
	msgs := make([]message.Message, batch)
	for i := range msgs {
		msgs[i] = message.Message{Topic: topic, Body: make([]byte, 1024), Properties: map[string]string{"TAGS": "T"}}
	}
	body, err := message.AppendBatch(nil, msgs)
	if err != nil {
		b.Fatal(err)
	}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	var failed atomic.Value
	for i := 0; i < total/batch; i++ {
		sem <- struct{}{}
		q := i % queues
		wg.Go(func() {
			defer func() { <-sem }()
			ext := map[string]string{"a": "pgBench", "b": topic, "c": "TBW102", "d": "4", "e": strconv.Itoa(q),
				"f": "0", "g": strconv.FormatInt(time.Now().UnixMilli(), 10), "h": "0", "i": "", "j": "0", "k": "false", "m": "true"}
			resp, err := cl.InvokeSync(context.Background(), addr, remoting.NewRequest(int16(protocol.SendBatchMessage), ext, body))
			if err == nil && resp.Code != 0 {
				err = fmt.Errorf("batch: code %d %s", resp.Code, resp.Remark)
			}
			if err != nil {
				failed.Store(err)
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	// Wait for the ConsumeQueues (dispatch is asynchronous).
	mqtest.CheckFor(b, time.Minute, 10*time.Millisecond, func() error {
		for q := range int32(queues) {
			h := &protocol.GetMaxOffsetRequestHeader{Topic: topic, QueueID: q}
			resp, err := cl.InvokeSync(context.Background(), addr, remoting.NewRequest(int16(protocol.GetMaxOffset), protocol.EncodeHeader(h), nil))
			if err != nil {
				return err
			}
			if got := resp.ExtFields["offset"]; got != strconv.Itoa(total/queues) {
				return fmt.Errorf("queue %d max offset %s", q, got)
			}
		}
		return nil
	})
}

// Environment of BenchmarkBrokerStart's child process.
const benchChildEnv = "MQ_BENCH_CHILD_STORE"

// TestBenchChildBroker is BenchmarkBrokerStart's child: a broker with Apache's default
// configuration on an empty store, timed from before broker.New until a request on its
// listener is answered; it prints "READY <port> <µs>" and waits for stdin to close.
func TestBenchChildBroker(t *testing.T) {
	dir := os.Getenv(benchChildEnv)
	if dir == "" {
		t.Skip("only run as the child of BenchmarkBrokerStart")
	}
	t0 := time.Now()
	cfg := broker.DefaultConfig()
	cfg.StorePathRootDir = dir
	cfg.BrokerIP1 = "127.0.0.1"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ListenPort = ln.Addr().(*net.TCPAddr).Port
	b, err := broker.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- b.Serve(ln) }()
	cl := remoting.NewClient(remoting.ClientConfig{})
	resp, err := cl.InvokeSync(context.Background(), ln.Addr().String(), remoting.NewRequest(int16(protocol.GetBrokerRuntimeInfo), nil, nil))
	if err != nil || resp.Code != 0 {
		t.Fatalf("first request: %v %+v", err, resp)
	}
	ready := time.Since(t0)
	cl.Close()
	fmt.Printf("READY %d %d\n", cfg.ListenPort, ready.Microseconds())
	bufio.NewReader(os.Stdin).ReadString('\n') // the parent closes stdin when done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b.Shutdown(ctx)
	if err := <-served; err != nil && !errors.Is(err, broker.ErrShutdown) {
		t.Fatal(err)
	}
}

// BenchmarkBrokerStart starts a broker with Apache's default configuration (1 GiB CommitLog
// segments, default pools) on an empty store in a child process (this test binary,
// -test.run=TestBenchChildBroker) and reports the time from before broker.New until the
// first request is answered (measured in the child, so process start is excluded) and the
// child's VmRSS from /proc/<pid>/status one second after it is ready. The child is the test
// binary, which links the official client too: its RSS is an upper bound for `mq broker`.
func BenchmarkBrokerStart(b *testing.B) {
	var startUs, rssKiB float64
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBenchChildBroker$", "-test.v")
		cmd.Env = append(os.Environ(), benchChildEnv+"="+b.TempDir())
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		var us int64
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "READY" {
				us, _ = strconv.ParseInt(f[2], 10, 64)
				break
			}
		}
		if us == 0 {
			cmd.Process.Kill()
			cmd.Wait()
			b.Fatal("child broker never became ready")
		}
		go func() {
			for sc.Scan() { // drain the rest
			}
		}()
		time.Sleep(time.Second)
		rss, err := vmRSS(cmd.Process.Pid)
		stdin.Close()
		if werr := cmd.Wait(); werr != nil {
			b.Fatalf("child: %v", werr)
		}
		if err != nil {
			b.Fatal(err)
		}
		startUs += float64(us)
		rssKiB += float64(rss)
	}
	b.ReportMetric(startUs/float64(b.N)/1000, "start-ms")
	b.ReportMetric(rssKiB/float64(b.N)/1024, "RSS-MiB")
}

// vmRSS reads VmRSS (KiB) of a process.
func vmRSS(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS")
}
