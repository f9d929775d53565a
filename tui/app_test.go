package tui

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"go.uber.org/goleak"
)

// updateGoldens reports -update, which rewrites testdata/<TestName>.golden. The flag itself is
// registered by github.com/charmbracelet/x/exp/golden (imported through teatest) with the same
// meaning, so it is looked up rather than defined twice.
func updateGoldens() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestMain(m *testing.M) {
	time.Local = time.UTC // goldens show store times; keep them the same on every machine
	// teatest leaves one goroutine per program waiting for SIGINT; it is not ours.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/charmbracelet/x/exp/teatest/v2.NewTestModel.func2"))
}

var refreshedAt = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// newTestModel returns a model over src sized 120x24, with its first view loaded.
func newTestModel(t *testing.T, src Source) *Model {
	t.Helper()
	m := New(Config{Source: src, NameServers: "127.0.0.1:9876", NoColor: true,
		Now: func() time.Time { return refreshedAt }, BrowseN: 10, Context: t.Context()})
	send(t, m, tea.WindowSizeMsg{Width: 120, Height: 24})
	run(t, m, m.Init())
	return m
}

// send feeds msg to Update and runs the commands it returns.
func send(t *testing.T, m *Model, msg tea.Msg) (quit bool) {
	t.Helper()
	_, cmd := m.Update(msg)
	return run(t, m, cmd)
}

// run executes cmd (and batches, recursively) and feeds the results back, as the runtime does.
func run(t *testing.T, m *Model, cmd tea.Cmd) (quit bool) {
	t.Helper()
	if cmd == nil {
		return false
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.QuitMsg:
		return true
	case tea.BatchMsg:
		for _, c := range msg {
			quit = run(t, m, c) || quit
		}
	default:
		quit = send(t, m, msg)
	}
	return quit
}

// press types each key: single characters as text, names (enter, esc, down…) as special keys.
func press(t *testing.T, m *Model, ks ...string) (quit bool) {
	t.Helper()
	special := map[string]rune{"enter": tea.KeyEnter, "esc": tea.KeyEscape, "down": tea.KeyDown, "up": tea.KeyUp,
		"backspace": tea.KeyBackspace, "tab": tea.KeyTab}
	for _, k := range ks {
		var msg tea.KeyPressMsg
		switch {
		case special[k] != 0:
			msg = tea.KeyPressMsg{Code: special[k]}
		case strings.HasPrefix(k, "ctrl+"):
			msg = tea.KeyPressMsg{Code: rune(k[len("ctrl+")]), Mod: tea.ModCtrl}
		default:
			msg = tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
		}
		quit = send(t, m, msg) || quit
	}
	return quit
}

// typeText types s one rune at a time.
func typeText(t *testing.T, m *Model, s string) {
	t.Helper()
	for _, r := range s {
		press(t, m, string(r))
	}
}

