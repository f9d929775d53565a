package broker

import (
	"maps"

	"github.com/mq-project/mq/protocol"
)

// replaceFromMaster replaces the topic table with the master's when its data version
// differs (SlaveSynchronize#syncTopicConfig), persists it and re-registers.
func (m *TopicConfigManager) replaceFromMaster(w protocol.TopicConfigSerializeWrapper) error {
	m.mu.Lock()
	if w.DataVersion == m.version && len(w.TopicConfigTable) == len(m.table) {
		m.mu.Unlock()
		return nil
	}
	m.table = maps.Clone(w.TopicConfigTable)
	if m.table == nil {
		m.table = make(map[string]protocol.TopicConfig)
	}
	m.version = w.DataVersion
	err := m.persistLocked()
	m.mu.Unlock()
	m.changed()
	return err
}

// replaceFromMaster replaces the groups with the master's when its data version differs
// (SlaveSynchronize#syncSubscriptionGroupConfig) and persists them.
func (m *SubscriptionGroupManager) replaceFromMaster(w protocol.SubscriptionGroupWrapper) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w.DataVersion == m.version && len(w.SubscriptionGroupTable) == len(m.table) {
		return nil
	}
	m.table = maps.Clone(w.SubscriptionGroupTable)
	if m.table == nil {
		m.table = make(map[string]protocol.SubscriptionGroupConfig)
	}
	if w.ForbiddenTable != nil {
		m.forbidden = w.ForbiddenTable
	}
	m.version = w.DataVersion
	return m.persistLocked()
}

// replaceFromMaster replaces every offset with the master's (SlaveSynchronize#
// syncConsumerOffset) and persists them.
func (m *ConsumerOffsetManager) replaceFromMaster(w protocol.ConsumerOffsetSerializeWrapper) error {
	m.mu.Lock()
	m.table = make(map[string]map[int32]int64, len(w.OffsetTable))
	for k, v := range w.OffsetTable {
		if v != nil {
			m.table[k] = maps.Clone(v)
		}
	}
	m.version = w.DataVersion
	m.dirty = true
	m.mu.Unlock()
	return m.Persist()
}
