package broker

import (
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"sync"
	"time"

	"github.com/mq-project/mq/protocol"
)

// Predefined subscription groups (SubscriptionGroupManager#init, MixAll.java).
var predefinedGroups = []string{
	"TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY",
	"CID_ONSAPI_PULL", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER", "CID_RMQ_SYS_TRANS",
}

// SubscriptionGroupManager holds the consumer groups' configuration
// (SubscriptionGroupManager.java), persisted as config/subscriptionGroup.json on every change.
type SubscriptionGroupManager struct {
	path       string
	log        *slog.Logger
	autoCreate bool

	persistMu sync.Mutex // serializes Persist calls (writers under mu exclude them anyway)
	mu        sync.RWMutex
	table     map[string]protocol.SubscriptionGroupConfig
	forbidden map[string]map[string]int32
	version   protocol.DataVersion
}

// NewSubscriptionGroupManager creates the predefined groups and loads
// <configDir>/subscriptionGroup.json over them. autoCreate is autoCreateSubscriptionGroup.
func NewSubscriptionGroupManager(configDir string, autoCreate bool, log *slog.Logger) (*SubscriptionGroupManager, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &SubscriptionGroupManager{
		path:       filepath.Join(configDir, "subscriptionGroup.json"),
		log:        log,
		autoCreate: autoCreate,
		table:      make(map[string]protocol.SubscriptionGroupConfig),
		forbidden:  make(map[string]map[string]int32),
	}
	for _, g := range predefinedGroups {
		m.table[g] = protocol.NewSubscriptionGroupConfig(g)
	}
	b, err := readFileIfExists(m.path)
	if err != nil {
		return nil, err
	}
	if b != nil {
		var w protocol.SubscriptionGroupWrapper
		if err := protocol.DecodeBody(b, &w); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorruptFile, m.path, err)
		}
		maps.Copy(m.table, w.SubscriptionGroupTable)
		if w.ForbiddenTable != nil {
			m.forbidden = w.ForbiddenTable
		}
		m.version = w.DataVersion
	}
	return m, nil
}

func (m *SubscriptionGroupManager) persistLocked() error {
	b, err := protocol.EncodeBody(m.wrapperLocked())
	if err != nil {
		return err
	}
	return writeFileAtomic(m.path, b)
}

func (m *SubscriptionGroupManager) wrapperLocked() protocol.SubscriptionGroupWrapper {
	return protocol.SubscriptionGroupWrapper{
		DataVersion:            m.version,
		ForbiddenTable:         maps.Clone(m.forbidden),
		SubscriptionGroupTable: maps.Clone(m.table),
	}
}

// Persist writes subscriptionGroup.json.
func (m *SubscriptionGroupManager) Persist() error {
	m.mu.RLock() // shared: lookups go on while the file is written
	defer m.mu.RUnlock()
	m.persistMu.Lock() // but two Persist calls would mix their bytes in the temp file
	defer m.persistMu.Unlock()
	return m.persistLocked()
}

// Wrapper returns a copy of the table (subscriptionGroup.json, the body of
// GET_ALL_SUBSCRIPTIONGROUP_CONFIG).
func (m *SubscriptionGroupManager) Wrapper() protocol.SubscriptionGroupWrapper {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.wrapperLocked()
}

// Get returns the config of group.
func (m *SubscriptionGroupManager) Get(group string) (protocol.SubscriptionGroupConfig, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.table[group]
	return c, ok
}

// FindOrCreate returns the config of group, creating it with the defaults when it is unknown
// and autoCreateSubscriptionGroup is on (SubscriptionGroupManager#findSubscriptionGroupConfig).
// It returns ErrGroupNotExist otherwise. created says whether the group was new.
func (m *SubscriptionGroupManager) FindOrCreate(group string) (cfg protocol.SubscriptionGroupConfig, created bool, err error) {
	if c, ok := m.Get(group); ok {
		return c, false, nil
	}
	if !m.autoCreate {
		return cfg, false, fmt.Errorf("%w: %s", ErrGroupNotExist, group)
	}
	if err := ValidateGroup(group); err != nil {
		return cfg, false, err
	}
	m.mu.Lock()
	if c, ok := m.table[group]; ok {
		m.mu.Unlock()
		return c, false, nil
	}
	cfg = protocol.NewSubscriptionGroupConfig(group)
	m.table[group] = cfg
	nextVersion(&m.version, time.Now())
	err = m.persistLocked()
	m.mu.Unlock()
	m.log.Info("subscription group auto-created", "group", group)
	return cfg, true, err
}

// Update creates or replaces a group (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).
func (m *SubscriptionGroupManager) Update(cfg protocol.SubscriptionGroupConfig) error {
	if err := ValidateGroup(cfg.GroupName); err != nil {
		return err
	}
	if cfg.Attributes == nil {
		cfg.Attributes = map[string]string{}
	}
	if cfg.GroupRetryPolicy.Type == "" {
		cfg.GroupRetryPolicy.Type = "CUSTOMIZED"
	}
	m.mu.Lock()
	m.table[cfg.GroupName] = cfg
	nextVersion(&m.version, time.Now())
	err := m.persistLocked()
	m.mu.Unlock()
	m.log.Info("subscription group updated", "group", cfg.GroupName)
	return err
}

// Delete removes a group (DELETE_SUBSCRIPTIONGROUP); an unknown group is not an error.
func (m *SubscriptionGroupManager) Delete(group string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.table[group]; !ok {
		return nil
	}
	delete(m.table, group)
	delete(m.forbidden, group)
	nextVersion(&m.version, time.Now())
	m.log.Info("subscription group deleted", "group", group)
	return m.persistLocked()
}
