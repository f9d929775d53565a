package broker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

func masterConnected(s *Broker) func() error {
	return func() error {
		if s.svc.ha.client == nil || !s.svc.ha.client.Connected() {
			return errors.New("slave not connected to its master")
		}
		return nil
	}
}

// slaveHasTopic: a slave learns its master's topics by its metadata sync, not by
// replication; a slave that has a topic's records but not yet its config answers pulls of it
// TOPIC_NOT_EXIST, as Apache's does. Tests that stop the master wait for this first: stopped
// in the middle of the slave's first sync, the master never hands it over.
func slaveHasTopic(s *Broker, topic string) func() error {
	return func() error {
		if _, ok := s.topics.Get(topic); !ok {
			return fmt.Errorf("slave has no config for topic %s yet", topic)
		}
		return nil
	}
}

// restartOn starts a broker with cfg on addr (the port a stopped broker used).
func restartOn(t *testing.T, cfg Config, addr string) *Broker {
	t.Helper()
	var ln net.Listener
	checkFor(t, 5*time.Second, 20*time.Millisecond, func() (err error) {
		ln, err = net.Listen("tcp", addr)
		return err
	})
	b, err := New(cfg, testLogger(t))
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- b.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil && !errors.Is(err, ErrShutdown) {
			t.Errorf("serve: %v", err)
		}
	})
	return b
}

func queryOffset(t *testing.T, c *remoting.Client, addr, group, topic string, qid int32) (int64, protocol.ResponseCode) {
	t.Helper()
	resp := call(t, c, addr, protocol.QueryConsumerOffset, &protocol.QueryConsumerOffsetRequestHeader{ConsumerGroup: group, Topic: topic, QueueID: qid}, nil)
	if resp.Code != int16(protocol.Success) {
		return 0, protocol.ResponseCode(resp.Code)
	}
	off, _ := strconv.ParseInt(resp.ExtFields["offset"], 10, 64)
	return off, protocol.Success
}

// TestSlaveServesWhenMasterLost: a slave without slaveReadEnable refuses pulls while its
// master is connected, and answers them (suggesting the master) once the master is gone.
func TestSlaveServesWhenMasterLost(t *testing.T) {
	ns := startNamesrv(t)
	c := newTestClient(t, nil)
	mcfg, scfg := haConfigs(t, ns, AsyncMaster)
	scfg.SlaveReadEnable = false
	m, maddr := startMaster(t, c, ns, mcfg)
	for i := range 10 {
		wantCode(t, sendOne(t, c, maddr, "Lost", 0, nil, []byte("m-"+strconv.Itoa(i))), protocol.Success)
	}
	s, saddr := startBroker(t, scfg, fastSync)
	checkFor(t, 10*time.Second, 5*time.Millisecond, slaveCaughtUp(m, s))
	checkFor(t, 10*time.Second, 5*time.Millisecond, masterConnected(s))
	checkFor(t, 10*time.Second, 5*time.Millisecond, slaveHasTopic(s, "Lost"))
	wantCode(t, call(t, c, saddr, protocol.PullMessage, pullHeader("Lost", 0, 0, pullSubscription, "*"), nil), protocol.SystemBusy)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if s.svc.ha.client.Connected() {
			return errors.New("slave still connected")
		}
		return nil
	})
	resp := call(t, c, saddr, protocol.PullMessage, pullHeader("Lost", 0, 0, pullSubscription, "*"), nil)
	wantCode(t, resp, protocol.Success)
	var rh protocol.PullMessageResponseHeader
	if err := protocol.DecodeHeader(resp.ExtFields, &rh); err != nil {
		t.Fatal(err)
	}
	if rh.NextBeginOffset != 10 || rh.SuggestWhichBrokerID != protocol.MasterID {
		t.Fatalf("slave answered next %d suggest %d, want 10 and the master", rh.NextBeginOffset, rh.SuggestWhichBrokerID)
	}
}

