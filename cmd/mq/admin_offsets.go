package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
)

// `mq group reset-offset|skip`, `mq dlq list|browse|resend`, `mq delay status`, `mq txn half`.

// --- reset-offset and skip

type resetOptions struct {
	adminFlags
	confirmFlags
	group, topic string
	toTime       string
	earliest     bool
	latest       bool
	offset       int64
	preview      bool
}

func (o *resetOptions) target() (admin.ResetTo, error) {
	n := 0
	var to admin.ResetTo
	if o.toTime != "" {
		n++
		ts, err := parseWhen("to-time", o.toTime, time.Now())
		if err != nil {
			return to, err
		}
		to = admin.ResetTo{Kind: admin.ResetTime, Time: ts}
	}
	if o.earliest {
		n++
		to = admin.ResetTo{Kind: admin.ResetEarliest}
	}
	if o.latest {
		n++
		to = admin.ResetTo{Kind: admin.ResetLatest}
	}
	if o.offset >= 0 {
		n++
		to = admin.ResetTo{Kind: admin.ResetOffset, Offset: o.offset}
	}
	if n != 1 {
		return to, &usageError{errors.New("pass exactly one of --to-time, --earliest, --latest, --offset")}
	}
	return to, nil
}

func newGroupResetCmd(streams IOStreams) *cobra.Command {
	opts := &resetOptions{}
	cmd := &cobra.Command{
		Use:   "reset-offset",
		Short: "Move a group's offsets on a topic to a time, the earliest, the latest or an offset",
		Long: `Reset a consumer group's offsets on a topic, per queue: --to-time T (the first message stored
at or after T), --earliest, --latest or --offset N (clamped to each queue). --preview shows
what would change and changes nothing. Each master resets the group itself and tells its
online consumers (INVOKE_BROKER_TO_RESET_OFFSET); an explicit offset, or a broker that cannot,
gets the planned offsets written (UPDATE_CONSUMER_OFFSET).`,
		Example: `  mq group reset-offset -g audit -t Orders --to-time 2h --preview
  mq group reset-offset -g audit -t Orders --earliest --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			to, err := opts.target()
			if err != nil {
				return err
			}
			return runGroupReset(cmd.Context(), opts, to, streams, true)
		},
	}
	addResetFlags(cmd, opts)
	cmd.Flags().StringVar(&opts.toTime, "to-time", "", "reset to the first message stored at or after this time")
	cmd.Flags().BoolVar(&opts.earliest, "earliest", false, "reset to each queue's min offset")
	cmd.Flags().BoolVar(&opts.latest, "latest", false, "reset to each queue's max offset (skip the backlog)")
	cmd.Flags().Int64Var(&opts.offset, "offset", -1, "reset to this offset (clamped to each queue's min..max)")
	return cmd
}

func addResetFlags(cmd *cobra.Command, opts *resetOptions) {
	addAdminFlags(cmd, &opts.adminFlags, "namesrv", true)
	addConfirmFlags(cmd, &opts.confirmFlags)
	f := cmd.Flags()
	f.StringVarP(&opts.group, "group", "g", "", "consumer group (required)")
	f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
	f.BoolVar(&opts.preview, "preview", false, "show the per-queue change, change nothing")
	_ = cmd.MarkFlagRequired("group")
	_ = cmd.MarkFlagRequired("topic")
}

func newGroupSkipCmd(streams IOStreams) *cobra.Command {
	opts := &resetOptions{offset: -1}
	cmd := &cobra.Command{
		Use:     "skip",
		Short:   "Skip a group's backlog on a topic (reset its offsets to the latest)",
		Example: `  mq group skip -g audit -t Orders --yes`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGroupReset(cmd.Context(), opts, admin.ResetTo{Kind: admin.ResetLatest}, streams, true)
		},
	}
	addResetFlags(cmd, opts)
	return cmd
}

// resetView is a reset as JSON.
type resetView struct {
	Group   string             `json:"group"`
	Topic   string             `json:"topic"`
	To      string             `json:"to"`
	Preview bool               `json:"preview"`
	Queues  []admin.ResetQueue `json:"queues"`
	Brokers []brokerOutcome    `json:"brokers"`
}

func runGroupReset(ctx context.Context, opts *resetOptions, to admin.ResetTo, streams IOStreams, ask bool) error {
	if !opts.preview {
		if err := guard(streams, &opts.adminFlags, &opts.confirmFlags, ask,
			fmt.Sprintf("reset the offsets of group %s on %s to %s", opts.group, opts.topic, describeReset(to))); err != nil {
			return err
		}
	}
	a, err := opts.open()
	if err != nil {
		return err
	}
	defer a.Close()
	plan, perr := a.PlanReset(ctx, opts.group, opts.topic, to)
	if len(plan.Queues) == 0 && perr != nil {
		return perr
	}
	if !opts.preview {
		if perr != nil {
			return fmt.Errorf("not resetting: the preview is incomplete: %w", perr)
		}
		pctx, bar := withProgress(ctx, streams, &opts.adminFlags, "reset "+opts.group)
		perr = a.ApplyReset(pctx, &plan)
		bar.finish()
	}
	v := resetView{Group: opts.group, Topic: opts.topic, To: describeReset(to), Preview: opts.preview, Queues: plan.Queues,
		Brokers: resultOutcomes(plan.Brokers)}
	if v.Queues == nil {
		v.Queues = []admin.ResetQueue{}
	}
	err = render(streams, opts.output, v, func() table {
		t := table{header: []string{"TOPIC", "BROKER", "QUEUE", "MIN", "MAX", "CURRENT", "NEW"}, wide: []string{"APPLIED", "VIA", "ERROR"}}
		if !opts.preview {
			t.header = append(t.header, "APPLIED")
			t.wide = []string{"VIA", "ERROR"}
		}
		for _, q := range v.Queues {
			cur := strconv.FormatInt(q.Current, 10)
			if q.Current < 0 {
				cur = "none"
			}
			cells := []string{q.Topic, q.BrokerName, strconv.Itoa(int(q.QueueID)), strconv.FormatInt(q.MinOffset, 10),
				strconv.FormatInt(q.MaxOffset, 10), cur, strconv.FormatInt(q.Target, 10)}
			applied := ""
			if q.Applied >= 0 {
				applied = strconv.FormatInt(q.Applied, 10)
			}
			cells = append(cells, applied, q.Via, q.Error)
			if q.Error != "" {
				t.addFailed(cells...)
			} else {
				t.add(cells...)
			}
		}
		return t
	})
	if err != nil {
		return err
	}
	return answerErr(perr)
}

func describeReset(to admin.ResetTo) string {
	switch to.Kind {
	case admin.ResetTime:
		return "time " + millisMs(to.Time)
	case admin.ResetOffset:
		return "offset " + strconv.FormatInt(to.Offset, 10)
	}
	return to.Kind
}

// --- dlq

// DLQTopic is the dead-letter topic of a group.
func dlqTopic(group string) string { return "%DLQ%" + group }

func newDLQCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "Dead-letter queues: list, browse, resend",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newDLQListCmd(streams), newDLQBrowseCmd(streams), newDLQResendCmd(streams))
	return cmd
}

type dlqRow struct {
	Group    string `json:"group"`
	Topic    string `json:"topic"`
	Messages int64  `json:"messages"`
	Last     string `json:"lastStoreTime,omitempty"`
	Error    string `json:"error,omitempty"`
}

func newDLQListCmd(streams IOStreams) *cobra.Command {
	opts := &adminFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List dead-letter topics with their message counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := opts.open()
			if err != nil {
				return err
			}
			defer a.Close()
			ts, err := a.TopicList(ctx)
			if err != nil {
				return err
			}
			rows := []dlqRow{}
			var errs []error
			for _, t := range ts {
				g, ok := strings.CutPrefix(t, "%DLQ%")
				if !ok {
					continue
				}
				r := dlqRow{Group: g, Topic: t}
				st, err := a.TopicStatus(ctx, t)
				if err == nil {
					err = st.Brokers.Err()
				}
				var last int64
				for _, q := range st.Queues {
					r.Messages += q.MaxOffset - q.MinOffset
					last = max(last, q.LastUpdateTimestamp)
				}
				r.Last = millis(last)
				if err != nil {
					r.Error = err.Error()
					errs = append(errs, err)
				}
				rows = append(rows, r)
			}
			if err := render(streams, opts.output, rows, func() table {
				t := table{header: []string{"GROUP", "DLQ-TOPIC", "MESSAGES", "LAST-STORED"}}
				for _, r := range rows {
					t.add(r.Group, r.Topic, strconv.FormatInt(r.Messages, 10), r.Last)
				}
				return t
			}); err != nil {
				return err
			}
			if len(errs) > 0 {
				return &partialError{errors.Join(errs...)}
			}
			return nil
		},
	}
	addAdminFlags(cmd, opts, "namesrv", true)
	return cmd
}

func newDLQBrowseCmd(streams IOStreams) *cobra.Command {
	opts := &messageBrowseOptions{}
	var group string
	cmd := &cobra.Command{
		Use:     "browse",
		Short:   "Show the messages in a group's dead-letter queue",
		Example: `  mq dlq browse -g orders-consumer --max 20 -o json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.topic = dlqTopic(group)
			return runMessageBrowse(cmd.Context(), opts, streams)
		},
	}
	addAdminFlags(cmd, &opts.adminFlags, "namesrv", true)
	f := cmd.Flags()
	f.StringVarP(&group, "group", "g", "", "consumer group (required)")
	f.IntVar(&opts.max, "max", 100, "at most this many messages")
	f.StringVar(&opts.begin, "begin", "", "stored at or after")
	f.StringVar(&opts.end, "end", "", "stored at or before")
	f.StringVar(&opts.bodyContains, "body-contains", "", "only messages whose body contains this text")
	opts.queue, opts.offset = -1, -1
	_ = cmd.MarkFlagRequired("group")
	return cmd
}

