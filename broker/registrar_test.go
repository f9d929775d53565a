package broker

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/mq-project/mq/namesrv"
	"github.com/mq-project/mq/protocol"
)

// serveNamesrv runs a NameServer on ln until the returned stop is called (or the test ends).
func serveNamesrv(t *testing.T, ln net.Listener) (stop func()) {
	t.Helper()
	cfg := namesrv.DefaultConfig()
	dir := t.TempDir()
	cfg.KVConfigPath = filepath.Join(dir, "kvConfig.json")
	cfg.ConfigStorePath = filepath.Join(dir, "namesrv.properties")
	s, err := namesrv.New(cfg, slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	var stopped bool
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		<-done
	}
	t.Cleanup(stop)
	return stop
}

// TestReadyWithOneNamesrvDown: a broker whose namesrvAddr lists two nameservers, one of them
// down, is ready once the live one accepted it, and registers with the other soon after it
// comes back (not a registration period later).
func TestReadyWithOneNamesrvDown(t *testing.T) {
	nsA := startNamesrv(t)
	lnB, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nsB := lnB.Addr().String()
	serveNamesrv(t, lnB)() // B ran once and is down now

	cfg := testConfig(t)
	cfg.NamesrvAddr = nsA + ";" + nsB
	b, addr := startBroker(t, cfg, nil)
	select {
	case <-b.Registered():
	case <-time.After(10 * time.Second):
		t.Fatal("broker not ready with one of two nameservers up")
	}
	c := newTestClient(t, nil)
	if rd, code := route(t, c, nsA, "TBW102"); code != protocol.Success || rd.BrokerDatas[0].BrokerAddrs[0] != addr {
		t.Fatalf("nameserver A route: %d %+v", code, rd.BrokerDatas)
	}

	var ln net.Listener
	checkFor(t, 5*time.Second, 20*time.Millisecond, func() (err error) {
		ln, err = net.Listen("tcp", nsB)
		return err
	})
	serveNamesrv(t, ln)
	checkFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		if rd, code := route(t, c, nsB, "TBW102"); code != protocol.Success || rd.BrokerDatas[0].BrokerAddrs[0] != addr {
			return fmt.Errorf("nameserver B route: %d %+v", code, rd.BrokerDatas)
		}
		return nil
	})
}
