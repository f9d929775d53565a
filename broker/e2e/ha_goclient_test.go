package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
)

// TestGoClientConsumesFromSlaveAfterMasterStops: messages produced to an ASYNC_MASTER are
// replicated to its SLAVE (slaveReadEnable); once the master is stopped and unregistered,
// the official push consumer finds only the slave in the route and consumes them all there.
func TestGoClientConsumesFromSlaveAfterMasterStops(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	m := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) { c.BrokerRole = broker.AsyncMaster })
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
	waitCaughtUp(t, m, s, topic)
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
