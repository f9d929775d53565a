package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/protocol"
)

// TestAdminScripts runs the admin end-to-end scripts in testdata/admin: a real `mq namesrv`
// started by the script, stand-in Apache brokers started in-process by the fakebroker and
// deadbroker commands, and `mq` run in-process against them.
func TestAdminScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/admin",
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("NO_COLOR", "1")
			// Under -race every exited mq child would sleep 1 s (the race runtime's
			// atexit_sleep_ms default); the scripts run hundreds of them.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			return nil
		},
		Cmds: adminScriptCmds(),
	})
}

// adminScriptCmds are the script commands the admin scripts use.
func adminScriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"waitfile":   cmdWaitFile,
		"readports":  cmdReadPorts,
		"nsaddr":     cmdNsAddr,
		"fakebroker": cmdFakeBroker,
		"deadbroker": cmdDeadBroker,
	}
}

// cmdNsAddr sets NAMESRV_ADDR from a ports file written by `mq namesrv --ports-file`:
// `nsaddr ports`.
func cmdNsAddr(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: nsaddr portsfile")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Setenv("NAMESRV_ADDR", strings.TrimSpace(string(b)))
}

// cmdFakeBroker starts a stand-in Apache broker registered with $NAMESRV_ADDR and stores its
// address in $BROKER_<NAME> (dashes become underscores): `fakebroker CLUSTER NAME [TOPIC...]`.
// Each topic has 2 queues; the broker knows group g1.
func cmdFakeBroker(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: fakebroker cluster name [topic...]")
	}
	b, err := admintest.Start(admintest.Config{Cluster: args[0], Name: args[1], Topics: scriptTopics(args[2:]), Groups: []string{"g1"}})
	ts.Check(err)
	ts.Defer(func() { b.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ts.Check(b.Register(ctx, ts.Getenv("NAMESRV_ADDR")))
	ts.Setenv(brokerEnv(args[1]), b.Addr)
}

// cmdDeadBroker registers a broker at an address where nothing listens and stores the address
// in $BROKER_<NAME>: `deadbroker CLUSTER NAME [TOPIC...]`.
func cmdDeadBroker(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: deadbroker cluster name [topic...]")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := admintest.RegisterDead(ctx, ts.Getenv("NAMESRV_ADDR"), args[0], args[1], scriptTopics(args[2:])...)
	ts.Check(err)
	ts.Defer(func() { d.Close() })
	ts.Setenv(brokerEnv(args[1]), d.Addr)
}

func scriptTopics(names []string) []protocol.TopicConfig {
	var out []protocol.TopicConfig
	for _, n := range names {
		tc := protocol.NewTopicConfig(n)
		tc.ReadQueueNums, tc.WriteQueueNums = 2, 2
		out = append(out, tc)
	}
	return out
}

func brokerEnv(name string) string {
	return "BROKER_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}
