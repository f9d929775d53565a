package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"golang.org/x/sys/unix"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// TestSyncFlushGroupCommit: a SYNC_FLUSH broker with a single send worker still groups
// concurrent sends into shared fsyncs, because a send waits for its flush off the worker (as
// Java's asynchronous put does). Sixteen official-client producers' SendSync all get SEND_OK
// with mean group sizes well above one, a batch is answered once, and a oneway send and a
// WAIT=false send (which nobody waits for) are flushed anyway.
func TestSyncFlushGroupCommit(t *testing.T) {
	c := startCluster(t, func(cfg *broker.Config) {
		cfg.FlushDiskType = broker.SyncFlush
		cfg.SendMessageThreadPoolNums = 1
	})
	const topic, senders, each = "SyncFlushT", 16, 20
	c.createTopic(t, topic, 4)
	p := newProducer(t, c)
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				res, err := p.SendSync(t.Context(), primitive.NewMessage(topic, fmt.Appendf(nil, "g%d-%d", g, i)))
				if err != nil || res.Status != primitive.SendOK {
					t.Errorf("send g%d-%d: %v %v", g, i, res, err)
					return
				}
			}
		})
	}
	wg.Wait()
	batch := []*primitive.Message{primitive.NewMessage(topic, []byte("b1")), primitive.NewMessage(topic, []byte("b2"))}
	if res, err := p.SendSync(t.Context(), batch...); err != nil || res.Status != primitive.SendOK {
		t.Fatalf("batch: %v %v", res, err)
	}
	info := runtimeInfo(t, c.b.Addr)
	rounds, _ := strconv.ParseInt(info["groupCommitRounds"], 10, 64)
	waits, _ := strconv.ParseInt(info["groupCommitWaits"], 10, 64)
	// A send whose record an earlier round already flushed does not wait at all, so waits
	// can be fewer than sends; a worker blocked per send would need one round per send.
	sends := int64(senders*each + 1)
	t.Logf("%d sends, %d flush waits in %d group commits", sends, waits, rounds)
	if d := fsyncCost(t); d < 50*time.Microsecond {
		t.Logf("fsync takes %v here (tmpfs?): nothing to group, not checking the group size", d)
	} else if rounds == 0 || rounds*2 > sends {
		t.Fatalf("%d group commits for %d sends from %d concurrent senders: sends are not grouped", rounds, sends, senders)
	}

	// Nobody waits for these, yet they must reach the disk (and the consumers) soon.
	op, ok := newProducer(t, c, producer.WithRetry(0)).(interface {
		SendOneWay(context.Context, ...*primitive.Message) error
	})
	if !ok {
		t.Fatal("the official producer has no SendOneWay")
	}
	if err := op.SendOneWay(t.Context(), primitive.NewMessage(topic, []byte("oneway"))); err != nil {
		t.Fatal(err)
	}
	nw := primitive.NewMessage(topic, []byte("no-wait"))
	nw.WithProperty("WAIT", "false")
	if res, err := p.SendSync(t.Context(), nw); err != nil || res.Status != primitive.SendOK {
		t.Fatalf("WAIT=false send: %v %v", res, err)
	}
	want := int64(senders*each + 4)
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		info := runtimeInfo(t, c.b.Addr)
		if info["remainHowManyDataToFlush"] != "0" {
			return fmt.Errorf("%s bytes not flushed", info["remainHowManyDataToFlush"])
		}
		var n int64
		for q := range int32(4) {
			n += maxOffset(t, c.b.Addr, topic, q)
		}
		if n != want {
			return fmt.Errorf("%d messages in the queues, want %d", n, want)
		}
		return nil
	})
}

func runtimeInfo(t *testing.T, addr string) map[string]string {
	t.Helper()
	var kv protocol.KVTable
	adminCall(t, addr, protocol.GetBrokerRuntimeInfo, nil, &kv)
	return kv.Table
}

// maxOffset asks the broker for GET_MAX_OFFSET of one queue.
func maxOffset(t *testing.T, addr, topic string, qid int32) int64 {
	t.Helper()
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	req := remoting.NewRequest(int16(protocol.GetMaxOffset),
		protocol.EncodeHeader(&protocol.GetMaxOffsetRequestHeader{Topic: topic, QueueID: qid}), nil)
	resp, err := cl.InvokeSync(t.Context(), addr, req)
	if err != nil || resp.Code != 0 {
		t.Fatalf("GET_MAX_OFFSET %s-%d: %v %v", topic, qid, resp, err)
	}
	n, err := strconv.ParseInt(resp.ExtFields["offset"], 10, 64)
	if err != nil {
		t.Fatalf("GET_MAX_OFFSET %s-%d: %v", topic, qid, err)
	}
	return n
}

// fsyncCost is the median time of a 4 KiB write plus fdatasync in the test's temp dir.
func fsyncCost(t *testing.T) time.Duration {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "fsync"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	var ds []time.Duration
	for i := range 21 {
		start := time.Now()
		if _, err := f.WriteAt(buf, int64(i)*4096); err != nil {
			t.Fatal(err)
		}
		if err := unix.Fdatasync(int(f.Fd())); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}