// screen is View() written through an ASCII colour profile: no colours, decorations kept.
func screen(t *testing.T, m *Model) string {
	t.Helper()
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.Ascii}
	if _, err := w.WriteString(m.View().Content); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func golden(t *testing.T, got string) {
	t.Helper()
	path := filepath.Join("testdata", t.Name()+".golden")
	if updateGoldens() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("screen differs from %s (rerun with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// cmdKeys types a ':' command and enter.
func cmdKeys(t *testing.T, m *Model, c string) {
	t.Helper()
	press(t, m, ":")
	typeText(t, m, c)
	press(t, m, "enter")
}

// TestTUIViews pins every view's screen at 80x24 and 160x48 over the fake cluster.
func TestTUIViews(t *testing.T) {
	tests := []struct {
		name string
		do   func(t *testing.T, m *Model)
	}{
		{"brokers", func(t *testing.T, m *Model) {}},
		{"broker", func(t *testing.T, m *Model) { press(t, m, "enter") }},
		{"broker-slave", func(t *testing.T, m *Model) { press(t, m, "down", "enter") }},
		{"topics", func(t *testing.T, m *Model) { cmdKeys(t, m, "topics") }},
		{"topics-all", func(t *testing.T, m *Model) { cmdKeys(t, m, "topics -a") }},
		{"topics-filter", func(t *testing.T, m *Model) {
			cmdKeys(t, m, "topics")
			press(t, m, "/")
			typeText(t, m, "bill")
		}},
		{"topics-filter-inverse", func(t *testing.T, m *Model) {
			cmdKeys(t, m, "topics")
			press(t, m, "/")
			typeText(t, m, "!^%")
			press(t, m, "enter")
		}},
		{"topic", func(t *testing.T, m *Model) { cmdKeys(t, m, "topics Orders") }},
		{"groups", func(t *testing.T, m *Model) { cmdKeys(t, m, "groups") }},
		{"groups-all", func(t *testing.T, m *Model) { cmdKeys(t, m, "groups -a") }},
		{"group", func(t *testing.T, m *Model) { cmdKeys(t, m, "groups billing") }},
		{"messages", func(t *testing.T, m *Model) { cmdKeys(t, m, "msgs Orders") }},
		{"messages-jump-time", func(t *testing.T, m *Model) {
			cmdKeys(t, m, "msgs Orders")
			press(t, m, "J")
			typeText(t, m, "2026-01-01T00:02:00Z")
			press(t, m, "enter")
		}},
		{"messages-jump-offset", func(t *testing.T, m *Model) {
			cmdKeys(t, m, "msgs Orders")
			press(t, m, "J")
			typeText(t, m, "1")
			press(t, m, "enter")
		}},
		{"message", func(t *testing.T, m *Model) { cmdKeys(t, m, "msgs Orders"); press(t, m, "down", "enter") }},
		{"message-hex", func(t *testing.T, m *Model) { cmdKeys(t, m, "msgs Orders"); press(t, m, "enter", "x", "G") }},
		{"key", func(t *testing.T, m *Model) { cmdKeys(t, m, "key Orders k1-2") }},
		{"msg", func(t *testing.T, m *Model) { cmdKeys(t, m, "msg 7F00000100b010001 Orders") }},
		{"trace", func(t *testing.T, m *Model) { cmdKeys(t, m, "trace 7F00000100a000002") }},
		{"trace-none", func(t *testing.T, m *Model) { cmdKeys(t, m, "trace 7F00000100b000002") }},
		{"delay", func(t *testing.T, m *Model) { cmdKeys(t, m, "delay") }},
		{"half", func(t *testing.T, m *Model) { cmdKeys(t, m, "half") }},
		{"dlq", func(t *testing.T, m *Model) { cmdKeys(t, m, "dlq") }},
		{"dlq-group", func(t *testing.T, m *Model) { cmdKeys(t, m, "dlq"); press(t, m, "enter") }},
		{"ctx", func(t *testing.T, m *Model) { cmdKeys(t, m, "ctx") }},
		{"reset-preview", func(t *testing.T, m *Model) {
			cmdKeys(t, m, "groups billing")
			press(t, m, "r")
			typeText(t, m, "earliest")
			press(t, m, "enter")
		}},
		{"brokers-wide-scrolled", func(t *testing.T, m *Model) { press(t, m, "w", "l", "l", "l", "l", "l", "l") }},
		{"yaml", func(t *testing.T, m *Model) { cmdKeys(t, m, "topics"); press(t, m, "y") }},
		{"help", func(t *testing.T, m *Model) { cmdKeys(t, m, "groups billing"); press(t, m, "?") }},
		{"command-prompt", func(t *testing.T, m *Model) { press(t, m, ":"); typeText(t, m, "gro") }},
		{"readonly", func(t *testing.T, m *Model) {
			m.readOnly = "--readonly"
			cmdKeys(t, m, "groups billing")
			press(t, m, "r")
		}},
	}
	for _, size := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("view=%s/%dx%d", tt.name, size.w, size.h), func(t *testing.T) {
				m := newTestModel(t, &fakeSource{})
				send(t, m, tea.WindowSizeMsg{Width: size.w, Height: size.h})
				tt.do(t, m)
				golden(t, screen(t, m))
			})
		}
	}
}

