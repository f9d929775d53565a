package main

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// Flag parsing of every command, through its constructor's runF seam: args in, options out,
// nothing run. TestEveryCommandHasFlagTest fails when a command has no case here.

// parseInto builds a command with a capturing runF, parses args and returns the options.
func parseInto[O any](t *testing.T, build func(IOStreams, func(context.Context, *O) error) *cobra.Command, args ...string) *O {
	t.Helper()
	var got *O
	cmd := build(IOStreams{}, func(_ context.Context, o *O) error { got = o; return nil })
	if err := parse(t, cmd, args...); err != nil {
		t.Fatalf("%s %v: %v", cmd.Name(), args, err)
	}
	if got == nil {
		t.Fatalf("%s %v: runF not called", cmd.Name(), args)
	}
	return got
}

func want(t *testing.T, ok bool, got any) {
	t.Helper()
	if !ok {
		t.Fatalf("parsed %+v", got)
	}
}

// flagCases maps each command path (without "mq ") to its flag-parsing check.
var flagCases = map[string]func(t *testing.T){
	"cluster list": func(t *testing.T) {
		o := parseInto(t, newClusterListCmd, "-n", "h:1", "-c", "C1", "-o", "wide")
		want(t, o.cluster == "C1" && o.Output == "wide" && o.Namesrv == "h:1", o)
	},
	"broker list": func(t *testing.T) {
		o := parseInto(t, newBrokerListCmd, "-n", "h:1", "-c", "C1", "-o", "json")
		want(t, o.cluster == "C1" && o.Output == "json", o)
	},
	"broker status": func(t *testing.T) {
		o := parseInto(t, newBrokerStatusCmd, "-b", "b:1", "-q")
		want(t, o.brokerAddr == "b:1" && o.Quiet, o)
	},
	"broker ha": func(t *testing.T) {
		o := parseInto(t, newBrokerHACmd, "-c", "C1", "-o", "json")
		want(t, o.cluster == "C1" && o.Output == "json", o)
	},
	"broker config": func(t *testing.T) {
		o := parseInto(t, newBrokerConfigCmd, "-c", "C1", "--timeout", "3s")
		want(t, o.cluster == "C1" && o.Timeout == 3*time.Second, o)
	},
	"broker perm": func(t *testing.T) {
		o := parseInto(t, newBrokerPermCmd, "-b", "b:1", "r-", "--yes")
		want(t, o.brokerAddr == "b:1" && o.perm == 4, o)
	},
	"broker config set": func(t *testing.T) {
		o := parseInto(t, newBrokerConfigSetCmd, "-b", "b:1", "a=1", "b=2")
		want(t, o.brokerAddr == "b:1" && o.kv["a"] == "1" && o.kv["b"] == "2", o)
	},
	"topic list": func(t *testing.T) {
		o := parseInto(t, newTopicListCmd, "-c", "C1", "-o", "jsonl")
		want(t, o.cluster == "C1" && o.Output == "jsonl", o)
	},
	"topic route": func(t *testing.T) {
		o := parseInto(t, newTopicRouteCmd, "-t", "T")
		want(t, o.topic == "T" && o.Output == "table", o)
	},
	"topic create": func(t *testing.T) {
		o := parseInto(t, newTopicCreateCmd, "-t", "T", "-b", "b:1", "-r", "2", "-w", "3", "-p", "4", "--order")
		want(t, o.topic == "T" && o.brokerAddr == "b:1" && o.readQueues == 2 && o.writeQueues == 3 && o.perm == 4 && o.order, o)
	},
	"topic delete": func(t *testing.T) {
		o := parseInto(t, newTopicDeleteCmd, "-t", "T", "-c", "C1", "--yes")
		want(t, o.topic == "T" && o.cluster == "C1", o)
	},
	"topic status": func(t *testing.T) {
		o := parseInto(t, newTopicStatusCmd, "-t", "T", "-o", "yaml")
		want(t, o.topic == "T" && o.Output == "yaml", o)
	},
	"group list": func(t *testing.T) {
		o := parseInto(t, newGroupListCmd, "-c", "C1")
		want(t, o.cluster == "C1", o)
	},
	"group create": func(t *testing.T) {
		o := parseInto(t, newGroupCreateCmd, "-g", "G", "-c", "C1", "--retry-queues", "2", "-r", "5", "--orderly")
		want(t, o.group == "G" && o.retryQueueNums == 2 && o.retryMaxTimes == 5 && o.orderly, o)
	},
	"group delete": func(t *testing.T) {
		o := parseInto(t, newGroupDeleteCmd, "-g", "G", "-b", "b:1", "--clean-offset")
		want(t, o.group == "G" && o.brokerAddr == "b:1" && o.cleanOffset, o)
	},
	"group connections": func(t *testing.T) {
		o := parseInto(t, newGroupConnectionsCmd, "-g", "G")
		want(t, o.group == "G", o)
	},
	"group progress": func(t *testing.T) {
		o := parseInto(t, newGroupProgressCmd, "-g", "G", "-t", "T")
		want(t, o.group == "G" && o.topic == "T", o)
	},
	"group reset-offset": func(t *testing.T) {
		o := parseInto(t, newGroupResetCmd, "-g", "G", "-t", "T", "--to-time", "2h", "--preview")
		want(t, o.group == "G" && o.topic == "T" && o.toTime == "2h" && o.preview && o.offset == -1, o)
	},
	"group skip": func(t *testing.T) {
		o := parseInto(t, newGroupSkipCmd, "-g", "G", "-t", "T", "--yes")
		want(t, o.group == "G" && o.latest, o)
	},
	"group clone": func(t *testing.T) {
		o := parseInto(t, newGroupCloneCmd, "-s", "A", "-d", "B", "-t", "T", "--offline=false")
		want(t, o.src == "A" && o.dest == "B" && o.topic == "T" && !o.offline, o)
	},
	"kv get": func(t *testing.T) {
		o := parseInto(t, newKVGetCmd, "--namespace", "NS", "k")
		want(t, o.namespace == "NS" && o.key == "k", o)
	},
	"kv put": func(t *testing.T) {
		o := parseInto(t, newKVPutCmd, "-s", "NS", "k", "v")
		want(t, o.namespace == "NS" && o.key == "k" && o.value == "v", o)
	},
	"kv delete": func(t *testing.T) {
		o := parseInto(t, newKVDeleteCmd, "-s", "NS", "k", "--yes")
		want(t, o.namespace == "NS" && o.key == "k", o)
	},
	"kv list": func(t *testing.T) {
		o := parseInto(t, newKVListCmd, "-s", "NS", "-o", "json")
		want(t, o.namespace == "NS" && o.Output == "json", o)
	},
	"message get": func(t *testing.T) {
		o := parseInto(t, newMessageGetCmd, "-i", "ID", "-t", "T")
		want(t, o.id == "ID" && o.topic == "T", o)
	},
	"message query": func(t *testing.T) {
		o := parseInto(t, newMessageQueryCmd, "-t", "T", "-k", "K", "--begin", "1h")
		want(t, o.topic == "T" && o.key == "K" && o.begin == "1h", o)
	},
	"message browse": func(t *testing.T) {
		o := parseInto(t, newMessageBrowseCmd, "-t", "T", "--queue", "1", "--offset", "5", "--tag", "A", "--prop", "k=v", "--max", "3", "-q")
		want(t, o.topic == "T" && o.queue == 1 && o.offset == 5 && o.tag == "A" && slices.Equal(o.props, []string{"k=v"}) && o.max == 3 && o.Quiet, o)
	},
	"message trace": func(t *testing.T) {
		o := parseInto(t, newMessageTraceCmd, "-i", "ID")
		want(t, o.id == "ID" && o.traceTopic == "RMQ_SYS_TRACE_TOPIC", o)
	},
	"message resend": func(t *testing.T) {
		o := parseInto(t, newMessageResendCmd, "-i", "ID", "-g", "G", "-t", "T", "--yes")
		want(t, o.id == "ID" && o.group == "G" && o.topic == "T", o)
	},
	"send": func(t *testing.T) {
		o := parseInto(t, newSendCmd, "-t", "T", "--key", "k1", "--tag", "A", "--count", "3", "--trace", "--transaction", "unknown", "body")
		want(t, o.topic == "T" && slices.Equal(o.keys, []string{"k1"}) && o.tag == "A" && o.count == 3 && o.trace &&
			o.traceTopic == "RMQ_SYS_TRACE_TOPIC" && o.transaction == "unknown", o)
	},
	"consume": func(t *testing.T) {
		o := parseInto(t, newConsumeCmd, "-t", "T", "--group", "G", "--count", "4", "-o", "jsonl")
		want(t, o.topic == "T" && o.group == "G" && o.count == 4 && o.Output == "jsonl", o)
	},
	"dlq list": func(t *testing.T) {
		o := parseInto(t, newDLQListCmd, "-o", "json")
		want(t, o.Output == "json", o)
	},
	"dlq browse": func(t *testing.T) {
		o := parseInto(t, newDLQBrowseCmd, "-g", "G", "--max", "5")
		want(t, o.group == "G" && o.topic == "%DLQ%G" && o.max == 5 && o.queue == -1, o)
	},
	"dlq resend": func(t *testing.T) {
		o := parseInto(t, newDLQResendCmd, "-g", "G", "--all", "--max", "9", "--yes")
		want(t, o.group == "G" && o.all && o.max == 9, o)
	},
	"delay status": func(t *testing.T) {
		o := parseInto(t, newDelayStatusCmd, "-b", "b:1")
		want(t, o.brokerAddr == "b:1", o)
	},
	"txn half": func(t *testing.T) {
		o := parseInto(t, newTxnHalfCmd, "-c", "C1", "--limit", "7")
		want(t, o.cluster == "C1" && o.limit == 7, o)
	},
	"ctx add": func(t *testing.T) {
		o := parseInto(t, newCtxAddCmd, "prod", "h:1;h:2", "--read-only", "--access-key", "ak")
		want(t, o.Name == "prod" && o.NameServers == "h:1;h:2" && o.ReadOnly && o.AccessKey == "ak", o)
	},
	"ctx use": func(t *testing.T) {
		o := parseInto(t, newCtxUseCmd, "prod")
		want(t, o.Name == "prod", o)
	},
	"ctx list": func(t *testing.T) {
		o := parseInto(t, newCtxListCmd, "-o", "yaml")
		want(t, o.output == "yaml", o)
	},
	"ctx remove": func(t *testing.T) {
		o := parseInto(t, newCtxRemoveCmd, "prod")
		want(t, o.Name == "prod", o)
	},
	"version": func(t *testing.T) {
		o := parseInto(t, newVersionCmd, "-o", "json")
		want(t, o.output == "json", o)
	},
	"bench produce": func(t *testing.T) {
		o := parseInto(t, newBenchProduceCmd, "-n", "h:1", "--count", "5", "--producers", "2")
		want(t, o.Count == 5 && o.Producers == 2 && o.Topic == "BenchmarkTopic", o)
	},
	"bench consume": func(t *testing.T) {
		o := parseInto(t, newBenchConsumeCmd, "-n", "h:1", "-t", "T")
		want(t, o.Topic == "T" && o.Batch == 32, o)
	},
	// mq admin: mqadmin's names and letters.
	"admin clusterList": func(t *testing.T) {
		o := parseInto(t, newMqadminClusterList, "--namesrvAddr", "h:1", "-m")
		want(t, o.Namesrv == "h:1" && o.Output == "wide", o)
	},
	"admin topicList": func(t *testing.T) {
		o := parseInto(t, newMqadminTopicList, "-c")
		want(t, o.byCluster, o)
	},
	"admin topicRoute": func(t *testing.T) {
		o := parseInto(t, newMqadminTopicRoute, "-t", "T", "--output", "json")
		want(t, o.topic == "T" && o.Output == "json", o)
	},
	"admin updateTopic": func(t *testing.T) {
		o := parseInto(t, newMqadminUpdateTopic, "-t", "T", "-c", "C1", "-r", "16", "-w", "8", "-o", "true", "-p", "6")
		want(t, o.topic == "T" && o.cluster == "C1" && o.readQueues == 16 && o.writeQueues == 8 && o.order && o.perm == 6, o)
	},
	"admin deleteTopic": func(t *testing.T) {
		o := parseInto(t, newMqadminDeleteTopic, "-t", "T", "-c", "C1")
		want(t, o.topic == "T" && o.cluster == "C1", o)
	},
	"admin getBrokerConfig": func(t *testing.T) {
		o := parseInto(t, newMqadminGetBrokerConfig, "-b", "b:1")
		want(t, o.brokerAddr == "b:1", o)
	},
	"admin brokerStatus": func(t *testing.T) {
		o := parseInto(t, newMqadminBrokerStatus, "-b", "b:1")
		want(t, o.brokerAddr == "b:1", o)
	},
	"admin wipeWritePerm": func(t *testing.T) {
		o := parseInto(t, newMqadminWipeWritePerm, "-b", "broker-a")
		want(t, o.brokerName == "broker-a" && !o.add, o)
	},
	"admin addWritePerm": func(t *testing.T) {
		o := parseInto(t, newMqadminAddWritePerm, "-b", "broker-a")
		want(t, o.brokerName == "broker-a" && o.add, o)
	},
	"admin topicStatus": func(t *testing.T) {
		o := parseInto(t, newMqadminTopicStatus, "-t", "T")
		want(t, o.topic == "T", o)
	},
	"admin updateSubGroup": func(t *testing.T) {
		o := parseInto(t, newMqadminUpdateSubGroup, "-g", "G", "-c", "C1", "-r", "3", "-q", "2", "-d", "true")
		want(t, o.group == "G" && o.retryMaxTimes == 3 && o.retryQueueNums == 2 && o.broadcast, o)
	},
	"admin deleteSubGroup": func(t *testing.T) {
		o := parseInto(t, newMqadminDeleteSubGroup, "-g", "G", "-b", "b:1", "-r")
		want(t, o.group == "G" && o.cleanOffset, o)
	},
	"admin consumerProgress": func(t *testing.T) {
		o := parseInto(t, newMqadminConsumerProgress, "-g", "G", "-t", "T")
		want(t, o.group == "G" && o.topic == "T", o)
	},
	"admin consumerConnection": func(t *testing.T) {
		o := parseInto(t, newMqadminConsumerConnection, "-g", "G")
		want(t, o.group == "G", o)
	},
	"admin resetOffsetByTime": func(t *testing.T) {
		o := parseInto(t, newMqadminResetOffsetByTime, "-g", "G", "-t", "T", "-s", "1700000000000")
		want(t, o.group == "G" && o.topic == "T" && o.toTime == "1700000000000", o)
		o = parseInto(t, newMqadminResetOffsetByTime, "-g", "G", "-t", "T", "-s", "now")
		want(t, o.latest && o.toTime == "", o)
	},
	"admin skipAccumulatedMessage": func(t *testing.T) {
		o := parseInto(t, newMqadminSkipAccumulatedMessage, "-g", "G", "-t", "T")
		want(t, o.group == "G" && o.latest, o)
	},
	"admin queryMsgById": func(t *testing.T) {
		o := parseInto(t, func(s IOStreams, f func(context.Context, *messageGetOptions) error) *cobra.Command {
			return newMqadminQueryMsgByID(s, f, "queryMsgById")
		}, "-i", "ID")
		want(t, o.id == "ID", o)
	},
	"admin queryMsgByUniqueKey": func(t *testing.T) {
		o := parseInto(t, func(s IOStreams, f func(context.Context, *messageGetOptions) error) *cobra.Command {
			return newMqadminQueryMsgByID(s, f, "queryMsgByUniqueKey")
		}, "-i", "K", "-t", "T")
		want(t, o.id == "K" && o.topic == "T", o)
	},
	"admin queryMsgByKey": func(t *testing.T) {
		o := parseInto(t, newMqadminQueryMsgByKey, "-t", "T", "-k", "K", "-c", "4")
		want(t, o.topic == "T" && o.key == "K" && o.limit == 4, o)
	},
	"admin queryMsgByOffset": func(t *testing.T) {
		o := parseInto(t, newMqadminQueryMsgByOffset, "-t", "T", "-i", "1", "-o", "7")
		want(t, o.topic == "T" && o.queue == 1 && o.offset == 7 && o.max == 1, o)
	},
	"admin queryMsgTraceById": func(t *testing.T) {
		o := parseInto(t, newMqadminQueryMsgTraceById, "-i", "ID", "-t", "TT")
		want(t, o.id == "ID" && o.traceTopic == "TT", o)
	},
	"admin sendMessage": func(t *testing.T) {
		o := parseInto(t, newMqadminSendMessage, "-t", "T", "-p", "hello", "-k", "K", "-c", "A")
		want(t, o.topic == "T" && o.body == "hello" && slices.Equal(o.keys, []string{"K"}) && o.tag == "A", o)
	},
	"admin consumeMessage": func(t *testing.T) {
		o := parseInto(t, newMqadminConsumeMessage, "-t", "T", "-g", "G", "-o", "3", "-c", "2")
		want(t, o.topic == "T" && o.group == "G" && o.from == "3" && o.count == 2, o)
	},
	"admin updateBrokerConfig": func(t *testing.T) {
		o := parseInto(t, newMqadminUpdateBrokerConfig, "-b", "b:1", "-k", "a", "-v", "1")
		want(t, o.brokerAddr == "b:1" && o.kv["a"] == "1", o)
	},
	"admin brokerConsumeStats": func(t *testing.T) {
		o := parseInto(t, newMqadminBrokerConsumeStats, "-b", "b:1", "-o", "true", "-l", "5")
		want(t, o.brokerAddr == "b:1" && o.order && o.diffLevel == 5, o)
	},
	"admin producerConnection": func(t *testing.T) {
		o := parseInto(t, newMqadminProducerConnection, "-g", "PG", "-t", "T")
		want(t, o.group == "PG" && o.topic == "T", o)
	},
	"admin statsAll": func(t *testing.T) {
		o := parseInto(t, newMqadminStatsAll, "-t", "T", "-a")
		want(t, o.topic == "T" && o.activeOnly, o)
	},
	"tui": func(t *testing.T) { t.Skip("TestTUIFlags") },
	"acl list": func(t *testing.T) {
		o := parseInto(t, newACLListCmd, "-c", "C1", "-o", "json", "--access-key", "ak00001", "--secret-key", "sk00001")
		want(t, o.cluster == "C1" && o.Output == "json" && o.AccessKey == "ak00001", o)
	},
	"acl get": func(t *testing.T) {
		o := parseInto(t, newACLGetCmd, "app0001", "-b", "b:1", "--tls", "--tls-ca", "ca.pem")
		want(t, o.accessKey == "app0001" && o.brokerAddr == "b:1" && o.TLS && o.TLSCA == "ca.pem", o)
	},
	"acl update": func(t *testing.T) {
		o := parseInto(t, newACLUpdateCmd, "app0001", "-c", "C1", "--account-secret", "secret01", "--admin",
			"--white-address", "10.0.0.*", "--default-topic-perm", "SUB", "--topic-perm", "a=PUB", "--topic-perm", "b=SUB", "--group-perm", "g=SUB")
		want(t, o.accessKey == "app0001" && o.account.SecretKey == "secret01" && o.account.Admin && o.account.WhiteRemoteAddress == "10.0.0.*" &&
			o.account.DefaultTopicPerm == "SUB" && len(o.account.TopicPerms) == 2 && o.account.GroupPerms[0] == "g=SUB", o)
	},
	"acl delete": func(t *testing.T) {
		o := parseInto(t, newACLDeleteCmd, "app0001", "-c", "C1", "--yes")
		want(t, o.accessKey == "app0001" && o.cluster == "C1", o)
	},
	"acl white-list": func(t *testing.T) {
		o := parseInto(t, newACLWhiteListCmd, "10.0.0.*", "10.0.1.*", "-b", "b:1", "--yes")
		want(t, len(o.white) == 2 && o.white[1] == "10.0.1.*", o)
	},
}

func TestCommandFlags(t *testing.T) {
	t.Setenv("NAMESRV_ADDR", "")
	t.Setenv("MQ_CONTEXT", "")
	t.Setenv("MQ_CONFIG", filepath.Join(t.TempDir(), "none.yaml"))
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range flagCases {
			if !yield(k) {
				return
			}
		}
	}) {
		t.Run("cmd="+name, flagCases[name])
	}
}

// TestEveryCommandHasFlagTest: each runnable command (servers aside) has a case in
// flagCases, so a new command comes with its flag-parsing test.
func TestEveryCommandHasFlagTest(t *testing.T) {
	root := newRootCmd(IOStreams{})
	walkCommands(root, func(c *cobra.Command) {
		if c.RunE == nil || c == root || c.GroupID == "servers" {
			return
		}
		if name := commandName(c); flagCases[name] == nil {
			t.Errorf("%s has no flag-parsing case in flagCases", name)
		}
	})
}
