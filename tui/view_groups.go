package tui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/tui/render"
)

func init() {
	register(command{names: []string{"groups", "group", "g", "cg"}, usage: ":groups [-a] [GROUP]", complete: "groups",
		open: func(m *Model, args []string) tea.Cmd {
			v := newGroupsView(slices.Contains(args, "-a"))
			args = slices.DeleteFunc(args, func(s string) bool { return s == "-a" })
			if len(args) > 0 {
				return m.switchTo(v, &groupView{group: args[0]})
			}
			return m.switchTo(v)
		}})
}

// groupsView lists consumer groups lag first, with time lag, clients, TPS and a state that
// compares each refresh with the previous one (draining, growing, stalled for N min…). The
// brokers' own groups (admin.IsSystemGroup) are hidden unless -a or `a`.
type groupsView struct {
	tableView
	all      atomic.Bool // read by load, toggled by `a`
	prev     map[string]render.GroupSample
	lastMove map[string]int64
}

func newGroupsView(all bool) *groupsView {
	v := &groupsView{tableView: newTable(), prev: map[string]render.GroupSample{}, lastMove: map[string]int64{}}
	v.all.Store(all)
	return v
}

func (v *groupsView) crumb() string {
	if v.all.Load() {
		return "Groups(all)"
	}
	return "Groups"
}

type groupReading struct {
	row    render.GroupRow
	sample render.GroupSample
}

func (v *groupsView) load(ctx context.Context, e env) result {
	ci, err := e.src.ClusterInfo(ctx)
	if err != nil {
		return result{err: err}
	}
	bs, err := admin.Masters(ci, "")
	if err != nil {
		return result{err: err}
	}
	gl := e.src.GroupList(ctx, bs)
	var names, all []string
	brokers := map[string][]string{}
	showAll := v.all.Load()
	for _, g := range gl.Groups {
		if len(brokers[g.GroupName]) == 0 {
			all = append(all, g.GroupName)
		}
		if !showAll && admin.IsSystemGroup(g.GroupName) {
			continue
		}
		if len(brokers[g.GroupName]) == 0 {
			names = append(names, g.GroupName)
		}
		brokers[g.GroupName] = append(brokers[g.GroupName], g.BrokerName)
	}
	now := e.now().UnixMilli()
	reads := make([]groupReading, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, g := range names {
		reads[i] = groupReading{row: render.GroupRow{Name: g, Brokers: brokers[g], Lag: -1, TimeLagMs: -1, Clients: -1}}
		if i >= countLimit {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			reads[i] = readGroup(ctx, e.src, g, brokers[g], now)
		})
	}
	wg.Wait()
	return result{summary: gl.Brokers.Summary(), partial: !gl.Brokers.Complete(), err: gl.Brokers.Err(),
		names: map[string][]string{"groups": sortedNames(all)},
		apply: func() {
			rows := make([]render.GroupRow, len(reads))
			for i, r := range reads {
				rows[i] = r.row
				if r.row.Lag < 0 {
					continue
				}
				p := v.prev[r.row.Name]
				if p.At == 0 || p.Consumed != r.sample.Consumed {
					v.lastMove[r.row.Name] = r.sample.At
				}
				if r.sample.Lag == 0 {
					v.lastMove[r.row.Name] = r.sample.At
				}
				rows[i].State = render.GroupState(p, r.sample, v.lastMove[r.row.Name])
				v.prev[r.row.Name] = r.sample
			}
			slices.SortStableFunc(rows, func(a, b render.GroupRow) int {
				if c := cmp.Compare(b.Lag, a.Lag); c != 0 {
					return c
				}
				return strings.Compare(a.Name, b.Name)
			})
			v.setTable(render.GroupsTable(rows))
		}}
}

// readGroup reads one group's progress (lag, time lag) and connections.
func readGroup(ctx context.Context, src Source, g string, brokers []string, now int64) groupReading {
	r := groupReading{row: render.GroupRow{Name: g, Brokers: brokers, Lag: -1, TimeLagMs: -1, Clients: -1}}
	gp, err := src.GroupProgress(ctx, g, "")
	if errors.Is(err, admin.ErrGroupNoOffsets) { // never consumed: no lag to speak of
		r.row.State = "no offsets"
		if gc, err := src.GroupConnections(ctx, g); err == nil {
			r.row.Clients = len(gc.Clients)
		}
		return r
	}
	if err != nil {
		r.row.Err = err
		return r
	}
	_ = src.ProgressDetails(ctx, &gp, false) // time lag: best effort
	r.row.Lag, r.row.Tps, r.row.TimeLagMs = gp.Lag, gp.ConsumeTps, 0
	for _, q := range gp.Queues {
		r.row.TimeLagMs = max(r.row.TimeLagMs, q.TimeLagMs)
		r.sample.Consumed += max(q.ConsumerOffset, 0)
	}
	if gc, err := src.GroupConnections(ctx, g); err == nil {
		r.row.Clients = len(gc.Clients)
	}
	r.sample.At, r.sample.Lag, r.sample.Clients = now, gp.Lag, max(r.row.Clients, 0)
	return r
}

func (v *groupsView) actions() []action {
	sel := func() string { id, _ := v.selected(); return id }
	return []action{
		{key: bind("a", "all/application groups", "a"), run: func(m *Model) tea.Cmd {
			v.all.Store(!v.all.Load())
			delete(m.inflight, v)
			return m.fetch(v)
		}},
		{key: bind("enter", "open group", "enter"), run: func(m *Model) tea.Cmd {
			if g := sel(); g != "" {
				return m.push(&groupView{group: g})
			}
			return nil
		}},
		{key: bind("ctrl+d", "delete group", "ctrl+d"), write: "delete group", run: func(m *Model) tea.Cmd {
			if g := sel(); g != "" {
				confirmDeleteGroup(m, g, v)
			}
			return nil
		}},
	}
}

