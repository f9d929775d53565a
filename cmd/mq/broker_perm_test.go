package main

import (
	"fmt"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/mq-project/mq/internal/mqtest"
)

// TestBrokerPerm: `mq broker perm -b ADDR r` makes a real broker read-only (brokerPermission=4,
// its routes R--), rw gives writes back; bad permissions are usage errors.
func TestBrokerPerm(t *testing.T) {
	ns, b := sendCluster(t, "PermT")
	if code, out, errOut := runMQ(t, "broker", "perm", "-n", ns, "-b", b.Addr, "r", "--yes"); code != 0 ||
		!regexp.MustCompile(`(?m)^broker +\S+ +`+regexp.QuoteMeta(b.Addr)+` +ok$`).MatchString(out) {
		t.Fatalf("perm r: %d %s %s", code, out, errOut)
	}
	if _, out, _ := runMQ(t, "broker", "config", "-b", b.Addr); !regexp.MustCompile(`(?m)^brokerPermission\s*=?\s*4\b`).MatchString(out) &&
		!regexp.MustCompile(`(?m)^brokerPermission +4$`).MatchString(out) {
		t.Fatalf("config after perm r:\n%s", out)
	}
	mqtest.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		if _, out, _ := runMQ(t, "topic", "route", "-n", ns, "-t", "PermT"); !regexp.MustCompile(`(?m) R--$`).MatchString(out) {
			return fmt.Errorf("route:\n%s", out)
		}
		return nil
	})
	if code, _, errOut := runMQ(t, "broker", "perm", "-n", ns, "-b", b.Addr, "rw", "--yes"); code != 0 {
		t.Fatalf("perm rw: %d %s", code, errOut)
	}
	mqtest.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		if _, out, _ := runMQ(t, "topic", "route", "-n", ns, "-t", "PermT"); !regexp.MustCompile(`(?m) RW-$`).MatchString(out) {
			return fmt.Errorf("route:\n%s", out)
		}
		return nil
	})
	for _, bad := range []string{"rwx", "7", "q"} {
		if code, _, errOut := runMQ(t, "broker", "perm", "-n", ns, "-b", b.Addr, bad, "--yes"); code != exitUsage {
			t.Errorf("perm %s: %d %s", bad, code, errOut)
		}
	}
}

// TestDialAddr: the ports file names an address a client can dial, 127.0.0.1:PORT for a
// wildcard bind, not [::]:PORT or 0.0.0.0:PORT.
func TestDialAddr(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 9876}, "127.0.0.1:9876"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 10911}, "127.0.0.1:10911"},
		{&net.TCPAddr{Port: 1}, "127.0.0.1:1"},
		{&net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 9876}, "10.0.0.5:9876"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 9876}, "[::1]:9876"},
	} {
		if got := dialAddr(tc.addr); got != tc.want {
			t.Errorf("dialAddr(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
