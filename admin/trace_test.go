package admin_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mq-project/mq/admin"
)

// traceBody joins records written with '|' and '¶' (the reference's notation) into a body.
func traceBody(s string) []byte {
	return []byte(strings.NewReplacer("|", "\x01", "¶", "\x02").Replace(s))
}

// TestParseTraceBody parses the record formats of reference Appendix A.7: GoC's (with the
// trailing clientHost), Java's (without it), batch members without keys ("null"),
// EndTransaction, unknown types and junk between records.
func TestParseTraceBody(t *testing.T) {
	const id = "C000020255F6000000008aa6d3c80001"
	for _, tc := range []struct {
		name string
		body string
		want []admin.TraceRecord
	}{
		{"format=goc-pub", "Pub|1795817389403|DefaultRegion|capProducerGroup|TopicTest|" + id + "|TagA|k1 k2|127.0.0.1:10911|10|3|0|7F00000100002A9F0000000000000000|true|192.0.2.2¶",
			[]admin.TraceRecord{{Type: "Pub", Timestamp: 1795817389403, Region: "DefaultRegion", Group: "capProducerGroup", Topic: "TopicTest",
				MsgID: id, Tags: "TagA", Keys: "k1 k2", StoreHost: "127.0.0.1:10911", BodyLen: 10, CostMs: 3, MsgType: "0",
				OffsetMsgID: "7F00000100002A9F0000000000000000", Success: true, ClientHost: "192.0.2.2"}}},
		{"format=java-pub", "Pub|1795817389403|DefaultRegion|pg|TopicTest|" + id + "|TagA|k1|127.0.0.1:10911|10|3|0|OFF|false¶",
			[]admin.TraceRecord{{Type: "Pub", Timestamp: 1795817389403, Region: "DefaultRegion", Group: "pg", Topic: "TopicTest",
				MsgID: id, Tags: "TagA", Keys: "k1", StoreHost: "127.0.0.1:10911", BodyLen: 10, CostMs: 3, MsgType: "0", OffsetMsgID: "OFF"}}},
		{"format=sub-pair", "SubBefore|1795817389403|DefaultRegion|cg|REQ|" + id + "|2|k1 k2|192.0.2.2¶SubAfter|REQ|" + id + "|7|false|k1 k2|4|1795817389410|cg¶",
			[]admin.TraceRecord{
				{Type: "SubBefore", Timestamp: 1795817389403, Region: "DefaultRegion", Group: "cg", RequestID: "REQ", MsgID: id, RetryTimes: 2, Keys: "k1 k2", ClientHost: "192.0.2.2"},
				{Type: "SubAfter", RequestID: "REQ", MsgID: id, CostMs: 7, Keys: "k1 k2", ContextCode: 4, Timestamp: 1795817389410, Group: "cg"}}},
		{"format=batch-member-null-keys", "SubBefore|1|R|cg|REQ|7F00000100002A9F00000000000000EB|0|null|192.0.2.2¶",
			[]admin.TraceRecord{{Type: "SubBefore", Timestamp: 1, Region: "R", Group: "cg", RequestID: "REQ", MsgID: "7F00000100002A9F00000000000000EB", ClientHost: "192.0.2.2"}}},
		{"format=java-subbefore", "SubBefore|5|R|cg|REQ|" + id + "|0|k¶",
			[]admin.TraceRecord{{Type: "SubBefore", Timestamp: 5, Region: "R", Group: "cg", RequestID: "REQ", MsgID: id, Keys: "k"}}},
		{"format=end-transaction", "EndTransaction|9|R|tg|TopicTest|" + id + "|T|k|127.0.0.1:10911|2|TID|COMMIT_MESSAGE|false¶",
			[]admin.TraceRecord{{Type: "EndTransaction", Timestamp: 9, Region: "R", Group: "tg", Topic: "TopicTest", MsgID: id, Tags: "T", Keys: "k",
				StoreHost: "127.0.0.1:10911", MsgType: "2", TransactionID: "TID", TransactionState: "COMMIT_MESSAGE"}}},
		{"format=unknown-type", "Recall|1|2|3¶", []admin.TraceRecord{{Type: "Recall"}}},
		{"format=empty", "", nil},
		{"format=blank-records", "¶ \n¶", nil},
		{"format=no-terminator", "SubAfter|REQ|" + id + "|1|true|null|0|2|cg",
			[]admin.TraceRecord{{Type: "SubAfter", RequestID: "REQ", MsgID: id, CostMs: 1, Success: true, Timestamp: 2, Group: "cg"}}},
		{"format=short-pub", "Pub|x¶", []admin.TraceRecord{{Type: "Pub"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := admin.ParseTraceBody(traceBody(tc.body))
			if len(got) != len(tc.want) {
				t.Fatalf("got %d records %+v, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("record %d:\n got  %+v\n want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestTimeline: a Pub is a send and (when it succeeded) a store; a SubBefore/SubAfter pair is
// one consume attempt with the SubAfter's cost and status; a SubBefore without its SubAfter
// has no result; events are in time order.
func TestTimeline(t *testing.T) {
	recs := admin.ParseTraceBody(traceBody(
		"SubBefore|300|R|cg|R2|M|1|k|c2¶" +
			"SubBefore|200|R|cg|R1|M|0|k|c1¶SubAfter|R1|M|40|false|k|4|240|cg¶" +
			"Pub|100|R|pg|T|M|tag|k|b:1|5|7|0|OFF|true|p1¶" +
			"Pub|50|R|pg|T|M|tag|k|b:1|5|9|0||false|p1¶"))
	ev := admin.Timeline(recs)
	type short struct {
		kind    string
		ts      int64
		attempt int
		cost    int64
		status  string
	}
	want := []short{{"send", 50, 0, 9, ""}, {"send", 100, 0, 7, ""}, {"store", 107, 0, 0, ""},
		{"consume", 200, 1, 40, "FAILED"}, {"consume", 300, 2, 0, "NO-RESULT"}}
	if len(ev) != len(want) {
		t.Fatalf("events %+v", ev)
	}
	for i, e := range ev {
		if got := (short{e.Kind, e.Timestamp, e.Attempt, e.CostMs, e.Status}); got != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got, want[i])
		}
	}
}

// FuzzParseTrace: any body parses without panicking, into at most one record per non-blank
// \x02-separated segment, each typed by its segment's first field; a Pub built from fuzzed
// fields (without separators) round-trips.
func FuzzParseTrace(f *testing.F) {
	f.Add(traceBody("Pub|1795817389403|DefaultRegion|pg|TopicTest|ID|TagA|k1 k2|127.0.0.1:10911|10|0|0|OFF|true|192.0.2.2¶"), "grp", "topic", "k1 k2")
	f.Add(traceBody("SubBefore|1|R|cg|REQ|ID|0|null|h¶SubAfter|REQ|ID|0|false|null|4|1|cg¶"), "", "", "")
	f.Add([]byte("\x01\x02\x02\x01"), "a\x01b", "t", "k")
	f.Fuzz(func(t *testing.T, body []byte, group, topic, keys string) {
		recs := admin.ParseTraceBody(body)
		var segs [][]byte
		for _, s := range bytes.Split(body, []byte{2}) {
			if s = bytes.TrimSpace(s); len(s) > 0 {
				segs = append(segs, s)
			}
		}
		if len(recs) != len(segs) {
			t.Fatalf("%d records from %d segments", len(recs), len(segs))
		}
		for i, r := range recs {
			first, _, _ := bytes.Cut(segs[i], []byte{1})
			if r.Type != string(first) {
				t.Fatalf("record %d type %q, segment starts %q", i, r.Type, first)
			}
		}
		clean := func(s string) string {
			return strings.TrimSpace(strings.Map(func(r rune) rune {
				if r == 1 || r == 2 || r < ' ' {
					return -1
				}
				return r
			}, s))
		}
		group, topic, keys = clean(group), clean(topic), clean(keys)
		pub := strings.Join([]string{"Pub", "42", "R", group, topic, "ID", "tag", keys, "b:1", "3", "4", "0", "OFF", "true", "h"}, "\x01") + "\x02"
		got := admin.ParseTraceBody([]byte(pub))
		if len(got) != 1 || got[0].Group != group || got[0].Topic != topic || got[0].Keys != keys || got[0].CostMs != 4 || !got[0].Success {
			t.Fatalf("Pub round trip: %+v (group %q topic %q keys %q)", got, group, topic, keys)
		}
	})
}

// TestEncodeTraceRecord: the records mq send --trace writes read back as written, in the Go
// client's Pub layout (15 fields) and Java's EndTransaction layout (13 fields).
func TestEncodeTraceRecord(t *testing.T) {
	pub := admin.TraceRecord{Type: admin.TracePub, Timestamp: 17, Region: "DefaultRegion", Group: "pg", Topic: "T", MsgID: "M1",
		Tags: "tag", Keys: "k1 k2", StoreHost: "127.0.0.1:10911", BodyLen: 5, CostMs: 2, MsgType: admin.TraceMsgNormal,
		OffsetMsgID: "OFF", Success: true, ClientHost: "10.0.0.1"}
	end := admin.TraceRecord{Type: admin.TraceEndTransaction, Timestamp: 18, Region: "DefaultRegion", Group: "pg", Topic: "T",
		MsgID: "M1", Tags: "tag", Keys: "k1 k2", StoreHost: "127.0.0.1:10911", MsgType: admin.TraceMsgTransCommit,
		TransactionID: "TX", TransactionState: "COMMIT_MESSAGE"}
	body := admin.EncodeTraceRecord(pub) + admin.EncodeTraceRecord(end)
	if n := strings.Count(admin.EncodeTraceRecord(pub), "\x01"); n != 14 {
		t.Errorf("pub has %d separators, want 14", n)
	}
	got := admin.ParseTraceBody([]byte(body))
	if len(got) != 2 || got[0] != pub || got[1] != end {
		t.Fatalf("round trip:\n got  %+v\n want %+v %+v", got, pub, end)
	}
}
