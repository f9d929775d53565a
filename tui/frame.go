package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/tui/render"
)

// Screen layout: header, title, body, footer.
const chromeLines = 3

func (m *Model) bodyRows() int { return max(1, m.height-chromeLines) }

// View renders the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "mq tui"
	return v
}

func (m *Model) render() string {
	v := m.top()
	lines := []string{m.header(v), m.title(v)}
	h := m.bodyRows()
	switch {
	case m.dialog != nil:
		lines = append(lines, m.dialogLines(h)...)
	case m.over != nil:
		lines = append(lines, m.over.body(m, m.width, h)...)
	default:
		lines = append(lines, m.body(v, h)...)
	}
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = append(lines[:max(0, m.height-1)], m.footer(v))
	return strings.Join(lines, "\n")
}

func (m *Model) header(v view) string {
	parts := []string{"mq tui"}
	if m.ctxName != "" {
		parts = append(parts, "ctx "+m.ctxName)
	}
	parts = append(parts, "ns "+m.ns)
	st := v.state()
	switch {
	case !st.at.IsZero():
		parts = append(parts, "refreshed "+st.at.Format("15:04:05"))
	case st.err != nil:
		parts = append(parts, "no answer yet")
	default:
		parts = append(parts, "loading…")
	}
	if m.paused {
		parts = append(parts, "PAUSED")
	} else if m.cfg.Refresh > 0 {
		parts = append(parts, "every "+m.cfg.Refresh.String())
	}
	left := " " + strings.Join(parts, " │ ")
	var b strings.Builder
	if m.readOnly != "" {
		left += " │ "
	}
	b.WriteString(m.th.Header.Render(render.Cut(left, m.width)))
	used := len([]rune(left))
	if m.readOnly != "" && used < m.width {
		b.WriteString(m.th.Partial.Render(render.Cut("READ-ONLY", m.width-used)))
		used += len("READ-ONLY")
	}
	if st.summary != "" && used < m.width {
		s := render.Cut(" │ "+st.summary, m.width-used)
		if st.partial {
			b.WriteString(m.th.Partial.Render(s))
		} else {
			b.WriteString(m.th.Header.Render(s))
		}
	}
	return b.String()
}

func (m *Model) title(v view) string {
	var crumbs []string
	for _, q := range m.stack {
		crumbs = append(crumbs, q.crumb())
	}
	t := " " + strings.Join(crumbs, " > ")
	if m.over != nil {
		t += " > " + m.over.title
	}
	if c, ok := v.(interface{ count() (int, int) }); ok && v.state().loaded && m.over == nil {
		vis, total := c.count()
		if f := m.filterOf(v); f != "" {
			t += fmt.Sprintf(" [%d/%d] /%s", vis, total, f)
		} else {
			t += fmt.Sprintf(" [%d]", vis)
		}
	}
	return m.th.Title.Render(render.Cut(t, m.width))
}

func (m *Model) body(v view, h int) []string {
	st := v.state()
	if !st.loaded {
		if st.err != nil {
			return []string{m.th.Error.Render(render.Cut(" could not load: "+oneLine(st.err.Error()), m.width))}
		}
		return []string{" loading…"}
	}
	return v.body(m, m.width, h)
}

// dialogLines draws the confirm dialog: a boxed title, what changes, and the keys.
func (m *Model) dialogLines(h int) []string {
	d := m.dialog
	w := max(m.width-4, 10)
	out := []string{" ┌" + strings.Repeat("─", w) + "┐", " │" + pad(" CONFIRM: "+d.title, w) + "│", " │" + strings.Repeat(" ", w) + "│"}
	body := d.lines
	if len(body) > h-6 {
		body = append(body[:max(h-7, 0)], fmt.Sprintf("… %d more lines", len(d.lines)-max(h-7, 0)))
	}
	for _, l := range body {
		out = append(out, " │"+pad(" "+l, w)+"│")
	}
	out = append(out, " │"+strings.Repeat(" ", w)+"│", " │"+pad(" <y/enter> do it   <n/esc> cancel", w)+"│", " └"+strings.Repeat("─", w)+"┘")
	out[1] = m.th.Title.Render(out[1])
	return out
}

func pad(s string, w int) string {
	s = render.Cut(s, w)
	return s + strings.Repeat(" ", max(0, w-len([]rune(s))))
}

func (m *Model) footer(v view) string {
	switch m.mode {
	case modeCommand:
		_, cs := m.candidates(m.input)
		hint := ""
		if len(cs) > 0 && m.input != "" {
			hint = "   " + strings.Join(cs[:min(len(cs), 8)], " ")
		}
		return m.th.Prompt.Render(render.Cut(":"+m.input+"█"+hint, m.width))
	case modeFilter:
		return m.th.Prompt.Render(render.Cut("/"+m.input+"█", m.width))
	case modeAsk:
		return m.th.Prompt.Render(render.Cut(m.ask.label+" "+m.input+"█", m.width))
	}
	if m.status != "" {
		if m.statErr {
			return m.th.Error.Render(render.Cut(" "+m.status, m.width))
		}
		return m.th.Hint.Render(render.Cut(" "+m.status, m.width))
	}
	if st := v.state(); st.err != nil {
		return m.th.Error.Render(render.Cut(" error: "+oneLine(st.err.Error()), m.width))
	}
	hints := []string{"<?>help"}
	for _, a := range v.actions() {
		if a.write != "" && m.readOnly != "" {
			continue
		}
		hints = append(hints, "<"+a.key.Help().Key+">"+a.key.Help().Desc)
	}
	s := strings.Join(append(hints, "<:>cmd </>filter <esc>back"), " ")
	if m.readOnly != "" {
		s = "read-only (" + m.readOnly + "): changes disabled │ " + s
	}
	return m.th.Hint.Render(render.Cut(" "+s, m.width))
}
