package tui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/tui/render"
)

func init() {
	register(command{names: []string{"delay", "timer"}, usage: ":delay",
		open: func(m *Model, _ []string) tea.Cmd { return m.switchTo(&delayView{tableView: newTable()}) }})
	register(command{names: []string{"half", "txn"}, usage: ":half",
		open: func(m *Model, _ []string) tea.Cmd { return m.switchTo(&halfView{tableView: newTable()}) }})
	register(command{names: []string{"dlq"}, usage: ":dlq [GROUP]", complete: "groups",
		open: func(m *Model, args []string) tea.Cmd {
			if len(args) > 0 {
				return m.switchTo(&dlqsView{tableView: newTable()}, newDLQView(args[0]))
			}
			return m.switchTo(&dlqsView{tableView: newTable()})
		}})
}

// masters lists the cluster's masters (delay and half state live on them).
func masters(ctx context.Context, src Source) ([]admin.Broker, error) {
	ci, err := src.ClusterInfo(ctx)
	if err != nil {
		return nil, err
	}
	return admin.Masters(ci, "")
}

// forEach asks every broker of bs, as admin.ForEachBroker does, through the Source.
func forEach[T any](ctx context.Context, bs []admin.Broker, fn func(ctx context.Context, addr string) (T, error)) admin.Results[T] {
	r := admin.Results[T]{Kind: admin.KindBroker, Items: make([]admin.Result[T], len(bs))}
	var wg sync.WaitGroup
	for i, b := range bs {
		r.Items[i] = admin.Result[T]{Cluster: b.Cluster, Name: b.Name, ID: b.ID, Addr: b.Addr}
		wg.Go(func() { r.Items[i].Value, r.Items[i].Err = fn(ctx, b.Addr) })
	}
	wg.Wait()
	return r
}

// delayView is `:delay`: each master's delay levels (delay, pending, delivered, next due) and
// its timer wheel (admin.DelayStatus, as `mq delay status`).
type delayView struct{ tableView }

func (v *delayView) crumb() string     { return "Delay" }
func (v *delayView) actions() []action { return nil }

func (v *delayView) load(ctx context.Context, e env) result {
	bs, err := masters(ctx, e.src)
	if err != nil {
		return result{err: err}
	}
	res := forEach(ctx, bs, e.src.DelayStatus)
	t := render.DelayTable(res)
	var pending int64
	for _, it := range res.Items {
		for _, l := range it.Value.Levels {
			pending += l.Pending
		}
		if it.Value.Timer != nil {
			pending += it.Value.Timer.Pending + it.Value.Timer.Backlog
		}
	}
	text := []string{fmt.Sprintf("%d delayed messages pending (levels and timer)", pending)}
	return result{summary: res.Summary(), partial: !res.Complete(), err: res.Err(),
		apply: func() { v.text = text; v.setTable(t) }}
}

// halfView is `:half`: pending half (transaction) messages per master queue, with the oldest
// age and checks sent, and the pending messages themselves (admin.TransactionStatus, as `mq
// txn half`).
type halfView struct{ tableView }

func (v *halfView) crumb() string     { return "Half" }
func (v *halfView) actions() []action { return nil }

// halfListed bounds the pending half messages listed per broker.
const halfListed = 50

func (v *halfView) load(ctx context.Context, e env) result {
	bs, err := masters(ctx, e.src)
	if err != nil {
		return result{err: err}
	}
	res := forEach(ctx, bs, func(ctx context.Context, addr string) (admin.TxnStatus, error) {
		ts, err := e.src.TransactionStatus(ctx, addr, halfListed)
		if admin.IsCode(err, protocol.TopicNotExist) {
			// An Apache broker that never had a transaction has no half topic yet: nothing
			// is pending there.
			return admin.TxnStatus{Source: admin.SourceFallback}, nil
		}
		return ts, err
	})
	t, text := render.HalfTable(res), render.HalfMessages(res, e.now().UnixMilli())
	return result{summary: res.Summary(), partial: !res.Complete(), err: res.Err(),
		apply: func() { v.text = text; v.setTable(t) }}
}

// dlqsView is `:dlq`: every group's dead-letter queue with its message count.
type dlqsView struct{ tableView }

func (v *dlqsView) crumb() string { return "DLQ" }

