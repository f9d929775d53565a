package admin_test

import (
	"testing"
)

// TestCloneGroupOffset: the destination group gets exactly the source group's committed
// offsets on every queue of the topic, on our real broker.
func TestCloneGroupOffset(t *testing.T) {
	a, b := realCluster(t, "CloneT")
	sendN(t, a, b, "CloneT", 6)
	for q, off := range []int64{2, 3} {
		if err := a.UpdateConsumerOffset(ctxT(t), b.Addr, "cloneSrc", "CloneT", int32(q), off); err != nil {
			t.Fatal(err)
		}
	}
	res, err := a.CloneGroupOffset(ctxT(t), "cloneSrc", "cloneDest", "CloneT", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil || res.Answered() != 1 {
		t.Fatalf("clone: %v (%s)", err, res.Summary())
	}
	for q, want := range []int64{2, 3} {
		got, err := a.ConsumerOffset(ctxT(t), b.Addr, "cloneDest", "CloneT", int32(q))
		if err != nil || got != want {
			t.Fatalf("queue %d: dest offset %d (%v), want %d", q, got, err, want)
		}
	}
	if _, err := a.CloneGroupOffset(ctxT(t), "cloneSrc", "cloneDest", "NoSuchTopic", true); err == nil {
		t.Fatal("clone on a topic without a route succeeded")
	}
}
