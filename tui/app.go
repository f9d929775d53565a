package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"go.yaml.in/yaml/v3"

	"github.com/mq-project/mq/tui/keys"
	"github.com/mq-project/mq/tui/theme"
)

// Config configures the TUI model.
type Config struct {
	// Source answers the admin questions (required).
	Source Source
	// NameServers is shown in the header.
	NameServers string
	// ContextName is the mq ctx context in use ("" for none), shown in the header.
	ContextName string
	// ReadOnly, when not "", disables every mutation and says why ("--readonly",
	// `context "prod" is read-only`).
	ReadOnly string
	// Contexts are what `:ctx` lists; Switch opens one (nil: :ctx only lists).
	Contexts []Context
	Switch   func(name string) (Source, Context, error)
	// Refresh is the auto-refresh period; 0 turns auto-refresh off. Default in cmd/mq: 2s.
	Refresh time.Duration
	// Timeout bounds each fetch; default 10s.
	Timeout time.Duration
	// BrowseN is how many messages per queue a page of the messages view reads; default 50.
	BrowseN int
	// NoColor selects the monochrome theme (NO_COLOR).
	NoColor bool
	// Logger gets events; nil discards. Never a terminal stream.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Context parents every fetch; default context.Background().
	Context context.Context
}

// Context is a named cluster of `mq ctx`.
type Context struct {
	Name        string `json:"name"`
	NameServers string `json:"nameservers"`
	ReadOnly    bool   `json:"readOnly"`
}

type mode int

const (
	modeNormal mode = iota
	modeCommand
	modeFilter
	modeAsk
)

// dialog is a confirmation: what will change, and what yes does.
type dialog struct {
	title string
	lines []string
	yes   func() tea.Cmd
}

// ask is a one-line question in the footer (a topic name, a reset target).
type ask struct {
	label string
	done  func(m *Model, answer string) tea.Cmd
}

// overlay is a text shown over the view (help, `y`).
type overlay struct {
	title string
	paneView
}

// Model is the root bubbletea model: a stack of views, the prompt, dialogs and status.
type Model struct {
	cfg      Config
	log      *slog.Logger
	keys     keys.Map
	th       theme.Theme
	src      Source
	ns       string
	ctxName  string
	readOnly string
	stack    []view
	prev     []view // the stack before the last switch, for '-'
	mode     mode
	input    string
	hist     []string
	histPos  int
	ask      *ask
	dialog   *dialog
	over     *overlay
	status   string
	statErr  bool
	paused   bool
	width    int
	height   int
	inflight map[view]bool
	names    map[string][]string
}

var _ tea.Model = (*Model)(nil)

