package remoting

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"syscall"
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

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (a, b *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	acc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acc.Close() })
	return acc.(*net.TCPConn), d.(*net.TCPConn)
}

func newRawReader(t *testing.T, tc *net.TCPConn) *rawReader {
	t.Helper()
	rc, err := tc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return &rawReader{rawCall: rawCall{raw: rc, nc: tc}}
}

// TestRawReader: the raw-syscall reader reads as net.Conn.Read does: what is there, waiting
// for data that comes later, a short read into a small buffer and the rest on the next call,
// the read deadline as a timeout, io.EOF at the peer's close, and a reset as an error naming
// ECONNRESET.
func TestRawReader(t *testing.T) {
	srv, cl := tcpPair(t)
	r := newRawReader(t, srv)
	if _, err := cl.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if n, err := io.ReadAtLeast(r, buf, 5); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		cl.Write([]byte("later-and-longer"))
	}()
	small := make([]byte, 5)
	if n, err := r.Read(small); err != nil || string(small[:n]) != "later" {
		t.Fatalf("waited read %q, %v", small[:n], err)
	}
	if n, err := io.ReadAtLeast(r, buf, 11); err != nil || string(buf[:n]) != "-and-longer" {
		t.Fatalf("rest %q, %v", buf[:n], err)
	}
	if n, err := r.Read(nil); n != 0 || err != nil {
		t.Fatalf("empty read: %d %v", n, err)
	}

	srv.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	_, err := r.Read(buf)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("deadline: %v", err)
	}
	srv.SetReadDeadline(time.Time{})

	cl.Write([]byte("bye"))
	cl.Close()
	if n, err := io.ReadAtLeast(r, buf, 3); err != nil || string(buf[:n]) != "bye" {
		t.Fatalf("before close %q, %v", buf[:n], err)
	}
	if n, err := r.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("at close: %d %v", n, err)
	}

	srv2, cl2 := tcpPair(t)
	r2 := newRawReader(t, srv2)
	cl2.SetLinger(0)
	cl2.Close() // RST
	time.Sleep(20 * time.Millisecond)
	if _, err := r2.Read(buf); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reset: %v", err)
	}
	srv2.Close()
	if _, err := r2.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("closed: %v", err)
	}
}

// TestConnReadsRaw: a Conn over plain TCP reads with rawReader, and one over anything else
// (here a pipe) with the net.Conn's own Read; frames arrive either way.
func TestConnReadsRaw(t *testing.T) {
	srv, _ := tcpPair(t)
	c := newConn(1, srv, &connConfig{maxQueue: 16, log: slog.New(slog.DiscardHandler), parent: context.Background()})
	defer c.closeWith(ErrConnClosed)
	if _, ok := c.source().(*rawReader); !ok {
		t.Fatalf("TCP conn reads through %T", c.source())
	}
	p1, p2 := net.Pipe()
	defer p2.Close()
	cp := newConn(2, p1, &connConfig{maxQueue: 16, log: slog.New(slog.DiscardHandler), parent: context.Background()})
	defer cp.closeWith(ErrConnClosed)
	if _, ok := cp.source().(*rawReader); ok {
		t.Fatal("pipe conn reads through rawReader")
	}
}

