package remoting

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// lentBody is the body of the i-th request of the lent-body tests: 1 KiB of one byte, with
// i written at the start, so that a body overwritten by another frame shows.
func lentBody(i int) []byte {
	b := bytes.Repeat([]byte{byte('a' + i%26)}, 1024)
	copy(b, fmt.Sprintf("#%d#", i))
	return b
}

// TestFrameReaderLendsBody: a request whose code lendFor accepts gets its body in the
// reader's buffer and its extFields pairs in the interner's slice, valid until the next
// ReadFrame; own gives it copies that survive the following frames. Responses and other
// codes are lent nothing, a body larger than the buffer is not lent (its pairs are).
func TestFrameReaderLendsBody(t *testing.T) {
	var stream []byte
	add := func(code int16, flag int32, body []byte) {
		c := NewRequest(code, map[string]string{"k": string(body[:8])}, body)
		c.Flag = flag
		var err error
		if stream, err = AppendFrame(stream, c); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		add(10, 0, lentBody(i))
	}
	add(10, FlagResponse, lentBody(40))           // a response
	add(11, 0, lentBody(41))                      // a code not lent
	add(10, 0, bytes.Repeat([]byte("z"), 20<<10)) // larger than the buffer
	fr := NewFrameReader(bufio.NewReaderSize(bytes.NewReader(stream), readBufferSize), 0)
	fr.in.lendFor = func(code int16) bool { return code == 10 }
	fr.in.pairsFor = func(int16) bool { return true }
	var kept []*Command
	for i := range 40 {
		c, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if !c.lent || !c.lentPairs || !bytes.Equal(c.Body, lentBody(i)) || c.Ext("k") != string(lentBody(i)[:8]) {
			t.Fatalf("frame %d: lent %v %v, body %.8q, k %q", i, c.lent, c.lentPairs, c.Body, c.Ext("k"))
		}
		c.own()
		if c.lent || c.lentPairs {
			t.Fatal("own left the body or pairs lent")
		}
		kept = append(kept, c)
	}
	for _, want := range []struct {
		code        int16
		lent, pairs bool
		n           int
	}{{10, false, false, 1024}, {11, false, false, 1024}, {10, false, true, 20 << 10}} {
		c, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if c.Code != want.code || c.lent != want.lent || c.lentPairs != want.pairs || len(c.Body) != want.n {
			t.Fatalf("code %d flag %d: lent %v, %d bytes", c.Code, c.Flag, c.lent, len(c.Body))
		}
	}
	for i, c := range kept {
		if !bytes.Equal(c.Body, lentBody(i)) || c.Ext("k") != string(lentBody(i)[:8]) {
			t.Fatalf("kept request %d was overwritten: body %.8q, k %q", i, c.Body, c.Ext("k"))
		}
	}
}

