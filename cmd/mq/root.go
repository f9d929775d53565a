package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// The spine's types under their short local names.
type (
	// IOStreams are the standard streams a command reads and writes (cmdutil.IOStreams).
	IOStreams = cmdutil.IOStreams
	// usageError marks an error as a mistake in the command line (exit 2).
	usageError = cmdutil.UsageError
	// partialError marks an answer that only some servers gave (exit 3).
	partialError = cmdutil.PartialError
	// adminFlags are the flags of every command that talks to a cluster.
	adminFlags = cmdutil.AdminFlags
)

// Exit codes; `mq help exit-codes` documents them.
const (
	exitOK      = cmdutil.ExitOK
	exitError   = cmdutil.ExitError
	exitUsage   = cmdutil.ExitUsage
	exitPartial = cmdutil.ExitPartial
)

// globalOptions are the persistent flags every command shares.
type globalOptions struct {
	logLevel  string
	logFormat string
}

// Main runs mq with os.Args and returns the process exit code.
func Main() int {
	ctx, stop := signalContext()
	defer stop()
	streams := cmdutil.System()
	return run(ctx, os.Args[1:], streams)
}

// signalContext is cancelled by the first SIGINT or SIGTERM; a second one exits at once.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			cancel()
		case <-done:
			return
		}
		select {
		case <-ch:
			fmt.Fprintln(os.Stderr, "mq: second signal, exiting now")
			os.Exit(exitError)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}

func run(ctx context.Context, args []string, streams IOStreams) int {
	root := newRootCmd(streams)
	root.SetArgs(args)
	// A nameserver that was down while another answered makes the answer partial (exit 3).
	nsr := &admin.NameServerReport{}
	err := root.ExecuteContext(admin.WithNameServerReport(ctx, nsr))
	if err == nil {
		if nerr := nsr.Err(); nerr != nil {
			err = &partialError{Err: nerr}
		}
	}
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(streams.ErrOut, "mq: "+err.Error())
	if f := root.PersistentFlags().Lookup("log-level"); f != nil && strings.EqualFold(f.Value.String(), "debug") {
		// The servers' own words behind the sentences above.
		for _, se := range admin.ServerErrors(err) {
			fmt.Fprintln(streams.ErrOut, "mq: debug: "+se.Raw())
		}
	}
	var ue *usageError
	var pe *partialError
	switch {
	case errors.As(err, &ue) || isCobraUsageError(err):
		return exitUsage
	case errors.As(err, &pe):
		return exitPartial
	}
	return exitError
}

// isCobraUsageError recognises the errors cobra returns for bad flags and arguments.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "unknown command",
		"flag needs an argument", "invalid argument", "accepts ", "requires at least",
		"requires at most", "required flag", "are set none of the others can be",
		"at least one of the flags in the group"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func newRootCmd(streams IOStreams) *cobra.Command {
	opts := &globalOptions{}
	root := &cobra.Command{
		Use:   "mq",
		Short: "A RocketMQ-compatible message broker and the admin tool for it",
		Long: `mq is one binary: a RocketMQ-compatible NameServer and Broker speaking Apache RocketMQ's
remoting protocol, and the admin tool for mq and Apache RocketMQ clusters alike.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// The guards every command declares (cmdutil.Writes, Confirms) run here, once, before
		// any RunE; no subcommand defines its own PersistentPreRun, so none skips them.
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error { return cmdutil.Enforce(cmd, args, streams) },
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{Err: fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&opts.logLevel, "log-level", envOr("MQ_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	pf.StringVar(&opts.logFormat, "log-format", envOr("MQ_LOG_FORMAT", "text"), "log format: text or json")

	root.AddGroup(&cobra.Group{ID: "servers", Title: "Servers:"})
	root.AddCommand(
		newNamesrvCmd(streams, opts),
		newBrokerCmd(streams, opts),
		newStandaloneCmd(streams, opts),
		newBenchCmd(streams),
		newClusterCmd(streams),
		newTopicCmd(streams),
		newGroupCmd(streams),
		newKVCmd(streams),
		newACLCmd(streams),
		newAdminCmd(streams),
		newMessageCmd(streams),
		newSendCmd(streams, nil),
		newConsumeCmd(streams, nil),
		newDLQCmd(streams),
		newDelayCmd(streams),
		newTxnCmd(streams),
		newCtxCmd(streams),
		newTUICmd(streams, nil),
		newVersionCmd(streams, nil),
		newExitCodesTopic(),
	)
	return root
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// logger builds the process logger from the global flags; it writes to w (stderr).
func (o *globalOptions) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, &usageError{Err: fmt.Errorf("--log-level %q: want debug, info, warn or error", o.logLevel)}
	}
	hopts := &slog.HandlerOptions{Level: level}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	}
	return nil, &usageError{Err: fmt.Errorf("--log-format %q: want text or json", o.logFormat)}
}

func newExitCodesTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "What mq's exit codes mean",
		Long: `mq exits with:
  0  success
  1  error: the command failed (connection refused, server error, bad config file, ...)
  2  usage: bad flags or arguments
  3  partial answer: some brokers or nameservers did not answer; what they did answer is shown`,
	}
}
