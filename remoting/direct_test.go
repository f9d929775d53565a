package remoting

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"testing"
	"time"
)

// TestDirectResponseWrite: a response on a plain TCP connection whose queue is empty and whose
// write loop is idle is written by the replying goroutine itself (no write loop runs here);
// once a frame is queued, later responses queue behind it and leave in order.
func TestDirectResponseWrite(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c := newConn(1, nc, &connConfig{maxQueue: 16, log: slog.New(slog.DiscardHandler), parent: context.Background()})
	defer c.closeWith(ErrConnClosed)
	fr := NewFrameReader(bufio.NewReader(peer), 0)
	read := func(d time.Duration) (*Command, error) {
		peer.SetReadDeadline(time.Now().Add(d))
		return fr.ReadFrame()
	}

	if err := c.Reply(&Command{Code: 10, Opaque: 7}, NewResponse(&Command{}, CodeSuccess, "direct")); err != nil {
		t.Fatal(err)
	}
	if got, err := read(5 * time.Second); err != nil || got.Opaque != 7 || got.Remark != "direct" || !got.IsResponse() {
		t.Fatalf("direct response: %+v %v", got, err)
	}

	// A request queued (requests never go direct) and no write loop: the response must wait.
	if err := c.send(NewRequest(11, nil, []byte("first")), sendNoWait); err != nil {
		t.Fatal(err)
	}
	if err := c.Reply(&Command{Code: 10, Opaque: 8}, NewResponse(&Command{}, CodeSuccess, "second")); err != nil {
		t.Fatal(err)
	}
	if got, err := read(200 * time.Millisecond); err == nil {
		t.Fatalf("a response overtook the queue: %+v", got)
	}
	fr = NewFrameReader(bufio.NewReader(peer), 0) // the timed-out read read nothing
	loop := make(chan struct{})
	go func() { defer close(loop); c.writeLoop() }()
	defer func() { c.closeWith(ErrConnClosed); <-loop }()
	first, err := read(5 * time.Second)
	if err != nil || first.Code != 11 || string(first.Body) != "first" {
		t.Fatalf("first frame: %+v %v", first, err)
	}
	second, err := read(5 * time.Second)
	if err != nil || second.Opaque != 8 || second.Remark != "second" {
		t.Fatalf("second frame: %+v %v", second, err)
	}
}

// TestBurstRepliesWaitForBurstEnd: while the read loop has more requests buffered (a burst),
// responses are queued without waking the write loop — the burst's answers then leave in one
// write — and the wake-up comes when the burst ends.
func TestBurstRepliesWaitForBurstEnd(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c := newConn(1, nc, &connConfig{maxQueue: 16, log: slog.New(slog.DiscardHandler), parent: context.Background()})
	defer c.closeWith(ErrConnClosed)

	c.batching.Store(true)
	for i := range 3 {
		if err := c.Reply(&Command{Code: 10, Opaque: int32(i)}, NewResponse(&Command{}, CodeSuccess, "")); err != nil {
			t.Fatal(err)
		}
	}
	c.omu.Lock()
	frames := c.oframes
	c.omu.Unlock()
	if frames != 3 || len(c.wake) != 0 {
		t.Fatalf("during the burst: %d frames queued, %d wake-ups (want 3, 0)", frames, len(c.wake))
	}
	c.endBurst()
	if len(c.wake) != 1 {
		t.Fatal("the burst's end did not wake the write loop")
	}
	loop := make(chan struct{})
	go func() { defer close(loop); c.writeLoop() }()
	defer func() { c.closeWith(ErrConnClosed); <-loop }()
	fr := NewFrameReader(bufio.NewReader(peer), 0)
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := range 3 {
		got, err := fr.ReadFrame()
		if err != nil || got.Opaque != int32(i) {
			t.Fatalf("response %d: %+v %v", i, got, err)
		}
	}
}
