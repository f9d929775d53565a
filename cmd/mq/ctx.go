package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// --- mq ctx

func newCtxCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ctx",
		Short: "Named clusters (nameservers, credentials, read-only) in the user's config",
		Long: `Contexts name clusters: nameserver list, ACL credentials and a read-only flag, kept in
<user config dir>/mq/config.yaml ($MQ_CONFIG overrides the path). Admin commands use the
current context (mq ctx use), or --context / $MQ_CONTEXT; -n and $NAMESRV_ADDR win over it.
In a read-only context destructive commands refuse to run.`,
		Args: cobra.NoArgs,
	}
	var ro bool
	var ak, sk string
	add := &cobra.Command{
		Use:     "add NAME NAMESRV",
		Short:   "Add or replace a context",
		Example: `  mq ctx add prod "10.0.0.1:9876;10.0.0.2:9876" --read-only`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, p, err := cmdutil.LoadConfig()
			if err != nil {
				return err
			}
			x := cmdutil.ClusterContext{Name: args[0], NameServers: args[1], AccessKey: ak, SecretKey: sk, ReadOnly: ro}
			if i := c.Find(args[0]); i >= 0 {
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
		},
	}
	add.Flags().BoolVar(&ro, "read-only", false, "refuse destructive commands in this context")
	add.Flags().StringVar(&ak, "access-key", "", "ACL access key")
	add.Flags().StringVar(&sk, "secret-key", "", "ACL secret key")
	use := &cobra.Command{
		Use:   "use NAME",
		Short: "Make a context the current one",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, p, err := cmdutil.LoadConfig()
			if err != nil {
				return err
			}
			if c.Find(args[0]) < 0 {
				return fmt.Errorf("no context %q (see mq ctx list)", args[0])
			}
			c.Current = args[0]
			if err := cmdutil.SaveConfig(p, c); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "current context: %s\n", args[0])
			return nil
		},
		ValidArgsFunction: cmdutil.CompleteContexts,
	}
	var output string
	list := &cobra.Command{
		Use:   "list",
		Short: "List contexts; * marks the current one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			return render(streams, output, rows, func() table {
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
		},
	}
	cmdutil.RegisterOutput(list, &output, cmdutil.Noun)
	remove := &cobra.Command{
		Use:     "remove NAME",
		Aliases: []string{"rm"},
		Short:   "Remove a context",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, p, err := cmdutil.LoadConfig()
			if err != nil {
				return err
			}
			i := c.Find(args[0])
			if i < 0 {
				return fmt.Errorf("no context %q", args[0])
			}
			c.Contexts = append(c.Contexts[:i], c.Contexts[i+1:]...)
			if c.Current == args[0] {
				c.Current = ""
			}
			return cmdutil.SaveConfig(p, c)
		},
		ValidArgsFunction: cmdutil.CompleteContexts,
	}
	cmd.AddCommand(add, use, list, remove)
	return cmd
}
