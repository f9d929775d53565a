package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/internal/mqtest"
)

// readOnlyCommands are the commands that talk to a cluster and change nothing. Every other
// such command must declare a guard (cmdutil.Writes or Confirms); TestEveryCommandClassified
// fails when a new command is neither.
var readOnlyCommands = []string{
	"admin brokerConsumeStats", "admin brokerStatus", "admin clusterList", "admin consumerConnection",
	"admin consumerProgress", "admin getBrokerConfig", "admin producerConnection", "admin queryMsgByKey",
	"admin queryMsgById", "admin queryMsgByOffset", "admin queryMsgByUniqueKey", "admin queryMsgTraceById",
	"acl get", "acl list",
	"admin statsAll", "admin topicList", "admin topicRoute", "admin topicStatus",
	"bench consume", "broker config", "broker ha", "broker list", "broker status", "cluster list",
	"delay status", "dlq browse", "kv get", "kv list", "dlq list", "group connections", "group list", "group progress",
	"message browse", "message get", "message query", "message trace",
	"topic list", "topic route", "topic status", "tui", "txn half",
}

func walkCommands(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, s := range c.Commands() {
		walkCommands(s, fn)
	}
}

func commandName(c *cobra.Command) string { return strings.TrimPrefix(c.CommandPath(), "mq ") }

// TestEveryCommandClassified: a command that can reach a cluster either declares its guard
// or is listed as read-only, so no writer can skip the read-only check again.
func TestEveryCommandClassified(t *testing.T) {
	root := newRootCmd(IOStreams{})
	seen := map[string]bool{}
	walkCommands(root, func(c *cobra.Command) {
		if c.RunE == nil || c.Flags().ShorthandLookup("n") == nil || c.Parent() == nil || c.GroupID == "servers" {
			return
		}
		name := commandName(c)
		seen[name] = true
		ro := slices.Contains(readOnlyCommands, name)
		switch {
		case ro && cmdutil.IsWriter(c):
			t.Errorf("%s is listed read-only but declares a guard", name)
		case !ro && !cmdutil.IsWriter(c):
			t.Errorf("%s neither declares a guard (cmdutil.Writes/Confirms) nor is listed in readOnlyCommands", name)
		}
		if c != root && (c.PersistentPreRun != nil || c.PersistentPreRunE != nil) {
			t.Errorf("%s has its own PersistentPreRun: the root's guard would not run", name)
		}
	})
	for _, name := range readOnlyCommands {
		if !seen[name] {
			t.Errorf("readOnlyCommands lists %s, which is not a command", name)
		}
	}
}

// TestReadOnlyContextRefusesWrites runs every writing command in a read-only context whose
// nameserver is real: each is refused with exit 2 before it sends anything. topic
// create|update, group create, kv put and send used to run anyway.
func TestReadOnlyContextRefusesWrites(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	t.Setenv("MQ_CONFIG", cfg)
	t.Setenv("NAMESRV_ADDR", "")
	t.Setenv("MQ_CONTEXT", "")
	if err := cmdutil.SaveConfig(cfg, cmdutil.Config{Current: "prod",
		Contexts: []cmdutil.ClusterContext{{Name: "prod", NameServers: ns.Addr, ReadOnly: true}}}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"topic", "create", "-t", "T", "-c", "DefaultCluster"},
		{"topic", "update", "-t", "T", "-c", "DefaultCluster"},
		{"topic", "delete", "-t", "T", "-c", "DefaultCluster", "--yes"},
		{"group", "create", "-g", "G", "-c", "DefaultCluster"},
		{"group", "delete", "-g", "G", "-c", "DefaultCluster", "--yes"},
		{"group", "reset-offset", "-g", "G", "-t", "T", "--earliest", "--yes"},
		{"group", "skip", "-g", "G", "-t", "T", "--yes"},
		{"group", "clone", "-s", "G", "-d", "G2", "-t", "T", "--yes"},
		{"kv", "put", "--namespace", "NS", "k", "v"},
		{"kv", "delete", "--namespace", "NS", "k", "--yes"},
		{"send", "-t", "T", "body"},
		{"consume", "-t", "T", "--group", "G"},
		{"dlq", "resend", "-g", "G", "--all", "--yes"},
		{"message", "resend", "-g", "G", "-i", "X", "--yes"},
		{"broker", "config", "set", "-c", "DefaultCluster", "k=v", "--yes"},
		{"bench", "produce", "--count", "1"},
		{"admin", "updateTopic", "-t", "T", "-c", "DefaultCluster"},
		{"admin", "deleteTopic", "-t", "T", "-c", "DefaultCluster"},
		{"admin", "updateSubGroup", "-g", "G", "-c", "DefaultCluster"},
		{"admin", "deleteSubGroup", "-g", "G", "-c", "DefaultCluster"},
		{"admin", "updateBrokerConfig", "-c", "DefaultCluster", "-k", "k", "-v", "v"},
		{"admin", "wipeWritePerm", "-b", "broker-a"},
		{"admin", "resetOffsetByTime", "-g", "G", "-t", "T", "-s", "now"},
		{"admin", "skipAccumulatedMessage", "-g", "G", "-t", "T"},
		{"admin", "sendMessage", "-t", "T", "-p", "body"},
		{"admin", "consumeMessage", "-t", "T", "-g", "G"},
	} {
		t.Run("cmd="+strings.Join(args[:2], "-"), func(t *testing.T) {
			var out, errOut bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			code := run(ctx, args, IOStreams{In: strings.NewReader("y\n"), Out: &out, ErrOut: &errOut})
			if code != exitUsage || !strings.Contains(errOut.String(), `context "prod" is read-only`) {
				t.Fatalf("exit %d, stderr %q; want exit %d and a read-only refusal", code, errOut.String(), exitUsage)
			}
		})
	}
	// Reading is allowed, a preview is a read, and -n leaves the context out.
	for _, args := range [][]string{
		{"topic", "list"},
		{"group", "reset-offset", "-g", "G", "-t", "T", "--earliest", "--preview"},
		{"consume", "-t", "T"},
		{"kv", "put", "--namespace", "NS", "k", "v", "-n", ns.Addr},
	} {
		t.Run("allowed="+strings.Join(args, "-"), func(t *testing.T) {
			var out, errOut bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			run(ctx, append(args, "--timeout", "2s"), IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
			if strings.Contains(errOut.String(), "read-only") {
				t.Fatalf("refused: %s", errOut.String())
			}
		})
	}
	if _, err := os.Stat(cfg); err != nil {
		t.Fatal(err)
	}
}
