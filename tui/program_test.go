package tui

import (
	"bytes"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// TestTUIProgramFlow runs the whole program (renderer, ticker, key input) with teatest: it
// waits for the brokers view, switches to topics with the command prompt, and quits with q.
func TestTUIProgramFlow(t *testing.T) {
	m := New(Config{Source: &fakeSource{}, NameServers: "127.0.0.1:9876", NoColor: true, Refresh: 20 * time.Millisecond,
		Context: t.Context()})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 24))
	// WaitFor consumes the output it reads, so each call names everything it waits for.
	waitFor := func(ss ...string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			for _, s := range ss {
				if !bytes.Contains(b, []byte(s)) {
					return false
				}
			}
			return true
		}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	waitFor("3/3 brokers answered", "10.0.0.2:10911")
	tm.Type(":topics")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitFor("Payments", "normal")
	tm.Type("q")
	fm, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if !ok {
		t.Fatal("final model is not *Model")
	}
	if c := fm.top().crumb(); c != "Topics" {
		t.Errorf("final view %v, want Topics", c)
	}
}
