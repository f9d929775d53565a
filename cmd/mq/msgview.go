package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
)

// messageView is a message as the message commands print it (stable JSON field names).
type messageView struct {
	BrokerName     string            `json:"brokerName,omitempty"`
	Topic          string            `json:"topic"`
	QueueID        int32             `json:"queueId"`
	QueueOffset    int64             `json:"queueOffset"`
	MsgID          string            `json:"msgId"`
	OffsetMsgID    string            `json:"offsetMsgId"`
	Tags           string            `json:"tags,omitempty"`
	Keys           string            `json:"keys,omitempty"`
	StoreTime      string            `json:"storeTime"`
	StoreTimestamp int64             `json:"storeTimestamp"`
	BornTimestamp  int64             `json:"bornTimestamp"`
	BornHost       string            `json:"bornHost"`
	StoreHost      string            `json:"storeHost"`
	ReconsumeTimes int32             `json:"reconsumeTimes"`
	CommitLogOff   int64             `json:"commitLogOffset"`
	SysFlag        int32             `json:"sysFlag"`
	Properties     map[string]string `json:"properties"`
	BodyLength     int               `json:"bodyLength"`
	// Body is the body as text when it is UTF-8, else base64 (BodyEncoding "base64").
	Body         string `json:"body"`
	BodyEncoding string `json:"bodyEncoding,omitempty"`
}

func viewMessage(brokerName string, m *message.MessageExt) messageView {
	v := messageView{BrokerName: brokerName, Topic: m.Topic, QueueID: m.QueueID, QueueOffset: m.QueueOffset,
		MsgID: m.MsgID(), OffsetMsgID: m.OffsetMsgID(), Tags: m.Tags(), Keys: m.Keys(),
		StoreTime: admin.FormatTimeMs(m.StoreTimestamp), StoreTimestamp: m.StoreTimestamp, BornTimestamp: m.BornTimestamp,
		BornHost: m.BornHost.String(), StoreHost: m.StoreHost.String(), ReconsumeTimes: m.ReconsumeTimes,
		CommitLogOff: m.CommitLogOffset, SysFlag: m.SysFlag, Properties: m.Properties, BodyLength: len(m.Body)}
	if v.Properties == nil {
		v.Properties = map[string]string{}
	}
	if utf8.Valid(m.Body) {
		v.Body = string(m.Body)
	} else {
		v.Body, v.BodyEncoding = base64.StdEncoding.EncodeToString(m.Body), "base64"
	}
	return v
}

func viewFound(fs []admin.FoundMessage) []messageView {
	out := make([]messageView, 0, len(fs))
	for i := range fs {
		out = append(out, viewMessage(fs[i].BrokerName, &fs[i].MessageExt))
	}
	return out
}

// messagesTable is the table of a message list.
func messagesTable(ms []messageView) table {
	t := table{header: []string{"MSG-ID", "BROKER", "QUEUE", "OFFSET", "TAGS", "KEYS", "STORE-TIME", "BODY"},
		wide: []string{"OFFSET-MSG-ID", "RECONSUME", "BORN-HOST", "PROPERTIES"}}
	for _, m := range ms {
		t.add(m.MsgID, m.BrokerName, strconv.Itoa(int(m.QueueID)), strconv.FormatInt(m.QueueOffset, 10), m.Tags, m.Keys,
			m.StoreTime, shorten(m.Body, 40), m.OffsetMsgID, strconv.Itoa(int(m.ReconsumeTimes)), m.BornHost,
			propsText(m.Properties))
	}
	return t
}

// messageDetail is the key/value table of one message.
func messageDetail(m messageView) table {
	t := table{header: []string{"FIELD", "VALUE"}}
	t.add("Topic", m.Topic)
	t.add("Broker", m.BrokerName)
	t.add("Queue", strconv.Itoa(int(m.QueueID)))
	t.add("Queue offset", strconv.FormatInt(m.QueueOffset, 10))
	t.add("Msg id", m.MsgID)
	t.add("Offset msg id", m.OffsetMsgID)
	t.add("Tags", m.Tags)
	t.add("Keys", m.Keys)
	t.add("Store time", m.StoreTime)
	t.add("Born time", admin.FormatTimeMs(m.BornTimestamp))
	t.add("Born host", m.BornHost)
	t.add("Store host", m.StoreHost)
	t.add("Reconsume times", strconv.Itoa(int(m.ReconsumeTimes)))
	t.add("Properties", propsText(m.Properties))
	t.add("Body length", strconv.Itoa(m.BodyLength))
	t.add("Body", shorten(m.Body, 200))
	return t
}

func shorten(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", `\n`)
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// parseWhen reads a time flag: RFC 3339, "2006-01-02 15:04:05" or "2006-01-02" in local
// time, Unix milliseconds, or a duration meaning that long ago ("1h", "-30m").
func parseWhen(flag, s string, now time.Time) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if s == "now" {
		return now.UnixMilli(), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(s, "-")); err == nil {
		return now.Add(-d).UnixMilli(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, &usageError{Err: fmt.Errorf("--%s %q: want RFC 3339, \"2006-01-02 15:04:05\", Unix ms or a duration ago like 1h", flag, s)}
}

// parseProps reads k=v flags.
func parseProps(flag string, kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, &usageError{Err: fmt.Errorf("--%s %q: want key=value", flag, kv)}
		}
		out[k] = v
	}
	return out, nil
}

// notFound reports whether err says a message was not found (exit 1 with a clear message).
func notFound(err error) bool { return errors.Is(err, admin.ErrMessageNotFound) }

// propsText shows properties as k=v pairs separated by spaces, sorted by key.
func propsText(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k + "=" + p[k])
	}
	return b.String()
}
