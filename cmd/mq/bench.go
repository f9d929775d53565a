package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/bench"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// `mq bench produce|consume`: flags in, bench.Run, the result rendered like every other
// table. The load generator itself is package bench.

// benchOptions are the flags of the bench commands.
type benchOptions struct {
	adminFlags
	bench.Options
	// cpuProfile, when set (hidden --cpuprofile), gets the run's CPU profile.
	cpuProfile string
}

func newBenchCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a broker: produce and consume load with latency percentiles",
		Long: `Generate load against any RocketMQ broker (mq or Apache) with a lean pipelining client,
and report msgs/s, MB/s and latency percentiles from an HDR histogram.`,
	}
	cmd.AddCommand(newBenchProduceCmd(streams, nil), newBenchConsumeCmd(streams, nil))
	return cmd
}

func addBenchFlags(cmd *cobra.Command, o *benchOptions) {
	o.adminFlags.Register(cmd, cmdutil.Noun)
	f := cmd.Flags()
	f.StringVarP(&o.Topic, "topic", "t", "BenchmarkTopic", "topic")
	f.DurationVarP(&o.Duration, "duration", "d", 10*time.Second, "how long to run (ignored with --count)")
	f.Int64Var(&o.Count, "count", 0, "stop after this many messages")
	f.StringVar(&o.KeysFile, "keys-file", "",
		"append the UNIQ_KEY of every acknowledged send (produce) or pulled message (consume) to this file")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write the generator's CPU profile to this file")
	_ = f.MarkHidden("cpuprofile")
}

