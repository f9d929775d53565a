// Package render turns admin answers into table rows and text blocks for the TUI. Every
// function here is pure: DTO in, strings out, no styling and no I/O, so each one is tested
// against fixtures on its own.
package render

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// Table is a header and rows of cells; Keys holds one id per row (what enter opens).
type Table struct {
	Header []string
	Rows   [][]string
	Keys   []string
}

// Len returns the number of rows.
func (t Table) Len() int { return len(t.Rows) }

// Filter keeps the rows any of whose cells contains sub (case-insensitive).
func (t Table) Filter(sub string) Table {
	if sub == "" {
		return t
	}
	sub = strings.ToLower(sub)
	out := Table{Header: t.Header}
	for i, r := range t.Rows {
		for _, c := range r {
			if strings.Contains(strings.ToLower(c), sub) {
				out.Rows = append(out.Rows, r)
				if i < len(t.Keys) {
					out.Keys = append(out.Keys, t.Keys[i])
				}
				break
			}
		}
	}
	return out
}

// Lines lays t out in columns two spaces apart, each line cut to width (0 means no cut).
// The first line is the header.
func (t Table) Lines(width int) []string {
	w := make([]int, len(t.Header))
	for i, h := range t.Header {
		w[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.Rows {
		for i, c := range r {
			if i < len(w) {
				w[i] = max(w[i], utf8.RuneCountInString(c))
			}
		}
	}
	line := func(cells []string) string {
		var b strings.Builder
		for i := range w {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			b.WriteString(c)
			if i < len(w)-1 {
				b.WriteString(strings.Repeat(" ", w[i]-utf8.RuneCountInString(c)+2))
			}
		}
		return Cut(strings.TrimRight(b.String(), " "), width)
	}
	out := []string{line(t.Header)}
	for _, r := range t.Rows {
		out = append(out, line(r))
	}
	return out
}

// Cut shortens s to width runes, ending with "…" when cut (0 means no cut).
func Cut(s string, width int) string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:width-1]) + "…"
}

// BrokerRow is one broker with the runtime numbers the brokers view shows.
type BrokerRow struct {
	Broker      admin.Broker
	Version     string
	PutTps      float64
	GetTps      float64
	PutToday    int64
	GetToday    int64
	DispatchLag int64
	Err         error
}

// BrokerRows pairs brokers with their runtime-info answers (res.Items[i] belongs to bs[i]).
func BrokerRows(bs []admin.Broker, res admin.Results[map[string]string]) []BrokerRow {
	out := make([]BrokerRow, len(bs))
	for i, b := range bs {
		r := BrokerRow{Broker: b}
		if i >= len(res.Items) {
			r.Err = fmt.Errorf("no answer")
		} else if it := res.Items[i]; it.Err != nil {
			r.Err = it.Err
		} else {
			rt := it.Value
			r.Version = rt["brokerVersionDesc"]
			r.PutTps = firstFloat(rt["putTps"])
			r.GetTps = firstFloat(rt["getTransferredTps"])
			r.PutToday = atoi(rt["msgPutTotalTodayNow"])
			r.GetToday = atoi(rt["msgGetTotalTodayNow"])
			r.DispatchLag = atoi(rt["dispatchBehindBytes"])
		}
		out[i] = r
	}
	return out
}

// BrokersTable is the brokers view.
func BrokersTable(rows []BrokerRow) Table {
	t := Table{Header: []string{"CLUSTER", "BROKER", "ID", "ADDR", "VERSION", "TPS-IN", "TPS-OUT", "IN-TODAY", "OUT-TODAY", "DISP-LAG", "STATUS"}}
	for _, r := range rows {
		cells := []string{r.Broker.Cluster, r.Broker.Name, strconv.FormatInt(r.Broker.ID, 10), r.Broker.Addr}
		if r.Err != nil {
			cells = append(cells, "-", "-", "-", "-", "-", "-", "DOWN")
		} else {
			cells = append(cells, r.Version, f2(r.PutTps), f2(r.GetTps), itoa(r.PutToday), itoa(r.GetToday), itoa(r.DispatchLag)+"B", "up")
		}
		t.Rows = append(t.Rows, cells)
		t.Keys = append(t.Keys, r.Broker.Addr)
	}
	return t
}

