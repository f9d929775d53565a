package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/tui/render"
)

// A view is one screen: a model of its own behind this interface. The root Model keeps a
// stack of them (breadcrumbs, esc), loads them off the UI goroutine with load, and dispatches
// the keys it does not handle itself to their actions. Adding a view is one file: the view
// and its register call.
type view interface {
	// crumb is the breadcrumb: "Topics", "Topic(Orders)".
	crumb() string
	// state is the view's load state, kept by the root.
	state() *viewState
	// load fetches the view's data. It runs on its own goroutine and must not touch the
	// view: the result's apply does that, on the UI goroutine.
	load(ctx context.Context, e env) result
	// actions are the view's own keys (enter included), listed by `?`.
	actions() []action
	// body renders the view in w columns and h lines.
	body(m *Model, w, h int) []string
	// move moves the cursor (or scrolls) by d lines.
	move(d int)
	// selected is the id under the cursor ("" for none) and the object `y` shows.
	selected() (id string, obj any)
}

// viewState is what the root knows of a view's loading.
type viewState struct {
	loaded  bool
	static  bool // nothing to load (a detail built from what the parent had)
	at      time.Time
	err     error
	summary string // "2/3 brokers answered"
	partial bool
}

func (s *viewState) state() *viewState { return s }

// env is what a load may use; it is a copy, safe on the load's goroutine.
type env struct {
	src     Source
	browseN int
	now     func() time.Time
}

// result is one load's answer. apply (nil when nothing was read) stores the data in the
// view; a failed refresh without apply keeps what the view showed.
type result struct {
	apply   func()
	summary string
	partial bool
	err     error
	// names feed the prompt's completion: "topics" and "groups".
	names map[string][]string
}

// action is a key of a view. write, when set, says what it changes: read-only mode refuses
// such actions in one place (Model.act).
type action struct {
	key   key.Binding
	write string
	run   func(m *Model) tea.Cmd
}

func bind(help, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// command is a `:` command opening views.
type command struct {
	names []string // the first is the canonical name
	usage string   // ":topics [-a] [TOPIC]"
	// complete names the kind of live names its first argument completes from ("topics",
	// "groups") or "".
	complete string
	open     func(m *Model, args []string) tea.Cmd
}

var commands []command

// register adds a `:` command; each view file registers its own.
func register(c command) { commands = append(commands, c) }

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if slices.Contains(c.names, name) {
			return c, true
		}
	}
	return command{}, false
}

func commandUsages() string {
	var u []string
	for _, c := range commands {
		u = append(u, c.usage)
	}
	return strings.Join(u, "  ")
}

// staticState is the state of a view built from data already at hand.
func staticState(at time.Time) viewState { return viewState{loaded: true, static: true, at: at} }

// ---- table view: the shared component of every list ----

// tableView is a table with filter, sort, cursor and scroll, and optional text lines above
// it. List views embed it.
type tableView struct {
	viewState
	text    []string
	data    render.Table
	filter  string
	sortCol int // -1: as given
	desc    bool
	cursor  int
	offset  int
	rows    int // table rows on screen at the last render
	vis     render.Table
	lines   []string // vis laid out at linesW
	linesW  int
	wide    bool // w: lines are not cut; hoff scrolls them sideways
	hoff    int
	// pick is what a load needs to read details for the rows on screen first (detailOrder);
	// set on the UI goroutine by refilter, read by loads.
	pick *atomic.Pointer[detailPick]
}

// detailPick is the view's filter and sort and the table it last showed.
type detailPick struct {
	filter  string
	sortCol int
	desc    bool
	last    render.Table
}

// detailOrder returns the keys of base (a fresh load's rows, before their details are read)
// in the order the view would show them: filtered by the view's filter, in its sort, ordered
// by the cells of the table last shown where that had the row (a sort by a detail column
// sorts by the figures of the last refresh), new rows after. A load that reads details for
// at most n rows reads them for the first n of these, the ones on screen.
func (t *tableView) detailOrder(base render.Table) []string {
	var p *detailPick
	if t.pick != nil {
		p = t.pick.Load()
	}
	if p == nil {
		return base.Keys
	}
	fb := base.Filter(p.filter)
	in := map[string]bool{}
	for _, k := range fb.Keys {
		in[k] = true
	}
	out := make([]string, 0, len(fb.Keys))
	for _, tb := range []render.Table{p.last.Filter(p.filter).Sort(p.sortCol, p.desc), fb.Sort(p.sortCol, p.desc)} {
		for _, k := range tb.Keys {
			if in[k] {
				out = append(out, k)
				delete(in, k)
			}
		}
	}
	return out
}

// detailKeys is the first n keys of detailOrder(base), and, when that leaves rows out, the
// header's hint saying so.
func (t *tableView) detailKeys(base render.Table, n int) (keys []string, hint string) {
	order := t.detailOrder(base)
	if len(order) > n {
		return order[:n], fmt.Sprintf("details for %d of %d rows", n, len(order))
	}
	return order, ""
}

// toggleWide switches between rows cut to the screen and full rows scrolled sideways.
func (t *tableView) toggleWide() string {
	t.wide, t.hoff, t.lines = !t.wide, 0, nil
	if t.wide {
		return "wide: ←/→ (h/l) scroll sideways, w cuts rows to the screen again"
	}
	return "rows cut to the screen"
}

// scrollSide moves a wide table sideways by d columns.
func (t *tableView) scrollSide(d int) {
	if !t.wide {
		return
	}
	w := 0
	for _, l := range t.vis.Lines(0)[:1] { // the header is as wide as any row
		w = len([]rune(l))
	}
	t.hoff = max(0, min(t.hoff+d, w-10))
}

