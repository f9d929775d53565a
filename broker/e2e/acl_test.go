package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
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

// aclAccounts is the plain_acl.yml of the ACL tests: an admin account the broker signs
// with, a producer allowed PUB on AclTopic only, a consumer allowed SUB on AclTopic with
// group cgAcl, and an account trusted only from 10.99.0.*.
const aclAccounts = `accounts:
  - accessKey: brokerAdmin
    secretKey: brokerSecret1
    admin: true
  - accessKey: producer1
    secretKey: producerSecret
    defaultTopicPerm: DENY
    defaultGroupPerm: DENY
    topicPerms: [AclTopic=PUB, DeniedTopic=DENY]
    groupPerms: [pgAcl=PUB]
  - accessKey: consumer1
    secretKey: consumerSecret
    defaultTopicPerm: DENY
    defaultGroupPerm: DENY
    topicPerms: [AclTopic=SUB]
    groupPerms: [cgAcl=SUB]
  - accessKey: whiteonly
    secretKey: whiteSecret1
    whiteRemoteAddress: 10.99.0.*
`

var (
	credAdmin    = &remoting.Credentials{AccessKey: "brokerAdmin", SecretKey: "brokerSecret1"}
	credProducer = &remoting.Credentials{AccessKey: "producer1", SecretKey: "producerSecret"}
	credConsumer = &remoting.Credentials{AccessKey: "consumer1", SecretKey: "consumerSecret"}
)

type aclCluster struct {
	*cluster
	path string
}

// startACLCluster starts a NameServer and a broker, both with aclEnable=true on one
// accounts file; the broker signs its registration as brokerAdmin.
func startACLCluster(t *testing.T, opts ...func(*broker.Config)) *aclCluster {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	if err := os.WriteFile(path, []byte(aclAccounts), 0o600); err != nil {
		t.Fatal(err)
	}
	ns := mqtest.StartNamesrv(t, func(c *namesrv.Config) { c.AclEnable, c.AclConfigFile = true, path })
	b := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) {
		c.AclEnable, c.AclConfigFile = true, path
		c.AccessKey, c.SecretKey = credAdmin.AccessKey, credAdmin.SecretKey
		c.AutoCreateTopicEnable = false
		for _, o := range opts {
			o(c)
		}
	})
	c := &aclCluster{cluster: &cluster{ns: ns, b: b}, path: path}
	c.waitRoute(t, b.Config.BrokerName) // the signed registration was accepted
	c.createTopic(t, "AclTopic", 2)
	c.createTopic(t, "DeniedTopic", 2)
	return c
}

// invoke sends req (signed with cred when not nil) to addr and returns the answer.
func invoke(t *testing.T, addr string, cred *remoting.Credentials, req *remoting.Command) *remoting.Command {
	t.Helper()
	cl := remoting.NewClient(remoting.ClientConfig{Credentials: cred})
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	resp, err := cl.InvokeSync(ctx, addr, req)
	if err != nil {
		t.Fatalf("%v: %v", protocol.RequestCode(req.Code), err)
	}
	return resp
}

func request(code protocol.RequestCode, h any, body []byte) *remoting.Command {
	ext := map[string]string{}
	if h != nil {
		ext = protocol.EncodeHeader(h)
	}
	return remoting.NewRequest(int16(code), ext, body)
}

func sendReq(topic, group, body string) *remoting.Command {
	return request(protocol.SendMessage, &protocol.SendMessageRequestHeader{ProducerGroup: group, Topic: topic,
		DefaultTopic: "TBW102", DefaultTopicQueueNums: 4, BornTimestamp: time.Now().UnixMilli()}, []byte(body))
}

// signedWith signs req as cred would, so a test can tamper with it afterwards.
func signedWith(cred *remoting.Credentials, req *remoting.Command) *remoting.Command {
	cred.Sign(req)
	return req
}

func topicHeader(topic string) *protocol.CreateTopicRequestHeader {
	return &protocol.CreateTopicRequestHeader{Topic: topic, DefaultTopic: "TBW102", ReadQueueNums: 2, WriteQueueNums: 2, Perm: 6, TopicFilterType: "SINGLE_TAG"}
}

