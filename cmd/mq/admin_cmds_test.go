package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/protocol"
)

// Layer 1: flag parsing, with the run function replaced by a stub that captures the options.

func parse(t *testing.T, cmd *cobra.Command, args ...string) error {
	t.Helper()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.ExecuteContext(context.Background())
}

func TestAdminFlags(t *testing.T) {
	t.Setenv("NAMESRV_ADDR", "10.0.0.1:9876;10.0.0.2:9876")
	streams := IOStreams{}

	t.Run("cmd=cluster-list", func(t *testing.T) {
		var got *clusterListOptions
		cmd := newClusterListCmd(streams, func(_ context.Context, o *clusterListOptions) error { got = o; return nil })
		if err := parse(t, cmd, "-c", "C1", "-o", "json"); err != nil {
			t.Fatal(err)
		}
		if got.cluster != "C1" || got.Output != "json" || got.Namesrv != "10.0.0.1:9876;10.0.0.2:9876" || got.Timeout != 5*time.Second {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("cmd=topic-create", func(t *testing.T) {
		var got *topicCreateOptions
		cmd := newTopicCreateCmd(streams, func(_ context.Context, o *topicCreateOptions) error { got = o; return nil })
		if err := parse(t, cmd, "-n", "h:1", "-t", "T", "-c", "C", "-r", "4", "-w", "2", "-p", "4", "--order"); err != nil {
			t.Fatal(err)
		}
		if got.topic != "T" || got.cluster != "C" || got.readQueues != 4 || got.writeQueues != 2 || got.perm != 4 || !got.order || got.Namesrv != "h:1" {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("cmd=mqadmin-updateTopic", func(t *testing.T) {
		var got *topicCreateOptions
		cmd := newMqadminUpdateTopic(streams, func(_ context.Context, o *topicCreateOptions) error { got = o; return nil })
		if err := parse(t, cmd, "-n", "h:1", "-t", "T", "-b", "b:10911", "-r", "16", "-w", "16", "-o", "true", "--output", "yaml"); err != nil {
			t.Fatal(err)
		}
		if got.topic != "T" || got.brokerAddr != "b:10911" || got.readQueues != 16 || !got.order || got.Output != "yaml" {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("cmd=mqadmin-clusterList", func(t *testing.T) {
		var got *clusterListOptions
		cmd := newMqadminClusterList(streams, func(_ context.Context, o *clusterListOptions) error { got = o; return nil })
		if err := parse(t, cmd, "--namesrvAddr", "h:1", "-m", "-i", "2"); err != nil {
			t.Fatal(err)
		}
		if got.Output != formatWide || got.interval != 2*time.Second || got.Namesrv != "h:1" {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("cmd=group-create", func(t *testing.T) {
		var got *groupCreateOptions
		cmd := newGroupCreateCmd(streams, func(_ context.Context, o *groupCreateOptions) error { got = o; return nil })
		if err := parse(t, cmd, "-g", "g1", "-b", "b:1", "-r", "3", "--broadcast=false", "--orderly"); err != nil {
			t.Fatal(err)
		}
		if got.group != "g1" || got.retryMaxTimes != 3 || got.broadcast || !got.orderly || !got.consumeEnable || got.retryQueueNums != 1 {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("cmd=kv-put", func(t *testing.T) {
		var got *kvOptions
		cmd := newKVPutCmd(streams, func(_ context.Context, o *kvOptions) error { got = o; return nil })
		if err := parse(t, cmd, "--namespace", "NS", "k", "v"); err != nil {
			t.Fatal(err)
		}
		if got.namespace != "NS" || got.key != "k" || got.value != "v" {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("cmd=wipeWritePerm", func(t *testing.T) {
		var got *wipeWritePermOptions
		cmd := newMqadminWipeWritePerm(streams, func(_ context.Context, o *wipeWritePermOptions) error { got = o; return nil })
		if err := parse(t, cmd, "-b", "broker-a"); err != nil {
			t.Fatal(err)
		}
		if got.brokerName != "broker-a" {
			t.Fatalf("%+v", got)
		}
	})

	// Usage errors: exit 2 through run().
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"case=no-target", []string{"topic", "create", "-t", "T"}},
		{"case=both-targets", []string{"group", "list", "-b", "h:1", "-c", "C"}},
		{"case=bad-perm", []string{"topic", "create", "-t", "T", "-c", "C", "-p", "7"}},
		{"case=bad-output", []string{"cluster", "list", "-o", "xml"}},
		{"case=missing-topic", []string{"topic", "route"}},
		{"case=kv-args", []string{"kv", "get", "--namespace", "NS"}},
		{"case=mqadmin-order", []string{"admin", "updateTopic", "-t", "T", "-c", "C", "-o", "maybe"}},
		{"case=no-namesrv", []string{"topic", "list", "-n", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tc.args, IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %s", code, exitUsage, errOut.String())
			}
		})
	}
}

// Layer 2: run functions and whole commands against a real nameserver and stand-in brokers,
// with in-memory streams.

type cluster struct {
	ns       string
	live     *admintest.Broker
	deadAddr string
}

// startCluster runs a nameserver with broker-a (answering) and broker-b (registered, not
// answering) in cluster C1.
func startCluster(t *testing.T) cluster {
	t.Helper()
	ns := mqtest.StartNamesrv(t)
	tc := protocol.NewTopicConfig("TopicTest")
	tc.ReadQueueNums, tc.WriteQueueNums = 2, 2
	b, err := admintest.Start(admintest.Config{Cluster: "C1", Name: "broker-a", Topics: []protocol.TopicConfig{tc}, Groups: []string{"g1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Register(ctx, ns.Addr); err != nil {
		t.Fatal(err)
	}
	d, err := admintest.RegisterDead(ctx, ns.Addr, "C1", "broker-b", tc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return cluster{ns: ns.Addr, live: b, deadAddr: d.Addr}
}

func runMQ(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code = run(ctx, append(args, "--timeout", "2s"), IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

func TestClusterListPartial(t *testing.T) {
	c := startCluster(t)
	code, out, errOut := runMQ(t, "cluster", "list", "-n", c.ns, "-o", "json")
	if code != exitPartial {
		t.Fatalf("exit %d, want 3; stderr %s", code, errOut)
	}
	if !strings.Contains(errOut, "1/2 brokers answered") || !strings.Contains(errOut, c.deadAddr) {
		t.Fatalf("stderr %q", errOut)
	}
	var rows []brokerRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rows) != 2 || !rows[0].Answered || rows[0].Version != "V5_3_3" || rows[0].PutTps != 1.5 || rows[0].PutToday != 120 ||
		rows[1].Answered || rows[1].Error == "" || rows[1].BrokerName != "broker-b" {
		t.Fatalf("rows %+v", rows)
	}

	// The table shows the dead broker with dashes, not zeros.
	code, out, _ = runMQ(t, "cluster", "list", "-n", c.ns)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitPartial || len(lines) != 3 || !strings.HasPrefix(lines[0], "CLUSTER") ||
		!strings.Contains(lines[1], "V5_3_3") || strings.Contains(lines[2], "0.00") || !strings.HasSuffix(lines[2], "-") {
		t.Fatalf("exit %d table:\n%s", code, out)
	}

	// Only the live broker asked: no error. (`mq broker status` hangs under the broker
	// command, so the command is built here directly.)
	var o bytes.Buffer
	cmd := newBrokerStatusCmd(IOStreams{Out: &o, ErrOut: &o}, nil)
	if err := parse(t, cmd, "-n", c.ns, "-b", c.live.Addr); err != nil || !regexp.MustCompile(`(?m)^brokerVersionDesc +V5_3_3$`).MatchString(o.String()) {
		t.Fatalf("broker status: %v %s", err, o.String())
	}
	o.Reset()
	cmd = newBrokerListCmd(IOStreams{Out: &o, ErrOut: &o}, nil)
	if err := parse(t, cmd, "-n", c.ns, "-o", "jsonl"); err != nil || strings.Count(o.String(), `"cluster":"C1"`) != 2 {
		t.Fatalf("broker list: %v %s", err, o.String())
	}
	// The whole cluster with the dead broker down: partial.
	if code, _, errOut := runMQ(t, "admin", "brokerStatus", "-n", c.ns, "-c", "C1"); code != exitPartial {
		t.Fatalf("brokerStatus -c: exit %d %s", code, errOut)
	}
	// Only the dead broker: error.
	if code, _, _ := runMQ(t, "admin", "getBrokerConfig", "-n", c.ns, "-b", c.deadAddr); code != exitError {
		t.Fatalf("dead broker: exit %d", code)
	}
}

func TestWrongNamesrv(t *testing.T) {
	dead, err := admintest.DeadAddr()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runMQ(t, "topic", "list", "-n", dead)
	if code != exitError || out != "" || !strings.Contains(errOut, "connection refused") {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
	}
}

// TestOneNamesrvDown: with one of two nameservers down a read still answers from the other,
// but the answer is partial: exit 3 and "1/2 nameservers answered" (mq help exit-codes).
func TestOneNamesrvDown(t *testing.T) {
	c := startCluster(t)
	dead, err := admintest.DeadAddr()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runMQ(t, "topic", "list", "-n", dead+";"+c.ns)
	if code != exitPartial || !strings.Contains(out, "TopicTest") || !strings.Contains(errOut, "1/2 nameservers answered: nameserver "+dead) {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
	}
	// Both up: a complete answer.
	if code, _, errOut := runMQ(t, "topic", "list", "-n", c.ns+";"+c.ns); code != exitOK {
		t.Fatalf("both up: exit %d %s", code, errOut)
	}
}

func TestTopicCommands(t *testing.T) {
	c := startCluster(t)
	ns := c.ns

	// Create on the live broker only: ok; the route then shows it.
	code, out, errOut := runMQ(t, "topic", "create", "-n", ns, "-t", "Orders", "-b", c.live.Addr, "-r", "4", "-w", "4")
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("create: %d %s %s", code, out, errOut)
	}
	code, out, _ = runMQ(t, "topic", "route", "-n", ns, "-t", "Orders", "-o", "json")
	var rd protocol.TopicRouteData
	if code != 0 || json.Unmarshal([]byte(out), &rd) != nil || len(rd.QueueDatas) != 1 || rd.QueueDatas[0].ReadQueueNums != 4 {
		t.Fatalf("route: %d %s", code, out)
	}
	code, out, _ = runMQ(t, "topic", "route", "-n", ns, "-t", "Orders")
	if code != 0 || !strings.Contains(out, "broker-a") || !strings.Contains(out, "RW") {
		t.Fatalf("route table: %d %s", code, out)
	}
	// Create across the cluster: broker-b does not answer.
	code, out, errOut = runMQ(t, "admin", "updateTopic", "-n", ns, "-t", "Orders2", "-c", "C1", "--output", "jsonl")
	if code != exitPartial || strings.Count(out, "\n") != 2 || !strings.Contains(errOut, "1/2 brokers answered") {
		t.Fatalf("updateTopic -c: %d %q %s", code, out, errOut)
	}

	code, out, _ = runMQ(t, "topic", "list", "-n", ns, "-o", "json")
	var rows []topicRow
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil {
		t.Fatalf("list: %d %s", code, out)
	}
	types := map[string]string{}
	for _, r := range rows {
		types[r.Topic] = r.Type
	}
	if types["Orders"] != "normal" || types["TBW102"] != "system" || types["C1"] != "system" {
		t.Fatalf("types %v", types)
	}
	code, out, _ = runMQ(t, "admin", "topicList", "-n", ns, "-c")
	if code != 0 || !strings.Contains(out, "CLUSTER") || !strings.Contains(out, "C1") {
		t.Fatalf("topicList -c: %d %s", code, out)
	}

	code, out, errOut = runMQ(t, "topic", "status", "-n", ns, "-t", "TopicTest", "-o", "yaml")
	var st []map[string]any
	if code != exitPartial || yaml.Unmarshal([]byte(out), &st) != nil || len(st) != 2 || st[0]["maxOffset"] != 42 {
		t.Fatalf("status: %d %s %s", code, out, errOut)
	}

	code, out, errOut = runMQ(t, "topic", "delete", "-n", ns, "-t", "Orders", "-c", "C1", "--yes")
	if code != exitPartial || !strings.Contains(out, "nameserver") {
		t.Fatalf("delete: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := runMQ(t, "topic", "route", "-n", ns, "-t", "Orders"); code != exitError || !strings.Contains(errOut, "topic Orders does not exist") {
		t.Fatalf("route after delete: %d %s", code, errOut)
	}
}

func TestGroupAndKVCommands(t *testing.T) {
	c := startCluster(t)
	ns, b := c.ns, c.live.Addr

	if code, out, errOut := runMQ(t, "group", "create", "-n", ns, "-g", "g2", "-b", b, "-r", "5"); code != 0 {
		t.Fatalf("create: %d %s %s", code, out, errOut)
	}
	code, out, _ := runMQ(t, "group", "list", "-n", ns, "-b", b, "-o", "json")
	var groups []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &groups) != nil || len(groups) != 2 || groups[1]["groupName"] != "g2" || groups[1]["retryMaxTimes"] != 5.0 {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, _, errOut := runMQ(t, "group", "list", "-n", ns, "-c", "C1"); code != exitPartial {
		t.Fatalf("list -c: %d %s", code, errOut)
	}
	if code, _, _ := runMQ(t, "group", "delete", "-n", ns, "-g", "g2", "-b", b, "--yes"); code != 0 {
		t.Fatalf("delete: %d", code)
	}

	// g1 has no retry route: every master is asked, broker-b does not answer.
	code, out, errOut := runMQ(t, "group", "progress", "-n", ns, "-g", "g1", "-t", "TopicTest", "-o", "json")
	var gp groupProgressView
	if code != exitPartial || json.Unmarshal([]byte(out), &gp) != nil || gp.Lag != 2 || len(gp.Queues) != 1 || len(gp.Brokers) != 2 {
		t.Fatalf("progress: %d %s %s", code, out, errOut)
	}
	code, out, _ = runMQ(t, "group", "connections", "-n", ns, "-g", "g1")
	// The client's version 317 prints as Java's enum name.
	if code != exitPartial || !strings.Contains(out, "10.0.0.5@1234") || !strings.Contains(out, "V4_5_2") {
		t.Fatalf("connections: %d %s", code, out)
	}

	if code, _, _ := runMQ(t, "kv", "put", "-n", ns, "--namespace", "NS", "k", "v=1"); code != 0 {
		t.Fatalf("put: %d", code)
	}
	if code, out, _ := runMQ(t, "kv", "get", "-n", ns, "--namespace", "NS", "k"); code != 0 || out != "v=1\n" {
		t.Fatalf("get: %d %q", code, out)
	}
	if code, out, _ := runMQ(t, "kv", "list", "-n", ns, "--namespace", "NS", "-o", "jsonl"); code != 0 || out != `{"namespace":"NS","key":"k","value":"v=1"}`+"\n" {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, _, _ := runMQ(t, "kv", "delete", "-n", ns, "--namespace", "NS", "k", "--yes"); code != 0 {
		t.Fatalf("delete: %d", code)
	}
	if code, _, errOut := runMQ(t, "kv", "get", "-n", ns, "--namespace", "NS", "k"); code != exitError || !strings.Contains(errOut, "no key k in namespace NS") {
		t.Fatalf("get deleted: %d %s", code, errOut)
	}

	code, out, _ = runMQ(t, "admin", "wipeWritePerm", "-n", ns, "-b", "broker-a", "--output", "json")
	var pc []permChange
	if code != 0 || json.Unmarshal([]byte(out), &pc) != nil || len(pc) != 1 || pc[0].TopicCount < 1 {
		t.Fatalf("wipe: %d %s", code, out)
	}
	if _, out, _ := runMQ(t, "topic", "route", "-n", ns, "-t", "TopicTest"); !regexp.MustCompile(`(?m)^broker-a .* R--$`).MatchString(out) {
		t.Fatalf("route after wipe:\n%s", out)
	}
	// addWritePerm undoes it.
	code, out, _ = runMQ(t, "admin", "addWritePerm", "-n", ns, "-b", "broker-a")
	if code != 0 || !regexp.MustCompile(`(?m)^NAMESERVER +ADDED-TOPICS$`).MatchString(out) || !regexp.MustCompile(`(?m)^127\.0\.0\.1:\d+ +[1-9]\d*$`).MatchString(out) {
		t.Fatalf("add: %d %s", code, out)
	}
	if _, out, _ := runMQ(t, "topic", "route", "-n", ns, "-t", "TopicTest"); !regexp.MustCompile(`(?m)^broker-a .* RW-$`).MatchString(out) {
		t.Fatalf("route after add:\n%s", out)
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	tb := table{header: []string{"A", "LONGER"}, wide: []string{"W"}}
	tb.add("x", "", "w")
	tb.addFailed("yyyy", "z", "w")
	if err := writeTable(&buf, tb, false, false); err != nil {
		t.Fatal(err)
	}
	want := "A      LONGER\nx      -\nyyyy   z\n"
	if buf.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", buf.String(), want)
	}
	buf.Reset()
	if err := writeTable(&buf, tb, true, true); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if !strings.HasPrefix(lines[0], "\x1b[1mA") || !strings.HasSuffix(lines[0], "W\x1b[0m") || !strings.HasPrefix(lines[2], "\x1b[31m") {
		t.Fatalf("wide colour table %q", buf.String())
	}
}
