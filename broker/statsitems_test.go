package broker

import (
	"encoding/json"
	"fmt"
	"math"
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
	_, addr := startBroker(t, testConfig(t), nil)
	c := newTestClient(t, nil)
	for range 4 {
		wantCode(t, sendOne(t, c, addr, "ST", 0, nil, []byte("12345")), protocol.Success)
	}
	h := pullHeader("ST", 0, 0, pullSubscription, "*")
	h.ConsumerGroup = "sg"
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
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
