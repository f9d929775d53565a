package admin_test

import (
	"testing"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/protocol"
)

// TestStatsAll: an Apache broker and ours answer VIEW_BROKER_STATS_DATA (TPS and day counts);
// for a broker that does not, counts come from offsets, flagged as such.
func TestStatsAll(t *testing.T) {
	t.Run("broker=apache", func(t *testing.T) {
		ns := mqtest.StartNamesrv(t)
		startBroker(t, ns.Addr, admintest.Config{Topics: []protocol.TopicConfig{topic("T", 2, 2)}, Groups: []string{"g1"}})
		a := newAdmin(t, ns.Addr)
		st, err := a.StatsAll(ctxT(t), []string{"T", "NoSuchTopic"})
		if err != nil || st.Fallback || !st.Brokers.Complete() {
			t.Fatalf("stats %+v err %v", st, err)
		}
		want := []admin.StatsRow{
			{Topic: "T", InTPS: 2.5, InMsg24Hour: 120, Source: admin.StatsSourceBroker},
			{Topic: "T", Group: "g1", Accumulation: 2, OutTPS: 1.5, OutMsg24Hour: 100, Source: admin.StatsSourceBroker},
		}
		if len(st.Rows) != len(want) || st.Rows[0] != want[0] || st.Rows[1] != want[1] {
			t.Fatalf("rows %+v, want %+v", st.Rows, want)
		}
	})
	t.Run("broker=mq", func(t *testing.T) {
		a, b := realCluster(t, "StatsT")
		sendN(t, a, b, "StatsT", 4)
		if err := a.UpdateConsumerOffset(ctxT(t), b.Addr, "sg", "StatsT", 0, 1); err != nil {
			t.Fatal(err)
		}
		st, err := a.StatsAll(ctxT(t), []string{"StatsT"})
		if err != nil || st.Fallback || len(st.Rows) != 2 {
			t.Fatalf("stats %+v err %v", st, err)
		}
		// Four sends counted at once (TPS depends on how long ago); sg pulled nothing.
		put, g := st.Rows[0], st.Rows[1]
		if put.Topic != "StatsT" || put.InMsg24Hour != 4 || put.InTPS <= 0 || put.Source != admin.StatsSourceBroker {
			t.Fatalf("put row %+v", put)
		}
		if want := (admin.StatsRow{Topic: "StatsT", Group: "sg", Accumulation: 3, Source: admin.StatsSourceBroker}); g != want {
			t.Fatalf("group row %+v, want %+v", g, want)
		}
	})
	t.Run("broker=nostats", func(t *testing.T) {
		ns := mqtest.StartNamesrv(t)
		startBroker(t, ns.Addr, admintest.Config{Topics: []protocol.TopicConfig{topic("T", 2, 2)}, Groups: []string{"g1"}, NoStats: true})
		a := newAdmin(t, ns.Addr)
		st, err := a.StatsAll(ctxT(t), []string{"T"})
		if err != nil || !st.Fallback || len(st.Rows) != 2 {
			t.Fatalf("stats %+v err %v", st, err)
		}
		for _, r := range st.Rows {
			if r.Source != admin.StatsSourceOffsets || r.InTPS != 0 || r.OutTPS != 0 {
				t.Fatalf("row %+v: want offsets-based counts and no TPS", r)
			}
		}
	})
}