func newTable() tableView { return tableView{sortCol: -1, pick: new(atomic.Pointer[detailPick])} }

// setTable replaces the rows, keeping the cursor on the same row id when it is still there.
func (t *tableView) setTable(d render.Table) {
	id, _ := t.tableSelected()
	t.data = d
	t.refilter()
	if i := slices.Index(t.vis.Keys, id); id != "" && i >= 0 {
		t.cursor = i
	}
	t.clamp()
}

func (t *tableView) refilter() {
	t.vis = t.data.Filter(t.filter).Sort(t.sortCol, t.desc)
	t.lines = nil
	if t.pick != nil {
		t.pick.Store(&detailPick{filter: t.filter, sortCol: t.sortCol, desc: t.desc, last: t.data})
	}
}

func (t *tableView) setFilter(f string) {
	t.filter = f
	t.cursor, t.offset = 0, 0
	t.refilter()
}

// sortNext sorts by the next column (o), or reverses the order (O).
func (t *tableView) sortNext(reverse bool) string {
	if len(t.data.Header) == 0 {
		return ""
	}
	if reverse {
		t.desc = !t.desc
	} else {
		t.sortCol = (t.sortCol + 1) % len(t.data.Header)
		t.desc = false
	}
	t.refilter()
	t.clamp()
	return t.sortStatus()
}

// sortBy sorts by the first column whose header starts with letter; N, when no header starts
// with it, sorts by the name (the first column: GROUP, TOPIC, whose G and T may be taken). The
// same letter again reverses the order.
func (t *tableView) sortBy(letter rune) string {
	col := slices.IndexFunc(t.data.Header, func(h string) bool {
		return h != "" && strings.EqualFold(h[:1], string(letter))
	})
	if col < 0 && unicode.ToUpper(letter) == 'N' && len(t.data.Header) > 0 {
		col = 0
	}
	if col < 0 {
		return fmt.Sprintf("no column starts with %c", unicode.ToUpper(letter))
	}
	if col == t.sortCol {
		t.desc = !t.desc
	} else {
		t.sortCol, t.desc = col, false
	}
	t.refilter()
	t.clamp()
	return t.sortStatus()
}

func (t *tableView) sortStatus() string {
	dir := "ascending"
	if t.desc {
		dir = "descending"
	}
	return "sorted by " + t.data.Header[max(t.sortCol, 0)] + " " + dir
}

func (t *tableView) move(d int) {
	t.cursor += d
	t.clamp()
}

func (t *tableView) clamp() {
	n := t.vis.Len()
	t.cursor = max(0, min(t.cursor, n-1))
	rows := max(t.rows, 1)
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+rows {
		t.offset = t.cursor - rows + 1
	}
	t.offset = max(0, min(t.offset, n-rows))
}

func (t *tableView) tableSelected() (string, map[string]string) {
	if t.cursor < 0 || t.cursor >= len(t.vis.Keys) {
		return "", nil
	}
	obj := map[string]string{}
	for i, h := range t.vis.Header {
		if h != "" && i < len(t.vis.Rows[t.cursor]) {
			obj[strings.ToLower(h)] = t.vis.Rows[t.cursor][i]
		}
	}
	return t.vis.Keys[t.cursor], obj
}

func (t *tableView) selected() (string, any) {
	id, obj := t.tableSelected()
	if id == "" {
		return "", nil
	}
	return id, obj
}

// atBottom reports whether the cursor is on the last row.
func (t *tableView) atBottom() bool { return t.cursor >= t.vis.Len()-1 }

func (t *tableView) body(m *Model, w, h int) []string {
	var out []string
	if len(t.text) > 0 {
		n := min(len(t.text), max(h/2-1, 1))
		for _, l := range t.text[:n] {
			out = append(out, render.Cut(" "+l, w))
		}
		out = append(out, "")
	}
	if len(t.data.Header) == 0 {
		return out
	}
	if t.lines == nil || t.linesW != w {
		cut := w - 1
		if t.wide {
			cut = 0
		}
		t.lines, t.linesW = t.vis.Lines(cut), w
	}
	side := func(l string) string {
		if !t.wide {
			return l
		}
		r := []rune(l)
		return render.Cut(string(r[min(t.hoff, len(r)):]), w-1)
	}
	out = append(out, m.th.ColHead.Render(" "+side(t.lines[0])))
	t.rows = max(1, h-len(out))
	t.clamp()
	rows := t.lines[1:]
	if len(rows) == 0 {
		return append(out, " (none)")
	}
	end := min(len(rows), t.offset+t.rows)
	for i := t.offset; i < end; i++ {
		l := " " + side(rows[i])
		switch {
		case i == t.cursor:
			l = m.th.Selected.Render(l + strings.Repeat(" ", max(0, w-len([]rune(l)))))
		case i < len(t.vis.Rows) && slices.ContainsFunc(t.vis.Rows[i][1:], func(c string) bool { return c == "DOWN" || c == "GONE" }):
			l = m.th.Error.Render(l)
		}
		out = append(out, l)
	}
	return out
}

// count is the title's "[n]" or "[n/total]".
func (t *tableView) count() (vis, total int) { return t.vis.Len(), t.data.Len() }

// ---- pane view: a scrolling text, for details ----

type paneView struct {
	viewState
	lines  []string
	offset int
	h      int
}

func (p *paneView) move(d int) {
	p.offset = max(0, min(p.offset+d, len(p.lines)-max(p.h, 1)))
}

func (p *paneView) body(_ *Model, w, h int) []string {
	p.h = h
	p.move(0)
	end := min(len(p.lines), p.offset+h)
	out := make([]string, 0, end-p.offset)
	for _, l := range p.lines[p.offset:end] {
		out = append(out, render.Cut(" "+l, w))
	}
	return out
}
