package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"
)

// mq bench is the lean load generator: it pipelines requests on a few connections with our own
// remoting client, so it measures the broker, not the client (the official Go client tops out
// near 30k msgs/s on two cores against a broker that does nothing).

type benchOptions struct {
	namesrv   string
	topic     string
	group     string
	producers int
	inflight  int
	size      int
	duration  time.Duration
	count     int64
	sync      bool
	delay     int
	output    string
	quiet     bool
	batch     int

	transaction   bool
	rollbackRatio float64
	// onEnd, when set (tests), is called with the UNIQ_KEY of every transaction whose
	// END_TRANSACTION the broker acknowledged, and whether it was a commit.
	onEnd func(uniqKey string, commit bool)
}

func newBenchCmd(streams IOStreams, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a broker: produce and consume load with latency percentiles",
		Long: `Generate load against any RocketMQ broker (mq or Apache) with a lean pipelining client,
and report msgs/s, MB/s and latency percentiles from an HDR histogram.`,
	}
	cmd.AddCommand(newBenchProduceCmd(streams, g), newBenchConsumeCmd(streams, g))
	return cmd
}

func addBenchFlags(cmd *cobra.Command, o *benchOptions) {
	f := cmd.Flags()
	f.StringVarP(&o.namesrv, "namesrv", "n", os.Getenv("NAMESRV_ADDR"), "nameserver addresses, ';'-separated (env NAMESRV_ADDR)")
	f.StringVarP(&o.topic, "topic", "t", "BenchmarkTopic", "topic")
	f.DurationVarP(&o.duration, "duration", "d", 10*time.Second, "how long to run (ignored with --count)")
	f.Int64Var(&o.count, "count", 0, "stop after this many messages")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no per-second progress")
}

