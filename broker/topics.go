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
	"github.com/mq-project/mq/store"
)

// System topic names (TopicValidator.java, MixAll.java).
const (
	TopicAutoCreate    = "TBW102"
	TopicSelfTest      = "SELF_TEST_TOPIC"
	TopicOffsetMoved   = "OFFSET_MOVED_EVENT"
	TopicSchedule      = "SCHEDULE_TOPIC_XXXX"
	TopicTransHalf     = "RMQ_SYS_TRANS_HALF_TOPIC"
	TopicTransOpHalf   = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
	TopicTransCheckMax = "TRANS_CHECK_MAX_TIME_TOPIC"
	TopicTrace         = "RMQ_SYS_TRACE_TOPIC"
	// SystemTopicPrefix starts internal topics such as rmq_sys_wheel_timer (TopicValidator's
	// SYSTEM_TOPIC_PREFIX).
	SystemTopicPrefix = "rmq_sys_"
	// ReplyTopicSuffix makes the request-reply topic <cluster>_REPLY_TOPIC.
	ReplyTopicSuffix = "_REPLY_TOPIC"
	// RetryGroupTopicPrefix and DLQGroupTopicPrefix make %RETRY%<group> and %DLQ%<group>.
	RetryGroupTopicPrefix = "%RETRY%"
	DLQGroupTopicPrefix   = "%DLQ%"

	// ScheduleTopicQueueNums is the queue count of SCHEDULE_TOPIC_XXXX, one per delay level.
	ScheduleTopicQueueNums = 18

	maxTopicLength      = 127
	maxRetryTopicLength = 255
	maxGroupLength      = 255
)

// RetryTopic returns %RETRY%<group>.
func RetryTopic(group string) string { return RetryGroupTopicPrefix + group }

// DLQTopic returns %DLQ%<group>.
func DLQTopic(group string) string { return DLQGroupTopicPrefix + group }

// validName reports whether s only has characters of ^[%|a-zA-Z0-9_-]+$.
func validName(s string) bool { return store.ValidName(s) }

// ValidateTopic checks a topic name as TopicValidator.validateTopic does: non-empty,
// characters [%|a-zA-Z0-9_-], at most 127 characters (255 for %RETRY% and %DLQ% topics).
func ValidateTopic(topic string) error {
	limit := maxTopicLength
	if strings.HasPrefix(topic, RetryGroupTopicPrefix) || strings.HasPrefix(topic, DLQGroupTopicPrefix) {
		limit = maxRetryTopicLength
	}
	switch {
	case topic == "":
		return fmt.Errorf("%w: empty", ErrInvalidTopic)
	case len(topic) > limit:
		return fmt.Errorf("%w: %q is longer than %d characters", ErrInvalidTopic, topic, limit)
	case !validName(topic):
		return fmt.Errorf("%w: %q has characters outside [%%|a-zA-Z0-9_-]", ErrInvalidTopic, topic)
	}
	return nil
}

// ValidateGroup checks a group name: non-empty, characters [%|a-zA-Z0-9_-], at most 255.
func ValidateGroup(group string) error {
	switch {
	case group == "":
		return fmt.Errorf("%w: empty", ErrInvalidGroup)
	case len(group) > maxGroupLength:
		return fmt.Errorf("%w: %q is longer than %d characters", ErrInvalidGroup, group, maxGroupLength)
	case !validName(group):
		return fmt.Errorf("%w: %q has characters outside [%%|a-zA-Z0-9_-]", ErrInvalidGroup, group)
	}
	return nil
}

// nextVersion bumps a DataVersion as DataVersion.nextVersion does.
func nextVersion(v *protocol.DataVersion, now time.Time) {
	v.Counter++
	v.Timestamp = now.UnixMilli()
}

// TopicConfigManager holds the broker's topic table (TopicConfigManager.java), persisted as
// config/topics.json. Every change bumps the data version, is written to disk before the
// call returns, and calls the change hook (the registrar re-registers with nameservers).
type TopicConfigManager struct {
	path     string
	log      *slog.Logger
	autoTBW  bool
	onChange func()

	persistMu sync.Mutex // serializes Persist calls (writers under mu exclude them anyway)
	mu        sync.RWMutex
	table     map[string]protocol.TopicConfig
	version   protocol.DataVersion
	system    map[string]bool
}

