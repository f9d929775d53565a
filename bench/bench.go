// Package bench is mq's load generator: it pipelines requests on a few connections with the
// lean remoting client, so it measures the broker, not the client (the official Go client
// tops out near 30k msgs/s on two cores against a broker that does nothing). Routes come
// from admin; the hot path is raw SEND_MESSAGE_V2 / PULL_MESSAGE frames. It never prints:
// Run returns a Result and reports progress through Options.Tick.
package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// Modes of a run.
const (
	ModeProduce = "produce"
	ModeConsume = "consume"
)

// Options describe a run. Zero values take the defaults noted.
type Options struct {
	// Mode is ModeProduce or ModeConsume.
	Mode        string
	NameServers []string
	// Credentials, when set, sign every request (ACL).
	Credentials *remoting.Credentials
	Topic       string
	// Group is the producer or consumer group (offsets are never committed).
	Group string
	// Producers is the number of producing connections (default 4).
	Producers int
	// Inflight is the number of requests in flight per producer (default 64; 1 with Sync).
	Inflight int
	// Size is the body size in bytes.
	Size int
	// Duration bounds the run unless Count is set (default 10 s).
	Duration time.Duration
	// Count, when > 0, stops the run after this many messages (transactions with
	// Transaction).
	Count int64
	// Sync sends one request at a time per producer.
	Sync bool
	// DelayLevel > 0 sends delayed messages at that level.
	DelayLevel int
	// Batch is the messages per pull when consuming (default 32).
	Batch int
	// Pulls is the pulls in flight per queue when consuming (default 8).
	Pulls int
	// Transaction sends half messages, each ended with END_TRANSACTION on its answer.
	Transaction bool
	// RollbackRatio is the fraction (0..1) of transactions rolled back.
	RollbackRatio float64
	// Timeout bounds the route lookups (default admin.DefaultTimeout).
	Timeout time.Duration
	// Tick, when set, is called about once a second with the progress so far.
	Tick func(Progress)
	// KeysFile, when set, gets the UNIQ_KEY of every acknowledged send (produce) or every
	// message pulled (consume) appended, one a line.
	KeysFile string
	// OnEnd, when set (tests), is called with the UNIQ_KEY of every transaction whose
	// END_TRANSACTION the broker acknowledged, and whether it was a commit.
	OnEnd func(uniqKey string, commit bool)
}

// Errors of Validate.
var (
	// ErrOptions is wrapped by every error Validate returns.
	ErrOptions = errors.New("bench: bad options")
)

// Validate checks the options and fills in defaults.
func (o *Options) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrOptions}, args...)...)
	}
	if o.Mode != ModeProduce && o.Mode != ModeConsume {
		return bad("mode %q: want produce or consume", o.Mode)
	}
	if len(o.NameServers) == 0 {
		return bad("no nameserver")
	}
	if o.Topic == "" {
		return bad("no topic")
	}
	if o.Producers == 0 {
		o.Producers = 4
	}
	if o.Inflight == 0 {
		o.Inflight = 64
	}
	if o.Sync {
		o.Inflight = 1
	}
	if o.Producers < 1 || o.Inflight < 1 || o.Size < 0 {
		return bad("--producers and --inflight must be >= 1, --size >= 0")
	}
	if o.RollbackRatio < 0 || o.RollbackRatio > 1 {
		return bad("--rollback-ratio must be between 0 and 1")
	}
	if o.RollbackRatio > 0 && !o.Transaction {
		return bad("--rollback-ratio needs --transaction")
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Batch <= 0 {
		o.Batch = admin.ScanBatch
	}
	if o.Pulls <= 0 {
		o.Pulls = 8
	}
	if o.Timeout <= 0 {
		o.Timeout = admin.DefaultTimeout
	}
	return nil
}

// Result is what a run measured; the JSON field names are stable.
type Result struct {
	Mode       string  `json:"mode"`
	Messages   int64   `json:"messages"`
	Errors     int64   `json:"errors"`
	Seconds    float64 `json:"seconds"`
	MsgsPerSec float64 `json:"msgsPerSec"`
	MBPerSec   float64 `json:"mbPerSec"`
	P50Ms      float64 `json:"p50Ms"`
	P90Ms      float64 `json:"p90Ms"`
	P99Ms      float64 `json:"p99Ms"`
	P999Ms     float64 `json:"p999Ms"`
	MaxMs      float64 `json:"maxMs"`
	FirstError string  `json:"firstError,omitempty"`
	// RolledBack is the number of transactions rolled back (acknowledged END_TRANSACTION
	// with ROLLBACK); present only in produce-transaction mode.
	RolledBack *int64 `json:"rolledBack,omitempty"`
}

