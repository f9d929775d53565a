package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mq-project/mq/broker/ha"
	"github.com/mq-project/mq/broker/timer"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// haConfigs returns a master (role) and slave configuration of broker-a on ns.
func haConfigs(t *testing.T, ns string, role BrokerRole) (Config, Config) {
	m := testConfig(t)
	m.NamesrvAddr = ns
	m.BrokerRole = role
	m.HaSendHeartbeatInterval = 200
	s := testConfig(t)
	s.NamesrvAddr = ns
	s.BrokerRole = Slave
	s.BrokerID = 1
	s.SlaveReadEnable = true
	s.HaSendHeartbeatInterval = 200
	return m, s
}

// fastSync makes a slave copy metadata from its master every 50 ms.
func fastSync(b *Broker) { b.svc.ha.syncInterval = 50 * time.Millisecond }

// startMaster starts a master and waits until the nameserver routes TBW102 to it, so a
// slave started next learns the master from its first registration.
func startMaster(t *testing.T, c *remoting.Client, ns string, cfg Config) (*Broker, string) {
	t.Helper()
	m, addr := startBroker(t, cfg, nil)
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		rd, code := route(t, c, ns, "TBW102")
		if code != protocol.Success || len(rd.BrokerDatas) == 0 || rd.BrokerDatas[0].BrokerAddrs[0] != addr {
			return fmt.Errorf("master not routed yet: %d %+v", code, rd.BrokerDatas)
		}
		return nil
	})
	return m, addr
}

func slaveCaughtUp(m, s *Broker) func() error {
	return func() error {
		if a, b := s.ms.CommitLogMaxOffset(), m.ms.CommitLogMaxOffset(); a != b {
			return fmt.Errorf("slave at %d, master at %d", a, b)
		}
		return nil
	}
}

func runtimeInfo(t *testing.T, c *remoting.Client, addr string) map[string]string {
	t.Helper()
	resp := call(t, c, addr, protocol.GetBrokerRuntimeInfo, nil, nil)
	wantCode(t, resp, protocol.Success)
	var kv protocol.KVTable
	if err := protocol.DecodeBody(resp.Body, &kv); err != nil {
		t.Fatal(err)
	}
	return kv.Table
}

