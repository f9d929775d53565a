package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mq-project/mq/message"
)

func TestCheckTopic(t *testing.T) {
	for _, tc := range []struct {
		name, topic string
		ok          bool
	}{
		{"plain", "TopicTest", true},
		{"allowed punctuation", "a%b|c_d-e", true},
		{"127 chars", strings.Repeat("a", 127), true},
		{"128 chars", strings.Repeat("a", 128), false},
		{"retry 255", "%RETRY%" + strings.Repeat("g", 248), true},
		{"retry 256", "%RETRY%" + strings.Repeat("g", 249), false},
		{"empty", "", false},
		{"dot", ".", false},
		{"dotdot", "..", false},
		{"traversal", "../../pwned", false},
		{"slash", "a/b", false},
		{"backslash", `a\b`, false},
		{"nul", "a\x00b", false},
		{"space", "a b", false},
		{"non-ascii", "tópico", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTopic(tc.topic)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckTopic(%q) = %v, want ok=%v", tc.topic, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidTopic) {
				t.Fatalf("error %v does not wrap ErrInvalidTopic", err)
			}
		})
	}
}

// TestAppendRefusesPathTopics: whatever the caller, a topic that is not a safe directory
// name never reaches the CommitLog nor the file system.
func TestAppendRefusesPathTopics(t *testing.T) {
	parent := t.TempDir()
	cfg := testConfig(t, AsyncFlush)
	cfg.StorePathRootDir = filepath.Join(parent, "a", "b", "store")
	s := mustOpen(t, cfg)
	defer s.Close()
	for _, topic := range []string{"../../pwned", "../../../pwned", "x/../../../../pwned", ".", "..", `a\b`, "a\x00b", "", strings.Repeat("t", 128)} {
		if _, err := s.Append(context.Background(), newMsg(topic, 0, "x", nil)); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("Append(%q) = %v, want ErrInvalidTopic", topic, err)
		}
		ms := []*message.MessageExt{newMsg("ok", 0, "x", nil), newMsg(topic, 0, "y", nil)}
		if _, err := s.AppendBatch(context.Background(), ms); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("AppendBatch(%q) = %v, want ErrInvalidTopic", topic, err)
		}
		if _, err := s.DeleteTopic(topic); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("DeleteTopic(%q) = %v, want ErrInvalidTopic", topic, err)
		}
	}
	if _, err := s.Append(context.Background(), newMsg("ok", -1, "x", nil)); !errors.Is(err, ErrInvalidTopic) {
		t.Errorf("Append(queue -1) = %v, want ErrInvalidTopic", err)
	}
	if n := s.CommitLogMaxOffset(); n != 0 {
		t.Fatalf("CommitLog grew to %d bytes", n)
	}
	assertNoPwned(t, parent)
}

// TestDispatchSkipsPathTopics: a replicated record naming ../../pwned (a master that did not
// check) is skipped by the dispatcher, creates no directory and does not stop later records.
func TestDispatchSkipsPathTopics(t *testing.T) {
	parent := t.TempDir()
	mcfg := testConfig(t, AsyncFlush)
	master := mustOpen(t, mcfg)
	defer master.Close()
	bad := newMsg("BADTOPIC", 0, "evil", nil)
	if _, err := master.Append(context.Background(), bad); err != nil {
		t.Fatal(err)
	}
	if _, err := master.Append(context.Background(), newMsg("good", 0, "fine", nil)); err != nil {
		t.Fatal(err)
	}
	data, err := master.ReadReplica(0, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite the first record's topic in place: "BADTOPIC" and "../../pw" have the same length.
	i := strings.Index(string(data), "BADTOPIC")
	copy(data[i:], "../../pw")

	scfg := testConfig(t, AsyncFlush)
	scfg.StorePathRootDir = filepath.Join(parent, "a", "b", "store")
	slave := mustOpen(t, scfg)
	defer slave.Close()
	if err := slave.AppendReplica(context.Background(), 0, data); err != nil {
		t.Fatal(err)
	}
	waitDispatched(t, slave)
	if got := slave.MaxOffset("good", 0); got != 1 {
		t.Fatalf("good/0 max offset %d, want 1 (dispatch stopped at the bad record?)", got)
	}
	assertNoPwned(t, parent)
}

func assertNoPwned(t *testing.T, root string) {
	t.Helper()
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), "pw") {
			t.Errorf("created %s", p)
		}
		return nil
	})
}

// TestAppendNoSegment: when the next CommitLog segment cannot be created (here a directory
// stands where its file goes) the append fails with ErrNoSegment, nothing is acknowledged,
// and appends work again once the way is clear.
func TestAppendNoSegment(t *testing.T) {
	forEachFlush(t, func(t *testing.T, flush FlushDiskType) {
		cfg := testConfig(t, flush)
		blocker := filepath.Join(cfg.commitLogDir(), fileName(cfg.MappedFileSizeCommitLog))
		if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		s := mustOpen(t, cfg)
		defer s.Close()
		body := string(make([]byte, 8<<10))
		var err error
		n := 0
		for ; n < 20; n++ {
			if _, err = s.Append(context.Background(), newMsg("T", 0, body, nil)); err != nil {
				break
			}
		}
		if !errors.Is(err, ErrNoSegment) {
			t.Fatalf("append %d: %v, want ErrNoSegment", n, err)
		}
		if err := os.RemoveAll(blocker); err != nil {
			t.Fatal(err)
		}
		res, err := s.Append(context.Background(), newMsg("T", 0, body, nil))
		if err != nil {
			t.Fatalf("append after the way is clear: %v", err)
		}
		if res.QueueOffset != int64(n) || res.PhysicalOffset != cfg.MappedFileSizeCommitLog {
			t.Fatalf("appended at queue offset %d, phys %d; want %d, %d", res.QueueOffset, res.PhysicalOffset, n, cfg.MappedFileSizeCommitLog)
		}
		waitDispatched(t, s)
		if got := s.MaxOffset("T", 0); got != int64(n)+1 {
			t.Fatalf("max offset %d, want %d", got, n+1)
		}
	})
}
