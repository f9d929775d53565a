// Package keys holds every key binding of the TUI in one place; the help overlay is drawn from it.
package keys

import "charm.land/bubbles/v2/key"

// Map is the TUI's key bindings.
type Map struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Enter, Back, Quit, Help                 key.Binding
	Command, Filter, Refresh, Messages      key.Binding
}

// Default returns the k9s-like bindings.
func Default() Map {
	b := func(help, desc string, ks ...string) key.Binding {
		return key.NewBinding(key.WithKeys(ks...), key.WithHelp(help, desc))
	}
	return Map{
		Up:       b("↑/k", "up", "up", "k"),
		Down:     b("↓/j", "down", "down", "j"),
		PageUp:   b("pgup", "page up", "pgup", "ctrl+b"),
		PageDown: b("pgdn", "page down", "pgdown", "ctrl+f"),
		Top:      b("g", "top", "g", "home"),
		Bottom:   b("G", "bottom", "G", "end"),
		Enter:    b("enter", "open", "enter"),
		Back:     b("esc", "back", "esc"),
		Quit:     b("q", "quit", "q", "ctrl+c"),
		Help:     b("?", "help", "?"),
		Command:  b(":", "command (:brokers :topics :groups :msgs TOPIC)", ":"),
		Filter:   b("/", "filter rows", "/"),
		Refresh:  b("ctrl+r", "refresh now", "ctrl+r"),
		Messages: b("m", "messages of the selected topic", "m"),
	}
}

// All returns the bindings in help order.
func (m Map) All() []key.Binding {
	return []key.Binding{m.Up, m.Down, m.PageUp, m.PageDown, m.Top, m.Bottom, m.Enter, m.Back,
		m.Command, m.Filter, m.Messages, m.Refresh, m.Help, m.Quit}
}