// TestRawIO: RawIO's writer writes all of a buffer larger than the socket can hold, waiting
// while the peer is slow to read; the write deadline fails a write the peer never reads as a
// timeout; a write to a peer that is gone fails; anything but plain TCP is left as it is.
func TestRawIO(t *testing.T) {
	a, b := tcpPair(t)
	_, w, ok := RawIO(a)
	br, _, _ := RawIO(b)
	if !ok {
		t.Fatal("RawIO refused a TCP conn")
	}
	big := make([]byte, 8<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	got := make(chan []byte, 1)
	go func() {
		time.Sleep(50 * time.Millisecond) // let the writer fill the socket and wait
		buf := make([]byte, len(big))
		n, _ := io.ReadFull(br, buf)
		got <- buf[:n]
	}()
	if n, err := w.Write(big); err != nil || n != len(big) {
		t.Fatalf("wrote %d, %v", n, err)
	}
	if r := <-got; !bytes.Equal(r, big) {
		t.Fatalf("read %d bytes, not what was written", len(r))
	}

	a.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	var err error
	n := 0
	for i := 0; i < 64 && err == nil; i++ { // nobody reads: the socket buffers fill
		n, err = w.Write(big)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || n >= len(big) {
		t.Fatalf("deadline: wrote %d, %v", n, err)
	}
	a.SetWriteDeadline(time.Time{})

	c, d := tcpPair(t)
	_, cw, _ := RawIO(c)
	d.SetLinger(0)
	d.Close()
	time.Sleep(20 * time.Millisecond)
	var werr error
	for range 3 { // the first write may be taken before the reset is seen
		if _, werr = cw.Write([]byte("x")); werr != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !errors.Is(werr, syscall.ECONNRESET) && !errors.Is(werr, syscall.EPIPE) {
		t.Fatalf("write to a reset peer: %v", werr)
	}

	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	if r, w, ok := RawIO(p1); ok || r != p1 || w != p1 {
		t.Fatal("RawIO took a pipe")
	}
}

// TestRawWriteBuffers: the write loop's writev writes every buffer in order, empty ones and
// more than one writev takes (IOV_MAX) included, waiting while a slow peer's socket is full,
// and a Conn on plain TCP writes its queue through it (outside the race detector).
func TestRawWriteBuffers(t *testing.T) {
	a, b := tcpPair(t)
	_, w, _ := RawIO(a)
	rw := w.(*rawWriter)
	var bufs [][]byte
	var want []byte
	for i := range 12000 { // ~15 MB: more than the socket buffers hold
		n := (i * 37) % 3000
		if i%7 == 0 {
			n = 0
		}
		p := bytes.Repeat([]byte{byte(i)}, n)
		bufs = append(bufs, p)
		want = append(want, p...)
	}
	got := make(chan []byte, 1)
	go func() {
		time.Sleep(50 * time.Millisecond) // the writer fills the socket first
		buf := make([]byte, len(want))
		n, _ := io.ReadFull(b, buf)
		got <- buf[:n]
	}()
	n, err := rw.writeBuffers(bufs)
	if err != nil || n != int64(len(want)) {
		t.Fatalf("wrote %d of %d: %v", n, len(want), err)
	}
	if r := <-got; !bytes.Equal(r, want) {
		t.Fatalf("read %d bytes, not what was written", len(r))
	}
	c := newConn(1, a, &connConfig{maxQueue: 16, log: slog.New(slog.DiscardHandler), parent: context.Background()})
	defer c.closeWith(ErrConnClosed)
	if (c.rw != nil) == raceEnabled {
		t.Fatalf("write loop writer %v with the race detector %v", c.rw, raceEnabled)
	}
}

// TestRawReaderWriteAhead: a request handed to WriteAhead is written by the reader's next
// Read, which then waits for the answer: 2,000 round trips with a peer answering each request
// at once (an answer can come before the reader waits), an 8 MiB request the socket takes only
// part of (the rest written waiting for room, then the answer read), the read deadline while
// no answer comes, a Read failing before it wrote (its request dropped, not sent by the next
// Read), and the error of a peer that reset the connection.
func TestRawReaderWriteAhead(t *testing.T) {
	a, b := tcpPair(t)
	r, _, _ := RawIO(a)
	aw, ok := r.(AheadWriter)
	if !ok {
		t.Fatal("RawIO's reader is no AheadWriter")
	}
	go func() { // answers each length-prefixed request with its first 8 bytes
		br := bufio.NewReader(b)
		for {
			var hdr [4]byte
			if _, err := io.ReadFull(br, hdr[:]); err != nil {
				return
			}
			p := make([]byte, binary.BigEndian.Uint32(hdr[:]))
			if _, err := io.ReadFull(br, p); err != nil {
				return
			}
			if _, err := b.Write(p[:min(len(p), 8)]); err != nil {
				return
			}
		}
	}()
	request := func(id uint64, size int) []byte {
		p := binary.BigEndian.AppendUint32(nil, uint32(size))
		if size >= 8 {
			p = binary.BigEndian.AppendUint64(p, id)
		}
		return append(p, make([]byte, max(size-8, 0))...)
	}
	answer := make([]byte, 8)
	for i := range 2000 {
		aw.WriteAhead(request(uint64(i), 100))
		if _, err := io.ReadFull(r, answer); err != nil || binary.BigEndian.Uint64(answer) != uint64(i) {
			t.Fatalf("round trip %d: answer %x, %v", i, answer, err)
		}
	}
	aw.WriteAhead(request(7777, 8<<20))
	if _, err := io.ReadFull(r, answer); err != nil || binary.BigEndian.Uint64(answer) != 7777 {
		t.Fatalf("8 MiB request: answer %x, %v", answer, err)
	}

	a.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	aw.WriteAhead(request(0, 0)) // answered with nothing
	if _, err := r.Read(answer); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("no answer: %v", err)
	}
	a.SetReadDeadline(time.Time{})

	// A Read that fails before it could write drops the request: the next Read does not
	// send it late (the peer would answer it first).
	a.SetReadDeadline(time.Now().Add(-time.Second))
	aw.WriteAhead(request(8888, 8))
	if _, err := r.Read(answer); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("past deadline: %v", err)
	}
	a.SetReadDeadline(time.Time{})
	if _, err := a.Write(request(9999, 8)); err != nil { // written as usual, not ahead
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, answer); err != nil || binary.BigEndian.Uint64(answer) != 9999 {
		t.Fatalf("after a failed Read: answer %d, %v (want 9999)", binary.BigEndian.Uint64(answer), err)
	}
	a.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := r.Read(answer); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the dropped request was sent: read %d bytes (%x), %v", n, answer[:n], err)
	}
	a.SetReadDeadline(time.Time{})

	b.SetLinger(0)
	b.Close() // a reset
	time.Sleep(20 * time.Millisecond)
	aw.WriteAhead(request(1, 100))
	if _, err := r.Read(answer); err == nil {
		t.Fatal("a reset connection read without an error")
	}
}
