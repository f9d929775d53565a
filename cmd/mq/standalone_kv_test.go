package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// TestStandaloneKVUnderStore: the nameserver of `mq standalone --store DIR` keeps its KV
// config in DIR/namesrv, not in ~/namesrv (which every standalone of the user shared).
func TestStandaloneKVUnderStore(t *testing.T) {
	dir := t.TempDir()
	ports := filepath.Join(dir, "ports")
	store := filepath.Join(dir, "store")
	cmd := exec.Command(os.Args[0], "standalone", "--namesrv-port", "0", "--broker-port", "0",
		"--store", store, "--ports-file", ports)
	cmd.Env = append(os.Environ(), "MQ_TEST_RUN_MAIN=1", "HOME="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	var ns string
	for deadline := time.Now().Add(10 * time.Second); ns == ""; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(ports)
		for _, line := range strings.Split(string(b), "\n") {
			if a, ok := strings.CutPrefix(line, "namesrv "); ok {
				ns = a
			}
		}
		if ns == "" && time.Now().After(deadline) {
			t.Fatalf("standalone did not start; stderr:\n%s", stderr.String())
		}
	}
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	h := &protocol.PutKVConfigRequestHeader{Namespace: "ORDER_TOPIC_CONFIG", Key: "T", Value: "broker-a:4"}
	resp, err := cl.InvokeSync(t.Context(), ns, remoting.NewRequest(int16(protocol.PutKVConfig), protocol.EncodeHeader(h), nil))
	if err != nil || resp.Code != 0 {
		t.Fatalf("PUT_KV_CONFIG: %v %+v", err, resp)
	}
	b, err := os.ReadFile(filepath.Join(store, "namesrv", "kvConfig.json"))
	if err != nil || !strings.Contains(string(b), "broker-a:4") {
		t.Fatalf("kvConfig.json under the store: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "namesrv")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("~/namesrv was used: %v", err)
	}
}
