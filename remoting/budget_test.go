package remoting

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestOutboundBudget: a connection that asks for 200 MiB of responses (each a fresh 1 MiB
// copy, as a pull answer used to be) and reads none of them makes the server hold no more
// than its budgets, then is disconnected with a warning; the budget is given back.
func TestOutboundBudget(t *testing.T) {
	const perConn, total = 4 << 20, 8 << 20
	s, rec := newTestServer(t, ServerConfig{ConnOutboundBytes: perConn, OutboundBytes: total})
	s.conf.stall = 2 * time.Second
	var served atomic.Int64
	s.Handle(1, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		served.Add(1)
		resp := NewResponse(req, CodeSuccess, "")
		resp.Body = bytes.Repeat([]byte{'x'}, 1<<20)
		return resp
	}))
	addr := startServer(t, s)
	before := heapInuse()
	var conns []net.Conn
	for range 2 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetReadBuffer(64 << 10) // keep the kernel from absorbing the responses
		}
		var reqs []byte
		for i := range 100 {
			reqs = mustAppend(t, reqs, &Command{Code: 1, Opaque: int32(i)})
		}
		if _, err := nc.Write(reqs); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc)
	}
	var peak int64
	var peakHeap uint64
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && len(rec.records(slog.LevelWarn, "slow peer, connection closed"))+
		len(rec.records(slog.LevelWarn, "outbound memory budget exhausted, connection closed")) < 2 {
		peak = max(peak, s.Stats().OutboundBytes)
		for _, c := range s.Conns() {
			if n := c.OutboundBytes(); n > 2*perConn+2<<20 { // queued + parked
				t.Fatalf("connection holds %d outbound bytes, limit %d", n, perConn)
			}
		}
		if h := heapInuse(); h > peakHeap {
			peakHeap = h
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Queued frames take the shared budget; a response over it parks, its body charged even
	// past the limit (the handler has allocated it), up to the connection's own budget and a
	// frame, until the server sheds a holder stalled for a second (594715d). So the bound is
	// the budget plus what each connection may park, not the 200 MiB asked for; the peak
	// depends on the scheduling (11 MiB was seen with both connections parking at once).
	if limit := int64(total + len(conns)*(perConn+1<<20)); peak > limit {
		t.Fatalf("outbound peak %d bytes, budget %d, with what the connections may park %d", peak, total, limit)
	}
	// Up to 16 workers each hold the body they wait to queue, plus the budget and what is
	// parked; responses dropped at a closed connection still count as in use until the next
	// collection, and handlers allocate them while heapInuse's own collection runs (64-71 MiB
	// were seen on a loaded machine).
	if grown := int64(peakHeap) - int64(before); grown > 96<<20 {
		t.Fatalf("heap grew %d MiB serving unread responses", grown>>20)
	}
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if n := len(s.Conns()); n != 0 {
			return fmt.Errorf("%d connections still open", n)
		}
		if n := s.Stats().OutboundBytes; n != 0 {
			return fmt.Errorf("%d outbound bytes still charged", n)
		}
		return nil
	})
	if served.Load() == 0 {
		t.Error("no request served")
	}
}

// TestOutboundBudgetWaitsForReader: a slow but reading peer gets every response, more than
// its per-connection and the shared budget in total, without being disconnected.
func TestOutboundBudgetWaitsForReader(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{ConnOutboundBytes: 12 << 20, OutboundBytes: 12 << 20})
	body := bytes.Repeat([]byte{'y'}, 1<<20)
	s.Handle(1, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		resp := NewResponse(req, CodeSuccess, "")
		resp.Body = append([]byte(nil), body...)
		return resp
	}))
	addr := startServer(t, s)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var reqs []byte
	for i := range 20 {
		reqs = mustAppend(t, reqs, &Command{Code: 1, Opaque: int32(i)})
	}
	if _, err := nc.Write(reqs); err != nil {
		t.Fatal(err)
	}
	fr := NewFrameReader(bufio.NewReader(nc), 0)
	nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	for i := range 20 {
		resp, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		if len(resp.Body) != len(body) {
			t.Fatalf("response %d: %d bytes", i, len(resp.Body))
		}
		time.Sleep(5 * time.Millisecond)
	}
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := s.Stats().OutboundBytes; n != 0 {
			return fmt.Errorf("%d outbound bytes still charged", n)
		}
		return nil
	})
}