// newBenchProduceCmd builds `mq bench produce`; runF replaces runBench in flag-parsing tests.
func newBenchProduceCmd(streams IOStreams, runF func(context.Context, *benchOptions) error) *cobra.Command {
	o := &benchOptions{Options: bench.Options{Mode: bench.ModeProduce}}
	cmd := &cobra.Command{
		Use:   "produce",
		Short: "Send messages as fast as the broker takes them",
		Example: `  mq bench produce -n 127.0.0.1:9876 -t BenchmarkTopic --producers 4 --inflight 64 --size 1024 -d 10s
  mq bench produce -n 127.0.0.1:9876 --sync --producers 16 --count 100000 -o json
  mq bench produce -n 127.0.0.1:9876 --transaction --rollback-ratio 0.1 --count 100000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Producers < 1 || o.Inflight < 1 || o.Size < 0 {
				return &usageError{Err: errors.New("--producers and --inflight must be >= 1, --size >= 0")}
			}
			return runBenchCmd(cmd.Context(), o, streams, runF)
		},
	}
	addBenchFlags(cmd, o)
	cmdutil.Writes(cmd, "send benchmark messages to {topic}")
	f := cmd.Flags()
	f.StringVarP(&o.Group, "group", "g", "mq_bench_producer", "producer group")
	f.IntVar(&o.Producers, "producers", 4, "producers (one connection each)")
	f.IntVar(&o.Inflight, "inflight", 64, "requests in flight per producer (async sends)")
	f.IntVarP(&o.Size, "size", "s", 1024, "body size in bytes")
	f.BoolVar(&o.Sync, "sync", false, "synchronous sends: one request in flight per producer")
	f.IntVar(&o.DelayLevel, "delay-level", 0, "send delayed messages at this delay level (1-18)")
	f.BoolVar(&o.Transaction, "transaction", false,
		"transactional sends: a half message, then END_TRANSACTION on its response (messages counts commits; --count counts transactions)")
	f.Float64Var(&o.RollbackRatio, "rollback-ratio", 0, "with --transaction: fraction (0..1) of transactions rolled back instead of committed")
	return cmd
}

// newBenchConsumeCmd builds `mq bench consume`; runF replaces runBench in flag-parsing tests.
func newBenchConsumeCmd(streams IOStreams, runF func(context.Context, *benchOptions) error) *cobra.Command {
	o := &benchOptions{Options: bench.Options{Mode: bench.ModeConsume}}
	cmd := &cobra.Command{
		Use:     "consume",
		Short:   "Pull a topic's backlog from the earliest offset as fast as the broker serves it",
		Example: `  mq bench consume -n 127.0.0.1:9876 -t BenchmarkTopic --count 1000000`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBenchCmd(cmd.Context(), o, streams, runF)
		},
	}
	addBenchFlags(cmd, o)
	cmd.Flags().StringVarP(&o.Group, "group", "g", "mq_bench_consumer", "consumer group (offsets are not committed)")
	cmd.Flags().IntVar(&o.Batch, "batch", admin.ScanBatch, "messages per pull")
	cmd.Flags().IntVar(&o.Pulls, "pulls", 8, "pulls in flight per queue (consecutive offset ranges)")
	return cmd
}

// runBenchCmd resolves the admin flags into the bench options, then runs (or hands them to
// runF in tests).
func runBenchCmd(ctx context.Context, o *benchOptions, streams IOStreams, runF func(context.Context, *benchOptions) error) error {
	ao, err := o.AdminOptions()
	if err != nil {
		return err
	}
	o.NameServers, o.Credentials, o.Options.Timeout = ao.NameServers, ao.Credentials, ao.Timeout
	if err := o.Validate(); err != nil {
		return &usageError{Err: err}
	}
	if runF != nil {
		return runF(ctx, o)
	}
	return runBench(ctx, o, streams)
}

func runBench(ctx context.Context, o *benchOptions, streams IOStreams) error {
	opts := o.Options
	if !o.Quiet {
		opts.Tick = benchProgress(streams)
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	res, err := bench.Run(ctx, opts)
	if !o.Quiet && streams.IsStderrTTY() {
		fmt.Fprintln(streams.ErrOut)
	}
	if err != nil {
		return err
	}
	return renderBenchResult(streams, o.Output, res)
}

// benchProgress draws a run's progress on stderr once a second: a redrawn line on a
// terminal, one line a second otherwise.
func benchProgress(streams IOStreams) func(bench.Progress) {
	tty := streams.IsStderrTTY()
	return func(p bench.Progress) {
		bar := strings.Repeat("#", int(p.Fraction*30)) + strings.Repeat(".", 30-int(p.Fraction*30))
		line := fmt.Sprintf("[%s] %3.0f%%  %d msgs  %d msgs/s  %d errors", bar, p.Fraction*100, p.Messages, p.PerSecond, p.Errors)
		if tty {
			fmt.Fprintf(streams.ErrOut, "\r%s", line)
		} else {
			fmt.Fprintln(streams.ErrOut, line)
		}
	}
}

func renderBenchResult(streams IOStreams, format string, r bench.Result) error {
	err := render(streams, format, r, func() table {
		t := table{header: []string{"MODE", "MESSAGES", "ERRORS", "SECONDS", "MSGS/S", "MB/S", "P50-MS", "P90-MS", "P99-MS", "P99.9-MS", "MAX-MS"},
			wide: []string{"ROLLED-BACK", "FIRST-ERROR"}}
		rolled := ""
		if r.RolledBack != nil {
			rolled = strconv.FormatInt(*r.RolledBack, 10)
		}
		cells := []string{r.Mode, strconv.FormatInt(r.Messages, 10), strconv.FormatInt(r.Errors, 10),
			fmt.Sprintf("%.2f", r.Seconds), fmt.Sprintf("%.0f", r.MsgsPerSec), fmt.Sprintf("%.1f", r.MBPerSec),
			fmt.Sprintf("%.2f", r.P50Ms), fmt.Sprintf("%.2f", r.P90Ms), fmt.Sprintf("%.2f", r.P99Ms),
			fmt.Sprintf("%.2f", r.P999Ms), fmt.Sprintf("%.2f", r.MaxMs), rolled, r.FirstError}
		if r.Errors > 0 {
			t.addFailed(cells...)
		} else {
			t.add(cells...)
		}
		return t
	})
	if err != nil || format != formatTable {
		return err
	}
	if r.RolledBack != nil {
		fmt.Fprintf(streams.Out, "rolled back: %d\n", *r.RolledBack)
	}
	if r.FirstError != "" {
		fmt.Fprintf(streams.Out, "first error: %s\n", r.FirstError)
	}
	return nil
}
