package remoting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"testing"
	"time"
)

// TestRequestFrameOpaque: whatever the opaque, the patched frame decodes to the request with
// that opaque, in both serialisations.
func TestRequestFrameOpaque(t *testing.T) {
	for _, st := range []SerializeType{JSON, RocketMQ} {
		req := NewRequest(310, map[string]string{"a": "g", "b": "T", "q": "\"\n"}, []byte("body"))
		req.Serialize = st
		f, err := NewRequestFrame(req)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []int32{0, 1, -1, 42, 123456789, math.MaxInt32, math.MinInt32} {
			got, err := DecodeFrame(f.appendTo(nil, op)[4:])
			if err != nil {
				t.Fatalf("%v opaque %d: %v", st, op, err)
			}
			if got.Opaque != op || got.Code != 310 || got.Serialize != st || got.IsResponse() || got.IsOneway() ||
				!maps.Equal(got.ExtFields, req.ExtFields) || string(got.Body) != "body" {
				t.Fatalf("%v opaque %d: decoded %+v", st, op, got)
			}
		}
	}
	if _, err := NewRequestFrame(NewResponse(NewRequest(1, nil, nil), 0, "")); !errors.Is(err, ErrRequestFrame) {
		t.Fatalf("response as a frame: %v", err)
	}
}

// TestInvokeAsyncFrame: frames patched between calls, many in flight, each answered to its
// own callback (matched by opaque) with its own body; a deadline, a dropped connection and
// a client with credentials fail as InvokeAsync does.
func TestInvokeAsyncFrame(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	s.Handle(1, echo)
	entered := make(chan struct{}, 8)
	s.Handle(2, HandlerFunc(func(ctx context.Context, _ *Conn, req *Command) *Command {
		entered <- struct{}{}
		<-ctx.Done()
		return nil
	}))
	addr := startServer(t, s)
	for _, inline := range []bool{false, true} {
		t.Run(fmt.Sprintf("inline=%v", inline), func(t *testing.T) {
			cl := NewClient(ClientConfig{Logger: slog.New(slog.NewTextHandler(t.Output(), nil)), InlineCallbacks: inline})
			t.Cleanup(func() { cl.Close() })
			type result struct {
				i    int
				resp *Command
				err  error
			}
			const n = 300
			done := make(chan result, n)
			for _, st := range []SerializeType{JSON, RocketMQ} {
				req := NewRequest(1, map[string]string{"k": "v"}, []byte("m0000"))
				req.Serialize = st
				f, err := NewRequestFrame(req)
				if err != nil {
					t.Fatal(err)
				}
				b := f.Bytes()
				for i := range n {
					copy(b[len(b)-4:], fmt.Sprintf("%04d", i)) // the body's last 4 bytes
					if err := cl.InvokeAsyncFrame(context.Background(), addr, f, func(r *Command, err error) { done <- result{i, r, err} }); err != nil {
						t.Fatal(err)
					}
				}
				seen := make([]bool, n)
				for range n {
					r := <-done
					if r.err != nil || string(r.resp.Body) != fmt.Sprintf("m%04d", r.i) || seen[r.i] ||
						r.resp.Ext("k") != "v" || r.resp.Serialize != st {
						t.Fatalf("%v call %d: %+v %v", st, r.i, r.resp, r.err)
					}
					seen[r.i] = true
				}
			}

			slow, err := NewRequestFrame(NewRequest(2, nil, nil))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := cl.InvokeAsyncFrame(ctx, addr, slow, func(r *Command, err error) { done <- result{-1, r, err} }); err != nil {
				t.Fatal(err)
			}
			<-entered
			if r := <-done; !errors.Is(r.err, context.DeadlineExceeded) {
				t.Fatalf("deadline: %+v", r)
			}
			if err := cl.InvokeAsyncFrame(context.Background(), addr, slow, func(r *Command, err error) { done <- result{-2, r, err} }); err != nil {
				t.Fatal(err)
			}
			<-entered
			for _, c := range s.Conns() {
				c.Close()
			}
			if r := <-done; r.i != -2 || !errors.Is(r.err, ErrConnClosed) {
				t.Fatalf("dropped connection: %+v", r)
			}
			cl.Close()
			if err := cl.InvokeAsyncFrame(context.Background(), addr, slow, func(*Command, error) {}); !errors.Is(err, ErrClientClosed) {
				t.Fatalf("after Close: %v", err)
			}
			select {
			case r := <-done:
				t.Fatalf("extra callback %+v", r)
			default:
			}
		})
	}
	signed := NewClient(ClientConfig{Credentials: &Credentials{AccessKey: "ak", SecretKey: "sk"}})
	defer signed.Close()
	f, _ := NewRequestFrame(NewRequest(1, nil, nil))
	if err := signed.InvokeAsyncFrame(context.Background(), addr, f, func(*Command, error) {}); !errors.Is(err, ErrRequestFrame) {
		t.Fatalf("signed client: %v", err)
	}
}