// stored is the number of messages in topic's queues (GET_MAX_OFFSET as the admin).
func (c *aclCluster) stored(t *testing.T, topic string) int64 {
	var n int64
	for q := range int32(2) {
		resp := invoke(t, c.b.Addr, credAdmin, request(protocol.GetMaxOffset, &protocol.GetMaxOffsetRequestHeader{Topic: topic, QueueID: q}, nil))
		if resp.Code != 0 {
			t.Fatalf("max offset %s-%d: %d %s", topic, q, resp.Code, resp.Remark)
		}
		var h protocol.OffsetResponseHeader
		if err := protocol.DecodeHeader(resp.ExtFields, &h); err != nil {
			t.Fatal(err)
		}
		n += h.Offset
	}
	return n
}

func wantRefused(t *testing.T, what string, resp *remoting.Command, code protocol.ResponseCode, remark string) {
	t.Helper()
	if protocol.ResponseCode(resp.Code) != code || !strings.Contains(resp.Remark, remark) {
		t.Fatalf("%s: answer %v %q, want %v containing %q", what, protocol.ResponseCode(resp.Code), resp.Remark, code, remark)
	}
}

// TestACLMatrix: with aclEnable=true on the broker and the NameServer, every hostile
// request of the acceptance matrix is refused and changes nothing; the official client
// with credentials produces and consumes; admin requests and broker registration signed
// by the admin account work.
func TestACLMatrix(t *testing.T) {
	c := startACLCluster(t)
	baddr, ns := c.b.Addr, c.ns.Addr

	// Refused with Apache's answer for a bad account or signature (SYSTEM_ERROR, AclException).
	auth := []struct {
		name string
		req  *remoting.Command
		want string
	}{
		{"no credentials", sendReq("AclTopic", "pgAcl", "x"), "no accessKey"},
		{"wrong secret", signedWith(&remoting.Credentials{AccessKey: "producer1", SecretKey: "not-the-secret"}, sendReq("AclTopic", "pgAcl", "x")), "signature"},
		{"unknown access key", signedWith(&remoting.Credentials{AccessKey: "nobody12", SecretKey: "producerSecret"}, sendReq("AclTopic", "pgAcl", "x")), "no acl config for nobody12"},
		{"key shorter than allowed", signedWith(&remoting.Credentials{AccessKey: "abc", SecretKey: "producerSecret"}, sendReq("AclTopic", "pgAcl", "x")), "no acl config for abc"},
		{"address outside white list", signedWith(&remoting.Credentials{AccessKey: "whiteonly", SecretKey: "wrong-but-white"}, sendReq("AclTopic", "pgAcl", "x")), "signature"},
	}
	tamperedBody := signedWith(credProducer, sendReq("AclTopic", "pgAcl", "signed body"))
	tamperedBody.Body = []byte("forged body")
	tamperedHeader := signedWith(credProducer, sendReq("AclTopic", "pgAcl", "x"))
	tamperedHeader.SetExt("topic", "DeniedTopic")
	auth = append(auth, struct {
		name string
		req  *remoting.Command
		want string
	}{"tampered body", tamperedBody, "signature"}, struct {
		name string
		req  *remoting.Command
		want string
	}{"tampered header", tamperedHeader, "signature"})
	for _, tc := range auth {
		t.Run(tc.name, func(t *testing.T) {
			wantRefused(t, tc.name, invoke(t, baddr, nil, tc.req), protocol.SystemError, "AclException")
			if got := invoke(t, baddr, nil, tc.req); !strings.Contains(got.Remark, tc.want) {
				t.Fatalf("remark %q, want %q", got.Remark, tc.want)
			}
		})
	}
	if n := c.stored(t, "AclTopic") + c.stored(t, "DeniedTopic"); n != 0 {
		t.Fatalf("refused sends stored %d messages", n)
	}

	t.Run("denied topic", func(t *testing.T) {
		wantRefused(t, "send", invoke(t, baddr, credProducer, sendReq("DeniedTopic", "pgAcl", "x")), protocol.NoPermission, "topic DeniedTopic PUB")
		p := newProducer(t, c.cluster, producer.WithCredentials(primitive.Credentials{AccessKey: "producer1", SecretKey: "producerSecret"}), producer.WithGroupName("pgAcl"))
		if _, err := p.SendSync(t.Context(), primitive.NewMessage("DeniedTopic", []byte("no"))); err == nil {
			t.Fatal("official client sent to a denied topic")
		}
		if n := c.stored(t, "DeniedTopic"); n != 0 {
			t.Fatalf("denied topic holds %d messages", n)
		}
	})
	t.Run("denied group", func(t *testing.T) {
		pull := request(protocol.PullMessage, &protocol.PullMessageRequestHeader{ConsumerGroup: "cgOther", Topic: "AclTopic", MaxMsgNums: 32, SysFlag: 2}, nil)
		wantRefused(t, "pull", invoke(t, baddr, credConsumer, pull), protocol.NoPermission, "group cgOther SUB")
		commit := request(protocol.UpdateConsumerOffset, &protocol.UpdateConsumerOffsetRequestHeader{ConsumerGroup: "cgOther", Topic: "AclTopic", CommitOffset: 7}, nil)
		wantRefused(t, "commit", invoke(t, baddr, credConsumer, commit), protocol.NoPermission, "group cgOther SUB")
		if off, ok := c.b.ConsumerOffsets().Query("cgOther", "AclTopic", 0); ok {
			t.Fatalf("refused commit stored offset %d", off)
		}
	})
	t.Run("admin code from non-admin", func(t *testing.T) {
		create := request(protocol.UpdateAndCreateTopic, topicHeader("MadeByProducer"), nil)
		wantRefused(t, "create topic", invoke(t, baddr, credProducer, create), protocol.NoPermission, "admin")
		del := request(protocol.DeleteTopicInBroker, &protocol.DeleteTopicRequestHeader{Topic: "AclTopic"}, nil)
		wantRefused(t, "delete topic", invoke(t, baddr, credProducer, del), protocol.NoPermission, "admin")
		if _, ok := c.b.Topics().Get("MadeByProducer"); ok {
			t.Fatal("non-admin created a topic")
		}
		if _, ok := c.b.Topics().Get("AclTopic"); !ok {
			t.Fatal("non-admin deleted a topic")
		}
		short := request(protocol.UpdateAndCreateACLConfig, nil, nil)
		short.ExtFields = protocol.ACLConfigHeader(protocol.PlainAccessConfig{AccessKey: "abc", SecretKey: "abcdefgh", Admin: true})
		wantRefused(t, "acl update by non-admin", invoke(t, baddr, credProducer, short), protocol.NoPermission, "admin")
		// Even an admin cannot add a key shorter than Apache allows; the file is unchanged.
		wantRefused(t, "short key", invoke(t, baddr, credAdmin, short), protocol.SystemError, "at least 7")
		if data, _ := os.ReadFile(c.path); string(data) != aclAccounts {
			t.Fatalf("accounts file changed:\n%s", data)
		}
	})
	t.Run("fake REGISTER_BROKER", func(t *testing.T) {
		body, err := protocol.EncodeRegisterBrokerBody(protocol.RegisterBrokerBody{}, false)
		if err != nil {
			t.Fatal(err)
		}
		fake := func() *remoting.Command {
			return request(protocol.RegisterBroker, &protocol.RegisterBrokerRequestHeader{BrokerName: "evil", BrokerAddr: "10.6.6.6:10911", ClusterName: "DefaultCluster"}, body)
		}
		wantRefused(t, "unsigned", invoke(t, ns, nil, fake()), protocol.SystemError, "no accessKey")
		wantRefused(t, "non-admin", invoke(t, ns, credProducer, fake()), protocol.NoPermission, "admin")
		unreg := request(protocol.UnregisterBroker, &protocol.UnregisterBrokerRequestHeader{BrokerName: "broker-a", BrokerAddr: baddr, ClusterName: "DefaultCluster"}, nil)
		wantRefused(t, "unregister", invoke(t, ns, nil, unreg), protocol.SystemError, "AclException")
		kv := request(protocol.PutKVConfig, &protocol.PutKVConfigRequestHeader{Namespace: "ns", Key: "k", Value: "v"}, nil)
		wantRefused(t, "kv put", invoke(t, ns, credConsumer, kv), protocol.NoPermission, "admin")
		wipe := request(protocol.WipeWritePermOfBroker, nil, nil)
		wipe.ExtFields = map[string]string{"brokerName": "broker-a"}
		wantRefused(t, "wipe write perm", invoke(t, ns, nil, wipe), protocol.SystemError, "AclException")
		resp := invoke(t, ns, nil, request(protocol.GetBrokerClusterInfo, nil, nil))
		if resp.Code != 0 || strings.Contains(string(resp.Body), "evil") || !strings.Contains(string(resp.Body), baddr) {
			t.Fatalf("cluster info after refused writes (routes stay readable unsigned): %d %s", resp.Code, resp.Body)
		}
		if resp := invoke(t, ns, nil, request(protocol.GetKVConfig, &protocol.GetKVConfigRequestHeader{Namespace: "ns", Key: "k"}, nil)); resp.Code == 0 {
			t.Fatal("refused KV put was stored")
		}
		// The admin account may.
		if resp := invoke(t, ns, credAdmin, kv); resp.Code != 0 {
			t.Fatalf("admin kv put: %d %s", resp.Code, resp.Remark)
		}
	})

	t.Run("security keys are start-only", func(t *testing.T) {
		off := request(protocol.UpdateBrokerConfig, nil, []byte("aclEnable=false\n"))
		wantRefused(t, "broker aclEnable=false", invoke(t, baddr, credAdmin, off), protocol.NoPermission, "aclEnable (a security switch)")
		tlsOff := request(protocol.UpdateBrokerConfig, nil, []byte("tlsServerMode=disabled\naccessKey=other00\n"))
		wantRefused(t, "broker tls and credentials", invoke(t, baddr, credAdmin, tlsOff), protocol.NoPermission, "tlsServerMode (a security setting), accessKey (a security setting)")
		nsOff := request(protocol.UpdateNamesrvConfig, nil, []byte("aclConfigFile=/tmp/open.yml\n"))
		wantRefused(t, "namesrv aclConfigFile", invoke(t, ns, credAdmin, nsOff), protocol.NoPermission, "Can not update config in black list: aclConfigFile")
		if !c.b.Broker.Config().AclEnable || c.ns.Server.Config().AclConfigFile != c.path {
			t.Fatal("security settings changed over the wire")
		}
	})
	t.Run("permitted producer consumer and admin", func(t *testing.T) {
		p := newProducer(t, c.cluster, producer.WithCredentials(primitive.Credentials{AccessKey: "producer1", SecretKey: "producerSecret"}), producer.WithGroupName("pgAcl"))
		ids := sendN(t, p, "AclTopic", "", 4)
		var got received
		startPush(t, c.cluster, "cgAcl", "AclTopic", "*", func(m *primitive.MessageExt) consumer.ConsumeResult {
			got.add(m)
			return consumer.ConsumeSuccess
		}, consumer.WithCredentials(primitive.Credentials{AccessKey: "consumer1", SecretKey: "consumerSecret"}))
		mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error { return got.has(ids) })
		if resp := invoke(t, baddr, credAdmin, request(protocol.UpdateAndCreateTopic, topicHeader("MadeByAdmin"), nil)); resp.Code != 0 {
			t.Fatalf("admin create topic: %d %s", resp.Code, resp.Remark)
		}
		c.waitRoute(t, "MadeByAdmin") // the re-registration, signed, went through
	})
}

