package tui

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/tui/keys"
	"github.com/mq-project/mq/tui/render"
	"github.com/mq-project/mq/tui/theme"
)

// Config configures the TUI model.
type Config struct {
	// Source answers the admin questions (required).
	Source Source
	// NameServers is shown in the header.
	NameServers string
	// Refresh is the auto-refresh period; 0 turns auto-refresh off. Default in cmd/mq: 2s.
	Refresh time.Duration
	// Timeout bounds each fetch; default 10s.
	Timeout time.Duration
	// BrowseN is how many newest messages the messages view reads; default 50.
	BrowseN int
	// NoColor selects the monochrome theme (NO_COLOR).
	NoColor bool
	// Logger gets events; nil discards. Never a terminal stream.
	Logger *slog.Logger
	// Now is the clock for "refreshed at"; default time.Now.
	Now func() time.Time
	// Context parents every fetch; default context.Background().
	Context context.Context
}

// page is one view on the navigation stack.
type page struct {
	key     pageKey
	table   render.Table
	text    []string
	msgs    []message.MessageExt
	cursor  int
	offset  int // first table row (or text line, for text pages) on screen
	filter  string
	loaded  bool
	summary string
	partial bool
	err     error
	at      time.Time
}

// visible is the page's table after the filter.
func (p *page) visible() render.Table { return p.table.Filter(p.filter) }

type mode int

const (
	modeNormal mode = iota
	modeCommand
	modeFilter
)

// Model is the root bubbletea model: a stack of pages, a prompt and a status line.
type Model struct {
	cfg      Config
	log      *slog.Logger
	keys     keys.Map
	th       theme.Theme
	stack    []*page
	mode     mode
	input    string
	help     bool
	status   string // one-shot message (unknown command…)
	width    int
	height   int
	inflight map[pageKey]bool
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
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Model{cfg: cfg, log: log.With("component", "tui"), keys: keys.Default(), th: theme.New(cfg.NoColor),
		stack: []*page{{key: pageKey{kind: kindBrokers}}}, width: 80, height: 24, inflight: map[pageKey]bool{}}
}

// Init loads the first view and starts the refresh ticker.
func (m *Model) Init() tea.Cmd { return tea.Batch(m.fetch(m.top().key), m.tick()) }

func (m *Model) tick() tea.Cmd {
	if m.cfg.Refresh <= 0 {
		return nil
	}
	return tea.Tick(m.cfg.Refresh, func(time.Time) tea.Msg { return tickMsg{} })
}

func (m *Model) top() *page { return m.stack[len(m.stack)-1] }

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.clamp()
	case tickMsg:
		return m, tea.Batch(m.fetch(m.top().key), m.tick())
	case loadedMsg:
		m.loaded(msg)
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) loaded(msg loadedMsg) {
	delete(m.inflight, msg.key)
	if msg.err != nil {
		m.log.Warn("fetch", "view", msg.key.kind, "arg", msg.key.arg, "err", msg.err)
	}
	for _, p := range m.stack {
		if p.key != msg.key {
			continue
		}
		p.err, p.summary, p.partial = msg.err, msg.summary, msg.partial
		// A failed refresh keeps what was shown (and when it was fetched); a partial or
		// complete one replaces it.
		if msg.err == nil || msg.table.Header != nil || msg.text != nil {
			p.table, p.text, p.msgs, p.loaded, p.at = msg.table, msg.text, msg.msgs, true, m.cfg.Now()
		}
	}
	m.clamp()
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	switch m.mode {
	case modeCommand, modeFilter:
		return m.promptKey(msg)
	}
	if m.help {
		if key.Matches(msg, m.keys.Quit) && msg.String() == "ctrl+c" {
			return tea.Quit
		}
		m.help = false // any key closes help
		return nil
	}
	p := m.top()
	m.status = ""
	switch {
	case key.Matches(msg, m.keys.Quit):
		return tea.Quit
	case key.Matches(msg, m.keys.Help):
		m.help = true
	case key.Matches(msg, m.keys.Command):
		m.mode, m.input = modeCommand, ""
	case key.Matches(msg, m.keys.Filter):
		if p.key.kind != kindMessage {
			m.mode, m.input = modeFilter, p.filter
		}
	case key.Matches(msg, m.keys.Back):
		if p.filter != "" {
			p.filter, p.cursor, p.offset = "", 0, 0
		} else if len(m.stack) > 1 {
			m.stack = m.stack[:len(m.stack)-1]
		}
	case key.Matches(msg, m.keys.Up):
		m.move(-1)
	case key.Matches(msg, m.keys.Down):
		m.move(1)
	case key.Matches(msg, m.keys.PageUp):
		m.move(-m.bodyRows())
	case key.Matches(msg, m.keys.PageDown):
		m.move(m.bodyRows())
	case key.Matches(msg, m.keys.Top):
		m.move(-1 << 30)
	case key.Matches(msg, m.keys.Bottom):
		m.move(1 << 30)
	case key.Matches(msg, m.keys.Refresh):
		delete(m.inflight, p.key) // ctrl+r always asks again, even over a fetch still out
		return m.fetch(p.key)
	case key.Matches(msg, m.keys.Enter):
		return m.open()
	case key.Matches(msg, m.keys.Messages):
		if t := m.selectedTopic(); t != "" {
			return m.push(pageKey{kind: kindMessages, arg: t})
		}
	}
	return nil
}

