// Package theme holds the TUI's lipgloss styles. With NoColor (NO_COLOR set) every style keeps
// only text decoration (bold, reverse), so the screen reads the same on a monochrome terminal.
package theme

import "charm.land/lipgloss/v2"

// Theme is the set of styles the views use.
type Theme struct {
	Header   lipgloss.Style // top line: app, nameservers, refresh time
	Title    lipgloss.Style // view title bar
	ColHead  lipgloss.Style // table header row
	Selected lipgloss.Style // the cursor row
	Error    lipgloss.Style // status line errors and failed rows
	Partial  lipgloss.Style // "2/3 brokers answered" when not all answered
	Hint     lipgloss.Style // key hints
	Prompt   lipgloss.Style // ':' and '/' prompt
}

// New returns the default theme, or the monochrome one when noColor is true.
func New(noColor bool) Theme {
	if noColor {
		return Theme{
			Header:   lipgloss.NewStyle().Bold(true),
			Title:    lipgloss.NewStyle().Bold(true),
			ColHead:  lipgloss.NewStyle().Bold(true),
			Selected: lipgloss.NewStyle().Reverse(true),
			Error:    lipgloss.NewStyle().Bold(true),
			Partial:  lipgloss.NewStyle().Bold(true),
			Hint:     lipgloss.NewStyle(),
			Prompt:   lipgloss.NewStyle().Bold(true),
		}
	}
	return Theme{
		Header:   lipgloss.NewStyle().Foreground(lipgloss.Color("#7dcfff")).Bold(true),
		Title:    lipgloss.NewStyle().Foreground(lipgloss.Color("#e0af68")).Bold(true),
		ColHead:  lipgloss.NewStyle().Foreground(lipgloss.Color("#9ece6a")).Bold(true),
		Selected: lipgloss.NewStyle().Foreground(lipgloss.Color("#1a1b26")).Background(lipgloss.Color("#7aa2f7")),
		Error:    lipgloss.NewStyle().Foreground(lipgloss.Color("#f7768e")).Bold(true),
		Partial:  lipgloss.NewStyle().Foreground(lipgloss.Color("#ff9e64")).Bold(true),
		Hint:     lipgloss.NewStyle().Foreground(lipgloss.Color("#565f89")),
		Prompt:   lipgloss.NewStyle().Foreground(lipgloss.Color("#bb9af7")).Bold(true),
	}
}
