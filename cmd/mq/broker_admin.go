package main

import (
	"context"
	"errors"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// Broker administration: `mq broker list|status|config|perm`. The `mq broker` command itself runs
// a broker (broker.go); addBrokerAdminCmds hangs these under it.

// addBrokerAdminCmds adds list, status and config to the `mq broker` command.
func addBrokerAdminCmds(parent *cobra.Command, streams IOStreams) {
	parent.AddCommand(
		newBrokerListCmd(streams, nil),
		newBrokerStatusCmd(streams, nil),
		newBrokerConfigCmd(streams, nil),
		newBrokerHACmd(streams, nil),
		newBrokerPermCmd(streams, nil),
	)
}

type brokerListOptions struct {
	adminFlags
	cluster string
}

func newBrokerListCmd(streams IOStreams, runF func(context.Context, *brokerListOptions) error) *cobra.Command {
	opts := &brokerListOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the brokers the nameservers know",
		Example: `  mq broker list -c DefaultCluster`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runBrokerList(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmd.Flags().StringVarP(&opts.cluster, "cluster", "c", "", "only this cluster")
	return cmd
}

func runBrokerList(ctx context.Context, opts *brokerListOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	ci, err := a.ClusterInfo(ctx)
	if err != nil {
		return err
	}
	bs, err := admin.Brokers(ci, opts.cluster)
	if err != nil {
		return err
	}
	if bs == nil {
		bs = []admin.Broker{}
	}
	return render(streams, opts.Output, bs, func() table {
		t := table{header: []string{"CLUSTER", "BROKER", "ID", "ADDR", "ROLE"}}
		for _, b := range bs {
			role := "SLAVE"
			if b.IsMaster() {
				role = "MASTER"
			}
			t.add(b.Cluster, b.Name, strconv.FormatInt(b.ID, 10), b.Addr, role)
		}
		return t
	})
}

// brokerTargetOptions pick brokers by address (-b) or by cluster (-c, its masters).
type brokerTargetOptions struct {
	adminFlags
	brokerAddr string
	cluster    string
}

func (o *brokerTargetOptions) addFlags(cmd *cobra.Command, addrName, clusterName string) {
	cmd.Flags().StringVarP(&o.brokerAddr, addrName, "b", "", "broker address host:port")
	cmd.Flags().StringVarP(&o.cluster, clusterName, "c", "", "every master of this cluster")
}

// openBrokers opens the admin client and resolves -b / -c to brokers (every master of the
// cluster); the caller closes the client. With -b no nameserver is needed.
func (o *brokerTargetOptions) openBrokers(ctx context.Context) (*admin.Admin, []admin.Broker, error) {
	return o.openWith(ctx, (*admin.Admin).ResolveBrokers)
}

// openReaders is openBrokers for read views: a brokerName whose master is gone is asked on
// its lowest slave (admin.ResolveReaders); the command notes it with noteFromSlave.
func (o *brokerTargetOptions) openReaders(ctx context.Context) (*admin.Admin, []admin.Broker, error) {
	return o.openWith(ctx, (*admin.Admin).ResolveReaders)
}

func (o *brokerTargetOptions) openWith(ctx context.Context,
	resolve func(*admin.Admin, context.Context, string, string) ([]admin.Broker, error)) (*admin.Admin, []admin.Broker, error) {
	open := o.Open
	if o.brokerAddr != "" {
		open = o.OpenDirect
	}
	a, err := open()
	if err != nil {
		return nil, nil, err
	}
	bs, err := resolve(a, ctx, o.cluster, o.brokerAddr)
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, bs, nil
}

func (o *brokerTargetOptions) checkOne() error {
	if (o.brokerAddr == "") == (o.cluster == "") {
		return &usageError{Err: errors.New("pass either -b broker address or -c cluster")}
	}
	return nil
}

// brokerMap is one broker's key/value answer (runtime info or config).
type brokerMap struct {
	BrokerName string            `json:"brokerName,omitempty"`
	Addr       string            `json:"addr"`
	Values     map[string]string `json:"values,omitempty"`
	Error      string            `json:"error,omitempty"`
}

// brokerMapCommand is a command that asks brokers (-b one, -c every master of a cluster)
// for a key/value map and prints it: mq broker status|config and their mqadmin names.
type brokerMapCommand struct {
	use, short, example string
	style               cmdutil.Style
	// addrFlag and clusterFlag are the long names of -b and -c.
	addrFlag, clusterFlag string
	get                   func(*admin.Admin, context.Context, string) (map[string]string, error)
}

// brokerStatus and brokerConfig are the two maps; mqadmin spells their flags its own way.
var (
	brokerStatus = brokerMapCommand{use: "status", short: "Show a broker's runtime info (GET_BROKER_RUNTIME_INFO)",
		example: "  mq broker status -b 127.0.0.1:10911\n  mq broker status -c DefaultCluster -o json",
		style:   cmdutil.Noun, addrFlag: "broker", clusterFlag: "cluster", get: (*admin.Admin).BrokerRuntimeInfo}
	brokerConfig = brokerMapCommand{use: "config", short: "Show a broker's configuration (GET_BROKER_CONFIG)",
		example: "  mq broker config -b 127.0.0.1:10911\n  mq broker config -c DefaultCluster -o yaml",
		style:   cmdutil.Noun, addrFlag: "broker", clusterFlag: "cluster", get: (*admin.Admin).BrokerConfig}
)

// mqadmin returns c under mqadmin's command name and flag spelling.
func (c brokerMapCommand) mqadmin(use, short string) brokerMapCommand {
	c.use, c.short, c.example = use, short, ""
	c.style, c.addrFlag, c.clusterFlag = cmdutil.Mqadmin, "brokerAddr", "clusterName"
	return c
}

func (c brokerMapCommand) build(streams IOStreams, runF func(context.Context, *brokerTargetOptions) error) *cobra.Command {
	opts := &brokerTargetOptions{}
	cmd := &cobra.Command{
		Use:     c.use,
		Short:   c.short,
		Example: c.example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.checkOne(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runBrokerMaps(cmd.Context(), opts, streams, c.get)
		},
	}
	opts.adminFlags.Register(cmd, c.style)
	opts.addFlags(cmd, c.addrFlag, c.clusterFlag)
	return cmd
}

func newBrokerStatusCmd(streams IOStreams, runF func(context.Context, *brokerTargetOptions) error) *cobra.Command {
	return brokerStatus.build(streams, runF)
}

func newBrokerConfigCmd(streams IOStreams, runF func(context.Context, *brokerTargetOptions) error) *cobra.Command {
	cmd := brokerConfig.build(streams, runF)
	cmd.AddCommand(newBrokerConfigSetCmd(streams, nil))
	return cmd
}

// runBrokerMaps asks the chosen brokers for a key/value map and prints KEY VALUE rows (with
// the broker in front when there are several).
func runBrokerMaps(ctx context.Context, opts *brokerTargetOptions, streams IOStreams,
	get func(*admin.Admin, context.Context, string) (map[string]string, error)) error {
	a, bs, err := opts.openReaders(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	res := admin.ForEachBroker(ctx, a, bs, func(ctx context.Context, addr string) (map[string]string, error) {
		return get(a, ctx, addr)
	})
	noteFromSlave(streams.ErrOut, res)
	out := make([]brokerMap, len(res.Items))
	for i, it := range res.Items {
		out[i] = brokerMap{BrokerName: it.Name, Addr: it.Addr, Values: it.Value, Error: errText(it.Err)}
	}
	err = render(streams, opts.Output, out, func() table {
		many := len(out) > 1
		t := table{header: []string{"KEY", "VALUE"}}
		if many {
			t.header = []string{"BROKER", "ADDR", "KEY", "VALUE"}
		}
		for _, m := range out {
			keys := make([]string, 0, len(m.Values))
			for k := range m.Values {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if m.Error != "" && many {
				t.addFailed(m.BrokerName, m.Addr)
			}
			for _, k := range keys {
				if many {
					t.add(m.BrokerName, m.Addr, k, m.Values[k])
				} else {
					t.add(k, m.Values[k])
				}
			}
		}
		return t
	})
	if err != nil {
		return err
	}
	return answerErr(res.Err())
}