// TestLentBodyQueuedForPool: requests of an Inline (and RawExt) route that queue behind the pool's backlog
// are served after the read loop has read the frames that follow them; their bodies, kept by
// the handler without a copy, and their extFields pairs must still be theirs (dispatch gives
// them copies).
func TestLentBodyQueuedForPool(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	const n = 40 // ~48 KiB of frames: the read buffer (16 KiB) is refilled several times
	p := NewPool("one", 1, n+4)
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	s.Handle(1, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		started <- struct{}{}
		<-release
		return NewResponse(req, CodeSuccess, "")
	}), WithPool(p))
	var mu sync.Mutex
	kept := map[string][]byte{}
	s.Handle(2, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		mu.Lock()
		kept[req.Ext("i")] = req.Body // no copy: a queued request owns its body
		mu.Unlock()
		return NewResponse(req, CodeSuccess, "")
	}), WithPool(p), Inline(), RawExt())
	addr := startServer(t, s)
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()

	cl := newTestClient(t)
	ctx := ctxTimeout(t, 20*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, n+2)
	invoke := func(req *Command) {
		wg.Add(1)
		if err := cl.InvokeAsync(ctx, addr, req, func(resp *Command, err error) {
			defer wg.Done()
			if err == nil && resp.Code != CodeSuccess {
				err = fmt.Errorf("code %d", resp.Code)
			}
			if err != nil {
				errs <- err
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	invoke(NewRequest(1, nil, nil)) // takes the only worker
	<-started
	invoke(NewRequest(1, nil, nil)) // waits: a backlog
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if p.Queued() != 1 {
			return errNotYet
		}
		return nil
	})
	for i := range n {
		invoke(NewRequest(2, map[string]string{"i": fmt.Sprint(i)}, lentBody(i)))
	}
	// Every frame has been read (and the read buffer reused) before any is served.
	checkFor(t, 10*time.Second, time.Millisecond, func() error {
		if p.Queued() != n+1 {
			return errNotYet
		}
		return nil
	})
	close(release)
	released = true
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range n {
		if got := kept[fmt.Sprint(i)]; !bytes.Equal(got, lentBody(i)) {
			t.Fatalf("body %d was overwritten: %.8q", i, got)
		}
	}
}

// TestLentBodyInline: an Inline handler served on the read goroutine sees its own body; a
// response that returns the lent body is sent with a copy, and the request loses its body
// when the handler returns (nothing kept can read the next frame's bytes).
func TestLentBodyInline(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	var prev *Command // only touched by the read goroutine (one connection)
	var bad []string
	var mu sync.Mutex
	s.Handle(2, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		var i int
		fmt.Sscan(req.Ext("i"), &i)
		mu.Lock()
		if !req.lent {
			bad = append(bad, fmt.Sprintf("request %d: body not lent", i))
		}
		if !bytes.Equal(req.Body, lentBody(i)) {
			bad = append(bad, fmt.Sprintf("request %d: body %.8q", i, req.Body))
		}
		if prev != nil && (prev.Body != nil || prev.pairs != nil) {
			bad = append(bad, "the previous request kept its lent body or pairs")
		}
		if !req.lentPairs {
			bad = append(bad, fmt.Sprintf("request %d: pairs not lent", i))
		}
		mu.Unlock()
		prev = req
		resp := NewResponse(req, CodeSuccess, "")
		resp.Body = req.Body
		return resp
	}), Inline(), RawExt())
	addr := startServer(t, s)
	cl := newTestClient(t)
	ctx := ctxTimeout(t, 20*time.Second)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		err := cl.InvokeAsync(ctx, addr, NewRequest(2, map[string]string{"i": fmt.Sprint(i)}, lentBody(i)), func(resp *Command, err error) {
			defer wg.Done()
			if err == nil && !bytes.Equal(resp.Body, lentBody(i)) {
				err = fmt.Errorf("response %d: body %.8q", i, resp.Body)
			}
			if err != nil {
				errs <- err
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bad {
		t.Error(b)
	}
}

// TestRemoteAddrPort: a connection's parsed peer address is what its RemoteAddr string says.
func TestRemoteAddrPort(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	got := make(chan [2]string, 1)
	s.Handle(2, HandlerFunc(func(_ context.Context, c *Conn, req *Command) *Command {
		got <- [2]string{c.RemoteAddrPort().String(), c.RemoteAddr()}
		return NewResponse(req, CodeSuccess, "")
	}))
	addr := startServer(t, s)
	if _, err := newTestClient(t).InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(2, nil, nil)); err != nil {
		t.Fatal(err)
	}
	a := <-got
	if want, err := netip.ParseAddrPort(a[1]); err != nil || a[0] != want.String() || !want.IsValid() {
		t.Fatalf("RemoteAddrPort %s, RemoteAddr %s (%v)", a[0], a[1], err)
	}
}

// TestPipelinedBurst: a long burst of pipelined requests (written at once, so that the read
// loop finds more buffered behind each frame and moves to its large read buffer midway) is
// answered in order, each Inline handler seeing its own lent body and pairs.
func TestPipelinedBurst(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	s.Handle(2, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		resp := NewResponse(req, CodeSuccess, "")
		resp.Body = req.Body
		resp.ExtFields = map[string]string{"i": req.Ext("i")}
		return resp
	}), Inline(), RawExt())
	addr := startServer(t, s)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	const n = 3 * growAfter
	var stream []byte
	for i := range n {
		req := NewRequest(2, map[string]string{"i": fmt.Sprint(i)}, lentBody(i))
		req.Opaque = int32(i)
		if stream, err = AppendFrame(stream, req); err != nil {
			t.Fatal(err)
		}
	}
	werr := make(chan error, 1)
	go func() { _, err := nc.Write(stream); werr <- err }()
	_ = nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	fr := NewFrameReader(bufio.NewReader(nc), 0)
	for i := range n {
		resp, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		if resp.Opaque != int32(i) || resp.Ext("i") != fmt.Sprint(i) || !bytes.Equal(resp.Body, lentBody(i)) {
			t.Fatalf("response %d: opaque %d, i %q, body %.8q", i, resp.Opaque, resp.Ext("i"), resp.Body)
		}
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
}