// TestActingMasterOffsetsReconciled: offsets committed on a slave acting for its stopped
// master reach the master when it returns; the master keeps the larger offset per queue.
func TestActingMasterOffsetsReconciled(t *testing.T) {
	ns := startNamesrv(t)
	c := newTestClient(t, nil)
	mcfg, scfg := haConfigs(t, ns, AsyncMaster)
	scfg.SlaveReadEnable = false
	mcfg.EnableSlaveActingMaster, scfg.EnableSlaveActingMaster = true, true
	m, maddr := startMaster(t, c, ns, mcfg)
	for i := range 20 {
		wantCode(t, sendOne(t, c, maddr, "Act", int32(i%2), nil, []byte("m-"+strconv.Itoa(i))), protocol.Success)
	}
	commit := func(addr string, qid int32, off int64) {
		t.Helper()
		wantCode(t, call(t, c, addr, protocol.UpdateConsumerOffset, &protocol.UpdateConsumerOffsetRequestHeader{
			ConsumerGroup: "cg", Topic: "Act", QueueID: qid, CommitOffset: off}, nil), protocol.Success)
	}
	commit(maddr, 0, 3)
	commit(maddr, 1, 8) // ahead of what the slave will see committed
	s, saddr := startBroker(t, scfg, fastSync)
	checkFor(t, 10*time.Second, 5*time.Millisecond, slaveCaughtUp(m, s))
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if off, code := queryOffset(t, c, saddr, "cg", "Act", 1); code != protocol.Success || off != 8 {
			return fmt.Errorf("slave offset %d (%d), want 8", off, code)
		}
		return nil
	})
	checkFor(t, 10*time.Second, 5*time.Millisecond, slaveHasTopic(s, "Act"))

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if !s.actingMaster() {
			return errors.New("slave not acting yet")
		}
		return nil
	})
	// A consumer reads queue 0 from the acting slave, committing with its pull.
	resp := call(t, c, saddr, protocol.PullMessage, pullHeader("Act", 0, 7, pullSubscription|pullCommitOffset, "*"), nil)
	wantCode(t, resp, protocol.Success)
	commit(saddr, 0, 10) // UPDATE_CONSUMER_OFFSET to the acting master
	commit(saddr, 1, 5)  // behind the master's 8: the master keeps 8

	restartOn(t, mcfg, maddr)
	checkFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if off, code := queryOffset(t, c, maddr, "cg", "Act", 0); code != protocol.Success || off != 10 {
			return fmt.Errorf("master queue 0 offset %d (%d), want 10", off, code)
		}
		return nil
	})
	if off, _ := queryOffset(t, c, maddr, "cg", "Act", 1); off != 8 {
		t.Fatalf("master queue 1 offset %d, want 8 (the larger)", off)
	}
	// The slave copies the master's table again and keeps the reconciled values.
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		o0, _ := queryOffset(t, c, saddr, "cg", "Act", 0)
		o1, _ := queryOffset(t, c, saddr, "cg", "Act", 1)
		if o0 != 10 || o1 != 8 {
			return fmt.Errorf("slave offsets %d/%d, want 10/8", o0, o1)
		}
		return nil
	})
}

// TestRuntimeInfoMeasured: the disk ratios are the file systems' usage, not constants, and
// the lock time and pool queues are 0 on an idle broker.
func TestRuntimeInfoMeasured(t *testing.T) {
	c := newTestClient(t, nil)
	cfg := testConfig(t)
	_, addr := startBroker(t, cfg, nil)
	wantCode(t, sendOne(t, c, addr, "Ratio", 0, nil, []byte("x")), protocol.Success)
	info := runtimeInfo(t, c, addr)
	var st unix.Statfs_t
	if err := unix.Statfs(cfg.StorePathRootDir, &st); err != nil {
		t.Fatal(err)
	}
	want := float64(st.Blocks-st.Bfree) / float64(st.Blocks)
	for _, k := range []string{"commitLogDiskRatio", "consumeQueueDiskRatio"} {
		got, err := strconv.ParseFloat(info[k], 64)
		if err != nil || got <= 0 || math.Abs(got-want) > 0.05 {
			t.Errorf("%s = %q, want about %.4f", k, info[k], want)
		}
	}
	for _, k := range []string{"pageCacheLockTimeMills", "sendThreadPoolQueueSize", "pullThreadPoolQueueSize"} {
		if info[k] != "0" {
			t.Errorf("%s = %q on an idle broker", k, info[k])
		}
	}
}
