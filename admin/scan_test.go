package admin_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
)

// TestScanQueue reads a real broker's queue across several pulls (more than ScanBatch
// messages), from the min offset, from an offset, up to To, and stops when told.
func TestScanQueue(t *testing.T) {
	a, b := realCluster(t, "ScanMe")
	sent := sendN(t, a, b, "ScanMe", 2*(admin.ScanBatch+8)) // queue 0 gets 40 messages
	perQueue := int64(len(sent) / 2)
	q := admin.QueueScan{Addr: b.Addr, BrokerName: b.Config.BrokerName, Topic: "ScanMe", QueueID: 0, From: -1}
	collect := func(t *testing.T, q admin.QueueScan, stopAfter int) ([]int64, int) {
		t.Helper()
		var offs []int64
		n, err := a.ScanQueue(ctxT(t), q, func(m *message.MessageExt) bool {
			if m.Topic != "ScanMe" || m.QueueID != q.QueueID {
				t.Errorf("message of %s/%d in a scan of queue %d", m.Topic, m.QueueID, q.QueueID)
			}
			offs = append(offs, m.QueueOffset)
			return stopAfter == 0 || len(offs) < stopAfter
		})
		if err != nil {
			t.Fatal(err)
		}
		return offs, n
	}
	checkRun := func(t *testing.T, offs []int64, from, to int64) {
		t.Helper()
		if int64(len(offs)) != to-from {
			t.Fatalf("read %d messages, want %d (offsets %v)", len(offs), to-from, offs)
		}
		for i, o := range offs {
			if o != from+int64(i) {
				t.Fatalf("offset %d at position %d, want %d", o, i, from+int64(i))
			}
		}
	}
	t.Run("whole", func(t *testing.T) {
		var p atomic.Int64
		var total atomic.Int64
		ctx := admin.WithProgress(ctxT(t), func(pr admin.Progress) { p.Store(pr.Done); total.Store(pr.Total) })
		var offs []int64
		n, err := a.ScanQueue(ctx, q, func(m *message.MessageExt) bool { offs = append(offs, m.QueueOffset); return true })
		if err != nil {
			t.Fatal(err)
		}
		checkRun(t, offs, 0, perQueue)
		if n != len(offs) || p.Load() != perQueue || total.Load() != perQueue {
			t.Errorf("n=%d progress %d/%d, want %d/%d", n, p.Load(), total.Load(), perQueue, perQueue)
		}
		// The bodies are the ones sent to queue 0, in order.
		body := func(i int) string { return fmt.Sprint("body-", 2*i) }
		var got []string
		_, _ = a.ScanQueue(ctxT(t), q, func(m *message.MessageExt) bool { got = append(got, string(m.Body)); return len(got) < 3 })
		for i, g := range got {
			if g != body(i) {
				t.Errorf("message %d body %q, want %q", i, g, body(i))
			}
		}
	})
	t.Run("from-to", func(t *testing.T) {
		r := q
		r.From, r.To = 5, admin.ScanBatch+7
		offs, _ := collect(t, r, 0)
		checkRun(t, offs, 5, admin.ScanBatch+7)
	})
	t.Run("stop", func(t *testing.T) {
		offs, n := collect(t, q, 3)
		checkRun(t, offs, 0, 3)
		if n != 3 {
			t.Errorf("n = %d, want 3", n)
		}
	})
	t.Run("past-end", func(t *testing.T) {
		r := q
		r.From = perQueue + 10
		offs, _ := collect(t, r, 0)
		if len(offs) != 0 {
			t.Errorf("read %v past the end", offs)
		}
	})
	t.Run("end-time", func(t *testing.T) {
		var stored []int64
		_, _ = a.ScanQueue(ctxT(t), q, func(m *message.MessageExt) bool { stored = append(stored, m.StoreTimestamp); return true })
		r := q
		r.End = stored[0] - 1 // before the first message: nothing
		if offs, _ := collect(t, r, 0); len(offs) != 0 {
			t.Errorf("End before every message read %d", len(offs))
		}
	})
	t.Run("no-such-queue-broker", func(t *testing.T) {
		r := q
		r.Addr = "127.0.0.1:1"
		ctx, cancel := context.WithCancel(ctxT(t))
		defer cancel()
		if _, err := a.ScanQueue(ctx, r, func(*message.MessageExt) bool { return true }); err == nil {
			t.Error("scan of a dead broker succeeded")
		}
	})
}
