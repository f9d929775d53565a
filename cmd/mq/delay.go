package main

import (
	"context"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// `mq delay status`.

func newDelayCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{Use: "delay", Short: "Delayed and timer messages", Args: cobra.NoArgs}
	cmd.AddCommand(newDelayStatusCmd(streams, nil))
	return cmd
}

// delayStatusOptions are the flags of `mq delay status`.
type delayStatusOptions struct{ brokerTargetOptions }

func newDelayStatusCmd(streams IOStreams, runF func(context.Context, *delayStatusOptions) error) *cobra.Command {
	opts := &delayStatusOptions{}
	status := &cobra.Command{
		Use:   "status",
		Short: "Show each delay level's delivered and pending messages, and the timer wheel",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWith(cmd.Context(), opts, runF, func() error { return runDelayStatus(cmd.Context(), opts, streams) })
		},
	}
	opts.adminFlags.Register(status, cmdutil.Noun)
	opts.addFlags(status, "broker", "cluster")
	return status
}

func runDelayStatus(ctx context.Context, opts *delayStatusOptions, streams IOStreams) error {
	a, bs, err := opts.openReaders(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	res := admin.ForEachBroker(ctx, a, bs, a.DelayStatus)
	noteFromSlave(streams.ErrOut, res)
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
	if err := render(streams, opts.Output, rows, func() table {
		t := table{header: []string{"BROKER", "LEVEL", "DELAY", "DELIVERED", "MAX", "PENDING", "NEXT-DUE"}, wide: []string{"SOURCE"}}
		for _, r := range rows {
			if r.Error != "" {
				t.addFailed(r.BrokerName, "", "", "", "", "", "", "")
				continue
			}
			for _, l := range r.Levels {
				t.add(r.BrokerName, strconv.Itoa(int(l.Level)), (time.Duration(l.DelayMillis) * time.Millisecond).String(),
					strconv.FormatInt(l.DeliveredOffset, 10), strconv.FormatInt(l.MaxOffset, 10), strconv.FormatInt(l.Pending, 10),
					admin.FormatTime(l.NextDueTimestamp), r.Source)
			}
			if r.Timer != nil {
				t.add(r.BrokerName, "timer", "", strconv.FormatInt(r.Timer.Delivered, 10), strconv.FormatInt(r.Timer.Enqueued, 10),
					strconv.FormatInt(r.Timer.Pending+r.Timer.Backlog, 10), admin.FormatTime(r.Timer.NextDueTimestamp), r.Source)
			}
		}
		return t
	}); err != nil {
		return err
	}
	return answerErr(res.Err())
}
