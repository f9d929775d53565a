package e2e

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/mq-project/mq/internal/mqtest"
)

// TestTrap7_08_PushStartNeedsRoute: a GoC push consumer's Start fails while its topic has
// no route; once the broker has the topic it registers at once (topic change trigger) and
// Start succeeds.
func TestTrap7_08_PushStartNeedsRoute(t *testing.T) {
	c := startCluster(t)
	const topic = "E2ENoRouteYet"
	mk := func() (consumer.MessageSelector, []consumer.Option) {
		return consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}, []consumer.Option{
			consumer.WithNameServer([]string{c.ns.Addr}), consumer.WithGroupName("gNoRoute"), consumer.WithInstance(instance(t))}
	}
	sel, opts := mk()
	pc, err := consumer.NewPushConsumer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	noop := func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		return consumer.ConsumeSuccess, nil
	}
	if err := pc.Subscribe(topic, sel, noop); err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(); err == nil {
		pc.Shutdown()
		t.Fatal("Start succeeded without a route")
	}
	pc.Shutdown()
	c.createTopic(t, topic, 1) // waits for the NameServer's route
	startConsumer(t, c, "gNoRoute", topic, sel, func(*primitive.MessageExt) consumer.ConsumeResult { return consumer.ConsumeSuccess })
}

var tracedRuns atomic.Int32

// TestTrap7_29_TraceTopic: RMQ_SYS_TRACE_TOPIC exists from the start (GoC's trace
// dispatcher cannot auto-create it), the send answer says TRACE_ON (trap §7.10), so a traced
// producer's Pub record reaches the trace topic.
func TestTrap7_29_TraceTopic(t *testing.T) {
	// The official client keeps one trace client a process, for the nameserver of the first
	// traced client: a traced client for another nameserver panics in its constructor, so
	// this test runs once a process (-count=2 skips its second run).
	if tracedRuns.Add(1) > 1 {
		t.Skip("the official client's trace client is made once a process, for the first test's nameserver")
	}
	c := startCluster(t)
	c.waitRoute(t, "RMQ_SYS_TRACE_TOPIC")
	const topic = "E2ETraced"
	c.createTopic(t, topic, 1)
	p := startProducer(t, c, producer.WithTrace(&primitive.TraceConfig{GroupName: "pgTrace",
		NamesrvAddrs: []string{c.ns.Addr}, Access: primitive.Local}))
	res, err := p.SendSync(t.Context(), primitive.NewMessage(topic, []byte("traced")))
	if err != nil {
		t.Fatal(err)
	}
	mqtest.CheckFor(t, 15*time.Second, 100*time.Millisecond, func() error {
		for _, m := range rawPullAll(t, c.b.Addr, "RMQ_SYS_TRACE_TOPIC", 0) {
			if body := string(m.Body); strings.HasPrefix(body, "Pub") && strings.Contains(body, res.MsgID) {
				return nil
			}
		}
		return errors.New("no Pub trace record for the message yet")
	})
}
