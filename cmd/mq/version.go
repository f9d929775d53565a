package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

type versionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
	// RocketMQVersion is the MQVersion ordinal mq puts on the wire (V5_3_3).
	RocketMQVersion int `json:"rocketmqVersion"`
}

func currentVersion() versionInfo {
	v := versionInfo{Version: version, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, RocketMQVersion: 479}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.Commit = s.Value
			}
		}
		if v.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
	}
	return v
}

// versionOptions are the flags of `mq version`.
type versionOptions struct{ output string }

func newVersionCmd(streams IOStreams, runF func(context.Context, *versionOptions) error) *cobra.Command {
	opts := &versionOptions{}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print mq's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWith(cmd.Context(), opts, runF, func() error { return runVersion(opts, streams) })
		},
	}
	cmdutil.RegisterOutput(cmd, &opts.output, cmdutil.Noun)
	return cmd
}

func runVersion(opts *versionOptions, streams IOStreams) error {
	v := currentVersion()
	if opts.output == formatTable {
		fmt.Fprintf(streams.Out, "mq %s", v.Version)
		if v.Commit != "" {
			fmt.Fprintf(streams.Out, " (%s)", v.Commit)
		}
		fmt.Fprintf(streams.Out, " %s %s, speaks RocketMQ remoting as V5_3_3\n", v.GoVersion, v.Platform)
		return nil
	}
	return render(streams, opts.output, v, func() table {
		t := table{header: []string{"VERSION", "COMMIT", "GO", "PLATFORM", "ROCKETMQ-VERSION"}}
		t.add(v.Version, v.Commit, v.GoVersion, v.Platform, "V5_3_3 ("+strconv.Itoa(v.RocketMQVersion)+")")
		return t
	})
}
