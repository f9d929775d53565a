package admin_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
)

// realCluster starts a real nameserver and broker and creates topic with 2 queues.
func realCluster(t *testing.T, name string) (*admin.Admin, *mqtest.Broker) {
	t.Helper()
	ns := mqtest.StartNamesrv(t)
	b := mqtest.StartBroker(t, ns.Addr)
	a := newAdmin(t, ns.Addr)
	if err := a.CreateTopicOnBroker(ctxT(t), b.Addr, topic(name, 2, 2)); err != nil {
		t.Fatal(err)
	}
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		rd, err := a.TopicRoute(ctxT(t), name)
		if err != nil || len(admin.TopicQueues(rd, true)) != 2 {
			return fmt.Errorf("route of %s: %v", name, err)
		}
		return nil
	})
	return a, b
}

// sendN sends n messages with unique keys round-robin to the topic's queues.
func sendN(t *testing.T, a *admin.Admin, b *mqtest.Broker, topic string, n int) []admin.SendResult {
	t.Helper()
	gen := message.NewUniqIDGenerator(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 1, 0, nil)
	var out []admin.SendResult
	for i := range n {
		props := map[string]string{message.PropertyUniqClientMessageIDKeyIndex: gen.Next(time.Now()), message.PropertyKeys: "k"}
		r, err := a.Send(ctxT(t), b.Addr, admin.SendRequest{BrokerName: b.Config.BrokerName, QueueID: int32(i % 2),
			Message: message.Message{Topic: topic, Properties: props, Body: []byte(fmt.Sprint("body-", i))}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	// Queries see a message once the dispatcher has indexed it: wait for the last one.
	if n > 0 {
		last := out[n-1].MsgID
		mqtest.CheckFor(t, 10*time.Second, 5*time.Millisecond, func() error {
			_, _, err := a.MessageByID(ctxT(t), topic, last)
			return err
		})
	}
	return out
}

// TestMessageByIDKinds: an id that decodes to a known broker's address is an offset id; any
// other id is a unique key, which needs a topic; both kinds find the same message.
func TestMessageByIDKinds(t *testing.T) {
	a, b := realCluster(t, "IdKinds")
	sent := sendN(t, a, b, "IdKinds", 3)
	want := sent[1]
	unknownHost := "0A0000FE00002A9F0000000000000000" // 10.0.0.254:10911, no such broker
	for _, tc := range []struct {
		name, topic, id string
		kind            admin.IDKind
		err             error
	}{
		{"id=offset", "", want.OffsetMsgID, admin.IDOffset, nil},
		{"id=offset-with-topic", "IdKinds", want.OffsetMsgID, admin.IDOffset, nil},
		{"id=unique", "IdKinds", want.MsgID, admin.IDUnique, nil},
		{"id=unique-no-topic", "", want.MsgID, admin.IDUnique, admin.ErrNeedTopic},
		{"id=offset-of-unknown-broker", "", unknownHost, admin.IDUnique, admin.ErrNeedTopic},
		{"id=unknown-unique", "IdKinds", "0123456789ABCDEF0123456789ABCDEF", admin.IDUnique, admin.ErrMessageNotFound},
		{"id=not-hex", "IdKinds", "order-42", admin.IDUnique, admin.ErrMessageNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found, kind, err := a.MessageByID(ctxT(t), tc.topic, tc.id)
			if kind != tc.kind {
				t.Errorf("kind %q, want %q", kind, tc.kind)
			}
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || len(found) != 1 {
				t.Fatalf("found %d, err %v", len(found), err)
			}
			m := found[0]
			if m.MsgID() != want.MsgID || m.OffsetMsgID() != want.OffsetMsgID || string(m.Body) != "body-1" || m.BrokerName != b.Config.BrokerName {
				t.Fatalf("found %s/%s %q on %s, want %s/%s body-1", m.MsgID(), m.OffsetMsgID(), m.Body, m.BrokerName, want.MsgID, want.OffsetMsgID)
			}
		})
	}
	t.Run("id=offset-namesrv-down", func(t *testing.T) {
		down := newAdmin(t, "127.0.0.1:1")
		if _, _, err := down.MessageByID(ctxT(t), "", want.OffsetMsgID); err == nil || errors.Is(err, admin.ErrNeedTopic) {
			t.Fatalf("err %v, want the nameserver's failure", err)
		}
	})
}

// TestPlanAndApplyReset: the plan's targets per kind (earliest = min, latest = max, an
// explicit offset clamped to [min, max], a time = the first offset stored at or after it),
// the current offsets, and that applying a plan sets exactly its targets, with progress
// reported per queue.
func TestPlanAndApplyReset(t *testing.T) {
	a, b := realCluster(t, "ResetT")
	sendN(t, a, b, "ResetT", 6) // 3 per queue
	const group = "rg"
	if err := a.UpdateConsumerOffset(ctxT(t), b.Addr, group, "ResetT", 0, 2); err != nil {
		t.Fatal(err)
	}
	mid := time.Now().UnixMilli()
	time.Sleep(5 * time.Millisecond) // store times are ms: the next sends are after mid
	sendN(t, a, b, "ResetT", 2)      // queue 0 offset 3, queue 1 offset 3
	for _, tc := range []struct {
		name string
		to   admin.ResetTo
		want [2]int64
	}{
		{"to=earliest", admin.ResetTo{Kind: admin.ResetEarliest}, [2]int64{0, 0}},
		{"to=latest", admin.ResetTo{Kind: admin.ResetLatest}, [2]int64{4, 4}},
		{"to=offset", admin.ResetTo{Kind: admin.ResetOffset, Offset: 1}, [2]int64{1, 1}},
		{"to=offset-above-max", admin.ResetTo{Kind: admin.ResetOffset, Offset: 99}, [2]int64{4, 4}},
		{"to=offset-below-min", admin.ResetTo{Kind: admin.ResetOffset, Offset: -5}, [2]int64{0, 0}},
		{"to=time-mid", admin.ResetTo{Kind: admin.ResetTime, Time: mid}, [2]int64{3, 3}},
		{"to=time-future", admin.ResetTo{Kind: admin.ResetTime, Time: mid + time.Hour.Milliseconds()}, [2]int64{4, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := a.PlanReset(ctxT(t), group, "ResetT", tc.to)
			if err != nil || len(p.Queues) != 2 {
				t.Fatalf("plan: %v %+v", err, p.Queues)
			}
			for i, q := range p.Queues {
				if q.QueueID != int32(i) || q.MinOffset != 0 || q.MaxOffset != 4 || q.Target != tc.want[i] || q.Applied != -1 {
					t.Errorf("queue %d: %+v, want target %d of [0, 4]", i, q, tc.want[i])
				}
			}
			var mu sync.Mutex
			var last admin.Progress
			ctx := admin.WithProgress(ctxT(t), func(p admin.Progress) { mu.Lock(); last = p; mu.Unlock() })
			if err := a.ApplyReset(ctx, &p); err != nil {
				t.Fatalf("apply: %v", err)
			}
			if last.Done != 2 || last.Total != 2 {
				t.Errorf("progress %+v, want 2/2", last)
			}
			for i, q := range p.Queues {
				got, err := a.ConsumerOffset(ctxT(t), b.Addr, group, "ResetT", q.QueueID)
				if err != nil || got != tc.want[i] || q.Applied != tc.want[i] {
					t.Errorf("queue %d after apply: offset %d applied %d (%v), want %d", i, got, q.Applied, err, tc.want[i])
				}
			}
		})
	}
	t.Run("current", func(t *testing.T) {
		if err := a.UpdateConsumerOffset(ctxT(t), b.Addr, group, "ResetT", 1, 3); err != nil {
			t.Fatal(err)
		}
		p, err := a.PlanReset(ctxT(t), group, "ResetT", admin.ResetTo{Kind: admin.ResetLatest})
		if err != nil || p.Queues[1].Current != 3 {
			t.Fatalf("plan: %v %+v", err, p.Queues)
		}
	})
	t.Run("kind=bad", func(t *testing.T) {
		if _, err := a.PlanReset(ctxT(t), group, "ResetT", admin.ResetTo{Kind: "yesterday"}); err == nil {
			t.Fatal("a bad kind planned")
		}
	})
}

// TestQueryByKeyLimit: more messages with the key than one QUERY_MESSAGE returns are all
// found (the full window is narrowed); with a limit the search stops once it has that many.
func TestQueryByKeyLimit(t *testing.T) {
	a, b := realCluster(t, "QLimit")
	sendN(t, a, b, "QLimit", admin.QueryBatch+6)
	var kq admin.KeyQuery
	mqtest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		var err error
		kq, err = a.QueryByKey(ctxT(t), "QLimit", "k", 0, 0, 0)
		if err != nil || len(kq.Messages) != admin.QueryBatch+6 || kq.Truncated {
			return fmt.Errorf("all: %v %d truncated=%v", err, len(kq.Messages), kq.Truncated)
		}
		return nil
	})
	kq, err := a.QueryByKey(ctxT(t), "QLimit", "k", 0, 0, 5)
	if err != nil || len(kq.Messages) != 5 || !kq.Truncated || kq.Queries != 1 || kq.Scanned != 0 {
		t.Fatalf("limit 5: %v %d truncated=%v queries=%d scanned=%d", err, len(kq.Messages), kq.Truncated, kq.Queries, kq.Scanned)
	}
}

// TestConsumeAgainNoConsumerOnline: a resend to a group with no consumer online says so (the
// group's "not online" answer is that, not a failure of its own), and a unique key without its
// topic is ErrNeedTopic (mq message resend's usage error).
func TestConsumeAgainNoConsumerOnline(t *testing.T) {
	a, b := realCluster(t, "Again")
	sent := sendN(t, a, b, "Again", 1)
	_, err := a.ConsumeAgain(ctxT(t), "", sent[0].OffsetMsgID, "nobody", "")
	if err == nil || !strings.Contains(err.Error(), "no consumer of group nobody is online") {
		t.Errorf("err %v", err)
	}
	if _, err := a.ConsumeAgain(ctxT(t), "", sent[0].MsgID, "nobody", ""); !errors.Is(err, admin.ErrNeedTopic) {
		t.Errorf("unique key without topic: %v", err)
	}
}
