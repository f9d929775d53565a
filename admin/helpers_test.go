package admin_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/protocol"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newAdmin(t *testing.T, ns ...string) *admin.Admin {
	t.Helper()
	a, err := admin.New(admin.Options{NameServers: ns, Timeout: 2 * time.Second, Logger: mqtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func topic(name string, r, w int32) protocol.TopicConfig {
	tc := protocol.NewTopicConfig(name)
	tc.ReadQueueNums, tc.WriteQueueNums = r, w
	return tc
}

// startBroker starts a stand-in Apache broker registered with ns.
func startBroker(t *testing.T, ns string, cfg admintest.Config) *admintest.Broker {
	t.Helper()
	b, err := admintest.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close broker: %v", err)
		}
	})
	if ns != "" {
		if err := b.Register(ctxT(t), ns); err != nil {
			t.Fatalf("register: %v", err)
		}
	}
	return b
}

// registerDead registers a broker at an address where nothing listens.
func registerDead(t *testing.T, ns, cluster, name string, topics ...protocol.TopicConfig) string {
	t.Helper()
	d, err := admintest.RegisterDead(ctxT(t), ns, cluster, name, topics...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d.Addr
}

func listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