// New returns the model, starting on the brokers view.
func New(cfg Config) *Model {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.BrowseN <= 0 {
		cfg.BrowseN = 50
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Context == nil {
		cfg.Context = context.Background()
	}
	if cfg.ReadOnly == "" {
		for _, c := range cfg.Contexts {
			if c.Name == cfg.ContextName && c.ReadOnly {
				cfg.ReadOnly = fmt.Sprintf("context %q is read-only", c.Name)
			}
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Model{cfg: cfg, log: log.With("component", "tui"), keys: keys.Default(), th: theme.New(cfg.NoColor),
		src: cfg.Source, ns: cfg.NameServers, ctxName: cfg.ContextName, readOnly: cfg.ReadOnly,
		stack: []view{newBrokersView()}, width: 80, height: 24, inflight: map[view]bool{}, names: map[string][]string{}}
}

// Init loads the first view and starts the refresh ticker.
func (m *Model) Init() tea.Cmd { return tea.Batch(m.fetch(m.top()), m.tick()) }

// tickMsg asks for the periodic refresh.
type tickMsg struct{}

// loadedMsg is the answer of one load of v.
type loadedMsg struct {
	v   view
	res result
}

// doneMsg is the outcome of a mutation; refresh is reloaded after it.
type doneMsg struct {
	text    string
	err     error
	refresh view
}

// confirmMsg opens a confirm dialog prepared off the UI goroutine (a reset's preview); err
// says why there is nothing to confirm.
type confirmMsg struct {
	title string
	lines []string
	yes   tea.Cmd
	err   error
}

func (m *Model) tick() tea.Cmd {
	if m.cfg.Refresh <= 0 {
		return nil
	}
	return tea.Tick(m.cfg.Refresh, func(time.Time) tea.Msg { return tickMsg{} })
}

func (m *Model) top() view { return m.stack[len(m.stack)-1] }

func (m *Model) env() env { return env{src: m.src, browseN: m.cfg.BrowseN, now: m.cfg.Now} }

// fetch returns the command loading v, or nil when v has nothing to load or a load of it is
// still out.
func (m *Model) fetch(v view) tea.Cmd {
	if v.state().static || m.inflight[v] {
		return nil
	}
	m.inflight[v] = true
	return m.run(v, v.load)
}

// run runs fn for v on its own goroutine, bounded by the fetch timeout.
func (m *Model) run(v view, fn func(ctx context.Context, e env) result) tea.Cmd {
	e := m.env()
	return m.background()(func(ctx context.Context, _ Source) tea.Msg { return loadedMsg{v: v, res: fn(ctx, e)} })
}

// background runs work off the UI goroutine against the cluster of the moment: bg(fn) is a
// command calling fn with a context bounded by the fetch timeout and the Source m had when
// background was called (a later :ctx switch does not redirect it). bg may be called from
// any goroutine.
type background func(fn func(ctx context.Context, src Source) tea.Msg) tea.Cmd

func (m *Model) background() background {
	src, parent, timeout := m.src, m.cfg.Context, m.cfg.Timeout
	return func(fn func(ctx context.Context, src Source) tea.Msg) tea.Cmd {
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(parent, timeout)
			defer cancel()
			return fn(ctx, src)
		}
	}
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tickMsg:
		if r, ok := m.top().(interface{ refreshes() bool }); m.paused || (ok && !r.refreshes()) {
			return m, m.tick()
		}
		return m, tea.Batch(m.fetch(m.top()), m.tick())
	case loadedMsg:
		m.loaded(msg)
	case doneMsg:
		m.setStatus(msg.text, msg.err)
		if msg.refresh != nil {
			delete(m.inflight, msg.refresh)
			return m, m.fetch(msg.refresh)
		}
	case confirmMsg:
		if msg.err != nil {
			m.setStatus("", msg.err)
			break
		}
		m.confirm(msg.title, msg.lines, func() tea.Cmd { return msg.yes })
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) loaded(msg loadedMsg) {
	delete(m.inflight, msg.v)
	r := msg.res
	if r.err != nil {
		m.log.Warn("load", "view", msg.v.crumb(), "err", r.err)
	}
	for k, ns := range r.names {
		m.names[k] = ns
	}
	st := msg.v.state()
	st.err, st.summary, st.partial = r.err, r.summary, r.partial
	if r.apply != nil {
		r.apply()
		st.loaded, st.at = true, m.cfg.Now()
	}
}

func (m *Model) setStatus(s string, err error) {
	m.status, m.statErr = s, err != nil
	if err != nil {
		m.status = strings.TrimPrefix(s+": ", ": ") + oneLine(err.Error())
	}
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return tea.Quit
	}
	switch m.mode {
	case modeCommand, modeFilter, modeAsk:
		return m.promptKey(msg)
	}
	if m.dialog != nil {
		switch msg.String() {
		case "y", "Y", "enter":
			d := m.dialog
			m.dialog = nil
			if m.readOnly != "" { // a dialog opened before a context switch still refuses
				m.setStatus("", fmt.Errorf("read-only (%s): %s refused", m.readOnly, d.title))
				return nil
			}
			return d.yes()
		case "n", "N", "esc", "q":
			m.dialog = nil
			m.setStatus("cancelled: "+m.dialogTitle(), nil)
		}
		return nil
	}
	if m.over != nil {
		switch {
		case key.Matches(msg, m.keys.Up):
			m.over.move(-1)
		case key.Matches(msg, m.keys.Down):
			m.over.move(1)
		case key.Matches(msg, m.keys.PageUp):
			m.over.move(-m.bodyRows())
		case key.Matches(msg, m.keys.PageDown):
			m.over.move(m.bodyRows())
		default:
			m.over = nil
		}
		return nil
	}
	m.status, m.statErr = "", false
	v := m.top()
	for _, a := range v.actions() {
		if key.Matches(msg, a.key) {
			return m.act(a)
		}
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		return tea.Quit
	case key.Matches(msg, m.keys.Help):
		m.showHelp()
	case key.Matches(msg, m.keys.Command):
		m.mode, m.input, m.histPos = modeCommand, "", len(m.hist)
	case key.Matches(msg, m.keys.Filter):
		if _, ok := v.(interface{ setFilter(string) }); ok {
			m.mode, m.input = modeFilter, m.filterOf(v)
		}
	case key.Matches(msg, m.keys.Back):
		if m.filterOf(v) != "" {
			v.(interface{ setFilter(string) }).setFilter("")
		} else if len(m.stack) > 1 {
			m.stack = m.stack[:len(m.stack)-1]
			return m.fetch(m.top())
		}
	case key.Matches(msg, m.keys.Previous):
		if m.prev != nil {
			m.stack, m.prev = m.prev, m.stack
			return m.fetch(m.top())
		}
	case key.Matches(msg, m.keys.Up):
		v.move(-1)
	case key.Matches(msg, m.keys.Down):
		v.move(1)
	case key.Matches(msg, m.keys.PageUp):
		v.move(-m.bodyRows())
	case key.Matches(msg, m.keys.PageDown):
		v.move(m.bodyRows())
	case key.Matches(msg, m.keys.Top):
		v.move(-1 << 30)
	case key.Matches(msg, m.keys.Bottom):
		v.move(1 << 30)
	case key.Matches(msg, m.keys.Refresh):
		delete(m.inflight, v) // ctrl+r always asks again, even over a load still out
		return m.fetch(v)
	case key.Matches(msg, m.keys.Pause):
		m.paused = !m.paused
	case key.Matches(msg, m.keys.Sort), key.Matches(msg, m.keys.SortReverse):
		if t, ok := v.(interface{ sortNext(bool) string }); ok {
			m.setStatus(t.sortNext(msg.String() == "O"), nil)
		}
	case key.Matches(msg, m.keys.Wide):
		if t, ok := v.(interface{ toggleWide() string }); ok {
			m.setStatus(t.toggleWide(), nil)
		}
	case key.Matches(msg, m.keys.Left), key.Matches(msg, m.keys.Right):
		if t, ok := v.(interface{ scrollSide(int) }); ok {
			d := 8
			if key.Matches(msg, m.keys.Left) {
				d = -8
			}
			t.scrollSide(d)
		}
	case key.Matches(msg, m.keys.YAML):
		if id, obj := v.selected(); obj != nil {
			m.showObject(id, obj)
		}
	case key.Matches(msg, m.keys.Copy):
		if id, _ := v.selected(); id != "" {
			m.setStatus("copied "+id+" (OSC 52)", nil)
			return tea.SetClipboard(id)
		}
	}
	return nil
}

// act runs a view's action; read-only mode refuses every action that writes, here and only
// here (confirm dialogs come from actions).
func (m *Model) act(a action) tea.Cmd {
	if a.write != "" && m.readOnly != "" {
		m.setStatus("", fmt.Errorf("read-only (%s): %s refused", m.readOnly, a.write))
		return nil
	}
	return a.run(m)
}

// confirm opens the dialog: title and the exact change, yes runs it.
func (m *Model) confirm(title string, lines []string, yes func() tea.Cmd) {
	m.dialog = &dialog{title: title, lines: lines, yes: yes}
}

func (m *Model) dialogTitle() string {
	if m.dialog != nil {
		return m.dialog.title
	}
	return "nothing changed"
}

// askFor opens a footer question.
func (m *Model) askFor(label, initial string, done func(m *Model, answer string) tea.Cmd) {
	m.mode, m.input, m.ask = modeAsk, initial, &ask{label: label, done: done}
}

func (m *Model) filterOf(v view) string {
	if t, ok := v.(interface{ filterText() string }); ok {
		return t.filterText()
	}
	return ""
}

func (t *tableView) filterText() string { return t.filter }

func (m *Model) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	v := m.top()
	switch msg.String() {
	case "esc":
		if m.mode == modeFilter {
			v.(interface{ setFilter(string) }).setFilter("")
		}
		m.mode, m.input, m.ask = modeNormal, "", nil
		return nil
	case "enter":
		md, in, a := m.mode, strings.TrimSpace(m.input), m.ask
		m.mode, m.input, m.ask = modeNormal, "", nil
		switch md {
		case modeCommand:
			if in != "" && (len(m.hist) == 0 || m.hist[len(m.hist)-1] != in) {
				m.hist = append(m.hist, in)
			}
			return m.command(in)
		case modeAsk:
			return a.done(m, in)
		}
		return nil
	case "tab":
		if m.mode == modeCommand {
			m.input = m.complete(m.input)
		}
		return nil
	case "up", "down":
		if m.mode == modeCommand && len(m.hist) > 0 {
			if msg.String() == "up" {
				m.histPos = max(m.histPos-1, 0)
			} else {
				m.histPos = min(m.histPos+1, len(m.hist))
			}
			m.input = ""
			if m.histPos < len(m.hist) {
				m.input = m.hist[m.histPos]
			}
		}
		return nil
	case "backspace":
		if r := []rune(m.input); len(r) > 0 {
			m.input = string(r[:len(r)-1])
		}
	default:
		if msg.Text == "" {
			return nil
		}
		m.input += msg.Text
	}
	if m.mode == modeFilter {
		v.(interface{ setFilter(string) }).setFilter(m.input)
	}
	return nil
}

