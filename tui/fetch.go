package tui

import (
	"context"
	"errors"

	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/tui/render"
)

// kind is what a page shows.
type kind int

const (
	kindBrokers kind = iota
	kindTopics
	kindTopic
	kindGroups
	kindGroup
	kindMessages
	kindMessage
)

// String names the kind in logs.
func (k kind) String() string { return kindTitle[k] }

// pageKey names a page: its kind and argument (topic, group or message id).
type pageKey struct {
	kind kind
	arg  string
}

// loadedMsg is the answer of one fetch for the page key.
type loadedMsg struct {
	key     pageKey
	table   render.Table
	text    []string
	msgs    []message.MessageExt
	summary string // "2/3 brokers answered"
	partial bool
	err     error
}

// tickMsg asks for the periodic refresh.
type tickMsg struct{}

// fetch returns the command that loads the page k, or nil for pages that need no loading.
func (m *Model) fetch(k pageKey) tea.Cmd {
	if k.kind == kindMessage {
		return nil
	}
	if m.inflight[k] {
		return nil
	}
	m.inflight[k] = true
	src, parent, timeout, browseN := m.cfg.Source, m.cfg.Context, m.cfg.Timeout, m.cfg.BrowseN
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		msg := load(ctx, src, k, browseN)
		msg.key = k
		return msg
	}
}

func load(ctx context.Context, src Source, k pageKey, browseN int) loadedMsg {
	var out loadedMsg
	switch k.kind {
	case kindBrokers:
		ci, err := src.ClusterInfo(ctx)
		if err != nil {
			return loadedMsg{err: err}
		}
		bs, err := admin.Brokers(ci, "")
		if err != nil {
			return loadedMsg{err: err}
		}
		res := src.RuntimeInfos(ctx, bs)
		out.table = render.BrokersTable(render.BrokerRows(bs, res))
		out.summary, out.partial, out.err = res.Summary(), !res.Complete(), res.Err()
	case kindTopics:
		ts, err := src.TopicList(ctx)
		if err != nil {
			return loadedMsg{err: err}
		}
		sys, _ := src.SystemTopics(ctx) // optional: without it names still classify by prefix
		out.table = render.TopicsTable(ts, sys)
	case kindTopic:
		rd, err := src.TopicRoute(ctx, k.arg)
		if err != nil {
			return loadedMsg{err: err}
		}
		out.text = append([]string{"route:"}, indent(render.RouteText(rd))...)
		ts, err := src.TopicStatus(ctx, k.arg)
		if err != nil {
			out.err = err
			return out
		}
		out.table = render.QueuesTable(ts.Queues)
		out.summary, out.partial, out.err = ts.Brokers.Summary(), !ts.Brokers.Complete(), ts.Brokers.Err()
	case kindGroups:
		ci, err := src.ClusterInfo(ctx)
		if err != nil {
			return loadedMsg{err: err}
		}
		bs, err := admin.Masters(ci, "")
		if err != nil {
			return loadedMsg{err: err}
		}
		gl := src.GroupList(ctx, bs)
		out.table = render.GroupsTable(gl)
		out.summary, out.partial, out.err = gl.Brokers.Summary(), !gl.Brokers.Complete(), gl.Brokers.Err()
	case kindGroup:
		gp, err := src.GroupProgress(ctx, k.arg, "")
		if err != nil {
			return loadedMsg{err: err}
		}
		gc, cerr := src.GroupConnections(ctx, k.arg)
		out.text = render.GroupSummary(gp, gc)
		out.table = render.ProgressTable(gp)
		out.summary, out.partial = gp.Brokers.Summary(), !gp.Brokers.Complete()
		out.err = errors.Join(gp.Brokers.Err(), cerr, gc.Brokers.Err())
	case kindMessages:
		ms, ts, err := browseNewest(ctx, src, k.arg, browseN)
		out.msgs = ms
		out.table = render.MessagesTable(ms)
		out.err = err
		if len(ts.Brokers.Items) > 0 {
			out.summary, out.partial = ts.Brokers.Summary(), !ts.Brokers.Complete()
			out.err = errors.Join(err, ts.Brokers.Err())
		}
	}
	return out
}

func indent(ls []string) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = "  " + l
	}
	return out
}