// TopicType classifies a topic name the way `mq topic list` does.
func TopicType(topic string, system map[string]bool) string {
	switch {
	case strings.HasPrefix(topic, "%RETRY%"):
		return "retry"
	case strings.HasPrefix(topic, "%DLQ%"):
		return "dlq"
	case system[topic] || topic == "SCHEDULE_TOPIC_XXXX" || strings.HasPrefix(topic, "RMQ_SYS_") || topic == "TBW102":
		return "system"
	default:
		return "normal"
	}
}

// TopicsTable is the topics view, sorted by name.
func TopicsTable(topics, system []string) Table {
	sys := map[string]bool{}
	for _, s := range system {
		sys[s] = true
	}
	ts := slices.Sorted(slices.Values(topics))
	t := Table{Header: []string{"TOPIC", "TYPE"}}
	for _, topic := range slices.Compact(ts) {
		t.Rows = append(t.Rows, []string{topic, TopicType(topic, sys)})
		t.Keys = append(t.Keys, topic)
	}
	return t
}

// RouteText describes a topic's route: brokers with addresses and queue counts and permissions.
func RouteText(rd protocol.TopicRouteData) []string {
	var out []string
	qd := map[string]protocol.QueueData{}
	for _, q := range rd.QueueDatas {
		qd[q.BrokerName] = q
	}
	bds := slices.Clone(rd.BrokerDatas)
	slices.SortFunc(bds, func(a, b protocol.BrokerData) int { return strings.Compare(a.BrokerName, b.BrokerName) })
	for _, bd := range bds {
		var addrs []string
		for _, id := range slices.Sorted(maps.Keys(bd.BrokerAddrs)) {
			addrs = append(addrs, fmt.Sprintf("%d=%s", id, bd.BrokerAddrs[id]))
		}
		q := qd[bd.BrokerName]
		out = append(out, fmt.Sprintf("%s (%s) %s  read=%d write=%d perm=%s", bd.BrokerName, bd.Cluster,
			strings.Join(addrs, " "), q.ReadQueueNums, q.WriteQueueNums, Perm(q.Perm)))
	}
	return out
}

// Perm spells a permission mask as RocketMQ does (r, w, x bits 4, 2, 1).
func Perm(p int32) string {
	b := []byte("---")
	if p&4 != 0 {
		b[0] = 'r'
	}
	if p&2 != 0 {
		b[1] = 'w'
	}
	if p&1 != 0 {
		b[2] = 'x'
	}
	return string(b)
}

// QueuesTable is a topic's queue offsets.
func QueuesTable(qs []admin.QueueOffsets) Table {
	t := Table{Header: []string{"BROKER", "QUEUE", "MIN", "MAX", "MESSAGES", "LAST-UPDATE"}}
	for _, q := range qs {
		t.Rows = append(t.Rows, []string{q.BrokerName, strconv.Itoa(int(q.QueueID)), itoa(q.MinOffset), itoa(q.MaxOffset),
			itoa(q.MaxOffset - q.MinOffset), Millis(q.LastUpdateTimestamp)})
		t.Keys = append(t.Keys, q.BrokerName+"/"+strconv.Itoa(int(q.QueueID)))
	}
	return t
}

// GroupsTable is the groups view: one row per group, with the brokers that hold it.
func GroupsTable(gl admin.GroupList) Table {
	t := Table{Header: []string{"GROUP", "BROKERS", "CONSUME", "BROADCAST", "RETRY-QUEUES", "MAX-RETRY"}}
	idx := map[string]int{}
	for _, g := range gl.Groups {
		if i, ok := idx[g.GroupName]; ok {
			t.Rows[i][1] += "," + g.BrokerName
			continue
		}
		idx[g.GroupName] = len(t.Rows)
		t.Rows = append(t.Rows, []string{g.GroupName, g.BrokerName, onOff(g.ConsumeEnable), onOff(g.ConsumeBroadcastEnable),
			strconv.Itoa(int(g.RetryQueueNums)), strconv.Itoa(int(g.RetryMaxTimes))})
		t.Keys = append(t.Keys, g.GroupName)
	}
	return t
}

