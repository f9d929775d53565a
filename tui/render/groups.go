package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/protocol"
)

// GroupSample is one refresh's reading of a group.
type GroupSample struct {
	At       int64 // ms
	Lag      int64
	Consumed int64 // sum of the committed offsets
	Clients  int
}

// StalledAfter is how long a lagging group's offsets must stand still to be called stalled.
const StalledAfter = time.Minute

// GroupState names a group's trend from its previous and current samples; lastMove is when
// (ms) its committed offsets last moved: offline (no client), caught-up, draining (lag going
// down), growing, stalled for N min (lagging and not moving for StalledAfter), lagging.
func GroupState(prev, cur GroupSample, lastMove int64) string {
	switch {
	case cur.Clients == 0:
		return "offline"
	case cur.Lag == 0:
		return "caught-up"
	case lastMove > 0 && cur.At-lastMove >= StalledAfter.Milliseconds():
		return fmt.Sprintf("stalled %dm", (cur.At-lastMove)/time.Minute.Milliseconds())
	case prev.At == 0:
		return "lagging"
	case cur.Lag < prev.Lag:
		return "draining"
	case cur.Lag > prev.Lag:
		return "growing"
	}
	return "lagging"
}

// GroupRow is one group of the groups view.
type GroupRow struct {
	Name    string
	Brokers []string
	// Lag, TimeLagMs and Clients are -1 when not asked (beyond the detail limit) or failed.
	Lag       int64
	TimeLagMs int64
	Clients   int
	Tps       float64
	State     string
	Err       error
}

// GroupsTable is the groups view, lag first: the biggest lag on top, then by name.
func GroupsTable(rows []GroupRow) Table {
	t := Table{Header: []string{"GROUP", "LAG", "TIME-LAG", "CLIENTS", "TPS", "STATE", "BROKERS"}}
	for _, r := range rows {
		lag, tl, cl, tps := "-", "-", "-", "-"
		if r.Lag >= 0 {
			lag, tl, tps = itoa(r.Lag), Age(r.TimeLagMs), f2(r.Tps)
		}
		if r.Clients >= 0 {
			cl = strconv.Itoa(r.Clients)
		}
		state := r.State
		if r.Err != nil {
			state = "error: " + oneLine(r.Err.Error())
		}
		t.Rows = append(t.Rows, []string{r.Name, lag, tl, cl, tps, dash(state), strings.Join(r.Brokers, ",")})
		t.Keys = append(t.Keys, r.Name)
	}
	return t
}

// ProgressTable is a group's progress per queue.
func ProgressTable(gp admin.GroupProgress) Table {
	t := Table{Header: []string{"TOPIC", "BROKER", "QUEUE", "BROKER-OFFSET", "CONSUMER-OFFSET", "LAG", "TIME-LAG", "CLIENT", "LAST-CONSUMED"}}
	for _, q := range gp.Queues {
		t.Rows = append(t.Rows, []string{q.Topic, q.BrokerName, strconv.Itoa(int(q.QueueID)), itoa(q.BrokerOffset),
			itoa(q.ConsumerOffset), itoa(q.Lag), Age(q.TimeLagMs), dash(q.Client), Millis(q.LastTimestamp)})
		t.Keys = append(t.Keys, q.Topic+"/"+q.BrokerName+"/"+strconv.Itoa(int(q.QueueID)))
	}
	return t
}

// GroupSummary is the lines above a group's progress table.
func GroupSummary(gp admin.GroupProgress, gc admin.GroupConnections) []string {
	var oldest int64
	for _, q := range gp.Queues {
		oldest = max(oldest, q.TimeLagMs)
	}
	out := []string{fmt.Sprintf("total lag %d  time lag %s  consume tps %s  queues %d", gp.Lag, Age(oldest), f2(gp.ConsumeTps), len(gp.Queues))}
	c := gc.Consumer
	if len(gc.Clients) == 0 {
		return append(out, "connections: none online")
	}
	out = append(out, fmt.Sprintf("connections: %d  type %s  model %s  from %s", len(gc.Clients), c.ConsumeType, c.MessageModel, c.ConsumeFromWhere))
	for _, cl := range gc.Clients {
		out = append(out, fmt.Sprintf("  %s  %s  %s  %s", cl.ClientID, cl.ClientAddr, cl.Language, protocol.VersionName(int(cl.Version))))
	}
	return out
}

// ResetPreview is what a reset will change, queue by queue: the confirm dialog's body.
func ResetPreview(p admin.ResetPlan, to string) []string {
	out := []string{fmt.Sprintf("reset group %s on topic %s to %s:", p.Group, p.Topic, to)}
	t := Table{Header: []string{"BROKER", "QUEUE", "MIN", "MAX", "CURRENT", "TARGET", "CHANGE"}}
	var total int64
	for _, q := range p.Queues {
		cur := "none"
		d := q.Target
		if q.Current >= 0 {
			cur, d = itoa(q.Current), q.Target-q.Current
		}
		total += d
		t.Rows = append(t.Rows, []string{q.BrokerName, strconv.Itoa(int(q.QueueID)), itoa(q.MinOffset), itoa(q.MaxOffset), cur, itoa(q.Target), signed(d)})
	}
	for _, l := range t.Lines(0) {
		out = append(out, "  "+l)
	}
	if total > 0 {
		return append(out, fmt.Sprintf("%d messages skipped", total))
	}
	return append(out, fmt.Sprintf("%d messages consumed again", -total))
}

func signed(n int64) string {
	if n > 0 {
		return "+" + itoa(n)
	}
	return itoa(n)
}
