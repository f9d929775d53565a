package schedule

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDeliversWhenDue: a level-1 message (100 ms) reaches its real topic and queue without
// DELAY, not before it is due, woken by Notify (no polling), and the level's offset is
// persisted to delayOffset.json when Run stops.
func TestDeliversWhenDue(t *testing.T) {
	dir := t.TempDir()
	var svc *Service
	var mu sync.Mutex
	cfg := store.DefaultConfig()
	cfg.StorePathRootDir = dir
	cfg.MappedFileSizeCommitLog = 1 << 20
	cfg.MappedFileSizeConsumeQueue = 20 * 1024
	cfg.MaxMessageSize = 64 << 10
	cfg.MaxHashSlotNum, cfg.MaxIndexNum = 1024, 4096
	cfg.Listener = func(topic string, _ int32, _ int64) {
		mu.Lock()
		defer mu.Unlock()
		if topic == Topic && svc != nil {
			svc.Notify()
		}
	}
	st, err := store.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	path := filepath.Join(dir, "delayOffset.json")
	s, err := New(Config{Store: st, Levels: []time.Duration{100 * time.Millisecond, time.Hour}, OffsetPath: path})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	svc = s
	mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	sent := time.Now()
	m := &message.MessageExt{Message: message.Message{Topic: Topic, Body: []byte("later"),
		Properties: map[string]string{"REAL_TOPIC": "Real", "REAL_QID": "2", "DELAY": "1", "KEYS": "k"}}, QueueID: 0}
	if _, err := st.Append(ctx, m); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for st.MaxOffset("Real", 2) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("not delivered")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if d := time.Since(sent); d < 90*time.Millisecond {
		t.Fatalf("delivered after %v, before the 100 ms delay", d)
	}
	r, _ := st.GetMessages("Real", 2, 0, 1, nil)
	got := r.Messages[0].Ext(true)
	r.Release()
	if string(got.Body) != "later" || got.Properties["DELAY"] != "" || got.Properties["REAL_TOPIC"] != "Real" || got.Properties["KEYS"] != "k" {
		t.Fatalf("delivered %+v", got)
	}
	cancel()
	<-done
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), `"1": 1`) && !strings.Contains(string(b), `"1":1`) {
		t.Fatalf("delayOffset.json %s %v", b, err)
	}
	s2, err := New(Config{Store: st, Levels: []time.Duration{time.Second}, OffsetPath: path})
	if err != nil || s2.Offsets()[1] != 1 {
		t.Fatalf("reloaded offsets %v %v", s2.Offsets(), err)
	}
}
