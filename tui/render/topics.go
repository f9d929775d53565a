package render

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/protocol"
)

// TopicRow is one topic of the topics view.
type TopicRow struct {
	Name string
	Kind admin.TopicKind
	// ReadQueues and WriteQueues are summed over the brokers holding the topic (0: unknown).
	ReadQueues, WriteQueues int32
	Perm                    int32 // -1 when no broker reported a config
	Brokers                 int
	// Messages is the sum of max-min over its queues, -1 when not counted.
	Messages int64
	// InTPS and Groups (consuming groups) come from mqadmin statsAll's figures, -1 when not
	// asked.
	InTPS  float64
	Groups int
}

// TopicFigures are a topic's counted figures (what TopicRows leaves at -1).
type TopicFigures struct {
	Messages int64
	InTPS    float64
	Groups   int
}

// Hidden reports whether the topics view hides the kind unless asked for every topic: the
// machinery's topics (delay, transaction, trace, system).
func Hidden(k admin.TopicKind) bool {
	return k != admin.KindNormal && k != admin.KindRetry && k != admin.KindDLQ
}

// TopicRows classifies topics (admin.ClassifyTopic) and adds the queues and permission of
// each broker's topic config (configs may be partial).
func TopicRows(topics, system []string, configs []protocol.TopicConfigSerializeWrapper, figures map[string]TopicFigures) []TopicRow {
	sys := map[string]bool{}
	for _, s := range system {
		sys[s] = true
	}
	var out []TopicRow
	for _, name := range slices.Compact(slices.Sorted(slices.Values(topics))) {
		r := TopicRow{Name: name, Kind: admin.ClassifyTopic(name, sys), Perm: -1, Messages: -1, InTPS: -1, Groups: -1}
		for _, c := range configs {
			tc, ok := c.TopicConfigTable[name]
			if !ok {
				continue
			}
			r.Brokers++
			r.ReadQueues += tc.ReadQueueNums
			r.WriteQueues += tc.WriteQueueNums
			if r.Perm < 0 {
				r.Perm = tc.Perm
			} else {
				r.Perm &= tc.Perm
			}
		}
		if f, ok := figures[name]; ok {
			r.Messages, r.InTPS, r.Groups = f.Messages, f.InTPS, f.Groups
		}
		out = append(out, r)
	}
	return out
}

// TopicsTable is the topics view; with all unset the machinery's topics are left out.
func TopicsTable(rows []TopicRow, all bool) Table {
	t := Table{Header: []string{"TOPIC", "KIND", "BROKERS", "QUEUES(R/W)", "PERM", "MESSAGES", "TPS-IN", "GROUPS"}}
	for _, r := range rows {
		if !all && Hidden(r.Kind) {
			continue
		}
		q, perm, msgs, tps, groups := "-", "-", "-", "-", "-"
		if r.Brokers > 0 {
			q = fmt.Sprintf("%d/%d", r.ReadQueues, r.WriteQueues)
			perm = admin.PermString(r.Perm)
		}
		if r.Messages >= 0 {
			msgs = itoa(r.Messages)
		}
		if r.InTPS >= 0 {
			tps = f2(r.InTPS)
		}
		if r.Groups >= 0 {
			groups = strconv.Itoa(r.Groups)
		}
		t.Rows = append(t.Rows, []string{r.Name, string(r.Kind), strconv.Itoa(r.Brokers), q, perm, msgs, tps, groups})
		t.Keys = append(t.Keys, r.Name)
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
			strings.Join(addrs, " "), q.ReadQueueNums, q.WriteQueueNums, admin.PermString(q.Perm)))
	}
	return out
}

// TopicGroup is a group consuming a topic, with its lag on it.
type TopicGroup struct {
	Group   string
	Lag     int64
	Clients int
	Err     error
}

// TopicText is the lines above a topic's queues: its route and the groups consuming it.
func TopicText(rd protocol.TopicRouteData, groups []TopicGroup) []string {
	out := []string{"route:"}
	for _, l := range RouteText(rd) {
		out = append(out, "  "+l)
	}
	if len(groups) == 0 {
		return append(out, "consumed by: no group")
	}
	out = append(out, "consumed by:")
	for _, g := range groups {
		if g.Err != nil {
			out = append(out, fmt.Sprintf("  %s  lag ?  (%s)", g.Group, oneLine(g.Err.Error())))
			continue
		}
		out = append(out, fmt.Sprintf("  %s  lag %d  clients %d", g.Group, g.Lag, g.Clients))
	}
	return out
}

// QueuesTable is a topic's queue offsets.
func QueuesTable(qs []admin.QueueOffsets) Table {
	t := Table{Header: []string{"BROKER", "QUEUE", "MIN", "MAX", "MESSAGES", "LAST-STORED"}}
	for _, q := range qs {
		t.Rows = append(t.Rows, []string{q.BrokerName, strconv.Itoa(int(q.QueueID)), itoa(q.MinOffset), itoa(q.MaxOffset),
			itoa(q.MaxOffset - q.MinOffset), Millis(q.LastUpdateTimestamp)})
		t.Keys = append(t.Keys, q.BrokerName+"/"+strconv.Itoa(int(q.QueueID)))
	}
	return t
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
