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
)

// `mq consume`: read a topic with raw pulls. Offsets are committed only with --group.

type consumeOptions struct {
	adminFlags
	topic  string
	from   string
	follow bool
	count  int
	group  string
	tag    string
}

func newConsumeCmd(streams IOStreams, runF func(context.Context, *consumeOptions) error) *cobra.Command {
	opts := &consumeOptions{}
	cmd := &cobra.Command{
		Use:   "consume -t TOPIC",
		Short: "Read a topic's messages (raw pull); commit offsets only with --group",
		Long: `Read every queue of a topic from --from: earliest, latest, a time (RFC 3339, a duration ago
like 10m, or Unix ms >= 1e12) or a queue offset (a number below 1e12, for every queue). With
--group the group's committed offsets are the default start and what was read is committed;
without it nothing is committed. --follow keeps waiting for new messages until interrupted
or --count is reached.`,
		Example: `  mq consume -t Orders --from earliest --count 10
  mq consume -t Orders --from 10m -o jsonl
  mq consume -t Orders --group audit --follow`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWith(cmd.Context(), opts, runF, func() error { return runConsume(cmd.Context(), opts, streams) })
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmdutil.WritesWhen(cmd, "group", "commit the offsets of group {group}")
	f := cmd.Flags()
	f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
	f.StringVar(&opts.from, "from", "", "earliest|latest|TIME|OFFSET (default: the group's offsets with --group, else earliest)")
	f.BoolVarP(&opts.follow, "follow", "f", false, "keep waiting for new messages")
	f.IntVar(&opts.count, "count", 0, "stop after this many messages (0: no limit)")
	f.StringVarP(&opts.group, "group", "g", "", "consumer group whose offsets are used and committed")
	f.StringVar(&opts.tag, "tag", "*", "tag expression ('a||b')")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

type consumeQueue struct {
	admin.WriteQueue
	offset int64
}

func runConsume(ctx context.Context, opts *consumeOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	rd, err := a.TopicRoute(ctx, opts.topic)
	if err != nil {
		return err
	}
	var qs []*consumeQueue
	for _, q := range admin.TopicQueues(rd, false) {
		off, err := startOffset(ctx, a, opts, q)
		if err != nil {
			return err
		}
		qs = append(qs, &consumeQueue{WriteQueue: q, offset: off})
	}
	if len(qs) == 0 {
		return fmt.Errorf("topic %s has no readable queue on a master", opts.topic)
	}
	stream := opts.follow
	var got []messageView
	emit := func(v messageView) error {
		if !stream {
			got = append(got, v)
			return nil
		}
		switch opts.Output {
		case formatJSON, formatJSONL:
			return writeJSON(streams.Out, v, false)
		}
		_, err := fmt.Fprintf(streams.Out, "%s  %s/%d/%d  %s  tags=%s keys=%s  %s\n", v.StoreTime, v.BrokerName, v.QueueID,
			v.QueueOffset, v.MsgID, v.Tags, v.Keys, shorten(v.Body, 200))
		return err
	}
	n := 0
	var errs []error
loop:
	for ctx.Err() == nil {
		idle := true
		for _, q := range qs {
			// With --group the pull is the group's (the broker counts its gets, statsAll shows them).
			pr, err := a.Pull(ctx, q.Addr, admin.PullRequest{Group: opts.group, BrokerName: q.BrokerName, Topic: opts.topic, QueueID: q.QueueID,
				Offset: q.offset, Max: 32, Subscription: opts.tag})
			if err != nil {
				if ctx.Err() != nil {
					break loop
				}
				errs = append(errs, err)
				if !opts.follow {
					break loop
				}
				continue
			}
			for i := range pr.Messages {
				if opts.count > 0 && n >= opts.count {
					break
				}
				if err := emit(viewMessage(q.BrokerName, &pr.Messages[i])); err != nil {
					return err
				}
				n++
				q.offset = pr.Messages[i].QueueOffset + 1
			}
			if pr.Status != admin.PullFound || len(pr.Messages) == 0 || (opts.count > 0 && n >= opts.count) {
				if pr.Next > q.offset && (opts.count == 0 || n < opts.count) {
					q.offset = pr.Next
					idle = false
				}
			} else {
				idle = false
			}
			if opts.group != "" {
				if err := a.UpdateConsumerOffset(ctx, q.Addr, opts.group, opts.topic, q.QueueID, q.offset); err != nil {
					errs = append(errs, err)
				}
			}
			if opts.count > 0 && n >= opts.count {
				break loop
			}
		}
		if idle {
			if !opts.follow {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	if !stream {
		if got == nil {
			got = []messageView{}
		}
		if err := render(streams, opts.Output, got, func() table { return messagesTable(got) }); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		err := errors.Join(errs...)
		if n > 0 {
			return &partialError{Err: err}
		}
		return err
	}
	return nil
}

// startOffset is where --from starts reading a queue.
func startOffset(ctx context.Context, a *admin.Admin, opts *consumeOptions, q admin.WriteQueue) (int64, error) {
	from := strings.TrimSpace(opts.from)
	if from == "" && opts.group != "" {
		off, err := a.ConsumerOffset(ctx, q.Addr, opts.group, opts.topic, q.QueueID)
		if err != nil {
			return 0, err
		}
		if off >= 0 {
			return off, nil
		}
		from = "earliest"
	}
	switch from {
	case "", "earliest", "first", "min":
		return a.MinOffset(ctx, q.Addr, opts.topic, q.QueueID)
	case "latest", "last", "max":
		return a.MaxOffset(ctx, q.Addr, opts.topic, q.QueueID)
	}
	if n, err := strconv.ParseInt(from, 10, 64); err == nil && n >= 0 && n < 1e12 {
		return n, nil
	}
	ts, err := parseWhen("from", from, time.Now())
	if err != nil {
		return 0, err
	}
	return a.SearchOffset(ctx, q.Addr, opts.topic, q.QueueID, ts)
}