type dlqResendOptions struct {
	adminFlags
	confirmFlags
	group string
	id    string
	all   bool
	max   int
}

func newDLQResendCmd(streams IOStreams) *cobra.Command {
	opts := &dlqResendOptions{}
	cmd := &cobra.Command{
		Use:   "resend",
		Short: "Send dead letters back to their group for another try",
		Long: `Send a copy of dead-lettered messages (one by -i, or every one with --all) to the group's
retry topic %RETRY%<group>, with RETRY_TOPIC naming the original topic, so the group's
consumers (and only they) consume it again with fresh retry counts. When the group has no
retry topic the copy goes to the original topic. Needs no consumer online.`,
		Example: `  mq dlq resend -g orders-consumer -i 7F00000100002A9F00000000000007EC --yes
  mq dlq resend -g orders-consumer --all --yes -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (opts.id == "") == !opts.all {
				return &usageError{errors.New("pass -i ID or --all")}
			}
			what := "resend dead letter " + opts.id + " of group " + opts.group
			if opts.all {
				what = "resend every dead letter of group " + opts.group
			}
			if err := confirm(streams, &opts.adminFlags, &opts.confirmFlags, what); err != nil {
				return err
			}
			return runDLQResend(cmd.Context(), opts, streams)
		},
	}
	addAdminFlags(cmd, &opts.adminFlags, "namesrv", true)
	addConfirmFlags(cmd, &opts.confirmFlags)
	f := cmd.Flags()
	f.StringVarP(&opts.group, "group", "g", "", "consumer group (required)")
	f.StringVarP(&opts.id, "id", "i", "", "the dead letter's offset message id or unique key")
	f.BoolVar(&opts.all, "all", false, "resend every dead letter")
	f.IntVar(&opts.max, "max", 10000, "with --all, at most this many")
	_ = cmd.MarkFlagRequired("group")
	return cmd
}

type dlqResent struct {
	MsgID  string `json:"msgId"`
	To     string `json:"to"`
	NewID  string `json:"newMsgId,omitempty"`
	Broker string `json:"brokerName,omitempty"`
	Error  string `json:"error,omitempty"`
}

func runDLQResend(ctx context.Context, opts *dlqResendOptions, streams IOStreams) error {
	a, err := opts.open()
	if err != nil {
		return err
	}
	defer a.Close()
	dlq := dlqTopic(opts.group)
	var msgs []message.MessageExt
	if opts.id != "" {
		found, _, err := a.MessageByID(ctx, dlq, opts.id)
		if len(found) == 0 {
			return err
		}
		msgs = append(msgs, found[len(found)-1].MessageExt)
	} else {
		rd, err := a.TopicRoute(ctx, dlq)
		if err != nil {
			return err
		}
		for _, q := range admin.TopicQueues(rd, false) {
			off, err := a.MinOffset(ctx, q.Addr, dlq, q.QueueID)
			if err != nil {
				return err
			}
			for len(msgs) < opts.max {
				pr, err := a.Pull(ctx, q.Addr, admin.PullRequest{BrokerName: q.BrokerName, Topic: dlq, QueueID: q.QueueID, Offset: off, Max: 32})
				if err != nil {
					return err
				}
				if pr.Status != admin.PullFound || len(pr.Messages) == 0 {
					break
				}
				msgs = append(msgs, pr.Messages...)
				off = pr.Next
			}
		}
	}
	retry := admin.RetryTopic(opts.group)
	var retryQs []admin.WriteQueue
	if rd, err := a.TopicRoute(ctx, retry); err == nil {
		retryQs = admin.TopicQueues(rd, true)
	}
	gen := message.NewUniqIDGenerator(netip.AddrFrom4([4]byte{127, 0, 0, 1}), os.Getpid(), 0, nil)
	rows := []dlqResent{}
	var errs []error
	bar := newProgressBar(streams, opts.quiet, "resend "+dlq)
	bar.add(0, int64(len(msgs)))
	for i, m := range msgs {
		bar.add(1, 0)
		orig := m.Properties[message.PropertyRetryTopic]
		if orig == "" {
			orig = m.Properties[message.PropertyRealTopic]
		}
		props := clone(m.Properties)
		for _, k := range []string{message.PropertyDelayTimeLevel, message.PropertyReconsumeTime, message.PropertyMaxReconsumeTimes,
			message.PropertyRealTopic, message.PropertyRealQueueID, message.PropertyTransactionPrepared} {
			delete(props, k)
		}
		props[message.PropertyUniqClientMessageIDKeyIndex] = gen.Next(time.Now())
		props[message.PropertyOriginMessageID] = m.MsgID()
		row := dlqResent{MsgID: m.MsgID()}
		var qs []admin.WriteQueue
		topic := retry
		if len(retryQs) > 0 && orig != "" {
			qs = retryQs
			props[message.PropertyRetryTopic] = orig
		} else if orig != "" {
			topic = orig
			if rd, err := a.TopicRoute(ctx, orig); err == nil {
				qs = admin.TopicQueues(rd, true)
			}
		}
		row.To = topic
		if len(qs) == 0 {
			row.Error = "no writable queue for " + topic + " (original topic unknown or gone)"
			errs = append(errs, errors.New(row.Error))
			rows = append(rows, row)
			continue
		}
		q := qs[i%len(qs)]
		r, err := a.Send(ctx, q.Addr, admin.SendRequest{ProducerGroup: "TOOLS_PRODUCER", BrokerName: q.BrokerName, QueueID: q.QueueID,
			Message: message.Message{Topic: topic, Flag: m.Flag, Properties: props, Body: m.Body}})
		if err != nil {
			row.Error = err.Error()
			errs = append(errs, err)
		} else {
			row.NewID, row.Broker = r.MsgID, r.BrokerName
		}
		rows = append(rows, row)
	}
	bar.finish()
	if err := render(streams, opts.output, rows, func() table {
		t := table{header: []string{"MSG-ID", "TO", "NEW-MSG-ID", "BROKER"}, wide: []string{"ERROR"}}
		for _, r := range rows {
			if r.Error != "" {
				t.addFailed(r.MsgID, r.To, "", "", r.Error)
			} else {
				t.add(r.MsgID, r.To, r.NewID, r.Broker, "")
			}
		}
		return t
	}); err != nil {
		return err
	}
	if len(errs) > 0 {
		if len(errs) < len(rows) {
			return &partialError{errors.Join(errs...)}
		}
		return errors.Join(errs...)
	}
	return nil
}

// --- delay status, txn half

func newDelayCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{Use: "delay", Short: "Delayed and timer messages", Args: cobra.NoArgs}
	opts := &brokerTargetOptions{}
	status := &cobra.Command{
		Use:   "status",
		Short: "Show each delay level's delivered and pending messages, and the timer wheel",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, bs, err := opts.openBrokers(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			res := admin.ForEachBroker(ctx, a, bs, a.DelayStatus)
			type row struct {
				BrokerName string `json:"brokerName"`
				Addr       string `json:"addr"`
				admin.DelayStatus
				Error string `json:"error,omitempty"`
			}
			rows := []row{}
			for _, it := range res.Items {
				rows = append(rows, row{BrokerName: it.Name, Addr: it.Addr, DelayStatus: it.Value, Error: errText(it.Err)})
			}
			if err := render(streams, opts.output, rows, func() table {
				t := table{header: []string{"BROKER", "LEVEL", "DELAY", "DELIVERED", "MAX", "PENDING", "NEXT-DUE"}, wide: []string{"SOURCE"}}
				for _, r := range rows {
					if r.Error != "" {
						t.addFailed(r.BrokerName, "", "", "", "", "", "", "")
						continue
					}
					for _, l := range r.Levels {
						t.add(r.BrokerName, strconv.Itoa(int(l.Level)), (time.Duration(l.DelayMillis) * time.Millisecond).String(),
							strconv.FormatInt(l.DeliveredOffset, 10), strconv.FormatInt(l.MaxOffset, 10), strconv.FormatInt(l.Pending, 10),
							millis(l.NextDueTimestamp), r.Source)
					}
					if r.Timer != nil {
						t.add(r.BrokerName, "timer", "", strconv.FormatInt(r.Timer.Delivered, 10), strconv.FormatInt(r.Timer.Enqueued, 10),
							strconv.FormatInt(r.Timer.Pending+r.Timer.Backlog, 10), millis(r.Timer.NextDueTimestamp), r.Source)
					}
				}
				return t
			}); err != nil {
				return err
			}
			return answerErr(res.Err())
		},
	}
	addAdminFlags(status, &opts.adminFlags, "namesrv", true)
	opts.addFlags(status, "broker", "cluster")
	cmd.AddCommand(status)
	return cmd
}

func newTxnCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{Use: "txn", Short: "Transactional (half) messages", Args: cobra.NoArgs}
	opts := &brokerTargetOptions{}
	var limit int32
	half := &cobra.Command{
		Use:   "half",
		Short: "Show pending half messages per broker: counts, oldest age, check times",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, bs, err := opts.openBrokers(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			res := admin.ForEachBroker(ctx, a, bs, func(ctx context.Context, addr string) (admin.TxnStatus, error) {
				return a.TransactionStatus(ctx, addr, limit)
			})
			type row struct {
				BrokerName string `json:"brokerName"`
				Addr       string `json:"addr"`
				admin.TxnStatus
				Error string `json:"error,omitempty"`
			}
			rows := []row{}
			for _, it := range res.Items {
				rows = append(rows, row{BrokerName: it.Name, Addr: it.Addr, TxnStatus: it.Value, Error: errText(it.Err)})
			}
			if err := render(streams, opts.output, rows, func() table {
				t := table{header: []string{"BROKER", "QUEUE", "HALF-OFFSET", "MAX", "PENDING", "OLDEST-AGE", "CHECKS-SENT"},
					wide: []string{"OP-OFFSET", "OP-MAX", "SOURCE"}}
				for _, r := range rows {
					if r.Error != "" {
						t.addFailed(r.BrokerName)
						continue
					}
					for _, q := range r.Queues {
						pending := strconv.FormatInt(q.Pending, 10)
						if q.Pending < 0 {
							pending = "unknown"
						}
						t.add(r.BrokerName, strconv.Itoa(int(q.QueueID)), strconv.FormatInt(q.HalfOffset, 10), strconv.FormatInt(q.MaxOffset, 10),
							pending, timeLag(q.OldestAgeMillis), strconv.FormatInt(q.ChecksSent, 10),
							strconv.FormatInt(q.OpOffset, 10), strconv.FormatInt(q.OpMaxOffset, 10), r.Source)
					}
				}
				return t
			}); err != nil {
				return err
			}
			for _, r := range rows {
				for _, m := range r.Messages {
					if opts.output == formatTable || opts.output == formatWide {
						fmt.Fprintf(streams.Out, "pending %s topic=%s group=%s checks=%d stored=%s\n", m.MsgID, m.Topic, m.ProducerGroup,
							m.CheckTimes, millisMs(m.StoreTimestamp))
					}
				}
			}
			return answerErr(res.Err())
		},
	}
	addAdminFlags(half, &opts.adminFlags, "namesrv", true)
	opts.addFlags(half, "broker", "cluster")
	half.Flags().Int32Var(&limit, "limit", 20, "list up to this many pending half messages (mq brokers)")
	cmd.AddCommand(half)
	return cmd
}
