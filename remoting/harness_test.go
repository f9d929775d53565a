package remoting

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"
)

// logRecorder is a slog.Handler that writes to the test output and keeps every record, so
// tests can assert what was logged.
type logRecorder struct {
	next slog.Handler
	mu   *sync.Mutex
	recs *[]slog.Record
}

func newLogRecorder(t testing.TB) *logRecorder {
	return &logRecorder{
		next: slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}),
		mu:   new(sync.Mutex),
		recs: new([]slog.Record),
	}
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecorder) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	*h.recs = append(*h.recs, r.Clone())
	h.mu.Unlock()
	return h.next.Handle(ctx, r)
}

func (h *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &logRecorder{next: h.next.WithAttrs(as), mu: h.mu, recs: h.recs}
}

func (h *logRecorder) WithGroup(name string) slog.Handler {
	return &logRecorder{next: h.next.WithGroup(name), mu: h.mu, recs: h.recs}
}

// records returns the records at level whose message is msg.
func (h *logRecorder) records(level slog.Level, msg string) []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []slog.Record
	for _, r := range *h.recs {
		if r.Level == level && r.Message == msg {
			out = append(out, r)
		}
	}
	return out
}

func recordAttr(r slog.Record, key string) (slog.Value, bool) {
	var v slog.Value
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v, found = a.Value, true
			return false
		}
		return true
	})
	return v, found
}

// checkFor polls fn every step until it returns nil or total has passed.
func checkFor(t testing.TB, total, step time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	var err error
	for time.Now().Before(deadline) {
		if err = fn(); err == nil {
			return
		}
		time.Sleep(step)
	}
	t.Fatalf("timed out after %v: %v", total, err)
}

// startServer starts s on 127.0.0.1:0 and shuts it down when the test ends.
func startServer(t testing.TB, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve returned %v", err)
		}
	})
	return ln.Addr().String()
}

func newTestServer(t testing.TB, cfg ServerConfig) (*Server, *logRecorder) {
	rec := newLogRecorder(t)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(rec)
	}
	return NewServer(cfg), rec
}

func newTestClient(t testing.TB) *Client {
	c := NewClient(ClientConfig{Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	t.Cleanup(func() { c.Close() })
	return c
}

// echo answers with the request's ext fields and body.
var echo = HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
	resp := NewResponse(req, CodeSuccess, "")
	resp.ExtFields = req.ExtFields
	resp.Body = req.Body
	return resp
})

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

var errNotYet = errors.New("not yet")
