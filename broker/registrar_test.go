package broker

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mq-project/mq/namesrv"
	"github.com/mq-project/mq/protocol"
)

// holdPort binds a TCP socket to addr without listening: connections to addr are refused,
// and no other socket can take the port until one with SO_REUSEADDR (net.Listen's) listens
// on it. release closes the socket (at the test's end if not before).
func holdPort(t *testing.T, addr string) (release func()) {
	t.Helper()
	ap := netip.MustParseAddrPort(addr)
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	release = sync.OnceFunc(func() { syscall.Close(fd) })
	t.Cleanup(release)
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		t.Fatalf("hold %s: %v", addr, err)
	}
	return release
}

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
	// Its port stays bound, not listening (connections are refused), so that no listener of
	// the test's (the broker's own took it once) gets it before B comes back.
	release := holdPort(t, nsB)

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

	ln, err := net.Listen("tcp", nsB) // SO_REUSEADDR: beside the bound, not listening, hold
	if err != nil {
		t.Fatal(err)
	}
	release()
	serveNamesrv(t, ln)
	checkFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		if rd, code := route(t, c, nsB, "TBW102"); code != protocol.Success || rd.BrokerDatas[0].BrokerAddrs[0] != addr {
			return fmt.Errorf("nameserver B route: %d %+v", code, rd.BrokerDatas)
		}
		return nil
	})
}