// TestACLFileReload: the accounts file changed on disk takes effect without a restart; a
// broken file keeps the last good accounts.
func TestACLFileReload(t *testing.T) {
	c := startACLCluster(t)
	baddr := c.b.Addr
	white := signedWith(&remoting.Credentials{AccessKey: "whiteonly", SecretKey: "unsigned-ok"}, sendReq("AclTopic", "pg", "from white"))
	wantRefused(t, "outside white list", invoke(t, baddr, nil, white), protocol.SystemError, "signature")
	wantRefused(t, "denied topic", invoke(t, baddr, credProducer, sendReq("DeniedTopic", "pgAcl", "x")), protocol.NoPermission, "DeniedTopic")

	write := func(s string) {
		tmp := c.path + ".new"
		if err := os.WriteFile(tmp, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, c.path); err != nil {
			t.Fatal(err)
		}
	}
	write("accounts:\n  - accessKey: broken\n") // bad: no secret, short key
	time.Sleep(1500 * time.Millisecond)         // two polls: the bad file must not take effect
	wantRefused(t, "after a bad file", invoke(t, baddr, credProducer, sendReq("DeniedTopic", "pgAcl", "x")), protocol.NoPermission, "DeniedTopic")
	if resp := invoke(t, baddr, credProducer, sendReq("AclTopic", "pgAcl", "still allowed")); resp.Code != 0 {
		t.Fatalf("bad file dropped the last good accounts: %d %s", resp.Code, resp.Remark)
	}

	updated := strings.Replace(aclAccounts, "DeniedTopic=DENY", "DeniedTopic=PUB", 1)
	updated = strings.Replace(updated, "10.99.0.*", "127.0.0.1", 1)
	write(updated)
	mqtest.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		resp := invoke(t, baddr, credProducer, sendReq("DeniedTopic", "pgAcl", "now allowed"))
		if resp.Code != 0 {
			return fmt.Errorf("send after the file changed: %d %s", resp.Code, resp.Remark)
		}
		return nil
	})
	if resp := invoke(t, baddr, nil, white); resp.Code != 0 {
		t.Fatalf("white-listed address after reload: %d %s", resp.Code, resp.Remark)
	}
}