func newBenchProduceCmd(streams IOStreams, g *globalOptions) *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "produce",
		Short: "Send messages as fast as the broker takes them",
		Example: `  mq bench produce -n 127.0.0.1:9876 -t BenchmarkTopic --producers 4 --inflight 64 --size 1024 -d 10s
  mq bench produce -n 127.0.0.1:9876 --sync --producers 16 --count 100000 -o json
  mq bench produce -n 127.0.0.1:9876 --transaction --rollback-ratio 0.1 --count 100000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.namesrv == "" {
				return &usageError{Err: errors.New("no nameserver: use -n or NAMESRV_ADDR")}
			}
			if o.producers < 1 || o.inflight < 1 || o.size < 0 {
				return &usageError{Err: errors.New("--producers and --inflight must be >= 1, --size >= 0")}
			}
			if o.sync {
				o.inflight = 1
			}
			if o.rollbackRatio < 0 || o.rollbackRatio > 1 {
				return &usageError{Err: errors.New("--rollback-ratio must be between 0 and 1")}
			}
			if o.rollbackRatio > 0 && !o.transaction {
				return &usageError{Err: errors.New("--rollback-ratio needs --transaction")}
			}
			res, err := runBenchProduce(cmd.Context(), o, streams.ErrOut)
			if err != nil {
				return err
			}
			return printBenchResult(streams.Out, o.output, res)
		},
	}
	addBenchFlags(cmd, o)
	cmdutil.Writes(cmd, "send benchmark messages to {topic}")
	f := cmd.Flags()
	f.StringVarP(&o.group, "group", "g", "mq_bench_producer", "producer group")
	f.IntVar(&o.producers, "producers", 4, "producers (one connection each)")
	f.IntVar(&o.inflight, "inflight", 64, "requests in flight per producer (async sends)")
	f.IntVarP(&o.size, "size", "s", 1024, "body size in bytes")
	f.BoolVar(&o.sync, "sync", false, "synchronous sends: one request in flight per producer")
	f.IntVar(&o.delay, "delay-level", 0, "send delayed messages at this delay level (1-18)")
	f.BoolVar(&o.transaction, "transaction", false,
		"transactional sends: a half message, then END_TRANSACTION on its response (messages counts commits; --count counts transactions)")
	f.Float64Var(&o.rollbackRatio, "rollback-ratio", 0, "with --transaction: fraction (0..1) of transactions rolled back instead of committed")
	return cmd
}

func newBenchConsumeCmd(streams IOStreams, g *globalOptions) *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:     "consume",
		Short:   "Pull a topic's backlog from the earliest offset as fast as the broker serves it",
		Example: `  mq bench consume -n 127.0.0.1:9876 -t BenchmarkTopic --count 1000000`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.namesrv == "" {
				return &usageError{Err: errors.New("no nameserver: use -n or NAMESRV_ADDR")}
			}
			res, err := runBenchConsume(cmd.Context(), o, streams.ErrOut)
			if err != nil {
				return err
			}
			return printBenchResult(streams.Out, o.output, res)
		},
	}
	addBenchFlags(cmd, o)
	cmd.Flags().StringVarP(&o.group, "group", "g", "mq_bench_consumer", "consumer group (offsets are not committed)")
	cmd.Flags().IntVar(&o.batch, "batch", 32, "messages per pull")
	return cmd
}

// benchTarget is one writable (or readable) queue of a topic.
type benchTarget struct {
	addr, broker string
	queue        int32
}

// topicQueues asks the nameservers for topic's route and lists its master queues. When the
// topic does not exist and autoCreate is set, it targets TBW102's brokers with 4 queues, so
// brokers with autoCreateTopicEnable create it on the first send.
func topicQueues(ctx context.Context, c *remoting.Client, namesrvs []string, topic string, write, autoCreate bool) ([]benchTarget, error) {
	route, err := queryRoute(ctx, c, namesrvs, topic)
	var re *remoting.ResponseError
	if err != nil && autoCreate && errors.As(err, &re) && protocol.ResponseCode(re.Code) == protocol.TopicNotExist {
		if route, err = queryRoute(ctx, c, namesrvs, "TBW102"); err == nil {
			for i := range route.QueueDatas {
				route.QueueDatas[i].WriteQueueNums, route.QueueDatas[i].ReadQueueNums = 4, 4
			}
		}
	}
	if err != nil {
		return nil, err
	}
	masters := map[string]string{}
	for _, b := range route.BrokerDatas {
		if a, ok := b.BrokerAddrs[0]; ok {
			masters[b.BrokerName] = a
		}
	}
	var out []benchTarget
	for _, q := range route.QueueDatas {
		addr, ok := masters[q.BrokerName]
		if !ok {
			continue
		}
		n := q.ReadQueueNums
		if write {
			n = q.WriteQueueNums
		}
		for i := range n {
			out = append(out, benchTarget{addr: addr, broker: q.BrokerName, queue: int32(i)})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("topic %s has no master queues", topic)
	}
	return out, nil
}

func queryRoute(ctx context.Context, c *remoting.Client, namesrvs []string, topic string) (*protocol.TopicRouteData, error) {
	var lastErr error
	for _, ns := range namesrvs {
		req := remoting.NewRequest(int16(protocol.GetRouteInfoByTopic), map[string]string{"topic": topic}, nil)
		cctx, cancel := context.WithTimeout(ctx, 6*time.Second)
		resp, err := c.InvokeSync(cctx, ns, req)
		cancel()
		if err != nil {
			lastErr = err
			continue
		}
		if err := resp.Err(); err != nil {
			return nil, err
		}
		var route protocol.TopicRouteData
		if err := protocol.DecodeBody(resp.Body, &route); err != nil {
			return nil, fmt.Errorf("route of %s: %w", topic, err)
		}
		return &route, nil
	}
	return nil, lastErr
}

func splitAddrs(s string) []string {
	var out []string
	for _, a := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// benchResult is what a bench run prints; the JSON field names are stable.
type benchResult struct {
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

// benchStats collects counts and latencies from many goroutines.
type benchStats struct {
	msgs, bytes, errs atomic.Int64
	rolledBack        atomic.Int64
	mu                sync.Mutex
	hist              *hdrhistogram.Histogram // microseconds
	firstErr          atomic.Pointer[string]
}

func newBenchStats() *benchStats {
	return &benchStats{hist: hdrhistogram.New(1, 60_000_000, 3)}
}

func (s *benchStats) record(d time.Duration, n, bytes int64) {
	s.msgs.Add(n)
	s.bytes.Add(bytes)
	s.mu.Lock()
	_ = s.hist.RecordValue(d.Microseconds())
	s.mu.Unlock()
}

// rollback counts a rolled-back transaction and records its latency.
func (s *benchStats) rollback(d time.Duration) {
	s.rolledBack.Add(1)
	s.mu.Lock()
	_ = s.hist.RecordValue(d.Microseconds())
	s.mu.Unlock()
}

func (s *benchStats) fail(err error) {
	s.errs.Add(1)
	msg := err.Error()
	s.firstErr.CompareAndSwap(nil, &msg)
}

func (s *benchStats) result(mode string, el time.Duration) benchResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := func(q float64) float64 { return float64(s.hist.ValueAtQuantile(q)) / 1000 }
	r := benchResult{Mode: mode, Messages: s.msgs.Load(), Errors: s.errs.Load(), Seconds: el.Seconds(),
		MsgsPerSec: float64(s.msgs.Load()) / el.Seconds(), MBPerSec: float64(s.bytes.Load()) / el.Seconds() / 1e6,
		P50Ms: ms(50), P90Ms: ms(90), P99Ms: ms(99), P999Ms: ms(99.9), MaxMs: float64(s.hist.Max()) / 1000}
	if p := s.firstErr.Load(); p != nil {
		r.FirstError = *p
	}
	return r
}

// progress prints msgs/s every second until ctx ends: a redrawn line on a terminal, one line
// a second otherwise.
func progress(ctx context.Context, w io.Writer, s *benchStats, total time.Duration, count int64, start time.Time) {
	tty := isTerminal(w)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-ctx.Done():
			if tty {
				fmt.Fprintln(w)
			}
			return
		case <-t.C:
		}
		n := s.msgs.Load()
		frac := time.Since(start).Seconds() / total.Seconds()
		if count > 0 {
			frac = float64(n+s.rolledBack.Load()) / float64(count)
		}
		frac = min(max(frac, 0), 1)
		bar := strings.Repeat("#", int(frac*30)) + strings.Repeat(".", 30-int(frac*30))
		line := fmt.Sprintf("[%s] %3.0f%%  %d msgs  %d msgs/s  %d errors", bar, frac*100, n, n-last, s.errs.Load())
		last = n
		if tty {
			fmt.Fprintf(w, "\r%s", line)
		} else {
			fmt.Fprintln(w, line)
		}
	}
}

// startProgress runs progress until runCtx ends or the returned stop is called (and waits
// for it); with --quiet it does nothing.
func startProgress(runCtx context.Context, o *benchOptions, w io.Writer, s *benchStats, start time.Time) (stop func()) {
	if o.quiet {
		return func() {}
	}
	ctx, cancel := context.WithCancel(runCtx)
	var wg sync.WaitGroup
	wg.Go(func() { progress(ctx, w, s, o.duration, o.count, start) })
	return func() { cancel(); wg.Wait() }
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// benchContext ends at the duration, or never when a count is set (the caller stops then).
func benchContext(ctx context.Context, o *benchOptions) (context.Context, context.CancelFunc) {
	if o.count > 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, o.duration)
}

func runBenchProduce(ctx context.Context, o *benchOptions, progressOut io.Writer) (benchResult, error) {
	namesrvs := splitAddrs(o.namesrv)
	nsClient := remoting.NewClient(remoting.ClientConfig{})
	defer nsClient.Close()
	targets, err := topicQueues(ctx, nsClient, namesrvs, o.topic, true, true)
	if err != nil {
		return benchResult{}, err
	}
	body := make([]byte, o.size)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	props := map[string]string{}
	if o.delay > 0 {
		props[message.PropertyDelayTimeLevel] = strconv.Itoa(o.delay)
	}
	mode := "produce"
	if o.transaction {
		// As the Go client's TransactionProducer marks a half message.
		props[message.PropertyTransactionPrepared] = "true"
		props[message.PropertyProducerGroup] = o.group
		mode = "produce-transaction"
	}
	stats := newBenchStats()
	runCtx, stop := benchContext(ctx, o)
	defer stop()
	start := time.Now()
	defer startProgress(runCtx, o, progressOut, stats, start)()
	// Requests in flight when the run ends may still finish: they get their own deadline.
	reqCtx, reqCancel := context.WithTimeout(context.WithoutCancel(ctx), o.duration+30*time.Second)
	defer reqCancel()
	var sent atomic.Int64
	var wg sync.WaitGroup
	for p := range o.producers {
		wg.Go(func() {
			client := remoting.NewClient(remoting.ClientConfig{})
			defer client.Close()
			produceLoop(runCtx, reqCtx, stop, client, o, p, targets, body, props, stats, &sent)
		})
	}
	wg.Wait()
	res := stats.result(mode, time.Since(start))
	if o.transaction {
		n := stats.rolledBack.Load()
		res.RolledBack = &n
	}
	return res, nil
}

func produceLoop(ctx, reqCtx context.Context, stop context.CancelFunc, client *remoting.Client, o *benchOptions, p int,
	targets []benchTarget, body []byte, props map[string]string, stats *benchStats, sent *atomic.Int64) {
	sem := make(chan struct{}, o.inflight)
	var inflight sync.WaitGroup
	defer inflight.Wait()
	ext := make(map[string]string, 16)
	props = maps.Clone(props)
	gen := message.NewUniqIDGenerator(netip.AddrFrom4([4]byte{127, 0, 0, 1}), os.Getpid()+p, 0, nil)
	for i := p; ; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		seq := sent.Add(1)
		if o.count > 0 && seq > o.count {
			<-sem
			stop()
			return
		}
		t := targets[i%len(targets)]
		uniq := gen.Next(time.Now())
		props[message.PropertyUniqClientMessageIDKeyIndex] = uniq
		h := protocol.SendMessageRequestHeaderV2{ProducerGroup: o.group, Topic: o.topic, DefaultTopic: "TBW102",
			DefaultTopicQueueNums: 4, QueueID: t.queue, BornTimestamp: time.Now().UnixMilli(),
			Properties: message.EncodeProperties(props), BrokerName: t.broker}
		if o.transaction {
			h.SysFlag = message.TransactionPreparedType
		}
		clear(ext)
		h.Encode(ext)
		req := remoting.NewRequest(int16(protocol.SendMessageV2), ext, body)
		began := time.Now()
		inflight.Add(1)
		done := func() { <-sem; inflight.Done() }
		err := client.InvokeAsync(reqCtx, t.addr, req, func(resp *remoting.Command, err error) {
			if err == nil {
				err = resp.Err()
			}
			if err != nil {
				stats.fail(err)
				done()
				return
			}
			if !o.transaction {
				stats.record(time.Since(began), 1, int64(len(body)))
				done()
				return
			}
			commit := !rollsBack(seq, o.rollbackRatio)
			endTransaction(reqCtx, client, o, t, uniq, commit, resp, began, len(body), stats, done)
		})
		if err != nil {
			inflight.Done()
			<-sem
			if ctx.Err() != nil {
				return
			}
			stats.fail(err)
			time.Sleep(10 * time.Millisecond) // a broken connection: do not spin
		}
	}
}

func runBenchConsume(ctx context.Context, o *benchOptions, progressOut io.Writer) (benchResult, error) {
	namesrvs := splitAddrs(o.namesrv)
	client := remoting.NewClient(remoting.ClientConfig{})
	defer client.Close()
	targets, err := topicQueues(ctx, client, namesrvs, o.topic, false, false)
	if err != nil {
		return benchResult{}, err
	}
	stats := newBenchStats()
	runCtx, stop := benchContext(ctx, o)
	defer stop()
	start := time.Now()
	defer startProgress(runCtx, o, progressOut, stats, start)()
	var wg sync.WaitGroup
	var drained atomic.Int64
	for _, t := range targets {
		wg.Go(func() {
			pullLoop(runCtx, client, o, t, stats)
			if drained.Add(1) == int64(len(targets)) {
				stop()
			}
		})
	}
	go func() {
		// --count: stop once enough were pulled.
		for o.count > 0 && runCtx.Err() == nil {
			if stats.msgs.Load() >= o.count {
				stop()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	wg.Wait()
	return stats.result("consume", time.Since(start)), nil
}

// rollsBack spreads rollbacks evenly over the transaction sequence numbers 1, 2, …: the n-th
// rolls back when ⌊n·ratio⌋ grows, so the first N transactions hold exactly ⌊N·ratio⌋ rollbacks.
func rollsBack(n int64, ratio float64) bool {
	return int64(float64(n)*ratio) > int64(float64(n-1)*ratio)
}

// endTransaction ends the half message a SUCCESS send response describes, with the header
// the Go client sends after its local transaction (protocol §2.3.7): the half queue offset,
// the physical offset from the offset msgId, the UNIQ_KEY and the response's transactionId.
// The Go client sends it oneway; we wait for the broker's answer so a refused END counts as
// an error. A commit counts in messages (latency: send start → END answered), a rollback in
// rolledBack. done is called once at the end.
func endTransaction(ctx context.Context, client *remoting.Client, o *benchOptions, t benchTarget, uniq string, commit bool,
	resp *remoting.Command, began time.Time, size int, stats *benchStats, done func()) {
	var rh protocol.SendMessageResponseHeader
	if err := rh.Decode(resp.ExtFields); err != nil {
		stats.fail(fmt.Errorf("send response: %w", err))
		done()
		return
	}
	_, phys, err := message.ParseOffsetMsgID(rh.MsgID)
	if err != nil {
		stats.fail(fmt.Errorf("send response msgId %q: %w", rh.MsgID, err))
		done()
		return
	}
	h := protocol.EndTransactionRequestHeader{ProducerGroup: o.group, TranStateTableOffset: rh.QueueOffset,
		CommitLogOffset: phys, CommitOrRollback: message.TransactionCommitType, MsgID: uniq,
		TransactionID: rh.TransactionID, BrokerName: t.broker}
	if !commit {
		h.CommitOrRollback = message.TransactionRollbackType
	}
	req := remoting.NewRequest(int16(protocol.EndTransaction), protocol.EncodeHeader(&h), nil)
	err = client.InvokeAsync(ctx, t.addr, req, func(resp *remoting.Command, err error) {
		defer done()
		if err == nil {
			err = resp.Err()
		}
		if err != nil {
			stats.fail(fmt.Errorf("end transaction: %w", err))
			return
		}
		if commit {
			stats.record(time.Since(began), 1, int64(size))
		} else {
			stats.rollback(time.Since(began))
		}
		if o.onEnd != nil {
			o.onEnd(uniq, commit)
		}
	})
	if err != nil {
		stats.fail(fmt.Errorf("end transaction: %w", err))
		done()
	}
}

// pullFlagSubscription (PullSysFlag FLAG_SUBSCRIPTION) makes the broker use the request's
// subscription, so a pull needs no heartbeat first.
const pullFlagSubscription = 0x4

// pullLoop pulls one queue from its min offset until the broker says nothing is new.
func pullLoop(ctx context.Context, client *remoting.Client, o *benchOptions, t benchTarget, stats *benchStats) {
	offset := int64(0)
	for ctx.Err() == nil {
		h := protocol.PullMessageRequestHeader{ConsumerGroup: o.group, Topic: o.topic, QueueID: t.queue,
			QueueOffset: offset, MaxMsgNums: int32(o.batch), SysFlag: pullFlagSubscription, CommitOffset: 0,
			SuspendTimeoutMillis: 0, Subscription: "*", ExpressionType: "TAG", BrokerName: t.broker}
		ext := make(map[string]string, 16)
		h.Encode(ext)
		began := time.Now()
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		resp, err := client.InvokeSync(cctx, t.addr, remoting.NewRequest(int16(protocol.PullMessage), ext, nil))
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				stats.fail(err)
			}
			return
		}
		var rh protocol.PullMessageResponseHeader
		if err := rh.Decode(resp.ExtFields); err != nil {
			stats.fail(err)
			return
		}
		switch protocol.ResponseCode(resp.Code) {
		case protocol.Success:
			n := countRecords(resp.Body)
			stats.record(time.Since(began), n, int64(len(resp.Body)))
			offset = rh.NextBeginOffset
		case protocol.PullOffsetMoved, protocol.PullRetryImmediately:
			offset = rh.NextBeginOffset
		case protocol.PullNotFound:
			return // drained
		default:
			stats.fail(resp.Err())
			return
		}
	}
}

// countRecords counts the stored records in a pull response body.
func countRecords(b []byte) int64 {
	var n int64
	for len(b) >= 4 {
		size := int(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
		if size <= 0 || size > len(b) {
			break
		}
		n++
		b = b[size:]
	}
	return n
}

func printBenchResult(w io.Writer, format string, r benchResult) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "table", "":
		tbl := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
		tbl.Header("MODE", "MESSAGES", "ERRORS", "SECONDS", "MSGS/S", "MB/S", "P50 MS", "P90 MS", "P99 MS", "P999 MS", "MAX MS")
		_ = tbl.Append(r.Mode, strconv.FormatInt(r.Messages, 10), strconv.FormatInt(r.Errors, 10),
			fmt.Sprintf("%.2f", r.Seconds), fmt.Sprintf("%.0f", r.MsgsPerSec), fmt.Sprintf("%.1f", r.MBPerSec),
			fmt.Sprintf("%.2f", r.P50Ms), fmt.Sprintf("%.2f", r.P90Ms), fmt.Sprintf("%.2f", r.P99Ms),
			fmt.Sprintf("%.2f", r.P999Ms), fmt.Sprintf("%.2f", r.MaxMs))
		if err := tbl.Render(); err != nil {
			return err
		}
		if r.RolledBack != nil {
			fmt.Fprintf(w, "rolled back: %d\n", *r.RolledBack)
		}
		if r.FirstError != "" {
			fmt.Fprintf(w, "first error: %s\n", r.FirstError)
		}
		return nil
	}
	return &usageError{Err: fmt.Errorf("-o %q: want table or json", format)}
}
