package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
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

// pullAll reads every queue of topic with admin's scan.
func pullAll(t *testing.T, ns, topic string) ([]pulledRecord, error) {
	t.Helper()
	ctx := context.Background()
	a, err := admin.New(admin.Options{NameServers: []string{ns}})
	if err != nil {
		return nil, err
	}
	defer a.Close()
	rd, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return nil, err
	}
	var out []pulledRecord
	for _, q := range admin.TopicQueues(rd, false) {
		_, err := a.ScanQueue(ctx, admin.QueueScan{Addr: q.Addr, BrokerName: q.BrokerName, Topic: topic, QueueID: q.QueueID, From: 0},
			func(m *message.MessageExt) bool {
				_, tran := m.Properties[message.PropertyTransactionPrepared]
				out = append(out, pulledRecord{uniq: m.Properties[message.PropertyUniqClientMessageIDKeyIndex], sysFlag: m.SysFlag, tranMsg: tran})
				return true
			})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TestBenchProduceTransaction checks that `mq bench produce --transaction` (Run with Transaction) counts exactly the
// transactions the broker committed: the real topic holds those messages and no others
// (rolled-back ones never appear), each once, as committed (not half) messages.
func TestBenchProduceTransaction(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns.Addr)
	for _, tc := range []struct {
		name string
		o    Options
		want int64 // committed
	}{
		{"ratio=0.25,count=2000", Options{Producers: 4, Inflight: 32, Size: 100, Count: 2000, RollbackRatio: 0.25}, 1500},
		{"ratio=0,sync,count=200", Options{Producers: 2, Inflight: 1, Size: 10, Count: 200, Sync: true}, 200},
		{"ratio=1,count=300", Options{Producers: 2, Inflight: 16, Size: 10, Count: 300, RollbackRatio: 1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := "TxT" + strings.NewReplacer("=", "", ",", "", ".", "").Replace(tc.name)
			benchTopic(t, ns.Addr, b.Addr, topic)
			var mu sync.Mutex
			committed, rolled := map[string]bool{}, map[string]bool{}
			o := tc.o
			o.Mode, o.NameServers, o.Topic, o.Group, o.Duration, o.Transaction = ModeProduce, []string{ns.Addr}, topic, "bench-tx", time.Minute, true
			o.OnEnd = func(uniq string, commit bool) {
				mu.Lock()
				defer mu.Unlock()
				if commit {
					committed[uniq] = true
				} else {
					rolled[uniq] = true
				}
			}
			r, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if r.Mode != "produce-transaction" || r.Errors != 0 || r.RolledBack == nil {
				t.Fatalf("result %+v", r)
			}
			if r.Messages != tc.want || *r.RolledBack != o.Count-tc.want ||
				int64(len(committed)) != tc.want || int64(len(rolled)) != o.Count-tc.want {
				t.Fatalf("reported %d committed, %d rolled back; saw %d commits, %d rollbacks acknowledged; want %d of %d committed",
					r.Messages, *r.RolledBack, len(committed), len(rolled), tc.want, o.Count)
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
			c := Options{Mode: ModeConsume, NameServers: []string{ns.Addr}, Topic: topic, Group: "bench-tx-c", Duration: time.Minute, Batch: 32}
			cr, err := Run(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if cr.Messages != tc.want || cr.Errors != 0 {
				t.Fatalf("bench consume: %d messages, %d errors; want %d", cr.Messages, cr.Errors, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := Options{Mode: ModeProduce, NameServers: []string{"h:1"}, Topic: "T"}
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"mode", func(o *Options) { o.Mode = "both" }, "mode"},
		{"no-namesrv", func(o *Options) { o.NameServers = nil }, "no nameserver"},
		{"no-topic", func(o *Options) { o.Topic = "" }, "no topic"},
		{"ratio-without-transaction", func(o *Options) { o.RollbackRatio = 0.5 }, "needs --transaction"},
		{"ratio-above-one", func(o *Options) { o.Transaction, o.RollbackRatio = true, 1.5 }, "between 0 and 1"},
		{"negative-size", func(o *Options) { o.Size = -1 }, "--size"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			o := ok
			tc.edit(&o)
			err := o.Validate()
			if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	o := ok
	o.Sync = true
	if err := o.Validate(); err != nil || o.Producers != 4 || o.Inflight != 1 || o.Batch != 32 || o.Duration != 10*time.Second {
		t.Fatalf("defaults: %v %+v", err, o)
	}
}
