package namesrv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sync"
)

// orderTopicConfigNamespace is the KV namespace of ordered-topic configurations
// (NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG).
const orderTopicConfigNamespace = "ORDER_TOPIC_CONFIG"

// kvStore is the KV config (Java's KVConfigManager): namespace -> key -> value, persisted as
// {"configTable":{ns:{k:v}}} after every change.
type kvStore struct {
	mu    sync.RWMutex
	path  string
	table map[string]map[string]string
}

type kvFile struct {
	ConfigTable map[string]map[string]string `json:"configTable"`
}

func loadKV(path string) (*kvStore, error) {
	kv := &kvStore{path: path, table: map[string]map[string]string{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return kv, nil
	}
	if err != nil {
		return nil, fmt.Errorf("namesrv: load kv config: %w", err)
	}
	if len(data) == 0 {
		return kv, nil
	}
	var f kvFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("namesrv: load kv config %s: %w", path, err)
	}
	for ns, m := range f.ConfigTable {
		if m != nil {
			kv.table[ns] = m
		}
	}
	return kv, nil
}

func (kv *kvStore) put(ns, key, value string) error {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	m := kv.table[ns]
	if m == nil {
		m = map[string]string{}
		kv.table[ns] = m
	}
	m[key] = value
	return kv.persistLocked()
}

func (kv *kvStore) get(ns, key string) (string, bool) {
	kv.mu.RLock()
	defer kv.mu.RUnlock()
	v, ok := kv.table[ns][key]
	return v, ok
}

func (kv *kvStore) delete(ns, key string) error {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	m := kv.table[ns]
	if _, ok := m[key]; !ok {
		return nil
	}
	delete(m, key)
	return kv.persistLocked()
}

// list returns a copy of the namespace, or nil when it does not exist.
func (kv *kvStore) list(ns string) map[string]string {
	kv.mu.RLock()
	defer kv.mu.RUnlock()
	m, ok := kv.table[ns]
	if !ok {
		return nil
	}
	return maps.Clone(m)
}

func (kv *kvStore) persist() error {
	kv.mu.RLock()
	defer kv.mu.RUnlock()
	return kv.persistLocked()
}

func (kv *kvStore) persistLocked() error {
	data, err := json.MarshalIndent(kvFile{ConfigTable: kv.table}, "", "\t")
	if err != nil {
		return fmt.Errorf("namesrv: encode kv config: %w", err)
	}
	return writeFileAtomic(kv.path, data)
}

// writeFileAtomic writes data to a temporary file next to path, syncs it, renames it over
// path and syncs the directory.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("namesrv: write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("namesrv: write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("namesrv: write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
