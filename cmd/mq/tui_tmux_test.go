package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/protocol"
)

// unknownTx leaves every transaction unresolved: the half messages stay pending.
type unknownTx struct{}

func (unknownTx) ExecuteLocalTransaction(*primitive.Message) primitive.LocalTransactionState {
	return primitive.UnkonwnState
}

func (unknownTx) CheckLocalTransaction(*primitive.MessageExt) primitive.LocalTransactionState {
	return primitive.UnkonwnState
}

// startStandalone runs the real `mq standalone` (this test binary as mq) with the broker
// properties props and returns its nameserver address.
func startStandalone(t *testing.T, props string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "broker.properties")
	if err := os.WriteFile(cfg, []byte(props), 0o644); err != nil {
		t.Fatal(err)
	}
	ns, _, _ := startStandaloneProc(t, dir, "-c", cfg)
	return ns
}

// lockedBuffer is a bytes.Buffer a child process writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tmuxTUI is `mq tui` running in a detached tmux session on a private server (-S socket).
type tmuxTUI struct {
	t    *testing.T
	sock string
}

func (x *tmuxTUI) tmux(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", x.sock}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (x *tmuxTUI) keys(ks ...string) {
	x.t.Helper()
	x.tmux(append([]string{"send-keys", "-t", "tui"}, ks...)...)
}

// command types a ':' command.
func (x *tmuxTUI) command(c string) { x.t.Helper(); x.keys(":" + c); x.keys("Enter") }

