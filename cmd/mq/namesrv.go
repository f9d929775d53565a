package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/mq-project/mq/internal/props"
	"github.com/mq-project/mq/namesrv"
	"github.com/mq-project/mq/remoting"
	"github.com/spf13/cobra"
)

// shutdownTimeout bounds how long a server may take to stop after SIGTERM.
const shutdownTimeout = 15 * time.Second

type namesrvOptions struct {
	configFile  string
	listen      string
	printConfig bool
	checkConfig bool
	portsFile   string
}

func newNamesrvCmd(streams IOStreams, g *globalOptions) *cobra.Command {
	opts := &namesrvOptions{}
	cmd := &cobra.Command{
		Use:   "namesrv",
		Short: "Run a NameServer (topic routes and the broker registry)",
		Long: `Run a RocketMQ-compatible NameServer. It keeps the broker registry and the topic routes
that clients ask for; brokers register every 30 s and expire 120 s after their last
registration. The configuration file uses Apache RocketMQ's namesrv keys (see README).`,
		Example: `  mq namesrv
  mq namesrv -c namesrv.properties
  mq namesrv --listen 127.0.0.1:9876
  mq namesrv -c namesrv.properties -p`,
		GroupID: "servers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runNamesrv(cmd.Context(), opts, g, streams)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.configFile, "config", "c", "", "namesrv properties file")
	f.StringVar(&opts.listen, "listen", "", "listen address host:port (overrides bindAddress and listenPort)")
	f.BoolVarP(&opts.printConfig, "print-config", "p", false, "print the effective configuration and exit")
	f.BoolVar(&opts.checkConfig, "check", false, "validate the configuration and exit")
	f.BoolVar(&opts.checkConfig, "check-config", false, "same as --check")
	_ = f.MarkHidden("check-config")
	f.StringVar(&opts.portsFile, "ports-file", "", "write the bound address to this file once listening")
	return cmd
}

// loadNamesrvConfig applies defaults, then the file, then the flags, and validates. The
// file's warnings are logged; every problem is returned at once, at its file:line.
func loadNamesrvConfig(opts *namesrvOptions, logger *slog.Logger) (namesrv.Config, error) {
	cfg := namesrv.DefaultConfig()
	var (
		rep     props.Report
		fileErr error
	)
	if opts.configFile != "" {
		rep, fileErr = namesrv.LoadFile(opts.configFile, &cfg)
		if errors.Is(fileErr, fs.ErrNotExist) {
			return cfg, fileErr
		}
		for _, w := range rep.WarningLines() {
			logger.Warn(w)
		}
		cfg.ResolveACLFile(opts.configFile)
	}
	if opts.listen != "" {
		host, port, err := net.SplitHostPort(opts.listen)
		if err != nil {
			return cfg, &usageError{Err: fmt.Errorf("--listen %q: %w", opts.listen, err)}
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return cfg, &usageError{Err: fmt.Errorf("--listen %q: bad port", opts.listen)}
		}
		cfg.BindAddress = host
		cfg.ListenPort = p
	}
	return cfg, errors.Join(fileErr, rep.AtLines(cfg.Validate()))
}

func runNamesrv(ctx context.Context, opts *namesrvOptions, g *globalOptions, streams IOStreams) error {
	logger, err := g.logger(streams.ErrOut)
	if err != nil {
		return err
	}
	cfg, err := loadNamesrvConfig(opts, logger)
	if err != nil {
		return err
	}
	if opts.printConfig {
		fmt.Fprint(streams.Out, props.Format(props.List(cfg)))
		return nil
	}
	if opts.checkConfig {
		fmt.Fprintln(streams.Out, "configuration ok")
		return nil
	}
	tuneServerMemory(logger)
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.ListenPort)))
	if err != nil {
		return fmt.Errorf("namesrv: %w", err)
	}
	srv, err := namesrv.New(cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	return serveUntilDone(ctx, logger, "namesrv", ln, nil, writePortsFile(opts.portsFile, dialAddr(ln.Addr())+"\n"),
		namesrvServe(srv), srv.Shutdown)
}

// dialAddr is a listener's address as a client dials it: a wildcard bind ([::]:9876,
// 0.0.0.0:9876) becomes 127.0.0.1:9876.
func dialAddr(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok && (t.IP == nil || t.IP.IsUnspecified()) {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(t.Port))
	}
	return a.String()
}

// writePortsFile returns an onReady that writes text to path (nothing when path is empty).
func writePortsFile(path, text string) func() error {
	return func() error {
		if path == "" {
			return nil
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return fmt.Errorf("write ports file: %w", err)
		}
		return nil
	}
}

// namesrvServe adapts Server.Serve: a signal can shut the server down before Serve has
// started, and the "closed" error Serve then returns is the clean stop that was asked for.
func namesrvServe(srv *namesrv.Server) func(net.Listener) error {
	return func(ln net.Listener) error {
		err := srv.Serve(ln)
		if errors.Is(err, namesrv.ErrClosed) || errors.Is(err, remoting.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// serveUntilDone runs serve on ln until ctx ends (a signal) or serve fails, then shuts down.
// Once ready is closed (nil: at once) it calls onReady (nil: nothing), which writes ports
// files and says so: a broker is ready when the nameservers have its routes.
func serveUntilDone(ctx context.Context, logger *slog.Logger, name string, ln net.Listener,
	ready <-chan struct{}, onReady func() error,
	serve func(net.Listener) error, shutdown func(context.Context) error) error {
	errc := make(chan error, 1)
	go func() { errc <- serve(ln) }()
	if ready == nil {
		c := make(chan struct{})
		close(c)
		ready = c
	}
	var serveErr error
	wait := func() {
		select {
		case <-ctx.Done():
			logger.Info("shutting down", "component", name)
		case serveErr = <-errc:
			errc = nil
		}
	}
	select {
	case <-ready:
		if onReady != nil {
			serveErr = onReady()
		}
		if serveErr == nil {
			wait()
		}
	case <-ctx.Done():
		logger.Info("shutting down", "component", name)
	case serveErr = <-errc:
		errc = nil
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	shutErr := shutdown(sctx)
	if errc != nil {
		if err := <-errc; err != nil && serveErr == nil {
			serveErr = err
		}
	}
	if err := errors.Join(serveErr, shutErr); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	logger.Info("stopped", "component", name)
	return nil
}
