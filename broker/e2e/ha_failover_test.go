package e2e

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/namesrv"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// haPair starts a nameserver, an ASYNC_MASTER broker-a with topic (queues queues) and its
// SLAVE with default slave settings (slaveReadEnable=false); edit changes both brokers'
// configurations and nsEdit the nameserver's.
func haPair(t *testing.T, topic string, queues int32, nsEdit func(*namesrv.Config), edit func(*broker.Config)) (*cluster, *mqtest.Broker) {
	t.Helper()
	var nsOpts []func(*namesrv.Config)
	if nsEdit != nil {
		nsOpts = append(nsOpts, nsEdit)
	}
	ns := mqtest.StartNamesrv(t, nsOpts...)
	m := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) {
		c.BrokerRole = broker.AsyncMaster
		if edit != nil {
			edit(c)
		}
	})
	c := &cluster{ns: ns, b: m}
	c.createTopic(t, topic, queues) // before the slave starts: its first sync copies it
	s := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) {
		c.BrokerRole, c.BrokerID = broker.Slave, 1
		c.HaSendHeartbeatInterval = 200
		if edit != nil {
			edit(c)
		}
	})
	return c, s
}

// waitCaughtUp waits until the slave's CommitLog ends where the master's does and its
// metadata sync has brought it topic's config: a slave that never synced has no config for
// the topic and answers TOPIC_NOT_EXIST once the master is gone.
func waitCaughtUp(t *testing.T, m, s *mqtest.Broker, topic string) {
	t.Helper()
	a, err := admin.New(admin.Options{BrokersOnly: true, Logger: mqtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	mqtest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		mi, err := a.BrokerRuntimeInfo(t.Context(), m.Addr)
		if err != nil {
			return err
		}
		si, err := a.BrokerRuntimeInfo(t.Context(), s.Addr)
		if err != nil || si["commitLogMaxOffset"] != mi["commitLogMaxOffset"] {
			return fmt.Errorf("slave at %s (%v), master at %s", si["commitLogMaxOffset"], err, mi["commitLogMaxOffset"])
		}
		tc, err := a.AllTopicConfig(t.Context(), s.Addr)
		if err != nil {
			return err
		}
		if _, ok := tc.TopicConfigTable[topic]; !ok {
			return fmt.Errorf("the slave has no config for %s yet", topic)
		}
		return nil
	})
}

func stopBroker(t *testing.T, b *mqtest.Broker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestGoClientRunningConsumerFailsOverToSlave: with default settings (the slave has no
// slaveReadEnable), a push consumer that was reading broker-a when its master stopped reads
// the rest of broker-a's messages from the slave. The consumer is held back (pull threshold
// 1, a blocked listener) so that nearly all messages are still unread when the master stops.
// GoC finds the slave at its next route refresh (every 30 s, fixed in GoC).
func TestGoClientRunningConsumerFailsOverToSlave(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the official client's 30 s route refresh")
	}
	const topic = "FailRun"
	c, s := haPair(t, topic, 1, nil, nil)
	p := newProducer(t, c)
	gate := make(chan struct{})
	first := make(chan struct{})
	var once sync.Once
	var got bodySet
	startPush(t, c, "cg-failrun", topic, "*", func(m *primitive.MessageExt) consumer.ConsumeResult {
		once.Do(func() { close(first) })
		<-gate
		got.add(string(m.Body))
		return consumer.ConsumeSuccess
	}, consumer.WithPullBatchSize(1), consumer.WithPullThresholdForQueue(1), consumer.WithConsumeMessageBatchMaxSize(1))
	want := bodies("run", 40)
	for _, b := range want {
		if _, err := p.SendSync(t.Context(), primitive.NewMessage(topic, []byte(b))); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-first:
	case <-time.After(20 * time.Second):
		t.Fatal("consumer got nothing from the master")
	}
	waitCaughtUp(t, c.b, s, topic)
	stopBroker(t, c.b)
	close(gate)
	mqtest.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error { return got.has(want) })
}

