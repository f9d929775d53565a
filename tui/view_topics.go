package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/tui/render"
)

func init() {
	register(command{names: []string{"topics", "topic", "t", "tp"}, usage: ":topics [-a] [TOPIC]", complete: "topics",
		open: func(m *Model, args []string) tea.Cmd {
			v := newTopicsView(slices.Contains(args, "-a"))
			args = slices.DeleteFunc(args, func(s string) bool { return s == "-a" })
			if len(args) > 0 {
				return m.switchTo(v, &topicView{topic: args[0]})
			}
			return m.switchTo(v)
		}})
}

// countLimit bounds the per-topic (and per-group) fan-out of one refresh: the lists count
// messages (or lag) of at most this many rows and show "-" beyond.
const countLimit = 200

// topicsView lists topics with their kind, queues, permission and message count. The
// machinery's topics (delay, transaction, trace, system) are hidden unless -a or `a`.
type topicsView struct {
	tableView
	all  atomic.Bool // read by load, toggled by `a`
	rows []render.TopicRow
}

func newTopicsView(all bool) *topicsView {
	v := &topicsView{tableView: newTable()}
	v.all.Store(all)
	return v
}

func (v *topicsView) crumb() string {
	if v.all.Load() {
		return "Topics(all)"
	}
	return "Topics"
}

func (v *topicsView) load(ctx context.Context, e env) result {
	ts, err := e.src.TopicList(ctx)
	if err != nil {
		return result{err: err}
	}
	sys, _ := e.src.SystemTopics(ctx) // optional: without it names still classify by prefix
	var cfgs []protocol.TopicConfigSerializeWrapper
	var errs []error
	answers := admin.Results[struct{}]{Kind: admin.KindBroker}
	ci, err := e.src.ClusterInfo(ctx)
	if err == nil {
		ms, _ := admin.Masters(ci, "")
		for _, b := range ms {
			c, err := e.src.AllTopicConfig(ctx, b.Addr)
			answers.Items = append(answers.Items, admin.Result[struct{}]{Cluster: b.Cluster, Name: b.Name, ID: b.ID, Addr: b.Addr, Err: err})
			if err != nil {
				errs = append(errs, fmt.Errorf("topic configs of %s %s: %w", b.Name, b.Addr, err))
				continue
			}
			cfgs = append(cfgs, c)
		}
	} else {
		errs = append(errs, err)
	}
	all := v.all.Load()
	rows := render.TopicRows(ts, sys, cfgs, nil)
	var count []string
	for _, r := range rows {
		if (all || !render.Hidden(r.Kind)) && len(count) < countLimit {
			count = append(count, r.Name)
		}
	}
	figs := topicFigures(ctx, e.src, count)
	for i := range rows {
		if f, ok := figs[rows[i].Name]; ok {
			rows[i].Messages, rows[i].InTPS, rows[i].Groups = f.Messages, f.InTPS, f.Groups
		}
	}
	summary := ""
	if len(answers.Items) > 0 {
		summary = answers.Summary()
	}
	return result{err: errors.Join(errs...), partial: len(errs) > 0, summary: summary, names: map[string][]string{"topics": sortedNames(ts)},
		apply: func() { v.rows = rows; v.setTable(render.TopicsTable(rows, v.all.Load())) }}
}