// TestBodyParts: parts are written after Body without a copy and their callback runs once,
// after the write, or when the connection is gone.
func TestBodyParts(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	var done atomic.Int32
	s.Handle(1, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		resp := NewResponse(req, CodeSuccess, "")
		resp.Body = []byte("head-")
		resp.SetBodyParts([][]byte{[]byte("one-"), nil, bytes.Repeat([]byte{'2'}, bigBody)}, func() { done.Add(1) })
		return resp
	}))
	addr := startServer(t, s)
	cl := newTestClient(t)
	resp, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(1, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := "head-one-" + string(bytes.Repeat([]byte{'2'}, bigBody))
	if string(resp.Body) != want {
		t.Fatalf("body %d bytes, want %d", len(resp.Body), len(want))
	}
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if done.Load() != 1 {
			return errNotYet
		}
		return nil
	})
	// A closed connection drops the parts at once.
	p1, p2 := net.Pipe()
	defer p2.Close()
	c := newConn(1, p1, &connConfig{maxQueue: 1, log: slog.New(slog.DiscardHandler), parent: context.Background()})
	c.closeWith(ErrConnClosed)
	cmd := NewResponse(&Command{}, 0, "")
	cmd.SetBodyParts([][]byte{[]byte("x")}, func() { done.Add(1) })
	if err := c.send(cmd, sendWait); err != ErrConnClosed || done.Load() != 2 {
		t.Fatalf("send on closed conn: %v, done %d", err, done.Load())
	}
}

// halfFrame is the first part of a frame announcing n bytes: length, header word and
// header, then fill bytes of the body.
func halfFrame(t *testing.T, n, fill int) []byte {
	t.Helper()
	hdr := []byte(`{"code":1,"flag":0,"opaque":7}`)
	b := make([]byte, 8, 8+len(hdr)+fill)
	binary.BigEndian.PutUint32(b, uint32(n))
	binary.BigEndian.PutUint32(b[4:], uint32(len(hdr)))
	b = append(b, hdr...)
	return append(b, make([]byte, fill)...)
}

// TestInboundBudget: connections that send half of a large frame and stop hold no more
// than the inbound budget; those that find it taken, or stall holding it while others
// wait, are closed with a warning; a whole frame is served once the budget is free again.
func TestInboundBudget(t *testing.T) {
	const budget = 8 << 20
	s, rec := newTestServer(t, ServerConfig{InboundBytes: budget})
	s.conf.stall = 500 * time.Millisecond
	s.Handle(1, echo)
	addr := startServer(t, s)
	before := heapInuse()
	var conns []net.Conn
	for range 20 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		go nc.Write(halfFrame(t, 4<<20, 2<<20)) // blocks while the server does not read
		conns = append(conns, nc)
	}
	var peak int64
	checkFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		peak = max(peak, s.Stats().InboundBytes)
		n := len(rec.records(slog.LevelWarn, "inbound memory budget exhausted, connection closed")) +
			len(rec.records(slog.LevelWarn, "frame stalled while the inbound budget is short, connection closed"))
		if n < 18 {
			return fmt.Errorf("%d connections closed for the budget", n)
		}
		return nil
	})
	if peak > budget {
		t.Fatalf("inbound reservations peaked at %d, budget %d", peak, budget)
	}
	if grown := int64(heapInuse()) - int64(before); grown > 32<<20 {
		t.Fatalf("heap grew %d MiB holding partial frames", grown>>20)
	}
	for _, nc := range conns {
		nc.Close()
	}
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if n := s.Stats().InboundBytes; n != 0 {
			return fmt.Errorf("%d inbound bytes still reserved", n)
		}
		return nil
	})
	cl := newTestClient(t)
	body := bytes.Repeat([]byte{'z'}, 6<<20)
	resp, err := cl.InvokeSync(ctxTimeout(t, 10*time.Second), addr, NewRequest(1, nil, body))
	if err != nil || !bytes.Equal(resp.Body, body) {
		t.Fatalf("large frame after the attack: %v", err)
	}
}