// TestGoClientActingMaster: with enableSlaveActingMaster on the brokers and
// supportActingMaster on the nameserver, a consumer group started while broker-a's master
// is down consumes every message from the slave, which the route presents as brokerId 0 and
// which takes its offsets; when the master returns it has those offsets, and the running
// consumer goes on without re-receiving what it consumed.
func TestGoClientActingMaster(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the official client's 30 s route refresh")
	}
	const topic = "FailAct"
	const group = "cg-acting"
	acting := func(c *broker.Config) { c.EnableSlaveActingMaster = true }
	c, s := haPair(t, topic, 2, func(c *namesrv.Config) { c.SupportActingMaster = true }, acting)
	p := newProducer(t, c)
	want := bodies("act", 40)
	for _, b := range want {
		if _, err := p.SendSync(t.Context(), primitive.NewMessage(topic, []byte(b))); err != nil {
			t.Fatal(err)
		}
	}
	waitCaughtUp(t, c.b, s, topic)
	mcfg := c.b.Config
	stopBroker(t, c.b)

	rc := remoting.NewClient(remoting.ClientConfig{})
	defer rc.Close()
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		rd, err := routeOf(t, rc, c.ns.Addr, topic)
		if err != nil {
			return err
		}
		if len(rd.BrokerDatas) != 1 || rd.BrokerDatas[0].BrokerAddrs[protocol.MasterID] != s.Addr {
			return fmt.Errorf("route %+v does not present the slave %s as master", rd.BrokerDatas, s.Addr)
		}
		return nil
	})

	var got bodySet
	startPush(t, c, group, topic, "*", func(m *primitive.MessageExt) consumer.ConsumeResult {
		got.add(string(m.Body))
		return consumer.ConsumeSuccess
	})
	mqtest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error { return got.has(want) })
	// GoC persists offsets every 5 s to the route's master: the acting slave.
	committed := func(addr string) error {
		for q := range int32(2) {
			off, err := queryOffsetAt(t, rc, addr, group, topic, q)
			if err != nil {
				return err
			}
			if max := maxOffset(t, s.Addr, topic, q); off != max {
				return fmt.Errorf("%s: queue %d committed %d, end %d", addr, q, off, max)
			}
		}
		return nil
	}
	mqtest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error { return committed(s.Addr) })

	m := mqtest.StartBrokerConfig(t, mcfg, c.ns.Addr)
	mqtest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error { return committed(m.Addr) })
	more := bodies("back", 10)
	p2 := newProducer(t, &cluster{ns: c.ns, b: m})
	for _, b := range more {
		if _, err := p2.SendSync(t.Context(), primitive.NewMessage(topic, []byte(b))); err != nil {
			t.Fatal(err)
		}
	}
	mqtest.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error { return got.has(more) })
	got.mu.Lock()
	defer got.mu.Unlock()
	for b, n := range got.m {
		if n > 1 {
			t.Errorf("%q consumed %d times", b, n)
		}
	}
}

// routeOf asks the nameserver for topic's route.
func routeOf(t *testing.T, rc *remoting.Client, ns, topic string) (protocol.TopicRouteData, error) {
	req := remoting.NewRequest(int16(protocol.GetRouteInfoByTopic),
		protocol.EncodeHeader(&protocol.GetRouteInfoRequestHeader{Topic: topic}), nil)
	resp, err := rc.InvokeSync(t.Context(), ns, req)
	if err != nil {
		return protocol.TopicRouteData{}, err
	}
	if err := resp.Err(); err != nil {
		return protocol.TopicRouteData{}, err
	}
	var rd protocol.TopicRouteData
	return rd, protocol.DecodeBody(resp.Body, &rd)
}

// queryOffsetAt asks addr for group's committed offset on topic's queue.
func queryOffsetAt(t *testing.T, rc *remoting.Client, addr, group, topic string, q int32) (int64, error) {
	req := remoting.NewRequest(int16(protocol.QueryConsumerOffset), protocol.EncodeHeader(&protocol.QueryConsumerOffsetRequestHeader{
		ConsumerGroup: group, Topic: topic, QueueID: q}), nil)
	resp, err := rc.InvokeSync(t.Context(), addr, req)
	if err != nil {
		return 0, err
	}
	if err := resp.Err(); err != nil {
		return 0, err
	}
	return strconv.ParseInt(resp.ExtFields["offset"], 10, 64)
}
