// Package keys holds the TUI's common key bindings in one place; the help overlay is drawn
// from them and from each view's own actions.
package keys

import "charm.land/bubbles/v2/key"

// Map is the key bindings every view shares.
type Map struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Back, Previous, Quit, Help              key.Binding
	Command, Filter, Refresh, Pause         key.Binding
	Sort, SortReverse, SortBy, YAML, Copy   key.Binding
	Wide, Left, Right                       key.Binding
}

// Default returns the k9s-like bindings.
func Default() Map {
	b := func(help, desc string, ks ...string) key.Binding {
		return key.NewBinding(key.WithKeys(ks...), key.WithHelp(help, desc))
	}
	return Map{
		Up:          b("↑/k", "up", "up", "k"),
		Down:        b("↓/j", "down", "down", "j"),
		PageUp:      b("pgup", "page up", "pgup", "ctrl+b"),
		PageDown:    b("pgdn", "page down", "pgdown", "ctrl+f"),
		Top:         b("g", "top", "g", "home"),
		Bottom:      b("G", "bottom", "G", "end"),
		Back:        b("esc", "back (or clear the filter)", "esc"),
		Previous:    b("-", "previous view", "-"),
		Quit:        b("q", "quit", "q", "ctrl+c"),
		Help:        b("?", "keys of this view", "?"),
		Command:     b(":", "command, tab completes, ↑/↓ history", ":"),
		Filter:      b("/", "filter rows: regex, !regex inverts", "/"),
		Refresh:     b("ctrl+r", "refresh now", "ctrl+r"),
		Pause:       b("p", "pause/resume auto-refresh", "p"),
		Sort:        b("o", "sort by the next column", "o"),
		SortReverse: b("O", "reverse the sort", "O"),
		SortBy:      b("N L …", "shift+letter: sort by the column named so (N: name); again reverses", shiftLetters()...),
		YAML:        b("y", "show the selected object as YAML", "y"),
		Copy:        b("c", "copy the selected id (OSC 52)", "c"),
		Wide:        b("w", "wide rows, scrolled sideways", "w"),
		Left:        b("←/h", "scroll left (wide)", "left", "h"),
		Right:       b("→/l", "scroll right (wide)", "right", "l"),
	}
}

// All returns the bindings in help order.
func (m Map) All() []key.Binding {
	return []key.Binding{m.Up, m.Down, m.PageUp, m.PageDown, m.Top, m.Bottom, m.Back, m.Previous,
		m.Command, m.Filter, m.Sort, m.SortReverse, m.SortBy, m.Wide, m.Left, m.Right, m.YAML, m.Copy, m.Refresh, m.Pause, m.Help, m.Quit}
}

// shiftLetters are the shift+letter keys sorting by a column (k9s: shift+N by name), both as
// the typed capital and as the keystroke of terminals reporting shift. G (bottom) and O
// (reverse) keep their meaning.
func shiftLetters() []string {
	var ks []string
	for r := 'A'; r <= 'Z'; r++ {
		if r == 'G' || r == 'O' {
			continue
		}
		ks = append(ks, string(r), "shift+"+string(r+'a'-'A'))
	}
	return ks
}
