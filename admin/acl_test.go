package admin_test

import (
	"slices"
	"testing"

	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/protocol"
)

// TestACLAgainstApache: the ACL admin calls read Apache's AclConfig body and send the
// headers Apache's CreateAccessConfigRequestHeader and friends expect (comma-joined perms).
func TestACLAgainstApache(t *testing.T) {
	b := startBroker(t, "", admintest.Config{})
	a := newAdmin(t, "127.0.0.1:1")
	cfg, err := a.ACLConfig(ctxT(t), b.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.GlobalWhiteAddrs, []string{"10.10.103.*", "192.168.0.*"}) || len(cfg.PlainAccessConfigs) != 2 {
		t.Fatalf("acl config: %+v", cfg)
	}
	pc := cfg.PlainAccessConfigs[0]
	if pc.AccessKey != "RocketMQ" || pc.DefaultGroupPerm != "SUB" || !slices.Equal(pc.TopicPerms, []string{"topicA=DENY", "topicB=PUB|SUB"}) ||
		!cfg.PlainAccessConfigs[1].Admin || cfg.PlainAccessConfigs[1].WhiteRemoteAddress != "192.168.1.*" {
		t.Fatalf("accounts: %+v", cfg.PlainAccessConfigs)
	}
	want := protocol.PlainAccessConfig{AccessKey: "app00001", SecretKey: "secret01", Admin: true, DefaultTopicPerm: "DENY",
		TopicPerms: []string{"a=PUB", "b=SUB"}, GroupPerms: []string{"g=SUB"}}
	if err := a.UpdateACLAccount(ctxT(t), b.Addr, want); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteACLAccount(ctxT(t), b.Addr, "app00001"); err != nil {
		t.Fatal(err)
	}
	if err := a.UpdateGlobalWhiteAddrs(ctxT(t), b.Addr, []string{"10.0.0.*", "10.0.1.*"}); err != nil {
		t.Fatal(err)
	}
	codes, headers := b.Requests()
	if len(codes) != 4 || codes[1] != protocol.UpdateAndCreateACLConfig || codes[2] != protocol.DeleteACLConfig {
		t.Fatalf("codes %v", codes)
	}
	h := headers[1]
	if h["accessKey"] != "app00001" || h["secretKey"] != "secret01" || h["admin"] != "true" || h["topicPerms"] != "a=PUB,b=SUB" || h["groupPerms"] != "g=SUB" {
		t.Fatalf("update header %v", h)
	}
	if got := protocol.ParseACLConfigHeader(h); !slices.Equal(got.TopicPerms, want.TopicPerms) || got.SecretKey != want.SecretKey {
		t.Fatalf("header round trip %+v", got)
	}
	if headers[2]["accessKey"] != "app00001" || headers[3]["globalWhiteAddrs"] != "10.0.0.*,10.0.1.*" {
		t.Fatalf("delete/white headers %v %v", headers[2], headers[3])
	}
}
