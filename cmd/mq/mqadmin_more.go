package main

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/protocol"
)

// More of mqadmin's commands mapped onto the noun-verb runners. mqadmin does not ask for
// confirmation, so neither do these (runbooks run unchanged), but destructive ones still
// refuse in a read-only context.

func mqadminCmd(use, short string, run func(*cobra.Command) error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd) }}
}

func addMoreMqadminCmds(parent *cobra.Command, streams IOStreams) {
	{
		opts := &topicStatusOptions{}
		cmd := mqadminCmd("topicStatus", "Show a topic's queues with min/max offsets (mqadmin topicStatus)", func(c *cobra.Command) error {
			return runTopicStatus(c.Context(), opts, streams)
		})
		opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
		cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
		_ = cmd.MarkFlagRequired("topic")
		parent.AddCommand(cmd)
	}
	{
		opts := &groupCreateOptions{}
		cmd := mqadminCmd("updateSubGroup", "Create or update a subscription group (mqadmin updateSubGroup)", func(c *cobra.Command) error {
			if err := opts.checkOne(); err != nil {
				return err
			}
			return runGroupCreate(c.Context(), opts, streams)
		})
		opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
		cmdutil.Writes(cmd, "create or update group {groupName}")
		opts.addFlags(cmd, "brokerAddr", "clusterName")
		f := cmd.Flags()
		f.StringVarP(&opts.group, "groupName", "g", "", "group (required)")
		f.Int32VarP(&opts.retryMaxTimes, "retryMaxTimes", "r", 16, "reconsume attempts before the DLQ")
		f.Int32VarP(&opts.retryQueueNums, "retryQueueNums", "q", 1, "retry queue count")
		f.BoolVarP(&opts.consumeEnable, "consumeEnable", "s", true, "allow consumption")
		f.BoolVarP(&opts.fromMin, "consumeFromMinEnable", "m", false, "consume from the min offset")
		f.BoolVarP(&opts.broadcast, "consumeBroadcastEnable", "d", false, "allow broadcast consumption")
		_ = cmd.MarkFlagRequired("groupName")
		parent.AddCommand(cmd)
	}
	{
		opts := &groupDeleteOptions{}
		cmd := mqadminCmd("deleteSubGroup", "Delete a subscription group (mqadmin deleteSubGroup)", func(c *cobra.Command) error {
			if err := opts.checkOne(); err != nil {
				return err
			}
			return runGroupDelete(c.Context(), opts, streams)
		})
		opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
		cmdutil.Writes(cmd, "delete group {groupName}")
		opts.addFlags(cmd, "brokerAddr", "clusterName")
		cmd.Flags().StringVarP(&opts.group, "groupName", "g", "", "group (required)")
		cmd.Flags().BoolVarP(&opts.cleanOffset, "removeOffset", "r", false, "also delete the group's offsets")
		_ = cmd.MarkFlagRequired("groupName")
		parent.AddCommand(cmd)
	}
	{
		opts := &groupProgressOptions{}
		cmd := mqadminCmd("consumerProgress", "Show a group's progress, lag and time lag; without -g every group's summary (mqadmin consumerProgress)", func(c *cobra.Command) error {
			if opts.group == "" {
				return runAllGroupsProgress(c.Context(), opts, streams)
			}
			return runGroupProgress(c.Context(), opts, streams)
		})
		opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
		cmd.Flags().StringVarP(&opts.group, "groupName", "g", "", "group (default: every group with a retry topic)")
		cmd.Flags().StringVarP(&opts.topic, "topicName", "t", "", "only this topic")
		parent.AddCommand(cmd)
	}
	{
		opts := &groupConnectionsOptions{}
		cmd := mqadminCmd("consumerConnection", "Show a group's connected consumers (mqadmin consumerConnection)", func(c *cobra.Command) error {
			return runGroupConnections(c.Context(), opts, streams)
		})
		opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
		cmd.Flags().StringVarP(&opts.group, "consumerGroup", "g", "", "group (required)")
		_ = cmd.MarkFlagRequired("consumerGroup")
		parent.AddCommand(cmd)
	}
	{
		opts := &resetOptions{offset: -1}
		var ts string
		var force string
		cmd := mqadminCmd("resetOffsetByTime", "Reset a group's offsets to a time (mqadmin resetOffsetByTime)", func(c *cobra.Command) error {
			to := admin.ResetTo{Kind: admin.ResetLatest}
			if ts != "now" {
				ms, err := parseWhen("timestamp", ts, time.Now())
				if err != nil {
					return err
				}
				to = admin.ResetTo{Kind: admin.ResetTime, Time: ms}
			}
			return runGroupReset(c.Context(), opts, to, streams)
		})
		opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
		cmdutil.Writes(cmd, "reset the offsets of group {group} on {topic}")
		cmdutil.ReadOnlyWhen(cmd, "preview")
		f := cmd.Flags()
		f.StringVarP(&opts.group, "group", "g", "", "group (required)")
		f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
		f.StringVarP(&ts, "timestamp", "s", "", "time: Unix ms, 'now', or yyyy-MM-dd#HH:mm:ss:SSS-like RFC 3339 (required)")
		f.StringVarP(&force, "force", "f", "true", "accepted; resets are always forced")
		f.BoolVar(&opts.preview, "preview", false, "show the per-queue change, change nothing")
		_ = cmd.MarkFlagRequired("group")
		_ = cmd.MarkFlagRequired("topic")
		_ = cmd.MarkFlagRequired("timestamp")
		parent.AddCommand(cmd)
	}
	{
		opts := &resetOptions{offset: -1}
		cmd := mqadminCmd("skipAccumulatedMessage", "Skip a group's backlog (mqadmin skipAccumulatedMessage)", func(c *cobra.Command) error {
			return runGroupReset(c.Context(), opts, admin.ResetTo{Kind: admin.ResetLatest}, streams)
		})
		opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
		cmdutil.Writes(cmd, "skip the backlog of group {group} on {topic}")
		cmd.Flags().StringVarP(&opts.group, "group", "g", "", "group (required)")
		cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
		_ = cmd.MarkFlagRequired("group")
		_ = cmd.MarkFlagRequired("topic")
		parent.AddCommand(cmd)
	}
	for _, name := range []string{"queryMsgById", "queryMsgByUniqueKey"} {
		opts := &messageGetOptions{}
		cmd := mqadminCmd(name, "Show a message by offset id or unique key (mqadmin "+name+")", func(c *cobra.Command) error {
			return runMessageGet(c.Context(), opts, streams)
		})
		opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
		cmd.Flags().StringVarP(&opts.id, "msgId", "i", "", "message id (required)")
		cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "topic (for a unique key)")
		_ = cmd.MarkFlagRequired("msgId")
		parent.AddCommand(cmd)
	}
	{
		opts := &messageQueryOptions{}
		cmd := mqadminCmd("queryMsgByKey", "Find messages by key (mqadmin queryMsgByKey)", func(c *cobra.Command) error {
			return runMessageQuery(c.Context(), opts, streams)
		})
		opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
		f := cmd.Flags()
		f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
		f.StringVarP(&opts.key, "msgKey", "k", "", "key (required)")
		f.StringVarP(&opts.begin, "beginTimestamp", "b", "", "begin time")
		f.StringVarP(&opts.end, "endTimestamp", "e", "", "end time")
		f.IntVarP(&opts.limit, "maxNum", "c", 0, "at most this many (0: all)")
		_ = cmd.MarkFlagRequired("topic")
		_ = cmd.MarkFlagRequired("msgKey")
		parent.AddCommand(cmd)
	}
	{
		opts := &messageBrowseOptions{queue: -1, offset: -1, max: 1}
		var brokerName string
		cmd := mqadminCmd("queryMsgByOffset", "Show the message at a queue offset (mqadmin queryMsgByOffset)", func(c *cobra.Command) error {
			return runMessageBrowse(c.Context(), opts, streams)
		})
		opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
		f := cmd.Flags()
		f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
		f.StringVarP(&brokerName, "brokerName", "b", "", "broker name (accepted; every broker's queue is read)")
		f.Int32VarP(&opts.queue, "queueId", "i", 0, "queue id (required)")
		f.Int64VarP(&opts.offset, "offset", "o", 0, "queue offset (required)")
		_ = cmd.MarkFlagRequired("topic")
		_ = cmd.MarkFlagRequired("queueId")
		_ = cmd.MarkFlagRequired("offset")
		parent.AddCommand(cmd)
	}
	{
		opts := &messageTraceOptions{}
		cmd := mqadminCmd("queryMsgTraceById", "Show a message's trace (mqadmin queryMsgTraceById)", func(c *cobra.Command) error {
			return runMessageTrace(c.Context(), opts, streams)
		})
		opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
		cmd.Flags().StringVarP(&opts.id, "msgId", "i", "", "message id (required)")
		cmd.Flags().StringVarP(&opts.traceTopic, "traceTopic", "t", admin.DefaultTraceTopic, "trace topic")
		_ = cmd.MarkFlagRequired("msgId")
		parent.AddCommand(cmd)
	}
	{
		opts := &sendOptions{count: 1, group: "TOOLS_PRODUCER"}
		var body, keys string
		cmd := mqadminCmd("sendMessage", "Send a message (mqadmin sendMessage)", func(c *cobra.Command) error {
			if keys != "" {
				opts.keys = []string{keys}
			}
			return runSend(c.Context(), opts, []byte(body), streams)
		})
		opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
		cmdutil.Writes(cmd, "send to topic {topic}")
		f := cmd.Flags()
		f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
		f.StringVarP(&body, "body", "p", "", "body (required)")
		f.StringVarP(&keys, "keys", "k", "", "keys")
		f.StringVarP(&opts.tag, "tags", "c", "", "tags")
		_ = cmd.MarkFlagRequired("topic")
		_ = cmd.MarkFlagRequired("body")
		parent.AddCommand(cmd)
	}
	{
		opts := &consumeOptions{tag: "*"}
		var offset int64 = -1
		cmd := mqadminCmd("consumeMessage", "Read messages (mqadmin consumeMessage)", func(c *cobra.Command) error {
			if offset >= 0 {
				opts.from = strconv.FormatInt(offset, 10)
			}
			return runConsume(c.Context(), opts, streams)
		})
		opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
		cmdutil.WritesWhen(cmd, "consumerGroup", "commit the offsets of group {consumerGroup}")
		f := cmd.Flags()
		f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
		f.StringVarP(&opts.group, "consumerGroup", "g", "", "group whose offsets are used and committed")
		f.Int64VarP(&offset, "offset", "o", -1, "queue offset to start at")
		f.IntVarP(&opts.count, "messageNumber", "c", 128, "stop after this many")
		_ = cmd.MarkFlagRequired("topic")
		parent.AddCommand(cmd)
	}
}