// TestACLAuditLogAndUndeclaredRight: admin requests, allowed and refused, are audited as
// JSON lines; a handler registered without a declared right is refused while ACL is on.
func TestACLAuditLogAndUndeclaredRight(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.log")
	c := startACLCluster(t, func(cfg *broker.Config) { cfg.AuditLogPath = audit })
	baddr := c.b.Addr
	wantRefused(t, "non-admin", invoke(t, baddr, credProducer, request(protocol.UpdateAndCreateTopic, topicHeader("AuditNo"), nil)), protocol.NoPermission, "admin")
	if resp := invoke(t, baddr, credAdmin, request(protocol.UpdateAndCreateTopic, topicHeader("AuditYes"), nil)); resp.Code != 0 {
		t.Fatalf("admin create: %d %s", resp.Code, resp.Remark)
	}
	// A send is not an admin request: not audited.
	if resp := invoke(t, baddr, credProducer, sendReq("AclTopic", "pgAcl", "x")); resp.Code != 0 {
		t.Fatalf("send: %d %s", resp.Code, resp.Remark)
	}
	f, err := os.Open(audit)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type line struct {
		Time, Remote, AccessKey, Request, Resource string
		Code                                       int16
		Allowed                                    bool
	}
	var lines []line
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if len(lines) != 2 ||
		lines[0].AccessKey != "producer1" || lines[0].Allowed || lines[0].Code != 17 || lines[0].Resource != "topic=AuditNo" ||
		lines[1].AccessKey != "brokerAdmin" || !lines[1].Allowed || lines[1].Request != "UPDATE_AND_CREATE_TOPIC" ||
		!strings.HasPrefix(lines[1].Remote, "127.0.0.1:") || lines[1].Time == "" {
		t.Fatalf("audit lines: %+v", lines)
	}

	const undeclared = protocol.RequestCode(31999)
	var ran atomic.Bool
	c.b.Handle(undeclared, broker.PoolAdmin, remoting.HandlerFunc(func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
		ran.Store(true)
		return remoting.NewResponse(req, 0, "")
	}))
	wantRefused(t, "undeclared right", invoke(t, baddr, credAdmin, request(undeclared, nil, nil)), protocol.NoPermission, "declares no right")
	if ran.Load() {
		t.Fatal("handler without a declared right ran")
	}
}

