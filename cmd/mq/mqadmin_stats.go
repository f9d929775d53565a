package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/protocol"
)

// Broker config updates (`mq broker config set`, mqadmin updateBrokerConfig), broker-wide
// consume stats (brokerConsumeStats), producer connections (producerConnection) and traffic
// statistics (statsAll).

// --- config set

type brokerConfigSetOptions struct {
	brokerTargetOptions
	kv map[string]string
}

// parseKVArgs reads key=value arguments.
func parseKVArgs(args []string) (map[string]string, error) {
	kv := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, &usageError{Err: fmt.Errorf("%q: want key=value", a)}
		}
		kv[strings.TrimSpace(k)] = v
	}
	if len(kv) == 0 {
		return nil, &usageError{Err: errors.New("no key=value to set")}
	}
	return kv, nil
}

func newBrokerConfigSetCmd(streams IOStreams, runF func(context.Context, *brokerConfigSetOptions) error) *cobra.Command {
	opts := &brokerConfigSetOptions{}
	cmd := &cobra.Command{
		Use:   "set key=value...",
		Short: "Change broker configuration keys (UPDATE_BROKER_CONFIG)",
		Long: `Change keys of the configuration of one broker (-b) or every master of a cluster (-c). The
broker refuses unknown keys and bad values; nothing is changed then.`,
		Example: `  mq broker config set -b 127.0.0.1:10911 brokerPermission=4 --yes
  mq broker config set -c DefaultCluster maxMessageSize=8388608`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.checkOne(); err != nil {
				return err
			}
			kv, err := parseKVArgs(args)
			if err != nil {
				return err
			}
			opts.kv = kv
			return runWith(cmd.Context(), opts, runF, func() error { return runBrokerConfigSet(cmd.Context(), opts, streams) })
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmdutil.Confirms(cmd, "change the config of {broker}{cluster}")
	opts.addFlags(cmd, "broker", "cluster")
	return cmd
}

func runBrokerConfigSet(ctx context.Context, opts *brokerConfigSetOptions, streams IOStreams) error {
	a, bs, err := opts.openBrokers(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	res := a.UpdateBrokersConfig(ctx, bs, opts.kv)
	if err := renderOutcomes(streams, opts.Output, outcomes(res)); err != nil {
		return err
	}
	return answerErr(res.Err())
}

func addStatsMqadminCmds(parent *cobra.Command, streams IOStreams) {
	parent.AddCommand(
		newMqadminUpdateBrokerConfig(streams, nil),
		newMqadminBrokerConsumeStats(streams, nil),
		newMqadminProducerConnection(streams, nil),
		newMqadminStatsAll(streams, nil),
	)
}

func newMqadminUpdateBrokerConfig(streams IOStreams, runF func(context.Context, *brokerConfigSetOptions) error) *cobra.Command {
	opts := &brokerConfigSetOptions{}
	var key, value string
	cmd := mqadminCmd("updateBrokerConfig", "Change a broker configuration key (mqadmin updateBrokerConfig)", func(c *cobra.Command) error {
		if err := opts.checkOne(); err != nil {
			return err
		}
		opts.kv = map[string]string{key: value}
		return runWith(c.Context(), opts, runF, func() error { return runBrokerConfigSet(c.Context(), opts, streams) })
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmdutil.Writes(cmd, "change broker config {key}")
	opts.addFlags(cmd, "brokerAddr", "clusterName")
	cmd.Flags().StringVarP(&key, "key", "k", "", "config key (required)")
	cmd.Flags().StringVarP(&value, "value", "v", "", "config value (required)")
	_ = cmd.MarkFlagRequired("key")
	_ = cmd.MarkFlagRequired("value")
	return cmd
}

func newMqadminBrokerConsumeStats(streams IOStreams, runF func(context.Context, *brokerConsumeStatsOptions) error) *cobra.Command {
	opts := &brokerConsumeStatsOptions{}
	var order string
	cmd := mqadminCmd("brokerConsumeStats", "Show every online group's lag on one broker (mqadmin brokerConsumeStats)", func(c *cobra.Command) error {
		var err error
		if opts.order, err = parseBoolFlag("o", order); err != nil {
			return err
		}
		return runWith(c.Context(), opts, runF, func() error { return runBrokerConsumeStats(c.Context(), opts, streams) })
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	f := cmd.Flags()
	f.StringVarP(&opts.brokerAddr, "brokerAddr", "b", "", "broker address (required)")
	f.StringVarP(&order, "order", "o", "", "only ordered topics (true|false)")
	f.Int64VarP(&opts.timeoutMillis, "timeoutMillis", "t", 0, "accepted; --timeout bounds each request")
	f.Int64VarP(&opts.diffLevel, "level", "l", 0, "only queues whose lag is at least this")
	_ = cmd.MarkFlagRequired("brokerAddr")
	return cmd
}

func newMqadminProducerConnection(streams IOStreams, runF func(context.Context, *producerConnectionOptions) error) *cobra.Command {
	opts := &producerConnectionOptions{}
	cmd := mqadminCmd("producerConnection", "Show a producer group's connections (mqadmin producerConnection)", func(c *cobra.Command) error {
		return runWith(c.Context(), opts, runF, func() error { return runProducerConnection(c.Context(), opts, streams) })
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmd.Flags().StringVarP(&opts.group, "producerGroup", "g", "", "producer group (required)")
	cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
	_ = cmd.MarkFlagRequired("producerGroup")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

func newMqadminStatsAll(streams IOStreams, runF func(context.Context, *statsAllOptions) error) *cobra.Command {
	opts := &statsAllOptions{}
	cmd := mqadminCmd("statsAll", "Show put/get TPS and day counts per topic and group (mqadmin statsAll)", func(c *cobra.Command) error {
		return runWith(c.Context(), opts, runF, func() error { return runStatsAll(c.Context(), opts, streams) })
	})
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "only this topic")
	cmd.Flags().BoolVarP(&opts.activeOnly, "activeTopic", "a", false, "only topics with traffic")
	return cmd
}

// --- brokerConsumeStats

type brokerConsumeStatsOptions struct {
	adminFlags
	brokerAddr    string
	order         bool
	timeoutMillis int64
	diffLevel     int64
}

// brokerConsumeRow is one queue of one group in brokerConsumeStats (field names are stable).
type brokerConsumeRow struct {
	Group          string `json:"group"`
	Topic          string `json:"topic"`
	BrokerName     string `json:"brokerName"`
	QueueID        int32  `json:"queueId"`
	BrokerOffset   int64  `json:"brokerOffset"`
	ConsumerOffset int64  `json:"consumerOffset"`
	Diff           int64  `json:"diff"`
	LastTimestamp  int64  `json:"lastTimestamp"`
}

type brokerConsumeView struct {
	BrokerAddr string             `json:"brokerAddr"`
	TotalDiff  int64              `json:"totalDiff"`
	Queues     []brokerConsumeRow `json:"queues"`
}

func runBrokerConsumeStats(ctx context.Context, opts *brokerConsumeStatsOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	cl, err := a.BrokerConsumeStats(ctx, opts.brokerAddr, opts.order)
	if err != nil {
		return err
	}
	v := brokerConsumeView{BrokerAddr: cl.BrokerAddr, TotalDiff: cl.TotalDiff, Queues: []brokerConsumeRow{}}
	if v.BrokerAddr == "" {
		v.BrokerAddr = opts.brokerAddr
	}
	for _, m := range cl.ConsumeStatsList {
		for group, list := range m {
			for _, cs := range list {
				for q, ow := range cs.OffsetTable {
					diff := ow.BrokerOffset - ow.ConsumerOffset
					if diff < opts.diffLevel {
						continue
					}
					v.Queues = append(v.Queues, brokerConsumeRow{Group: group, Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID,
						BrokerOffset: ow.BrokerOffset, ConsumerOffset: ow.ConsumerOffset, Diff: diff, LastTimestamp: ow.LastTimestamp})
				}
			}
		}
	}
	sort.Slice(v.Queues, func(i, j int) bool {
		x, y := v.Queues[i], v.Queues[j]
		if x.Group != y.Group {
			return x.Group < y.Group
		}
		if x.Topic != y.Topic {
			return x.Topic < y.Topic
		}
		if x.BrokerName != y.BrokerName {
			return x.BrokerName < y.BrokerName
		}
		return x.QueueID < y.QueueID
	})
	return render(streams, opts.Output, v, func() table {
		t := table{header: []string{"GROUP", "TOPIC", "BROKER", "QUEUE", "BROKER-OFFSET", "CONSUMER-OFFSET", "DIFF", "LAST-TIME"}}
		for _, r := range v.Queues {
			t.add(r.Group, r.Topic, r.BrokerName, strconv.Itoa(int(r.QueueID)), strconv.FormatInt(r.BrokerOffset, 10),
				strconv.FormatInt(r.ConsumerOffset, 10), strconv.FormatInt(r.Diff, 10), admin.FormatTime(r.LastTimestamp))
		}
		t.add("TOTAL", "", "", "", "", "", strconv.FormatInt(v.TotalDiff, 10), "")
		return t
	})
}

// --- producerConnection

type producerConnectionOptions struct {
	adminFlags
	group string
	topic string
}

type producerConnectionView struct {
	Group   string          `json:"group"`
	Topic   string          `json:"topic"`
	Clients []admin.Client  `json:"clients"`
	Brokers []brokerOutcome `json:"brokers"`
}

func runProducerConnection(ctx context.Context, opts *producerConnectionOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	pc, err := a.ProducerClients(ctx, opts.group, opts.topic)
	if err != nil {
		return err
	}
	v := producerConnectionView{Group: pc.Group, Topic: pc.Topic, Clients: pc.Clients, Brokers: []brokerOutcome{}}
	if v.Clients == nil {
		v.Clients = []admin.Client{}
	}
	for _, it := range pc.Brokers.Items {
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
	return answerErr(pc.Brokers.Err())
}

// --- statsAll

type statsAllOptions struct {
	adminFlags
	topic      string
	activeOnly bool
}

type statsAllView struct {
	// Source is "stats" when every broker answered VIEW_BROKER_STATS_DATA, else "offsets".
	Source string           `json:"source"`
	Note   string           `json:"note,omitempty"`
	Rows   []admin.StatsRow `json:"rows"`
}

const statsFallbackNote = "broker does not answer VIEW_BROKER_STATS_DATA (315): TPS unknown (0); " +
	"IN/OUT are messages stored (GET_TOPIC_STATS_INFO 202) and consumed (GET_CONSUME_STATS 208), not day counts"

func runStatsAll(ctx context.Context, opts *statsAllOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	var topics []string
	if opts.topic != "" {
		topics = []string{opts.topic}
	} else {
		all, err := a.TopicList(ctx)
		if err != nil {
			return err
		}
		system := map[string]bool{}
		if st, err := a.SystemTopics(ctx); err == nil {
			for _, t := range st {
				system[t] = true
			}
		}
		for _, t := range all {
			if string(admin.ClassifyTopic(t, system)) == "normal" {
				topics = append(topics, t)
			}
		}
		sort.Strings(topics)
	}
	st, err := a.StatsAll(ctx, topics)
	if err != nil {
		return err
	}
	v := statsAllView{Source: admin.StatsSourceBroker, Rows: []admin.StatsRow{}}
	if st.Fallback {
		v.Source, v.Note = admin.StatsSourceOffsets, statsFallbackNote
	}
	active := map[string]bool{}
	for _, r := range st.Rows {
		if r.InTPS > 0 || r.OutTPS > 0 || r.InMsg24Hour > 0 || r.OutMsg24Hour > 0 {
			active[r.Topic] = true
		}
	}
	for _, r := range st.Rows {
		if !opts.activeOnly || active[r.Topic] {
			v.Rows = append(v.Rows, r)
		}
	}
	if v.Note != "" && (opts.Output == formatTable || opts.Output == formatWide) {
		fmt.Fprintln(streams.ErrOut, "mq: note: "+v.Note)
	}
	err = render(streams, opts.Output, v, func() table {
		in, out := "IN-MSG-24H", "OUT-MSG-24H"
		if st.Fallback {
			in, out = "IN-MSG-STORED", "OUT-MSG-CONSUMED"
		}
		t := table{header: []string{"TOPIC", "GROUP", "ACCUMULATION", "IN-TPS", "OUT-TPS", in, out}, wide: []string{"SOURCE"}}
		for _, r := range v.Rows {
			t.add(r.Topic, r.Group, strconv.FormatInt(r.Accumulation, 10), strconv.FormatFloat(r.InTPS, 'f', 2, 64),
				strconv.FormatFloat(r.OutTPS, 'f', 2, 64), strconv.FormatInt(r.InMsg24Hour, 10), strconv.FormatInt(r.OutMsg24Hour, 10), r.Source)
		}
		return t
	})
	if err != nil {
		return err
	}
	return answerErr(st.Brokers.Err())
}
