// Command benchcompare is the side-by-side comparison behind scripts/bench-compare.sh
// (issue 15): mq standalone against NATS JetStream (file store) at the same shapes, a null
// RocketMQ broker that answers instantly (the load generator's own ceiling), and the
// official Go client against mq and against the null broker.
//
// It is a separate module so nats.go never enters mq's go.mod. Subcommands:
//
//	benchcompare run --mq BIN --nats-server BIN [--quick] [--runs N] [--json FILE]
//	benchcompare nats produce|consume ...   NATS load generator (one process per run)
//	benchcompare goclient ...               the official RocketMQ Go client as load
//	benchcompare null --listen ADDR         the null broker (nameserver + broker in one)
//
// Every load generator prints one JSON Result on stdout; run starts every process, samples
// the servers' /proc, and prints the table.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Result is what one load run measured (the JSON of `mq bench -o json` has the same names).
type Result struct {
	Mode       string  `json:"mode"`
	Messages   int64   `json:"messages"`
	Errors     int64   `json:"errors"`
	Seconds    float64 `json:"seconds"`
	MsgsPerSec float64 `json:"msgsPerSec"`
	P50Ms      float64 `json:"p50Ms"`
	P99Ms      float64 `json:"p99Ms"`
	FirstError string  `json:"firstError,omitempty"`
	// ClientCPUUs is the load generator process's utime + stime per message (set by runLoad).
	ClientCPUUs float64 `json:"-"`
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: benchcompare run|nats|goclient|null [flags] (see scripts/bench-compare.sh)`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	var res *Result
	args := os.Args[2:]
	switch os.Args[1] {
	case "run":
		err = runCmd(ctx, args)
	case "nats":
		res, err = natsCmd(ctx, args)
	case "goclient":
		res, err = goClientCmd(ctx, args)
	case "null":
		err = nullCmd(ctx, args)
	default:
		usage()
	}
	if errors.Is(err, errTargetsFailed) {
		stop()
		os.Exit(1)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		stop()
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
	if res != nil {
		if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
			fmt.Fprintln(os.Stderr, "benchcompare:", err)
			os.Exit(1)
		}
	}
}
