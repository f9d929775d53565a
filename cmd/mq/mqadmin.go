package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/protocol"
)

// `mq admin <mqadminCommand>`: Apache mqadmin's command names and flag letters mapped onto the
// same runners as the noun-verb commands, so existing runbooks work unchanged, with honest
// exit codes (0 ok, 1 error, 2 usage, 3 partial answer). The nameserver flag is
// -n/--namesrvAddr as in mqadmin, and the output format is --output only (-o is mqadmin's
// "order" in updateTopic).

func newAdminCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Apache mqadmin's commands with their own names and flags",
		Long: `mq admin runs Apache RocketMQ mqadmin commands with mqadmin's names and flag letters,
against mq and Apache RocketMQ clusters alike. Output is a table, or --output json|yaml|jsonl.`,
		Example: `  mq admin clusterList -n 127.0.0.1:9876
  mq admin updateTopic -n 127.0.0.1:9876 -c DefaultCluster -t Orders -r 8 -w 8`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(
		newMqadminClusterList(streams, nil),
		newMqadminTopicList(streams, nil),
		newMqadminTopicRoute(streams, nil),
		newMqadminUpdateTopic(streams, nil),
		newMqadminDeleteTopic(streams, nil),
		newMqadminGetBrokerConfig(streams, nil),
		newMqadminBrokerStatus(streams, nil),
		newMqadminWipeWritePerm(streams, nil),
		newMqadminAddWritePerm(streams, nil),
	)
	addMoreMqadminCmds(cmd, streams)
	addStatsMqadminCmds(cmd, streams)
	addNameCompletions(cmd)
	return cmd
}

