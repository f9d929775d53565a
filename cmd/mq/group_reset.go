package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// `mq group reset-offset|skip`.

// --- reset-offset and skip

type resetOptions struct {
	adminFlags
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
		return to, &usageError{Err: errors.New("pass exactly one of --to-time, --earliest, --latest, --offset")}
	}
	return to, nil
}

func newGroupResetCmd(streams IOStreams, runF func(context.Context, *resetOptions) error) *cobra.Command {
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
			if _, err := opts.target(); err != nil {
				return err
			}
			return runWith(cmd.Context(), opts, runF, func() error { return runGroupReset(cmd.Context(), opts, streams) })
		},
	}
	addResetFlags(cmd, opts)
	cmd.Flags().StringVar(&opts.toTime, "to-time", "", "reset to the first message stored at or after this time")
	cmd.Flags().BoolVar(&opts.earliest, "earliest", false, "reset to each queue's min offset")
	cmd.Flags().BoolVar(&opts.latest, "latest", false, "reset to each queue's max offset (skip the backlog)")
	cmd.Flags().Int64Var(&opts.offset, "offset", -1, "reset to this offset (clamped to each queue's min..max)")
	// Checked before the confirmation question.
	cmd.MarkFlagsOneRequired("to-time", "earliest", "latest", "offset")
	cmd.MarkFlagsMutuallyExclusive("to-time", "earliest", "latest", "offset")
	return cmd
}

func addResetFlags(cmd *cobra.Command, opts *resetOptions) {
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmdutil.Confirms(cmd, "reset the offsets of group {group} on {topic}")
	cmdutil.ReadOnlyWhen(cmd, "preview")
	f := cmd.Flags()
	f.StringVarP(&opts.group, "group", "g", "", "consumer group (required)")
	f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
	f.BoolVar(&opts.preview, "preview", false, "show the per-queue change, change nothing")
	_ = cmd.MarkFlagRequired("group")
	_ = cmd.MarkFlagRequired("topic")
}

func newGroupSkipCmd(streams IOStreams, runF func(context.Context, *resetOptions) error) *cobra.Command {
	opts := &resetOptions{offset: -1, latest: true}
	cmd := &cobra.Command{
		Use:     "skip",
		Short:   "Skip a group's backlog on a topic (reset its offsets to the latest)",
		Example: `  mq group skip -g audit -t Orders --yes`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWith(cmd.Context(), opts, runF, func() error { return runGroupReset(cmd.Context(), opts, streams) })
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

func runGroupReset(ctx context.Context, opts *resetOptions, streams IOStreams) error {
	to, err := opts.target()
	if err != nil {
		return err
	}
	a, err := opts.Open()
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
	err = render(streams, opts.Output, v, func() table {
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
		return "time " + admin.FormatTimeMs(to.Time)
	case admin.ResetOffset:
		return "offset " + strconv.FormatInt(to.Offset, 10)
	}
	return to.Kind
}
