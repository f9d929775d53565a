package e2e

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/rlog"
)

// TestMain fails the package when goroutines of ours outlive the tests. goleak cannot be
// used as is: the official client leaves dozens of goroutines behind after Shutdown (stats
// tickers, pull loops, response futures), so this check looks only at goroutines whose
// stacks hold our module's code and none of the client's.
func TestMain(m *testing.M) {
	rlog.SetLogLevel("error")
	code := m.Run()
	if code == 0 {
		if leaks := ourGoroutines(5 * time.Second); len(leaks) > 0 {
			fmt.Fprintf(os.Stderr, "leaked goroutines:\n\n%s\n", strings.Join(leaks, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// ourGoroutines waits up to d for the goroutines running our module's code (other than
// this one) to end, and returns the stacks of those still running.
func ourGoroutines(d time.Duration) []string {
	deadline := time.Now().Add(d)
	for {
		buf := make([]byte, 8<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaks []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if !strings.Contains(g, "github.com/mq-project/mq/") || strings.Contains(g, "rocketmq-client-go") ||
				strings.Contains(g, "e2e.ourGoroutines") {
				continue
			}
			leaks = append(leaks, g)
		}
		if len(leaks) == 0 || time.Now().After(deadline) {
			return leaks
		}
		time.Sleep(50 * time.Millisecond)
	}
}