// sameRecords checks that every message of topic/queue on the master is on the slave at the
// same physical offset, byte for byte.
func sameRecords(t *testing.T, m, s *Broker, topic string, qid int32) int {
	t.Helper()
	mr, err := m.ms.GetMessages(topic, qid, 0, 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mr.Release()
	sr, err := s.ms.GetMessages(topic, qid, 0, 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Release()
	if len(mr.Messages) != len(sr.Messages) {
		t.Fatalf("%s-%d: master %d messages, slave %d", topic, qid, len(mr.Messages), len(sr.Messages))
	}
	for i := range mr.Messages {
		if mr.Messages[i].PhysicalOffset() != sr.Messages[i].PhysicalOffset() || !bytes.Equal(mr.Messages[i], sr.Messages[i]) {
			t.Fatalf("%s-%d message %d differs", topic, qid, i)
		}
	}
	return len(mr.Messages)
}

// TestMasterSlaveReplication runs a nameserver, an ASYNC_MASTER and its SLAVE on loopback.
func TestMasterSlaveReplication(t *testing.T) {
	ns := startNamesrv(t)
	c := newTestClient(t, nil)
	mcfg, scfg := haConfigs(t, ns, AsyncMaster)
	m, maddr := startMaster(t, c, ns, mcfg)
	for i := range 20 {
		wantCode(t, sendOne(t, c, maddr, "HaT", int32(i%2), map[string]string{"KEYS": "k" + strconv.Itoa(i)}, []byte("before-"+strconv.Itoa(i))), protocol.Success)
	}
	s, saddr := startBroker(t, scfg, fastSync)

	// The route names both; the slave learned the master and copies its CommitLog.
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		rd, _ := route(t, c, ns, "HaT")
		if len(rd.BrokerDatas) != 1 || rd.BrokerDatas[0].BrokerAddrs[0] != maddr || rd.BrokerDatas[0].BrokerAddrs[1] != saddr {
			return fmt.Errorf("route %+v", rd.BrokerDatas)
		}
		return nil
	})
	checkFor(t, 10*time.Second, 5*time.Millisecond, slaveCaughtUp(m, s))
	for i := range 30 {
		wantCode(t, sendOne(t, c, maddr, "HaT", int32(i%2), nil, []byte("after-"+strconv.Itoa(i))), protocol.Success)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, slaveCaughtUp(m, s))
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		// Both sides: a send is answered once in the CommitLog, and the master's dispatcher
		// may still be coalescing the last ones into its ConsumeQueue.
		for _, b := range []*Broker{m, s} {
			if b.ms.MaxOffset("HaT", 0) != 25 || b.ms.MaxOffset("HaT", 1) != 25 {
				return fmt.Errorf("queues %d %d", b.ms.MaxOffset("HaT", 0), b.ms.MaxOffset("HaT", 1))
			}
		}
		return nil
	})
	if n := sameRecords(t, m, s, "HaT", 0) + sameRecords(t, m, s, "HaT", 1); n != 50 {
		t.Fatalf("%d messages compared", n)
	}

	// A raw PULL on the slave returns them; a send is refused.
	resp := call(t, c, saddr, protocol.PullMessage, pullHeader("HaT", 1, 0, pullSubscription, "*"), nil)
	wantCode(t, resp, protocol.Success)
	var ph protocol.PullMessageResponseHeader
	ph.Decode(resp.ExtFields)
	if ph.NextBeginOffset != 25 || ph.SuggestWhichBrokerID != 0 {
		t.Fatalf("slave pull header %+v", ph)
	}
	// The master sends a consumer that is far behind (here: any distance, ratio 0) to the
	// slave when slaveReadEnable is on, and keeps it otherwise.
	for _, tc := range []struct {
		readEnable bool
		want       int64
	}{{false, 0}, {true, 1}} {
		mc := m.Config()
		mc.SlaveReadEnable, mc.AccessMessageInMemoryMaxRatio = tc.readEnable, 0
		m.live.Store(&mc)
		resp := call(t, c, maddr, protocol.PullMessage, pullHeader("HaT", 1, 0, pullSubscription, "*"), nil)
		wantCode(t, resp, protocol.Success)
		var mh protocol.PullMessageResponseHeader
		mh.Decode(resp.ExtFields)
		if mh.SuggestWhichBrokerID != tc.want {
			t.Errorf("slaveReadEnable=%v: master suggests %d, want %d", tc.readEnable, mh.SuggestWhichBrokerID, tc.want)
		}
	}
	refused := sendOne(t, c, saddr, "HaT", 0, nil, []byte("x"))
	wantCode(t, refused, protocol.ServiceNotAvailable)
	if refused.Remark != slaveRefusedRemark {
		t.Errorf("remark %q", refused.Remark)
	}
	wantCode(t, call(t, c, saddr, protocol.EndTransaction, &protocol.EndTransactionRequestHeader{ProducerGroup: "pg",
		TranStateTableOffset: 1, CommitLogOffset: 1, CommitOrRollback: 8}, nil), protocol.SlaveNotAvailable)

	// Metadata: a topic created on the master and a committed offset reach the slave and its files.
	wantCode(t, call(t, c, maddr, protocol.UpdateAndCreateTopic, &protocol.CreateTopicRequestHeader{Topic: "HaNew",
		DefaultTopic: "TBW102", ReadQueueNums: 3, WriteQueueNums: 3, Perm: 6, TopicFilterType: "SINGLE_TAG"}, nil), protocol.Success)
	wantCode(t, call(t, c, maddr, protocol.UpdateConsumerOffset, &protocol.UpdateConsumerOffsetRequestHeader{
		ConsumerGroup: "gHa", Topic: "HaT", QueueID: 1, CommitOffset: 17}, nil), protocol.Success)
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if _, ok := s.topics.Get("HaNew"); !ok {
			return errors.New("topic not synced")
		}
		if off, ok := s.offsets.Query("gHa", "HaT", 1); !ok || off != 17 {
			return fmt.Errorf("offset %d %v", off, ok)
		}
		for _, f := range []string{"topics.json", "consumerOffset.json", "subscriptionGroup.json", "delayOffset.json"} {
			b, err := os.ReadFile(filepath.Join(scfg.ConfigDir(), f))
			if err != nil {
				return err
			}
			if f == "topics.json" && !bytes.Contains(b, []byte("HaNew")) {
				return errors.New("topics.json lacks HaNew")
			}
			if f == "consumerOffset.json" && !bytes.Contains(b, []byte("HaT@gHa")) {
				return errors.New("consumerOffset.json lacks HaT@gHa")
			}
		}
		return nil
	})

	// Runtime info shows the connection on both sides.
	mi := runtimeInfo(t, c, maddr)
	if mi["haConnectionCount"] != "1" || mi["slaveFallBehindMuch"] != "0" {
		t.Errorf("master runtime info: count=%q behind=%q", mi["haConnectionCount"], mi["slaveFallBehindMuch"])
	}
	si := runtimeInfo(t, c, saddr)
	if si["haConnected"] != "true" || si["haMasterAddress"] == "" {
		t.Errorf("slave runtime info: %q %q", si["haConnected"], si["haMasterAddress"])
	}

	// The slave restarted on its store resumes from its offset.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		wantCode(t, sendOne(t, c, maddr, "HaT", 0, nil, []byte("while-down-"+strconv.Itoa(i))), protocol.Success)
	}
	s2, _ := startBroker(t, scfg, fastSync)
	if rep := s2.ms.Recovery(); rep.DroppedBytes != 0 {
		t.Errorf("restarted slave dropped %d bytes", rep.DroppedBytes)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, slaveCaughtUp(m, s2))
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if m.ms.MaxOffset("HaT", 0) != 35 || s2.ms.MaxOffset("HaT", 0) != 35 {
			return fmt.Errorf("queue 0 at %d on the master, %d on the slave", m.ms.MaxOffset("HaT", 0), s2.ms.MaxOffset("HaT", 0))
		}
		return nil
	})
	sameRecords(t, m, s2, "HaT", 0)

	// Master stopped mid-stream (sends still arriving): the slave keeps what it acked, and
	// its CommitLog is byte for byte the master's up to its end.
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := 0; ; i++ {
			resp, err := c.InvokeSync(t.Context(), maddr, sendRequest("HaT", 1, bytes.Repeat([]byte{'z'}, 1000+i%100)))
			if err != nil || resp.Code != int16(protocol.Success) {
				return
			}
		}
	}()
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if m.ms.MaxOffset("HaT", 1) < 100 {
			return errNotYet
		}
		return nil
	})
	acked := m.svc.ha.server.Load().Acked()
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	<-sent
	if got := s2.ms.CommitLogMaxOffset(); got < acked {
		t.Fatalf("slave at %d after master stop, it had acked %d", got, acked)
	}
	end := s2.ms.CommitLogMaxOffset()
	mb, sb := commitLogPrefix(t, mcfg, end), commitLogPrefix(t, scfg, end)
	if !bytes.Equal(mb, sb) {
		t.Fatalf("slave CommitLog differs from the master's below %d", end)
	}
	resp = call(t, c, s2.Addr(), protocol.PullMessage, pullHeader("HaT", 1, 0, pullSubscription, "*"), nil)
	wantCode(t, resp, protocol.Success)
}

