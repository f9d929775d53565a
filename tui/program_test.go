package tui

import (
	"bytes"
	"slices"
	"strings"
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

// flow runs the whole program over src at 160x48 and returns helpers to type and wait.
type flow struct {
	t  *testing.T
	tm *teatest.TestModel
}

func newFlow(t *testing.T, src Source, cfg Config) *flow {
	cfg.Source, cfg.NameServers, cfg.NoColor, cfg.Context = src, "127.0.0.1:9876", true, t.Context()
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(160, 48))
	f := &flow{t: t, tm: tm}
	f.wait("brokers answered")
	return f
}

// wait waits until the output shows every s (WaitFor consumes what it reads).
func (f *flow) wait(ss ...string) {
	f.t.Helper()
	teatest.WaitFor(f.t, f.tm.Output(), func(b []byte) bool {
		for _, s := range ss {
			if !bytes.Contains(b, []byte(s)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func (f *flow) cmd(c string) {
	f.tm.Type(":" + c)
	f.key(tea.KeyEnter)
}

func (f *flow) key(code rune) { f.tm.Send(tea.KeyPressMsg{Code: code}) }

func (f *flow) quit() *Model {
	f.tm.Type("q")
	m, ok := f.tm.FinalModel(f.t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if !ok {
		f.t.Fatal("final model is not *Model")
	}
	return m
}

func crumbs(m *Model) string {
	var s []string
	for _, v := range m.stack {
		s = append(s, v.crumb())
	}
	return strings.Join(s, ">")
}

func TestTUIFlowTopicMessageTrace(t *testing.T) {
	f := newFlow(t, &fakeSource{}, Config{})
	f.cmd("topics")
	f.wait("Payments")
	f.tm.Type("/Orders")
	f.key(tea.KeyEnter)
	f.key(tea.KeyEnter)
	f.wait("consumed by")
	f.key(tea.KeyEnter) // messages
	f.wait("MSG-ID")
	f.key(tea.KeyEnter) // the newest: broker-a queue 1 offset 3
	f.wait("system properties")
	f.tm.Type("t")
	f.wait("SUCCESS", "billing")
	m := f.quit()
	if got, want := crumbs(m), "Topics>Topic(Orders)>Messages(Orders)>Message(7F00000100a010003)>Trace(7F00000100a010003)"; got != want {
		t.Errorf("stack %s, want %s", got, want)
	}
	tv := m.top().(*traceView)
	if len(tv.tr.Events) != 5 || tv.vis.Len() != 5 {
		t.Errorf("trace: %d events, %d rows", len(tv.tr.Events), tv.vis.Len())
	}
}

func TestTUIFlowGroupResetConfirm(t *testing.T) {
	src := &fakeSource{}
	f := newFlow(t, src, Config{})
	f.cmd("groups billing")
	f.wait("CONSUMER-OFFSET")
	f.tm.Type("r")
	f.tm.Type("earliest")
	f.key(tea.KeyEnter)
	f.wait("CONFIRM", "CURRENT")
	if len(src.recorded()) != 0 {
		t.Fatalf("changed before the confirmation: %q", src.recorded())
	}
	f.tm.Type("y")
	f.wait("reset billing on Orders to earliest: 4 queues")
	f.quit()
	want := []string{"reset billing Orders broker-a/0=0 broker-a/1=0 broker-b/0=0 broker-b/1=0"}
	if got := src.recorded(); !slices.Equal(got, want) {
		t.Errorf("changes %q, want %q", got, want)
	}
}

func TestTUIFlowKeySearch(t *testing.T) {
	f := newFlow(t, &fakeSource{}, Config{})
	f.cmd("key Orders k1-2")
	f.wait("2 messages with key")
	m := f.quit()
	kv := m.top().(*keyView)
	if len(kv.msgs) != 2 {
		t.Fatalf("key view: %d messages", len(kv.msgs))
	}
	for _, x := range kv.msgs {
		if x.Keys() != "k1-2" {
			t.Errorf("message %s has keys %q", x.MsgID(), x.Keys())
		}
	}
}

func TestTUIFlowDLQResend(t *testing.T) {
	src := &fakeSource{}
	f := newFlow(t, src, Config{})
	f.cmd("dlq")
	f.wait("%DLQ%billing")
	f.key(tea.KeyEnter)
	f.wait("MSG-ID")
	f.tm.Type("r")
	f.wait("CONFIRM")
	f.tm.Type("y")
	f.wait("resent 1 of 1")
	f.tm.Type("R")
	f.wait("resend 14 dead letter")
	f.tm.Type("y")
	f.wait("resent 14 of 14")
	f.quit()
	got := src.recorded()
	if len(got) != 15 || got[0] != "resend billing 7F00000100a010003" {
		t.Errorf("changes %q", got)
	}
}

func TestTUIFlowReadOnlyRefuses(t *testing.T) {
	src := &fakeSource{}
	f := newFlow(t, src, Config{ContextName: "prod", Contexts: []Context{{Name: "prod", NameServers: "127.0.0.1:9876", ReadOnly: true}}})
	f.cmd("groups billing")
	f.wait("CONSUMER-OFFSET")
	f.tm.Type("r")
	f.wait("refused")
	f.tm.Type("s")
	f.cmd("dlq billing")
	f.wait("MSG-ID")
	f.tm.Type("R")
	f.cmd("topics")
	f.wait("Payments")
	f.tm.Type("n")
	f.tm.Send(tea.KeyPressMsg{Code: 'd', Mod: tea.ModCtrl})
	f.wait("delete topic refused")
	m := f.quit()
	if got := src.recorded(); len(got) != 0 {
		t.Errorf("read-only context changed the cluster: %q", got)
	}
	if m.readOnly == "" || !strings.Contains(m.View().Content, "READ-ONLY") {
		t.Errorf("no read-only badge in the header")
	}
	if m.dialog != nil || m.mode != modeNormal {
		t.Errorf("a dialog or prompt opened in read-only mode")
	}
}

func TestTUIFlowConsumeAgain(t *testing.T) {
	src := &fakeSource{}
	f := newFlow(t, src, Config{})
	f.cmd("msgs Orders")
	f.wait("MSG-ID")
	f.key(tea.KeyEnter)
	f.wait("system properties")
	f.tm.Type("R")
	f.tm.Type("billing")
	f.key(tea.KeyEnter)
	f.wait("CONFIRM", "CONSUME_MESSAGE_DIRECTLY")
	f.tm.Type("y")
	f.wait("CR_SUCCESS")
	f.quit()
	if got := src.recorded(); len(got) != 1 || !strings.HasPrefix(got[0], "consume again Orders 0A000001") || !strings.HasSuffix(got[0], " by billing") {
		t.Errorf("changes %q", got)
	}
}
