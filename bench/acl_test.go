package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/namesrv"
	"github.com/mq-project/mq/remoting"
)

// TestBenchConsumeSigned checks a consume run against brokers with ACL: its pulls are signed
// (they take the encoded-header path, not the template) and drain every message produced,
// where the same pulls unsigned are refused, one error per queue.
func TestBenchConsumeSigned(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	const accounts = "accounts:\n  - accessKey: benchAdmin\n    secretKey: benchSecret1\n    admin: true\n"
	if err := os.WriteFile(path, []byte(accounts), 0o600); err != nil {
		t.Fatal(err)
	}
	cred := &remoting.Credentials{AccessKey: "benchAdmin", SecretKey: "benchSecret1"}
	ns := mqtest.StartNamesrv(t, func(c *namesrv.Config) { c.AclEnable, c.AclConfigFile = true, path })
	mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) {
		c.AclEnable, c.AclConfigFile = true, path
		c.AccessKey, c.SecretKey = cred.AccessKey, cred.SecretKey
	})
	ctx := context.Background()
	base := Options{NameServers: []string{ns.Addr}, Topic: "SignedT", Credentials: cred, Duration: time.Minute}
	p := base
	p.Mode, p.Group, p.Count, p.Size = ModeProduce, "sp", 300, 32
	res, err := Run(ctx, p)
	if err != nil || res.Messages != 300 || res.Errors != 0 {
		t.Fatalf("produce: %+v %v", res, err)
	}
	c := base
	c.Mode, c.Group = ModeConsume, "sc"
	if res, err = Run(ctx, c); err != nil || res.Messages != 300 || res.Errors != 0 {
		t.Fatalf("signed consume: %+v %v", res, err)
	}
	// The same pulls unsigned (the template) are refused.
	qs, err := queues(ctx, &c, false, false)
	if err != nil {
		t.Fatal(err)
	}
	c.Credentials = nil
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	s := newStats()
	drainBroker(ctx, &c, s, nil, qs[0].Addr, qs, func() {})
	if s.msgs.Load() != 0 || s.errs.Load() != int64(len(qs)) {
		t.Fatalf("unsigned pulls: %d messages, %d errors (%v); want 0, %d", s.msgs.Load(), s.errs.Load(), s.result("", time.Second).FirstError, len(qs))
	}
}
