package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// TestStandaloneWithGoClient is issue 4's one-command start: the real `mq standalone` runs as
// a child process with nothing but a store directory, and the official Go client's simple
// producer and push consumer (as in its examples) work against it with no other setup — the
// topic is auto-created by the first send. SIGTERM then stops it cleanly.
func TestStandaloneWithGoClient(t *testing.T) {
	dir := t.TempDir()
	ports := filepath.Join(dir, "ports")
	cmd := exec.Command(os.Args[0], "standalone", "--namesrv-port", "0", "--broker-port", "0",
		"--store", filepath.Join(dir, "store"), "--ports-file", ports)
	cmd.Env = append(os.Environ(), "MQ_TEST_RUN_MAIN=1", "HOME="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	var ns string
	deadline := time.Now().Add(10 * time.Second)
	for ns == "" {
		if b, err := os.ReadFile(ports); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if a, ok := strings.CutPrefix(line, "namesrv "); ok {
					ns = a
				}
			}
		}
		if ns == "" && time.Now().After(deadline) {
			t.Fatalf("standalone did not start; stderr:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	const topic, n = "TopicTest", 10
	p, err := rocketmq.NewProducer(producer.WithNameServer([]string{ns}), producer.WithRetry(2),
		producer.WithGroupName("standalone_producer"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range n {
		res, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte(fmt.Sprintf("hello %d", i))))
		if err != nil || res.Status != primitive.SendOK {
			t.Fatalf("send %d: %v %v", i, res, err)
		}
	}

	var mu sync.Mutex
	got := map[string]bool{}
	c, err := rocketmq.NewPushConsumer(consumer.WithNameServer([]string{ns}), consumer.WithGroupName("standalone_consumer"),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, ms ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range ms {
			got[string(m.Body)] = true
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	for {
		mu.Lock()
		k := len(got)
		mu.Unlock()
		if k == n {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d messages; stderr:\n%s", k, n, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	stopWithSIGTERM(t, cmd, &stderr)
}
