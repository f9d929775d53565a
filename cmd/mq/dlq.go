package main

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/message"
)

// `mq dlq list|browse|resend`.

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
			a, err := opts.Open()
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
				g, ok := strings.CutPrefix(t, admin.DLQPrefix)
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
				r.Last = admin.FormatTime(last)
				if err != nil {
					r.Error = err.Error()
					errs = append(errs, err)
				}
				rows = append(rows, r)
			}
			if err := render(streams, opts.Output, rows, func() table {
				t := table{header: []string{"GROUP", "DLQ-TOPIC", "MESSAGES", "LAST-STORED"}}
				for _, r := range rows {
					t.add(r.Group, r.Topic, strconv.FormatInt(r.Messages, 10), r.Last)
				}
				return t
			}); err != nil {
				return err
			}
			if len(errs) > 0 {
				return &partialError{Err: errors.Join(errs...)}
			}
			return nil
		},
	}
	opts.Register(cmd, cmdutil.Noun)
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
			opts.topic = admin.DLQTopic(group)
			return runMessageBrowse(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
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
				return &usageError{Err: errors.New("pass -i ID or --all")}
			}
			return runDLQResend(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmdutil.Confirms(cmd, "resend dead letters of group {group}")
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
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	dlq := admin.DLQTopic(opts.group)
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
			if len(msgs) >= opts.max {
				break
			}
			_, err := a.ScanQueue(ctx, admin.QueueScan{Addr: q.Addr, BrokerName: q.BrokerName, Topic: dlq, QueueID: q.QueueID, From: -1},
				func(m *message.MessageExt) bool {
					msgs = append(msgs, *m)
					return len(msgs) < opts.max
				})
			if err != nil {
				return err
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
	bar := newProgressBar(streams, opts.Quiet, "resend "+dlq)
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
	if err := render(streams, opts.Output, rows, func() table {
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
			return &partialError{Err: errors.Join(errs...)}
		}
		return errors.Join(errs...)
	}
	return nil
}
