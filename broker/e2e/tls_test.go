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
	"github.com/mq-project/mq/namesrv"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// TestTLSGoClient: a NameServer in permissive mode serves plain and TLS clients on one
// port; a broker in enforcing mode registers with it over TLS (tlsEnable) and refuses plain
// clients; the official client with WithTls produces and consumes.
func TestTLSGoClient(t *testing.T) {
	// GoC trap: every client's RemotingClientConfig points at one package-level default
	// (internal.DefaultClientOptions), so WithTls(true) turns TLS on for every client the
	// process creates later. Switch it back when the test ends (cleanups run last-first, so
	// this runs after the clients below shut down).
	t.Cleanup(func() {
		if _, err := producer.NewDefaultProducer(producer.WithTls(false), producer.WithNameServer([]string{"127.0.0.1:1"}), producer.WithInstanceName(instance(t))); err != nil {
			t.Errorf("reset GoC's TLS default: %v", err)
		}
	})
	cert, key := mqtest.TLSCert(t)
	ns := mqtest.StartNamesrv(t, func(c *namesrv.Config) {
		c.TlsServerMode, c.TlsServerCertPath, c.TlsServerKeyPath = "permissive", cert, key
	})
	b := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) {
		c.TlsServerMode, c.TlsServerCertPath, c.TlsServerKeyPath = "enforcing", cert, key
		c.TlsEnable, c.TlsClientTrustCertPath = true, cert
	})
	c := &cluster{ns: ns, b: b}
	c.waitRoute(t, b.Config.BrokerName) // plain client, permissive nameserver; TLS registration arrived
	c.createTopic(t, "TLSTopic", 2)

	plain := remoting.NewClient(remoting.ClientConfig{DialTimeout: 2 * time.Second})
	defer plain.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	if _, err := plain.InvokeSync(ctx, b.Addr, remoting.NewRequest(int16(protocol.GetBrokerRuntimeInfo), nil, nil)); err == nil {
		t.Fatal("plain client served by an enforcing broker")
	}

	p := newProducer(t, c, producer.WithTls(true))
	ids := sendN(t, p, "TLSTopic", "", 3)
	var got received
	startPush(t, c, "cgTLS", "TLSTopic", "*", func(m *primitive.MessageExt) consumer.ConsumeResult {
		got.add(m)
		return consumer.ConsumeSuccess
	}, consumer.WithTls(true))
	mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error { return got.has(ids) })
}
