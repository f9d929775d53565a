package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// startStandaloneProc runs `mq standalone args…` as a child process and returns its ports-file
// addresses and its stderr.
func startStandaloneProc(t *testing.T, dir string, args ...string) (ns, brk string, stderr *lockedBuffer) {
	t.Helper()
	ports := filepath.Join(dir, "ports")
	cmd := exec.Command(os.Args[0], append([]string{"standalone", "--namesrv-port", "0", "--broker-port", "0",
		"--store", filepath.Join(dir, "store"), "--ports-file", ports}, args...)...)
	cmd.Env = append(os.Environ(), "MQ_TEST_RUN_MAIN=1", "HOME="+dir)
	stderr = &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for ns == "" || brk == "" {
		if b, err := os.ReadFile(ports); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if a, ok := strings.CutPrefix(line, "namesrv "); ok {
					ns = a
				}
				if a, ok := strings.CutPrefix(line, "broker "); ok {
					brk = a
				}
			}
		}
		if (ns == "" || brk == "") && time.Now().After(deadline) {
			t.Fatalf("standalone did not start; stderr:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return ns, brk, stderr
}

// TestStandaloneACL: `mq standalone -c broker.properties` with aclEnable=true protects its
// nameserver with the same accounts (a fake REGISTER_BROKER is refused) and its broker (an
// unsigned producer fails, a signed one sends); without the broker's own accessKey it
// refuses to start.
func TestStandaloneACL(t *testing.T) {
	dir := t.TempDir()
	props := filepath.Join(dir, "broker.properties")
	if err := os.WriteFile(filepath.Join(dir, "plain_acl.yml"), []byte(`accounts:
  - {accessKey: standaloneAdm, secretKey: standaloneSec, admin: true}
  - {accessKey: appProducer, secretKey: appSecret1, defaultTopicPerm: PUB, defaultGroupPerm: SUB}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(props, []byte("aclEnable=true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"standalone", "-c", props, "--namesrv-port", "0", "--broker-port", "0", "--store", filepath.Join(dir, "s0")},
		IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}); code != exitError || !strings.Contains(errOut.String(), "needs accessKey") {
		t.Fatalf("without accessKey: exit %d, %s", code, errOut.String())
	}
	if err := os.WriteFile(props, []byte("aclEnable=true\naccessKey=standaloneAdm\nsecretKey=standaloneSec\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ns, _, stderr := startStandaloneProc(t, dir, "-c", props)
	if strings.Contains(stderr.String(), "without ACL") {
		t.Fatalf("warned although ACL is on:\n%s", stderr)
	}

	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	fake := remoting.NewRequest(int16(protocol.RegisterBroker), protocol.EncodeHeader(&protocol.RegisterBrokerRequestHeader{
		BrokerName: "evil", BrokerAddr: "10.6.6.6:10911", ClusterName: "DefaultCluster"}), []byte(`{}`))
	if resp, err := cl.InvokeSync(ctx, ns, fake); err != nil || resp.Code == 0 {
		t.Fatalf("fake registration: %v %+v", err, resp)
	}

	send := func(cred *primitive.Credentials) error {
		opts := []producer.Option{producer.WithNameServer([]string{ns}), producer.WithRetry(0), producer.WithGroupName("pgStandalone")}
		if cred != nil {
			opts = append(opts, producer.WithCredentials(*cred))
		}
		p, err := rocketmq.NewProducer(opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		defer p.Shutdown()
		_, err = p.SendSync(ctx, primitive.NewMessage("StandaloneACL", []byte("x")))
		return err
	}
	if err := send(&primitive.Credentials{AccessKey: "appProducer", SecretKey: "appSecret1"}); err != nil {
		t.Fatalf("signed producer: %v", err)
	}
	if err := send(nil); err == nil {
		t.Fatal("unsigned producer sent")
	}
}

// TestStandaloneWarnsWithoutACL: bound beyond loopback without ACL, standalone logs one
// warning.
func TestStandaloneWarnsWithoutACL(t *testing.T) {
	_, _, stderr := startStandaloneProc(t, t.TempDir(), "--host", "0.0.0.0")
	if n := strings.Count(stderr.String(), "without ACL"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, stderr)
	}
}