// screen waits until the pane matches every pattern; refresh presses ctrl+r between looks
// (for views that do not refresh themselves).
func (x *tmuxTUI) screen(refresh bool, patterns ...string) string {
	x.t.Helper()
	var s string
	deadline := time.Now().Add(30 * time.Second)
	for {
		s = x.tmux("capture-pane", "-p", "-t", "tui")
		ok := true
		for _, p := range patterns {
			if !regexp.MustCompile(p).MatchString(s) {
				ok = false
			}
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("screen never matched %q:\n%s", patterns, s)
		}
		if refresh {
			x.keys("C-r")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestTUIInTmux drives the real binary in tmux against a real `mq standalone` filled by the
// official Go client — traced messages consumed by a group, a lagging group, messages at
// delay level 16, unresolved half messages, a dead letter — and checks each view shows them.
func TestTUIInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs a standalone cluster and tmux")
	}
	if raceEnabled || os.Getenv("MQ_TUI_E2E") != "1" {
		// The official client races, and keeps process-wide trace state that an earlier
		// test's client poisons: scripts/test.sh runs this test alone, without -race, with
		// MQ_TUI_E2E=1.
		t.Skip("set MQ_TUI_E2E=1 and run it alone without -race (scripts/test.sh does)")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install -y tmux); this end-to-end test needs it")
	}
	if tracedRuns.Add(1) > 1 {
		t.Skip(traceOncePerProcess)
	}
	// Levels 1-15 take a second (the dead letter's retries are quick), 16 keeps 30 minutes.
	ns := startStandalone(t, "messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 30m 1h 2h\n")
	a, err := admin.New(admin.Options{NameServers: []string{ns}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ci, err := a.ClusterInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	bs, _ := admin.Masters(ci, "")
	for _, topic := range []string{"TuiOrders", "TuiDelay", "TuiRetry", admin.RetryTopic("tui-dlq")} {
		tc := protocol.NewTopicConfig(topic)
		tc.ReadQueueNums, tc.WriteQueueNums = 2, 2
		if err := a.CreateTopic(t.Context(), bs, tc).Err(); err != nil {
			t.Fatal(err)
		}
	}
	trace := func() *primitive.TraceConfig {
		return &primitive.TraceConfig{Access: primitive.Local, Resolver: primitive.NewPassthroughResolver([]string{ns})}
	}
	var mu sync.Mutex
	consumed := map[string]bool{}
	c, err := rocketmq.NewPushConsumer(consumer.WithNameServer([]string{ns}), consumer.WithGroupName("tui-consumer"),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset), consumer.WithTrace(trace()))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := rocketmq.NewPushConsumer(consumer.WithNameServer([]string{ns}), consumer.WithGroupName("tui-dlq"),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset), consumer.WithMaxReconsumeTimes(1))
	if err != nil {
		t.Fatal(err)
	}
	p, err := rocketmq.NewProducer(producer.WithNameServer([]string{ns}), producer.WithGroupName("tui-producer"),
		producer.WithRetry(2), producer.WithTrace(trace()))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := producer.NewTransactionProducer(unknownTx{}, producer.WithNameServer([]string{ns}), producer.WithGroupName("tui-txn"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []interface {
		Start() error
		Shutdown() error
	}{p, tp} {
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Shutdown() })
	}
	send := func(m *primitive.Message) string {
		t.Helper()
		res, err := p.SendSync(t.Context(), m)
		if err != nil || res.Status != primitive.SendOK {
			t.Fatalf("send: %v %v", res, err)
		}
		return res.MsgID
	}
	var traced []string
	for i := range 3 {
		traced = append(traced, send(primitive.NewMessage("TuiOrders", fmt.Appendf(nil, `{"n":%d}`, i)).WithKeys([]string{"tui-key"})))
	}
	if err := c.Subscribe("TuiOrders", consumer.MessageSelector{}, func(_ context.Context, ms ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range ms {
			consumed[m.MsgId] = true
		}
		return consumer.ConsumeSuccess, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := dc.Subscribe("TuiRetry", consumer.MessageSelector{}, func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		return consumer.ConsumeRetryLater, nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, pc := range []rocketmq.PushConsumer{c, dc} {
		if err := pc.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pc.Shutdown() })
	}
	mqtest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(consumed) < 3 {
			return fmt.Errorf("%d of 3 consumed", len(consumed))
		}
		return nil
	})
	_ = c.Shutdown() // commits; what comes next is its backlog
	for range 5 {
		send(primitive.NewMessage("TuiOrders", []byte("backlog")))
	}
	for range 2 {
		send(primitive.NewMessage("TuiDelay", []byte("later")).WithDelayTimeLevel(16))
	}
	send(primitive.NewMessage("TuiRetry", []byte("doomed")))
	if _, err := tp.SendMessageInTransaction(t.Context(), primitive.NewMessage("TuiOrders", []byte("undecided"))); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	x := &tmuxTUI{t: t, sock: filepath.Join(dir, "tmux.sock")} // a private server, its socket removed with dir
	x.tmux("-f", "/dev/null", "new-session", "-d", "-s", "tui", "-x", "160", "-y", "48",
		fmt.Sprintf("env MQ_TEST_RUN_MAIN=1 HOME=%s NO_COLOR=1 TERM=xterm-256color %s tui -n %s --refresh 1s --log-file %s",
			dir, os.Args[0], ns, filepath.Join(dir, "tui.log")))
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", x.sock, "kill-server").Run() })

	x.screen(false, `1/1 broker answered`, `ASYNC_MASTER`, regexp.QuoteMeta(bs[0].Addr))
	x.command("topics")
	x.screen(false, `TuiOrders\s+normal`, `TuiDelay`)
	x.command("groups")
	x.screen(false, `tui-consumer\s+5\s`)
	x.command("groups tui-consumer")
	x.screen(false, `total lag 5`, `TuiOrders\s+\S+\s+0\s+`)
	x.command("trace " + traced[0])
	x.screen(true, `send\s+tui-producer`, `consume\s+tui-consumer.*SUCCESS`)
	x.command("key TuiOrders tui-key")
	x.screen(false, `3 messages with key "tui-key"`)
	x.command("msgs TuiOrders")
	x.screen(false, `Messages\(TuiOrders\) \[8\]`)
	x.keys("G", "Enter") // the oldest: a JSON body
	x.screen(false, `body \(json`, `"n": 0`)
	x.command("delay")
	x.screen(false, `16\s+30m0s\s+2\s`)
	x.command("half")
	x.screen(false, `pending half messages:`, `tui-txn`)
	x.command("dlq")
	x.screen(true, `tui-dlq\s+%DLQ%tui-dlq\s+1\s`)
	x.keys("Enter")
	x.screen(false, `DLQ\(tui-dlq\) \[1\]`)
	// R on a message hands it to an online consumer of a group (admin.ConsumeAgain): tui-dlq's
	// consumer asks for a later retry, as it always does.
	x.command("msgs TuiRetry")
	x.screen(false, `Messages\(TuiRetry\) \[1\]`)
	x.keys("Enter")
	x.screen(false, `body \(text`)
	x.keys("R")
	x.keys("tui-dlq", "Enter")
	x.screen(false, `CONFIRM`)
	x.keys("y")
	x.screen(false, `consumed by \S+: CR_LATER`)
	x.keys("q")
}
