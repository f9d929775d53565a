package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/tui/render"
)

func init() {
	register(command{names: []string{"trace", "tr"}, usage: ":trace MSGID",
		open: func(m *Model, args []string) tea.Cmd {
			if len(args) < 1 {
				m.setStatus("usage: :trace MSGID", nil)
				return nil
			}
			return m.switchTo(newTraceView(args[0]))
		}})
}

// traceView is a message's trace timeline (admin.MessageTrace, as `mq message trace`): send,
// store, each group's consume attempts with status, cost and retry count.
type traceView struct {
	tableView
	id string
	tr admin.Trace
}

func newTraceView(id string) *traceView { return &traceView{tableView: newTable(), id: id} }

func (v *traceView) crumb() string { return "Trace(" + v.id + ")" }

func (v *traceView) load(ctx context.Context, e env) result {
	tr, err := e.src.MessageTrace(ctx, "", v.id)
	if err != nil && len(tr.Events) == 0 && !admin.IsCode(err, protocol.TopicNotExist) { // no trace topic yet: no trace
		return result{err: err}
	}
	return result{apply: func() {
		v.tr = tr
		v.text = render.TraceText(tr)
		v.setTable(render.TraceTable(tr))
	}}
}

func (v *traceView) actions() []action       { return nil }
func (v *traceView) refreshes() bool         { return false }
func (v *traceView) selected() (string, any) { return v.id, v.tr }
