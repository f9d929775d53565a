package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/namesrv"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// childMaster runs a SYNC_MASTER broker-a in a child process (TestChildBroker) on dir, port
// and haPort, and returns a kill that sends SIGKILL and waits for it.
func childMaster(t *testing.T, ns, dir string, port, haPort int) (kill func()) {
	return childBroker(t, ns, dir, port, haPort, broker.SyncMaster, false)
}

// childBroker runs broker-a with role in a child process; acting sets enableSlaveActingMaster.
func childBroker(t *testing.T, ns, dir string, port, haPort int, role broker.BrokerRole, acting bool) (kill func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildBroker$", "-test.v")
	cmd.Env = append(os.Environ(), childTempEnv(t), childEnv+"="+dir, childNsEnv+"="+ns, childRoleEnv+"="+string(role),
		childPortEnv+"="+strconv.Itoa(port), childHAPortEnv+"="+strconv.Itoa(haPort))
	if acting {
		cmd.Env = append(cmd.Env, childActingEnv+"=1")
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	kill = func() {
		once.Do(func() {
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
		})
	}
	t.Cleanup(kill)
	sc := bufio.NewScanner(out)
	started := false
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "PORT ") {
			started = true
			break
		}
	}
	if !started {
		t.Fatal("child broker did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return kill
}

// freePort returns a port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestSyncMasterKill9: a SYNC_MASTER in a child process is killed with SIGKILL ten times
// under load and restarted on its store; after every kill, every message it acknowledged
// (SEND_OK, which a SYNC_MASTER gives only once its slave has the message) is on the slave,
// and at the end on both.
func TestSyncMasterKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("child processes")
	}
	ns := mqtest.StartNamesrv(t)
	dir := t.TempDir()
	port, haPort := freePort(t), freePort(t)
	maddr := "127.0.0.1:" + strconv.Itoa(port)
	kill := childMaster(t, ns.Addr, dir, port, haPort)
	const topic = "SyncKill"
	rc := remoting.NewClient(remoting.ClientConfig{})
	defer rc.Close()
	send := func(i int) (protocol.ResponseCode, error) {
		h := &protocol.SendMessageRequestHeader{ProducerGroup: "pg", Topic: topic, DefaultTopic: "TBW102",
			DefaultTopicQueueNums: 2, QueueID: int32(i % 2), BornTimestamp: time.Now().UnixMilli()}
		ext := map[string]string{}
		h.Encode(ext)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		resp, err := rc.InvokeSync(ctx, maddr, remoting.NewRequest(int16(protocol.SendMessage), ext, []byte("k-"+strconv.Itoa(i))))
		if err != nil {
			return 0, err
		}
		return protocol.ResponseCode(resp.Code), nil
	}
	// The topic exists (auto-created) before the slave starts, so its first sync copies it.
	if code, err := send(-2); err != nil || (code != protocol.Success && code != protocol.SlaveNotAvailable) {
		t.Fatalf("first send: %v %v", code, err)
	}
	s := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) {
		c.BrokerRole, c.BrokerID, c.SlaveReadEnable, c.HaSendHeartbeatInterval = broker.Slave, 1, true, 200
	})
	slaveConnected := func() error {
		if runtimeInfo(t, s.Addr)["haConnected"] != "true" {
			return fmt.Errorf("slave not connected to the master")
		}
		return nil
	}
	mqtest.CheckFor(t, 10*time.Second, 10*time.Millisecond, slaveConnected)

	var (
		mu    sync.Mutex
		acked []string
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for i := 0; !stop.Load(); i++ {
			code, err := send(i)
			if err == nil && code == protocol.Success {
				mu.Lock()
				acked = append(acked, "k-"+strconv.Itoa(i))
				mu.Unlock()
			} else if err != nil {
				time.Sleep(5 * time.Millisecond) // the master is down
			}
		}
	})
	onSlave := func() map[string]bool {
		have := map[string]bool{}
		for q := range int32(2) {
			for _, m := range rawPullAll(t, s.Addr, topic, q) {
				have[string(m.Body)] = true
			}
		}
		return have
	}
	missing := func(have map[string]bool, want []string) []string {
		var out []string
		for _, w := range want {
			if !have[w] {
				out = append(out, w)
			}
		}
		return out
	}
	total := 0
	for round := range 10 {
		mu.Lock()
		before := len(acked)
		mu.Unlock()
		mqtest.CheckFor(t, 10*time.Second, 5*time.Millisecond, func() error {
			mu.Lock()
			defer mu.Unlock()
			if len(acked) < before+50 {
				return fmt.Errorf("round %d: %d acked, want %d", round, len(acked), before+50)
			}
			return nil
		})
		kill()
		mu.Lock()
		snapshot := append([]string(nil), acked...)
		mu.Unlock()
		// Wait for the slave to apply what it received (it acked those bytes first).
		mqtest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
			if miss := missing(onSlave(), snapshot); len(miss) > 0 {
				return fmt.Errorf("round %d: %d of %d acknowledged messages not on the slave, first %s", round, len(miss), len(snapshot), miss[0])
			}
			return nil
		})
		total = len(snapshot)
		kill = childMaster(t, ns.Addr, dir, port, haPort)
		mqtest.CheckFor(t, 20*time.Second, 10*time.Millisecond, slaveConnected)
	}
	stop.Store(true)
	wg.Wait()
	mu.Lock()
	final := append([]string(nil), acked...)
	mu.Unlock()
	mqtest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if miss := missing(onSlave(), final); len(miss) > 0 {
			return fmt.Errorf("%d acknowledged messages not on the slave", len(miss))
		}
		onMaster := map[string]bool{}
		for q := range int32(2) {
			for _, m := range rawPullAll(t, maddr, topic, q) {
				onMaster[string(m.Body)] = true
			}
		}
		if miss := missing(onMaster, final); len(miss) > 0 {
			return fmt.Errorf("%d acknowledged messages not on the restarted master", len(miss))
		}
		return nil
	})
	t.Logf("10 kills: %d messages acknowledged (%d before the last kill), all on the slave and the master", len(final), total)
}

