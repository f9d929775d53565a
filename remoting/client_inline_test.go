package remoting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"
)

// TestInvokeAsyncInlineCallbacks: with ClientConfig.InlineCallbacks the callbacks run on
// the read goroutine (no callback pool), each once, matched to its own request by opaque
// among many in flight; a context deadline, a dropped connection and Close still fail the
// calls they catch.
func TestInvokeAsyncInlineCallbacks(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	s.Handle(1, echo)
	entered := make(chan struct{}, 8)
	s.Handle(2, HandlerFunc(func(ctx context.Context, _ *Conn, req *Command) *Command {
		entered <- struct{}{}
		<-ctx.Done() // answered never: the connection's context ends when it closes
		return nil
	}))
	addr := startServer(t, s)
	cl := NewClient(ClientConfig{Logger: slog.New(slog.NewTextHandler(t.Output(), nil)), InlineCallbacks: true})
	t.Cleanup(func() { cl.Close() })
	if cl.conf.callbacks != nil {
		t.Fatal("InlineCallbacks started a callback pool")
	}

	type result struct {
		i    int
		resp *Command
		err  error
	}
	const n = 500
	done := make(chan result, n)
	for i := range n {
		req := NewRequest(1, nil, fmt.Appendf(nil, "m%d", i))
		if err := cl.InvokeAsync(context.Background(), addr, req, func(r *Command, err error) { done <- result{i, r, err} }); err != nil {
			t.Fatal(err)
		}
	}
	seen := make([]bool, n)
	for range n {
		r := <-done
		if r.err != nil || string(r.resp.Body) != fmt.Sprintf("m%d", r.i) || seen[r.i] {
			t.Fatalf("call %d: %v %v (seen %v)", r.i, r.resp, r.err, seen[r.i])
		}
		seen[r.i] = true
	}

	// A context deadline fails the call once; the late answer is dropped.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := cl.InvokeAsync(ctx, addr, NewRequest(2, nil, nil), func(r *Command, err error) { done <- result{-1, r, err} }); err != nil {
		t.Fatal(err)
	}
	<-entered
	if r := <-done; !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("deadline: %+v", r)
	}

	// A dropped connection fails what is pending with ErrConnClosed.
	if err := cl.InvokeAsync(context.Background(), addr, NewRequest(2, nil, nil), func(r *Command, err error) { done <- result{-2, r, err} }); err != nil {
		t.Fatal(err)
	}
	<-entered
	for _, c := range s.Conns() {
		c.Close()
	}
	if r := <-done; r.i != -2 || !errors.Is(r.err, ErrConnClosed) {
		t.Fatalf("dropped connection: %+v", r)
	}

	// Close fails what is pending on the new connection, and later calls are refused.
	if err := cl.InvokeAsync(context.Background(), addr, NewRequest(2, nil, nil), func(r *Command, err error) { done <- result{-3, r, err} }); err != nil {
		t.Fatal(err)
	}
	<-entered
	cl.Close()
	if r := <-done; r.i != -3 || !errors.Is(r.err, ErrConnClosed) {
		t.Fatalf("close: %+v", r)
	}
	if err := cl.InvokeAsync(context.Background(), addr, NewRequest(1, nil, nil), func(*Command, error) {}); !errors.Is(err, ErrClientClosed) {
		t.Fatalf("after Close: %v", err)
	}
	select {
	case r := <-done:
		t.Fatalf("extra callback %+v", r)
	default:
	}
}