// runAllGroupsProgress is mqadmin consumerProgress without -g: one line per group.
func runAllGroupsProgress(ctx context.Context, opts *groupProgressOptions, streams IOStreams) error {
	if opts.topic != "" {
		return &usageError{Err: errors.New("-t needs -g")}
	}
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	rows, err := a.AllGroupsProgress(ctx)
	if rows == nil && err != nil {
		return err
	}
	if rows == nil {
		rows = []admin.GroupSummary{}
	}
	if rerr := render(streams, opts.Output, rows, func() table {
		t := table{header: []string{"GROUP", "COUNT", "VERSION", "TYPE", "MODEL", "TPS", "DIFF-TOTAL"}, wide: []string{"ERROR"}}
		for _, r := range rows {
			version := "OFFLINE"
			if r.Count > 0 {
				version = protocol.VersionName(int(r.Version))
			}
			cells := []string{r.Group, strconv.Itoa(r.Count), version, consumeTypeDesc(r.ConsumeType), messageModelDesc(r.MessageModel),
				fmtFloat(r.ConsumeTps), strconv.FormatInt(r.DiffTotal, 10), r.Error}
			if r.Error != "" {
				t.addFailed(cells...)
			} else {
				t.add(cells...)
			}
		}
		return t
	}); rerr != nil {
		return rerr
	}
	return answerErr(err)
}

// consumeTypeDesc and messageModelDesc shorten as GroupConsumeInfo does (PULL/PUSH,
// BROADCAST/CLUSTER).
func consumeTypeDesc(t string) string {
	switch t {
	case "CONSUME_ACTIVELY":
		return "PULL"
	case "CONSUME_PASSIVELY":
		return "PUSH"
	}
	return ""
}

func messageModelDesc(m string) string {
	switch m {
	case "BROADCASTING":
		return "BROADCAST"
	case "CLUSTERING":
		return "CLUSTER"
	}
	return ""
}
