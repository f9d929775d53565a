package schedule

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/store"
)

// TestPoisonedDelayMessagesSkipped: delay messages naming ../../pwned, no queue, or a
// destination Route refuses are skipped (logged) and the good one behind them on the same
// level is delivered; the level's offset moves past all of them.
func TestPoisonedDelayMessagesSkipped(t *testing.T) {
	cfg := store.DefaultConfig()
	cfg.StorePathRootDir = t.TempDir()
	cfg.MappedFileSizeCommitLog = 1 << 20
	cfg.MappedFileSizeConsumeQueue = 20 * 1024
	cfg.MaxMessageSize = 64 << 10
	cfg.MaxHashSlotNum, cfg.MaxIndexNum = 1024, 4096
	st, err := store.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, p := range []map[string]string{
		{"REAL_TOPIC": "../../pwned", "REAL_QID": "0"},
		{"REAL_TOPIC": "Real"},
		{"REAL_TOPIC": "Real", "REAL_QID": "99999999999"},
		{"REAL_TOPIC": "Forbidden", "REAL_QID": "0"},
		{"REAL_TOPIC": "Real", "REAL_QID": "7"},
	} {
		p["DELAY"] = "1"
		m := &message.MessageExt{Message: message.Message{Topic: Topic, Body: []byte(p["REAL_TOPIC"]), Properties: p}}
		if _, err := st.Append(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(Config{Store: st, Levels: []time.Duration{time.Millisecond}, Route: func(topic string, qid int32) (int32, error) {
		if topic == "Forbidden" {
			return 0, errors.New("forbidden")
		}
		return qid, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for st.MaxOffset("Real", 7) == 0 || s.Offsets()[1] != 5 {
		if time.Now().After(deadline) {
			t.Fatalf("good message not delivered: Real/7 max %d, level offset %d", st.MaxOffset("Real", 7), s.Offsets()[1])
		}
		if _, err := s.deliverDue(context.Background()); err != nil {
			t.Fatalf("deliverDue: %v (a poisoned message blocks the level)", err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if n := len(st.Topics()); n != 2 { // SCHEDULE_TOPIC_XXXX and Real
		t.Fatalf("topics in the store: %v", st.Topics())
	}
}
