package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// `mq txn half`.

func newTxnCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{Use: "txn", Short: "Transactional (half) messages", Args: cobra.NoArgs}
	cmd.AddCommand(newTxnHalfCmd(streams, nil))
	return cmd
}

// txnHalfOptions are the flags of `mq txn half`.
type txnHalfOptions struct {
	brokerTargetOptions
	limit int32
}

func newTxnHalfCmd(streams IOStreams, runF func(context.Context, *txnHalfOptions) error) *cobra.Command {
	opts := &txnHalfOptions{}
	half := &cobra.Command{
		Use:   "half",
		Short: "Show pending half messages per broker: counts, oldest age, check times",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWith(cmd.Context(), opts, runF, func() error { return runTxnHalf(cmd.Context(), opts, streams) })
		},
	}
	opts.adminFlags.Register(half, cmdutil.Noun)
	opts.addFlags(half, "broker", "cluster")
	half.Flags().Int32Var(&opts.limit, "limit", 20, "list up to this many pending half messages (mq brokers)")
	return half
}

func runTxnHalf(ctx context.Context, opts *txnHalfOptions, streams IOStreams) error {
	a, bs, err := opts.openReaders(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	res := admin.ForEachBroker(ctx, a, bs, func(ctx context.Context, addr string) (admin.TxnStatus, error) {
		return a.TransactionStatus(ctx, addr, opts.limit)
	})
	noteFromSlave(streams.ErrOut, res)
	type row struct {
		BrokerName string `json:"brokerName"`
		Addr       string `json:"addr"`
		admin.TxnStatus
		Error string `json:"error,omitempty"`
	}
	rows := []row{}
	for _, it := range res.Items {
		rows = append(rows, row{BrokerName: it.Name, Addr: it.Addr, TxnStatus: it.Value, Error: errText(it.Err)})
	}
	if err := render(streams, opts.Output, rows, func() table {
		t := table{header: []string{"BROKER", "QUEUE", "HALF-OFFSET", "MAX", "PENDING", "OLDEST-AGE", "CHECKS-SENT"},
			wide: []string{"OP-OFFSET", "OP-MAX", "SOURCE"}}
		for _, r := range rows {
			if r.Error != "" {
				t.addFailed(r.BrokerName)
				continue
			}
			for _, q := range r.Queues {
				pending := strconv.FormatInt(q.Pending, 10)
				if q.Pending < 0 {
					pending = "unknown"
				}
				t.add(r.BrokerName, strconv.Itoa(int(q.QueueID)), strconv.FormatInt(q.HalfOffset, 10), strconv.FormatInt(q.MaxOffset, 10),
					pending, admin.FormatAge(q.OldestAgeMillis), strconv.FormatInt(q.ChecksSent, 10),
					strconv.FormatInt(q.OpOffset, 10), strconv.FormatInt(q.OpMaxOffset, 10), r.Source)
			}
		}
		return t
	}); err != nil {
		return err
	}
	for _, r := range rows {
		for _, m := range r.Messages {
			if opts.Output == formatTable || opts.Output == formatWide {
				fmt.Fprintf(streams.Out, "pending %s topic=%s group=%s checks=%d stored=%s\n", m.MsgID, m.Topic, m.ProducerGroup,
					m.CheckTimes, admin.FormatTimeMs(m.StoreTimestamp))
			}
		}
	}
	return answerErr(res.Err())
}
