package broker

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/protocol"
)

func testConfig(t testing.TB) Config {
	c := DefaultConfig()
	c.BrokerName = "broker-a"
	c.StorePathRootDir = t.TempDir()
	// Small files: every test broker opens a real store.
	c.MappedFileSizeCommitLog = 8 << 20
	c.MappedFileSizeConsumeQueue = 20 * 4096
	c.MaxMessageSize = 1 << 20
	c.MaxHashSlotNum = 4096
	c.MaxIndexNum = 16384
	return c
}

func TestSystemTopics(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(*Config)
		topic      string
		queues     int32
		perm       int32
		wantAbsent bool
	}{
		{"TBW102", nil, "TBW102", 8, 7, false},
		{"TBW102,autoCreate=false", func(c *Config) { c.AutoCreateTopicEnable = false }, "TBW102", 0, 0, true},
		{"TBW102,queues=4", func(c *Config) { c.DefaultTopicQueueNums = 4 }, "TBW102", 4, 7, false},
		{"SELF_TEST_TOPIC", nil, "SELF_TEST_TOPIC", 1, 6, false},
		{"cluster", nil, "DefaultCluster", 16, 7, false},
		{"cluster,disabled", func(c *Config) { c.ClusterTopicEnable = false }, "DefaultCluster", 16, 1, false},
		{"brokerName", nil, "broker-a", 1, 7, false},
		{"OFFSET_MOVED_EVENT", nil, "OFFSET_MOVED_EVENT", 1, 6, false},
		{"SCHEDULE_TOPIC_XXXX", nil, "SCHEDULE_TOPIC_XXXX", 18, 6, false},
		{"trace", nil, "RMQ_SYS_TRACE_TOPIC", 1, 6, false},
		{"trace,disabled", func(c *Config) { c.TraceTopicEnable = false }, "RMQ_SYS_TRACE_TOPIC", 0, 0, true},
		{"reply", nil, "DefaultCluster_REPLY_TOPIC", 1, 6, false},
		{"half", nil, "RMQ_SYS_TRANS_HALF_TOPIC", 1, 6, false},
		{"ophalf", nil, "RMQ_SYS_TRANS_OP_HALF_TOPIC", 1, 6, false},
	}
	for _, tt := range tests {
		t.Run("topic="+tt.name, func(t *testing.T) {
			c := testConfig(t)
			if tt.edit != nil {
				tt.edit(&c)
			}
			m, err := NewTopicConfigManager(c, c.ConfigDir(), testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			tc, ok := m.Get(tt.topic)
			if tt.wantAbsent {
				if ok {
					t.Fatalf("%s exists: %+v", tt.topic, tc)
				}
				return
			}
			if !ok || tc.ReadQueueNums != tt.queues || tc.WriteQueueNums != tt.queues || tc.Perm != tt.perm {
				t.Fatalf("%s = %+v (exists %v), want %d queues perm %d", tt.topic, tc, ok, tt.queues, tt.perm)
			}
			if !m.IsSystemTopic(tt.topic) {
				t.Fatalf("%s not a system topic", tt.topic)
			}
		})
	}
}

func TestValidateTopic(t *testing.T) {
	tests := []struct {
		topic string
		ok    bool
	}{
		{"TopicTest", true},
		{"a-b_c|d%e", true},
		{"", false},
		{"a b", false},
		{"a.b", false},
		{"a@b", false},
		{strings.Repeat("a", 127), true},
		{strings.Repeat("a", 128), false},
		{"%RETRY%" + strings.Repeat("g", 200), true},
		{"%DLQ%" + strings.Repeat("g", 251), false},
	}
	for _, tt := range tests {
		name := tt.topic
		if len(name) > 20 {
			name = name[:20] + "..."
		}
		t.Run("topic="+name, func(t *testing.T) {
			err := ValidateTopic(tt.topic)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidTopic)) {
				t.Fatalf("ValidateTopic(%q) = %v", tt.topic, err)
			}
		})
	}
}

