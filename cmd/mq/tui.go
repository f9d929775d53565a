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
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/tui"
)

// *admin.Admin is the TUI's production Source.
var _ tui.Source = (*admin.Admin)(nil)

// tuiOptions are the flags of `mq tui`.
type tuiOptions struct {
	adminFlags
	refresh  time.Duration
	logFile  string
	browseN  int
	readOnly bool
	// resolved is where the flags and contexts point (set before runF).
	resolved cmdutil.Resolved
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
		Long: `mq tui browses a cluster like k9s: brokers (role, TPS, disk, replication lag), topics (kind,
queues, perm, messages; consuming groups with lag), consumer groups lag first (time lag, clients,
state), messages newest first, by key or id, message traces, delay levels, half messages, dead
letters and contexts. ':' switches views (:brokers :topics [-a] [T] :groups [G] :msgs T :key T K
:msg ID [T] :trace ID :delay :half :dlq [G] :ctx), '/' filters (regex, !inverse), enter opens, esc
goes back, '-' returns to the previous view, '?' lists the keys of the view, q quits. Resetting
offsets, skipping a backlog, resending dead letters and creating or deleting topics and groups
ask for a confirmation showing what changes; --readonly (or a read-only context) refuses them.
It refreshes every --refresh and logs only to --log-file.`,
		Example: `  mq tui -n 127.0.0.1:9876
  mq tui --context prod --readonly
  mq tui --refresh 5s --log-file /tmp/mq-tui.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.refresh < 0 {
				return &usageError{Err: errors.New("--refresh must not be negative")}
			}
			r, err := opts.Check()
			if err != nil {
				return err
			}
			opts.Namesrv, opts.resolved = r.NameServers, r
			return runF(cmd.Context(), opts, streams)
		},
	}
	opts.RegisterConnection(cmd, cmdutil.Noun)
	fs := cmd.Flags()
	fs.DurationVar(&opts.refresh, "refresh", 2*time.Second, "auto-refresh period (0 turns it off)")
	fs.StringVar(&opts.logFile, "log-file", "", "log file (default <user cache dir>/mq/tui.log); the TUI never logs to the terminal")
	fs.IntVar(&opts.browseN, "browse", 50, "how many messages per queue a page of the messages view reads")
	fs.BoolVar(&opts.readOnly, "readonly", false, "refuse every change (reset, resend, create, delete)")
	fs.BoolVar(&opts.readOnly, "read-only", false, "the same as --readonly (mq ctx add's spelling)")
	_ = fs.MarkHidden("read-only")
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
	r := opts.resolved
	open := func(r cmdutil.Resolved) (*admin.Admin, error) {
		return admin.New(admin.Options{NameServers: admin.SplitAddrs(r.NameServers), Timeout: opts.Timeout, Credentials: r.Credentials,
			TLS: r.TLS, Logger: log})
	}
	a, err := open(r)
	if err != nil {
		return err
	}
	current := a
	defer func() { current.Close() }()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cfg := tui.Config{Source: a, NameServers: r.NameServers, ContextName: r.Context, Refresh: opts.refresh, Timeout: 2 * opts.Timeout,
		BrowseN: opts.browseN, NoColor: cmdutil.NoColor(), Logger: log, Context: ctx}
	if opts.readOnly {
		cfg.ReadOnly = "--readonly"
	}
	if c, _, err := cmdutil.LoadConfig(); err == nil {
		for _, x := range c.Contexts {
			cfg.Contexts = append(cfg.Contexts, tui.Context{Name: x.Name, NameServers: x.NameServers, ReadOnly: x.ReadOnly})
		}
		// :ctx NAME opens the context's cluster; the previous connection closes.
		cfg.Switch = func(name string) (tui.Source, tui.Context, error) {
			i := c.Find(name)
			if i < 0 {
				return nil, tui.Context{}, fmt.Errorf("context %q is not in the config (see mq ctx list)", name)
			}
			x := c.Contexts[i]
			// The context resolves as --context NAME would (credentials, TLS).
			xr, err := (&cmdutil.AdminFlags{Context: x.Name}).Resolve()
			if err != nil {
				return nil, tui.Context{}, err
			}
			na, err := open(xr)
			if err != nil {
				return nil, tui.Context{}, err
			}
			current.Close()
			current = na
			log.Info("tui context", "name", x.Name, "namesrv", x.NameServers)
			return na, tui.Context{Name: x.Name, NameServers: x.NameServers, ReadOnly: x.ReadOnly}, nil
		}
	}
	m := tui.New(cfg)
	log.Info("tui start", "namesrv", r.NameServers, "context", r.Context, "readonly", cfg.ReadOnly, "refresh", opts.refresh)
	_, err = tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(streams.In), tea.WithOutput(streams.Out)).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		err = nil // interrupted by a signal: a normal way out
	}
	log.Info("tui stop", "err", err)
	return err
}
