package remoting_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/remoting"
)

// lines records log messages.
type lines struct {
	mu   sync.Mutex
	msgs []string
}

func (l *lines) Enabled(context.Context, slog.Level) bool { return true }
func (l *lines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Level.String()+" "+r.Message)
	l.mu.Unlock()
	return nil
}
func (l *lines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *lines) WithGroup(string) slog.Handler      { return l }
func (l *lines) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if strings.Contains(m, msg) {
			n++
		}
	}
	return n
}

func tlsServer(t *testing.T, mode remoting.TLSMode, clientAuth string) (string, *lines, string, string) {
	t.Helper()
	cert, key := mqtest.TLSCert(t)
	cfg, err := remoting.ServerTLS(cert, key, "", clientAuth, cert)
	if err != nil {
		t.Fatal(err)
	}
	rec := &lines{}
	s := remoting.NewServer(remoting.ServerConfig{Logger: slog.New(rec), TLS: cfg, TLSMode: mode})
	s.Handle(7, remoting.HandlerFunc(func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
		resp := remoting.NewResponse(req, 0, "")
		resp.Body = req.Body
		return resp
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String(), rec, cert, key
}

func echoOnce(t *testing.T, addr string, cfg remoting.ClientConfig) error {
	t.Helper()
	c := remoting.NewClient(cfg)
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	resp, err := c.InvokeSync(ctx, addr, remoting.NewRequest(7, nil, []byte("ping")))
	if err != nil {
		return err
	}
	if string(resp.Body) != "ping" {
		t.Fatalf("echo body %q", resp.Body)
	}
	return nil
}

func TestTLSModes(t *testing.T) {
	insecure, err := remoting.ClientTLS("", "", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("mode=permissive", func(t *testing.T) {
		addr, _, cert, _ := tlsServer(t, remoting.TLSPermissive, "none")
		if err := echoOnce(t, addr, remoting.ClientConfig{}); err != nil {
			t.Fatalf("plain client: %v", err)
		}
		if err := echoOnce(t, addr, remoting.ClientConfig{TLS: insecure}); err != nil {
			t.Fatalf("tls client: %v", err)
		}
		verified, err := remoting.ClientTLS(cert, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := echoOnce(t, addr, remoting.ClientConfig{TLS: verified}); err != nil {
			t.Fatalf("verifying tls client: %v", err)
		}
	})
	t.Run("mode=enforcing", func(t *testing.T) {
		addr, rec, _, _ := tlsServer(t, remoting.TLSEnforcing, "none")
		if err := echoOnce(t, addr, remoting.ClientConfig{TLS: insecure}); err != nil {
			t.Fatalf("tls client: %v", err)
		}
		if err := echoOnce(t, addr, remoting.ClientConfig{}); err == nil {
			t.Fatal("plain client served on an enforcing port")
		}
		deadline := time.Now().Add(3 * time.Second)
		for rec.count("tls handshake failed") != 1 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := rec.count("tls handshake failed"); n != 1 {
			t.Fatalf("%d 'tls handshake failed' lines for one plain client, want 1", n)
		}
	})
	t.Run("clientAuth=require", func(t *testing.T) {
		addr, _, cert, key := tlsServer(t, remoting.TLSEnforcing, "require")
		if err := echoOnce(t, addr, remoting.ClientConfig{TLS: insecure}); err == nil {
			t.Fatal("client without a certificate served")
		}
		withCert, err := remoting.ClientTLS(cert, cert, key)
		if err != nil {
			t.Fatal(err)
		}
		if err := echoOnce(t, addr, remoting.ClientConfig{TLS: withCert}); err != nil {
			t.Fatalf("client with a certificate: %v", err)
		}
	})
	t.Run("bad settings", func(t *testing.T) {
		if _, err := remoting.ParseTLSMode("strict"); err == nil {
			t.Fatal("unknown mode accepted")
		}
		cert, key := mqtest.TLSCert(t)
		if _, err := remoting.ServerTLS(cert, key, "pw", "none", ""); err == nil {
			t.Fatal("key password accepted")
		}
		if _, err := remoting.ServerTLS(cert, key, "", "require", ""); err == nil {
			t.Fatal("require without trust certs accepted")
		}
	})
}
