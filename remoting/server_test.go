package remoting

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	s.Handle(10, echo)
	addr := startServer(t, s)
	cl := newTestClient(t)
	for _, st := range []SerializeType{JSON, RocketMQ} {
		for _, size := range []int{0, 100, bigBody + 1, 3 << 20} {
			t.Run(fmt.Sprintf("serialize=%v/body=%d", st, size), func(t *testing.T) {
				body := bytes.Repeat([]byte{'b'}, size)
				req := NewRequest(10, map[string]string{"topic": "T", "q": "\"\n\u2028"}, body)
				req.Serialize = st
				resp, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, req)
				if err != nil {
					t.Fatal(err)
				}
				if resp.Err() != nil || resp.Opaque != req.Opaque || !resp.IsResponse() || resp.Serialize != st {
					t.Fatalf("resp %+v", resp)
				}
				if !maps.Equal(resp.ExtFields, req.ExtFields) || !bytes.Equal(resp.Body, body) {
					t.Fatal("echo mismatch")
				}
			})
		}
	}
}

func TestUnknownCode(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	addr := startServer(t, s)
	cl := newTestClient(t)
	resp, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(999, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != CodeRequestCodeNotSupported || resp.Remark != " request type 999 not supported" {
		t.Fatalf("got code %d remark %q", resp.Code, resp.Remark)
	}
	var re *ResponseError
	if !errors.As(resp.Err(), &re) || re.Code != 3 {
		t.Fatalf("Err() = %v", resp.Err())
	}
}

func TestServerToClientRequest(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	conns := make(chan *Conn, 1)
	s.OnConnect(func(c *Conn) { conns <- c })
	s.Handle(34, echo) // heart beat, to open the connection
	addr := startServer(t, s)

	cl := newTestClient(t)
	onewayCalls := make(chan *Command, 1)
	cl.Handle(307, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		resp := NewResponse(req, CodeSuccess, "")
		resp.Body = []byte("running info of " + req.Ext("clientId"))
		return resp
	}))
	cl.Handle(40, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		onewayCalls <- req
		return NewResponse(req, CodeSuccess, "must not be sent")
	}))
	req := NewRequest(34, nil, nil)
	if _, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, req); err != nil {
		t.Fatal(err)
	}
	sc := <-conns
	if sc.Language() != Go || sc.Version() != Version {
		t.Errorf("conn language %v version %d", sc.Language(), sc.Version())
	}
	sc.SetAttachment("client-1")
	if sc.Attachment() != "client-1" {
		t.Error("attachment lost")
	}

	resp, err := sc.InvokeSync(ctxTimeout(t, 5*time.Second), NewRequest(307, map[string]string{"clientId": "c1"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "running info of c1" || !resp.IsResponse() {
		t.Fatalf("resp %+v body %q", resp, resp.Body)
	}

	// Oneway: the client's handler runs, and its response is not sent.
	ow := NewRequest(40, nil, nil)
	if err := sc.InvokeOneway(ow); err != nil {
		t.Fatal(err)
	}
	got := <-onewayCalls
	if got.Flag != FlagOneway {
		t.Errorf("oneway arrived with flag %d", got.Flag)
	}
	// A later request is answered; by then a response to the oneway would have arrived
	// first (same worker pool, same connection order), and it would be unmatched.
	if _, err := sc.InvokeSync(ctxTimeout(t, 5*time.Second), NewRequest(307, nil, nil)); err != nil {
		t.Fatal(err)
	}
	sc.pmu.Lock()
	n := len(sc.pending)
	sc.pmu.Unlock()
	if n != 0 {
		t.Errorf("%d calls still pending", n)
	}
}

// TestOnewayNotAnsweredRaw checks the client side on the wire: a oneway request from the
// server gets no response frame, and a normal one is answered with opaque and flag set.
func TestOnewayNotAnsweredRaw(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cl := newTestClient(t)
	handled := make(chan int16, 2)
	h := HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		handled <- req.Code
		return NewResponse(req, CodeSuccess, "")
	})
	cl.Handle(40, h)
	cl.Handle(221, h)
	if _, err := cl.Conn(ctxTimeout(t, 5*time.Second), ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var frames []byte
	frames = mustAppend(t, frames, &Command{Code: 40, Opaque: 100, Flag: FlagOneway})
	if _, err := nc.Write(frames); err != nil {
		t.Fatal(err)
	}
	if code := <-handled; code != 40 {
		t.Fatalf("handled %d", code)
	}
	if _, err := nc.Write(mustAppend(t, nil, &Command{Code: 221, Opaque: 101})); err != nil {
		t.Fatal(err)
	}
	<-handled
	fr := NewFrameReader(bufio.NewReader(nc), 0)
	resp, err := fr.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if resp.Opaque != 101 || resp.Flag != FlagResponse {
		t.Fatalf("first frame %+v, want the response to opaque 101", resp)
	}
	// Nothing else arrives: the oneway request got no answer.
	nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if extra, err := fr.ReadFrame(); err == nil {
		t.Fatalf("unexpected frame %+v", extra)
	}
}

func TestServerOnewayFlagOnWire(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	s.OnConnect(func(c *Conn) {
		if err := c.InvokeOneway(NewRequest(40, map[string]string{"consumerGroup": "g"}, nil)); err != nil {
			t.Error(err)
		}
	})
	addr := startServer(t, s)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	cmd, err := NewFrameReader(bufio.NewReader(nc), 0).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Code != 40 || cmd.Flag != FlagOneway || cmd.Ext("consumerGroup") != "g" || cmd.Language != Go {
		t.Fatalf("got %+v", cmd)
	}
}

func TestHandlerConcurrency(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	const n = 4
	var barrier sync.WaitGroup
	barrier.Add(n)
	s.Handle(1, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		barrier.Done()
		barrier.Wait() // only returns once n requests run at the same time
		return NewResponse(req, CodeSuccess, "")
	}), WithPool(NewPool("barrier", n, 16)))
	release := make(chan struct{})
	s.Handle(2, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		<-release
		return NewResponse(req, CodeSuccess, "slow")
	}), WithPool(NewPool("slow", 1, 16)))
	addr := startServer(t, s)
	cl := newTestClient(t)

	slow := make(chan error, 1)
	go func() {
		_, err := cl.InvokeSync(ctxTimeout(t, 10*time.Second), addr, NewRequest(2, nil, nil))
		slow <- err
	}()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(1, nil, nil))
			if err != nil || resp.Code != CodeSuccess {
				t.Errorf("resp %v err %v", resp, err)
			}
		})
	}
	wg.Wait() // the slow handler on its own pool did not hold these up
	close(release)
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
}