func newMqadminClusterList(streams IOStreams, runF func(context.Context, *clusterListOptions) error) *cobra.Command {
	opts := &clusterListOptions{}
	var more bool
	var interval int
	cmd := &cobra.Command{
		Use:   "clusterList",
		Short: "List brokers by cluster with their traffic (mqadmin clusterList)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if more && opts.Output == formatTable {
				opts.Output = formatWide
			}
			opts.interval = time.Duration(interval) * time.Second
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runClusterList(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	f := cmd.Flags()
	f.BoolVarP(&more, "moreStats", "m", false, "print more stats (the wide table)")
	f.IntVarP(&interval, "interval", "i", 0, "repeat every N seconds until interrupted")
	f.StringVarP(&opts.cluster, "clusterName", "c", "", "only this cluster")
	return cmd
}

func newMqadminTopicList(streams IOStreams, runF func(context.Context, *topicListOptions) error) *cobra.Command {
	opts := &topicListOptions{}
	cmd := &cobra.Command{
		Use:   "topicList",
		Short: "List topics (mqadmin topicList)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTopicList(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmd.Flags().BoolVarP(&opts.byCluster, "clusterModel", "c", false, "list every cluster's topics with the cluster name")
	return cmd
}

func newMqadminTopicRoute(streams IOStreams, runF func(context.Context, *topicRouteOptions) error) *cobra.Command {
	opts := &topicRouteOptions{}
	var list bool
	cmd := &cobra.Command{
		Use:   "topicRoute",
		Short: "Show a topic's route (mqadmin topicRoute)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTopicRoute(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "topic name (required)")
	cmd.Flags().BoolVarP(&list, "list", "l", false, "list format (the table is always a list)")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

// parseBoolFlag reads mqadmin's "true|false" option values.
func parseBoolFlag(name, v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &usageError{Err: fmt.Errorf("-%s %q: want true or false", name, v)}
	}
	return b, nil
}

func newMqadminUpdateTopic(streams IOStreams, runF func(context.Context, *topicCreateOptions) error) *cobra.Command {
	opts := &topicCreateOptions{}
	var order, unit, unitSub string
	cmd := &cobra.Command{
		Use:   "updateTopic",
		Short: "Create or update a topic (mqadmin updateTopic)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.checkOne(); err != nil {
				return err
			}
			if err := checkPerm(opts.perm); err != nil {
				return err
			}
			var err error
			if opts.order, err = parseBoolFlag("o", order); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTopicCreate(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmdutil.Writes(cmd, "create or update topic {topic}")
	opts.addFlags(cmd, "brokerAddr", "clusterName")
	f := cmd.Flags()
	f.StringVarP(&opts.topic, "topic", "t", "", "topic name (required)")
	f.Int32VarP(&opts.readQueues, "readQueueNums", "r", 8, "read queue count")
	f.Int32VarP(&opts.writeQueues, "writeQueueNums", "w", 8, "write queue count")
	f.Int32VarP(&opts.perm, "perm", "p", protocol.PermRead|protocol.PermWrite, "permission: 2 W, 4 R, 6 RW")
	f.StringVarP(&order, "order", "o", "", "ordered topic (true|false)")
	f.StringVarP(&unit, "unit", "u", "", "unit topic (true|false); accepted, not used")
	f.StringVarP(&unitSub, "hasUnitSub", "s", "", "has unit subscription (true|false); accepted, not used")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

func newMqadminDeleteTopic(streams IOStreams, runF func(context.Context, *topicDeleteOptions) error) *cobra.Command {
	opts := &topicDeleteOptions{}
	cmd := &cobra.Command{
		Use:   "deleteTopic",
		Short: "Delete a topic from a cluster and the nameservers (mqadmin deleteTopic)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTopicDelete(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmdutil.Writes(cmd, "delete topic {topic}")
	cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "topic name (required)")
	cmd.Flags().StringVarP(&opts.cluster, "clusterName", "c", "", "cluster (required)")
	_ = cmd.MarkFlagRequired("topic")
	_ = cmd.MarkFlagRequired("clusterName")
	return cmd
}

func newMqadminGetBrokerConfig(streams IOStreams, runF func(context.Context, *brokerTargetOptions) error) *cobra.Command {
	return brokerConfig.mqadmin("getBrokerConfig", "Show broker configuration (mqadmin getBrokerConfig)").build(streams, runF)
}

func newMqadminBrokerStatus(streams IOStreams, runF func(context.Context, *brokerTargetOptions) error) *cobra.Command {
	return brokerStatus.mqadmin("brokerStatus", "Show broker runtime info (mqadmin brokerStatus)").build(streams, runF)
}

type wipeWritePermOptions struct {
	adminFlags
	brokerName string
	// add gives the write permission back (addWritePerm) instead of removing it.
	add bool
}

func newMqadminWipeWritePerm(streams IOStreams, runF func(context.Context, *wipeWritePermOptions) error) *cobra.Command {
	opts := &wipeWritePermOptions{}
	cmd := &cobra.Command{
		Use:   "wipeWritePerm",
		Short: "Remove a broker's write permission on every nameserver (mqadmin wipeWritePerm)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runWipeWritePerm(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmdutil.Writes(cmd, "wipe the write permission of {brokerName}")
	cmd.Flags().StringVarP(&opts.brokerName, "brokerName", "b", "", "broker name (required)")
	_ = cmd.MarkFlagRequired("brokerName")
	return cmd
}

// permChange is one nameserver's answer to a write-permission change.
type permChange struct {
	Addr       string `json:"addr"`
	TopicCount int    `json:"topicCount"`
	Error      string `json:"error,omitempty"`
}

func runWipeWritePerm(ctx context.Context, opts *wipeWritePermOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	change, header := a.WipeWritePerm, "WIPED-TOPICS"
	if opts.add {
		change, header = a.AddWritePerm, "ADDED-TOPICS"
	}
	res := change(ctx, opts.brokerName)
	rows := make([]permChange, len(res.Items))
	for i, it := range res.Items {
		rows[i] = permChange{Addr: it.Addr, TopicCount: it.Value, Error: errText(it.Err)}
	}
	err = render(streams, opts.Output, rows, func() table {
		t := table{header: []string{"NAMESERVER", header}}
		for _, r := range rows {
			if r.Error != "" {
				t.addFailed(r.Addr, "")
			} else {
				t.add(r.Addr, strconv.Itoa(r.TopicCount))
			}
		}
		return t
	})
	if err != nil {
		return err
	}
	return answerErr(res.Err())
}
