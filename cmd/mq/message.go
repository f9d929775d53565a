package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/message"
)

// The message group: `mq message get|query|browse|trace|resend`.

func newMessageCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "message",
		Aliases: []string{"msg"},
		Short:   "Find, browse, trace and resend messages",
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(
		newMessageGetCmd(streams, nil),
		newMessageQueryCmd(streams, nil),
		newMessageBrowseCmd(streams, nil),
		newMessageTraceCmd(streams, nil),
		newMessageResendCmd(streams, nil),
	)
	return cmd
}

// --- get

type messageGetOptions struct {
	adminFlags
	id    string
	topic string
}

func newMessageGetCmd(streams IOStreams, runF func(context.Context, *messageGetOptions) error) *cobra.Command {
	opts := &messageGetOptions{}
	cmd := &cobra.Command{
		Use:   "get",
		Short: "Show a message by offset message id or unique key (told apart automatically)",
		Long: `Show a message by id. An offset message id (32 hex chars naming a broker address and a
CommitLog offset) is read from that broker; any other id is a unique key (UNIQ_KEY, the id
clients print as MsgId) looked up through the index of the topic's brokers, which needs -t.`,
		Example: `  mq message get -i 7F00000100002A9F00000000000007EC
  mq message get -t Orders -i C0A8010A00002A9F0000000000000001 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWith(cmd.Context(), opts, runF, func() error { return runMessageGet(cmd.Context(), opts, streams) })
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmd.Flags().StringVarP(&opts.id, "id", "i", "", "offset message id or unique key (required)")
	cmd.Flags().StringVarP(&opts.topic, "topic", "t", "", "topic (needed for a unique key)")
	_ = cmd.MarkFlagRequired("id")
	registerTopicCompletion(cmd, "topic")
	return cmd
}

func runMessageGet(ctx context.Context, opts *messageGetOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	found, _, err := a.MessageByID(ctx, opts.topic, strings.TrimSpace(opts.id))
	if errors.Is(err, admin.ErrNeedTopic) {
		return &usageError{Err: fmt.Errorf("%q is not an offset id of a known broker, so it is a unique key: pass -t topic", opts.id)}
	}
	if len(found) == 0 {
		return err
	}
	views := viewFound(found)
	var data any = views
	if len(views) == 1 && opts.Output != formatJSONL {
		data = views[0]
	}
	rerr := render(streams, opts.Output, data, func() table {
		if len(views) == 1 {
			return messageDetail(views[0])
		}
		return messagesTable(views)
	})
	if rerr != nil {
		return rerr
	}
	return answerErr(err)
}

// --- query

type messageQueryOptions struct {
	adminFlags
	topic, key, begin, end string
	limit                  int
	unique                 bool
}

func newMessageQueryCmd(streams IOStreams, runF func(context.Context, *messageQueryOptions) error) *cobra.Command {
	opts := &messageQueryOptions{}
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Find the messages of a topic with a key over a time range, sorted by store time",
		Long: `Find the messages of a topic whose KEYS contain the key, on every master of the topic, through
the brokers' index. The broker answers at most 64 messages per call; a window that comes back
full is split and asked again, so every match is found. The index keeps seconds: a one-second
window that is still full is read through its queues and filtered.`,
		Example: `  mq message query -t Orders -k order-42
  mq message query -t Orders -k order-42 --begin 2h --end 1h -o jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWith(cmd.Context(), opts, runF, func() error { return runMessageQuery(cmd.Context(), opts, streams) })
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	f := cmd.Flags()
	f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
	f.StringVarP(&opts.key, "key", "k", "", "message key (required)")
	f.StringVar(&opts.begin, "begin", "", "stored at or after (RFC 3339, Unix ms or a duration ago; default: the beginning)")
	f.StringVar(&opts.end, "end", "", "stored at or before (default: now)")
	f.IntVar(&opts.limit, "limit", 0, "at most this many messages (0: all)")
	_ = cmd.MarkFlagRequired("topic")
	_ = cmd.MarkFlagRequired("key")
	registerTopicCompletion(cmd, "topic")
	return cmd
}

// queryView is `mq message query` as JSON.
type queryView struct {
	Topic     string          `json:"topic"`
	Key       string          `json:"key"`
	Count     int             `json:"count"`
	Queries   int             `json:"queries"`
	Scanned   int             `json:"scanned"`
	Truncated bool            `json:"truncated"`
	Messages  []messageView   `json:"messages"`
	Brokers   []brokerOutcome `json:"brokers"`
}

func runMessageQuery(ctx context.Context, opts *messageQueryOptions, streams IOStreams) error {
	now := time.Now()
	begin, err := parseWhen("begin", opts.begin, now)
	if err != nil {
		return err
	}
	end, err := parseWhen("end", opts.end, now)
	if err != nil {
		return err
	}
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	pctx, bar := withProgress(ctx, streams, &opts.adminFlags, "query "+opts.key)
	kq, qerr := a.QueryByKey(pctx, opts.topic, opts.key, begin, end, opts.limit)
	bar.finish()
	if kq.Brokers.Total() == 0 && qerr != nil {
		return qerr
	}
	noteFromSlave(streams.ErrOut, kq.Brokers)
	v := queryView{Topic: opts.topic, Key: opts.key, Count: len(kq.Messages), Queries: kq.Queries, Scanned: kq.Scanned,
		Truncated: kq.Truncated, Messages: viewFound(kq.Messages), Brokers: resultOutcomes(kq.Brokers)}
	var data any = v
	if opts.Output == formatJSONL {
		data = v.Messages
	}
	if err := render(streams, opts.Output, data, func() table { return messagesTable(v.Messages) }); err != nil {
		return err
	}
	if opts.Output == formatTable || opts.Output == formatWide {
		fmt.Fprintf(streams.ErrOut, "%d messages (%d index queries, %d read by scan)\n", v.Count, v.Queries, v.Scanned)
	}
	return answerErr(qerr)
}

// resultOutcomes lists each target's answer of a fan-out.
func resultOutcomes[T any](r admin.Results[T]) []brokerOutcome {
	out := []brokerOutcome{}
	for _, it := range r.Items {
		out = append(out, brokerOutcome{Kind: r.Kind, BrokerName: it.Name, Addr: it.Addr, OK: it.Err == nil, Error: errText(it.Err)})
	}
	return out
}

// --- browse

type messageBrowseOptions struct {
	adminFlags
	topic        string
	queue        int32
	offset       int64
	begin, end   string
	tag          string
	props        []string
	bodyContains string
	max          int
}

func newMessageBrowseCmd(streams IOStreams, runF func(context.Context, *messageBrowseOptions) error) *cobra.Command {
	opts := &messageBrowseOptions{}
	cmd := &cobra.Command{
		Use:   "browse",
		Short: "Read a topic's messages by queue and offset or by time range, with filters",
		Long: `Read messages with raw pulls (nothing is committed): one queue from an offset (--queue and
--offset), or every queue over a time range (--begin/--end). --tag, --prop k=v and
--body-contains filter what is shown.`,
		Example: `  mq message browse -t Orders --queue 0 --offset 100 --max 10
  mq message browse -t Orders --begin 1h --tag TagA --prop region=eu --body-contains refund`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("offset") && !cmd.Flags().Changed("queue") {
				return &usageError{Err: errors.New("--offset needs --queue")}
			}
			if cmd.Flags().Changed("queue") && (opts.begin != "" || opts.end != "") {
				return &usageError{Err: errors.New("pass either --queue/--offset or --begin/--end")}
			}
			return runWith(cmd.Context(), opts, runF, func() error { return runMessageBrowse(cmd.Context(), opts, streams) })
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	f := cmd.Flags()
	f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
	f.Int32Var(&opts.queue, "queue", -1, "only this queue id")
	f.Int64Var(&opts.offset, "offset", -1, "start at this queue offset (default: the queue's min offset)")
	f.StringVar(&opts.begin, "begin", "", "stored at or after (RFC 3339, Unix ms or a duration ago)")
	f.StringVar(&opts.end, "end", "", "stored at or before (default: now)")
	f.StringVar(&opts.tag, "tag", "", "only messages with this tag ('a||b' for several)")
	f.StringArrayVar(&opts.props, "prop", nil, "only messages with property key=value (repeatable)")
	f.StringVar(&opts.bodyContains, "body-contains", "", "only messages whose body contains this text")
	f.IntVar(&opts.max, "max", 100, "stop after this many matching messages")
	_ = cmd.MarkFlagRequired("topic")
	registerTopicCompletion(cmd, "topic")
	return cmd
}

func runMessageBrowse(ctx context.Context, opts *messageBrowseOptions, streams IOStreams) error {
	now := time.Now()
	begin, err := parseWhen("begin", opts.begin, now)
	if err != nil {
		return err
	}
	end, err := parseWhen("end", opts.end, now)
	if err != nil {
		return err
	}
	props, err := parseProps("prop", opts.props)
	if err != nil {
		return err
	}
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	rd, err := a.TopicRoute(ctx, opts.topic)
	if err != nil {
		return err
	}
	tags := map[string]bool{}
	for _, t := range strings.Split(opts.tag, "||") {
		if t = strings.TrimSpace(t); t != "" {
			tags[t] = true
		}
	}
	keep := func(m *message.MessageExt) bool {
		if len(tags) > 0 && !tags[m.Tags()] {
			return false
		}
		for k, v := range props {
			if m.Properties[k] != v {
				return false
			}
		}
		if opts.bodyContains != "" && !strings.Contains(string(m.Body), opts.bodyContains) {
			return false
		}
		return (begin == 0 || m.StoreTimestamp >= begin) && (end == 0 || m.StoreTimestamp <= end)
	}
	var out []messageView
	var errs []error
	pctx, bar := withProgress(ctx, streams, &opts.adminFlags, "browse "+opts.topic)
	defer bar.finish()
	qs, missing := admin.ReadQueues(rd)
	for _, name := range missing {
		errs = append(errs, fmt.Errorf("broker %s: %w", name, admin.ErrNoLiveBroker))
	}
	noted := map[string]bool{}
	for _, q := range qs {
		if opts.queue >= 0 && q.QueueID != opts.queue {
			continue
		}
		if len(out) >= opts.max {
			break
		}
		if q.FromSlave() && !noted[q.BrokerName] {
			noted[q.BrokerName] = true
			fmt.Fprintf(streams.ErrOut, "mq: note: %s read from its slave %s (brokerId %d): the route lists no master\n",
				q.BrokerName, q.Addr, q.ID)
		}
		scan := admin.QueueScan{Addr: q.Addr, BrokerName: q.BrokerName, Topic: opts.topic, QueueID: q.QueueID,
			From: opts.offset, Begin: begin, End: end}
		_, err := a.ScanQueue(pctx, scan, func(m *message.MessageExt) bool {
			if keep(m) {
				out = append(out, viewMessage(q.BrokerName, m))
			}
			return len(out) < opts.max
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	bar.finish()
	if out == nil {
		out = []messageView{}
	}
	if err := render(streams, opts.Output, out, func() table { return messagesTable(out) }); err != nil {
		return err
	}
	if len(errs) > 0 {
		err := errors.Join(errs...)
		if len(out) > 0 {
			return &partialError{Err: err}
		}
		return err
	}
	return nil
}

// --- trace

type messageTraceOptions struct {
	adminFlags
	id         string
	traceTopic string
}

func newMessageTraceCmd(streams IOStreams, runF func(context.Context, *messageTraceOptions) error) *cobra.Command {
	opts := &messageTraceOptions{}
	cmd := &cobra.Command{
		Use:   "trace",
		Short: "Show a message's trace: send, store and each group's consume attempts with costs",
		Long: `Read the trace records clients wrote for a message id (its unique key, as clients print it)
in RMQ_SYS_TRACE_TOPIC or --trace-topic, and show them as a timeline.`,
		Example: `  mq message trace -i C0A8010A00002A9F0000000000000001
  mq message trace -i C0A8010A00002A9F0000000000000001 --trace-topic MyTraces -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWith(cmd.Context(), opts, runF, func() error { return runMessageTrace(cmd.Context(), opts, streams) })
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmd.Flags().StringVarP(&opts.id, "id", "i", "", "message id (required)")
	cmd.Flags().StringVar(&opts.traceTopic, "trace-topic", admin.DefaultTraceTopic, "trace topic")
	_ = cmd.MarkFlagRequired("id")
	return cmd
}

func runMessageTrace(ctx context.Context, opts *messageTraceOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	tr, terr := a.MessageTrace(ctx, opts.traceTopic, strings.TrimSpace(opts.id))
	if terr != nil && len(tr.Records) == 0 {
		return terr
	}
	if len(tr.Records) == 0 {
		return fmt.Errorf("%w: no trace records of %s in %s", admin.ErrMessageNotFound, opts.id, tr.TraceTopic)
	}
	err = render(streams, opts.Output, tr, func() table {
		t := table{header: []string{"TIME", "EVENT", "GROUP", "CLIENT", "BROKER", "ATTEMPT", "COST-MS", "STATUS"},
			wide: []string{"DETAIL"}}
		for _, e := range tr.Events {
			attempt := ""
			if e.Attempt > 0 {
				attempt = strconv.Itoa(e.Attempt)
			}
			status := e.Status
			if status == "" {
				status = "OK"
				if !e.Success {
					status = "FAILED"
				}
			}
			t.add(admin.FormatTimeMs(e.Timestamp), e.Kind, e.Group, e.Client, e.Broker, attempt, strconv.FormatInt(e.CostMs, 10), status, e.Detail)
		}
		return t
	})
	if err != nil {
		return err
	}
	return answerErr(terr)
}

// --- resend

type messageResendOptions struct {
	adminFlags
	id, topic, group, client string
}

func newMessageResendCmd(streams IOStreams, runF func(context.Context, *messageResendOptions) error) *cobra.Command {
	opts := &messageResendOptions{}
	cmd := &cobra.Command{
		Use:   "resend",
		Short: "Have a consumer of a group consume a message again (CONSUME_MESSAGE_DIRECTLY)",
		Long: `Ask the broker to hand the message to an online consumer of the group, which consumes it and
reports the result (mqadmin consumeMessageDirectly). It needs a consumer of the group online;
without one it fails and says so.`,
		Example: `  mq message resend -i 7F00000100002A9F00000000000007EC -g orders-consumer --yes`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWith(cmd.Context(), opts, runF, func() error { return runMessageResend(cmd.Context(), opts, streams) })
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmdutil.Confirms(cmd, "resend message {id} to group {group}")
	f := cmd.Flags()
	f.StringVarP(&opts.id, "id", "i", "", "offset message id or unique key (required)")
	f.StringVarP(&opts.topic, "topic", "t", "", "topic (needed for a unique key)")
	f.StringVarP(&opts.group, "group", "g", "", "consumer group (required)")
	f.StringVar(&opts.client, "client", "", "client id (default: the first online consumer of the group)")
	_ = cmd.MarkFlagRequired("id")
	_ = cmd.MarkFlagRequired("group")
	registerGroupCompletion(cmd, "group")
	return cmd
}

func runMessageResend(ctx context.Context, opts *messageResendOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.ConsumeAgain(ctx, opts.topic, opts.id, opts.group, opts.client)
	if errors.Is(err, admin.ErrNeedTopic) {
		return &usageError{Err: fmt.Errorf("%q is a unique key: pass -t topic", opts.id)}
	}
	if err != nil {
		return err
	}
	return render(streams, opts.Output, v, func() table {
		t := table{header: []string{"MSG-ID", "GROUP", "CLIENT", "RESULT", "SPENT-MS"}, wide: []string{"OFFSET-MSG-ID", "REMARK"}}
		t.add(v.MsgID, v.Group, v.Client, v.Result, strconv.FormatInt(v.SpentMs, 10), v.OffsetMsgID, v.Remark)
		return t
	})
}