func TestPoolFullAnswersSystemBusy(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	entered := make(chan struct{}, 2)
	release := make(chan struct{})
	s.Handle(1, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		entered <- struct{}{}
		<-release
		return NewResponse(req, CodeSuccess, "")
	}), WithPool(NewPool("tiny", 1, 1)))
	addr := startServer(t, s)
	cl := newTestClient(t)
	results := make(chan *Command, 2)
	invoke := func() {
		resp, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(1, nil, nil))
		if err != nil {
			t.Error(err)
		}
		results <- resp
	}
	go invoke()
	<-entered // the worker is busy
	go invoke()
	conn, _ := cl.Conn(context.Background(), addr)
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if conn.pendingLen() < 2 {
			return errNotYet
		}
		return nil
	})
	// Give the second request time to land in the queue before the third arrives.
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		resp, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(1, nil, nil))
		if err != nil {
			return err
		}
		if resp.Code != CodeSystemBusy || !strings.HasPrefix(resp.Remark, "[OVERLOAD]") {
			return fmt.Errorf("code %d remark %q", resp.Code, resp.Remark)
		}
		return nil
	})
	close(release)
	for range 2 {
		if r := <-results; r == nil || r.Code != CodeSuccess {
			t.Errorf("queued request got %+v", r)
		}
	}
}

func (c *Conn) pendingLen() int {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	return len(c.pending)
}

func TestHandlerPanic(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	s.Handle(1, HandlerFunc(func(context.Context, *Conn, *Command) *Command { panic("boom") }))
	addr := startServer(t, s)
	resp, err := newTestClient(t).InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(1, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != CodeSystemError || resp.Remark != "boom" {
		t.Fatalf("got %+v", resp)
	}
}

func TestInvokeSyncDeadline(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	release := make(chan struct{})
	s.Handle(1, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		<-release
		return NewResponse(req, CodeSuccess, "late")
	}))
	s.Handle(2, echo)
	addr := startServer(t, s)
	cl := newTestClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := cl.InvokeSync(ctx, addr, NewRequest(1, nil, nil))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	conn, _ := cl.Conn(context.Background(), addr)
	if n := conn.pendingLen(); n != 0 {
		t.Errorf("%d pending after deadline", n)
	}
	close(release) // the late response is dropped
	if _, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(2, nil, nil)); err != nil {
		t.Fatal(err)
	}
}

