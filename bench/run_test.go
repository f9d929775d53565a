package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/protocol"
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

// benchTopic creates topic with 4 queues on the broker at brokerAddr and waits for its route.
func benchTopic(t *testing.T, ns, brokerAddr, topic string) {
	t.Helper()
	a, err := admin.New(admin.Options{NameServers: []string{ns}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tc := protocol.NewTopicConfig(topic)
	tc.ReadQueueNums, tc.WriteQueueNums = 4, 4
	if err := a.CreateTopicOnBroker(context.Background(), brokerAddr, tc); err != nil {
		t.Fatalf("topic create: %v", err)
	}
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		_, err := a.TopicRoute(context.Background(), topic)
		return err
	})
}

// TestBenchProduceHonest checks that the count `mq bench produce` reports is what the broker
// stored: the growth of the sum of the topic's queue max offsets.
func TestBenchProduceHonest(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns.Addr)
	benchTopic(t, ns.Addr, b.Addr, "HonestT")
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"mode=async,count=3000", Options{Producers: 4, Inflight: 32, Size: 100, Count: 3000}},
		{"mode=sync,count=500", Options{Producers: 2, Inflight: 1, Size: 1024, Count: 500, Sync: true}},
		{"mode=async,duration=300ms", Options{Producers: 2, Inflight: 64, Size: 512, Duration: 300 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.Mode, o.NameServers, o.Topic, o.Group = ModeProduce, []string{ns.Addr}, "HonestT", "bench-producer"
			if o.Duration == 0 {
				o.Duration = time.Minute
			}
			before := storedCount(t, ns.Addr, "HonestT")
			r, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if r.Errors != 0 || (o.Count > 0 && r.Messages != o.Count) {
				t.Fatalf("reported %d messages (%d errors), asked for %d", r.Messages, r.Errors, o.Count)
			}
			// Max offsets grow as the dispatcher catches up with the CommitLog: wait for it.
			mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				if stored := storedCount(t, ns.Addr, "HonestT") - before; stored != r.Messages {
					return fmt.Errorf("reported %d messages, broker stored %d", r.Messages, stored)
				}
				return nil
			})
		})
	}
}

// TestBenchCountOutlastsDuration: a --count run taking longer than its duration plus the
// requests' grace still has every send answered (the requests' deadline once was duration +
// grace from the start, so later sends failed with "context deadline exceeded").
func TestBenchCountOutlastsDuration(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns.Addr)
	benchTopic(t, ns.Addr, b.Addr, "CountT")
	old := requestGrace
	requestGrace = 50 * time.Millisecond
	t.Cleanup(func() { requestGrace = old })
	began := time.Now()
	r, err := Run(context.Background(), Options{Mode: ModeProduce, NameServers: []string{ns.Addr}, Topic: "CountT",
		Group: "bench-producer", Producers: 1, Sync: true, Size: 100, Count: 3000, Duration: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(began)
	if r.Errors != 0 || r.Messages != 3000 {
		t.Fatalf("%d acknowledged, %d errors (%s) in %v; want 3000, 0", r.Messages, r.Errors, r.FirstError, el)
	}
	if el < 100*time.Millisecond {
		t.Logf("the run took only %v: it did not outlast duration + grace, so it proves little", el)
	}
}

// TestBenchVersusGoClient runs `mq bench produce` and the official Go client one after the
// other against the same broker at the same concurrency (16 goroutines, synchronous sends,
// 1 KiB bodies) and logs both rates. The lean client must not be slower than the official
// one (with 20% slack for the noise of a shared machine).
func TestBenchVersusGoClient(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("timing comparison (not under -short or the race detector)")
	}
	ns := mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns.Addr)
	benchTopic(t, ns.Addr, b.Addr, "VersusT")
	const workers, size, run = 16, 1024, time.Second

	o := Options{Mode: ModeProduce, NameServers: []string{ns.Addr}, Topic: "VersusT", Group: "bench-producer", Producers: workers,
		Inflight: 1, Size: size, Sync: true, Duration: run}
	r, err := Run(context.Background(), o)
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