// TestMaxConnections: connections past MaxConnections are closed at accept, with one
// rate-limited warning, and the open ones keep working.
func TestMaxConnections(t *testing.T) {
	s, rec := newTestServer(t, ServerConfig{MaxConnections: 5})
	s.Handle(1, echo)
	addr := startServer(t, s)
	var conns []net.Conn
	for range 5 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		conns = append(conns, nc)
	}
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if n := len(s.Conns()); n != 5 {
			return fmt.Errorf("%d conns", n)
		}
		return nil
	})
	for range 3 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("connection over the limit: read %v, want EOF", err)
		}
		nc.Close()
	}
	if st := s.Stats(); st.Conns != 5 || st.RefusedConns != 3 {
		t.Fatalf("stats %+v", st)
	}
	if n := len(rec.records(slog.LevelWarn, "too many connections, new ones closed")); n != 1 {
		t.Fatalf("%d warnings, want 1 (rate limited)", n)
	}
	req := mustAppend(t, nil, &Command{Code: 1, Opaque: 1, Body: []byte("ok")})
	if _, err := conns[0].Write(req); err != nil {
		t.Fatal(err)
	}
	conns[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := NewFrameReader(bufio.NewReader(conns[0]), 0).ReadFrame()
	if err != nil || string(resp.Body) != "ok" {
		t.Fatalf("open connection: %v", err)
	}
	// Room again after a close.
	conns[1].Close()
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if n := len(s.Conns()); n != 4 {
			return fmt.Errorf("%d conns", n)
		}
		return nil
	})
	cl := newTestClient(t)
	if _, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(1, nil, nil)); err != nil {
		t.Fatal(err)
	}
}

// TestOutboundShedsStalledHolder: when peers that stopped reading hold the shared outbound
// budget, a response to a healthy peer does not wait for their write timeout: stalled
// holders are closed, largest first, with a warning.
func TestOutboundShedsStalledHolder(t *testing.T) {
	s, rec := newTestServer(t, ServerConfig{ConnOutboundBytes: 4 << 20, OutboundBytes: 16 << 20})
	body := bytes.Repeat([]byte{'h'}, 8<<20) // more than socket buffers take
	s.Handle(1, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		resp := NewResponse(req, CodeSuccess, "")
		resp.Body = append([]byte(nil), body...) // a heap copy, as an admin answer
		return resp
	}))
	s.Handle(2, echo)
	addr := startServer(t, s)
	for range 4 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetReadBuffer(4 << 10)
		}
		var reqs []byte
		for i := range 2 {
			reqs = mustAppend(t, reqs, &Command{Code: 1, Opaque: int32(i)})
		}
		if _, err := nc.Write(reqs); err != nil {
			t.Fatal(err)
		}
	}
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		shed := len(rec.records(slog.LevelWarn, "outbound memory budget exhausted, connection closed"))
		if n := s.Stats().OutboundBytes; n <= 16<<20 && shed == 0 {
			return fmt.Errorf("%d outbound bytes", n)
		}
		return nil
	})
	time.Sleep(1500 * time.Millisecond) // their writes have been blocked for over a second
	cl := newTestClient(t)
	start := time.Now()
	resp, err := cl.InvokeSync(ctxTimeout(t, 10*time.Second), addr, NewRequest(2, nil, []byte("healthy")))
	if err != nil || string(resp.Body) != "healthy" {
		t.Fatalf("healthy request: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("healthy request waited %v for the budget", d)
	}
	// The holder's writer logs its close on its own goroutine, which can run just after the
	// healthy response went out.
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := len(rec.records(slog.LevelWarn, "outbound memory budget exhausted, connection closed")); n == 0 {
			return fmt.Errorf("no stalled holder closed")
		}
		return nil
	})
}

// TestInboundShedsStalledFrames: peers that reserved the inbound budget for a large frame
// and stopped sending it do not keep a frame that is arriving waiting for their timeout:
// they are closed with a warning once they have been silent for a second.
func TestInboundShedsStalledFrames(t *testing.T) {
	s, rec := newTestServer(t, ServerConfig{InboundBytes: 8 << 20})
	s.Handle(1, echo)
	addr := startServer(t, s)
	for range 2 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if _, err := nc.Write(halfFrame(t, 4<<20, 1<<20)); err != nil {
			t.Fatal(err)
		}
	}
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if n := s.Stats().InboundBytes; n != 8<<20 {
			return fmt.Errorf("%d reserved", n)
		}
		return nil
	})
	cl := newTestClient(t)
	body := bytes.Repeat([]byte{'l'}, 1<<20)
	start := time.Now()
	resp, err := cl.InvokeSync(ctxTimeout(t, 10*time.Second), addr, NewRequest(1, nil, body))
	if err != nil || !bytes.Equal(resp.Body, body) {
		t.Fatalf("large frame: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("large frame waited %v for the inbound budget", d)
	}
	// The shed connection's budget is freed as it closes, before its
	// warning is logged: the large frame's answer can come first.
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if len(rec.records(slog.LevelWarn, "frame stalled while the inbound budget is short, connection closed")) == 0 {
			return errors.New("no stalled frame closed")
		}
		return nil
	})
}