// sendRequest is a SEND_MESSAGE request.
func sendRequest(topic string, qid int32, body []byte) *remoting.Command {
	h := &protocol.SendMessageRequestHeader{ProducerGroup: "pg", Topic: topic, DefaultTopic: "TBW102",
		DefaultTopicQueueNums: 4, QueueID: qid, BornTimestamp: time.Now().UnixMilli()}
	ext := map[string]string{}
	h.Encode(ext)
	return remoting.NewRequest(int16(protocol.SendMessage), ext, body)
}

// commitLogPrefix reads the first n bytes of a broker's CommitLog files.
func commitLogPrefix(t *testing.T, cfg Config, n int64) []byte {
	t.Helper()
	dir := cfg.CommitLogDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, e := range ents {
		if int64(len(all)) >= n {
			break
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if int64(len(all)) < n {
		t.Fatalf("%s holds %d bytes, want %d", dir, len(all), n)
	}
	return all[:n]
}

// TestSlaveReadDisabled: a slave without slaveReadEnable rejects pulls as Apache 5 does.
func TestSlaveReadDisabled(t *testing.T) {
	ns := startNamesrv(t)
	c := newTestClient(t, nil)
	mcfg, scfg := haConfigs(t, ns, AsyncMaster)
	scfg.SlaveReadEnable = false
	startMaster(t, c, ns, mcfg)
	s, saddr := startBroker(t, scfg, nil)
	checkFor(t, 10*time.Second, 5*time.Millisecond, masterConnected(s))
	wantCode(t, call(t, c, saddr, protocol.PullMessage, pullHeader("TBW102", 0, 0, pullSubscription, "*"), nil), protocol.SystemBusy)
}

// TestSyncMaster: a SYNC_MASTER send answers SLAVE_NOT_AVAILABLE without a slave (the message
// is stored), SUCCESS once the slave has it, and FLUSH_SLAVE_TIMEOUT when the slave does not
// ack in time.
func TestSyncMaster(t *testing.T) {
	ns := startNamesrv(t)
	c := newTestClient(t, nil)
	mcfg, scfg := haConfigs(t, ns, SyncMaster)
	mcfg.SyncFlushTimeout = 500
	m, maddr := startMaster(t, c, ns, mcfg)
	wantCode(t, sendOne(t, c, maddr, "SyncT", 0, nil, []byte("lonely")), protocol.SlaveNotAvailable)
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if m.ms.MaxOffset("SyncT", 0) != 1 {
			return errNotYet
		}
		return nil
	})

	// A fake slave that reports 0 and never acks: the wait times out. It is registered as a
	// slave of broker-a, or the master would not admit it (ha_admit.go).
	registerFakeSlave(t, c, ns, scfg)
	hc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(m.svc.ha.port))
	if err != nil {
		t.Fatal(err)
	}
	var rep [ha.ReportLen]byte
	ha.PutReport(rep[:], 0)
	if _, err := hc.Write(rep[:]); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if len(m.svc.ha.server.Load().Slaves()) != 1 {
			return errNotYet
		}
		return nil
	})
	start := time.Now()
	wantCode(t, sendOne(t, c, maddr, "SyncT", 0, nil, []byte("unacked")), protocol.FlushSlaveTimeout)
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("timed out after %v, want about syncFlushTimeout", d)
	}
	hc.Close()
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if len(m.svc.ha.server.Load().Slaves()) != 0 {
			return errNotYet
		}
		return nil
	})

	s, _ := startBroker(t, scfg, nil)
	checkFor(t, 10*time.Second, 5*time.Millisecond, slaveCaughtUp(m, s))
	for i := range 5 {
		resp := sendOne(t, c, maddr, "SyncT", 0, nil, []byte("acked-"+strconv.Itoa(i)))
		wantCode(t, resp, protocol.Success)
		// When the send returns, the slave has the record.
		if got, want := s.ms.CommitLogMaxOffset(), m.ms.CommitLogMaxOffset(); got < want {
			t.Fatalf("send %d returned with the slave at %d < %d", i, got, want)
		}
	}
	// The slave's ConsumeQueue follows its CommitLog through its own dispatcher.
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if s.ms.MaxOffset("SyncT", 0) != 7 || m.ms.MaxOffset("SyncT", 0) != 7 { // lonely, unacked, 5 acked
			return errNotYet
		}
		return nil
	})
	sameRecords(t, m, s, "SyncT", 0)
}

