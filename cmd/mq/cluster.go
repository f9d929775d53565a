package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// The cluster group: `mq cluster list`.

type clusterListOptions struct {
	adminFlags
	cluster  string
	interval time.Duration // mqadmin clusterList -i: repeat until interrupted
}

func newClusterCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Clusters and their brokers",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newClusterListCmd(streams, nil))
	return cmd
}

func newClusterListCmd(streams IOStreams, runF func(context.Context, *clusterListOptions) error) *cobra.Command {
	opts := &clusterListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every broker of every cluster with its version and traffic",
		Long: `List the brokers the nameservers know, by cluster, broker name and id, and ask each one for
its runtime info (version, TPS, messages today). A broker that does not answer is reported on
stderr and the command exits 3.`,
		Example: `  mq cluster list -n 127.0.0.1:9876
  mq cluster list -c DefaultCluster -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runClusterList(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmd.Flags().StringVarP(&opts.cluster, "cluster", "c", "", "only this cluster")
	return cmd
}

// brokerRow is one broker in `mq cluster list` (field names are stable).
type brokerRow struct {
	Cluster    string  `json:"cluster"`
	BrokerName string  `json:"brokerName"`
	BrokerID   int64   `json:"brokerId"`
	Addr       string  `json:"addr"`
	Role       string  `json:"role,omitempty"`
	SlaveLag   *int64  `json:"slaveLagBytes,omitempty"`
	Version    string  `json:"version,omitempty"`
	PutTps     float64 `json:"putTps"`
	GetTps     float64 `json:"getTps"`
	PutToday   int64   `json:"msgPutTotalToday"`
	GetToday   int64   `json:"msgGetTotalToday"`
	DiskRatio  string  `json:"commitLogDiskRatio,omitempty"`
	BootTime   string  `json:"bootTime,omitempty"`
	Answered   bool    `json:"answered"`
	Error      string  `json:"error,omitempty"`
}

func runClusterList(ctx context.Context, opts *clusterListOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	for {
		err := clusterListOnce(ctx, a, opts, streams)
		if opts.interval <= 0 || (err != nil && !admin.IsPartial(err)) {
			return answerErr(err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(opts.interval):
		}
	}
}

func clusterListOnce(ctx context.Context, a *admin.Admin, opts *clusterListOptions, streams IOStreams) error {
	ci, err := a.ClusterInfo(ctx)
	if err != nil {
		return err
	}
	bs, err := admin.Brokers(ci, opts.cluster)
	if err != nil {
		return err
	}
	res := a.RuntimeInfos(ctx, bs)
	rows := make([]brokerRow, len(bs))
	for i, b := range bs {
		r := brokerRow{Cluster: b.Cluster, BrokerName: b.Name, BrokerID: b.ID, Addr: b.Addr}
		it := res.Items[i]
		if it.Err != nil {
			r.Error = it.Err.Error()
		} else {
			r.Answered = true
			rt := it.Value
			r.Version = rt["brokerVersionDesc"]
			r.PutTps = firstFloat(rt["putTps"])
			r.GetTps = firstFloat(rt["getTransferredTps"])
			r.PutToday = atoi64(rt["msgPutTotalTodayNow"])
			r.GetToday = atoi64(rt["msgGetTotalTodayNow"])
			r.DiskRatio = rt["commitLogDiskRatio"]
			r.Role, r.SlaveLag = brokerRoleLag(b, rt)
			if boot := atoi64(rt["bootTimestamp"]); boot > 0 {
				r.BootTime = admin.FormatTime(boot)
			}
		}
		rows[i] = r
	}
	err = render(streams, opts.Output, rows, func() table {
		t := table{header: []string{"CLUSTER", "BROKER", "ID", "ADDR", "ROLE", "SLAVE-LAG", "VERSION", "PUT-TPS", "GET-TPS", "PUT-TODAY", "GET-TODAY"},
			wide: []string{"DISK-RATIO", "BOOT-TIME"}}
		for _, r := range rows {
			cells := []string{r.Cluster, r.BrokerName, strconv.FormatInt(r.BrokerID, 10), r.Addr}
			if !r.Answered {
				t.addFailed(cells...)
				continue
			}
			t.add(append(cells, r.Role, lagText(r.SlaveLag), r.Version, fmtFloat(r.PutTps), fmtFloat(r.GetTps),
				strconv.FormatInt(r.PutToday, 10), strconv.FormatInt(r.GetToday, 10), r.DiskRatio, r.BootTime)...)
		}
		return t
	})
	if err != nil {
		return err
	}
	return res.Err()
}

// firstFloat reads the first number of a runtime-info TPS value ("1.5 2.0 3.0").
func firstFloat(s string) float64 {
	f, _ := strconv.ParseFloat(strings.Fields(s + " 0")[0], 64)
	return f
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }
