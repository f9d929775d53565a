package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// `mq ctx add|use|list|remove`: named clusters in the user's config (cmdutil.Config).

func newCtxCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ctx",
		Short: "Named clusters (nameservers, credentials, read-only) in the user's config",
		Long: `Contexts name clusters: nameserver list, ACL credentials and a read-only flag, kept in
<user config dir>/mq/config.yaml ($MQ_CONFIG overrides the path). Admin commands use the
current context (mq ctx use), or --context / $MQ_CONTEXT; -n and $NAMESRV_ADDR win over it.
In a read-only context commands that change the cluster refuse to run.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newCtxAddCmd(streams, nil), newCtxUseCmd(streams, nil), newCtxListCmd(streams, nil), newCtxRemoveCmd(streams, nil))
	return cmd
}

// ctxOptions are the flags and arguments of the ctx commands.
type ctxOptions struct {
	cmdutil.ClusterContext
	output string
}

func newCtxAddCmd(streams IOStreams, runF func(context.Context, *ctxOptions) error) *cobra.Command {
	opts := &ctxOptions{}
	cmd := &cobra.Command{
		Use:     "add NAME NAMESRV",
		Short:   "Add or replace a context",
		Example: `  mq ctx add prod "10.0.0.1:9876;10.0.0.2:9876" --read-only`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name, opts.NameServers = args[0], args[1]
			return runWith(cmd.Context(), opts, runF, func() error { return runCtxAdd(opts, streams) })
		},
	}
	cmd.Flags().BoolVar(&opts.ReadOnly, "read-only", false, "refuse commands that change the cluster in this context")
	cmd.Flags().StringVar(&opts.AccessKey, "access-key", "", "ACL access key")
	cmd.Flags().StringVar(&opts.SecretKey, "secret-key", "", "ACL secret key")
	cmd.Flags().BoolVar(&opts.TLS, "tls", false, "connect with TLS")
	cmd.Flags().StringVar(&opts.TLSCAFile, "tls-ca", "", "CA file that verifies the servers (default: not verified)")
	cmd.Flags().StringVar(&opts.TLSCertFile, "tls-cert", "", "client certificate (PEM), for servers that require one")
	cmd.Flags().StringVar(&opts.TLSKeyFile, "tls-key", "", "client key (PEM)")
	return cmd
}

func runCtxAdd(opts *ctxOptions, streams IOStreams) error {
	c, p, err := cmdutil.LoadConfig()
	if err != nil {
		return err
	}
	x := opts.ClusterContext
	if i := c.Find(x.Name); i >= 0 {
		c.Contexts[i] = x
	} else {
		c.Contexts = append(c.Contexts, x)
	}
	if c.Current == "" {
		c.Current = x.Name
	}
	if err := cmdutil.SaveConfig(p, c); err != nil {
		return err
	}
	fmt.Fprintf(streams.Out, "context %s saved in %s\n", x.Name, p)
	return nil
}

func newCtxUseCmd(streams IOStreams, runF func(context.Context, *ctxOptions) error) *cobra.Command {
	opts := &ctxOptions{}
	return &cobra.Command{
		Use:   "use NAME",
		Short: "Make a context the current one",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runWith(cmd.Context(), opts, runF, func() error {
				c, p, err := cmdutil.LoadConfig()
				if err != nil {
					return err
				}
				if c.Find(opts.Name) < 0 {
					return fmt.Errorf("no context %q (see mq ctx list)", opts.Name)
				}
				c.Current = opts.Name
				if err := cmdutil.SaveConfig(p, c); err != nil {
					return err
				}
				fmt.Fprintf(streams.Out, "current context: %s\n", opts.Name)
				return nil
			})
		},
		ValidArgsFunction: cmdutil.CompleteContexts,
	}
}

func newCtxListCmd(streams IOStreams, runF func(context.Context, *ctxOptions) error) *cobra.Command {
	opts := &ctxOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List contexts; * marks the current one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWith(cmd.Context(), opts, runF, func() error { return runCtxList(opts, streams) })
		},
	}
	cmdutil.RegisterOutput(cmd, &opts.output, cmdutil.Noun)
	return cmd
}

func runCtxList(opts *ctxOptions, streams IOStreams) error {
	c, _, err := cmdutil.LoadConfig()
	if err != nil {
		return err
	}
	type row struct {
		cmdutil.ClusterContext
		Current bool `json:"current"`
	}
	rows := []row{}
	for _, x := range c.Contexts {
		rows = append(rows, row{x, x.Name == c.Current})
	}
	return render(streams, opts.output, rows, func() table {
		t := table{header: []string{"CURRENT", "NAME", "NAMESERVERS", "READ-ONLY", "ACCESS-KEY"}}
		for _, r := range rows {
			cur := ""
			if r.Current {
				cur = "*"
			}
			t.add(cur, r.Name, r.NameServers, strconv.FormatBool(r.ReadOnly), r.AccessKey)
		}
		return t
	})
}

func newCtxRemoveCmd(streams IOStreams, runF func(context.Context, *ctxOptions) error) *cobra.Command {
	opts := &ctxOptions{}
	return &cobra.Command{
		Use:     "remove NAME",
		Aliases: []string{"rm"},
		Short:   "Remove a context",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runWith(cmd.Context(), opts, runF, func() error {
				c, p, err := cmdutil.LoadConfig()
				if err != nil {
					return err
				}
				i := c.Find(opts.Name)
				if i < 0 {
					return fmt.Errorf("no context %q", opts.Name)
				}
				c.Contexts = append(c.Contexts[:i], c.Contexts[i+1:]...)
				if c.Current == opts.Name {
					c.Current = ""
				}
				return cmdutil.SaveConfig(p, c)
			})
		},
		ValidArgsFunction: cmdutil.CompleteContexts,
	}
}
