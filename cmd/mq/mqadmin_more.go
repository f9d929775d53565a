package main

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// More of mqadmin's commands mapped onto the noun-verb runners. mqadmin does not ask for
// confirmation, so neither do these (runbooks run unchanged), but destructive ones still
// refuse in a read-only context.

func mqadminCmd(use, short string, run func(*cobra.Command) error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd) }}
}

func addMoreMqadminCmds(parent *cobra.Command, streams IOStreams) {
	parent.AddCommand(
		newMqadminTopicStatus(streams, nil),
		newMqadminUpdateSubGroup(streams, nil),
		newMqadminDeleteSubGroup(streams, nil),
		newMqadminConsumerProgress(streams, nil),
		newMqadminConsumerConnection(streams, nil),
		newMqadminResetOffsetByTime(streams, nil),
		newMqadminSkipAccumulatedMessage(streams, nil),
		newMqadminQueryMsgByID(streams, nil, "queryMsgById"),
		newMqadminQueryMsgByID(streams, nil, "queryMsgByUniqueKey"),
		newMqadminQueryMsgByKey(streams, nil),
		newMqadminQueryMsgByOffset(streams, nil),
		newMqadminQueryMsgTraceById(streams, nil),
		newMqadminSendMessage(streams, nil),
		newMqadminConsumeMessage(streams, nil),
	)
}

// runWith runs run, or runF when a flag-parsing test set it: the seam every command has.
func runWith[O any](ctx context.Context, opts *O, runF func(context.Context, *O) error, run func() error) error {
	if runF != nil {
		return runF(ctx, opts)
	}
	return run()
}

