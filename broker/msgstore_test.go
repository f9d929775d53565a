package broker

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/mq-project/mq/store"
)

// TestConfigKeysSpelledOnce: every key of broker.conf is the tag of exactly one field, the
// store's keys included (broker.Config embeds store.Config), so that no key has two fields
// that could disagree.
func TestConfigKeysSpelledOnce(t *testing.T) {
	seen := map[string]string{}
	var walk func(rt reflect.Type, path string)
	walk = func(rt reflect.Type, path string) {
		for i := 0; i < rt.NumField(); i++ {
			f := rt.Field(i)
			tag := f.Tag.Get("prop")
			switch {
			case tag == "" && f.Type.Kind() == reflect.Struct:
				walk(f.Type, path+f.Name+".")
			case tag != "" && tag != "-":
				if prev, dup := seen[tag]; dup {
					t.Errorf("key %s is the tag of %s and of %s", tag, prev, path+f.Name)
				}
				seen[tag] = path + f.Name
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	for _, key := range []string{"storePathRootDir", "mappedFileSizeCommitLog", "flushDiskType", "maxMessageSize", "recoverMode"} {
		if got, want := seen[key], "Config."+map[string]string{
			"storePathRootDir": "StorePathRootDir", "mappedFileSizeCommitLog": "MappedFileSizeCommitLog",
			"flushDiskType": "FlushDiskType", "maxMessageSize": "MaxMessageSize", "recoverMode": "RecoverMode",
		}[key]; got != want {
			t.Errorf("key %s is field %s, want the store's %s", key, got, want)
		}
	}
}

// TestStoreConfigDerived: the store is opened with the loaded store keys as they are, except
// the derived values: the old mapedFileSize* spellings, the record overhead on
// maxMessageSize, and the store host.
func TestStoreConfigDerived(t *testing.T) {
	c := DefaultConfig()
	c.StorePathRootDir = "/data/store"
	c.FlushDiskType = SyncFlush
	c.FileReservedTime = 5
	c.MaxMessageSize = 1 << 20
	c.MapedFileSizeConsumeQueue = 20 * 1000
	c.BrokerIP1 = "10.0.0.7"
	c.ListenPort = 20911
	sc := c.storeConfig()
	want := c.Config
	want.MaxMessageSize = 1<<20 + recordOverhead
	want.MappedFileSizeConsumeQueue = 20 * 1000
	want.StoreHost = netip.MustParseAddrPort("10.0.0.7:20911")
	if !reflect.DeepEqual(sc, want) {
		t.Fatalf("storeConfig\n got %+v\nwant %+v", sc, want)
	}
	if sc.FlushDiskType != store.SyncFlush || sc.FileReservedTime != 5 || sc.StorePathRootDir != "/data/store" {
		t.Errorf("loaded keys not passed: %+v", sc)
	}
	if err := sc.Validate(); err != nil {
		t.Errorf("store refuses the broker's store config: %v", err)
	}
}