// NewTopicConfigManager creates the system topics Apache creates at start for cfg, then
// loads <configDir>/topics.json over them (persisted entries win, as in Java).
func NewTopicConfigManager(cfg Config, configDir string, log *slog.Logger) (*TopicConfigManager, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &TopicConfigManager{
		path:    filepath.Join(configDir, "topics.json"),
		log:     log,
		autoTBW: cfg.AutoCreateTopicEnable,
		table:   make(map[string]protocol.TopicConfig),
		system:  make(map[string]bool),
	}
	m.initSystemTopics(cfg)
	if err := m.load(); err != nil {
		return nil, err
	}
	return m, nil
}

// SetOnChange sets the hook called (outside the lock) after every change to the table.
// Call it before the manager is shared.
func (m *TopicConfigManager) SetOnChange(fn func()) { m.onChange = fn }

func sysTopic(name string, queues int32, perm int32) protocol.TopicConfig {
	tc := protocol.NewTopicConfig(name)
	tc.ReadQueueNums, tc.WriteQueueNums, tc.Perm = queues, queues, perm
	return tc
}

// initSystemTopics mirrors TopicConfigManager#init. BenchmarkTest (1024 queues) and the 5.x
// pop revive and broker-member-sync topics are not created: nothing of ours uses them.
func (m *TopicConfigManager) initSystemTopics(cfg Config) {
	const rw = protocol.PermRead | protocol.PermWrite
	put := func(tc protocol.TopicConfig) {
		m.table[tc.TopicName] = tc
		m.system[tc.TopicName] = true
	}
	put(sysTopic(TopicSelfTest, 1, rw))
	if cfg.AutoCreateTopicEnable {
		put(sysTopic(TopicAutoCreate, int32(cfg.DefaultTopicQueueNums), rw|protocol.PermInherit))
	}
	clusterPerm := int32(protocol.PermInherit)
	if cfg.ClusterTopicEnable {
		clusterPerm |= rw
	}
	put(sysTopic(cfg.BrokerClusterName, 16, clusterPerm))
	brokerPerm := int32(protocol.PermInherit)
	if cfg.BrokerTopicEnable {
		brokerPerm |= rw
	}
	put(sysTopic(cfg.BrokerName, 1, brokerPerm))
	put(sysTopic(TopicOffsetMoved, 1, rw))
	put(sysTopic(TopicSchedule, ScheduleTopicQueueNums, rw))
	if cfg.TraceTopicEnable {
		put(sysTopic(cfg.MsgTraceTopicName, 1, rw))
	}
	put(sysTopic(cfg.BrokerClusterName+ReplyTopicSuffix, 1, rw))
	put(sysTopic(TopicTransHalf, 1, rw))
	put(sysTopic(TopicTransOpHalf, 1, rw))
	m.system[TopicTransCheckMax] = true
}

func (m *TopicConfigManager) load() error {
	b, err := readFileIfExists(m.path)
	if err != nil || b == nil {
		return err
	}
	var w protocol.TopicConfigSerializeWrapper
	if err := protocol.DecodeBody(b, &w); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorruptFile, m.path, err)
	}
	maps.Copy(m.table, w.TopicConfigTable)
	m.version = w.DataVersion
	m.log.Info("topics loaded", "path", m.path, "topics", len(w.TopicConfigTable))
	return nil
}

// persistLocked writes topics.json; the caller holds m.mu.
func (m *TopicConfigManager) persistLocked() error {
	b, err := protocol.EncodeBody(protocol.TopicConfigSerializeWrapper{DataVersion: m.version, TopicConfigTable: m.table})
	if err != nil {
		return err
	}
	return writeFileAtomic(m.path, b)
}

// Persist writes topics.json.
func (m *TopicConfigManager) Persist() error {
	m.mu.RLock() // shared: lookups go on while the file is written
	defer m.mu.RUnlock()
	m.persistMu.Lock() // but two Persist calls would mix their bytes in the temp file
	defer m.persistMu.Unlock()
	return m.persistLocked()
}

// BumpVersion moves the data version on without changing a topic, so the nameservers take the
// next registration's queue data (they only replace it when the version changed). Apache does
// this when brokerPermission is updated. It persists and calls the change hook.
func (m *TopicConfigManager) BumpVersion() error {
	m.mu.Lock()
	nextVersion(&m.version, time.Now())
	err := m.persistLocked()
	m.mu.Unlock()
	m.changed()
	return err
}

func (m *TopicConfigManager) changed() {
	if m.onChange != nil {
		m.onChange()
	}
}

// Get returns the config of topic.
func (m *TopicConfigManager) Get(topic string) (protocol.TopicConfig, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	tc, ok := m.table[topic]
	return tc, ok
}

// IsSystemTopic reports whether topic is one the broker created at start (or reserves), or
// an internal rmq_sys_ topic.
func (m *TopicConfigManager) IsSystemTopic(topic string) bool {
	if strings.HasPrefix(topic, SystemTopicPrefix) {
		return true
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.system[topic]
}

// DataVersion returns the table's current version.
func (m *TopicConfigManager) DataVersion() protocol.DataVersion {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.version
}

// Wrapper returns a copy of the table with its version (topics.json, the registration body,
// GET_ALL_TOPIC_CONFIG).
func (m *TopicConfigManager) Wrapper() protocol.TopicConfigSerializeWrapper {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return protocol.TopicConfigSerializeWrapper{DataVersion: m.version, TopicConfigTable: maps.Clone(m.table)}
}

// Topics returns the topic names.
func (m *TopicConfigManager) Topics() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.table))
	for t := range m.table {
		out = append(out, t)
	}
	return out
}

// Update creates or replaces a topic (UPDATE_AND_CREATE_TOPIC). The name is validated and
// system topics are refused with ErrSystemTopic.
func (m *TopicConfigManager) Update(tc protocol.TopicConfig) error {
	if err := ValidateTopic(tc.TopicName); err != nil {
		return err
	}
	if m.IsSystemTopic(tc.TopicName) {
		return fmt.Errorf("%w: %s cannot be changed", ErrSystemTopic, tc.TopicName)
	}
	if tc.Attributes == nil {
		tc.Attributes = map[string]string{}
	}
	if tc.TopicFilterType == "" {
		tc.TopicFilterType = "SINGLE_TAG"
	}
	m.mu.Lock()
	old, existed := m.table[tc.TopicName]
	m.table[tc.TopicName] = tc
	if err := m.commitLocked(tc.TopicName, old, existed); err != nil {
		m.mu.Unlock()
		return err
	}
	m.mu.Unlock()
	m.log.Info("topic updated", "topic", tc.TopicName, "created", !existed, "old", old, "new", tc)
	m.changed()
	return nil
}

// commitLocked bumps the version and writes topics.json after topic was set in the table;
// when the write fails the change is undone (old, or no entry when !existed), so nothing
// that is not durable is ever served. The caller holds m.mu.
func (m *TopicConfigManager) commitLocked(topic string, old protocol.TopicConfig, existed bool) error {
	version := m.version
	nextVersion(&m.version, time.Now())
	err := m.persistLocked()
	if err == nil {
		return nil
	}
	m.version = version
	if existed {
		m.table[topic] = old
	} else {
		delete(m.table, topic)
	}
	return fmt.Errorf("topic %s not changed: %w", topic, err)
}

// Delete removes a topic (DELETE_TOPIC_IN_BROKER); system topics are refused. Deleting an
// unknown topic is not an error.
func (m *TopicConfigManager) Delete(topic string) error {
	if m.IsSystemTopic(topic) {
		return fmt.Errorf("%w: %s cannot be deleted", ErrSystemTopic, topic)
	}
	m.mu.Lock()
	if _, ok := m.table[topic]; !ok {
		m.mu.Unlock()
		return nil
	}
	delete(m.table, topic)
	nextVersion(&m.version, time.Now())
	err := m.persistLocked()
	m.mu.Unlock()
	m.log.Info("topic deleted", "topic", topic)
	m.changed()
	return err
}

// CreateIfAbsent adds tc unless a topic of that name exists, and returns the config in the
// table and whether it was created; a new topic is in topics.json (fsynced) before it is
// returned, or it is not created and the write's error is returned (TopicConfigManager#createTopicIfAbsent and
// createTopicInSendMessageBackMethod: used for %RETRY% and %DLQ% topics).
func (m *TopicConfigManager) CreateIfAbsent(tc protocol.TopicConfig) (protocol.TopicConfig, bool, error) {
	if err := ValidateTopic(tc.TopicName); err != nil {
		return protocol.TopicConfig{}, false, err
	}
	if cur, ok := m.Get(tc.TopicName); ok { // the common case: every heartbeat asks for %RETRY%<group>
		return cur, false, nil
	}
	if tc.Attributes == nil {
		tc.Attributes = map[string]string{}
	}
	m.mu.Lock()
	if cur, ok := m.table[tc.TopicName]; ok {
		m.mu.Unlock()
		return cur, false, nil
	}
	m.table[tc.TopicName] = tc
	if err := m.commitLocked(tc.TopicName, protocol.TopicConfig{}, false); err != nil {
		m.mu.Unlock()
		return protocol.TopicConfig{}, false, err
	}
	m.mu.Unlock()
	m.log.Info("topic created", "topic", tc.TopicName, "queues", tc.WriteQueueNums, "perm", tc.Perm)
	m.changed()
	return tc, true, nil
}

// CreateFromDefault auto-creates topic from defaultTopic the way a send does
// (TopicConfigManager#createTopicInSendMessageMethod): the default topic must exist and be
// inheritable; the new topic gets min(clientQueueNums, default's write queues) queues and
// the default's permission without INHERIT. It returns ErrTopicNotExist when that is not
// possible. An existing topic is returned as it is. A new topic is in topics.json (fsynced)
// before it is returned; when that write fails the topic is not created and the error is
// returned, so a send is never acknowledged for a topic a restart would not know.
func (m *TopicConfigManager) CreateFromDefault(topic, defaultTopic string, clientQueueNums, sysFlag int32) (protocol.TopicConfig, bool, error) {
	if err := ValidateTopic(topic); err != nil {
		return protocol.TopicConfig{}, false, err
	}
	m.mu.Lock()
	if cur, ok := m.table[topic]; ok {
		m.mu.Unlock()
		return cur, false, nil
	}
	def, ok := m.table[defaultTopic]
	if !ok {
		m.mu.Unlock()
		return protocol.TopicConfig{}, false, fmt.Errorf("%w: %s (default topic %s does not exist)", ErrTopicNotExist, topic, defaultTopic)
	}
	perm := def.Perm
	if defaultTopic == TopicAutoCreate && !m.autoTBW {
		perm = protocol.PermRead | protocol.PermWrite
	}
	if perm&protocol.PermInherit == 0 {
		m.mu.Unlock()
		return protocol.TopicConfig{}, false, fmt.Errorf("%w: %s (default topic %s is not inheritable)", ErrTopicNotExist, topic, defaultTopic)
	}
	tc := protocol.NewTopicConfig(topic)
	q := max(min(clientQueueNums, def.WriteQueueNums), 0)
	tc.ReadQueueNums, tc.WriteQueueNums = q, q
	tc.Perm = perm &^ protocol.PermInherit
	tc.TopicSysFlag = sysFlag
	tc.TopicFilterType = def.TopicFilterType
	m.table[topic] = tc
	if err := m.commitLocked(topic, protocol.TopicConfig{}, false); err != nil {
		m.mu.Unlock()
		return protocol.TopicConfig{}, false, err
	}
	m.mu.Unlock()
	m.log.Info("topic auto-created", "topic", topic, "default", defaultTopic, "queues", q)
	m.changed()
	return tc, true, nil
}
