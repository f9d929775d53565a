package e2e

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// commitLogMaxOffset reads commitLogMaxOffset from GET_BROKER_RUNTIME_INFO.
func commitLogMaxOffset(t *testing.T, c *remoting.Client, addr string) (int64, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	resp, err := c.InvokeSync(ctx, addr, remoting.NewRequest(int16(protocol.GetBrokerRuntimeInfo), map[string]string{}, nil))
	if err != nil {
		return 0, err
	}
	var kv protocol.KVTable
	if err := protocol.DecodeBody(resp.Body, &kv); err != nil {
		return 0, err
	}
	return strconv.ParseInt(kv.Table["commitLogMaxOffset"], 10, 64)
}

// topicKnown reports whether the broker at addr has topic in its topic config
// (GET_ALL_TOPIC_CONFIG).
func topicKnown(t *testing.T, c *remoting.Client, addr, topic string) error {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	resp, err := c.InvokeSync(ctx, addr, remoting.NewRequest(int16(protocol.GetAllTopicConfig), map[string]string{}, nil))
	if err != nil {
		return err
	}
	var w protocol.TopicConfigSerializeWrapper
	if err := protocol.DecodeBody(resp.Body, &w); err != nil {
		return err
	}
	if _, ok := w.TopicConfigTable[topic]; !ok {
		return fmt.Errorf("%s has no config for %s yet", addr, topic)
	}
	return nil
}

// TestGoClientConsumesFromSlaveAfterMasterStops: messages produced to an ASYNC_MASTER are
// replicated to its SLAVE (slaveReadEnable); once the master is stopped and unregistered,
// the official push consumer finds only the slave in the route and consumes them all there.
func TestGoClientConsumesFromSlaveAfterMasterStops(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	m := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) { c.BrokerRole = broker.AsyncMaster })
	rc := remoting.NewClient(remoting.ClientConfig{})
	defer rc.Close()
	p := startProducer(t, &cluster{ns: ns, b: m}, producer.WithRetry(2))
	const topic = "HaGoC"
	want := bodies("ha", 40)
	for _, b := range want {
		if _, err := p.SendSync(t.Context(), primitive.NewMessage(topic, []byte(b))); err != nil {
			t.Fatal(err)
		}
	}
	s := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) {
		c.BrokerRole, c.BrokerID, c.SlaveReadEnable = broker.Slave, 1, true
		c.HaSendHeartbeatInterval = 200
	})
	mqtest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		mo, err := commitLogMaxOffset(t, rc, m.Addr)
		if err != nil {
			return err
		}
		so, err := commitLogMaxOffset(t, rc, s.Addr)
		if err != nil || so != mo {
			return fmt.Errorf("slave at %d (%v), master at %d", so, err, mo)
		}
		// The topic's config comes with the slave's metadata sync, not with the CommitLog:
		// a slave that never synced answers TOPIC_NOT_EXIST once the master is gone.
		return topicKnown(t, rc, s.Addr, topic)
	})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// GoC's push consumer cannot start a group here: its offset store asks only the master
	// (FindBrokerAddrByName). Its pull path falls back to any broker of the set, so the
	// official pull consumer reads every queue from the slave.
	pc, err := consumer.NewPullConsumer(
		consumer.WithNameServer([]string{ns.Addr}),
		consumer.WithGroupName("cg-ha"),
		consumer.WithInstance(instance(t)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}); err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	defer pc.Shutdown()
	var got bodySet
	next := make([]int64, 4)
	mqtest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		for q := range next {
			mq := &primitive.MessageQueue{Topic: topic, BrokerName: "broker-a", QueueId: q}
			pr, err := pc.PullFrom(t.Context(), mq, next[q], 32)
			if err != nil {
				return err
			}
			for _, me := range pr.GetMessageExts() {
				got.add(string(me.Body))
			}
			next[q] = pr.NextBeginOffset
		}
		return got.has(want)
	})
}