// TestGoClientKill9Failover: broker-a's master (a child process, acting master enabled, as
// is the nameserver's supportActingMaster) is killed with SIGKILL while the official client
// sends to it. A push consumer that was running and a consumer group started after the kill
// both receive every acknowledged message from the slave before the master returns; after it
// returns (same store and ports) neither receives more than a few duplicates.
func TestGoClientKill9Failover(t *testing.T) {
	if testing.Short() {
		t.Skip("child process; waits for the official client's 30 s route refresh")
	}
	ns := mqtest.StartNamesrv(t, func(c *namesrv.Config) { c.SupportActingMaster = true })
	dir := t.TempDir()
	port, haPort := freePort(t), freePort(t)
	kill := childBroker(t, ns.Addr, dir, port, haPort, broker.AsyncMaster, true)
	m := &mqtest.Broker{Addr: "127.0.0.1:" + strconv.Itoa(port)}
	c := &cluster{ns: ns, b: m}
	c.waitRoute(t, "broker-a")
	const topic = "KillFail"
	p := newProducer(t, c)
	if _, err := p.SendSync(t.Context(), primitive.NewMessage(topic, []byte("first"))); err != nil { // auto-creates the topic
		t.Fatal(err)
	}
	s := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) {
		c.BrokerRole, c.BrokerID, c.HaSendHeartbeatInterval, c.EnableSlaveActingMaster = broker.Slave, 1, 200, true
	})
	mqtest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if runtimeInfo(t, s.Addr)["haConnected"] != "true" {
			return fmt.Errorf("slave not connected")
		}
		return nil
	})
	var running bodySet
	startPush(t, c, "cg-running", topic, "*", func(m *primitive.MessageExt) consumer.ConsumeResult {
		running.add(string(m.Body))
		return consumer.ConsumeSuccess
	})
	acked := []string{"first"}
	for i := range 200 {
		b := "kf-" + strconv.Itoa(i)
		res, err := p.SendSync(t.Context(), primitive.NewMessage(topic, []byte(b)))
		if err == nil && res.Status == primitive.SendOK {
			acked = append(acked, b)
		}
		if i == 150 {
			kill() // mid-load
			break
		}
	}
	// An ASYNC_MASTER acknowledges before the slave has the message: wait until the slave
	// holds what it got (the kill may have cut the last few; they are not expected).
	time.Sleep(500 * time.Millisecond)
	onSlave := bodySet{}
	for q := range int32(4) {
		for _, me := range rawPullAll(t, s.Addr, topic, q) {
			onSlave.add(string(me.Body))
		}
	}
	var want []string
	for _, a := range acked {
		if onSlave.has([]string{a}) == nil {
			want = append(want, a)
		}
	}
	if len(want) < len(acked)-5 {
		t.Fatalf("only %d of %d acknowledged messages reached the ASYNC slave", len(want), len(acked))
	}
	var late bodySet
	startPush(t, c, "cg-late", topic, "*", func(m *primitive.MessageExt) consumer.ConsumeResult {
		late.add(string(m.Body))
		return consumer.ConsumeSuccess
	})
	mqtest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error { return late.has(want) })
	mqtest.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error { return running.has(want) })
	t.Logf("%d acknowledged, %d on the slave; both groups got them from the slave", len(acked), len(want))

	childBroker(t, ns.Addr, dir, port, haPort, broker.AsyncMaster, true)
	mqtest.CheckFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if runtimeInfo(t, s.Addr)["haConnected"] != "true" {
			return fmt.Errorf("slave not connected to the returned master")
		}
		return nil
	})
	p2 := newProducer(t, c)
	after := bodies("back", 10)
	for _, b := range after {
		if _, err := p2.SendSync(t.Context(), primitive.NewMessage(topic, []byte(b))); err != nil {
			t.Fatal(err)
		}
	}
	mqtest.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
		if err := late.has(after); err != nil {
			return err
		}
		return running.has(after)
	})
	for name, set := range map[string]*bodySet{"running": &running, "late": &late} {
		set.mu.Lock()
		dups := 0
		for _, n := range set.m {
			dups += n - 1
		}
		set.mu.Unlock()
		t.Logf("%s consumer: %d duplicates", name, dups)
		if dups > 32 { // at most a pull batch per queue in flight
			t.Errorf("%s consumer got %d duplicates", name, dups)
		}
	}
}
