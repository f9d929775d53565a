package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// The kv group: the nameservers' KV config, `mq kv get|put|delete|list --namespace NS`.

type kvOptions struct {
	adminFlags
	namespace string
	key       string
	value     string
}

func newKVCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kv",
		Short: "Read and change the nameservers' KV config (e.g. ORDER_TOPIC_CONFIG)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		newKVGetCmd(streams, nil),
		newKVPutCmd(streams, nil),
		newKVDeleteCmd(streams, nil),
		newKVListCmd(streams, nil),
	)
	return cmd
}

func kvCmd(use, short, example string, args cobra.PositionalArgs, streams IOStreams, runF, run func(context.Context, *kvOptions) error,
	bind func(*kvOptions, []string)) *cobra.Command {
	opts := &kvOptions{}
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    args,
		RunE: func(cmd *cobra.Command, a []string) error {
			bind(opts, a)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	switch {
	case strings.HasPrefix(use, "delete"):
		cmdutil.Confirms(cmd, "delete KV {namespace}/{0}")
	case strings.HasPrefix(use, "put"):
		cmdutil.Writes(cmd, "put KV {namespace}/{0}")
	}
	cmd.Flags().StringVarP(&opts.namespace, "namespace", "s", "", "KV namespace (required)")
	_ = cmd.MarkFlagRequired("namespace")
	return cmd
}

func newKVGetCmd(streams IOStreams, runF func(context.Context, *kvOptions) error) *cobra.Command {
	return kvCmd("get KEY", "Print the value of a key", "  mq kv get --namespace ORDER_TOPIC_CONFIG Orders", cobra.ExactArgs(1),
		streams, runF, func(ctx context.Context, o *kvOptions) error { return runKVGet(ctx, o, streams) },
		func(o *kvOptions, a []string) { o.key = a[0] })
}

func newKVPutCmd(streams IOStreams, runF func(context.Context, *kvOptions) error) *cobra.Command {
	return kvCmd("put KEY VALUE", "Set a key on every nameserver", "  mq kv put --namespace ORDER_TOPIC_CONFIG Orders 'broker-a:4;broker-b:4'",
		cobra.ExactArgs(2), streams, runF, func(ctx context.Context, o *kvOptions) error { return runKVChange(ctx, o, streams, true) },
		func(o *kvOptions, a []string) { o.key, o.value = a[0], a[1] })
}

func newKVDeleteCmd(streams IOStreams, runF func(context.Context, *kvOptions) error) *cobra.Command {
	return kvCmd("delete KEY", "Delete a key on every nameserver", "  mq kv delete --namespace ORDER_TOPIC_CONFIG Orders", cobra.ExactArgs(1),
		streams, runF, func(ctx context.Context, o *kvOptions) error { return runKVChange(ctx, o, streams, false) },
		func(o *kvOptions, a []string) { o.key = a[0] })
}

func newKVListCmd(streams IOStreams, runF func(context.Context, *kvOptions) error) *cobra.Command {
	return kvCmd("list", "List the keys of a namespace", "  mq kv list --namespace ORDER_TOPIC_CONFIG -o json", cobra.NoArgs,
		streams, runF, func(ctx context.Context, o *kvOptions) error { return runKVList(ctx, o, streams) },
		func(*kvOptions, []string) {})
}

// kvEntry is one KV item as JSON.
type kvEntry struct {
	Namespace string `json:"namespace"`
	Key       string `json:"key"`
	Value     string `json:"value"`
}

func runKVGet(ctx context.Context, opts *kvOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.KV(ctx, opts.namespace, opts.key)
	if err != nil {
		return err
	}
	if opts.Output == formatTable || opts.Output == formatWide {
		_, err := fmt.Fprintln(streams.Out, v)
		return err
	}
	return render(streams, opts.Output, kvEntry{Namespace: opts.namespace, Key: opts.key, Value: v}, nil)
}

func runKVChange(ctx context.Context, opts *kvOptions, streams IOStreams, put bool) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	var res admin.Results[struct{}]
	if put {
		res = a.PutKV(ctx, opts.namespace, opts.key, opts.value)
	} else {
		res = a.DeleteKV(ctx, opts.namespace, opts.key)
	}
	if err := renderOutcomes(streams, opts.Output, outcomes(res)); err != nil {
		return err
	}
	return answerErr(res.Err())
}

func runKVList(ctx context.Context, opts *kvOptions, streams IOStreams) error {
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	m, err := a.KVList(ctx, opts.namespace)
	if err != nil {
		return err
	}
	rows := make([]kvEntry, 0, len(m))
	for k, v := range m {
		rows = append(rows, kvEntry{Namespace: opts.namespace, Key: k, Value: v})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Key < rows[j].Key })
	return render(streams, opts.Output, rows, func() table {
		t := table{header: []string{"KEY", "VALUE"}}
		for _, r := range rows {
			t.add(r.Key, r.Value)
		}
		return t
	})
}
