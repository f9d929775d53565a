package render

import (
	"errors"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC // fixed zone for Millis
	os.Exit(m.Run())
}

func TestBrokerRows(t *testing.T) {
	bs := []admin.Broker{{Cluster: "c", Name: "a", Addr: "1:1"}, {Cluster: "c", Name: "b", Addr: "2:2"}, {Cluster: "c", Name: "a", ID: 1, Addr: "3:3"}}
	rt := func(max string) map[string]string {
		return map[string]string{"brokerVersionDesc": "V5_3_3", "putTps": "1.5 1 1", "getTransferredTps": "0.25",
			"dispatchBehindBytes": "128", "commitLogDiskRatio": "0.5", "commitLogMaxOffset": max}
	}
	res := admin.Results[map[string]string]{Kind: admin.KindBroker, Items: []admin.Result[map[string]string]{
		{Name: "a", Addr: "1:1", Value: rt("1000")}, {Name: "b", Addr: "2:2", Err: errors.New("refused")}, {Name: "a", ID: 1, Addr: "3:3", Value: rt("900")},
	}}
	cfgs := map[string]map[string]string{"1:1": {"brokerRole": "SYNC_MASTER"}}
	tests := []struct {
		name string
		bs   []admin.Broker
		res  admin.Results[map[string]string]
		want [][]string
	}{
		{"answers=all-and-failed", bs, res, [][]string{
			{"c", "a", "0", "SYNC_MASTER", "1:1", "up", "V5_3_3", "1.50", "▁", "0.25", "▁", "50%", "-", "128B"},
			{"c", "b", "0", "MASTER", "2:2", "DOWN", "-", "-", "", "-", "", "-", "-", "-"},
			{"c", "a", "1", "SLAVE", "3:3", "up", "V5_3_3", "1.50", "▁", "0.25", "▁", "50%", "100B", "128B"},
		}},
		{"answers=missing", bs[:1], admin.Results[map[string]string]{}, [][]string{
			{"c", "a", "0", "SYNC_MASTER", "1:1", "DOWN", "-", "-", "", "-", "", "-", "-", "-"},
		}},
		{"answers=garbage-numbers", bs[:1], admin.Results[map[string]string]{Items: []admin.Result[map[string]string]{
			{Value: map[string]string{"putTps": "x", "commitLogDiskRatio": "y"}}}}, [][]string{
			{"c", "a", "0", "SYNC_MASTER", "1:1", "up", "", "0.00", "▁", "0.00", "▁", "-", "-", "0B"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := BrokerRows(tt.bs, tt.res, cfgs)
			for i := range rows {
				if rows[i].Err == nil {
					rows[i].PutHist, rows[i].GetHist = []float64{0}, []float64{0}
				}
			}
			got := BrokersTable(rows)
			if !reflect.DeepEqual(got.Rows, tt.want) {
				t.Errorf("rows\n got %q\nwant %q", got.Rows, tt.want)
			}
		})
	}
}

func TestSparkline(t *testing.T) {
	if got := Sparkline([]float64{0, 1, 2, 4, 8}, 4); got != "▂▃▅█" {
		t.Errorf("sparkline %q", got)
	}
	if got := Sparkline(nil, 4); got != "" {
		t.Errorf("empty sparkline %q", got)
	}
}

func TestTopicsTableKindsAndHiding(t *testing.T) {
	cfg := protocol.TopicConfigSerializeWrapper{TopicConfigTable: map[string]protocol.TopicConfig{
		"a": {TopicName: "a", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}}}
	rows := TopicRows([]string{"b", "a", "b", "%DLQ%x", "RMQ_SYS_TRANS_HALF_TOPIC", "SCHEDULE_TOPIC_XXXX"}, nil,
		[]protocol.TopicConfigSerializeWrapper{cfg, cfg}, map[string]TopicFigures{"a": {Messages: 7, InTPS: 1.5, Groups: 2}})
	got := TopicsTable(rows, false)
	want := [][]string{{"%DLQ%x", "dlq", "0", "-", "-", "-", "-", "-"}, {"a", "normal", "2", "8/8", "RW-", "7", "1.50", "2"}, {"b", "normal", "0", "-", "-", "-", "-", "-"}}
	if !reflect.DeepEqual(got.Rows, want) || !reflect.DeepEqual(got.Keys, []string{"%DLQ%x", "a", "b"}) {
		t.Errorf("rows %q keys %q", got.Rows, got.Keys)
	}
	all := TopicsTable(rows, true)
	if all.Len() != 5 || all.Rows[1][1] != "transaction" || all.Rows[2][1] != "delay" {
		t.Errorf("all rows %q", all.Rows)
	}
}

func TestTableSort(t *testing.T) {
	tb := Table{Header: []string{"NAME", "N", "AGE"}, Rows: [][]string{{"b", "10", "2s"}, {"a", "9", "1m0s"}, {"c", "-", "-"}}, Keys: []string{"b", "a", "c"}}
	if got := tb.Sort(1, false).Keys; !reflect.DeepEqual(got, []string{"c", "a", "b"}) {
		t.Errorf("by N: %q (numbers compare as numbers, '-' lowest)", got)
	}
	if got := tb.Sort(2, true).Keys; !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("by AGE desc: %q", got)
	}
	if got := tb.Sort(9, false).Keys; !reflect.DeepEqual(got, tb.Keys) {
		t.Errorf("bad column: %q", got)
	}
}