// candidates lists the completions of the prompt's input: command names, then the live
// topic or group names the command takes.
func (m *Model) candidates(in string) (prefix string, cs []string) {
	f := strings.Fields(in)
	if len(f) == 0 || (len(f) == 1 && !strings.HasSuffix(in, " ")) {
		word := strings.TrimSpace(in)
		for _, c := range commands {
			if strings.HasPrefix(c.names[0], word) {
				cs = append(cs, c.names[0])
			}
		}
		return "", cs
	}
	c, ok := findCommand(f[0])
	if !ok || c.complete == "" {
		return "", nil
	}
	word := ""
	if !strings.HasSuffix(in, " ") {
		word = f[len(f)-1]
		f = f[:len(f)-1]
	}
	for _, n := range m.names[c.complete] {
		if strings.HasPrefix(n, word) {
			cs = append(cs, n)
		}
	}
	return strings.Join(f, " ") + " ", cs
}

// complete extends the input to the longest common prefix of its candidates.
func (m *Model) complete(in string) string {
	prefix, cs := m.candidates(in)
	if len(cs) == 0 {
		return in
	}
	lcp := cs[0]
	for _, c := range cs[1:] {
		for !strings.HasPrefix(c, lcp) {
			lcp = lcp[:len(lcp)-1]
		}
	}
	if len(cs) == 1 {
		lcp += " "
	}
	return prefix + lcp
}

