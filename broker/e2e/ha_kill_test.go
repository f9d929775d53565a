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

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// childMaster runs a SYNC_MASTER broker-a in a child process (TestChildBroker) on dir, port
// and haPort, and returns a kill that sends SIGKILL and waits for it.
func childMaster(t *testing.T, ns, dir string, port, haPort int) (kill func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildBroker$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+dir, childNsEnv+"="+ns, childRoleEnv+"="+string(broker.SyncMaster),
		childPortEnv+"="+strconv.Itoa(port), childHAPortEnv+"="+strconv.Itoa(haPort))
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
