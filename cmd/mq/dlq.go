package main

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// `mq dlq list|browse|resend`.

func newDLQCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "Dead-letter queues: list, browse, resend",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newDLQListCmd(streams, nil), newDLQBrowseCmd(streams, nil), newDLQResendCmd(streams, nil))
	return cmd
}

type dlqRow struct {
	Group    string `json:"group"`
	Topic    string `json:"topic"`
	Messages int64  `json:"messages"`
	Last     string `json:"lastStoreTime,omitempty"`
	Error    string `json:"error,omitempty"`
}

// dlqListOptions are the flags of `mq dlq list`.
type dlqListOptions struct{ adminFlags }

func newDLQListCmd(streams IOStreams, runF func(context.Context, *dlqListOptions) error) *cobra.Command {
	opts := &dlqListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List dead-letter topics with their message counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWith(cmd.Context(), opts, runF, func() error { return runDLQList(cmd.Context(), opts, streams) })
		},
	}
	opts.Register(cmd, cmdutil.Noun)
	return cmd
}

// dlqBrowseOptions are the flags of `mq dlq browse`: message browse's, on the group's DLQ.
type dlqBrowseOptions struct {
	messageBrowseOptions
	group string
}

func newDLQBrowseCmd(streams IOStreams, runF func(context.Context, *dlqBrowseOptions) error) *cobra.Command {
	opts := &dlqBrowseOptions{}
	cmd := &cobra.Command{
		Use:     "browse",
		Short:   "Show the messages in a group's dead-letter queue",
		Example: `  mq dlq browse -g orders-consumer --max 20 -o json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.topic = admin.DLQTopic(opts.group)
			return runWith(cmd.Context(), opts, runF, func() error { return runMessageBrowse(cmd.Context(), &opts.messageBrowseOptions, streams) })
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	f := cmd.Flags()
	f.StringVarP(&opts.group, "group", "g", "", "consumer group (required)")
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

func newDLQResendCmd(streams IOStreams, runF func(context.Context, *dlqResendOptions) error) *cobra.Command {
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
			return runWith(cmd.Context(), opts, runF, func() error { return runDLQResend(cmd.Context(), opts, streams) })
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmdutil.Confirms(cmd, "resend dead letters of group {group}")
	f := cmd.Flags()
	f.StringVarP(&opts.group, "group", "g", "", "consumer group (required)")
	f.StringVarP(&opts.id, "id", "i", "", "the dead letter's offset message id or unique key")
	f.BoolVar(&opts.all, "all", false, "resend every dead letter")
	f.IntVar(&opts.max, "max", 10000, "with --all, at most this many")
	// Checked before the confirmation question.
	cmd.MarkFlagsOneRequired("id", "all")
	cmd.MarkFlagsMutuallyExclusive("id", "all")
	_ = cmd.MarkFlagRequired("group")
	return cmd
}

func runDLQResend(ctx context.Context, opts *dlqResendOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	msgs, err := a.DeadLetters(ctx, opts.group, opts.id, opts.max)
	if err != nil {
		return err
	}
	pctx, bar := withProgress(ctx, streams, &opts.adminFlags, "resend "+admin.DLQTopic(opts.group))
	rows := a.ResendDeadLetters(pctx, opts.group, msgs)
	bar.finish()
	if err := render(streams, opts.Output, rows, func() table {
		t := table{header: []string{"MSG-ID", "TO", "NEW-MSG-ID", "BROKER"}, wide: []string{"ERROR"}}
		for _, r := range rows {
			if r.Error != "" {
				t.addFailed(r.MsgID, r.To, "", "", r.Error)
			} else {
				t.add(r.MsgID, r.To, r.NewMsgID, r.BrokerName, "")
			}
		}
		return t
	}); err != nil {
		return err
	}
	if err := admin.ResendErr(rows); err != nil {
		if admin.ResendFailures(rows) < len(rows) {
			return &partialError{Err: err}
		}
		return err
	}
	return nil
}

func runDLQList(ctx context.Context, opts *dlqListOptions, streams IOStreams) error {
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
}
