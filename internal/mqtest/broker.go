package mqtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/broker"
)

// Broker is a running broker.
type Broker struct {
	*broker.Broker
	// Addr is the host:port it listens on and announces.
	Addr string
	// Config is the configuration it was started with.
	Config broker.Config
}

// BrokerConfig returns a broker configuration for tests: broker-a in DefaultCluster on
// 127.0.0.1, its store in a temp dir with small files (8 MiB CommitLog segments, 1 MiB
// messages), registering with namesrv (may be empty).
func BrokerConfig(t testing.TB, namesrv string) broker.Config {
	c := broker.DefaultConfig()
	c.BrokerName = "broker-a"
	c.BrokerIP1 = "127.0.0.1"
	c.NamesrvAddr = namesrv
	c.StorePathRootDir = t.TempDir()
	c.MappedFileSizeCommitLog = 8 << 20
	c.MappedFileSizeConsumeQueue = 20 * 4096
	c.MaxMessageSize = 1 << 20
	c.MaxHashSlotNum = 4096
	c.MaxIndexNum = 16384
	return c
}

// StartBroker starts a broker with BrokerConfig(t, namesrv) edited by opts. When opts leave
// listenPort 0 it listens on 127.0.0.1:0 and sets listenPort to the port it got, so stored
// records and message ids name the real address; a given listenPort is used as is (restart
// on the same port). It is shut down when the test ends; Shutdown may be called earlier.
func StartBroker(t testing.TB, namesrv string, opts ...func(*broker.Config)) *Broker {
	t.Helper()
	cfg := BrokerConfig(t, namesrv)
	cfg.ListenPort = 0
	for _, o := range opts {
		o(&cfg)
	}
	return StartBrokerConfig(t, cfg, namesrv)
}

// StartBrokerConfig starts a broker with cfg as given (e.g. broker.DefaultConfig() with a
// store directory, as `mq standalone` builds it), registering with namesrv when it is not
// empty. listenPort 0 means a free port on 127.0.0.1, then written into the configuration.
func StartBrokerConfig(t testing.TB, cfg broker.Config, namesrv string) *Broker {
	t.Helper()
	if namesrv != "" {
		cfg.NamesrvAddr = namesrv
	}
	ln, err := listen(cfg.ListenPort)
	if err != nil {
		t.Fatalf("mqtest: listen: %v", err)
	}
	cfg.ListenPort = ln.Addr().(*net.TCPAddr).Port
	b, err := broker.New(cfg, Logger(t).With("test", t.Name()))
	if err != nil {
		ln.Close()
		t.Fatalf("mqtest: new broker: %v", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- b.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := b.Shutdown(ctx); err != nil {
			t.Errorf("mqtest: broker shutdown: %v", err)
		}
		if err := <-errc; err != nil && !errors.Is(err, broker.ErrShutdown) {
			t.Errorf("mqtest: broker serve: %v", err)
		}
	})
	CheckFor(t, 5*time.Second, time.Millisecond, func() error {
		if b.Addr() == "" {
			return errors.New("broker has no announced address yet")
		}
		return nil
	})
	// Clients started after this find the broker's routes (as after `mq standalone` is ready).
	select {
	case <-b.Registered():
	case <-time.After(10 * time.Second):
		t.Fatalf("mqtest: broker not registered with %q after 10 s", cfg.NamesrvAddr)
	}
	return &Broker{Broker: b, Addr: ln.Addr().String(), Config: cfg}
}

// listen listens on 127.0.0.1:port, retrying for a while when a just-closed listener still
// holds the port (restart on the same port).
func listen(port int) (net.Listener, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil || port == 0 || time.Now().After(deadline) {
			return ln, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitSlaveCaughtUp waits until the slave at slave holds the master's CommitLog (their
// GET_BROKER_RUNTIME_INFO commitLogMaxOffset agree) and extra, when given, holds too (a
// topic's config or an offset the slave's metadata sync brings): what a test waits for
// before it stops the master and reads from the slave.
func WaitSlaveCaughtUp(t testing.TB, a *admin.Admin, master, slave string, extra func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		mi, err := a.BrokerRuntimeInfo(ctx, master)
		if err != nil {
			return err
		}
		si, err := a.BrokerRuntimeInfo(ctx, slave)
		if err != nil {
			return err
		}
		if mi["commitLogMaxOffset"] != si["commitLogMaxOffset"] {
			return fmt.Errorf("slave at %s, master at %s", si["commitLogMaxOffset"], mi["commitLogMaxOffset"])
		}
		if extra != nil {
			return extra()
		}
		return nil
	})
}