// TestSlaveStartedBeforeItsMaster: a slave whose first registration named no master (its
// master was not up yet) asks the nameservers again soon, doubling from the registrar's
// retry, instead of waiting for the first periodic registration 10 s after start: it
// replicates from a master started after it within seconds, and a SYNC_MASTER accepts sends.
func TestSlaveStartedBeforeItsMaster(t *testing.T) {
	ns := startNamesrv(t)
	c := newTestClient(t, nil)
	mcfg, scfg := haConfigs(t, ns, SyncMaster)
	s, _ := startBroker(t, scfg, func(b *Broker) { b.reg.retry = 50 * time.Millisecond })
	select {
	case <-s.reg.firstRegistered():
	case <-time.After(5 * time.Second):
		t.Fatal("the slave did not register")
	}
	if !s.awaitingMaster() {
		t.Fatal("the slave learned a master before any was started")
	}
	_, maddr := startBroker(t, mcfg, nil)
	checkFor(t, 5*time.Second, 5*time.Millisecond, masterConnected(s))
	if s.awaitingMaster() {
		t.Fatal("connected but still awaiting its master")
	}
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if resp := sendOne(t, c, maddr, "Early", 0, nil, []byte("x")); resp.Code != int16(protocol.Success) {
			return fmt.Errorf("send answered %d (%s)", resp.Code, resp.Remark)
		}
		return nil
	})
}

