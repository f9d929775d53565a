package broker

import (
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/mq-project/mq/protocol"
)

// TestStatsItemsWindows: the minute window covers the last 10-second snapshots up to now,
// the hour and the day fall back to what they have; rates and per-operation averages follow.
func TestStatsItemsWindows(t *testing.T) {
	s := newStatsItems()
	if _, ok := s.data(statsTopicPutNums, "T"); ok {
		t.Fatal("an item with no traffic has data")
	}
	s.add(statsTopicPutNums, "T", 10) // one batch of 10
	v, _ := s.items.Load(statsKey{statsTopicPutNums, "T"})
	t0 := v.(*statsItem).snaps[0][0].at
	for i := 1; i <= 12; i++ { // two minutes of samples, 5 messages every 10 s
		s.add(statsTopicPutNums, "T", 5)
		s.sampleAt(t0.Add(time.Duration(i) * 10 * time.Second))
	}
	d, ok := s.dataAt(statsTopicPutNums, "T", t0.Add(120*time.Second))
	if !ok {
		t.Fatal("no data")
	}
	// The minute keeps 7 snapshots: from t0+60s (value 40) to now (70): 30 in 60 s.
	if d.StatsMinute.Sum != 30 || math.Abs(d.StatsMinute.Tps-0.5) > 1e-9 || d.StatsMinute.Avgpt != 5 {
		t.Fatalf("minute %+v", d.StatsMinute)
	}
	// No 10-minute or hourly snapshot yet: from the first one, everything.
	if d.StatsHour.Sum != 70 || d.StatsDay.Sum != 70 {
		t.Fatalf("hour %+v day %+v", d.StatsHour, d.StatsDay)
	}
	if d.StatsDay.Avgpt != 70.0/13 {
		t.Fatalf("day avgpt %v", d.StatsDay.Avgpt)
	}
}

// TestViewBrokerStatsData: sends and pulls are counted per topic and per topic@group and
// answered by VIEW_BROKER_STATS_DATA as Apache answers it; an item with no traffic is
// SYSTEM_ERROR "not exist".
func TestViewBrokerStatsData(t *testing.T) {
	br, addr := startBroker(t, testConfig(t), nil)
	c := newTestClient(t, nil)
	for range 4 {
		wantCode(t, sendOne(t, c, addr, "ST", 0, nil, []byte("12345")), protocol.Success)
	}
	h := pullHeader("ST", 0, 0, pullSubscription, "*")
	h.ConsumerGroup = "sg"
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		// All four dispatched first (the dispatcher may pause up to 500 µs between rounds),
		// so that the one pull gets them all.
		if n := br.ms.MaxOffset("ST", 0); n != 4 {
			return fmt.Errorf("%d of 4 dispatched", n)
		}
		resp := call(t, c, addr, protocol.PullMessage, h, nil)
		if resp.Code != int16(protocol.Success) {
			return fmt.Errorf("pull: code %d", resp.Code)
		}
		return nil
	})
	stats := func(name, key string) (protocol.BrokerStatsData, *protocol.BrokerStatsData) {
		resp := call(t, c, addr, protocol.ViewBrokerStatsData, &protocol.ViewBrokerStatsDataRequestHeader{StatsName: name, StatsKey: key}, nil)
		var d protocol.BrokerStatsData
		if resp.Code != 0 {
			return d, nil
		}
		if err := json.Unmarshal(resp.Body, &d); err != nil {
			t.Fatal(err)
		}
		return d, &d
	}
	if d, ok := stats("TOPIC_PUT_NUMS", "ST"); ok == nil || d.StatsMinute.Sum != 4 || d.StatsDay.Sum != 4 || d.StatsMinute.Tps <= 0 {
		t.Fatalf("TOPIC_PUT_NUMS %+v", d)
	}
	if d, ok := stats("TOPIC_PUT_SIZE", "ST"); ok == nil || d.StatsMinute.Sum != 20 || d.StatsMinute.Avgpt != 5 {
		t.Fatalf("TOPIC_PUT_SIZE %+v", d)
	}
	if d, ok := stats("GROUP_GET_NUMS", "ST@sg"); ok == nil || d.StatsMinute.Sum != 4 {
		t.Fatalf("GROUP_GET_NUMS %+v", d)
	}
	if d, ok := stats("BROKER_PUT_NUMS", "DefaultCluster"); ok == nil || d.StatsMinute.Sum != 4 {
		t.Fatalf("BROKER_PUT_NUMS %+v", d)
	}
	resp := call(t, c, addr, protocol.ViewBrokerStatsData, &protocol.ViewBrokerStatsDataRequestHeader{StatsName: "GROUP_GET_NUMS", StatsKey: "ST@nobody"}, nil)
	wantCode(t, resp, protocol.SystemError)
	if resp.Remark != "The stats <GROUP_GET_NUMS> <ST@nobody> not exist" {
		t.Fatalf("remark %q", resp.Remark)
	}
}

// addPut counts a send under TOPIC_PUT_NUMS and TOPIC_PUT_SIZE of its topic and
// BROKER_PUT_NUMS of the cluster, as three adds would, also when called concurrently and
// after the cluster is renamed.
func TestStatsAddPut(t *testing.T) {
	s := newStatsItems()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				s.addPut([]string{"A", "B"}[(g+i)%2], "c1", 2, 100)
			}
		})
	}
	wg.Wait()
	s.addPut("A", "c2", 1, 7) // renamed cluster
	for _, c := range []struct {
		name, key    string
		value, times int64
	}{
		{statsTopicPutNums, "A", 4001, 2001}, {statsTopicPutSize, "A", 200_007, 2001},
		{statsTopicPutNums, "B", 4000, 2000}, {statsTopicPutSize, "B", 200_000, 2000},
		{statsBrokerPutNums, "c1", 8000, 4000}, {statsBrokerPutNums, "c2", 1, 1},
	} {
		it := s.item(c.name, c.key)
		if v, n := it.value.Load(), it.times.Load(); v != c.value || n != c.times {
			t.Errorf("%s@%s: value %d times %d, want %d %d", c.name, c.key, v, n, c.value, c.times)
		}
	}
}

// BenchmarkCountPut is a send's statistics: path=items is three lookups by name and key,
// path=addPut one by topic and the broker's item kept.
func BenchmarkCountPut(b *testing.B) {
	s := newStatsItems()
	b.Run("path=items", func(b *testing.B) {
		for b.Loop() {
			s.add(statsTopicPutNums, "BenchmarkTopic", 1)
			s.add(statsTopicPutSize, "BenchmarkTopic", 1024)
			s.add(statsBrokerPutNums, "DefaultCluster", 1)
		}
	})
	b.Run("path=addPut", func(b *testing.B) {
		for b.Loop() {
			s.addPut("BenchmarkTopic", "DefaultCluster", 1, 1024)
		}
	})
}