func TestTUIPartialAndErrors(t *testing.T) {
	t.Run("answer=partial", func(t *testing.T) {
		m := newTestModel(t, &fakeSource{down: map[string]bool{"10.0.0.2:10911": true}})
		s := screen(t, m)
		for _, want := range []string{"2/3 brokers answered", "DOWN", "error: 2/3 brokers answered: broker broker-b 10.0.0.2:10911", "dial tcp: connection refused"} {
			if !strings.Contains(s, want) {
				t.Errorf("screen lacks %q:\n%s", want, s)
			}
		}
		golden(t, s)
	})
	t.Run("answer=namesrv-down", func(t *testing.T) {
		m := newTestModel(t, &fakeSource{clusterErr: errDown})
		s := screen(t, m)
		if !strings.Contains(s, "could not load: dial tcp: connection refused") {
			t.Errorf("screen lacks the error:\n%s", s)
		}
		golden(t, s)
	})
	t.Run("answer=refresh-fails-keeps-rows", func(t *testing.T) {
		src := &fakeSource{}
		m := newTestModel(t, src)
		src.clusterErr = errDown
		send(t, m, tickMsg{})
		s := screen(t, m)
		if !strings.Contains(s, "broker-a") || !strings.Contains(s, "error: dial tcp") {
			t.Errorf("want old rows and the error:\n%s", s)
		}
	})
	t.Run("answer=broker-gone", func(t *testing.T) {
		src := &fakeSource{}
		m := newTestModel(t, src)
		src.gone = true
		send(t, m, tickMsg{})
		s := screen(t, m)
		for _, want := range []string{"10.0.0.2:10911", "GONE", "2/2 brokers answered, 1 gone", "broker broker-b 10.0.0.2:10911 seen earlier is no longer listed"} {
			if !strings.Contains(s, want) {
				t.Errorf("screen lacks %q:\n%s", want, s)
			}
		}
		golden(t, s)
	})
	t.Run("answer=unknown-topic", func(t *testing.T) {
		m := newTestModel(t, &fakeSource{})
		press(t, m, ":")
		typeText(t, m, "topic Missing")
		press(t, m, "enter")
		if s := screen(t, m); !strings.Contains(s, "TOPIC_NOT_EXIST") {
			t.Errorf("want the route error:\n%s", s)
		}
	})
	t.Run("answer=unknown-command", func(t *testing.T) {
		m := newTestModel(t, &fakeSource{})
		press(t, m, ":")
		typeText(t, m, "nope")
		press(t, m, "enter")
		if s := screen(t, m); !strings.Contains(s, `unknown command "nope"`) {
			t.Errorf("want the command error:\n%s", s)
		}
	})
}

func TestTUINavigation(t *testing.T) {
	m := newTestModel(t, &fakeSource{})
	crumbs := func() string {
		var s []string
		for _, p := range m.stack {
			s = append(s, p.crumb())
		}
		return strings.Join(s, ">")
	}
	steps := []struct {
		keys []string
		text string
		want string
	}{
		{nil, "", "Brokers"},
		{[]string{":"}, "topics", "Brokers"}, // prompt open, nothing switched yet
		{[]string{"enter"}, "", "Topics"},
		{[]string{"/"}, "Orders", "Topics"},
		{[]string{"enter", "enter"}, "", "Topics>Topic(Orders)"},
		{[]string{"m"}, "", "Topics>Topic(Orders)>Messages(Orders)"},
		{[]string{"enter"}, "", "Topics>Topic(Orders)>Messages(Orders)>Message(7F00000100a010003)"},
		{[]string{"t"}, "", "Topics>Topic(Orders)>Messages(Orders)>Message(7F00000100a010003)>Trace(7F00000100a010003)"},
		{[]string{"esc", "esc", "esc", "esc"}, "", "Topics"},
		{[]string{"esc"}, "", "Topics"}, // clears the filter
		{[]string{":"}, "g", "Topics"},
		{[]string{"enter", "enter"}, "", "Groups>Group(audit)"},
		{[]string{"?"}, "", "Groups>Group(audit)"},
		{[]string{"x", "esc"}, "", "Groups"}, // x closes help, esc goes back
		{[]string{"-"}, "", "Topics"},        // the previous view
		{[]string{"-"}, "", "Groups"},
	}
	for i, st := range steps {
		press(t, m, st.keys...)
		typeText(t, m, st.text)
		if got := crumbs(); got != st.want {
			t.Fatalf("step %d %v %q: stack %s, want %s\n%s", i, st.keys, st.text, got, st.want, screen(t, m))
		}
	}
	if f := m.filterOf(m.top()); f != "" {
		t.Errorf("filter %q left on groups", f)
	}
	if !press(t, m, "q") {
		t.Error("q did not quit")
	}
	m2 := newTestModel(t, &fakeSource{})
	press(t, m2, ":")
	if !press(t, m2, "ctrl+c") {
		t.Error("ctrl+c in the prompt did not quit")
	}
}