// ProgressTable is a group's progress per queue.
func ProgressTable(gp admin.GroupProgress) Table {
	t := Table{Header: []string{"TOPIC", "BROKER", "QUEUE", "BROKER-OFFSET", "CONSUMER-OFFSET", "LAG", "LAST-CONSUMED"}}
	for _, q := range gp.Queues {
		t.Rows = append(t.Rows, []string{q.Topic, q.BrokerName, strconv.Itoa(int(q.QueueID)), itoa(q.BrokerOffset),
			itoa(q.ConsumerOffset), itoa(q.Lag), Millis(q.LastTimestamp)})
		t.Keys = append(t.Keys, q.Topic+"/"+q.BrokerName+"/"+strconv.Itoa(int(q.QueueID)))
	}
	return t
}

// GroupSummary is the lines above a group's progress table.
func GroupSummary(gp admin.GroupProgress, gc admin.GroupConnections) []string {
	out := []string{fmt.Sprintf("total lag %d  consume tps %s  queues %d", gp.Lag, f2(gp.ConsumeTps), len(gp.Queues))}
	c := gc.Consumer
	if len(gc.Clients) == 0 {
		return append(out, "connections: none online")
	}
	out = append(out, fmt.Sprintf("connections: %d  type %s  model %s  from %s", len(gc.Clients), c.ConsumeType, c.MessageModel, c.ConsumeFromWhere))
	for _, cl := range gc.Clients {
		out = append(out, fmt.Sprintf("  %s  %s  %s  v%d", cl.ClientID, cl.ClientAddr, cl.Language, cl.Version))
	}
	return out
}

// MessagesTable lists browsed messages (newest first, as given).
func MessagesTable(ms []message.MessageExt) Table {
	t := Table{Header: []string{"STORED", "QUEUE", "OFFSET", "TAGS", "KEYS", "SIZE", "MSG-ID"}}
	for _, m := range ms {
		t.Rows = append(t.Rows, []string{Millis(m.StoreTimestamp), strconv.Itoa(int(m.QueueID)), itoa(m.QueueOffset),
			m.Tags(), m.Keys(), strconv.Itoa(len(m.Body)), m.MsgID()})
		t.Keys = append(t.Keys, m.MsgID())
	}
	return t
}

// MessageDetail describes one message: fields, properties sorted by key, and a body preview
// of at most previewBytes bytes (non-printable bytes shown as '.').
func MessageDetail(m message.MessageExt, previewBytes int) []string {
	out := []string{
		"msgId:        " + m.MsgID(),
		"offsetMsgId:  " + m.OffsetMsgID(),
		"topic:        " + m.Topic,
		fmt.Sprintf("queue:        %d  offset %d  commitlog %d", m.QueueID, m.QueueOffset, m.CommitLogOffset),
		"tags:         " + m.Tags(),
		"keys:         " + m.Keys(),
		"born:         " + Millis(m.BornTimestamp) + "  " + m.BornHost.String(),
		"stored:       " + Millis(m.StoreTimestamp) + "  " + m.StoreHost.String(),
		fmt.Sprintf("reconsume:    %d  sysFlag %d  body %d bytes", m.ReconsumeTimes, m.SysFlag, len(m.Body)),
		"",
		"properties:",
	}
	for _, k := range slices.Sorted(maps.Keys(m.Properties)) {
		out = append(out, "  "+k+"="+m.Properties[k])
	}
	out = append(out, "", "body:")
	body := m.Body
	more := ""
	if len(body) > previewBytes {
		body, more = body[:previewBytes], fmt.Sprintf("… (%d more bytes)", len(m.Body)-previewBytes)
	}
	for _, l := range strings.Split(printable(body), "\n") {
		out = append(out, "  "+l)
	}
	if more != "" {
		out = append(out, "  "+more)
	}
	return out
}

func printable(b []byte) string {
	if utf8.Valid(b) {
		return strings.Map(func(r rune) rune {
			if r == '\n' || (r >= 0x20 && r != 0x7f) {
				return r
			}
			return '.'
		}, string(b))
	}
	out := make([]byte, len(b))
	for i, c := range b {
		if c == '\n' || (c >= 0x20 && c < 0x7f) {
			out[i] = c
		} else {
			out[i] = '.'
		}
	}
	return string(out)
}

// Millis formats a ms timestamp as local "2006-01-02 15:04:05", "-" for 0.
func Millis(ms int64) string {
	if ms <= 0 {
		return "-"
	}
	return time.UnixMilli(ms).Format(time.DateTime)
}

func onOff(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func firstFloat(s string) float64 {
	f, _ := strconv.ParseFloat(strings.Fields(s + " 0")[0], 64)
	return f
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
func f2(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }
