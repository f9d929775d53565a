package broker

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mq-project/mq/broker/acl"
	"github.com/mq-project/mq/internal/props"
)

// brokerA2m2s is broker-a.properties of a 2m-2s (SYNC_MASTER) deployment guide, with the keys
// such guides copy: paths Apache derives itself, 4.x spellings, thread pools. STORE is
// replaced by an absolute directory.
const brokerA2m2s = `# 2m-2s-sync: broker-a master
brokerClusterName=rocketmq-cluster
brokerName=broker-a
brokerId=0
namesrvAddr=10.0.0.1:9876;10.0.0.2:9876
defaultTopicQueueNums=4
autoCreateTopicEnable=false
autoCreateSubscriptionGroup=true
listenPort=10911
deleteWhen=04
fileReservedTime=48
mapedFileSizeCommitLog=1073741824
mapedFileSizeConsumeQueue=300000
destroyMapedFileIntervalForcibly=120000
redeleteHangedFileInterval=120000
diskMaxUsedSpaceRatio=88
storePathRootDir=STORE
storePathCommitLog=STORE/commitlog
storePathConsumeQueue=STORE/consumequeue
storePathIndex=STORE/index
storeCheckpoint=STORE/checkpoint
abortFile=STORE/abort
maxMessageSize=65536
flushCommitLogLeastPages=4
flushConsumeQueueLeastPages=2
flushCommitLogThoroughInterval=10000
flushConsumeQueueThoroughInterval=60000
brokerRole=SYNC_MASTER
flushDiskType=ASYNC_FLUSH
checkTransactionMessageEnable=false
sendMessageThreadPoolNums=128
pullMessageThreadPoolNums=128
useReentrantLockWhenPutMessage=true
waitTimeMillsInSendQueue=300
`

func writeConf(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "broker-a.properties")
	text = strings.ReplaceAll(text, "STORE", filepath.ToSlash(filepath.Join(dir, "store")))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadApache2m2sBrokerA: the guide's broker-a.properties loads and validates with exactly
// one warning line, which lists the Apache keys mq ignores; the keys mq implements apply.
func TestLoadApache2m2sBrokerA(t *testing.T) {
	path := writeConf(t, brokerA2m2s)
	cfg := DefaultConfig()
	rep, err := LoadFile(path, &cfg)
	if err == nil {
		err = rep.AtLines(cfg.Validate())
	}
	if err != nil {
		t.Fatal(err)
	}
	warnings := rep.WarningLines()
	if len(warnings) != 1 {
		t.Fatalf("want one warning line, got %q", warnings)
	}
	want := path + ": 11 Apache RocketMQ keys accepted and ignored (mq does not implement them): " +
		"destroyMapedFileIntervalForcibly, redeleteHangedFileInterval, storePathConsumeQueue, storePathIndex, storeCheckpoint, " +
		"abortFile, flushConsumeQueueLeastPages, flushConsumeQueueThoroughInterval, checkTransactionMessageEnable, " +
		"useReentrantLockWhenPutMessage, waitTimeMillsInSendQueue"
	if warnings[0] != want {
		t.Errorf("warning\n%s\nwant\n%s", warnings[0], want)
	}
	if cfg.BrokerRole != SyncMaster || cfg.BrokerName != "broker-a" || cfg.FileReservedTime != 48 || cfg.MaxMessageSize != 65536 ||
		len(cfg.NamesrvAddrs()) != 2 || cfg.CommitLogSize() != 1<<30 || cfg.File != path {
		t.Errorf("config not applied: %+v", cfg)
	}
}

// TestLoadSuggestsKnownKey: a misspelt key is an error at its line with the key meant.
func TestLoadSuggestsKnownKey(t *testing.T) {
	path := writeConf(t, strings.Replace(brokerA2m2s, "fileReservedTime=48", "fileReserveTime=48", 1))
	_, err := Load(path)
	want := path + `:11: unknown key "fileReserveTime" (did you mean fileReservedTime?)`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
	if !errors.Is(err, props.ErrUnknownKey) {
		t.Errorf("not ErrUnknownKey: %v", err)
	}
}

// TestLoadReportsEveryProblemWithLine: parse errors, bad values and range checks of one file
// come back together, each at its line; a duplicate key is a warning naming both lines.
func TestLoadReportsEveryProblemWithLine(t *testing.T) {
	path := writeConf(t, `brokerName=broker-a
deleteWhen=4am
brokerRole=MASTER
maxMessageSize=many
mappedFileSizeCommitLog=0
storePathRootDir=store
storePathCommitLog=${storePathRootDir}/commitlog
flushDiskType=SYNC
brokerClusterName=`+strings.Repeat("c", 200)+`
diskMaxUsedSpaceRatio=99
brokerName=broker-b
`)
	cfg := DefaultConfig()
	rep, err := LoadFile(path, &cfg)
	err = errors.Join(err, rep.AtLines(cfg.Validate()))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		path + `:2: deleteWhen "4am": want hours 00..23`,
		path + `:3: brokerRole: bad value "MASTER": want one of ASYNC_MASTER, SYNC_MASTER, SLAVE`,
		path + `:4: maxMessageSize: bad value "many": want an integer`,
		path + `:5: mappedFileSizeCommitLog 0: want 65536 (64 KiB) to 2147483647`,
		path + `:6: storePathRootDir "store": want an absolute path`,
		path + `:7: storePathCommitLog "${storePathRootDir}/commitlog": placeholders are not expanded`,
		path + `:8: flushDiskType: bad value "SYNC"`,
		path + `:9: brokerClusterName "ccc`,
		path + `:10: diskMaxUsedSpaceRatio 99: want 10..95`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if !errors.Is(err, ErrConfig) || !errors.Is(err, props.ErrBadValue) {
		t.Errorf("errors.Is lost: %v", err)
	}
	if w := rep.WarningLines(); len(w) != 1 || w[0] != path+":11: key brokerName repeats line 1; the value of line 11 is used" {
		t.Errorf("warnings %q", w)
	}
}

// TestValidateBounds: the sizes, names and paths --check refuses.
func TestValidateBounds(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" = valid
	}{
		{"brokerName=10MB", func(c *Config) { c.BrokerName = strings.Repeat("b", 10<<20) }, "10485760 bytes, want at most 127"},
		{"brokerName=slash", func(c *Config) { c.BrokerName = "../x" }, `character '/'`},
		{"brokerName=dots", func(c *Config) { c.BrokerName = ".." }, "more than dots"},
		{"brokerName=host", func(c *Config) { c.BrokerName = "ip-10-0-0-1.ec2.internal" }, ""},
		{"cluster=space", func(c *Config) { c.BrokerClusterName = "a b" }, "brokerClusterName"},
		{"commitlog=0", func(c *Config) { c.MappedFileSizeCommitLog = 0 }, "mappedFileSizeCommitLog 0"},
		{"commitlog=2GiB", func(c *Config) { c.MappedFileSizeCommitLog = 2 << 30 }, "mappedFileSizeCommitLog 2147483648"},
		{"commitlog=old", func(c *Config) { c.MapedFileSizeCommitLog = 1 << 40 }, "mappedFileSizeCommitLog 1099511627776"},
		{"commitlog=64KiB", func(c *Config) { c.MappedFileSizeCommitLog = 64 << 10; c.MaxMessageSize = 16 << 10 }, ""},
		{"cq=huge", func(c *Config) { c.MappedFileSizeConsumeQueue = 20 << 30 }, "mappedFileSizeConsumeQueue"},
		{"maxMessageSize=0", func(c *Config) { c.MaxMessageSize = 0 }, "maxMessageSize 0: want > 0"},
		{"maxMessageSize=100", func(c *Config) { c.MaxMessageSize = 100 }, "maxMessageSize 100: want 1024 to 16777216"},
		{"maxMessageSize=1GiB", func(c *Config) { c.MaxMessageSize = 1 << 30 }, "maxMessageSize 1073741824"},
		{"maxMessageSize>segment", func(c *Config) { c.MappedFileSizeCommitLog = 1 << 20; c.MaxMessageSize = 1 << 20 }, "must fit a CommitLog segment"},
		{"root=relative", func(c *Config) { c.StorePathRootDir = "data/store" }, "want an absolute path"},
		{"root=control", func(c *Config) { c.StorePathRootDir = "/data/\x00x" }, "control characters"},
		{"commitlog=relative", func(c *Config) { c.StorePathCommitLog = "commitlog" }, "storePathCommitLog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.BrokerName = "broker-a"
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want %q", err, tt.want)
			case err != nil && len(err.Error()) > 2000:
				t.Fatalf("error echoes the value: %d bytes", len(err.Error()))
			}
		})
	}
}

// TestApacheKeysCoverConfig: every key mq has is one Apache knows (or its 4.0-4.3 spelling),
// or one of mq's own listed here, so the ignorable set is exactly Apache's keys without a
// field, and a new key is a deliberate choice.
func TestApacheKeysCoverConfig(t *testing.T) {
	apache := map[string]bool{"mapedFileSizeCommitLog": true, "mapedFileSizeConsumeQueue": true,
		// mq's own keys
		"maxConnections": true, "recoverMode": true}
	for k := range acl.StartOnlyKeys { // ACL, credentials, audit log, TLS (Apache: plain_acl.yml, tls.* properties)
		if k != "aclEnable" {
			apache[k] = true
		}
	}
	for _, k := range strings.Fields(apacheBrokerKeys) {
		apache[k] = true
	}
	for _, k := range props.Keys(&Config{}) {
		if !apache[k] {
			t.Errorf("key %s is not Apache's: if mq invents it, list it with mq's own keys here", k)
		}
		if ignorableKeys()[k] && !strings.Contains(" "+strings.Join(strings.Fields(inertKeys), " ")+" ", " "+k+" ") {
			t.Errorf("key %s both implemented and ignorable", k)
		}
	}
	for _, k := range []string{"storePathConsumeQueue", "storePathIndex", "storeCheckpoint", "abortFile", "brokerConfigPath", "enableSlaveActingMaster"} {
		if !ignorableKeys()[k] && !apache[k] {
			t.Errorf("%s unknown", k)
		}
	}
}