// TestNamesrvAudit: the NameServer audits its write requests, allowed and refused.
func TestNamesrvAudit(t *testing.T) {
	dir := t.TempDir()
	path, audit := filepath.Join(dir, "plain_acl.yml"), filepath.Join(dir, "audit.log")
	if err := os.WriteFile(path, []byte(aclAccounts), 0o600); err != nil {
		t.Fatal(err)
	}
	ns := mqtest.StartNamesrv(t, func(c *namesrv.Config) { c.AclEnable, c.AclConfigFile, c.AuditLogPath = true, path, audit })
	kv := request(protocol.PutKVConfig, &protocol.PutKVConfigRequestHeader{Namespace: "ns1", Key: "k", Value: "v"}, nil)
	wantRefused(t, "kv put", invoke(t, ns.Addr, credProducer, kv), protocol.NoPermission, "admin")
	kv = request(protocol.PutKVConfig, &protocol.PutKVConfigRequestHeader{Namespace: "ns1", Key: "k", Value: "v"}, nil)
	if resp := invoke(t, ns.Addr, credAdmin, kv); resp.Code != 0 {
		t.Fatalf("admin kv put: %d %s", resp.Code, resp.Remark)
	}
	invoke(t, ns.Addr, nil, request(protocol.GetBrokerClusterInfo, nil, nil)) // a read: not audited
	data, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(got) != 2 || !strings.Contains(got[0], `"accessKey":"producer1"`) || !strings.Contains(got[0], `"allowed":false`) ||
		!strings.Contains(got[1], `"accessKey":"brokerAdmin"`) || !strings.Contains(got[1], `"allowed":true`) ||
		!strings.Contains(got[1], `"request":"PUT_KV_CONFIG"`) || !strings.Contains(got[1], `"resource":"namespace=ns1"`) {
		t.Fatalf("namesrv audit:\n%s", data)
	}
}
