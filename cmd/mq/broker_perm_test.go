package main

import (
	"fmt"
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
