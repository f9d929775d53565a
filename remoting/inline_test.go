package remoting

import (
	"context"
	"testing"
	"time"
)

// TestInlineHandler: an Inline handler is served on the connection's read goroutine while its
// pool has no backlog — it answers although the pool's only worker is busy — and queues behind
// the pool's backlog like any request once there is one.
func TestInlineHandler(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	p := NewPool("one", 1, 4)
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	block := HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		started <- struct{}{}
		<-release
		return NewResponse(req, CodeSuccess, "")
	})
	s.Handle(1, block, WithPool(p))
	s.Handle(2, echo, WithPool(p), Inline())
	addr := startServer(t, s)
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()

	blocked := make(chan error, 2)
	invoke := func(code int16) {
		cl := newTestClient(t)
		go func() {
			_, err := cl.InvokeSync(ctxTimeout(t, 10*time.Second), addr, NewRequest(code, nil, nil))
			blocked <- err
		}()
	}
	invoke(1) // takes the only worker
	<-started

	// The worker is busy and nothing waits: the inline request is answered at once.
	cl := newTestClient(t)
	resp, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(2, map[string]string{"k": "v"}, nil))
	if err != nil || resp.Code != CodeSuccess || resp.ExtFields["k"] != "v" {
		t.Fatalf("inline request while the worker is busy: %v %+v", err, resp)
	}

	invoke(1) // waits in the pool's queue: a backlog
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if p.Queued() != 1 {
			return errNotYet
		}
		return nil
	})
	done := make(chan *Command, 1)
	go func() {
		resp, _ := cl.InvokeSync(ctxTimeout(t, 10*time.Second), addr, NewRequest(2, nil, nil))
		done <- resp
	}()
	select {
	case resp := <-done:
		t.Fatalf("inline request overtook the pool's backlog: %+v", resp)
	case <-time.After(200 * time.Millisecond):
	}
	if p.Queued() != 2 {
		t.Fatalf("Queued = %d, want 2 (the inline request queued behind the backlog)", p.Queued())
	}
	close(release)
	released = true
	if resp := <-done; resp == nil || resp.Code != CodeSuccess {
		t.Fatalf("queued inline request: %+v", resp)
	}
	for range 2 {
		if err := <-blocked; err != nil {
			t.Fatal(err)
		}
	}
}
