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

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/props"
	"github.com/mq-project/mq/remoting"
	"github.com/spf13/cobra"
)

type brokerOptions struct {
	configFile  string
	namesrv     string
	listen      string
	printConfig bool
	checkConfig bool
	portsFile   string
	recoverMode string
}

// newBrokerCmd is `mq broker`: run with -c it starts a broker; its subcommands (list, status,
// config) administer brokers.
func newBrokerCmd(streams IOStreams, g *globalOptions) *cobra.Command {
	opts := &brokerOptions{}
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run a Broker (mq broker -c broker.properties)",
		Long: `Run a RocketMQ-compatible Broker: CommitLog, ConsumeQueue and IndexFile storage, send and
long-polling pull, consumer groups and offsets. The configuration file uses Apache RocketMQ's
broker.conf keys (see README); an unknown key or bad value is an error naming file and line.
The broker registers with every nameserver in namesrvAddr (or NAMESRV_ADDR, or -n).`,
		Example: `  mq broker -c broker.properties
  mq broker -c broker.properties -n 127.0.0.1:9876
  mq broker -c broker.properties --check
  mq broker -c broker.properties -p`,
		GroupID: "servers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBroker(cmd.Context(), opts, g, streams)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.configFile, "config", "c", "", "broker properties file (Apache RocketMQ broker.conf keys)")
	f.StringVarP(&opts.namesrv, "namesrv", "n", "", "nameserver addresses, ';'-separated (overrides namesrvAddr and NAMESRV_ADDR)")
	f.StringVar(&opts.listen, "listen", "", "listen address host:port (overrides listenPort)")
	f.BoolVarP(&opts.printConfig, "print-config", "p", false, "print the effective configuration and exit")
	f.BoolVar(&opts.checkConfig, "check", false, "validate the configuration and exit")
	f.StringVar(&opts.portsFile, "ports-file", "", "write the bound address to this file once listening")
	f.StringVar(&opts.recoverMode, "recover", "", "damaged CommitLog record at start: salvage (skip it, keep what follows) or strict (truncate, as Apache) (overrides recoverMode)")
	addBrokerAdminCmds(cmd, streams)
	return cmd
}

// loadBrokerConfig applies defaults, then the file, then env, then flags, and validates. The
// file's warnings (Apache keys mq ignores, repeated keys) are logged; every problem of the file
// and of the result is returned at once, at its file:line where the file set the key.
func loadBrokerConfig(opts *brokerOptions, logger *slog.Logger) (broker.Config, error) {
	cfg := broker.DefaultConfig()
	var (
		rep     props.Report
		fileErr error
	)
	if opts.configFile != "" {
		rep, fileErr = broker.LoadFile(opts.configFile, &cfg)
		if errors.Is(fileErr, fs.ErrNotExist) {
			return cfg, fileErr
		}
		for _, w := range rep.WarningLines() {
			logger.Warn(w)
		}
	}
	if v := os.Getenv("NAMESRV_ADDR"); v != "" {
		cfg.NamesrvAddr = v
	}
	if opts.namesrv != "" {
		cfg.NamesrvAddr = opts.namesrv
	}
	if opts.listen != "" {
		_, p, err := splitListen(opts.listen)
		if err != nil {
			return cfg, err
		}
		cfg.ListenPort = p
	}
	if opts.recoverMode != "" {
		if opts.recoverMode != "salvage" && opts.recoverMode != "strict" {
			return cfg, &usageError{Err: fmt.Errorf("--recover %q: want salvage or strict", opts.recoverMode)}
		}
		cfg.RecoverMode = opts.recoverMode
	}
	return cfg, errors.Join(fileErr, rep.AtLines(cfg.Validate()))
}

// splitListen parses --listen host:port.
func splitListen(s string) (string, int, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, &usageError{Err: fmt.Errorf("--listen %q: %w", s, err)}
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, &usageError{Err: fmt.Errorf("--listen %q: bad port", s)}
	}
	return host, p, nil
}

func runBroker(ctx context.Context, opts *brokerOptions, g *globalOptions, streams IOStreams) error {
	logger, err := g.logger(streams.ErrOut)
	if err != nil {
		return err
	}
	cfg, err := loadBrokerConfig(opts, logger)
	if err != nil {
		return err
	}
	if opts.printConfig {
		fmt.Fprint(streams.Out, cfg.Properties())
		return nil
	}
	if opts.checkConfig {
		fmt.Fprintln(streams.Out, "configuration ok")
		return nil
	}
	tuneServerMemory(logger)
	host := ""
	if opts.listen != "" {
		host, _, _ = splitListen(opts.listen)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.ListenPort)))
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	b, err := broker.New(cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	return serveUntilDone(ctx, logger, "broker", ln, b.Registered(), writePortsFile(opts.portsFile, dialAddr(ln.Addr())+"\n"),
		brokerServe(b), b.Shutdown)
}

// brokerServe adapts Broker.Serve: ErrShutdown after Shutdown is a clean stop.
func brokerServe(b *broker.Broker) func(net.Listener) error {
	return func(ln net.Listener) error {
		if err := b.Serve(ln); err != nil && !errors.Is(err, broker.ErrShutdown) && !errors.Is(err, remoting.ErrServerClosed) {
			return err
		}
		return nil
	}
}