// TestSlaveLearnsNewTopicAtOnce: a topic created on the master after the slave's last
// metadata sync reaches the slave's config with its first replicated message, not at the
// next periodic sync 10 s later, so the slave can serve it should the master go away.
func TestSlaveLearnsNewTopicAtOnce(t *testing.T) {
	ns := startNamesrv(t)
	c := newTestClient(t, nil)
	mcfg, scfg := haConfigs(t, ns, AsyncMaster)
	_, maddr := startMaster(t, c, ns, mcfg)
	s, _ := startBroker(t, scfg, nil) // the default sync period
	checkFor(t, 10*time.Second, 5*time.Millisecond, masterConnected(s))
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error { // the sync at start ran
		s.svc.ha.mu.Lock()
		defer s.svc.ha.mu.Unlock()
		if s.svc.ha.lastSync.IsZero() {
			return errors.New("no metadata sync yet")
		}
		return nil
	})
	if _, ok := s.topics.Get("Fresh"); ok {
		t.Fatal("the slave knows the topic before it exists")
	}
	wantCode(t, sendOne(t, c, maddr, "Fresh", 0, nil, []byte("x")), protocol.Success) // created by the send
	checkFor(t, 5*time.Second, 5*time.Millisecond, slaveHasTopic(s, "Fresh"))
}

// TestLearnTopicWakesOncePerTopic: the slave's dispatcher wakes the metadata sync once for a
// topic it has no config for, never for one it has, and not again for a topic the sync did
// not bring (the timer's records have no topic config: they must not sync every second).
func TestLearnTopicWakesOncePerTopic(t *testing.T) {
	cfg := testConfig(t)
	cfg.BrokerRole, cfg.BrokerID = Slave, 1
	b, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.Shutdown(ctx)
	}()
	wakes := make(chan struct{}, 8)
	b.svc.ha.syncWake = wakes // not started: no sync loop reads it
	if err := b.Topics().Update(protocol.NewTopicConfig("Known")); err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{"Known", "New", "Known", "New", timer.Topic, timer.Topic, "New"} {
		b.learnTopic(topic)
	}
	if len(wakes) != 2 {
		t.Fatalf("%d wakes, want 2 (New and the timer's topic, once each)", len(wakes))
	}
	for i := range maxTopicWakes + 10 {
		b.learnTopic("T" + strconv.Itoa(i))
	}
	if n := len(b.svc.ha.topicWakes); n != maxTopicWakes {
		t.Fatalf("%d topics remembered, want the bound %d", n, maxTopicWakes)
	}
}
