package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

type groupCloneOptions struct {
	adminFlags
	src, dest, topic string
	offline          bool
}

// newGroupCloneCmd is `mq group clone`: copy one group's committed offsets on a topic to
// another group (mqadmin cloneGroupOffset).
func newGroupCloneCmd(streams IOStreams, runF func(context.Context, *groupCloneOptions) error) *cobra.Command {
	opts := &groupCloneOptions{}
	cmd := &cobra.Command{
		Use:     "clone",
		Short:   "Copy a group's committed offsets on a topic to another group",
		Example: `  mq group clone -s orders-consumer -d orders-consumer-v2 -t Orders --yes`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGroupClone(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmdutil.Confirms(cmd, "overwrite the offsets of group {dest-group} on {topic} with those of {src-group}")
	f := cmd.Flags()
	f.StringVarP(&opts.src, "src-group", "s", "", "group to copy offsets from (required)")
	f.StringVarP(&opts.dest, "dest-group", "d", "", "group to copy offsets to (required)")
	f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
	f.BoolVar(&opts.offline, "offline", true, "copy even when the source group is online without this topic")
	for _, name := range []string{"src-group", "dest-group", "topic"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func runGroupClone(ctx context.Context, opts *groupCloneOptions, streams IOStreams) error {
	if opts.src == opts.dest {
		return &usageError{Err: errors.New("--src-group and --dest-group are the same")}
	}
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := a.CloneGroupOffset(ctx, opts.src, opts.dest, opts.topic, opts.offline)
	if err != nil {
		return err
	}
	if err := renderOutcomes(streams, opts.Output, outcomes(res)); err != nil {
		return err
	}
	return answerErr(res.Err())
}