func TestInvokeAsync(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	s.Handle(1, echo)
	release := make(chan struct{})
	s.Handle(2, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		<-release
		return NewResponse(req, CodeSuccess, "")
	}))
	addr := startServer(t, s)
	cl := newTestClient(t)

	type result struct {
		resp *Command
		err  error
	}
	done := make(chan result, 4)
	cb := func(r *Command, err error) { done <- result{r, err} }
	if err := cl.InvokeAsync(ctxTimeout(t, 5*time.Second), addr, NewRequest(1, nil, []byte("x")), cb); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil || string(r.resp.Body) != "x" {
		t.Fatalf("async: %+v", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := cl.InvokeAsync(ctx, addr, NewRequest(2, nil, nil), cb); err != nil {
		t.Fatal(err)
	}
	if r := <-done; !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("async deadline: %+v", r)
	}
	close(release)
	// Exactly once: no second callback for the late response.
	if _, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(1, nil, nil)); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		t.Fatalf("second callback %+v", r)
	default:
	}
}

func TestClientOneway(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	got := make(chan *Command, 1)
	s.Handle(15, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		got <- req
		return NewResponse(req, CodeSuccess, "") // dropped: the request was oneway
	}))
	addr := startServer(t, s)
	cl := newTestClient(t)
	if err := cl.InvokeOneway(ctxTimeout(t, 5*time.Second), addr, NewRequest(15, nil, nil)); err != nil {
		t.Fatal(err)
	}
	if r := <-got; !r.IsOneway() {
		t.Fatalf("flag %d", r.Flag)
	}
}

func TestReconnectAfterDrop(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	s.Handle(1, echo)
	entered := make(chan struct{}, 1)
	s.Handle(2, HandlerFunc(func(ctx context.Context, _ *Conn, req *Command) *Command {
		entered <- struct{}{}
		<-ctx.Done() // the connection's context ends when it closes
		return nil
	}))
	addr := startServer(t, s)
	cl := newTestClient(t)
	first, err := cl.Conn(ctxTimeout(t, 5*time.Second), addr)
	if err != nil {
		t.Fatal(err)
	}
	// A pending call fails with ErrConnClosed when the connection dies.
	failed := make(chan error, 1)
	go func() {
		_, err := cl.InvokeSync(ctxTimeout(t, 10*time.Second), addr, NewRequest(2, nil, nil))
		failed <- err
	}()
	<-entered
	for _, c := range s.Conns() {
		c.Close()
	}
	if err := <-failed; !errors.Is(err, ErrConnClosed) {
		t.Fatalf("pending call: %v", err)
	}
	<-first.Done()
	resp, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(1, nil, []byte("again")))
	if err != nil || string(resp.Body) != "again" {
		t.Fatalf("after reconnect: %v %v", resp, err)
	}
	second, _ := cl.Conn(context.Background(), addr)
	if second == first || second.ID() == first.ID() {
		t.Error("connection was not re-created")
	}
}

