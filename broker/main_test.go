package broker

import (
	"log/slog"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The official Go client (used by integration_test.go) starts a package-level cache janitor
// at init that never stops; goleak ignores it by function, every goroutine of ours is checked.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/patrickmn/go-cache.(*janitor).Run"))
}

func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelDebug
	if _, ok := t.(*testing.B); ok {
		level = slog.LevelWarn // a debug line per request would be most of what a benchmark measures
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
}

// checkFor polls fn every step until it returns nil or total elapses, then fails with its
// last error.
func checkFor(t testing.TB, total, step time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", total, err)
		}
		time.Sleep(step)
	}
}
