package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

func TestRollsBack(t *testing.T) {
	for _, tc := range []struct {
		ratio float64
		n     int64
		want  int64
	}{
		{0, 1000, 0},
		{0.25, 2000, 500},
		{0.1, 1000, 100},
		{1, 37, 37},
		{0.5, 7, 3},
	} {
		t.Run(fmt.Sprintf("ratio=%g,n=%d", tc.ratio, tc.n), func(t *testing.T) {
			var got int64
			for i := int64(1); i <= tc.n; i++ {
				if rollsBack(i, tc.ratio) {
					got++
				}
			}
			if got != tc.want {
				t.Fatalf("%d rollbacks, want %d", got, tc.want)
			}
		})
	}
}

// pulledRecord is one message pulled from the real topic.
type pulledRecord struct {
	uniq    string
	sysFlag int32
	tranMsg bool
}

// pullAll pulls every queue of topic from offset 0 until the broker has nothing new.
func pullAll(t *testing.T, ns, topic string) ([]pulledRecord, error) {
	t.Helper()
	ctx := context.Background()
	c := remoting.NewClient(remoting.ClientConfig{})
	defer c.Close()
	targets, err := topicQueues(ctx, c, []string{ns}, topic, false, false)
	if err != nil {
		return nil, err
	}
	var out []pulledRecord
	for _, q := range targets {
		for off := int64(0); ; {
			h := protocol.PullMessageRequestHeader{ConsumerGroup: "txn-check", Topic: topic, QueueID: q.queue,
				QueueOffset: off, MaxMsgNums: 32, SysFlag: pullFlagSubscription, Subscription: "*",
				ExpressionType: "TAG", BrokerName: q.broker}
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			resp, err := c.InvokeSync(cctx, q.addr, remoting.NewRequest(int16(protocol.PullMessage), protocol.EncodeHeader(&h), nil))
			cancel()
			if err != nil {
				return nil, err
			}
			var rh protocol.PullMessageResponseHeader
			if err := rh.Decode(resp.ExtFields); err != nil {
				return nil, err
			}
			if protocol.ResponseCode(resp.Code) == protocol.PullNotFound {
				break
			}
			if protocol.ResponseCode(resp.Code) != protocol.Success {
				return nil, fmt.Errorf("pull %s q%d at %d: code %d %s", topic, q.queue, off, resp.Code, resp.Remark)
			}
			for b := resp.Body; len(b) > 0; {
				rec, err := message.ParseStored(b)
				if err != nil {
					return nil, err
				}
				props := rec.Properties()
				uniq, _ := message.PropertyValue(props, message.PropertyUniqClientMessageIDKeyIndex)
				_, tran := message.PropertyValue(props, message.PropertyTransactionPrepared)
				out = append(out, pulledRecord{uniq: string(uniq), sysFlag: rec.SysFlag(), tranMsg: tran})
				b = b[rec.TotalSize():]
			}
			off = rh.NextBeginOffset
		}
	}
	return out, nil
}

// TestBenchProduceTransaction checks that `mq bench produce --transaction` counts exactly the
// transactions the broker committed: the real topic holds those messages and no others
// (rolled-back ones never appear), each once, as committed (not half) messages.
func TestBenchProduceTransaction(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns.Addr)
	for _, tc := range []struct {
		name string
		o    benchOptions
		want int64 // committed
	}{
		{"ratio=0.25,count=2000", benchOptions{producers: 4, inflight: 32, size: 100, count: 2000, rollbackRatio: 0.25}, 1500},
		{"ratio=0,sync,count=200", benchOptions{producers: 2, inflight: 1, size: 10, count: 200, sync: true}, 200},
		{"ratio=1,count=300", benchOptions{producers: 2, inflight: 16, size: 10, count: 300, rollbackRatio: 1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := "TxT" + strings.NewReplacer("=", "", ",", "", ".", "").Replace(tc.name)
			benchTopic(t, ns.Addr, b.Addr, topic)
			var mu sync.Mutex
			committed, rolled := map[string]bool{}, map[string]bool{}
			o := tc.o
			o.namesrv, o.topic, o.group, o.quiet, o.duration, o.transaction = ns.Addr, topic, "bench-tx", true, time.Minute, true
			o.onEnd = func(uniq string, commit bool) {
				mu.Lock()
				defer mu.Unlock()
				if commit {
					committed[uniq] = true
				} else {
					rolled[uniq] = true
				}
			}
			r, err := runBenchProduce(context.Background(), &o, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if r.Mode != "produce-transaction" || r.Errors != 0 || r.RolledBack == nil {
				t.Fatalf("result %+v", r)
			}
			if r.Messages != tc.want || *r.RolledBack != o.count-tc.want ||
				int64(len(committed)) != tc.want || int64(len(rolled)) != o.count-tc.want {
				t.Fatalf("reported %d committed, %d rolled back; saw %d commits, %d rollbacks acknowledged; want %d of %d committed",
					r.Messages, *r.RolledBack, len(committed), len(rolled), tc.want, o.count)
			}
			// The commit re-puts the message; its consume queue entry may lag a moment.
			mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				recs, err := pullAll(t, ns.Addr, topic)
				if err != nil {
					return err
				}
				seen := map[string]bool{}
				for _, rec := range recs {
					switch {
					case rolled[rec.uniq]:
						return fmt.Errorf("rolled-back message %s is consumable", rec.uniq)
					case !committed[rec.uniq]:
						return fmt.Errorf("message %q was never committed", rec.uniq)
					case seen[rec.uniq]:
						return fmt.Errorf("message %s consumable twice", rec.uniq)
					case message.TransactionType(rec.sysFlag) != message.TransactionCommitType || rec.tranMsg:
						return fmt.Errorf("message %s: sysFlag %#x, TRAN_MSG %v: not a committed message", rec.uniq, rec.sysFlag, rec.tranMsg)
					}
					seen[rec.uniq] = true
				}
				if int64(len(seen)) != tc.want {
					return fmt.Errorf("%d of %d committed messages consumable", len(seen), tc.want)
				}
				return nil
			})
			if tc.want == 0 {
				return
			}
			c := benchOptions{namesrv: ns.Addr, topic: topic, group: "bench-tx-c", quiet: true, duration: time.Minute, batch: 32}
			cr, err := runBenchConsume(context.Background(), &c, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if cr.Messages != tc.want || cr.Errors != 0 {
				t.Fatalf("bench consume: %d messages, %d errors; want %d", cr.Messages, cr.Errors, tc.want)
			}
		})
	}
}

func TestBenchProduceTransactionFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ratio-without-transaction", []string{"--rollback-ratio", "0.5"}, "needs --transaction"},
		{"ratio-above-one", []string{"--transaction", "--rollback-ratio", "1.5"}, "between 0 and 1"},
		{"ratio-negative", []string{"--transaction", "--rollback-ratio=-0.1"}, "between 0 and 1"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			args := append([]string{"bench", "produce", "-n", "127.0.0.1:1", "-t", "X"}, tc.args...)
			var out, errOut bytes.Buffer
			code := run(context.Background(), args, IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
			if code == 0 || !strings.Contains(errOut.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q; want failure mentioning %q", code, errOut.String(), tc.want)
			}
		})
	}
}