func TestDialError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cl := newTestClient(t)
	if _, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(1, nil, nil)); err == nil {
		t.Fatal("no error from a closed port")
	}
	cl.Close()
	if _, err := cl.InvokeSync(context.Background(), addr, NewRequest(1, nil, nil)); !errors.Is(err, ErrClientClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestShutdown(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	s.Handle(1, echo)
	var closed atomic.Int32
	s.OnClose(func(*Conn) { closed.Add(1) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	cl := newTestClient(t)
	if _, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), ln.Addr().String(), NewRequest(1, nil, nil)); err != nil {
		t.Fatal(err)
	}
	if s.Addr().String() != ln.Addr().String() {
		t.Errorf("Addr %v", s.Addr())
	}
	for range 2 {
		if err := s.Shutdown(ctxTimeout(t, 5*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if closed.Load() != 1 {
		t.Errorf("OnClose ran %d times", closed.Load())
	}
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(ln2); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
}

func TestIdleTimeout(t *testing.T) {
	s, rec := newTestServer(t, ServerConfig{IdleTimeout: 100 * time.Millisecond})
	addr := startServer(t, s)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read: %v, want EOF", err)
	}
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if len(rec.records(slog.LevelInfo, "idle connection closed")) != 1 {
			return errNotYet
		}
		return nil
	})
}

func TestSlowPeerDisconnected(t *testing.T) {
	s, rec := newTestServer(t, ServerConfig{OutboundQueue: 2})
	s.conf.stall = 100 * time.Millisecond
	big := make([]byte, 1<<20)
	s.Handle(1, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		resp := NewResponse(req, CodeSuccess, "")
		resp.Body = big
		return resp
	}))
	addr := startServer(t, s)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// Ask for 64 MiB of responses and read none of them.
	var reqs []byte
	for i := range 64 {
		reqs = mustAppend(t, reqs, &Command{Code: 1, Opaque: int32(i)})
	}
	if _, err := nc.Write(reqs); err != nil {
		t.Fatal(err)
	}
	// The connection must have been accepted before its disappearance means anything.
	checkFor(t, 10*time.Second, time.Millisecond, func() error {
		if len(s.Conns()) != 1 && len(rec.records(slog.LevelWarn, "slow peer, connection closed")) == 0 {
			return errNotYet
		}
		return nil
	})
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if len(s.Conns()) != 0 {
			return errNotYet
		}
		return nil
	})
	if n := len(rec.records(slog.LevelWarn, "slow peer, connection closed")); n != 1 {
		t.Errorf("%d slow-peer warnings", n)
	}
}

// TestMalformedInput sends each kind of malformed frame on its own connection and checks
// that the server closes that connection with one warning while a second, already open
// connection keeps being served.
func TestMalformedInput(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
	}{
		{"input=17MiB_frame", []byte{0x01, 0x10, 0x00, 0x00, 0, 0, 0, 2, '{', '}'}},
		{"input=negative_length", []byte{0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 2, '{', '}'}},
		{"input=length_below_4", []byte{0, 0, 0, 3, 0, 0, 0}},
		{"input=header_longer_than_frame", []byte{0, 0, 0, 6, 0, 0, 0, 100, '{', '}'}},
		{"input=bad_json", []byte{0, 0, 0, 8, 0, 0, 0, 4, '{', 'x', ':', '}'}},
		{"input=ext_non_string", mustRawFrame(JSON, []byte(`{"extFields":{"queueId":1}}`))},
		{"input=serialize_type_2", []byte{0, 0, 0, 6, 2, 0, 0, 2, '{', '}'}},
		{"input=truncated_binary_header", []byte{0, 0, 0, 10, 1, 0, 0, 6, 0, 10, 9, 1, 0x3d, 0}},
	}
	s, rec := newTestServer(t, ServerConfig{})
	s.Handle(1, echo)
	addr := startServer(t, s)
	good, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	goodReader := NewFrameReader(bufio.NewReader(good), 0)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer bad.Close()
			if _, err := bad.Write(tt.frame); err != nil {
				t.Fatal(err)
			}
			bad.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, err := bad.Read(make([]byte, 64)); err != io.EOF {
				t.Fatalf("bad conn read %d, %v; want EOF", n, err)
			}
			// The other connection is still served.
			req := mustAppend(t, nil, &Command{Code: 1, Opaque: int32(1000 + i), Body: []byte("ok")})
			if _, err := good.Write(req); err != nil {
				t.Fatal(err)
			}
			good.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := goodReader.ReadFrame()
			if err != nil || resp.Opaque != int32(1000+i) || string(resp.Body) != "ok" {
				t.Fatalf("good conn: %+v, %v", resp, err)
			}
			checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
				if n := len(rec.records(slog.LevelWarn, "malformed frame, connection closed")); n != i+1 {
					return fmt.Errorf("%d warnings, want %d", n, i+1)
				}
				return nil
			})
			last := rec.records(slog.LevelWarn, "malformed frame, connection closed")[i]
			if v, ok := recordAttr(last, "remote"); !ok || v.String() != bad.LocalAddr().String() {
				t.Errorf("remote attr %v", v)
			}
			if _, ok := recordAttr(last, "err"); !ok {
				t.Error("no err attr")
			}
		})
	}
}

func mustRawFrame(st SerializeType, header []byte) []byte {
	b := make([]byte, 8, 8+len(header))
	b[3] = byte(4 + len(header))
	b[4] = byte(st)
	b[7] = byte(len(header))
	return append(b, header...)
}
