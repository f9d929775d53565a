package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/namesrv"
	"github.com/spf13/cobra"
)

type standaloneOptions struct {
	host        string
	namesrvPort int
	brokerPort  int
	store       string
	configFile  string
	portsFile   string
	printConfig bool
}

func newStandaloneCmd(streams IOStreams, g *globalOptions) *cobra.Command {
	opts := &standaloneOptions{}
	cmd := &cobra.Command{
		Use:   "standalone",
		Short: "Run a NameServer and a Broker in one process: the one-command start",
		Long: `Run a NameServer (default :9876) and a Broker (default :10911) in one process, with the
store under ~/store (or --store). Clients connect with namesrv address 127.0.0.1:9876.
An optional broker properties file (-c) sets any other broker key.`,
		Example: `  mq standalone
  mq standalone --store /var/lib/mq --namesrv-port 19876 --broker-port 20911`,
		GroupID: "servers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStandalone(cmd.Context(), opts, g, streams)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.host, "host", "127.0.0.1", "address to listen on and announce to clients")
	f.IntVar(&opts.namesrvPort, "namesrv-port", 9876, "NameServer port")
	f.IntVar(&opts.brokerPort, "broker-port", 10911, "Broker port")
	f.StringVar(&opts.store, "store", "", "store root directory (default ~/store)")
	f.StringVarP(&opts.configFile, "config", "c", "", "broker properties file for any other broker key")
	f.StringVar(&opts.portsFile, "ports-file", "", "write 'namesrv ADDR' and 'broker ADDR' lines to this file once listening")
	f.BoolVarP(&opts.printConfig, "print-config", "p", false, "print the effective broker configuration and exit")
	return cmd
}

func runStandalone(ctx context.Context, opts *standaloneOptions, g *globalOptions, streams IOStreams) error {
	logger, err := g.logger(streams.ErrOut)
	if err != nil {
		return err
	}
	home, _ := os.UserHomeDir()

	nsCfg := namesrv.DefaultConfig()
	nsCfg.BindAddress = opts.host
	nsCfg.ListenPort = opts.namesrvPort
	if err := nsCfg.Validate(); err != nil {
		return err
	}
	bCfg := broker.DefaultConfig()
	if opts.configFile != "" {
		rep, err := broker.LoadFile(opts.configFile, &bCfg)
		if err != nil {
			return err
		}
		for _, w := range rep.WarningLines() {
			logger.Warn(w)
		}
	}
	if opts.store != "" {
		// Absolute, as Validate wants: the store must not depend on the working directory.
		if bCfg.StorePathRootDir, err = filepath.Abs(opts.store); err != nil {
			return err
		}
	} else if opts.configFile == "" {
		bCfg.StorePathRootDir = filepath.Join(home, "store")
	}
	bCfg.ListenPort = opts.brokerPort
	bCfg.BrokerIP1 = opts.host
	// The nameserver's KV config lives with this standalone's store, not in ~/namesrv
	// (shared by every standalone of the user).
	nsCfg.KVConfigPath = filepath.Join(bCfg.StorePathRootDir, "namesrv", "kvConfig.json")
	nsCfg.ConfigStorePath = filepath.Join(bCfg.StorePathRootDir, "namesrv", "namesrv.properties")
	if bCfg.AclEnable {
		// One accounts file protects both servers; the broker signs its registration.
		nsCfg.AclEnable, nsCfg.AclConfigFile = true, bCfg.AclConfigFile
		if bCfg.AccessKey == "" {
			return errors.New("standalone: aclEnable=true needs accessKey and secretKey of an admin account in " +
				"broker.properties (the broker signs its registration with the nameserver)")
		}
	}
	if opts.printConfig {
		bCfg.NamesrvAddr = net.JoinHostPort(opts.host, strconv.Itoa(opts.namesrvPort))
		if err := bCfg.Validate(); err != nil {
			return err
		}
		fmt.Fprint(streams.Out, bCfg.Properties())
		return nil
	}

	if exposedWithoutACL(opts.host, bCfg.AclEnable) {
		logger.Warn("standalone listens on " + opts.host + " without ACL: anyone who reaches these ports has admin rights (set aclEnable=true in -c broker.properties, or bind 127.0.0.1)")
	}
	tuneServerMemory(logger)
	nsLn, err := net.Listen("tcp", net.JoinHostPort(opts.host, strconv.Itoa(opts.namesrvPort)))
	if err != nil {
		return fmt.Errorf("namesrv: %w", err)
	}
	bLn, err := net.Listen("tcp", net.JoinHostPort(opts.host, strconv.Itoa(opts.brokerPort)))
	if err != nil {
		nsLn.Close()
		return fmt.Errorf("broker: %w", err)
	}
	// Ports may be 0 (tests): announce what was bound.
	bCfg.NamesrvAddr = dialAddr(nsLn.Addr())
	bCfg.ListenPort = bLn.Addr().(*net.TCPAddr).Port
	if err := bCfg.Validate(); err != nil {
		nsLn.Close()
		bLn.Close()
		return err
	}
	ns, err := namesrv.New(nsCfg, logger)
	if err != nil {
		nsLn.Close()
		bLn.Close()
		return err
	}
	nsErr := make(chan error, 1)
	go func() { nsErr <- namesrvServe(ns)(nsLn) }()
	b, err := broker.New(bCfg, logger)
	if err != nil {
		bLn.Close()
		return errors.Join(err, stopNamesrv(ns, nsErr))
	}
	// Ready once the broker's routes are on the nameserver: a client started then finds them.
	onReady := func() error {
		text := fmt.Sprintf("namesrv %s\nbroker %s\n", dialAddr(nsLn.Addr()), dialAddr(bLn.Addr()))
		if err := writePortsFile(opts.portsFile, text)(); err != nil {
			return err
		}
		logger.Info("standalone ready", "namesrv", nsLn.Addr().String(), "broker", bLn.Addr().String(),
			"store", bCfg.StorePathRootDir)
		return nil
	}
	// The broker stops first (it unregisters from the nameserver), then the nameserver.
	bErr := serveUntilDone(ctx, logger, "broker", bLn, b.Registered(), onReady, brokerServe(b), b.Shutdown)
	return errors.Join(bErr, stopNamesrv(ns, nsErr))
}

func stopNamesrv(ns *namesrv.Server, serveErr <-chan error) error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := ns.Shutdown(ctx)
	if serr := <-serveErr; serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("namesrv: %w", err)
	}
	return nil
}

// exposedWithoutACL reports whether host is reachable from other machines (not a loopback
// address or localhost) while ACL is off.
func exposedWithoutACL(host string, aclEnable bool) bool {
	if aclEnable || host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}