// Progress is a run's state once a second.
type Progress struct {
	Messages int64
	Errors   int64
	// PerSecond is the messages of the last second.
	PerSecond int64
	// Fraction of the run done, 0..1 (of Count, else of Duration).
	Fraction float64
}

// Run runs a benchmark until its duration or count ends, or ctx is cancelled.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.Validate(); err != nil {
		return Result{}, err
	}
	if o.Mode == ModeConsume {
		return consume(ctx, &o)
	}
	return produce(ctx, &o)
}

// queues asks the nameservers for the topic's master queues. When the topic does not exist
// and autoCreate is set, it targets TBW102's brokers with 4 queues, so brokers with
// autoCreateTopicEnable create it on the first send.
func queues(ctx context.Context, o *Options, write, autoCreate bool) ([]admin.WriteQueue, error) {
	a, err := admin.New(admin.Options{NameServers: o.NameServers, Timeout: o.Timeout, Credentials: o.Credentials})
	if err != nil {
		return nil, err
	}
	defer a.Close()
	rd, err := a.TopicRoute(ctx, o.Topic)
	if err != nil && autoCreate && admin.IsCode(err, protocol.TopicNotExist) {
		if rd, err = a.TopicRoute(ctx, admin.AutoCreateTopic); err == nil {
			for i := range rd.QueueDatas {
				rd.QueueDatas[i].WriteQueueNums, rd.QueueDatas[i].ReadQueueNums = 4, 4
			}
		}
	}
	if err != nil {
		return nil, err
	}
	qs := admin.TopicQueues(rd, write)
	if len(qs) == 0 {
		return nil, fmt.Errorf("bench: topic %s has no master queues", o.Topic)
	}
	return qs, nil
}

// stats collects counts and latencies from many goroutines.
type stats struct {
	msgs, bytes, errs atomic.Int64
	rolledBack        atomic.Int64
	mu                sync.Mutex
	hist              *hdrhistogram.Histogram // microseconds
	firstErr          atomic.Pointer[string]
}

func newStats() *stats {
	return &stats{hist: hdrhistogram.New(1, 60_000_000, 3)}
}

func (s *stats) record(d time.Duration, n, bytes int64) {
	s.msgs.Add(n)
	s.bytes.Add(bytes)
	s.mu.Lock()
	_ = s.hist.RecordValue(d.Microseconds())
	s.mu.Unlock()
}

// rollback counts a rolled-back transaction and records its latency.
func (s *stats) rollback(d time.Duration) {
	s.rolledBack.Add(1)
	s.mu.Lock()
	_ = s.hist.RecordValue(d.Microseconds())
	s.mu.Unlock()
}

func (s *stats) fail(err error) {
	s.errs.Add(1)
	msg := err.Error()
	s.firstErr.CompareAndSwap(nil, &msg)
}

func (s *stats) result(mode string, el time.Duration) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := func(q float64) float64 { return float64(s.hist.ValueAtQuantile(q)) / 1000 }
	r := Result{Mode: mode, Messages: s.msgs.Load(), Errors: s.errs.Load(), Seconds: el.Seconds(),
		MsgsPerSec: float64(s.msgs.Load()) / el.Seconds(), MBPerSec: float64(s.bytes.Load()) / el.Seconds() / 1e6,
		P50Ms: ms(50), P90Ms: ms(90), P99Ms: ms(99), P999Ms: ms(99.9), MaxMs: float64(s.hist.Max()) / 1000}
	if p := s.firstErr.Load(); p != nil {
		r.FirstError = *p
	}
	return r
}

// ticker calls o.Tick every second until ctx ends.
func ticker(ctx context.Context, o *Options, s *stats, start time.Time) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n := s.msgs.Load()
		frac := time.Since(start).Seconds() / o.Duration.Seconds()
		if o.Count > 0 {
			frac = float64(n+s.rolledBack.Load()) / float64(o.Count)
		}
		o.Tick(Progress{Messages: n, Errors: s.errs.Load(), PerSecond: n - last, Fraction: min(max(frac, 0), 1)})
		last = n
	}
}

// startTicker runs ticker until runCtx ends or the returned stop is called (and waits for
// it); without a Tick func it does nothing.
func startTicker(runCtx context.Context, o *Options, s *stats, start time.Time) (stop func()) {
	if o.Tick == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(runCtx)
	var wg sync.WaitGroup
	wg.Go(func() { ticker(ctx, o, s, start) })
	return func() { cancel(); wg.Wait() }
}

// runContext ends at the duration, or never when a count is set (the caller stops then).
func runContext(ctx context.Context, o *Options) (context.Context, context.CancelFunc) {
	if o.Count > 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, o.Duration)
}