// TestValidateCoversStore: whatever the store would refuse at start, Validate (and so
// `mq broker --check`) refuses first, naming the key.
func TestValidateCoversStore(t *testing.T) {
	edits := map[string]func(*Config){
		"commitlog=1KiB":        func(c *Config) { c.MappedFileSizeCommitLog = 1 << 10 },
		"message>segment":       func(c *Config) { c.MappedFileSizeCommitLog = 1 << 20; c.MaxMessageSize = 1<<20 - 100 },
		"message=512":           func(c *Config) { c.MaxMessageSize = 512 },
		"cq=odd":                func(c *Config) { c.MappedFileSizeConsumeQueue = 21 },
		"flushInterval=0":       func(c *Config) { c.FlushIntervalCommitLog = 0 },
		"leastPages=-1":         func(c *Config) { c.FlushCommitLogLeastPages = -1 },
		"thorough=0":            func(c *Config) { c.FlushCommitLogThoroughInterval = 0 },
		"cqFlush=0":             func(c *Config) { c.FlushIntervalConsumeQueue = 0 },
		"syncFlushTimeout=0":    func(c *Config) { c.SyncFlushTimeout = 0 },
		"fileReservedTime=0":    func(c *Config) { c.FileReservedTime = 0 },
		"ratio=0":               func(c *Config) { c.DiskMaxUsedSpaceRatio = 0 },
		"warning=101":           func(c *Config) { c.DiskSpaceWarningLevelRatio = 101 },
		"clean=0":               func(c *Config) { c.CleanResourceInterval = 0 },
		"slots=0":               func(c *Config) { c.MaxHashSlotNum = 0 },
		"index=1":               func(c *Config) { c.MaxIndexNum = 1 },
		"index=huge":            func(c *Config) { c.MaxIndexNum = 200_000_000 },
		"transfer=0":            func(c *Config) { c.MaxTransferBytesOnMessageInMemory = 0 },
		"transfer=64MiB":        func(c *Config) { c.MaxTransferBytesOnMessageInMemory = 64 << 20 },
		"deleteWhen=4am":        func(c *Config) { c.DeleteWhen = "4am" },
		"root=empty":            func(c *Config) { c.StorePathRootDir = "" },
		"recover=maybe":         func(c *Config) { c.RecoverMode = "maybe" },
		"defaults (valid)":      func(c *Config) {},
		"small store (valid)":   func(c *Config) { c.MappedFileSizeCommitLog = 8 << 20; c.MaxMessageSize = 1 << 20 },
		"minimum store (valid)": func(c *Config) { c.MappedFileSizeCommitLog = 64 << 10; c.MaxMessageSize = 1024 },
	}
	for name, edit := range edits {
		c := DefaultConfig()
		c.BrokerName = "broker-a"
		edit(&c)
		sc := c.storeConfig()
		storeErr, brokerErr := sc.Validate(), c.Validate()
		valid := strings.HasSuffix(name, "(valid)")
		switch {
		case valid && (storeErr != nil || brokerErr != nil):
			t.Errorf("%s: store %v, broker %v", name, storeErr, brokerErr)
		case !valid && brokerErr == nil:
			t.Errorf("%s: Validate passes (store says %v)", name, storeErr)
		case brokerErr != nil:
			var ke *props.KeyError
			if !errors.As(brokerErr, &ke) || !slices.Contains(props.Keys(&Config{}), ke.Key) {
				t.Errorf("%s: %v names no key", name, brokerErr)
			}
		}
	}
}

// TestInertKeysAreInert keeps inertKeys true: a key is inert exactly when its field is read
// nowhere in the module's code outside the config's own declarations (a read is
// ".FieldName" in a non-test file other than config.go, or "c.FieldName" in config.go).
func TestInertKeysAreInert(t *testing.T) {
	root := filepath.Join("..")
	var code strings.Builder
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if filepath.ToSlash(path) == "../broker/config.go" {
			// Only what the methods of Config read counts: "c.Field".
			for _, m := range regexp.MustCompile(`\bc\.[A-Z][A-Za-z0-9]*`).FindAllString(string(b), -1) {
				code.WriteString(m[1:] + "\n")
			}
			return nil
		}
		code.Write(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	text := code.String()
	inert := map[string]bool{}
	for _, k := range strings.Fields(inertKeys) {
		inert[k] = true
	}
	byKey := props.FieldNames(&Config{})
	for key, field := range byKey {
		read := regexp.MustCompile(`\.` + field + `\b`).MatchString(text)
		switch {
		case read && inert[key]:
			t.Errorf("%s (%s) is read by the code: remove it from inertKeys", key, field)
		case !read && !inert[key]:
			t.Errorf("%s (%s) is read nowhere: add it to inertKeys (or use it)", key, field)
		}
	}
	for k := range inert {
		if _, ok := byKey[k]; !ok {
			t.Errorf("inert key %s has no field", k)
		}
	}
}
