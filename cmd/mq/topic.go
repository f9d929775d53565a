package main

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/protocol"
)

// The topic group: `mq topic list|route|create|delete|status`.

func newTopicCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "List, inspect, create and delete topics",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		newTopicListCmd(streams, nil),
		newTopicRouteCmd(streams, nil),
		newTopicCreateCmd(streams, nil),
		newTopicDeleteCmd(streams, nil),
		newTopicStatusCmd(streams, nil),
	)
	addNameCompletions(cmd)
	return cmd
}

// --- list

type topicListOptions struct {
	adminFlags
	cluster   string
	byCluster bool // mqadmin topicList -c: every cluster's topics with the cluster named
}

func newTopicListCmd(streams IOStreams, runF func(context.Context, *topicListOptions) error) *cobra.Command {
	opts := &topicListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List topics with their type (normal, retry, dlq, delay, transaction, trace, system)",
		Example: `  mq topic list
  mq topic list -c DefaultCluster -o jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTopicList(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmd.Flags().StringVarP(&opts.cluster, "cluster", "c", "", "only topics with queues in this cluster")
	return cmd
}

// topicRow is one topic of `mq topic list`.
type topicRow struct {
	Cluster string `json:"cluster,omitempty"`
	Topic   string `json:"topic"`
	Type    string `json:"type"`
}

func runTopicList(ctx context.Context, opts *topicListOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	system := map[string]bool{}
	if sys, err := a.SystemTopics(ctx); err == nil {
		for _, s := range sys {
			system[s] = true
		}
	}
	rows := []topicRow{}
	switch {
	case opts.byCluster:
		ci, err := a.ClusterInfo(ctx)
		if err != nil {
			return err
		}
		clusters := make([]string, 0, len(ci.ClusterAddrTable))
		for c := range ci.ClusterAddrTable {
			clusters = append(clusters, c)
		}
		sortStrings(clusters)
		for _, c := range clusters {
			ts, err := a.TopicsByCluster(ctx, c)
			if err != nil {
				return err
			}
			for _, t := range ts {
				rows = append(rows, topicRow{Cluster: c, Topic: t, Type: string(admin.ClassifyTopic(t, system))})
			}
		}
	default:
		var ts []string
		if opts.cluster != "" {
			ts, err = a.TopicsByCluster(ctx, opts.cluster)
		} else {
			ts, err = a.TopicList(ctx)
		}
		if err != nil {
			return err
		}
		for _, t := range ts {
			rows = append(rows, topicRow{Cluster: opts.cluster, Topic: t, Type: string(admin.ClassifyTopic(t, system))})
		}
	}
	return render(streams, opts.Output, rows, func() table {
		t := table{header: []string{"TOPIC", "TYPE"}}
		if opts.byCluster {
			t.header = []string{"CLUSTER", "TOPIC", "TYPE"}
		}
		for _, r := range rows {
			if opts.byCluster {
				t.add(r.Cluster, r.Topic, r.Type)
			} else {
				t.add(r.Topic, r.Type)
			}
		}
		return t
	})
}

// --- route

type topicRouteOptions struct {
	adminFlags
	topic string
}

func newTopicRouteCmd(streams IOStreams, runF func(context.Context, *topicRouteOptions) error) *cobra.Command {
	opts := &topicRouteOptions{}
	cmd := &cobra.Command{
		Use:   "route",
		Short: "Show a topic's route: the brokers and queues the nameservers hand to clients",
		Example: `  mq topic route -t TopicTest
  mq topic route -t TopicTest -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTopicRoute(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "topic name (required)")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

func runTopicRoute(ctx context.Context, opts *topicRouteOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	rd, err := a.TopicRoute(ctx, opts.topic)
	if err != nil {
		return err
	}
	return render(streams, opts.Output, rd, func() table {
		t := table{header: []string{"BROKER", "CLUSTER", "MASTER", "READ", "WRITE", "PERM"}, wide: []string{"SLAVES"}}
		addrs := map[string]protocol.BrokerData{}
		for _, bd := range rd.BrokerDatas {
			addrs[bd.BrokerName] = bd
		}
		for _, q := range rd.QueueDatas {
			bd := addrs[q.BrokerName]
			var slaves []string
			for id, addr := range bd.BrokerAddrs {
				if id != protocol.MasterID {
					slaves = append(slaves, strconv.FormatInt(id, 10)+"="+addr)
				}
			}
			sortStrings(slaves)
			t.add(q.BrokerName, bd.Cluster, bd.MasterAddr(), strconv.Itoa(int(q.ReadQueueNums)),
				strconv.Itoa(int(q.WriteQueueNums)), admin.PermString(q.Perm), strings.Join(slaves, ","))
		}
		return t
	})
}

// --- create

type topicCreateOptions struct {
	brokerTargetOptions
	topic       string
	readQueues  int32
	writeQueues int32
	perm        int32
	order       bool
}

func newTopicCreateCmd(streams IOStreams, runF func(context.Context, *topicCreateOptions) error) *cobra.Command {
	opts := &topicCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create or update a topic on every master of a cluster or on one broker",
		Example: `  mq topic create -t Orders -c DefaultCluster
  mq topic create -t Orders -b 127.0.0.1:10911 -r 4 -w 4 --order`,
		Aliases: []string{"update"},
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.checkOne(); err != nil {
				return err
			}
			if err := checkPerm(opts.perm); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTopicCreate(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmdutil.Writes(cmd, "create or update topic {topic}")
	opts.addFlags(cmd, "broker", "cluster")
	f := cmd.Flags()
	f.StringVarP(&opts.topic, "topic", "t", "", "topic name (required)")
	f.Int32VarP(&opts.readQueues, "read-queues", "r", 8, "read queue count")
	f.Int32VarP(&opts.writeQueues, "write-queues", "w", 8, "write queue count")
	f.Int32VarP(&opts.perm, "perm", "p", protocol.PermRead|protocol.PermWrite, "permission: 2 write, 4 read, 6 read+write")
	f.BoolVar(&opts.order, "order", false, "ordered topic")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

func checkPerm(p int32) error {
	switch p {
	case protocol.PermWrite, protocol.PermRead, protocol.PermRead | protocol.PermWrite:
		return nil
	}
	return &usageError{Err: errors.New("-p: want 2 (write), 4 (read) or 6 (read+write)")}
}

// brokerOutcome is one server's answer to a change (create, delete).
type brokerOutcome struct {
	Kind       string `json:"kind"`
	BrokerName string `json:"brokerName,omitempty"`
	Addr       string `json:"addr"`
	OK         bool   `json:"ok"`
	Error      string `json:"error,omitempty"`
}

func outcomes(res admin.Results[struct{}]) []brokerOutcome {
	out := make([]brokerOutcome, len(res.Items))
	for i, it := range res.Items {
		out[i] = brokerOutcome{Kind: res.Kind, BrokerName: it.Name, Addr: it.Addr, OK: it.Err == nil, Error: errText(it.Err)}
	}
	return out
}

func renderOutcomes(streams IOStreams, format string, rows []brokerOutcome) error {
	return render(streams, format, rows, func() table {
		t := table{header: []string{"KIND", "NAME", "ADDR", "RESULT"}}
		for _, r := range rows {
			if r.OK {
				t.add(r.Kind, r.BrokerName, r.Addr, "ok")
			} else {
				t.addFailed(r.Kind, r.BrokerName, r.Addr, "failed")
			}
		}
		return t
	})
}

func runTopicCreate(ctx context.Context, opts *topicCreateOptions, streams IOStreams) error {
	a, bs, err := opts.openBrokers(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	tc := protocol.NewTopicConfig(opts.topic)
	tc.ReadQueueNums, tc.WriteQueueNums, tc.Perm, tc.Order = opts.readQueues, opts.writeQueues, opts.perm, opts.order
	// An ordered topic is also recorded in the nameservers' ORDER_TOPIC_CONFIG, as mqadmin
	// does: Apache's broker ignores the order flag.
	res, ns := a.CreateOrderedTopic(ctx, bs, tc, opts.cluster != "")
	rows, errs := outcomes(res), res.Err()
	if ns != nil {
		rows, errs = append(rows, outcomes(*ns)...), errors.Join(errs, ns.Err())
	}
	if err := renderOutcomes(streams, opts.Output, rows); err != nil {
		return err
	}
	return answerErr(errs)
}

// --- delete

type topicDeleteOptions struct {
	adminFlags
	topic   string
	cluster string
}

func newTopicDeleteCmd(streams IOStreams, runF func(context.Context, *topicDeleteOptions) error) *cobra.Command {
	opts := &topicDeleteOptions{}
	cmd := &cobra.Command{
		Use:     "delete",
		Short:   "Delete a topic from every master of a cluster and from the nameservers",
		Example: `  mq topic delete -t Orders -c DefaultCluster`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTopicDelete(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmdutil.Confirms(cmd, "delete topic {topic} from cluster {cluster}")
	cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "topic name (required)")
	cmd.Flags().StringVarP(&opts.cluster, "cluster", "c", "", "cluster to delete it from (required)")
	_ = cmd.MarkFlagRequired("topic")
	_ = cmd.MarkFlagRequired("cluster")
	return cmd
}

func runTopicDelete(ctx context.Context, opts *topicDeleteOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	dr, err := a.DeleteTopic(ctx, opts.topic, opts.cluster)
	if err != nil {
		return err
	}
	rows := append(outcomes(dr.Brokers), outcomes(dr.NameServers)...)
	if err := renderOutcomes(streams, opts.Output, rows); err != nil {
		return err
	}
	return changeErr(dr.Brokers.Err(), dr.NameServers.Err())
}

// changeErr combines the fan-out errors of several steps: partial (exit 3) when any server
// answered, else an error.
func changeErr(errs ...error) error {
	err := errors.Join(errs...)
	if err == nil {
		return nil
	}
	for _, e := range errs {
		if e == nil || admin.IsPartial(e) {
			return &partialError{Err: err}
		}
	}
	return err
}

// --- status

type topicStatusOptions struct {
	adminFlags
	topic string
}

func newTopicStatusCmd(streams IOStreams, runF func(context.Context, *topicStatusOptions) error) *cobra.Command {
	opts := &topicStatusOptions{}
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show a topic's queues with their min/max offsets and last store time",
		Example: `  mq topic status -t TopicTest -o json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTopicStatus(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "topic name (required)")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

func runTopicStatus(ctx context.Context, opts *topicStatusOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	ts, err := a.TopicStatus(ctx, opts.topic)
	if err != nil {
		return err
	}
	noteFromSlave(streams.ErrOut, ts.Brokers)
	rows := ts.Queues
	if rows == nil {
		rows = []admin.QueueOffsets{}
	}
	err = render(streams, opts.Output, rows, func() table {
		t := table{header: []string{"BROKER", "QUEUE", "MIN-OFFSET", "MAX-OFFSET", "LAST-UPDATED"}}
		for _, q := range rows {
			t.add(q.BrokerName, strconv.Itoa(int(q.QueueID)), strconv.FormatInt(q.MinOffset, 10),
				strconv.FormatInt(q.MaxOffset, 10), admin.FormatTime(q.LastUpdateTimestamp))
		}
		return t
	})
	if err != nil {
		return err
	}
	return answerErr(ts.Brokers.Err())
}