func TestTUIRefreshTick(t *testing.T) {
	m := New(Config{Source: &fakeSource{}, Refresh: time.Millisecond, Context: context.Background()})
	_, cmd := m.Update(tickMsg{})
	if cmd == nil {
		t.Fatal("tick returned no command")
	}
	batch, ok := cmd().(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("tick: want a batch of fetch and next tick, got %T", cmd())
	}
}

// TestTUIBugCommandWithArgThenBack is the "loading… forever" bug: `:topics NAME` (or
// `:groups NAME`) pushed the detail over a list whose fetch was marked in flight and dropped,
// so esc showed "loading…" for good and ctrl+r did nothing.
func TestTUIBugCommandWithArgThenBack(t *testing.T) {
	for _, tc := range []struct{ cmd, want string }{{"topics Orders", "Payments"}, {"groups billing", "audit"}} {
		t.Run(tc.cmd, func(t *testing.T) {
			m := newTestModel(t, &fakeSource{})
			press(t, m, ":")
			typeText(t, m, tc.cmd)
			press(t, m, "enter", "esc")
			if s := screen(t, m); strings.Contains(s, "loading…") || !strings.Contains(s, tc.want) {
				t.Fatalf("after esc: want the list with %q:\n%s", tc.want, s)
			}
		})
	}
	t.Run("ctrl+r", func(t *testing.T) {
		src := &fakeSource{clusterErr: errDown}
		m := newTestModel(t, src)
		src.clusterErr = nil
		press(t, m, "ctrl+r")
		if s := screen(t, m); !strings.Contains(s, "10.0.0.2:10911") {
			t.Fatalf("ctrl+r did not reload:\n%s", s)
		}
	})
}

// TestTUIBugNewestMessages is the browse bug: reading from max-N with one pull of at most 32
// messages never reached the newest messages of a queue holding more than 32.
func TestTUIBugNewestMessages(t *testing.T) {
	m := New(Config{Source: &fakeSource{perQueue: 100}, NameServers: "127.0.0.1:9876", NoColor: true,
		Now: func() time.Time { return refreshedAt }, BrowseN: 50, Context: t.Context()})
	send(t, m, tea.WindowSizeMsg{Width: 120, Height: 24})
	run(t, m, m.Init())
	press(t, m, ":")
	typeText(t, m, "msgs Orders")
	press(t, m, "enter")
	s := screen(t, m)
	// The newest message is offset 99 of queue 1 (stored last) on either broker.
	if !strings.Contains(s, "7F00000100a010099") && !strings.Contains(s, "7F00000100b010099") {
		t.Fatalf("newest message (offset 99) missing:\n%s", s)
	}
}

