package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
)

// Environment of the child broker process of TestKill9DelayAndTimer.
const (
	childEnv      = "MQ_E2E_CHILD_BROKER" // store dir
	childNsEnv    = "MQ_E2E_CHILD_NAMESRV"
	childLevelEnv = "MQ_E2E_CHILD_LEVELS"
	// childRoleEnv, childPortEnv and childHAPortEnv (optional) set brokerRole, listenPort
	// and haListenPort (TestSyncMasterKill9).
	childRoleEnv   = "MQ_E2E_CHILD_ROLE"
	childPortEnv   = "MQ_E2E_CHILD_PORT"
	childHAPortEnv = "MQ_E2E_CHILD_HAPORT"
	childActingEnv = "MQ_E2E_CHILD_ACTING" // "1": enableSlaveActingMaster
)

// TestChildBroker is the child process of TestKill9DelayAndTimer: a broker on the given
// store that prints its port and runs until killed. It is skipped in a normal run.
func TestChildBroker(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("only run as the child of TestKill9DelayAndTimer")
	}
	cfg := mqtest.BrokerConfig(t, os.Getenv(childNsEnv))
	cfg.StorePathRootDir = dir
	if l := os.Getenv(childLevelEnv); l != "" {
		cfg.MessageDelayLevel = l
	}
	if r := os.Getenv(childRoleEnv); r != "" {
		cfg.BrokerRole = broker.BrokerRole(r)
	}
	cfg.HaListenPort, _ = strconv.Atoi(os.Getenv(childHAPortEnv))
	cfg.EnableSlaveActingMaster = os.Getenv(childActingEnv) == "1"
	ln, err := net.Listen("tcp", "127.0.0.1:"+cmpOr(os.Getenv(childPortEnv), "0"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ListenPort = ln.Addr().(*net.TCPAddr).Port
	b, err := broker.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	go b.Serve(ln)
	fmt.Printf("PORT %d\n", cfg.ListenPort)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig // never comes: the parent sends SIGKILL
}

// childTempEnv is the TMPDIR of a child broker process: a directory of the parent test, so
// what the child's own t.TempDir creates (it is killed, its cleanup never runs) goes with the
// parent's.
func childTempEnv(t *testing.T) string { return "TMPDIR=" + t.TempDir() }

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestKill9DelayAndTimer: a broker in a child process gets 1,000 delay-level and 1,000
// timer messages, is killed with SIGKILL before any is due, and a broker restarted on the
// same store delivers every one of them (at least once).
func TestKill9DelayAndTimer(t *testing.T) {
	if testing.Short() {
		t.Skip("child process")
	}
	const n = 1000
	const levels = "1s 3s 1h"
	ns := mqtest.StartNamesrv(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestChildBroker$", "-test.v")
	cmd.Env = append(os.Environ(), childTempEnv(t), childEnv+"="+dir, childNsEnv+"="+ns.Addr, childLevelEnv+"="+levels)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitOnce sync.Once
	wait := func() { waitOnce.Do(func() { cmd.Wait() }) }
	t.Cleanup(func() { cmd.Process.Kill(); wait() })
	port := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "PORT "); ok {
			port, _ = strconv.Atoi(p)
			break
		}
	}
	if port == 0 {
		t.Fatal("child broker did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	const topic = "E2EKill"
	c := &cluster{ns: ns, b: &mqtest.Broker{Addr: "127.0.0.1:" + strconv.Itoa(port)}}
	c.waitRoute(t, "broker-a")
	p := newProducer(t, c)
	due := time.Now().Add(4 * time.Second)
	var mu sync.Mutex
	ids := make([]string, 0, 2*n)
	var wg sync.WaitGroup
	errc := make(chan error, 2*n)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < 2*n; i += 8 {
				m := primitive.NewMessage(topic, fmt.Appendf(nil, "m-%d", i))
				if i%2 == 0 {
					m.WithDelayTimeLevel(2) // 3 s
				} else {
					m.WithDelayTimestamp(due)
				}
				res, err := p.SendSync(context.Background(), m)
				if err != nil {
					errc <- err
					return
				}
				mu.Lock()
				ids = append(ids, res.MsgID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("send: %v", err)
	}
	if time.Now().After(due.Add(-time.Second)) {
		t.Logf("sending took until %v before the due time; the kill may come after some deliveries", time.Until(due))
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wait()
	b := mqtest.StartBroker(t, ns.Addr, func(cfg *broker.Config) {
		cfg.StorePathRootDir = dir
		cfg.ListenPort = port
		cfg.MessageDelayLevel = levels
	})
	c.b = b
	c.waitRoute(t, topic)
	a := consumeAll(t, c, nil, "gKill", topic)
	mqtest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		if d := a.distinct(); d < 2*n {
			return fmt.Errorf("%d of %d consumed", d, 2*n)
		}
		return nil
	})
	for _, id := range ids {
		if _, ok := a.at(id); !ok {
			t.Fatalf("%s lost", id)
		}
	}
	if d := a.distinct(); d != 2*n {
		t.Fatalf("%d distinct messages, want %d", d, 2*n)
	}
}