// command runs a ':' command.
func (m *Model) command(in string) tea.Cmd {
	f := strings.Fields(in)
	if len(f) == 0 {
		return nil
	}
	switch f[0] {
	case "q", "q!", "quit":
		return tea.Quit
	case "help", "h":
		m.showHelp()
		return nil
	}
	c, ok := findCommand(f[0])
	if !ok {
		m.setStatus("", fmt.Errorf("unknown command %q (try :%s)", f[0], strings.Join(commandNames(), " :")))
		return nil
	}
	return c.open(m, f[1:])
}

func commandNames() []string {
	var out []string
	for _, c := range commands {
		out = append(out, c.names[0])
	}
	return out
}

// switchTo makes vs the stack (switching views, as k9s does) and loads every one of them.
func (m *Model) switchTo(vs ...view) tea.Cmd {
	m.prev, m.stack = m.stack, vs
	cmds := make([]tea.Cmd, 0, len(vs))
	for _, v := range vs {
		cmds = append(cmds, m.fetch(v))
	}
	return tea.Batch(cmds...)
}

// push opens v over the current view.
func (m *Model) push(v view) tea.Cmd {
	m.stack = append(m.stack, v)
	return m.fetch(v)
}

func (m *Model) showHelp() {
	lines := []string{"Keys of " + m.top().crumb() + ":"}
	for _, a := range m.top().actions() {
		h := a.key.Help()
		w := ""
		if a.write != "" {
			w = "  (writes; asks first)"
		}
		lines = append(lines, fmt.Sprintf("  %-8s %s%s", h.Key, h.Desc, w))
	}
	lines = append(lines, "", "Everywhere:")
	for _, b := range m.keys.All() {
		h := b.Help()
		lines = append(lines, fmt.Sprintf("  %-8s %s", h.Key, h.Desc))
	}
	lines = append(lines, "", "Commands:")
	for _, c := range commands {
		lines = append(lines, "  "+c.usage)
	}
	lines = append(lines, "", "j/k, pgup/pgdn scroll; any other key closes this help")
	m.over = &overlay{title: "Help", paneView: paneView{lines: lines}}
}

// showObject shows the selected object as YAML (its JSON names).
func (m *Model) showObject(id string, obj any) {
	var v any
	if b, err := json.Marshal(obj); err == nil && json.Unmarshal(b, &v) == nil {
		obj = v
	}
	b, err := yaml.Marshal(obj)
	if err != nil {
		m.setStatus("", err)
		return
	}
	m.over = &overlay{title: "YAML(" + id + ")", paneView: paneView{lines: strings.Split(strings.TrimRight(string(b), "\n"), "\n")}}
}

// names of the loaded slice, sorted, for completion.
func sortedNames(ns []string) []string { return slices.Compact(slices.Sorted(slices.Values(ns))) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