// TestTUIKeys covers the k9s habits: completion and history in the prompt, sort, pause,
// copy.
func TestTUIKeys(t *testing.T) {
	m := newTestModel(t, &fakeSource{})
	t.Run("complete=command", func(t *testing.T) {
		press(t, m, ":")
		typeText(t, m, "gro")
		press(t, m, "tab")
		if m.input != "groups " {
			t.Errorf("completed %q, want %q", m.input, "groups ")
		}
		press(t, m, "esc")
	})
	t.Run("complete=live-names", func(t *testing.T) {
		cmdKeys(t, m, "topics") // loads the names
		press(t, m, ":")
		typeText(t, m, "msgs Pa")
		press(t, m, "tab")
		if m.input != "msgs Payments " {
			t.Errorf("completed %q", m.input)
		}
		press(t, m, "esc")
		press(t, m, ":")
		typeText(t, m, "topics %")
		if s := screen(t, m); !strings.Contains(s, "%DLQ%billing %RETRY%billing") {
			t.Errorf("candidates not offered:\n%s", s)
		}
		press(t, m, "esc")
	})
	t.Run("history", func(t *testing.T) {
		cmdKeys(t, m, "groups")
		press(t, m, ":", "up")
		if m.input != "groups" {
			t.Errorf("up: %q", m.input)
		}
		press(t, m, "up")
		if m.input != "topics" {
			t.Errorf("up up: %q", m.input)
		}
		press(t, m, "esc")
	})
	t.Run("sort", func(t *testing.T) {
		cmdKeys(t, m, "topics")
		press(t, m, "o", "O") // by TOPIC, then descending
		if id, _ := m.top().selected(); id != "Payments" {
			t.Errorf("first row after sorting by name descending: %q", id)
		}
		if !strings.Contains(m.status, "sorted by TOPIC descending") {
			t.Errorf("status %q", m.status)
		}
	})
	t.Run("copy", func(t *testing.T) {
		_, cmd := m.Update(tea.KeyPressMsg{Code: 'c', Text: "c"})
		if cmd == nil || !strings.Contains(m.status, "copied Payments") {
			t.Errorf("copy: cmd %v status %q", cmd, m.status)
		}
	})
	t.Run("pause", func(t *testing.T) {
		press(t, m, "p")
		_, cmd := m.Update(tickMsg{})
		if m.inflight[m.top()] || cmd != nil { // Refresh is 0 here: no next tick either
			t.Errorf("paused model fetched on tick")
		}
		if !strings.Contains(screen(t, m), "PAUSED") {
			t.Errorf("no PAUSED badge")
		}
		press(t, m, "p")
		m.Update(tickMsg{})
		if !m.inflight[m.top()] {
			t.Errorf("resumed model did not fetch on tick")
		}
	})
}

// TestTUIContextSwitch: :ctx lists the contexts, enter switches the Source, the header and the
// read-only mode with them.
func TestTUIContextSwitch(t *testing.T) {
	dev, prod := &fakeSource{}, &fakeSource{down: map[string]bool{"10.0.0.2:10911": true}}
	ctxs := []Context{{Name: "dev", NameServers: "127.0.0.1:9876"}, {Name: "prod", NameServers: "10.1.1.1:9876", ReadOnly: true}}
	var asked []string
	m := New(Config{Source: dev, NameServers: "127.0.0.1:9876", ContextName: "dev", Contexts: ctxs, NoColor: true, Context: t.Context(),
		Now: func() time.Time { return refreshedAt }, Switch: func(name string) (Source, Context, error) {
			asked = append(asked, name)
			for _, c := range ctxs {
				if c.Name == name {
					return prod, c, nil
				}
			}
			return nil, Context{}, fmt.Errorf("context %q is not in the config", name)
		}})
	send(t, m, tea.WindowSizeMsg{Width: 120, Height: 24})
	run(t, m, m.Init())
	cmdKeys(t, m, "ctx")
	press(t, m, "down", "enter")
	s := screen(t, m)
	for _, want := range []string{"ctx prod", "ns 10.1.1.1:9876", "READ-ONLY", "2/3 brokers answered", "switched to context prod"} {
		if !strings.Contains(s, want) {
			t.Errorf("after switching, screen lacks %q:\n%s", want, s)
		}
	}
	if m.src != prod || m.readOnly != `context "prod" is read-only` || len(asked) != 1 {
		t.Errorf("source switched %v, read-only %q, asked %q", m.src == prod, m.readOnly, asked)
	}
	cmdKeys(t, m, "ctx nope")
	if !strings.Contains(m.status, `context "nope" is not in the config`) || m.ctxName != "prod" {
		t.Errorf("unknown context: status %q, ctx %q", m.status, m.ctxName)
	}
}
