package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/protocol"
)

// `mq broker ha`: replication state (GET_BROKER_HA_STATUS) of one broker or every broker of
// a cluster, masters and slaves.

type brokerHAOptions struct{ brokerTargetOptions }

func newBrokerHACmd(streams IOStreams, runF func(context.Context, *brokerHAOptions) error) *cobra.Command {
	opts := &brokerHAOptions{}
	cmd := &cobra.Command{
		Use:   "ha",
		Short: "Show replication: each master's slaves (acked offset, bytes behind, in sync) and each slave's master",
		Example: `  mq broker ha -c DefaultCluster
  mq broker ha -b 127.0.0.1:10911 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.brokerAddr != "" && opts.cluster != "" {
				return &usageError{Err: fmt.Errorf("pass -b or -c, not both")}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runBrokerHA(cmd.Context(), opts, streams)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	opts.addFlags(cmd, "broker", "cluster")
	cmd.Flags().Lookup("cluster").Usage = "every broker (masters and slaves) of this cluster; default: all clusters"
	return cmd
}

// brokerHA is one broker's answer.
type brokerHA struct {
	Cluster    string                  `json:"cluster,omitempty"`
	BrokerName string                  `json:"brokerName,omitempty"`
	BrokerID   int64                   `json:"brokerId"`
	Addr       string                  `json:"addr"`
	Status     *protocol.HARuntimeInfo `json:"status,omitempty"`
	Error      string                  `json:"error,omitempty"`
}

func runBrokerHA(ctx context.Context, opts *brokerHAOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	var bs []admin.Broker
	if opts.brokerAddr != "" {
		bs, err = a.ResolveBrokers(ctx, "", opts.brokerAddr)
	} else {
		var ci protocol.ClusterInfo
		if ci, err = a.ClusterInfo(ctx); err == nil {
			bs, err = admin.Brokers(ci, opts.cluster)
		}
	}
	if err != nil {
		return err
	}
	res := a.HAStatuses(ctx, bs)
	out := make([]brokerHA, len(res.Items))
	for i, it := range res.Items {
		out[i] = brokerHA{Cluster: it.Cluster, BrokerName: it.Name, BrokerID: it.ID, Addr: it.Addr, Error: errText(it.Err)}
		if it.Err == nil {
			out[i].Status = &it.Value
		}
	}
	err = render(streams, opts.Output, out, func() table { return haTable(out, time.Now()) })
	if err != nil {
		return err
	}
	return answerErr(res.Err())
}

// haTable has one row per master-slave connection seen from the master, and one per slave
// seen from the slave.
func haTable(out []brokerHA, now time.Time) table {
	t := table{header: []string{"BROKER", "ID", "ADDR", "ROLE", "PEER", "STATE", "ACKED/END", "BEHIND", "LAST-CONTACT"},
		wide: []string{"BYTES/S"}}
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	ago := func(ms int64) string {
		if ms <= 0 {
			return ""
		}
		return now.Sub(time.UnixMilli(ms)).Round(time.Millisecond).String() + " ago"
	}
	for _, b := range out {
		cells := []string{b.BrokerName, i64(b.BrokerID), b.Addr}
		if b.Status == nil {
			t.addFailed(cells...)
			continue
		}
		s := b.Status
		if s.Master {
			if len(s.HAConnectionInfo) == 0 {
				t.add(append(cells, "MASTER", "", "no slave", i64(s.MasterCommitLogMaxOffset), "", "", "")...)
			}
			for _, c := range s.HAConnectionInfo {
				state := "in sync"
				if !c.InSync {
					state = "NOT in sync"
				}
				t.add(append(cells, "MASTER", c.Addr, state, i64(c.SlaveAckOffset)+"/"+i64(s.MasterCommitLogMaxOffset),
					i64(c.Diff), ago(c.LastAckTimestamp), i64(c.TransferredByteInSecond))...)
			}
			continue
		}
		c := s.HAClientRuntimeInfo
		state := "connected"
		if !c.Connected {
			state = "DISCONNECTED"
		}
		t.add(append(cells, "SLAVE", c.MasterAddr, state, i64(c.MaxOffset)+"/"+i64(c.MasterMaxOffset),
			i64(c.Diff), ago(c.LastReadTimestamp), i64(c.TransferredByteInSecond))...)
	}
	return t
}

// noteFromSlave tells the user which brokerNames a slave answered for (their master is
// gone or did not answer), so rows from a slave's copy are not taken for the master's.
func noteFromSlave[T any](w io.Writer, r admin.Results[T]) {
	for _, it := range r.Items {
		if it.Err == nil && it.FromSlave() {
			fmt.Fprintf(w, "mq: note: %s answered by its slave %s (brokerId %d): no master, or it did not answer\n", it.Name, it.Addr, it.ID)
		}
	}
}

// brokerRoleLag reads a broker's role and replication lag from its runtime info: mq's
// brokerRole key (ASYNC_MASTER, SYNC_MASTER, SLAVE), else MASTER/SLAVE by id; the lag is
// slaveFallBehindMuch (a master: its most advanced slave's bytes behind; a slave: its
// bytes behind the master), nil when the broker does not report it.
func brokerRoleLag(b admin.Broker, rt map[string]string) (string, *int64) {
	role := rt["brokerRole"]
	if role == "" {
		role = "SLAVE"
		if b.IsMaster() {
			role = "MASTER"
		}
	}
	v, ok := rt["slaveFallBehindMuch"]
	if !ok {
		return role, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return role, nil
	}
	return role, &n
}

func lagText(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}
