package tui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/tui/render"
)

// benchModel is a 160x48 model showing v (already loaded).
func benchModel(b *testing.B, v view) *Model {
	b.Helper()
	m := New(Config{Source: &fakeSource{}, NameServers: "127.0.0.1:9876", NoColor: true})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	st := v.state()
	st.loaded, st.at = true, time.Now()
	m.stack = []view{v}
	return m
}

func bigTopics(n int) *topicsView {
	rows := make([]render.TopicRow, n)
	for i := range rows {
		rows[i] = render.TopicRow{Name: fmt.Sprintf("topic-%05d", i), Kind: admin.KindNormal, ReadQueues: 8, WriteQueues: 8, Perm: 6, Brokers: 2, Messages: int64(i * 7), InTPS: 1.5, Groups: 2}
	}
	v := newTopicsView(false)
	v.rows = rows
	v.setTable(render.TopicsTable(rows, false))
	return v
}

func bigGroups(n int) *groupsView {
	rows := make([]render.GroupRow, n)
	for i := range rows {
		rows[i] = render.GroupRow{Name: fmt.Sprintf("group-%04d", i), Brokers: []string{"broker-a", "broker-b"}, Lag: int64(n - i),
			TimeLagMs: int64(i * 1000), Clients: 2, Tps: 1.5, State: "draining"}
	}
	v := newGroupsView(false)
	v.setTable(render.GroupsTable(rows))
	return v
}

// reportFrame reports ms per frame next to ns/op.
func reportFrame(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
}

// BenchmarkRender10kTopics is one frame of :topics with 10,000 topics (rows laid out once
// per refresh, then reused).
func BenchmarkRender10kTopics(b *testing.B) {
	m := benchModel(b, bigTopics(10000))
	for b.Loop() {
		_ = m.View()
	}
	reportFrame(b)
}

// BenchmarkRefresh10kTopics is a refresh: new rows for 10,000 topics, then the frame.
func BenchmarkRefresh10kTopics(b *testing.B) {
	v := bigTopics(10000)
	m := benchModel(b, v)
	for b.Loop() {
		v.setTable(render.TopicsTable(v.rows, false))
		_ = m.View()
	}
	reportFrame(b)
}

// BenchmarkKeystrokeDown10kTopics is a cursor move and its repaint.
func BenchmarkKeystrokeDown10kTopics(b *testing.B) {
	m := benchModel(b, bigTopics(10000))
	_ = m.View()
	down := tea.KeyPressMsg{Code: tea.KeyDown}
	for b.Loop() {
		m.Update(down)
		_ = m.View()
	}
	reportFrame(b)
}

// BenchmarkKeystrokeFilter10kTopics is one filter keystroke over 10,000 topics (the regex
// runs over every row) and its repaint.
func BenchmarkKeystrokeFilter10kTopics(b *testing.B) {
	v := bigTopics(10000)
	m := benchModel(b, v)
	i := 0
	for b.Loop() {
		v.setFilter(fmt.Sprintf("topic-0%d", i%10))
		_ = m.View()
		i++
	}
	reportFrame(b)
}

// BenchmarkRender1kGroups is one frame of :groups with 1,000 groups.
func BenchmarkRender1kGroups(b *testing.B) {
	m := benchModel(b, bigGroups(1000))
	for b.Loop() {
		_ = m.View()
	}
	reportFrame(b)
}

// BenchmarkRefresh1kGroups is a refresh of :groups with 1,000 groups: rows, sort, frame.
func BenchmarkRefresh1kGroups(b *testing.B) {
	v := bigGroups(1000)
	m := benchModel(b, v)
	rows := make([]render.GroupRow, 1000)
	for i := range rows {
		rows[i] = render.GroupRow{Name: fmt.Sprintf("group-%04d", i), Lag: int64(i), TimeLagMs: 1000, Clients: 1, State: "lagging"}
	}
	for b.Loop() {
		v.setTable(render.GroupsTable(rows))
		_ = m.View()
	}
	reportFrame(b)
}