func confirmDeleteGroup(m *Model, group string, refresh view) {
	bg := m.background()
	m.confirm("delete group "+group, []string{
		"delete consumer group " + group + " (its subscription config) from every master,",
		"and clean its committed offsets. Online consumers of it will recreate it with default settings.",
	}, func() tea.Cmd {
		return bg(func(ctx context.Context, src Source) tea.Msg {
			ci, err := src.ClusterInfo(ctx)
			if err != nil {
				return doneMsg{err: err}
			}
			bs, err := admin.Masters(ci, "")
			if err != nil {
				return doneMsg{err: err}
			}
			res := src.DeleteGroup(ctx, bs, group, true)
			return doneMsg{text: "deleted group " + group + " (" + res.Summary() + ")", err: res.Err(), refresh: refresh}
		})
	})
}

// groupView is one group: per-queue broker offset, committed offset, lag, time lag and the
// owning client. r resets its offsets, s skips its backlog; both preview per queue first.
type groupView struct {
	tableView
	group string
	gp    admin.GroupProgress
}

func (v *groupView) crumb() string { return "Group(" + v.group + ")" }

func (v *groupView) load(ctx context.Context, e env) result {
	gp, err := e.src.GroupProgress(ctx, v.group, "")
	if err != nil {
		return result{err: err}
	}
	derr := e.src.ProgressDetails(ctx, &gp, true)
	gc, cerr := e.src.GroupConnections(ctx, v.group)
	text, table := render.GroupSummary(gp, gc), render.ProgressTable(gp)
	return result{summary: gp.Brokers.Summary(), partial: !gp.Brokers.Complete(), err: joinErrs(gp.Brokers.Err(), cerr, derr),
		apply: func() { v.gp = gp; v.text = text; v.setTable(table) }}
}

func joinErrs(errs ...error) error {
	var out []string
	for _, e := range errs {
		if e != nil {
			out = append(out, e.Error())
		}
	}
	if len(out) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(out, "; "))
}

// topic is the topic of the selected queue, else the group's only topic, else "".
func (v *groupView) topic() string {
	if id, _ := v.selected(); id != "" {
		return strings.SplitN(id, "/", 2)[0]
	}
	var ts []string
	for _, q := range v.gp.Queues {
		ts = append(ts, q.Topic)
	}
	if ts = slices.Compact(slices.Sorted(slices.Values(ts))); len(ts) == 1 {
		return ts[0]
	}
	return ""
}

func (v *groupView) actions() []action {
	return []action{
		{key: bind("r", "reset offsets", "r"), write: "reset offsets", run: func(m *Model) tea.Cmd {
			t := v.topic()
			if t == "" {
				m.setStatus("", fmt.Errorf("select a queue of the topic to reset"))
				return nil
			}
			m.askFor("reset "+v.group+" on "+t+" to (earliest|latest|2006-01-02T15:04:05Z|-1h):", "", func(m *Model, to string) tea.Cmd {
				return planReset(m, v, t, to)
			})
			return nil
		}},
		{key: bind("s", "skip backlog", "s"), write: "skip backlog", run: func(m *Model) tea.Cmd {
			t := v.topic()
			if t == "" {
				m.setStatus("", fmt.Errorf("select a queue of the topic whose backlog to skip"))
				return nil
			}
			return planReset(m, v, t, "latest")
		}},
		{key: bind("ctrl+d", "delete group", "ctrl+d"), write: "delete group", run: func(m *Model) tea.Cmd {
			confirmDeleteGroup(m, v.group, v)
			return nil
		}},
	}
}

// parseResetTo reads a reset target: earliest, latest, an RFC 3339 time or a negative
// duration before now (-1h).
func parseResetTo(s string, now time.Time) (admin.ResetTo, error) {
	switch s {
	case "earliest", "oldest", "first":
		return admin.ResetTo{Kind: admin.ResetEarliest}, nil
	case "latest", "newest", "last", "now":
		return admin.ResetTo{Kind: admin.ResetLatest}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d < 0 {
		return admin.ResetTo{Kind: admin.ResetTime, Time: now.Add(d).UnixMilli()}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return admin.ResetTo{Kind: admin.ResetTime, Time: t.UnixMilli()}, nil
	}
	return admin.ResetTo{}, fmt.Errorf("reset target %q: want earliest, latest, an RFC 3339 time or -DURATION", s)
}

// planReset computes the per-queue preview (admin.PlanReset, as `mq group reset-offset
// --preview`) and opens the confirm dialog; yes applies exactly that plan.
func planReset(m *Model, v *groupView, topic, to string) tea.Cmd {
	rt, err := parseResetTo(strings.TrimSpace(to), m.cfg.Now())
	if err != nil {
		m.setStatus("", err)
		return nil
	}
	bg, group := m.background(), v.group
	return bg(func(ctx context.Context, src Source) tea.Msg {
		p, err := src.PlanReset(ctx, group, topic, rt)
		if err != nil && len(p.Queues) == 0 {
			return confirmMsg{err: err}
		}
		lines := render.ResetPreview(p, to)
		if err != nil {
			lines = append(lines, "some brokers did not answer: "+oneLine(err.Error()))
		}
		return confirmMsg{title: "reset " + group + " on " + topic + " to " + to, lines: lines, yes: bg(func(ctx context.Context, src Source) tea.Msg {
			err := src.ApplyReset(ctx, &p)
			return doneMsg{text: fmt.Sprintf("reset %s on %s to %s: %d queues", group, topic, to, len(p.Queues)), err: err, refresh: v}
		})}
	})
}
