package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// `mq send`: send messages with the lean remoting client (SEND_MESSAGE, the header the Go
// client sends), one at a time, waiting for each answer.

type sendOptions struct {
	adminFlags
	topic       string
	file        string
	keys        []string
	tag         string
	props       []string
	delayLevel  int
	deliverAt   string
	count       int
	rate        float64
	shardingKey string
	group       string
	trace       bool
	traceTopic  string
	transaction string
}

func newSendCmd(streams IOStreams, runF func(context.Context, *sendOptions) error) *cobra.Command {
	opts := &sendOptions{}
	cmd := &cobra.Command{
		Use:   "send -t TOPIC [BODY]",
		Short: "Send messages: body as argument, --file or stdin",
		Long: `Send a message (or --count copies, each with its own unique key) to a topic. The body is the
argument, the contents of --file, or stdin. Queues are taken in turn from a random one (so
repeated single sends spread over the queues), or chosen by the hash of --sharding-key so that
messages with the same key keep their order.

--trace writes a trace record per message to the trace topic the way the official clients do,
so 'mq message trace' shows CLI-sent messages. --transaction sends half messages and then
commits or rolls them back; 'unknown' leaves them half (for demos and 'mq txn half'; the broker
will ask the producer group, which is gone, and in the end roll them back).`,
		Example: `  mq send -t Orders 'hello'
  mq send -t Orders --file order.json --key order-42 --tag created --prop region=eu
  echo hi | mq send -t Orders --delay-level 3
  mq send -t Orders --count 1000 --rate 500 --key batch-7 -o json
  mq send -t Orders --trace 'traced'
  mq send -t Orders --transaction unknown -g demo-tx 'stays half'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var body []byte
			switch {
			case len(args) == 1 && opts.file != "":
				return &usageError{Err: errors.New("pass the body as an argument or --file, not both")}
			case len(args) == 1:
				body = []byte(args[0])
			case opts.file != "":
				b, err := os.ReadFile(opts.file)
				if err != nil {
					return err
				}
				body = b
			default:
				b, err := io.ReadAll(streams.In)
				if err != nil {
					return err
				}
				body = b
			}
			if opts.count < 1 {
				return &usageError{Err: fmt.Errorf("--count %d: want at least 1", opts.count)}
			}
			switch opts.transaction {
			case "", txnCommit, txnRollback, txnUnknown:
			default:
				return &usageError{Err: fmt.Errorf("--transaction %q: want commit, rollback or unknown", opts.transaction)}
			}
			return runWith(cmd.Context(), opts, runF, func() error { return runSend(cmd.Context(), opts, body, streams) })
		},
	}
	opts.adminFlags.Register(cmd, cmdutil.Noun)
	cmdutil.Writes(cmd, "send to topic {topic}")
	f := cmd.Flags()
	f.StringVarP(&opts.topic, "topic", "t", "", "topic (required)")
	f.StringVarP(&opts.file, "file", "f", "", "read the body from this file")
	f.StringArrayVarP(&opts.keys, "key", "k", nil, "message key (repeatable)")
	f.StringVar(&opts.tag, "tag", "", "message tag")
	f.StringArrayVar(&opts.props, "prop", nil, "user property key=value (repeatable)")
	f.IntVar(&opts.delayLevel, "delay-level", 0, "delay level 1..18 (1s 5s 10s 30s 1m ... 2h)")
	f.StringVar(&opts.deliverAt, "deliver-at", "", "deliver at this time (timer message; RFC 3339, Unix ms or a duration from now like 10s)")
	f.IntVar(&opts.count, "count", 1, "send this many messages")
	f.Float64Var(&opts.rate, "rate", 0, "at most this many messages per second (0: as fast as answers come)")
	f.StringVar(&opts.shardingKey, "sharding-key", "", "pick the queue by the hash of this key (ordered messages)")
	f.StringVarP(&opts.group, "group", "g", "TOOLS_PRODUCER", "producer group")
	f.BoolVar(&opts.trace, "trace", false, "write a trace record per message (as the official clients do)")
	f.StringVar(&opts.traceTopic, "trace-topic", admin.DefaultTraceTopic, "with --trace, the trace topic")
	f.StringVar(&opts.transaction, "transaction", "", "send half messages, then: commit, rollback or unknown (leave them half)")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

// sendView is `mq send` as JSON.
type sendView struct {
	Topic   string             `json:"topic"`
	Sent    int                `json:"sent"`
	Failed  int                `json:"failed"`
	Seconds float64            `json:"seconds"`
	Results []admin.SendResult `json:"results"`
	Errors  []string           `json:"errors,omitempty"`
}

func runSend(ctx context.Context, opts *sendOptions, body []byte, streams IOStreams) error {
	props, err := parseProps("prop", opts.props)
	if err != nil {
		return err
	}
	if len(opts.keys) > 0 {
		props[message.PropertyKeys] = joinKeys(opts.keys)
	}
	if opts.tag != "" {
		props[message.PropertyTags] = opts.tag
	}
	if opts.delayLevel != 0 {
		props[message.PropertyDelayTimeLevel] = strconv.Itoa(opts.delayLevel)
	}
	if opts.deliverAt != "" {
		at, err := parseDeliverAt(opts.deliverAt, time.Now())
		if err != nil {
			return err
		}
		props[message.PropertyTimerDeliverMs] = strconv.FormatInt(at, 10)
	}
	if opts.shardingKey != "" {
		props[message.PropertyShardingKey] = opts.shardingKey
	}
	props[message.PropertyWaitStoreMsgOK] = "true"
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	rd, err := a.TopicRoute(ctx, opts.topic)
	if admin.IsCode(err, protocol.TopicNotExist) {
		// As the official clients do: send through TBW102's brokers, which create the topic
		// (defaultTopicQueueNums 4) on the first message when autoCreateTopicEnable is on.
		if rd, err = a.TopicRoute(ctx, "TBW102"); err == nil {
			for i := range rd.QueueDatas {
				rd.QueueDatas[i].WriteQueueNums = min(rd.QueueDatas[i].WriteQueueNums, 4)
			}
		} else if admin.IsCode(err, protocol.TopicNotExist) {
			return fmt.Errorf("topic %s does not exist and no broker creates topics automatically (no TBW102 route); create it with mq topic create", opts.topic)
		}
	}
	if err != nil {
		return err
	}
	qs := admin.TopicQueues(rd, true)
	if len(qs) == 0 {
		return fmt.Errorf("topic %s has no writable queue on a master", opts.topic)
	}
	gen := message.NewUniqIDGenerator(netip.AddrFrom4([4]byte{127, 0, 0, 1}), os.Getpid(), 0, nil)
	v := sendView{Topic: opts.topic, Results: []admin.SendResult{}}
	first := rand.IntN(len(qs)) // round robin from a random queue, as the clients do
	tr := newSendTracer(opts)
	start := time.Now()
	var interval time.Duration
	if opts.rate > 0 {
		interval = time.Duration(float64(time.Second) / opts.rate)
	}
	var errs []error
	for i := range opts.count {
		if interval > 0 {
			if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
				}
			}
		}
		if ctx.Err() != nil {
			break
		}
		q := qs[(first+i)%len(qs)]
		if opts.shardingKey != "" {
			h := int64(message.JavaHashString(opts.shardingKey))
			q = qs[int(max(h, -h)%int64(len(qs)))]
		}
		m := message.Message{Topic: opts.topic, Properties: clone(props), Body: body}
		m.Properties[message.PropertyUniqClientMessageIDKeyIndex] = gen.Next(time.Now())
		r, err := sendOne(ctx, a, opts, q, m, tr)
		if err != nil {
			v.Failed++
			v.Errors = append(v.Errors, err.Error())
			errs = append(errs, err)
			continue
		}
		v.Sent++
		v.Results = append(v.Results, r)
	}
	v.Seconds = time.Since(start).Seconds()
	terr := tr.flush(ctx, a)
	err = render(streams, opts.Output, v, func() table {
		t := table{header: []string{"MSG-ID", "BROKER", "QUEUE", "QUEUE-OFFSET"}, wide: []string{"OFFSET-MSG-ID"}}
		if len(v.Results) > 20 {
			t = table{header: []string{"TOPIC", "SENT", "FAILED", "SECONDS", "MSGS/S"}}
			t.add(v.Topic, strconv.Itoa(v.Sent), strconv.Itoa(v.Failed), strconv.FormatFloat(v.Seconds, 'f', 2, 64),
				strconv.FormatFloat(float64(v.Sent)/max(v.Seconds, 1e-9), 'f', 0, 64))
			return t
		}
		for _, r := range v.Results {
			t.add(r.MsgID, r.BrokerName, strconv.Itoa(int(r.QueueID)), strconv.FormatInt(r.QueueOffset, 10), r.OffsetMsgID)
		}
		return t
	})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		if v.Sent > 0 {
			return &partialError{Err: fmt.Errorf("%d of %d sends failed: %w", v.Failed, opts.count, errs[0])}
		}
		return errs[0]
	}
	if terr != nil {
		// The messages are sent; only their trace is missing.
		return &partialError{Err: terr}
	}
	return nil
}

// parseDeliverAt reads --deliver-at: a time, or a duration from now.
func parseDeliverAt(s string, now time.Time) (int64, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(d).UnixMilli(), nil
	}
	return parseWhen("deliver-at", s, now)
}

func joinKeys(keys []string) string {
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += message.KeySeparator
		}
		out += k
	}
	return out
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