func TestGroupState(t *testing.T) {
	min := StalledAfter.Milliseconds()
	for _, tt := range []struct {
		name      string
		prev, cur GroupSample
		lastMove  int64
		want      string
	}{
		{"offline", GroupSample{}, GroupSample{At: 10, Lag: 5}, 10, "offline"},
		{"caught-up", GroupSample{}, GroupSample{At: 10, Clients: 1}, 10, "caught-up"},
		{"first", GroupSample{}, GroupSample{At: 10, Lag: 5, Clients: 1}, 10, "lagging"},
		{"draining", GroupSample{At: 5, Lag: 9}, GroupSample{At: 10, Lag: 5, Clients: 1}, 10, "draining"},
		{"growing", GroupSample{At: 5, Lag: 1}, GroupSample{At: 10, Lag: 5, Clients: 1}, 10, "growing"},
		{"stalled", GroupSample{At: 5, Lag: 5}, GroupSample{At: 3*min + 10, Lag: 5, Clients: 1}, 10, "stalled 3m"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := GroupState(tt.prev, tt.cur, tt.lastMove); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResetPreview(t *testing.T) {
	p := admin.ResetPlan{Group: "g", Topic: "T", Queues: []admin.ResetQueue{
		{BrokerName: "a", QueueID: 0, MaxOffset: 10, Current: 4, Target: 10}, {BrokerName: "a", QueueID: 1, MaxOffset: 5, Current: -1, Target: 5}}}
	got := strings.Join(ResetPreview(p, "latest"), "\n")
	for _, w := range []string{"reset group g on topic T to latest:", "a       0      0    10   4        10      +6", "a       1      0    5    none     5       +5", "11 messages skipped"} {
		if !strings.Contains(got, w) {
			t.Errorf("preview lacks %q:\n%s", w, got)
		}
	}
}

func TestTableFilterAndLines(t *testing.T) {
	tb := Table{Header: []string{"NAME", "N"}, Rows: [][]string{{"Orders", "1"}, {"payments", "22"}}, Keys: []string{"o", "p"}}
	tests := []struct {
		name   string
		filter string
		width  int
		want   []string
		keys   []string
	}{
		{"filter=none", "", 0, []string{"NAME      N", "Orders    1", "payments  22"}, []string{"o", "p"}},
		{"filter=case-insensitive", "ORD", 0, []string{"NAME    N", "Orders  1"}, []string{"o"}},
		{"filter=no-match", "zzz", 0, []string{"NAME  N"}, nil},
		{"width=cut", "", 8, []string{"NAME   …", "Orders …", "payment…"}, []string{"o", "p"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tb.Filter(tt.filter)
			if got := f.Lines(tt.width); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("lines\n got %q\nwant %q", got, tt.want)
			}
			if !reflect.DeepEqual(f.Keys, tt.keys) {
				t.Errorf("keys %q, want %q", f.Keys, tt.keys)
			}
		})
	}
}

func TestRouteText(t *testing.T) {
	rd := protocol.TopicRouteData{
		BrokerDatas: []protocol.BrokerData{{BrokerName: "b", Cluster: "c", BrokerAddrs: protocol.BrokerAddrs{1: "s:1", 0: "m:1"}},
			{BrokerName: "a", Cluster: "c", BrokerAddrs: protocol.BrokerAddrs{0: "x:1"}}},
		QueueDatas: []protocol.QueueData{{BrokerName: "b", Perm: 4, ReadQueueNums: 4, WriteQueueNums: 2}},
	}
	want := []string{"a (c) 0=x:1  read=0 write=0 perm=---", "b (c) 0=m:1 1=s:1  read=4 write=2 perm=R--"}
	if got := RouteText(rd); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestProgressAndGroups(t *testing.T) {
	gp := admin.GroupProgress{Lag: 5, ConsumeTps: 2, Queues: []admin.QueueProgress{
		{Topic: "T", BrokerName: "a", QueueID: 1, BrokerOffset: 10, ConsumerOffset: 5, Lag: 5, TimeLagMs: 90000, Client: "c1"}}}
	if got := ProgressTable(gp).Rows; !reflect.DeepEqual(got, [][]string{{"T", "a", "1", "10", "5", "5", "1m30s", "c1", "-"}}) {
		t.Errorf("progress rows %q", got)
	}
	sum := GroupSummary(gp, admin.GroupConnections{})
	if sum[0] != "total lag 5  time lag 1m30s  consume tps 2.00  queues 1" || sum[1] != "connections: none online" {
		t.Errorf("summary %q", sum)
	}
	// client versions are Java's MQVersion names, as the CLI writes them
	sum = GroupSummary(gp, admin.GroupConnections{Clients: []admin.Client{{Connection: protocol.Connection{ClientID: "c1", ClientAddr: "1.2.3.4:5",
		Language: "GO", Version: 317}}}})
	if len(sum) != 3 || sum[2] != "  c1  1.2.3.4:5  GO  V4_5_2" {
		t.Errorf("summary with a client %q", sum)
	}
	rows := []GroupRow{{Name: "g", Brokers: []string{"a", "b"}, Lag: 5, TimeLagMs: 1000, Clients: 2, Tps: 1, State: "draining"},
		{Name: "h", Lag: -1, TimeLagMs: -1, Clients: -1}, {Name: "e", Lag: -1, Clients: -1, Err: errors.New("no\nroute")}}
	want := [][]string{{"g", "5", "1s", "2", "1.00", "draining", "a,b"}, {"h", "-", "-", "-", "-", "-", ""}, {"e", "-", "-", "-", "-", "error: no route", ""}}
	if got := GroupsTable(rows).Rows; !reflect.DeepEqual(got, want) {
		t.Errorf("group rows %q", got)
	}
}

func TestMessageDetail(t *testing.T) {
	m := admin.FoundMessage{BrokerName: "b", MessageExt: message.MessageExt{QueueID: 2, QueueOffset: 9, StoreTimestamp: 1767225600000,
		StoreHost: netip.MustParseAddrPort("127.0.0.1:10911"), BornHost: netip.MustParseAddrPort("127.0.0.1:5000")}}
	m.Topic = "T"
	m.Properties = map[string]string{"b": "2", "a": "1", message.PropertyTags: "tg"}
	tests := []struct {
		name    string
		body    []byte
		hex     bool
		preview int
		want    []string
	}{
		{"body=text", []byte("hello\nworld"), false, 100, []string{"body (text, x toggles hex):", "  hello", "  world"}},
		{"body=json", []byte(`{"a":[1]}`), false, 100, []string{"body (json, x toggles hex):", "  {", `    "a": [`, "      1", "    ]", "  }"}},
		{"body=cut", []byte("abcdef"), false, 3, []string{"body (text, x toggles hex):", "  abc", "  … (3 more bytes)"}},
		{"body=binary", []byte{0xff, 'a', 0x01}, false, 10, []string{"body (hex, x toggles hex):", "  00000000  ff 61 01                                          |.a.|"}},
		{"body=hex-asked", []byte("hi"), true, 10, []string{"body (hex, x toggles hex):", "  00000000  68 69                                             |hi|"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m.Body = tt.body
			got := MessageDetail(m, tt.hex, tt.preview)
			text := strings.Join(got, "\n")
			for _, w := range []string{"topic:        T", "queue:        b 2  offset 9", "tags:         tg",
				"stored:       2026-01-01T00:00:00Z  127.0.0.1:10911", "system properties:\n  TAGS=tg\n", "user properties:\n  a=1\n  b=2"} {
				if !strings.Contains(text, w) {
					t.Errorf("detail lacks %q:\n%s", w, text)
				}
			}
			i := len(got) - len(tt.want)
			if !reflect.DeepEqual(got[i:], tt.want) {
				t.Errorf("body lines %q, want %q", got[i:], tt.want)
			}
		})
	}
}

func TestTraceText(t *testing.T) {
	none := strings.Join(TraceText(admin.Trace{MsgID: "X", TraceTopic: "RMQ_SYS_TRACE_TOPIC"}), "\n")
	if !strings.Contains(none, "no trace for X") || !strings.Contains(none, "producer") || !strings.Contains(none, "enables message") {
		t.Errorf("no-trace text does not explain: %s", none)
	}
	tr := admin.Trace{MsgID: "X", Events: []admin.TraceEvent{{Kind: "consume", Timestamp: 1767225600000, Group: "g", CostMs: 5, Attempt: 2, Status: "FAILED"}}}
	if got := TraceTable(tr).Rows; !reflect.DeepEqual(got, [][]string{{"2026-01-01T00:00:00.000Z", "consume", "g", "-", "-", "5ms", "2", "FAILED"}}) {
		t.Errorf("trace rows %q", got)
	}
}

func TestMillis(t *testing.T) {
	if Millis(0) != "-" || Millis(1767225600000) != "2026-01-01T00:00:00Z" {
		t.Errorf("Millis: %q %q", Millis(0), Millis(1767225600000))
	}
}

func TestHAText(t *testing.T) {
	m := HAText(protocol.HARuntimeInfo{Master: true, MasterCommitLogMaxOffset: 10, InSyncSlaveNums: 1,
		HAConnectionInfo: []protocol.HAConnectionRuntimeInfo{{Addr: "s:1", SlaveAckOffset: 8, Diff: 2, InSync: true}}}, nil)
	if !reflect.DeepEqual(m, []string{"replication: master, CommitLog end 10, 1 slave(s) in sync", "  slave s:1  acked 8  behind 2B  in sync  0 B/s"}) {
		t.Errorf("master: %q", m)
	}
	s := HAText(protocol.HARuntimeInfo{HAClientRuntimeInfo: protocol.HAClientRuntimeInfo{MasterAddr: "m:1", MaxOffset: 7}}, nil)
	if !reflect.DeepEqual(s, []string{"replication: slave of m:1, CommitLog end 7, 0 B/s, last read -"}) {
		t.Errorf("slave: %q", s)
	}
	if e := HAText(protocol.HARuntimeInfo{}, errors.New("code 3")); !reflect.DeepEqual(e, []string{"replication: not reported (code 3)"}) {
		t.Errorf("error: %q", e)
	}
}
