package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/protocol"
)

// The group group: `mq group list|create|delete|connections|progress`.

func newGroupCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "Consumer groups: list, create, delete, connections, progress",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		newGroupListCmd(streams, nil),
		newGroupCreateCmd(streams, nil),
		newGroupDeleteCmd(streams, nil),
		newGroupConnectionsCmd(streams, nil),
		newGroupProgressCmd(streams, nil),
		newGroupResetCmd(streams, nil),
		newGroupSkipCmd(streams, nil),
		newGroupCloneCmd(streams, nil),
	)
	addNameCompletions(cmd)
	return cmd
}

// --- list

type groupListOptions struct{ brokerTargetOptions }

func newGroupListCmd(streams IOStreams, runF func(context.Context, *groupListOptions) error) *cobra.Command {
	opts := &groupListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the subscription groups of one broker or of every master of a cluster",
		Example: `  mq group list -c DefaultCluster
  mq group list -b 127.0.0.1:10911 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.checkOne(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGroupList(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	opts.addFlags(cmd, "broker", "cluster")
	return cmd
}

func runGroupList(ctx context.Context, opts *groupListOptions, streams IOStreams) error {
	a, bs, err := opts.openReaders(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	gl := a.GroupList(ctx, bs)
	noteFromSlave(streams.ErrOut, gl.Brokers)
	rows := gl.Groups
	if rows == nil {
		rows = []admin.GroupConfig{}
	}
	err = render(streams, opts.Output, rows, func() table {
		t := table{header: []string{"GROUP", "BROKER", "CONSUME", "BROADCAST", "ORDERLY", "RETRY-MAX", "RETRY-QUEUES"},
			wide: []string{"ADDR", "FROM-MIN", "WHICH-BROKER-WHEN-SLOW"}}
		for _, g := range rows {
			t.add(g.GroupName, g.BrokerName, strconv.FormatBool(g.ConsumeEnable), strconv.FormatBool(g.ConsumeBroadcastEnable),
				strconv.FormatBool(g.ConsumeMessageOrderly), strconv.Itoa(int(g.RetryMaxTimes)), strconv.Itoa(int(g.RetryQueueNums)),
				g.Addr, strconv.FormatBool(g.ConsumeFromMinEnable), strconv.FormatInt(g.WhichBrokerWhenConsumeSlowly, 10))
		}
		return t
	})
	if err != nil {
		return err
	}
	return answerErr(gl.Brokers.Err())
}

// --- create

type groupCreateOptions struct {
	brokerTargetOptions
	group          string
	retryMaxTimes  int32
	retryQueueNums int32
	broadcast      bool
	consumeEnable  bool
	fromMin        bool
	orderly        bool
}

func newGroupCreateCmd(streams IOStreams, runF func(context.Context, *groupCreateOptions) error) *cobra.Command {
	opts := &groupCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create or update a subscription group on every master of a cluster or on one broker",
		Example: `  mq group create -g orders-consumer -c DefaultCluster
  mq group create -g orders-consumer -b 127.0.0.1:10911 -r 3 --orderly`,
		Aliases: []string{"update"},
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.checkOne(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGroupCreate(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmdutil.Writes(cmd, "create group {group}")
	opts.addFlags(cmd, "broker", "cluster")
	def := protocol.NewSubscriptionGroupConfig("")
	f := cmd.Flags()
	f.StringVarP(&opts.group, "group", "g", "", "group name (required)")
	f.Int32VarP(&opts.retryMaxTimes, "retry-max-times", "r", def.RetryMaxTimes, "reconsume attempts before the DLQ")
	f.Int32Var(&opts.retryQueueNums, "retry-queues", def.RetryQueueNums, "retry queue count")
	f.BoolVarP(&opts.broadcast, "broadcast", "d", def.ConsumeBroadcastEnable, "allow broadcast consumption")
	f.BoolVarP(&opts.consumeEnable, "consume-enable", "s", def.ConsumeEnable, "allow consumption")
	f.BoolVarP(&opts.fromMin, "from-min", "m", def.ConsumeFromMinEnable, "consume from the min offset")
	f.BoolVar(&opts.orderly, "orderly", false, "orderly consumption")
	_ = cmd.MarkFlagRequired("group")
	return cmd
}

func runGroupCreate(ctx context.Context, opts *groupCreateOptions, streams IOStreams) error {
	a, bs, err := opts.openBrokers(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	cfg := protocol.NewSubscriptionGroupConfig(opts.group)
	cfg.RetryMaxTimes, cfg.RetryQueueNums = opts.retryMaxTimes, opts.retryQueueNums
	cfg.ConsumeBroadcastEnable, cfg.ConsumeEnable, cfg.ConsumeFromMinEnable = opts.broadcast, opts.consumeEnable, opts.fromMin
	cfg.ConsumeMessageOrderly = opts.orderly
	res := a.CreateGroup(ctx, bs, cfg)
	if err := renderOutcomes(streams, opts.Output, outcomes(res)); err != nil {
		return err
	}
	return answerErr(res.Err())
}

// --- delete

type groupDeleteOptions struct {
	brokerTargetOptions
	group       string
	cleanOffset bool
}

func newGroupDeleteCmd(streams IOStreams, runF func(context.Context, *groupDeleteOptions) error) *cobra.Command {
	opts := &groupDeleteOptions{}
	cmd := &cobra.Command{
		Use:     "delete",
		Short:   "Delete a subscription group from every master of a cluster or from one broker",
		Example: `  mq group delete -g orders-consumer -c DefaultCluster --clean-offset`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.checkOne(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGroupDelete(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmdutil.Confirms(cmd, "delete group {group}")
	opts.addFlags(cmd, "broker", "cluster")
	cmd.Flags().StringVarP(&opts.group, "group", "g", "", "group name (required)")
	cmd.Flags().BoolVar(&opts.cleanOffset, "clean-offset", false, "also delete the group's consumer offsets")
	_ = cmd.MarkFlagRequired("group")
	return cmd
}

func runGroupDelete(ctx context.Context, opts *groupDeleteOptions, streams IOStreams) error {
	a, bs, err := opts.openBrokers(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	res := a.DeleteGroup(ctx, bs, opts.group, opts.cleanOffset)
	if err := renderOutcomes(streams, opts.Output, outcomes(res)); err != nil {
		return err
	}
	return answerErr(res.Err())
}

// --- connections

type groupConnectionsOptions struct {
	adminFlags
	group string
}

func newGroupConnectionsCmd(streams IOStreams, runF func(context.Context, *groupConnectionsOptions) error) *cobra.Command {
	opts := &groupConnectionsOptions{}
	cmd := &cobra.Command{
		Use:     "connections",
		Short:   "Show the consumers of a group connected to the brokers",
		Example: `  mq group connections -g orders-consumer -o json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGroupConnections(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmd.Flags().StringVarP(&opts.group, "group", "g", "", "consumer group (required)")
	_ = cmd.MarkFlagRequired("group")
	return cmd
}

// groupConnectionsView is `mq group connections` as JSON.
type groupConnectionsView struct {
	Group            string          `json:"group"`
	ConsumeType      string          `json:"consumeType,omitempty"`
	MessageModel     string          `json:"messageModel,omitempty"`
	ConsumeFromWhere string          `json:"consumeFromWhere,omitempty"`
	Clients          []admin.Client  `json:"clients"`
	Subscriptions    []subscription  `json:"subscriptions"`
	Brokers          []brokerOutcome `json:"brokers"`
}

type subscription struct {
	Topic          string `json:"topic"`
	Expression     string `json:"expression"`
	ExpressionType string `json:"expressionType"`
}

func runGroupConnections(ctx context.Context, opts *groupConnectionsOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	gc, err := a.GroupConnections(ctx, opts.group)
	if err != nil {
		return err
	}
	v := groupConnectionsView{Group: gc.Group, ConsumeType: gc.Consumer.ConsumeType, MessageModel: gc.Consumer.MessageModel,
		ConsumeFromWhere: gc.Consumer.ConsumeFromWhere, Clients: gc.Clients, Subscriptions: []subscription{}}
	if v.Clients == nil {
		v.Clients = []admin.Client{}
	}
	for topic, sd := range gc.Consumer.SubscriptionTable {
		v.Subscriptions = append(v.Subscriptions, subscription{Topic: topic, Expression: sd.SubString, ExpressionType: sd.ExpressionType})
	}
	sortSubscriptions(v.Subscriptions)
	for _, it := range gc.Brokers.Items {
		v.Brokers = append(v.Brokers, brokerOutcome{Kind: admin.KindBroker, BrokerName: it.Name, Addr: it.Addr, OK: it.Err == nil, Error: errText(it.Err)})
	}
	err = render(streams, opts.Output, v, func() table {
		t := table{header: []string{"CLIENT-ID", "CLIENT-ADDR", "LANGUAGE", "VERSION"}, wide: []string{"BROKER"}}
		for _, c := range v.Clients {
			t.add(c.ClientID, c.ClientAddr, c.Language, protocol.VersionName(int(c.Version)), c.BrokerName)
		}
		return t
	})
	if err != nil {
		return err
	}
	return answerErr(gc.Brokers.Err())
}

func sortSubscriptions(s []subscription) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Topic < s[j-1].Topic; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// --- progress

type groupProgressOptions struct {
	adminFlags
	group string
	topic string
}

func newGroupProgressCmd(streams IOStreams, runF func(context.Context, *groupProgressOptions) error) *cobra.Command {
	opts := &groupProgressOptions{}
	cmd := &cobra.Command{
		Use:   "progress",
		Short: "Show a group's consume progress and lag per queue",
		Example: `  mq group progress -g orders-consumer
  mq group progress -g orders-consumer -t Orders -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGroupProgress(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmd.Flags().StringVarP(&opts.group, "group", "g", "", "consumer group (required)")
	cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "only this topic")
	_ = cmd.MarkFlagRequired("group")
	return cmd
}

// groupProgressView is `mq group progress` as JSON.
type groupProgressView struct {
	Group      string                `json:"group"`
	ConsumeTps float64               `json:"consumeTps"`
	Lag        int64                 `json:"lag"`
	Queues     []admin.QueueProgress `json:"queues"`
	Brokers    []brokerOutcome       `json:"brokers"`
}

func runGroupProgress(ctx context.Context, opts *groupProgressOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	gp, err := a.GroupProgress(ctx, opts.group, opts.topic)
	if err != nil {
		return err
	}
	noteFromSlave(streams.ErrOut, gp.Brokers)
	// Time lag and owners are extras: a failure there is reported, the offsets still shown.
	if derr := a.ProgressDetails(ctx, &gp, true); derr != nil {
		fmt.Fprintln(streams.ErrOut, "mq: note: "+derr.Error())
	}
	v := groupProgressView{Group: gp.Group, ConsumeTps: gp.ConsumeTps, Lag: gp.Lag, Queues: gp.Queues}
	if v.Queues == nil {
		v.Queues = []admin.QueueProgress{}
	}
	for _, it := range gp.Brokers.Items {
		v.Brokers = append(v.Brokers, brokerOutcome{Kind: admin.KindBroker, BrokerName: it.Name, Addr: it.Addr, OK: it.Err == nil, Error: errText(it.Err)})
	}
	err = render(streams, opts.Output, v, func() table {
		t := table{header: []string{"TOPIC", "BROKER", "QUEUE", "BROKER-OFFSET", "CONSUMER-OFFSET", "LAG", "TIME-LAG", "LAST-CONSUMED", "CLIENT"},
			wide: []string{"PULL-OFFSET", "OLDEST-UNCONSUMED"}}
		var maxLag int64
		for _, q := range v.Queues {
			maxLag = max(maxLag, q.TimeLagMs)
			t.add(q.Topic, q.BrokerName, strconv.Itoa(int(q.QueueID)), strconv.FormatInt(q.BrokerOffset, 10),
				strconv.FormatInt(q.ConsumerOffset, 10), strconv.FormatInt(q.Lag, 10), admin.FormatAge(q.TimeLagMs), admin.FormatTime(q.LastTimestamp),
				q.Client, strconv.FormatInt(q.PullOffset, 10), admin.FormatTimeMs(q.OldestUnconsumed))
		}
		t.add("TOTAL", "", "", "", "", strconv.FormatInt(v.Lag, 10), admin.FormatAge(maxLag), "")
		return t
	})
	if err != nil {
		return err
	}
	return answerErr(gp.Brokers.Err())
}
