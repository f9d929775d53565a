package main

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/internal/mqtest"
)

// storedCount is the sum of the max offsets of topic's queues.
func storedCount(t *testing.T, ns, topic string) int64 {
	t.Helper()
	a, err := admin.New(admin.Options{NameServers: []string{ns}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ts, err := a.TopicStatus(context.Background(), topic)
	if admin.IsCode(err, 17) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, q := range ts.Queues {
		n += q.MaxOffset
	}
	return n
}

func benchTopic(t *testing.T, ns, brokerAddr, topic string) {
	t.Helper()
	if code, _, errOut := runMQ(t, "topic", "create", "-n", ns, "-t", topic, "-b", brokerAddr, "-r", "4", "-w", "4"); code != 0 {
		t.Fatalf("topic create: %s", errOut)
	}
}

// TestBenchProduceHonest checks that the count `mq bench produce` reports is what the broker
// stored: the growth of the sum of the topic's queue max offsets.
func TestBenchProduceHonest(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns.Addr)
	benchTopic(t, ns.Addr, b.Addr, "HonestT")
	for _, tc := range []struct {
		name string
		o    benchOptions
	}{
		{"mode=async,count=3000", benchOptions{producers: 4, inflight: 32, size: 100, count: 3000}},
		{"mode=sync,count=500", benchOptions{producers: 2, inflight: 1, size: 1024, count: 500, sync: true}},
		{"mode=async,duration=300ms", benchOptions{producers: 2, inflight: 64, size: 512, duration: 300 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.namesrv, o.topic, o.group, o.quiet = ns.Addr, "HonestT", "bench-producer", true
			if o.duration == 0 {
				o.duration = time.Minute
			}
			before := storedCount(t, ns.Addr, "HonestT")
			r, err := runBenchProduce(context.Background(), &o, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			stored := storedCount(t, ns.Addr, "HonestT") - before
			if r.Errors != 0 || r.Messages != stored || (o.count > 0 && r.Messages != o.count) {
				t.Fatalf("reported %d messages (%d errors), broker stored %d, asked for %d", r.Messages, r.Errors, stored, o.count)
			}
		})
	}
}

// TestBenchVersusGoClient runs `mq bench produce` and the official Go client one after the
// other against the same broker at the same concurrency (16 goroutines, synchronous sends,
// 1 KiB bodies) and logs both rates. The lean client must not be slower than the official
// one (with 20% slack for the noise of a shared machine).
func TestBenchVersusGoClient(t *testing.T) {
	if testing.Short() {
		t.Skip("timing comparison")
	}
	ns := mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns.Addr)
	benchTopic(t, ns.Addr, b.Addr, "VersusT")
	const workers, size, run = 16, 1024, time.Second

	o := benchOptions{namesrv: ns.Addr, topic: "VersusT", group: "bench-producer", producers: workers, inflight: 1, size: size,
		sync: true, duration: run, quiet: true}
	r, err := runBenchProduce(context.Background(), &o, io.Discard)
	if err != nil || r.Errors != 0 {
		t.Fatalf("mq bench: %v, %d errors (%s)", err, r.Errors, r.FirstError)
	}

	p, err := rocketmq.NewProducer(producer.WithNameServer([]string{ns.Addr}), producer.WithGroupName("goc-bench"), producer.WithRetry(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	body := make([]byte, size)
	if _, err := p.SendSync(context.Background(), primitive.NewMessage("VersusT", body)); err != nil { // warm the route
		t.Fatal(err)
	}
	var sent, failed atomic.Int64
	start := time.Now()
	deadline := start.Add(run)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if _, err := p.SendSync(context.Background(), primitive.NewMessage("VersusT", body)); err != nil {
					failed.Add(1)
					continue
				}
				sent.Add(1)
			}
		})
	}
	wg.Wait()
	gocRate := float64(sent.Load()) / time.Since(start).Seconds()
	t.Logf("16 x SendSync, 1 KiB: mq bench produce %.0f msgs/s (p50 %.2f ms, p99 %.2f ms); official Go client %.0f msgs/s (%d failed)",
		r.MsgsPerSec, r.P50Ms, r.P99Ms, gocRate, failed.Load())
	if r.MsgsPerSec < 0.8*gocRate {
		t.Fatalf("mq bench produce %.0f msgs/s is slower than the official Go client's %.0f", r.MsgsPerSec, gocRate)
	}
}
