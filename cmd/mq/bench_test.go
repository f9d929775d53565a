package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/bench"
)

func TestBenchProduceTransactionFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ratio-without-transaction", []string{"--rollback-ratio", "0.5"}, "needs --transaction"},
		{"ratio-above-one", []string{"--transaction", "--rollback-ratio", "1.5"}, "between 0 and 1"},
		{"ratio-negative", []string{"--transaction", "--rollback-ratio=-0.1"}, "between 0 and 1"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			args := append([]string{"bench", "produce", "-n", "127.0.0.1:1", "-t", "X"}, tc.args...)
			var out, errOut bytes.Buffer
			code := run(context.Background(), args, IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
			if code == 0 || !strings.Contains(errOut.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q; want failure mentioning %q", code, errOut.String(), tc.want)
			}
		})
	}
}

func TestBenchFlags(t *testing.T) {
	t.Setenv("NAMESRV_ADDR", "")
	t.Setenv("MQ_CONTEXT", "")
	t.Setenv("MQ_CONFIG", t.TempDir()+"/none.yaml")
	var got *benchOptions
	capture := func(_ context.Context, o *benchOptions) error { got = o; return nil }
	if err := parse(t, newBenchProduceCmd(IOStreams{}, capture), "-n", "a:1;b:2", "-t", "T", "--count", "7", "--sync",
		"--transaction", "--rollback-ratio", "0.5", "-o", "jsonl", "-q", "--access-key", "ak", "--secret-key", "sk"); err != nil {
		t.Fatal(err)
	}
	o := got.Options
	if o.Mode != bench.ModeProduce || strings.Join(o.NameServers, ",") != "a:1,b:2" || o.Topic != "T" || o.Count != 7 || !o.Sync ||
		o.Inflight != 1 || !o.Transaction || o.RollbackRatio != 0.5 || got.Output != "jsonl" || !got.Quiet ||
		o.Credentials == nil || o.Credentials.AccessKey != "ak" || o.Group != "mq_bench_producer" {
		t.Fatalf("%+v", got)
	}
	got = nil
	if err := parse(t, newBenchConsumeCmd(IOStreams{}, capture), "-n", "h:1", "--batch", "8", "-d", "3s"); err != nil {
		t.Fatal(err)
	}
	if got.Mode != bench.ModeConsume || got.Batch != 8 || got.Duration != 3*time.Second || got.Output != formatTable {
		t.Fatalf("%+v", got)
	}
	// -o is checked like everywhere else.
	if err := parse(t, newBenchConsumeCmd(IOStreams{}, capture), "-n", "h:1", "-o", "xml"); err == nil {
		t.Fatal("-o xml accepted")
	}
}