func TestTopicConfigManagerPersistence(t *testing.T) {
	c := testConfig(t)
	changes := 0
	m, err := NewTopicConfigManager(c, c.ConfigDir(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	m.SetOnChange(func() { changes++ })
	v0 := m.DataVersion()

	tc := protocol.NewTopicConfig("TopicTest")
	tc.ReadQueueNums, tc.WriteQueueNums = 4, 4
	if err := m.Update(tc); err != nil {
		t.Fatal(err)
	}
	if err := m.Update(protocol.NewTopicConfig("bad topic")); !errors.Is(err, ErrInvalidTopic) {
		t.Fatalf("bad name: %v", err)
	}
	if err := m.Update(protocol.NewTopicConfig("TBW102")); !errors.Is(err, ErrSystemTopic) {
		t.Fatalf("system topic: %v", err)
	}
	if err := m.Delete("SCHEDULE_TOPIC_XXXX"); !errors.Is(err, ErrSystemTopic) {
		t.Fatalf("delete system topic: %v", err)
	}
	auto, created, err := m.CreateFromDefault("AutoTopic", "TBW102", 4, 0)
	if err != nil || !created || auto.WriteQueueNums != 4 || auto.Perm != 6 {
		t.Fatalf("auto-create: %+v %v %v", auto, created, err)
	}
	if _, _, err := m.CreateFromDefault("Other", "TopicTest", 4, 0); !errors.Is(err, ErrTopicNotExist) {
		t.Fatalf("auto-create from a non-inheritable default: %v", err)
	}
	retry := protocol.NewTopicConfig(RetryTopic("g1"))
	retry.ReadQueueNums, retry.WriteQueueNums = 1, 1
	if _, created, err := m.CreateIfAbsent(retry); err != nil || !created {
		t.Fatalf("retry topic: %v %v", created, err)
	}
	if _, created, _ := m.CreateIfAbsent(retry); created {
		t.Fatal("created twice")
	}
	if err := m.Delete("AutoTopic"); err != nil {
		t.Fatal(err)
	}
	v1 := m.DataVersion()
	if changes != 4 || v1.Counter != v0.Counter+4 || v1.Timestamp == 0 {
		t.Fatalf("changes %d, version %+v -> %+v", changes, v0, v1)
	}

	// Reopen: persisted topics and version come back, system topics too.
	m2, err := NewTopicConfigManager(c, c.ConfigDir(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := m2.Get("TopicTest"); !ok || got.WriteQueueNums != 4 {
		t.Fatalf("TopicTest after reopen: %+v %v", got, ok)
	}
	if _, ok := m2.Get("AutoTopic"); ok {
		t.Fatal("deleted topic came back")
	}
	if _, ok := m2.Get(RetryTopic("g1")); !ok {
		t.Fatal("retry topic lost")
	}
	if m2.DataVersion() != v1 {
		t.Fatalf("version %+v, want %+v", m2.DataVersion(), v1)
	}
}

// TestTopicsReadApacheFile reads a topics.json as Apache writes it (pretty, tab-indented).
func TestTopicsReadApacheFile(t *testing.T) {
	c := testConfig(t)
	apache := "{\n\t\"dataVersion\":{\n\t\t\"counter\":3,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":1700000000000\n\t},\n" +
		"\t\"topicConfigTable\":{\n\t\t\"TopicTest\":{\n\t\t\t\"attributes\":{},\n\t\t\t\"order\":false,\n\t\t\t\"perm\":6,\n" +
		"\t\t\t\"readQueueNums\":4,\n\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n\t\t\t\"topicName\":\"TopicTest\",\n" +
		"\t\t\t\"topicSysFlag\":0,\n\t\t\t\"writeQueueNums\":4\n\t\t}\n\t}\n}"
	os.MkdirAll(c.ConfigDir(), 0o755)
	os.WriteFile(filepath.Join(c.ConfigDir(), "topics.json"), []byte(apache), 0o644)
	m, err := NewTopicConfigManager(c, c.ConfigDir(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if tc, ok := m.Get("TopicTest"); !ok || tc.ReadQueueNums != 4 {
		t.Fatalf("%+v %v", tc, ok)
	}
	if m.DataVersion().Counter != 3 {
		t.Fatalf("version %+v", m.DataVersion())
	}
}

func TestCorruptFileIsAnError(t *testing.T) {
	for _, name := range []string{"topics.json", "subscriptionGroup.json", "consumerOffset.json"} {
		t.Run("file="+name, func(t *testing.T) {
			c := testConfig(t)
			os.MkdirAll(c.ConfigDir(), 0o755)
			os.WriteFile(filepath.Join(c.ConfigDir(), name), []byte(`{"dataVersion":`), 0o644)
			_, err := New(c, testLogger(t))
			if !errors.Is(err, ErrCorruptFile) {
				t.Fatalf("New = %v, want ErrCorruptFile", err)
			}
		})
	}
}

// TestAtomicWriteKeepsOldFile: an interrupted write (the temp file written, the rename never
// done) leaves the previous content in place, and the next open ignores the leftover.
func TestAtomicWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "consumerOffset.json")
	if err := writeFileAtomic(path, []byte(`{"offsetTable":{"T@g":{0:5}}}`)); err != nil {
		t.Fatal(err)
	}
	// Simulate a crash between write and rename: a half-written temp file.
	if err := os.WriteFile(path+".tmp", []byte(`{"offsetTable":{"T@g":{0:`), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := NewConsumerOffsetManager(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if off, ok := m.Query("g", "T", 0); !ok || off != 5 {
		t.Fatalf("offset %d %v, want the old file's 5", off, ok)
	}
	// The next write replaces both.
	m.Commit("g", "T", 0, 9)
	if err := m.Persist(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Fatalf("temp file left: %v", err)
	}
	// A failing write (directory not writable) leaves the old file intact.
	if os.Getuid() != 0 {
		os.Chmod(dir, 0o500)
		defer os.Chmod(dir, 0o755)
		if err := writeFileAtomic(path, []byte("new")); err == nil {
			t.Fatal("write into a read-only dir succeeded")
		}
		b, _ := os.ReadFile(path)
		if !strings.Contains(string(b), `"0":9`) {
			t.Fatalf("old content lost: %s", b)
		}
	}
}

func TestConsumerOffsetManager(t *testing.T) {
	dir := t.TempDir()
	// Apache's file: bare numeric keys, groupTopicMap, tabs.
	apache := "{\n\t\"dataVersion\":{\"counter\":2,\"stateVersion\":0,\"timestamp\":1},\n\t\"groupTopicMap\":{\"g1\":[\"TopicTest\"]},\n" +
		"\t\"offsetTable\":{\n\t\t\"TopicTest@g1\":{0:118,1:120},\n\t\t\"%RETRY%g1@g1\":{0:0}\n\t}\n}"
	os.WriteFile(filepath.Join(dir, "consumerOffset.json"), []byte(apache), 0o644)
	m, err := NewConsumerOffsetManager(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		group, topic string
		queue        int32
		want         int64
		ok           bool
	}{
		{"g1", "TopicTest", 0, 118, true},
		{"g1", "TopicTest", 1, 120, true},
		{"g1", "%RETRY%g1", 0, 0, true},
		{"g1", "TopicTest", 2, 0, false},
		{"g2", "TopicTest", 0, 0, false},
	}
	for _, tt := range tests {
		if got, ok := m.Query(tt.group, tt.topic, tt.queue); got != tt.want || ok != tt.ok {
			t.Errorf("Query(%s,%s,%d) = %d,%v want %d,%v", tt.group, tt.topic, tt.queue, got, ok, tt.want, tt.ok)
		}
	}
	m.Commit("g2", "TopicTest", 3, 7)
	m.Commit("g1", "TopicTest", 0, 119)
	if err := m.Persist(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "consumerOffset.json"))
	if !strings.Contains(string(b), `"TopicTest@g2":{"3":7}`) {
		t.Fatalf("written file: %s", b)
	}
	info, _ := os.Stat(filepath.Join(dir, "consumerOffset.json"))
	if err := m.Persist(); err != nil { // nothing changed: no write
		t.Fatal(err)
	}
	if info2, _ := os.Stat(filepath.Join(dir, "consumerOffset.json")); !info2.ModTime().Equal(info.ModTime()) {
		t.Fatal("unchanged table rewritten")
	}

	m2, err := NewConsumerOffsetManager(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := m2.Query("g1", "TopicTest", 0); got != 119 {
		t.Fatalf("after reopen: %d", got)
	}
	if got := m2.TopicsOfGroup("g1"); len(got) != 2 {
		t.Fatalf("topics of g1: %v", got)
	}
	m2.RemoveTopic("TopicTest")
	if _, ok := m2.Query("g2", "TopicTest", 3); ok {
		t.Fatal("RemoveTopic kept g2's offset")
	}
	m2.RemoveGroup("g1")
	if len(m2.Wrapper().OffsetTable) != 0 {
		t.Fatalf("left: %v", m2.Wrapper().OffsetTable)
	}
}

func TestSubscriptionGroupManager(t *testing.T) {
	dir := t.TempDir()
	m, err := NewSubscriptionGroupManager(dir, true, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"TOOLS_CONSUMER", "CID_RMQ_SYS_TRANS", "SELF_TEST_C_GROUP"} {
		if _, ok := m.Get(g); !ok {
			t.Fatalf("predefined group %s missing", g)
		}
	}
	cfg, created, err := m.FindOrCreate("g1")
	if err != nil || !created || cfg.RetryMaxTimes != 16 || cfg.RetryQueueNums != 1 || !cfg.ConsumeEnable {
		t.Fatalf("auto-create: %+v %v %v", cfg, created, err)
	}
	if _, created, _ := m.FindOrCreate("g1"); created {
		t.Fatal("created twice")
	}
	custom := protocol.NewSubscriptionGroupConfig("g2")
	custom.RetryMaxTimes, custom.ConsumeBroadcastEnable = 3, false
	if err := m.Update(custom); err != nil {
		t.Fatal(err)
	}
	if err := m.Update(protocol.NewSubscriptionGroupConfig("bad group")); !errors.Is(err, ErrInvalidGroup) {
		t.Fatalf("bad name: %v", err)
	}
	if err := m.Delete("g1"); err != nil {
		t.Fatal(err)
	}
	v := m.Wrapper().DataVersion

	m2, err := NewSubscriptionGroupManager(dir, false, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := m2.Get("g2"); !ok || got.RetryMaxTimes != 3 || got.ConsumeBroadcastEnable {
		t.Fatalf("g2 after reopen: %+v %v", got, ok)
	}
	if _, ok := m2.Get("g1"); ok {
		t.Fatal("deleted group came back")
	}
	if m2.Wrapper().DataVersion != v {
		t.Fatalf("version %+v want %+v", m2.Wrapper().DataVersion, v)
	}
	if _, _, err := m2.FindOrCreate("g3"); !errors.Is(err, ErrGroupNotExist) {
		t.Fatalf("auto-create off: %v", err)
	}
}

// TestFreshStoreGetsItsTables: a broker started on an empty store writes topics.json and
// subscriptionGroup.json with the system topics and groups (in the background, off the way
// to ready), as Apache does at start.
func TestFreshStoreGetsItsTables(t *testing.T) {
	cfg := testConfig(t)
	startBroker(t, cfg, nil)
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		for name, want := range map[string]string{"topics.json": TopicSelfTest, "subscriptionGroup.json": "TOOLS_CONSUMER"} {
			b, err := os.ReadFile(filepath.Join(cfg.ConfigDir(), name))
			if err != nil {
				return err
			}
			if !bytes.Contains(b, []byte(want)) {
				return fmt.Errorf("%s lacks %s", name, want)
			}
		}
		return nil
	})
}
