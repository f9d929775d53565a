package namesrv

import (
	"testing"

	"go.uber.org/goleak"
)

// The official Go client (used by integration_test.go) starts background goroutines it never
// stops; goleak ignores those by their functions, ours are all checked.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goCGoroutines()...)
}

func goCGoroutines() []goleak.Option {
	var opts []goleak.Option
	for _, f := range []string{
		"github.com/patrickmn/go-cache.(*janitor).Run", // GoC package-level cache, started at init
	} {
		opts = append(opts, goleak.IgnoreAnyFunction(f))
	}
	return opts
}
