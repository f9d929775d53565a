package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/protocol"
)

// The acl group: plain ACL accounts on brokers (Apache's ACL admin codes 50-54), by
// broker (-b) or on every master of a cluster (-c).

type aclOptions struct {
	brokerTargetOptions
	accessKey string
	account   protocol.PlainAccessConfig
	white     []string
}

func newACLCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "acl",
		Short: "List and change the plain ACL accounts of brokers (aclEnable=true)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newACLListCmd(streams, nil), newACLGetCmd(streams, nil), newACLUpdateCmd(streams, nil),
		newACLDeleteCmd(streams, nil), newACLWhiteListCmd(streams, nil))
	return cmd
}

func newACLListCmd(streams IOStreams, runF func(context.Context, *aclOptions) error) *cobra.Command {
	return aclCmd("list", "List the accounts of each broker (secret keys hidden)", "  mq acl list -c DefaultCluster",
		cobra.NoArgs, streams, runF, runACLList, nil)
}

func newACLGetCmd(streams IOStreams, runF func(context.Context, *aclOptions) error) *cobra.Command {
	return aclCmd("get ACCESS_KEY", "Show one account on each broker", "  mq acl get RocketMQ -b 127.0.0.1:10911 -o json",
		cobra.ExactArgs(1), streams, runF, runACLList, nil)
}

func newACLUpdateCmd(streams IOStreams, runF func(context.Context, *aclOptions) error) *cobra.Command {
	return aclCmd("update ACCESS_KEY", "Create or replace an account on each broker (written to its accounts file)",
		"  mq acl update app0001 --account-secret s3cret-key --topic-perm Orders=PUB --group-perm cg=SUB -c DefaultCluster",
		cobra.ExactArgs(1), streams, runF, runACLUpdate, addACLAccountFlags)
}

func newACLDeleteCmd(streams IOStreams, runF func(context.Context, *aclOptions) error) *cobra.Command {
	return aclCmd("delete ACCESS_KEY", "Delete an account on each broker", "  mq acl delete app0001 -c DefaultCluster",
		cobra.ExactArgs(1), streams, runF, runACLDelete, nil)
}

func newACLWhiteListCmd(streams IOStreams, runF func(context.Context, *aclOptions) error) *cobra.Command {
	return aclCmd("white-list [ADDR...]", "Replace the global white addresses on each broker (none clears them)",
		"  mq acl white-list 10.1.0.* -c DefaultCluster", cobra.ArbitraryArgs, streams, runF, runACLWhite, nil)
}

