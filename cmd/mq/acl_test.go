package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/namesrv"
)

const cliACLAccounts = `accounts:
  - accessKey: opsAdmin
    secretKey: opsSecret1
    admin: true
  - accessKey: appUser1
    secretKey: appSecret1
    topicPerms: [Orders=PUB]
`

// TestACLCommands: mq signs with --access-key/--secret-key or $MQ_ACCESS_KEY/$MQ_SECRET_KEY;
// unsigned or non-admin requests are refused; mq acl update/list/delete change the
// broker's accounts file.
func TestACLCommands(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	if err := os.WriteFile(path, []byte(cliACLAccounts), 0o600); err != nil {
		t.Fatal(err)
	}
	ns := mqtest.StartNamesrv(t, func(c *namesrv.Config) { c.AclEnable, c.AclConfigFile = true, path })
	mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) {
		c.AclEnable, c.AclConfigFile, c.AccessKey, c.SecretKey = true, path, "opsAdmin", "opsSecret1"
	})
	t.Setenv("MQ_CONFIG", filepath.Join(t.TempDir(), "config.yaml"))
	base := []string{"-n", ns.Addr, "-c", "DefaultCluster"}
	if code, _, errOut := runMQ(t, append([]string{"acl", "list"}, base...)...); code != exitError || !strings.Contains(errOut, "AclException") {
		t.Fatalf("unsigned list: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runMQ(t, append([]string{"acl", "list", "--access-key", "appUser1", "--secret-key", "appSecret1"}, base...)...); code != exitError || !strings.Contains(errOut, "admin") {
		t.Fatalf("non-admin list: exit %d, %s", code, errOut)
	}
	admin := append([]string{"--access-key", "opsAdmin", "--secret-key", "opsSecret1"}, base...)
	code, out, errOut := runMQ(t, append([]string{"acl", "update", "newApp01", "--account-secret", "newSecret1", "--topic-perm", "Orders=SUB", "--group-perm", "cg=SUB"}, admin...)...)
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("update: exit %d\n%s%s", code, out, errOut)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "newApp01") || !strings.Contains(string(data), "Orders=SUB") {
		t.Fatalf("accounts file after update:\n%s", data)
	}
	t.Setenv("MQ_ACCESS_KEY", "opsAdmin")
	t.Setenv("MQ_SECRET_KEY", "opsSecret1")
	code, out, errOut = runMQ(t, append([]string{"acl", "get", "newApp01", "-o", "json"}, base...)...)
	var rows []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0]["accessKey"] != "newApp01" || strings.Contains(out, "newSecret1") {
		t.Fatalf("get (env credentials): exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runMQ(t, append([]string{"acl", "update", "short", "--account-secret", "newSecret1"}, base...)...); code != exitUsage {
		t.Fatalf("short key: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runMQ(t, append([]string{"acl", "delete", "newApp01", "--yes"}, base...)...); code != 0 {
		t.Fatalf("delete: exit %d\n%s%s", code, out, errOut)
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), "newApp01") {
		t.Fatalf("accounts file after delete:\n%s", data)
	}
}

func TestStandaloneExposedWithoutACL(t *testing.T) {
	for _, tc := range []struct {
		host string
		acl  bool
		want bool
	}{
		{"127.0.0.1", false, false}, {"::1", false, false}, {"localhost", false, false},
		{"0.0.0.0", false, true}, {"", false, true}, {"10.1.2.3", false, true}, {"0.0.0.0", true, false},
	} {
		if got := exposedWithoutACL(tc.host, tc.acl); got != tc.want {
			t.Errorf("exposedWithoutACL(%q, %v) = %v", tc.host, tc.acl, got)
		}
	}
}

// TestTLSContext: a context with --tls reaches a broker whose port enforces TLS; without
// TLS the broker's part of the answer fails.
func TestTLSContext(t *testing.T) {
	cert, key := mqtest.TLSCert(t)
	ns := mqtest.StartNamesrv(t, func(c *namesrv.Config) {
		c.TlsServerMode, c.TlsServerCertPath, c.TlsServerKeyPath = "permissive", cert, key
	})
	mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) {
		c.TlsServerMode, c.TlsServerCertPath, c.TlsServerKeyPath = "enforcing", cert, key
		c.TlsEnable = true
	})
	t.Setenv("MQ_CONFIG", filepath.Join(t.TempDir(), "config.yaml"))
	if code, _, errOut := runMQ(t, "cluster", "list", "-n", ns.Addr); code == 0 {
		t.Fatalf("plain admin reached an enforcing broker: %s", errOut)
	}
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"ctx", "add", "secure", ns.Addr, "--tls", "--tls-ca", cert},
		IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}); code != 0 {
		t.Fatalf("ctx add: %d %s%s", code, out.String(), errOut.String())
	}
	if code, out, errOut := runMQ(t, "cluster", "list", "-o", "json"); code != 0 || !strings.Contains(out, "broker-a") {
		t.Fatalf("cluster list over TLS: exit %d\n%s%s", code, out, errOut)
	}
}
