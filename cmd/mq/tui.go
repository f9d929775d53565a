package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/tui"
)

// *admin.Admin is the TUI's production Source.
var _ tui.Source = (*admin.Admin)(nil)

// tuiOptions are the flags of `mq tui`.
type tuiOptions struct {
	adminFlags
	refresh time.Duration
	logFile string
	browseN int
}

// newTUICmd builds `mq tui`; runF replaces runTUI in flag-parsing tests.
func newTUICmd(streams IOStreams, runF func(context.Context, *tuiOptions, IOStreams) error) *cobra.Command {
	if runF == nil {
		runF = runTUI
	}
	opts := &tuiOptions{}
	cmd := &cobra.Command{
		Use:   "tui",
		Short: "Interactive terminal UI over the admin protocol (brokers, topics, groups, messages)",
		Long: `mq tui browses a cluster like k9s: brokers with their TPS and dispatch lag, topics with
routes and queue offsets, consumer groups with lag and connections, and the newest messages of a
topic. ':' switches views (:brokers :topics :groups :msgs TOPIC), '/' filters, enter opens, esc goes
back, '?' shows the keys, q quits. It refreshes every --refresh and logs only to --log-file.`,
		Example: `  mq tui -n 127.0.0.1:9876
  mq tui --refresh 5s --log-file /tmp/mq-tui.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.refresh < 0 {
				return &usageError{errors.New("--refresh must not be negative")}
			}
			r, err := opts.resolve()
			if err != nil {
				return err
			}
			if len(admin.SplitAddrs(r.nameservers)) == 0 {
				return &usageError{errors.New("no nameserver: pass -n host:port, set NAMESRV_ADDR or add a context (mq ctx add)")}
			}
			opts.namesrv = r.nameservers
			return runF(cmd.Context(), opts, streams)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&opts.namesrv, "namesrv", "n", os.Getenv("NAMESRV_ADDR"), "nameserver addresses, ';'-separated (default $NAMESRV_ADDR)")
	fs.StringVar(&opts.context, "context", os.Getenv("MQ_CONTEXT"), "use this context of mq ctx (default: the current one; -n wins)")
	fs.DurationVar(&opts.timeout, "timeout", admin.DefaultTimeout, "timeout of each request to a server")
	fs.DurationVar(&opts.refresh, "refresh", 2*time.Second, "auto-refresh period (0 turns it off)")
	fs.StringVar(&opts.logFile, "log-file", "", "log file (default <user cache dir>/mq/tui.log); the TUI never logs to the terminal")
	fs.IntVar(&opts.browseN, "browse", 50, "how many newest messages the messages view reads")
	return cmd
}

// tuiLogPath returns the log file path: the flag, else <UserCacheDir>/mq/tui.log.
func tuiLogPath(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no --log-file and no user cache dir: %w", err)
	}
	return filepath.Join(dir, "mq", "tui.log"), nil
}

func runTUI(ctx context.Context, opts *tuiOptions, streams IOStreams) error {
	path, err := tuiLogPath(opts.logFile)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	defer f.Close()
	log := slog.New(slog.NewTextHandler(f, nil))
	r, err := opts.resolve()
	if err != nil {
		return err
	}
	a, err := admin.New(admin.Options{NameServers: admin.SplitAddrs(opts.namesrv), Timeout: opts.timeout, Credentials: r.creds, TLS: r.tls, Logger: log})
	if err != nil {
		return err
	}
	defer a.Close()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := tui.New(tui.Config{Source: a, NameServers: opts.namesrv, Refresh: opts.refresh, Timeout: 2 * opts.timeout,
		BrowseN: opts.browseN, NoColor: os.Getenv("NO_COLOR") != "", Logger: log, Context: ctx})
	log.Info("tui start", "namesrv", opts.namesrv, "refresh", opts.refresh)
	_, err = tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(streams.In), tea.WithOutput(streams.Out)).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		err = nil // interrupted by a signal: a normal way out
	}
	log.Info("tui stop", "err", err)
	return err
}
