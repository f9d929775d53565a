// Package render turns admin answers into table rows and text blocks for the TUI. Every
// function here is pure: DTO in, strings out, no styling and no I/O, so each one is tested
// against fixtures on its own.
package render

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mq-project/mq/admin"
)

// Table is a header and rows of cells; Keys holds one id per row (what enter opens).
type Table struct {
	Header []string
	Rows   [][]string
	Keys   []string
}

// Len returns the number of rows.
func (t Table) Len() int { return len(t.Rows) }

// Filter keeps the rows with a cell matching expr, a case-insensitive regular expression (a
// plain substring when it does not compile); a leading '!' keeps the rows that do not match.
func (t Table) Filter(expr string) Table {
	inverse := strings.HasPrefix(expr, "!")
	expr = strings.TrimPrefix(expr, "!")
	if expr == "" {
		return t
	}
	re, err := regexp.Compile("(?i)" + expr)
	if err != nil {
		re = regexp.MustCompile("(?i)" + regexp.QuoteMeta(expr))
	}
	out := Table{Header: t.Header}
	for i, r := range t.Rows {
		if slices.ContainsFunc(r, re.MatchString) == inverse {
			continue
		}
		out.Rows = append(out.Rows, r)
		if i < len(t.Keys) {
			out.Keys = append(out.Keys, t.Keys[i])
		}
	}
	return out
}

// Sort returns t sorted by column col (cells that read as numbers, sizes or ages compare as
// numbers; "-" sorts lowest), descending when desc. An out-of-range col leaves t as it is.
func (t Table) Sort(col int, desc bool) Table {
	if col < 0 || col >= len(t.Header) {
		return t
	}
	idx := make([]int, len(t.Rows))
	for i := range idx {
		idx[i] = i
	}
	cell := func(i int) string {
		if col < len(t.Rows[i]) {
			return t.Rows[i][col]
		}
		return ""
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		c := compareCells(cell(a), cell(b))
		if desc {
			return -c
		}
		return c
	})
	out := Table{Header: t.Header, Rows: make([][]string, len(idx))}
	for i, j := range idx {
		out.Rows[i] = t.Rows[j]
		if j < len(t.Keys) {
			out.Keys = append(out.Keys, t.Keys[j])
		}
	}
	return out
}

func compareCells(a, b string) int {
	fa, oka := cellNumber(a)
	fb, okb := cellNumber(b)
	switch {
	case oka && okb:
		return cmp.Compare(fa, fb)
	case oka != okb: // numbers after "-" and words
		if oka {
			return 1
		}
		return -1
	}
	return strings.Compare(a, b)
}

// cellNumber reads "12", "1.5", "64B", "3m2s" as a number.
func cellNumber(s string) (float64, bool) {
	if f, err := strconv.ParseFloat(strings.TrimSuffix(s, "B"), 64); err == nil {
		return f, true
	}
	if d, err := time.ParseDuration(s); err == nil {
		return float64(d), true
	}
	return 0, false
}

// Lines lays t out in columns two spaces apart, each line cut to width (0 means no cut).
// The first line is the header.
func (t Table) Lines(width int) []string {
	w := make([]int, len(t.Header))
	for i, h := range t.Header {
		w[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.Rows {
		for i, c := range r {
			if i < len(w) {
				w[i] = max(w[i], utf8.RuneCountInString(c))
			}
		}
	}
	line := func(cells []string) string {
		var b strings.Builder
		for i := range w {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			b.WriteString(c)
			if i < len(w)-1 {
				b.WriteString(strings.Repeat(" ", w[i]-utf8.RuneCountInString(c)+2))
			}
		}
		return Cut(strings.TrimRight(b.String(), " "), width)
	}
	out := []string{line(t.Header)}
	for _, r := range t.Rows {
		out = append(out, line(r))
	}
	return out
}

// Cut shortens s to width runes, ending with "…" when cut (0 means no cut).
func Cut(s string, width int) string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:width-1]) + "…"
}

// Millis writes a ms timestamp as the CLI does (admin.FormatTime, RFC 3339 UTC), "-" for none.
func Millis(ms int64) string { return dash(admin.FormatTime(ms)) }

// Age writes a duration in ms as the CLI does (admin.FormatAge), "-" for none.
func Age(ms int64) string { return dash(admin.FormatAge(ms)) }

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func onOff(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func firstFloat(s string) float64 {
	f, _ := strconv.ParseFloat(strings.Fields(s + " 0")[0], 64)
	return f
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
func f2(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }
