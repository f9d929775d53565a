package broker

import (
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mq-project/mq/protocol"
)

// ConsumerOffsetManager holds the committed consumer offsets (ConsumerOffsetManager.java):
// "topic@group" → queue id → next offset to consume. It is persisted as
// config/consumerOffset.json by Persist, which the broker calls every
// flushConsumerOffsetInterval (5 s) and at shutdown; Persist skips the write when nothing
// changed. Apache writes the queue ids as bare numbers ({0:12}); both forms are read, and we
// write standard JSON ({"0":12}).
type ConsumerOffsetManager struct {
	path string
	log  *slog.Logger

	mu      sync.RWMutex
	table   map[string]map[int32]int64
	version protocol.DataVersion
	dirty   bool

	persistMu sync.Mutex // serialises Persist calls
}

// offsetKey is the table key "topic@group".
func offsetKey(topic, group string) string { return topic + "@" + group }

// NewConsumerOffsetManager loads <configDir>/consumerOffset.json if it exists.
func NewConsumerOffsetManager(configDir string, log *slog.Logger) (*ConsumerOffsetManager, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &ConsumerOffsetManager{
		path:  filepath.Join(configDir, "consumerOffset.json"),
		log:   log,
		table: make(map[string]map[int32]int64),
	}
	b, err := readFileIfExists(m.path)
	if err != nil {
		return nil, err
	}
	if b != nil {
		var w protocol.ConsumerOffsetSerializeWrapper
		if err := protocol.DecodeBody(b, &w); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorruptFile, m.path, err)
		}
		for k, v := range w.OffsetTable {
			if v != nil {
				m.table[k] = v
			}
		}
		m.version = w.DataVersion
	}
	return m, nil
}

// Commit records offset as the next offset group consumes from topic's queue.
func (m *ConsumerOffsetManager) Commit(group, topic string, queueID int32, offset int64) {
	key := offsetKey(topic, group)
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.table[key]
	if q == nil {
		q = make(map[int32]int64)
		m.table[key] = q
	}
	if old, ok := q[queueID]; ok && old == offset {
		return
	}
	q[queueID] = offset
	m.dirty = true
}

// Query returns the committed offset of group on topic's queue.
func (m *ConsumerOffsetManager) Query(group, topic string, queueID int32) (int64, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	off, ok := m.table[offsetKey(topic, group)][queueID]
	return off, ok
}

// QueueOffsets returns a copy of group's offsets on topic (queue id → offset).
func (m *ConsumerOffsetManager) QueueOffsets(group, topic string) map[int32]int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return maps.Clone(m.table[offsetKey(topic, group)])
}

// TopicsOfGroup returns the topics group has offsets for.
func (m *ConsumerOffsetManager) TopicsOfGroup(group string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for k := range m.table {
		if t, g, ok := splitOffsetKey(k); ok && g == group {
			out = append(out, t)
		}
	}
	return out
}

// GroupsOfTopic returns the groups with offsets on topic.
func (m *ConsumerOffsetManager) GroupsOfTopic(topic string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for k := range m.table {
		if t, g, ok := splitOffsetKey(k); ok && t == topic {
			out = append(out, g)
		}
	}
	return out
}

// splitOffsetKey splits "topic@group" at the last '@' (topics cannot contain '@').
func splitOffsetKey(k string) (topic, group string, ok bool) {
	i := strings.LastIndexByte(k, '@')
	if i < 0 {
		return "", "", false
	}
	return k[:i], k[i+1:], true
}

// RemoveTopic drops every group's offsets on topic (DELETE_TOPIC_IN_BROKER).
func (m *ConsumerOffsetManager) RemoveTopic(topic string) {
	m.remove(func(t, _ string) bool { return t == topic })
}

// RemoveGroup drops every offset of group (DELETE_SUBSCRIPTIONGROUP with cleanOffset).
func (m *ConsumerOffsetManager) RemoveGroup(group string) {
	m.remove(func(_, g string) bool { return g == group })
}

func (m *ConsumerOffsetManager) remove(match func(topic, group string) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.table {
		if t, g, ok := splitOffsetKey(k); ok && match(t, g) {
			delete(m.table, k)
			m.dirty = true
		}
	}
}

// Wrapper returns a copy of the table (consumerOffset.json, the body of
// GET_ALL_CONSUMER_OFFSET).
func (m *ConsumerOffsetManager) Wrapper() protocol.ConsumerOffsetSerializeWrapper {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.wrapperLocked()
}

func (m *ConsumerOffsetManager) wrapperLocked() protocol.ConsumerOffsetSerializeWrapper {
	t := make(map[string]map[int32]int64, len(m.table))
	for k, v := range m.table {
		t[k] = maps.Clone(v)
	}
	return protocol.ConsumerOffsetSerializeWrapper{DataVersion: m.version, OffsetTable: t}
}

// Persist writes consumerOffset.json if anything changed since the last write.
func (m *ConsumerOffsetManager) Persist() error {
	m.persistMu.Lock()
	defer m.persistMu.Unlock()
	m.mu.Lock()
	if !m.dirty {
		m.mu.Unlock()
		return nil
	}
	nextVersion(&m.version, time.Now())
	w := m.wrapperLocked()
	m.dirty = false
	m.mu.Unlock()
	b, err := protocol.EncodeBody(w)
	if err == nil {
		err = writeFileAtomic(m.path, b)
	}
	if err != nil {
		m.mu.Lock()
		m.dirty = true // try again next time
		m.mu.Unlock()
	}
	return err
}
