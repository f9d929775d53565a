package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/protocol"
)

// `mq broker perm` and mqadmin addWritePerm: a broker's permission, set on the broker
// (brokerPermission) or on the nameservers' routes (add/wipe write permission).

func newMqadminAddWritePerm(streams IOStreams, runF func(context.Context, *wipeWritePermOptions) error) *cobra.Command {
	opts := &wipeWritePermOptions{add: true}
	cmd := &cobra.Command{
		Use:   "addWritePerm",
		Short: "Give a broker's write permission back on every nameserver, undoing wipeWritePerm (mqadmin addWritePerm)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runWipeWritePerm(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Mqadmin)
	cmdutil.Writes(cmd, "add the write permission of {brokerName}")
	cmd.Flags().StringVarP(&opts.brokerName, "brokerName", "b", "", "broker name (required)")
	_ = cmd.MarkFlagRequired("brokerName")
	return cmd
}

type brokerPermOptions struct {
	brokerTargetOptions
	perm int32
}

func newBrokerPermCmd(streams IOStreams, runF func(context.Context, *brokerPermOptions) error) *cobra.Command {
	opts := &brokerPermOptions{}
	cmd := &cobra.Command{
		Use:   "perm -b ADDR|-c CLUSTER rw|r|w|--",
		Short: "Set a broker's permission (brokerPermission): rw serves all, r refuses sends, -- refuses both",
		Long: `Set the brokerPermission of one broker (-b) or every master of a cluster (-c) with
UPDATE_BROKER_CONFIG: rw (6) is normal, r (4) takes the broker out of writes while consumers
drain it, w (2) and -- (0) stop reads too. The broker re-registers its topics with the new
permission. 'mq admin wipeWritePerm / addWritePerm' change the nameservers' routes instead.`,
		Example: `  mq broker perm -b 127.0.0.1:10911 r --yes
  mq broker perm -c DefaultCluster rw --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.checkOne(); err != nil {
				return err
			}
			p, err := admin.ParsePerm(args[0])
			if err != nil {
				return &usageError{Err: err}
			}
			if p&^(protocol.PermRead|protocol.PermWrite) != 0 {
				return &usageError{Err: errors.New("a broker's permission is rw, r, w or -- (no inherit bit)")}
			}
			opts.perm = p
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runBrokerPerm(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmdutil.Confirms(cmd, "change the permission of {broker}{cluster}")
	opts.addFlags(cmd, "broker", "cluster")
	return cmd
}

func runBrokerPerm(ctx context.Context, opts *brokerPermOptions, streams IOStreams) error {
	a, bs, err := opts.openBrokers(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	res := a.SetBrokerPermission(ctx, bs, opts.perm)
	if err := renderOutcomes(streams, opts.Output, outcomes(res)); err != nil {
		return err
	}
	return answerErr(res.Err())
}
