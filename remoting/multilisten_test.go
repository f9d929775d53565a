package remoting

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestServeSeveralListeners: one Server serves two listeners (a broker's main and VIP
// ports) with the same handlers; Addr is the first; Shutdown closes both and both Serve
// calls return nil.
func TestServeSeveralListeners(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	s.Handle(10, echo)
	var addrs []string
	served := make(chan error, 2)
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, ln.Addr().String())
		go func() { served <- s.Serve(ln) }()
		// An answer means this Serve runs (the kernel queues the connection until Accept).
		cl := newTestClient(t)
		resp, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), ln.Addr().String(), NewRequest(10, map[string]string{"a": "x"}, nil))
		if err != nil || resp.ExtFields["a"] != "x" {
			t.Fatalf("%s: %v %+v", ln.Addr(), err, resp)
		}
		cl.Close()
	}
	if got := s.Addr().String(); got != addrs[0] {
		t.Fatalf("Addr() = %s, want the first listener %s", got, addrs[0])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-served; err != nil {
			t.Fatalf("Serve returned %v", err)
		}
	}
	cl := newTestClient(t)
	for _, addr := range addrs {
		if _, err := cl.InvokeSync(ctxTimeout(t, time.Second), addr, NewRequest(10, nil, nil)); err == nil {
			t.Fatalf("%s still answers after Shutdown", addr)
		}
	}
}