// topicFigures counts, for each topic, its messages (max-min over its queues, TopicStatus)
// and, as mqadmin statsAll does (StatsAll), its put TPS and consuming groups; eight topics at
// a time. A topic whose figures could not be read is left out.
func topicFigures(ctx context.Context, src Source, topics []string) map[string]render.TopicFigures {
	out := map[string]render.TopicFigures{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, t := range topics {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			st, err := src.TopicStatus(ctx, t)
			if err != nil {
				return
			}
			f := render.TopicFigures{InTPS: -1, Groups: -1}
			for _, q := range st.Queues {
				f.Messages += q.MaxOffset - q.MinOffset
			}
			if sa, err := src.StatsAll(ctx, []string{t}); err == nil && len(sa.Rows) > 0 {
				f.InTPS, f.Groups = 0, 0
				for _, r := range sa.Rows {
					if r.Group == "" {
						f.InTPS += r.InTPS
					} else {
						f.Groups++
					}
				}
			}
			mu.Lock()
			out[t] = f
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

func (v *topicsView) actions() []action {
	sel := func() string { id, _ := v.selected(); return id }
	return []action{
		{key: bind("enter", "open topic", "enter"), run: func(m *Model) tea.Cmd {
			if t := sel(); t != "" {
				return m.push(&topicView{topic: t})
			}
			return nil
		}},
		{key: bind("m", "messages", "m"), run: func(m *Model) tea.Cmd {
			if t := sel(); t != "" {
				return m.push(newMsgsView(t))
			}
			return nil
		}},
		{key: bind("a", "all/user topics", "a"), run: func(m *Model) tea.Cmd {
			v.all.Store(!v.all.Load())
			v.setTable(render.TopicsTable(v.rows, v.all.Load()))
			return m.fetch(v)
		}},
		{key: bind("n", "new topic", "n"), write: "create topic", run: func(m *Model) tea.Cmd {
			m.askFor("create topic (NAME [QUEUES]):", "", createTopic)
			return nil
		}},
		{key: bind("ctrl+d", "delete topic", "ctrl+d"), write: "delete topic", run: func(m *Model) tea.Cmd {
			if t := sel(); t != "" {
				return confirmDeleteTopic(m, t, v)
			}
			return nil
		}},
	}
}

// createTopic confirms and creates a topic on every master.
func createTopic(m *Model, answer string) tea.Cmd {
	f := strings.Fields(answer)
	if len(f) == 0 {
		return nil
	}
	tc := protocol.NewTopicConfig(f[0])
	if len(f) > 1 {
		n, err := strconv.Atoi(f[1])
		if err != nil || n <= 0 || n > 1024 {
			m.setStatus("", fmt.Errorf("queues %q: want 1..1024", f[1]))
			return nil
		}
		tc.ReadQueueNums, tc.WriteQueueNums = int32(n), int32(n)
	}
	bg, refresh := m.background(), m.top()
	return bg(func(ctx context.Context, src Source) tea.Msg {
		ci, err := src.ClusterInfo(ctx)
		if err != nil {
			return doneMsg{err: err}
		}
		bs, err := admin.Masters(ci, "")
		if err != nil {
			return doneMsg{err: err}
		}
		lines := []string{fmt.Sprintf("create topic %s: %d read / %d write queues, perm %s", tc.TopicName, tc.ReadQueueNums,
			tc.WriteQueueNums, admin.PermString(tc.Perm)), "on the masters:"}
		for _, b := range bs {
			lines = append(lines, "  "+b.Name+" "+b.Addr)
		}
		return confirmMsg{title: "create topic " + tc.TopicName, lines: lines, yes: bg(func(ctx context.Context, src Source) tea.Msg {
			res := src.CreateTopic(ctx, bs, tc)
			return doneMsg{text: "created topic " + tc.TopicName + " (" + res.Summary() + ")", err: res.Err(), refresh: refresh}
		})}
	})
}

func confirmDeleteTopic(m *Model, topic string, refresh view) tea.Cmd {
	bg := m.background()
	m.confirm("delete topic "+topic, []string{
		"delete topic " + topic + " from every broker of its route and from the nameservers.",
		"Its messages become unreachable; consumers of it stop. This cannot be undone.",
	}, func() tea.Cmd {
		return bg(func(ctx context.Context, src Source) tea.Msg {
			r, err := src.DeleteTopic(ctx, topic, "")
			if err == nil {
				err = r.Err()
			}
			return doneMsg{text: "deleted topic " + topic, err: err, refresh: refresh}
		})
	})
	return nil
}

// topicView is one topic: its route, the groups consuming it with their lag, and per-queue
// min/max offsets and last store time.
type topicView struct {
	tableView
	topic string
}

func (v *topicView) crumb() string { return "Topic(" + v.topic + ")" }

func (v *topicView) load(ctx context.Context, e env) result {
	rd, err := e.src.TopicRoute(ctx, v.topic)
	if err != nil {
		return result{err: err}
	}
	ts, err := e.src.TopicStatus(ctx, v.topic)
	if err != nil {
		return result{err: err}
	}
	seen := map[string]bool{}
	var groups []string
	for _, b := range admin.RouteMasters(rd) {
		gs, err := e.src.TopicConsumers(ctx, b.Addr, v.topic)
		if err != nil {
			continue
		}
		for _, g := range gs {
			if !seen[g] {
				seen[g] = true
				groups = append(groups, g)
			}
		}
	}
	slices.Sort(groups)
	var tg []render.TopicGroup
	for _, g := range groups[:min(len(groups), countLimit)] {
		r := render.TopicGroup{Group: g}
		gp, err := e.src.GroupProgress(ctx, g, v.topic)
		r.Lag, r.Err = gp.Lag, err
		if gc, err := e.src.GroupConnections(ctx, g); err == nil {
			r.Clients = len(gc.Clients)
		}
		tg = append(tg, r)
	}
	text, table := render.TopicText(rd, tg), render.QueuesTable(ts.Queues)
	return result{summary: ts.Brokers.Summary(), partial: !ts.Brokers.Complete(), err: ts.Brokers.Err(),
		apply: func() { v.text = text; v.setTable(table) }}
}

func (v *topicView) actions() []action {
	return []action{
		{key: bind("enter", "messages", "enter", "m"), run: func(m *Model) tea.Cmd { return m.push(newMsgsView(v.topic)) }},
		{key: bind("ctrl+d", "delete topic", "ctrl+d"), write: "delete topic", run: func(m *Model) tea.Cmd {
			return confirmDeleteTopic(m, v.topic, v)
		}},
	}
}