func newMqadminTopicStatus(streams IOStreams, runF func(context.Context, *topicStatusOptions) error) *cobra.Command {
	opts := &topicStatusOptions{}
	cmd := mqadminCmd("topicStatus", "Show a topic's queues with min/max offsets (mqadmin topicStatus)", func(c *cobra.Command) error {
		return runWith(c.Context(), opts, runF, func() error { return runTopicStatus(c.Context(), opts, streams) })
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

func newMqadminUpdateSubGroup(streams IOStreams, runF func(context.Context, *groupCreateOptions) error) *cobra.Command {
	opts := &groupCreateOptions{}
	// mqadmin's boolean options take a value: -s true, -d false.
	var consume, fromMin, broadcast string
	cmd := mqadminCmd("updateSubGroup", "Create or update a subscription group (mqadmin updateSubGroup)", func(c *cobra.Command) error {
		if err := opts.checkOne(); err != nil {
			return err
		}
		for _, b := range []struct {
			name, v string
			p       *bool
		}{{"s", consume, &opts.consumeEnable}, {"m", fromMin, &opts.fromMin}, {"d", broadcast, &opts.broadcast}} {
			v, err := parseBoolFlag(b.name, b.v)
			if err != nil {
				return err
			}
			*b.p = v
		}
		return runWith(c.Context(), opts, runF, func() error { return runGroupCreate(c.Context(), opts, streams) })
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmdutil.Writes(cmd, "create or update group {groupName}")
	opts.addFlags(cmd, "brokerAddr", "clusterName")
	f := cmd.Flags()
	f.StringVarP(&opts.group, "groupName", "g", "", "group (required)")
	f.Int32VarP(&opts.retryMaxTimes, "retryMaxTimes", "r", 16, "reconsume attempts before the DLQ")
	f.Int32VarP(&opts.retryQueueNums, "retryQueueNums", "q", 1, "retry queue count")
	f.StringVarP(&consume, "consumeEnable", "s", "true", "allow consumption (true|false)")
	f.StringVarP(&fromMin, "consumeFromMinEnable", "m", "false", "consume from the min offset (true|false)")
	f.StringVarP(&broadcast, "consumeBroadcastEnable", "d", "false", "allow broadcast consumption (true|false)")
	_ = cmd.MarkFlagRequired("groupName")
	return cmd
}

func newMqadminDeleteSubGroup(streams IOStreams, runF func(context.Context, *groupDeleteOptions) error) *cobra.Command {
	opts := &groupDeleteOptions{}
	cmd := mqadminCmd("deleteSubGroup", "Delete a subscription group (mqadmin deleteSubGroup)", func(c *cobra.Command) error {
		if err := opts.checkOne(); err != nil {
			return err
		}
		return runWith(c.Context(), opts, runF, func() error { return runGroupDelete(c.Context(), opts, streams) })
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmdutil.Writes(cmd, "delete group {groupName}")
	opts.addFlags(cmd, "brokerAddr", "clusterName")
	cmd.Flags().StringVarP(&opts.group, "groupName", "g", "", "group (required)")
	cmd.Flags().BoolVarP(&opts.cleanOffset, "removeOffset", "r", false, "also delete the group's offsets")
	_ = cmd.MarkFlagRequired("groupName")
	return cmd
}

func newMqadminConsumerProgress(streams IOStreams, runF func(context.Context, *groupProgressOptions) error) *cobra.Command {
	opts := &groupProgressOptions{}
	cmd := mqadminCmd("consumerProgress", "Show a group's progress, lag and time lag; without -g every group's summary (mqadmin consumerProgress)", func(c *cobra.Command) error {
		return runWith(c.Context(), opts, runF, func() error {
			if opts.group == "" {
				return runAllGroupsProgress(c.Context(), opts, streams)
			}
			return runGroupProgress(c.Context(), opts, streams)
		})
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmd.Flags().StringVarP(&opts.group, "groupName", "g", "", "group (default: every group with a retry topic)")
	cmd.Flags().StringVarP(&opts.topic, "topicName", "t", "", "only this topic")
	return cmd
}

func newMqadminConsumerConnection(streams IOStreams, runF func(context.Context, *groupConnectionsOptions) error) *cobra.Command {
	opts := &groupConnectionsOptions{}
	cmd := mqadminCmd("consumerConnection", "Show a group's connected consumers (mqadmin consumerConnection)", func(c *cobra.Command) error {
		return runWith(c.Context(), opts, runF, func() error { return runGroupConnections(c.Context(), opts, streams) })
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmd.Flags().StringVarP(&opts.group, "consumerGroup", "g", "", "group (required)")
	_ = cmd.MarkFlagRequired("consumerGroup")
	return cmd
}

func newMqadminResetOffsetByTime(streams IOStreams, runF func(context.Context, *resetOptions) error) *cobra.Command {
	opts := &resetOptions{offset: -1}
	var ts string
	var force string
	cmd := mqadminCmd("resetOffsetByTime", "Reset a group's offsets to a time (mqadmin resetOffsetByTime)", func(c *cobra.Command) error {
		if ts == "now" {
			opts.latest = true
		} else {
			opts.toTime = ts
		}
		if _, err := opts.target(); err != nil {
			return err
		}
		return runWith(c.Context(), opts, runF, func() error { return runGroupReset(c.Context(), opts, streams) })
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
	return cmd
}

func newMqadminSkipAccumulatedMessage(streams IOStreams, runF func(context.Context, *resetOptions) error) *cobra.Command {
	opts := &resetOptions{offset: -1, latest: true}
	cmd := mqadminCmd("skipAccumulatedMessage", "Skip a group's backlog (mqadmin skipAccumulatedMessage)", func(c *cobra.Command) error {
		return runWith(c.Context(), opts, runF, func() error { return runGroupReset(c.Context(), opts, streams) })
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmdutil.Writes(cmd, "skip the backlog of group {group} on {topic}")
	cmd.Flags().StringVarP(&opts.group, "group", "g", "", "group (required)")
	cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
	_ = cmd.MarkFlagRequired("group")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

func newMqadminQueryMsgByKey(streams IOStreams, runF func(context.Context, *messageQueryOptions) error) *cobra.Command {
	opts := &messageQueryOptions{}
	cmd := mqadminCmd("queryMsgByKey", "Find messages by key (mqadmin queryMsgByKey)", func(c *cobra.Command) error {
		return runWith(c.Context(), opts, runF, func() error { return runMessageQuery(c.Context(), opts, streams) })
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
	return cmd
}

func newMqadminQueryMsgByOffset(streams IOStreams, runF func(context.Context, *messageBrowseOptions) error) *cobra.Command {
	opts := &messageBrowseOptions{queue: -1, offset: -1, max: 1}
	var brokerName string
	cmd := mqadminCmd("queryMsgByOffset", "Show the message at a queue offset (mqadmin queryMsgByOffset)", func(c *cobra.Command) error {
		return runWith(c.Context(), opts, runF, func() error { return runMessageBrowse(c.Context(), opts, streams) })
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
	return cmd
}

func newMqadminQueryMsgTraceById(streams IOStreams, runF func(context.Context, *messageTraceOptions) error) *cobra.Command {
	opts := &messageTraceOptions{}
	cmd := mqadminCmd("queryMsgTraceById", "Show a message's trace (mqadmin queryMsgTraceById)", func(c *cobra.Command) error {
		return runWith(c.Context(), opts, runF, func() error { return runMessageTrace(c.Context(), opts, streams) })
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmd.Flags().StringVarP(&opts.id, "msgId", "i", "", "message id (required)")
	cmd.Flags().StringVarP(&opts.traceTopic, "traceTopic", "t", admin.DefaultTraceTopic, "trace topic")
	_ = cmd.MarkFlagRequired("msgId")
	return cmd
}

// mqadminSendOptions are sendMessage's flags: mq send's, with the body as -p.
type mqadminSendOptions struct {
	sendOptions
	body string
}

func newMqadminSendMessage(streams IOStreams, runF func(context.Context, *mqadminSendOptions) error) *cobra.Command {
	opts := &mqadminSendOptions{sendOptions: sendOptions{count: 1, group: "TOOLS_PRODUCER"}}
	var keys string
	cmd := mqadminCmd("sendMessage", "Send a message (mqadmin sendMessage)", func(c *cobra.Command) error {
		if keys != "" {
			opts.keys = []string{keys}
		}
		return runWith(c.Context(), opts, runF, func() error { return runSend(c.Context(), &opts.sendOptions, []byte(opts.body), streams) })
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmdutil.Writes(cmd, "send to topic {topic}")
	f := cmd.Flags()
	f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
	f.StringVarP(&opts.body, "body", "p", "", "body (required)")
	f.StringVarP(&keys, "keys", "k", "", "keys")
	f.StringVarP(&opts.tag, "tags", "c", "", "tags")
	_ = cmd.MarkFlagRequired("topic")
	_ = cmd.MarkFlagRequired("body")
	return cmd
}

func newMqadminConsumeMessage(streams IOStreams, runF func(context.Context, *consumeOptions) error) *cobra.Command {
	opts := &consumeOptions{tag: "*"}
	var offset int64 = -1
	cmd := mqadminCmd("consumeMessage", "Read messages (mqadmin consumeMessage)", func(c *cobra.Command) error {
		if offset >= 0 {
			opts.from = strconv.FormatInt(offset, 10)
		}
		return runWith(c.Context(), opts, runF, func() error { return runConsume(c.Context(), opts, streams) })
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmdutil.WritesWhen(cmd, "consumerGroup", "commit the offsets of group {consumerGroup}")
	f := cmd.Flags()
	f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
	f.StringVarP(&opts.group, "consumerGroup", "g", "", "group whose offsets are used and committed")
	f.Int64VarP(&offset, "offset", "o", -1, "queue offset to start at")
	f.IntVarP(&opts.count, "messageNumber", "c", 128, "stop after this many")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

func newMqadminQueryMsgByID(streams IOStreams, runF func(context.Context, *messageGetOptions) error, name string) *cobra.Command {
	opts := &messageGetOptions{}
	cmd := mqadminCmd(name, "Show a message by offset id or unique key (mqadmin "+name+")", func(c *cobra.Command) error {
		return runWith(c.Context(), opts, runF, func() error { return runMessageGet(c.Context(), opts, streams) })
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmd.Flags().StringVarP(&opts.id, "msgId", "i", "", "message id (required)")
	cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "topic (for a unique key)")
	_ = cmd.MarkFlagRequired("msgId")
	return cmd
}