func (v *dlqsView) load(ctx context.Context, e env) result {
	ts, err := e.src.TopicList(ctx)
	if err != nil {
		return result{err: err}
	}
	var rows []render.DLQRow
	var errs []error
	for _, t := range ts {
		g, ok := strings.CutPrefix(t, admin.DLQPrefix)
		if !ok {
			continue
		}
		r := render.DLQRow{Group: g, Topic: t}
		st, err := e.src.TopicStatus(ctx, t)
		if err == nil {
			err = st.Brokers.Err()
		}
		for _, q := range st.Queues {
			r.Messages += q.MaxOffset - q.MinOffset
			r.Last = max(r.Last, q.LastUpdateTimestamp)
		}
		if err != nil {
			r.Err = err
			errs = append(errs, err)
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b render.DLQRow) int {
		if c := cmp.Compare(b.Messages, a.Messages); c != 0 {
			return c
		}
		return strings.Compare(a.Group, b.Group)
	})
	return result{err: errors.Join(errs...), partial: len(errs) > 0, apply: func() { v.setTable(render.DLQTable(rows)) }}
}

func (v *dlqsView) actions() []action {
	return []action{
		{key: bind("enter", "browse dead letters", "enter"), run: func(m *Model) tea.Cmd {
			if g, _ := v.selected(); g != "" {
				return m.push(newDLQView(g))
			}
			return nil
		}},
		{key: bind("R", "resend all", "R"), write: "resend dead letters", run: func(m *Model) tea.Cmd {
			if g, _ := v.selected(); g != "" {
				return confirmResendAll(m, g, v)
			}
			return nil
		}},
	}
}

// dlqView browses one group's dead letters (newest first, like :msgs); r resends the
// selected one, R all of them, back to the group (admin.ResendDeadLetters, as `mq dlq
// resend`).
type dlqView struct {
	msgsView
	group string
}

func newDLQView(group string) *dlqView {
	return &dlqView{msgsView: *newMsgsView(admin.DLQTopic(group)), group: group}
}

func (v *dlqView) crumb() string { return "DLQ(" + v.group + ")" }

func (v *dlqView) actions() []action {
	return append(v.msgsView.actions(),
		action{key: bind("r", "resend this one", "r"), write: "resend a dead letter", run: func(m *Model) tea.Cmd {
			fm, ok := v.current()
			if !ok {
				return nil
			}
			confirmResend(m, v.group, []message.MessageExt{fm.MessageExt}, v)
			return nil
		}},
		action{key: bind("R", "resend all", "R"), write: "resend dead letters", run: func(m *Model) tea.Cmd {
			return confirmResendAll(m, v.group, v)
		}})
}

// resendMax bounds a resend-all.
const resendMax = 10000

func confirmResend(m *Model, group string, msgs []message.MessageExt, refresh view) {
	d := resendDialog(m.background(), group, msgs, refresh)
	m.confirm(d.title, d.lines, func() tea.Cmd { return d.yes })
}

// resendDialog is the confirmation of a resend: which messages go where.
func resendDialog(bg background, group string, msgs []message.MessageExt, refresh view) confirmMsg {
	lines := []string{fmt.Sprintf("send %d dead letter(s) of %s back to %s (or their original topic),", len(msgs), group, admin.RetryTopic(group)),
		"with fresh retry counts, for the group's consumers to consume again:"}
	for i, x := range msgs {
		if i == 10 {
			lines = append(lines, fmt.Sprintf("  … and %d more", len(msgs)-10))
			break
		}
		lines = append(lines, fmt.Sprintf("  %s  keys=%s  stored %s", x.MsgID(), x.Keys(), admin.FormatTime(x.StoreTimestamp)))
	}
	return confirmMsg{title: fmt.Sprintf("resend %d dead letter(s) of %s", len(msgs), group), lines: lines, yes: bg(func(ctx context.Context, src Source) tea.Msg {
		rs := src.ResendDeadLetters(ctx, group, msgs)
		return doneMsg{text: fmt.Sprintf("resent %d of %d dead letters of %s", len(rs)-admin.ResendFailures(rs), len(msgs), group),
			err: admin.ResendErr(rs), refresh: refresh}
	})}
}

// confirmResendAll reads the group's dead letters (admin.DeadLetters, as `mq dlq resend
// --all`), then confirms.
func confirmResendAll(m *Model, group string, refresh view) tea.Cmd {
	bg := m.background()
	return bg(func(ctx context.Context, src Source) tea.Msg {
		msgs, err := src.DeadLetters(ctx, group, "", resendMax)
		if err != nil {
			return confirmMsg{err: err}
		}
		if len(msgs) == 0 {
			return confirmMsg{err: fmt.Errorf("%s holds no dead letters", admin.DLQTopic(group))}
		}
		return resendDialog(bg, group, msgs, refresh)
	})
}