func aclCmd(use, short, example string, args cobra.PositionalArgs, streams IOStreams, runF func(context.Context, *aclOptions) error,
	run func(context.Context, *aclOptions, IOStreams) error, extra func(*cobra.Command, *aclOptions)) *cobra.Command {
	opts := &aclOptions{}
	cmd := &cobra.Command{
		Use: use, Short: short, Example: example, Args: args,
		RunE: func(cmd *cobra.Command, a []string) error {
			if len(a) > 0 {
				opts.accessKey = a[0]
				opts.white = a
			}
			if err := opts.checkOne(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	opts.addFlags(cmd, "broker", "cluster")
	switch {
	case strings.HasPrefix(use, "delete"):
		cmdutil.Confirms(cmd, "delete acl account {0}")
	case strings.HasPrefix(use, "white-list"):
		cmdutil.Confirms(cmd, "replace the global white addresses")
	case strings.HasPrefix(use, "update"):
		cmdutil.Writes(cmd, "update acl account {0}")
	}
	if extra != nil {
		extra(cmd, opts)
	}
	return cmd
}

func addACLAccountFlags(cmd *cobra.Command, o *aclOptions) {
	f := cmd.Flags()
	f.StringVar(&o.account.SecretKey, "account-secret", "", "the account's secret key (at least 7 characters; required)")
	f.BoolVar(&o.account.Admin, "admin", false, "the account may send admin requests")
	f.StringVar(&o.account.WhiteRemoteAddress, "white-address", "", "addresses trusted without a signature (Apache patterns: 10.1.*.*, 10.1.1.{1,2})")
	f.StringVar(&o.account.DefaultTopicPerm, "default-topic-perm", "DENY", "permission on unlisted topics: PUB, SUB, PUB|SUB or DENY")
	f.StringVar(&o.account.DefaultGroupPerm, "default-group-perm", "DENY", "permission on unlisted groups")
	f.StringSliceVar(&o.account.TopicPerms, "topic-perm", nil, "topic=PERM, repeatable")
	f.StringSliceVar(&o.account.GroupPerms, "group-perm", nil, "group=PERM, repeatable")
	_ = cmd.MarkFlagRequired("account-secret")
}

// aclAccountRow is one account on one broker; the secret key is never printed.
type aclAccountRow struct {
	BrokerName string `json:"brokerName"`
	Addr       string `json:"addr"`
	protocol.PlainAccessConfig
	Error string `json:"error,omitempty"`
}

func runACLList(ctx context.Context, o *aclOptions, streams IOStreams) error {
	a, bs, err := o.openBrokers(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	rows := []aclAccountRow{}
	var errs []error
	for _, b := range bs {
		cfg, err := a.ACLConfig(ctx, b.Addr)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b.Addr, err))
			rows = append(rows, aclAccountRow{BrokerName: b.Name, Addr: b.Addr, Error: err.Error()})
			continue
		}
		for _, pc := range cfg.PlainAccessConfigs {
			if o.accessKey != "" && pc.AccessKey != o.accessKey {
				continue
			}
			pc.SecretKey = ""
			rows = append(rows, aclAccountRow{BrokerName: b.Name, Addr: b.Addr, PlainAccessConfig: pc})
		}
	}
	if err := render(streams, o.Output, rows, func() table {
		t := table{header: []string{"BROKER", "ACCESS KEY", "ADMIN", "WHITE ADDRESS", "TOPIC", "GROUP", "TOPIC PERMS", "GROUP PERMS"}}
		for _, r := range rows {
			if r.Error != "" {
				t.addFailed(r.BrokerName, "", "", "", "", "", "", r.Error)
				continue
			}
			t.add(r.BrokerName, r.AccessKey, fmt.Sprint(r.Admin), r.WhiteRemoteAddress, r.DefaultTopicPerm, r.DefaultGroupPerm,
				strings.Join(r.TopicPerms, ","), strings.Join(r.GroupPerms, ","))
		}
		return t
	}); err != nil {
		return err
	}
	return aclResultErr(errs, len(bs))
}

func runACLUpdate(ctx context.Context, o *aclOptions, streams IOStreams) error {
	o.account.AccessKey = o.accessKey
	if len(o.account.AccessKey) < 7 || len(o.account.SecretKey) < 7 {
		return cmdutil.Usagef("access key and --account-secret need at least 7 characters (as Apache requires)")
	}
	return aclChange(ctx, o, streams, func(a *admin.Admin, addr string) error {
		return a.UpdateACLAccount(ctx, addr, o.account)
	})
}

func runACLDelete(ctx context.Context, o *aclOptions, streams IOStreams) error {
	return aclChange(ctx, o, streams, func(a *admin.Admin, addr string) error {
		return a.DeleteACLAccount(ctx, addr, o.accessKey)
	})
}

func runACLWhite(ctx context.Context, o *aclOptions, streams IOStreams) error {
	return aclChange(ctx, o, streams, func(a *admin.Admin, addr string) error {
		return a.UpdateGlobalWhiteAddrs(ctx, addr, o.white)
	})
}

func aclChange(ctx context.Context, o *aclOptions, streams IOStreams, fn func(*admin.Admin, string) error) error {
	a, bs, err := o.openBrokers(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	var rows []brokerOutcome
	var errs []error
	for _, b := range bs {
		err := fn(a, b.Addr)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b.Addr, err))
		}
		rows = append(rows, brokerOutcome{Kind: "broker", BrokerName: b.Name, Addr: b.Addr, OK: err == nil, Error: errText(err)})
	}
	if err := renderOutcomes(streams, o.Output, rows); err != nil {
		return err
	}
	return aclResultErr(errs, len(bs))
}

// aclResultErr is nil, a partial answer (exit 3) when some brokers answered, or the error.
func aclResultErr(errs []error, n int) error {
	switch {
	case len(errs) == 0:
		return nil
	case len(errs) < n:
		return &cmdutil.PartialError{Err: errors.Join(errs...)}
	}
	return errors.Join(errs...)
}
