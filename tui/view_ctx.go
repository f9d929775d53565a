package tui

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/tui/render"
)

func init() {
	register(command{names: []string{"ctx", "context", "contexts"}, usage: ":ctx [NAME]",
		open: func(m *Model, args []string) tea.Cmd {
			if len(args) > 0 {
				return m.useContext(args[0])
			}
			return m.switchTo(newCtxView(m))
		}})
}

// ctxView lists the contexts of `mq ctx`; enter switches to one.
type ctxView struct{ tableView }

func newCtxView(m *Model) *ctxView {
	v := &ctxView{tableView: newTable()}
	v.viewState = staticState(m.cfg.Now())
	t := render.Table{Header: []string{"CURRENT", "NAME", "NAMESERVERS", "READ-ONLY"}}
	for _, c := range m.cfg.Contexts {
		cur, ro := "", "no"
		if c.Name == m.ctxName {
			cur = "*"
		}
		if c.ReadOnly {
			ro = "yes"
		}
		t.Rows = append(t.Rows, []string{cur, c.Name, c.NameServers, ro})
		t.Keys = append(t.Keys, c.Name)
	}
	v.setTable(t)
	return v
}

func (v *ctxView) crumb() string                    { return "Contexts" }
func (v *ctxView) load(context.Context, env) result { return result{} }

func (v *ctxView) actions() []action {
	return []action{{key: bind("enter", "use context", "enter"), run: func(m *Model) tea.Cmd {
		if name, _ := v.selected(); name != "" {
			return m.useContext(name)
		}
		return nil
	}}}
}

// useContext switches the cluster: a new Source from Config.Switch, the header's context
// and nameservers, and the context's read-only mark; then the brokers view.
func (m *Model) useContext(name string) tea.Cmd {
	if m.cfg.Switch == nil {
		m.setStatus("", fmt.Errorf("contexts cannot be switched here"))
		return nil
	}
	src, c, err := m.cfg.Switch(name)
	if err != nil {
		m.setStatus("", err)
		return nil
	}
	m.src, m.ctxName, m.ns = src, c.Name, c.NameServers
	m.readOnly = m.cfg.ReadOnly
	if c.ReadOnly && m.readOnly == "" {
		m.readOnly = fmt.Sprintf("context %q is read-only", c.Name)
	}
	m.inflight = map[view]bool{}
	m.names = map[string][]string{}
	m.prev = nil
	m.setStatus("switched to context "+c.Name, nil)
	return m.switchTo(newBrokersView())
}