func (m *Model) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	p := m.top()
	switch msg.String() {
	case "ctrl+c":
		return tea.Quit
	case "esc":
		if m.mode == modeFilter {
			p.filter = ""
		}
		m.mode, m.input = modeNormal, ""
	case "enter":
		md, in := m.mode, strings.TrimSpace(m.input)
		m.mode, m.input = modeNormal, ""
		if md == modeCommand {
			return m.command(in)
		}
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
		p.filter, p.cursor, p.offset = m.input, 0, 0
	}
	return nil
}

// command runs a ':' command.
func (m *Model) command(in string) tea.Cmd {
	f := strings.Fields(in)
	if len(f) == 0 {
		return nil
	}
	arg := strings.Join(f[1:], " ")
	switch f[0] {
	case "q", "q!", "quit":
		return tea.Quit
	case "brokers", "broker", "b", "cluster", "clusters", "ns":
		return m.reset(pageKey{kind: kindBrokers})
	case "topics", "topic", "t", "tp":
		if arg != "" {
			return tea.Batch(m.reset(pageKey{kind: kindTopics}), m.push(pageKey{kind: kindTopic, arg: arg}))
		}
		return m.reset(pageKey{kind: kindTopics})
	case "groups", "group", "g", "cg":
		if arg != "" {
			return tea.Batch(m.reset(pageKey{kind: kindGroups}), m.push(pageKey{kind: kindGroup, arg: arg}))
		}
		return m.reset(pageKey{kind: kindGroups})
	case "msgs", "messages", "msg", "m":
		if arg == "" {
			arg = m.selectedTopic()
		}
		if arg == "" {
			m.status = "usage: :msgs TOPIC"
			return nil
		}
		return m.push(pageKey{kind: kindMessages, arg: arg})
	case "help", "h":
		m.help = true
		return nil
	}
	m.status = fmt.Sprintf("unknown command %q (try :brokers :topics :groups :msgs TOPIC)", f[0])
	return nil
}

// reset makes k the only page (switching views, as k9s does).
func (m *Model) reset(k pageKey) tea.Cmd {
	m.stack = []*page{{key: k}}
	return m.fetch(k)
}

func (m *Model) push(k pageKey) tea.Cmd {
	m.stack = append(m.stack, &page{key: k})
	return m.fetch(k)
}

// selected returns the key of the row under the cursor, or "".
func (m *Model) selected() string {
	p := m.top()
	t := p.visible()
	if p.cursor < 0 || p.cursor >= len(t.Keys) {
		return ""
	}
	return t.Keys[p.cursor]
}

func (m *Model) selectedTopic() string {
	p := m.top()
	switch p.key.kind {
	case kindTopics:
		return m.selected()
	case kindTopic, kindMessages:
		return p.key.arg
	}
	return ""
}

func (m *Model) open() tea.Cmd {
	p := m.top()
	sel := m.selected()
	switch p.key.kind {
	case kindTopics:
		if sel != "" {
			return m.push(pageKey{kind: kindTopic, arg: sel})
		}
	case kindTopic:
		return m.push(pageKey{kind: kindMessages, arg: p.key.arg})
	case kindGroups:
		if sel != "" {
			return m.push(pageKey{kind: kindGroup, arg: sel})
		}
	case kindMessages:
		i := slices.IndexFunc(p.msgs, func(x message.MessageExt) bool { return x.MsgID() == sel })
		if i >= 0 {
			m.stack = append(m.stack, &page{key: pageKey{kind: kindMessage, arg: sel}, loaded: true, at: p.at,
				text: render.MessageDetail(p.msgs[i], 2048)})
		}
	}
	return nil
}

// move moves the cursor (or scrolls a text page) by d and keeps it on screen.
func (m *Model) move(d int) {
	p := m.top()
	if p.key.kind == kindMessage {
		p.offset = max(0, min(p.offset+d, len(p.text)-m.bodyRows()))
		return
	}
	p.cursor += d
	m.clamp()
}

// clamp keeps every page's cursor inside its rows and the cursor row on screen.
func (m *Model) clamp() {
	for _, p := range m.stack {
		if p.key.kind == kindMessage {
			continue
		}
		n := p.visible().Len()
		p.cursor = max(0, min(p.cursor, n-1))
		rows := m.tableRows(p)
		if p.cursor < p.offset {
			p.offset = p.cursor
		}
		if rows > 0 && p.cursor >= p.offset+rows {
			p.offset = p.cursor - rows + 1
		}
		p.offset = max(0, min(p.offset, n-rows))
	}
}
