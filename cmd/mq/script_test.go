package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain registers mq so testscript scripts run Main in-process.
func TestMain(m *testing.M) {
	if os.Getenv("MQ_TEST_RUN_MAIN") == "1" {
		os.Exit(Main())
	}
	testscript.Main(m, map[string]func(){
		"mq": func() { exitWith(Main()) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:         "testdata/script",
		WorkdirRoot: t.TempDir(), // removed by the test (testscript's own root outlives a filtered run)
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("NO_COLOR", "1")
			// Under -race every mq child would otherwise sleep 1 s at exit.
			env.Setenv("GORACE", "atexit_sleep_ms=0")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfile":  cmdWaitFile,
			"readports": cmdReadPorts,
		},
	})
}

// cmdWaitFile waits up to 10 s for a file to exist and be non-empty: `waitfile ports`.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile file")
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("waitfile %s: timed out", args[0])
}

// cmdReadPorts reads a ports file and sets $NAMESRV and $BROKER from its lines: `readports
// ports`. A file of one bare address (mq namesrv --ports-file) sets $NAMESRV.
func cmdReadPorts(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: readports file")
	}
	for _, line := range strings.Split(strings.TrimSpace(ts.ReadFile(args[0])), "\n") {
		name, addr, ok := strings.Cut(line, " ")
		if !ok {
			name, addr = "namesrv", line
		}
		ts.Setenv(strings.ToUpper(name), strings.TrimSpace(addr))
	}
}
