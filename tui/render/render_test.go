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
	bs := []admin.Broker{{Cluster: "c", Name: "a", Addr: "1:1"}, {Cluster: "c", Name: "b", Addr: "2:2"}}
	res := admin.Results[map[string]string]{Kind: admin.KindBroker, Items: []admin.Result[map[string]string]{
		{Name: "a", Addr: "1:1", Value: map[string]string{"brokerVersionDesc": "V5_3_3", "putTps": "1.5 1 1",
			"getTransferredTps": "0.25", "msgPutTotalTodayNow": "10", "msgGetTotalTodayNow": " 7 ", "dispatchBehindBytes": "128"}},
		{Name: "b", Addr: "2:2", Err: errors.New("refused")},
	}}
	tests := []struct {
		name string
		bs   []admin.Broker
		res  admin.Results[map[string]string]
		want [][]string
	}{
		{"answers=all-and-failed", bs, res, [][]string{
			{"c", "a", "0", "1:1", "V5_3_3", "1.50", "0.25", "10", "7", "128B", "up"},
			{"c", "b", "0", "2:2", "-", "-", "-", "-", "-", "-", "DOWN"},
		}},
		{"answers=missing", bs[:1], admin.Results[map[string]string]{}, [][]string{
			{"c", "a", "0", "1:1", "-", "-", "-", "-", "-", "-", "DOWN"},
		}},
		{"answers=garbage-numbers", bs[:1], admin.Results[map[string]string]{Items: []admin.Result[map[string]string]{
			{Value: map[string]string{"putTps": "x", "msgPutTotalTodayNow": "y"}}}}, [][]string{
			{"c", "a", "0", "1:1", "", "0.00", "0.00", "0", "0", "0B", "up"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BrokersTable(BrokerRows(tt.bs, tt.res))
			if !reflect.DeepEqual(got.Rows, tt.want) {
				t.Errorf("rows\n got %q\nwant %q", got.Rows, tt.want)
			}
		})
	}
}

func TestTopicType(t *testing.T) {
	sys := map[string]bool{"DefaultCluster": true}
	for _, tt := range []struct{ topic, want string }{
		{"Orders", "normal"}, {"%RETRY%g", "retry"}, {"%DLQ%g", "dlq"}, {"DefaultCluster", "system"},
		{"SCHEDULE_TOPIC_XXXX", "system"}, {"RMQ_SYS_TRANS_HALF_TOPIC", "system"}, {"TBW102", "system"},
	} {
		t.Run("topic="+tt.topic, func(t *testing.T) {
			if got := TopicType(tt.topic, sys); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTopicsTableSortsAndDedups(t *testing.T) {
	got := TopicsTable([]string{"b", "a", "b", "%DLQ%x"}, nil)
	want := [][]string{{"%DLQ%x", "dlq"}, {"a", "normal"}, {"b", "normal"}}
	if !reflect.DeepEqual(got.Rows, want) || !reflect.DeepEqual(got.Keys, []string{"%DLQ%x", "a", "b"}) {
		t.Errorf("rows %q keys %q", got.Rows, got.Keys)
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

func TestPerm(t *testing.T) {
	for p, want := range map[int32]string{0: "---", 2: "-w-", 4: "r--", 6: "rw-", 7: "rwx"} {
		if got := Perm(p); got != want {
			t.Errorf("Perm(%d) = %s, want %s", p, got, want)
		}
	}
}

func TestRouteText(t *testing.T) {
	rd := protocol.TopicRouteData{
		BrokerDatas: []protocol.BrokerData{{BrokerName: "b", Cluster: "c", BrokerAddrs: protocol.BrokerAddrs{1: "s:1", 0: "m:1"}},
			{BrokerName: "a", Cluster: "c", BrokerAddrs: protocol.BrokerAddrs{0: "x:1"}}},
		QueueDatas: []protocol.QueueData{{BrokerName: "b", Perm: 4, ReadQueueNums: 4, WriteQueueNums: 2}},
	}
	want := []string{"a (c) 0=x:1  read=0 write=0 perm=---", "b (c) 0=m:1 1=s:1  read=4 write=2 perm=r--"}
	if got := RouteText(rd); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestProgressAndGroups(t *testing.T) {
	gp := admin.GroupProgress{Lag: 5, ConsumeTps: 2, Queues: []admin.QueueProgress{
		{Topic: "T", BrokerName: "a", QueueID: 1, BrokerOffset: 10, ConsumerOffset: 5, Lag: 5}}}
	if got := ProgressTable(gp).Rows; !reflect.DeepEqual(got, [][]string{{"T", "a", "1", "10", "5", "5", "-"}}) {
		t.Errorf("progress rows %q", got)
	}
	sum := GroupSummary(gp, admin.GroupConnections{})
	if sum[0] != "total lag 5  consume tps 2.00  queues 1" || sum[1] != "connections: none online" {
		t.Errorf("summary %q", sum)
	}
	gl := admin.GroupList{Groups: []admin.GroupConfig{
		{BrokerName: "a", SubscriptionGroupConfig: protocol.SubscriptionGroupConfig{GroupName: "g", ConsumeEnable: true}},
		{BrokerName: "b", SubscriptionGroupConfig: protocol.SubscriptionGroupConfig{GroupName: "g", ConsumeEnable: true}},
	}}
	if got := GroupsTable(gl).Rows; !reflect.DeepEqual(got, [][]string{{"g", "a,b", "yes", "no", "0", "0"}}) {
		t.Errorf("group rows %q", got)
	}
}

func TestMessageDetail(t *testing.T) {
	m := message.MessageExt{QueueID: 2, QueueOffset: 9, StoreTimestamp: 1767225600000,
		StoreHost: netip.MustParseAddrPort("127.0.0.1:10911"), BornHost: netip.MustParseAddrPort("127.0.0.1:5000")}
	m.Topic = "T"
	m.Properties = map[string]string{"b": "2", "a": "1", message.PropertyTags: "tg"}
	tests := []struct {
		name    string
		body    []byte
		preview int
		want    []string
	}{
		{"body=text", []byte("hello\nworld"), 100, []string{"  hello", "  world"}},
		{"body=cut", []byte("abcdef"), 3, []string{"  abc", "  … (3 more bytes)"}},
		{"body=binary", []byte{0xff, 'a', 0x01}, 10, []string{"  .a."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m.Body = tt.body
			got := MessageDetail(m, tt.preview)
			text := strings.Join(got, "\n")
			for _, w := range []string{"topic:        T", "queue:        2  offset 9", "tags:         tg",
				"stored:       2026-01-01 00:00:00  127.0.0.1:10911", "properties:\n  TAGS=tg\n  a=1\n  b=2"} {
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

func TestMillis(t *testing.T) {
	if Millis(0) != "-" || Millis(1767225600000) != "2026-01-01 00:00:00" {
		t.Errorf("Millis: %q %q", Millis(0), Millis(1767225600000))
	}
}
