package namesrv

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestNamesrvMaxConnections: maxConnections closes connections over the limit at accept.
func TestNamesrvMaxConnections(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxConnections = 2
	s, addr := startServer(t, cfg)
	for range 2 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.rs.Stats().Conns != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", s.rs.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("third connection: %v, want EOF", err)
	}
	if n := s.rs.Stats().RefusedConns; n != 1 {
		t.Fatalf("refused %d", n)
	}
}
