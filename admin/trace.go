package admin

import (
	"bytes"
	"context"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultTraceTopic is where clients write message traces unless configured otherwise.
const DefaultTraceTopic = "RMQ_SYS_TRACE_TOPIC"

// Trace record types.
const (
	TracePub            = "Pub"
	TraceSubBefore      = "SubBefore"
	TraceSubAfter       = "SubAfter"
	TraceEndTransaction = "EndTransaction"
)

// TraceRecord is one record of a trace body (reference §5.11): fields separated by \x01,
// records ended by \x02. Fields a record type does not have are zero.
type TraceRecord struct {
	Type      string `json:"type"`
	Timestamp int64  `json:"timestamp,omitempty"`
	Region    string `json:"region,omitempty"`
	Group     string `json:"group,omitempty"`
	Topic     string `json:"topic,omitempty"`
	MsgID     string `json:"msgId"`
	Tags      string `json:"tags,omitempty"`
	Keys      string `json:"keys,omitempty"`
	StoreHost string `json:"storeHost,omitempty"`
	BodyLen   int    `json:"bodyLength,omitempty"`
	CostMs    int64  `json:"costMs"`
	MsgType   string `json:"msgType,omitempty"`
	// OffsetMsgID is the Pub record's offset id.
	OffsetMsgID string `json:"offsetMsgId,omitempty"`
	Success     bool   `json:"success"`
	ClientHost  string `json:"clientHost,omitempty"`
	// RequestID pairs a SubBefore with its SubAfter.
	RequestID   string `json:"requestId,omitempty"`
	RetryTimes  int    `json:"retryTimes,omitempty"`
	ContextCode int    `json:"contextCode,omitempty"`
	// TransactionID and TransactionState are the EndTransaction record's.
	TransactionID    string `json:"transactionId,omitempty"`
	TransactionState string `json:"transactionState,omitempty"`
}

// ParseTraceBody splits a trace message body into records. Unknown record types are kept
// with only Type and the raw fields dropped.
func ParseTraceBody(body []byte) []TraceRecord {
	var out []TraceRecord
	for _, rec := range bytes.Split(body, []byte{2}) {
		rec = bytes.TrimSpace(rec)
		if len(rec) == 0 {
			continue
		}
		f := strings.Split(string(rec), "\x01")
		get := func(i int) string {
			if i < len(f) {
				return f[i]
			}
			return ""
		}
		num := func(i int) int64 { n, _ := strconv.ParseInt(get(i), 10, 64); return n }
		nullable := func(i int) string {
			if s := get(i); s != "null" {
				return s
			}
			return ""
		}
		r := TraceRecord{Type: f[0]}
		switch f[0] {
		case TracePub:
			r.Timestamp, r.Region, r.Group, r.Topic, r.MsgID = num(1), get(2), get(3), get(4), get(5)
			r.Tags, r.Keys, r.StoreHost, r.BodyLen, r.CostMs = get(6), get(7), get(8), int(num(9)), num(10)
			r.MsgType, r.OffsetMsgID, r.Success, r.ClientHost = get(11), get(12), get(13) == "true", get(14)
		case TraceSubBefore:
			r.Timestamp, r.Region, r.Group, r.RequestID, r.MsgID = num(1), get(2), get(3), get(4), get(5)
			r.RetryTimes, r.Keys, r.ClientHost = int(num(6)), nullable(7), get(8)
		case TraceSubAfter:
			r.RequestID, r.MsgID, r.CostMs, r.Success, r.Keys = get(1), get(2), num(3), get(4) == "true", nullable(5)
			r.ContextCode, r.Timestamp, r.Group = int(num(6)), num(7), get(8)
		case TraceEndTransaction:
			r.Timestamp, r.Region, r.Group, r.Topic, r.MsgID = num(1), get(2), get(3), get(4), get(5)
			r.Tags, r.Keys, r.StoreHost, r.MsgType = get(6), get(7), get(8), get(9)
			r.TransactionID, r.TransactionState = get(10), get(11)
		}
		out = append(out, r)
	}
	return out
}

// TraceEvent is one step of a message's timeline.
type TraceEvent struct {
	// Kind is "send", "store", "consume" or "end-transaction".
	Kind      string `json:"kind"`
	Timestamp int64  `json:"timestamp"`
	Group     string `json:"group,omitempty"`
	Client    string `json:"client,omitempty"`
	Broker    string `json:"broker,omitempty"`
	CostMs    int64  `json:"costMs"`
	Success   bool   `json:"success"`
	// Attempt is the consume attempt (retry times + 1).
	Attempt int    `json:"attempt,omitempty"`
	Status  string `json:"status,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// Trace is a message's timeline assembled from trace records.
type Trace struct {
	MsgID      string        `json:"msgId"`
	TraceTopic string        `json:"traceTopic"`
	Events     []TraceEvent  `json:"events"`
	Records    []TraceRecord `json:"records"`
}

// consumeStatus names a SubAfter contextCode.
func consumeStatus(code int, ok bool) string {
	switch code {
	case 0:
		if ok {
			return "SUCCESS"
		}
		return "FAILED"
	case 1:
		return "TIMEOUT"
	case 2:
		return "EXCEPTION"
	case 3:
		return "RETURNNULL"
	case 4:
		return "FAILED"
	}
	return strconv.Itoa(code)
}

// MessageTrace finds the trace records of msgID in traceTopic ("" means
// RMQ_SYS_TRACE_TOPIC) through the index (trace messages carry the traced ids in KEYS) and
// assembles them into a timeline: send, store, each group's consume attempts with costs.
func (a *Admin) MessageTrace(ctx context.Context, traceTopic, msgID string) (Trace, error) {
	if traceTopic == "" {
		traceTopic = DefaultTraceTopic
	}
	tr := Trace{MsgID: msgID, TraceTopic: traceTopic, Events: []TraceEvent{}, Records: []TraceRecord{}}
	kq, err := a.QueryByKey(ctx, traceTopic, msgID, 0, time.Now().Add(time.Minute).UnixMilli(), 0)
	if err != nil && len(kq.Messages) == 0 {
		return tr, err
	}
	seen := map[string]bool{}
	for _, m := range kq.Messages {
		for _, r := range ParseTraceBody(m.Body) {
			if r.MsgID != msgID {
				continue
			}
			k := r.Type + "|" + r.RequestID + "|" + strconv.FormatInt(r.Timestamp, 10) + "|" + r.Group
			if seen[k] {
				continue
			}
			seen[k] = true
			tr.Records = append(tr.Records, r)
		}
	}
	tr.Events = Timeline(tr.Records)
	return tr, err
}

// Timeline turns trace records into events: a Pub is a send and a store (the broker it was
// stored on), a SubBefore and its SubAfter (same request id) one consume attempt.
func Timeline(recs []TraceRecord) []TraceEvent {
	ev := []TraceEvent{}
	after := map[string]TraceRecord{}
	for _, r := range recs {
		if r.Type == TraceSubAfter {
			after[r.RequestID] = r
		}
	}
	for _, r := range recs {
		switch r.Type {
		case TracePub:
			ev = append(ev, TraceEvent{Kind: "send", Timestamp: r.Timestamp, Group: r.Group, Client: r.ClientHost,
				Broker: r.StoreHost, CostMs: r.CostMs, Success: r.Success,
				Detail: "topic=" + r.Topic + " tags=" + r.Tags + " keys=" + r.Keys})
			if r.Success {
				ev = append(ev, TraceEvent{Kind: "store", Timestamp: r.Timestamp + r.CostMs, Broker: r.StoreHost,
					Success: true, Detail: "offsetMsgId=" + r.OffsetMsgID})
			}
		case TraceSubBefore:
			e := TraceEvent{Kind: "consume", Timestamp: r.Timestamp, Group: r.Group, Client: r.ClientHost,
				Attempt: r.RetryTimes + 1, Status: "NO-RESULT"}
			if a, ok := after[r.RequestID]; ok {
				e.CostMs, e.Success, e.Status = a.CostMs, a.Success, consumeStatus(a.ContextCode, a.Success)
			}
			ev = append(ev, e)
		case TraceEndTransaction:
			ev = append(ev, TraceEvent{Kind: "end-transaction", Timestamp: r.Timestamp, Group: r.Group,
				Broker: r.StoreHost, Success: true, Status: r.TransactionState})
		}
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].Timestamp < ev[j].Timestamp })
	return ev
}
