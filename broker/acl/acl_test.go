package acl

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/remoting"
)

const sample = `globalWhiteRemoteAddresses:
  - 10.10.103.*
  - 192.168.0.{1,2}
accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      - groupA=DENY
      - groupB=PUB|SUB
      - groupC=SUB
  - accessKey: rocketmq2
    secretKey: 12345678
    whiteRemoteAddress: 192.168.1.*
    admin: true
`

func signed(code int16, ext map[string]string, body []byte, ak, sk string) *remoting.Command {
	cmd := remoting.NewRequest(code, nil, nil)
	for k, v := range ext {
		cmd.SetExt(k, v)
	}
	cmd.Body = body
	remoting.Credentials{AccessKey: ak, SecretKey: sk}.Sign(cmd)
	return cmd
}

var lo = netip.MustParseAddr("127.0.0.1")

func TestParseSample(t *testing.T) {
	tb, err := Parse("plain_acl.yml", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.accounts) != 2 || tb.accounts["RocketMQ"].SecretKey != "12345678" {
		t.Fatalf("accounts = %+v", tb.accounts)
	}
	f := tb.File()
	data, err := Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	tb2, err := Parse("again", data)
	if err != nil {
		t.Fatalf("marshal round trip: %v\n%s", err, data)
	}
	if len(tb2.File().Accounts) != 2 || tb2.accounts["rocketmq2"].WhiteRemoteAddress != "192.168.1.*" {
		t.Fatalf("round trip lost data:\n%s", data)
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct{ name, yml, want string }{
		{"short key", "accounts:\n  - accessKey: abcdef\n    secretKey: 12345678\n", "f.yml:2: account \"abcdef\": accessKey \"abcdef\" must be at least 7"},
		{"short secret", "accounts:\n  - accessKey: abcdefg\n    secretKey: 123456\n", "f.yml:2: account \"abcdefg\": secretKey must be at least 7"},
		{"bad perm", "accounts:\n  - accessKey: abcdefg\n    secretKey: 1234567\n    topicPerms: [t=PUBB]\n", "f.yml:2: account \"abcdefg\": topicPerms: \"t=PUBB\""},
		{"unknown key", "accounts:\n  - accessKey: abcdefg\n    secretKey: 1234567\n    admn: true\n", "f.yml:4: unknown account key \"admn\""},
		{"bad white", "globalWhiteRemoteAddresses: [10.1.x.*]\n", "f.yml:1: globalWhiteRemoteAddresses"},
		{"syntax", "accounts:\n  - accessKey: [\n", "f.yml:"},
		{"dup", "accounts:\n  - {accessKey: abcdefg, secretKey: 1234567}\n  - {accessKey: abcdefg, secretKey: 1234567}\n", "f.yml:3: accessKey \"abcdefg\" is already defined at line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.yml", []byte(tc.yml))
			if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestAddressPatterns(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		in, out []string
	}{
		{"", nil, []string{"127.0.0.1"}},
		{"*", []string{"1.2.3.4", "::1"}, nil},
		{"127.0.0.1", []string{"127.0.0.1"}, []string{"127.0.0.2"}},
		{"192.168.0.{1,2}", []string{"192.168.0.1", "192.168.0.2"}, []string{"192.168.0.3"}},
		{"10.0.0.1,10.0.0.9", []string{"10.0.0.9"}, []string{"10.0.0.2"}},
		{"192.168.*.*", []string{"192.168.7.9"}, []string{"192.169.0.1"}},
		{"192.168.1.1-100", []string{"192.168.1.1", "192.168.1.100"}, []string{"192.168.1.101", "192.168.2.5"}},
		{"192.168.1-10.*", []string{"192.168.10.255"}, []string{"192.168.11.0"}},
		{"::1", []string{"::1"}, []string{"::2"}},
	} {
		m, err := compileAddr(tc.pattern)
		if err != nil {
			t.Fatalf("%q: %v", tc.pattern, err)
		}
		for _, a := range tc.in {
			if !m.match(netip.MustParseAddr(a)) {
				t.Errorf("%q should match %s", tc.pattern, a)
			}
		}
		for _, a := range tc.out {
			if m.match(netip.MustParseAddr(a)) {
				t.Errorf("%q should not match %s", tc.pattern, a)
			}
		}
	}
	for _, bad := range []string{"1.2.3", "1.2.*.4", "*.1.2.3", "1.2.3.300", "1.2.3.9-2", "1.2.{3,4}.5", "a.b.c.d"} {
		if _, err := compileAddr(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestCheckDecisions(t *testing.T) {
	tb, err := Parse("f", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	ak, sk := "RocketMQ", "12345678"
	ok := func(cmd *remoting.Command, from netip.Addr, need Need) {
		t.Helper()
		if _, err := tb.Check(cmd, from, need); err != nil {
			t.Fatalf("refused: %v", err)
		}
	}
	refused := func(cmd *remoting.Command, from netip.Addr, need Need, kind error, words string) {
		t.Helper()
		_, err := tb.Check(cmd, from, need)
		if !errors.Is(err, kind) || !strings.Contains(err.Error(), words) {
			t.Fatalf("err = %v, want %v containing %q", err, kind, words)
		}
	}
	send := Need{Resources: []Resource{Topic("topicB", Pub)}}
	ok(signed(10, map[string]string{"topic": "topicB"}, []byte("x"), ak, sk), lo, send)
	// Unsigned, unknown key, wrong secret, tampering.
	refused(remoting.NewRequest(10, nil, nil), lo, send, ErrAuthentication, "no accessKey")
	refused(signed(10, nil, nil, "nobody00", sk), lo, send, ErrAuthentication, "no acl config for nobody00")
	refused(signed(10, nil, nil, ak, "wrong-secret"), lo, send, ErrAuthentication, "signature")
	c := signed(10, map[string]string{"topic": "topicB"}, []byte("x"), ak, sk)
	c.Body = []byte("y")
	refused(c, lo, send, ErrAuthentication, "signature")
	c = signed(10, map[string]string{"topic": "topicB"}, []byte("x"), ak, sk)
	c.SetExt("topic", "topicC")
	refused(c, lo, send, ErrAuthentication, "signature")
	c = signed(10, map[string]string{"topic": "topicB"}, []byte("x"), ak, sk)
	c.SetExt("extra", "1")
	refused(c, lo, send, ErrAuthentication, "signature")
	// Perms: listed, default, DENY, groups, admin.
	refused(signed(10, nil, nil, ak, sk), lo, Need{Resources: []Resource{Topic("topicA", Pub)}}, ErrPermission, "topic topicA PUB")
	refused(signed(10, nil, nil, ak, sk), lo, Need{Resources: []Resource{Topic("topicC", Pub)}}, ErrPermission, "topic topicC PUB")
	ok(signed(10, nil, nil, ak, sk), lo, Need{Resources: []Resource{Topic("topicC", Sub)}})
	refused(signed(10, nil, nil, ak, sk), lo, Need{Resources: []Resource{Topic("other", Sub)}}, ErrPermission, "topic other SUB")
	ok(signed(10, nil, nil, ak, sk), lo, Need{Resources: []Resource{Group("anyGroup", Sub)}})
	refused(signed(10, nil, nil, ak, sk), lo, Need{Resources: []Resource{Group("groupA", Sub)}}, ErrPermission, "group groupA SUB")
	refused(signed(17, nil, nil, ak, sk), lo, Need{Admin: true}, ErrPermission, "admin")
	ok(signed(17, nil, nil, "rocketmq2", sk), lo, Need{Admin: true, Resources: []Resource{Topic("x", Pub)}})
	// White addresses: global skips everything; the account's skips the signature.
	ok(remoting.NewRequest(17, nil, nil), netip.MustParseAddr("10.10.103.7"), Need{Admin: true})
	ok(signed(10, nil, nil, "rocketmq2", "bad-secret"), netip.MustParseAddr("192.168.1.9"), send)
	refused(signed(10, nil, nil, "rocketmq2", "bad-secret"), lo, send, ErrAuthentication, "signature")
	// _UNIQUE_KEY_QUERY: Apache leaves it out; the Go client signs it.
	c = signed(12, map[string]string{"topic": "topicC"}, nil, ak, sk)
	c.SetExt(uniqueKeyQuery, "true")
	ok(c, lo, Need{Resources: []Resource{Topic("topicC", Sub)}})
	ok(signed(12, map[string]string{"topic": "topicC", uniqueKeyQuery: "true"}, nil, ak, sk), lo, Need{Resources: []Resource{Topic("topicC", Sub)}})
}

func TestCheckerReloadKeepsLastGood(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plain_acl.yml")
	if err := os.WriteFile(path, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := c.Reload(); changed || err != nil {
		t.Fatalf("unchanged file reloaded: %v %v", changed, err)
	}
	touch := func(data string) {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(time.Duration(len(data)) * time.Second)
		os.Chtimes(path, later, later)
	}
	touch("accounts:\n  - accessKey: short\n    secretKey: 12345678\n")
	if changed, err := c.Reload(); changed || err == nil || !strings.Contains(err.Error(), "plain_acl.yml:2") {
		t.Fatalf("bad file: changed=%v err=%v", changed, err)
	}
	if _, ok := c.Table().accounts["RocketMQ"]; !ok {
		t.Fatal("bad file dropped the last good accounts")
	}
	touch("accounts:\n  - accessKey: newuser1\n    secretKey: 12345678\n    admin: true\n")
	if changed, err := c.Reload(); !changed || err != nil {
		t.Fatalf("good file: changed=%v err=%v", changed, err)
	}
	if _, ok := c.Table().accounts["RocketMQ"]; ok {
		t.Fatal("old account still in force")
	}
	// Admin edits write the file atomically and take effect.
	if err := c.Update(Account{AccessKey: "second01", SecretKey: "secret01", DefaultTopicPerm: "PUB"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(Account{AccessKey: "abc", SecretKey: "secret01"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("short key: %v", err)
	}
	if err := c.SetGlobalWhiteAddrs([]string{"10.0.0.*"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("newuser1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("newuser1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	reopened, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := reopened.Table().File()
	if len(f.Accounts) != 1 || f.Accounts[0].AccessKey != "second01" || f.GlobalWhiteRemoteAddresses[0] != "10.0.0.*" {
		t.Fatalf("file after edits: %+v", f)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}
