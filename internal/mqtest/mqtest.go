// Package mqtest starts real mq servers on 127.0.0.1:0 for tests, each with a t.TempDir for its
// files and a t.Cleanup that shuts it down. Only _test.go files import it
// (scripts/check-deps.sh enforces that).
package mqtest

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/mq-project/mq/namesrv"
)

// Logger returns a logger that writes to the test's output, shown only when the test fails.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Namesrv is a running NameServer.
type Namesrv struct {
	*namesrv.Server
	// Addr is the host:port it listens on.
	Addr string
	// Config is the configuration it was started with.
	Config namesrv.Config
}

// StartNamesrv starts a NameServer on 127.0.0.1:0 with its files in a temp dir. Options edit
// the configuration before start. It is shut down when the test ends.
func StartNamesrv(t testing.TB, opts ...func(*namesrv.Config)) *Namesrv {
	t.Helper()
	dir := t.TempDir()
	cfg := namesrv.DefaultConfig()
	cfg.KVConfigPath = filepath.Join(dir, "kvConfig.json")
	cfg.ConfigStorePath = filepath.Join(dir, "namesrv.properties")
	cfg.BindAddress = "127.0.0.1"
	cfg.ListenPort = 0
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := namesrv.New(cfg, Logger(t).With("test", t.Name()))
	if err != nil {
		t.Fatalf("mqtest: new namesrv: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mqtest: listen: %v", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("mqtest: namesrv shutdown: %v", err)
		}
		if err := <-errc; err != nil {
			t.Errorf("mqtest: namesrv serve: %v", err)
		}
	})
	return &Namesrv{Server: srv, Addr: ln.Addr().String(), Config: cfg}
}

// CheckFor polls fn every step until it returns nil or total has passed, then fails the test
// with fn's last error. Use it instead of sleeping.
func CheckFor(t testing.TB, total, step time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mqtest: condition not met after %v: %v", total, err)
		}
		time.Sleep(step)
	}
}
