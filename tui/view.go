package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/tui/render"
)

// Screen layout: header, title, body (table or text), footer (prompt, status or key hints).
const chromeLines = 3

func (m *Model) bodyRows() int { return max(1, m.height-chromeLines) }

// textLines is how many of p's text lines fit above its table.
func (m *Model) textLines(p *page) int {
	if len(p.text) == 0 {
		return 0
	}
	return min(len(p.text)+1, m.bodyRows()/2) // +1: blank line under the text
}

// tableRows is how many table rows (without the header) fit on p's body.
func (m *Model) tableRows(p *page) int { return max(1, m.bodyRows()-m.textLines(p)-1) }

// View renders the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "mq tui"
	return v
}

func (m *Model) render() string {
	p := m.top()
	lines := []string{m.header(p), m.title(p)}
	if m.help {
		lines = append(lines, m.helpLines()...)
	} else {
		lines = append(lines, m.body(p)...)
	}
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = append(lines[:max(0, m.height-1)], m.footer(p))
	return strings.Join(lines, "\n")
}

var kindTitle = map[kind]string{kindBrokers: "Brokers", kindTopics: "Topics", kindTopic: "Topic", kindGroups: "Groups",
	kindGroup: "Group", kindMessages: "Messages", kindMessage: "Message"}

func (m *Model) header(p *page) string {
	parts := []string{"mq tui", "ns " + m.cfg.NameServers}
	if !p.at.IsZero() {
		parts = append(parts, "refreshed "+p.at.Format("15:04:05"))
	} else if p.err != nil {
		parts = append(parts, "no answer yet")
	} else {
		parts = append(parts, "loading…")
	}
	if m.cfg.Refresh > 0 {
		parts = append(parts, "every "+m.cfg.Refresh.String())
	}
	h := m.th.Header.Render(render.Cut(" "+strings.Join(parts, " │ "), m.width))
	if p.summary != "" {
		s := " │ " + p.summary
		if p.partial {
			return h + m.th.Partial.Render(render.Cut(s, m.width-len([]rune(" "+strings.Join(parts, " │ ")))))
		}
		return h + m.th.Header.Render(render.Cut(s, m.width-len([]rune(" "+strings.Join(parts, " │ ")))))
	}
	return h
}

func (m *Model) title(p *page) string {
	var crumbs []string
	for _, q := range m.stack {
		c := kindTitle[q.key.kind]
		if q.key.arg != "" {
			c += "(" + q.key.arg + ")"
		}
		crumbs = append(crumbs, c)
	}
	t := " " + strings.Join(crumbs, " > ")
	if p.key.kind != kindMessage && p.loaded {
		vis := p.visible().Len()
		if p.filter != "" {
			t += fmt.Sprintf(" [%d/%d] /%s", vis, p.table.Len(), p.filter)
		} else {
			t += fmt.Sprintf(" [%d]", vis)
		}
	}
	return m.th.Title.Render(render.Cut(t, m.width))
}

func (m *Model) body(p *page) []string {
	if !p.loaded {
		if p.err != nil {
			return []string{m.th.Error.Render(render.Cut(" could not load: "+p.err.Error(), m.width))}
		}
		return []string{" loading…"}
	}
	if p.key.kind == kindMessage {
		end := min(len(p.text), p.offset+m.bodyRows())
		out := make([]string, 0, end-p.offset)
		for _, l := range p.text[p.offset:end] {
			out = append(out, render.Cut(" "+l, m.width))
		}
		return out
	}
	var out []string
	if n := m.textLines(p); n > 0 {
		for _, l := range p.text[:min(len(p.text), n-1)] {
			out = append(out, render.Cut(" "+l, m.width))
		}
		out = append(out, "")
	}
	t := p.visible()
	if len(t.Header) == 0 {
		return out
	}
	tl := t.Lines(m.width - 1)
	out = append(out, m.th.ColHead.Render(" "+tl[0]))
	rows := tl[1:]
	if len(rows) == 0 {
		return append(out, " (none)")
	}
	end := min(len(rows), p.offset+m.tableRows(p))
	for i := p.offset; i < end; i++ {
		l := " " + rows[i]
		if i == p.cursor {
			l = m.th.Selected.Render(l + strings.Repeat(" ", max(0, m.width-len([]rune(l)))))
		} else if strings.HasSuffix(rows[i], "DOWN") {
			l = m.th.Error.Render(l)
		}
		out = append(out, l)
	}
	return out
}

func (m *Model) helpLines() []string {
	out := []string{" Keys", ""}
	for _, b := range m.keys.All() {
		h := b.Help()
		out = append(out, render.Cut(fmt.Sprintf("   %-8s %s", h.Key, h.Desc), m.width))
	}
	out = append(out, "", " Commands: :brokers  :topics [TOPIC]  :groups [GROUP]  :msgs TOPIC  :q", "", " any key closes this help")
	return out
}

func (m *Model) footer(p *page) string {
	switch m.mode {
	case modeCommand:
		return m.th.Prompt.Render(render.Cut(":"+m.input+"█", m.width))
	case modeFilter:
		return m.th.Prompt.Render(render.Cut("/"+m.input+"█", m.width))
	}
	if m.status != "" {
		return m.th.Error.Render(render.Cut(" "+m.status, m.width))
	}
	if p.err != nil {
		return m.th.Error.Render(render.Cut(" error: "+oneLine(p.err.Error()), m.width))
	}
	return m.th.Hint.Render(render.Cut(" <:>view </>filter <enter>open <m>messages <esc>back <?>help <q>quit", m.width))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
