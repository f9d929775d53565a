package broker

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/internal/props"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	tests := []struct {
		key  string
		got  any
		want any
	}{
		{"brokerClusterName", c.BrokerClusterName, "DefaultCluster"},
		{"brokerId", c.BrokerID, int64(0)},
		{"brokerRole", c.BrokerRole, AsyncMaster},
		{"flushDiskType", c.FlushDiskType, AsyncFlush},
		{"listenPort", c.ListenPort, 10911},
		{"haListenPort(effective)", c.EffectiveHAListenPort(), 10912},
		{"defaultTopicQueueNums", c.DefaultTopicQueueNums, 8},
		{"autoCreateTopicEnable", c.AutoCreateTopicEnable, true},
		{"autoCreateSubscriptionGroup", c.AutoCreateSubscriptionGroup, true},
		{"traceTopicEnable", c.TraceTopicEnable, true},
		{"msgTraceTopicName", c.MsgTraceTopicName, "RMQ_SYS_TRACE_TOPIC"},
		{"enablePropertyFilter", c.EnablePropertyFilter, false},
		{"maxMessageSize", c.MaxMessageSize, 4 << 20},
		{"mappedFileSizeCommitLog", c.CommitLogSize(), int64(1 << 30)},
		{"mappedFileSizeConsumeQueue", c.ConsumeQueueSize(), int64(6000000)},
		{"deleteWhen", c.DeleteWhen, "04"},
		{"fileReservedTime", c.FileReservedTime, 72},
		{"diskMaxUsedSpaceRatio", c.DiskMaxUsedSpaceRatio, 75},
		{"messageDelayLevel", c.MessageDelayLevel, "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"},
		{"registerNameServerPeriod", c.RegisterPeriod(), 30 * time.Second},
		{"transactionTimeOut", c.TransactionTimeOut, int64(6000)},
		{"transactionCheckMax", c.TransactionCheckMax, 15},
		{"transactionCheckInterval", c.TransactionCheckInterval, int64(30000)},
		{"aclEnable", c.AclEnable, false},
		{"brokerPermission", c.BrokerPermission, 6},
		{"longPollingEnable", c.LongPollingEnable, true},
		{"shortPollingTimeMills", c.ShortPollingTimeMills, int64(1000)},
		{"channelExpiredTimeout", c.ChannelExpiredTimeout, int64(120000)},
		{"flushConsumerOffsetInterval", c.FlushConsumerOffsetInterval, 5000},
		{"storePathRootDir", filepath.Base(c.StorePathRootDir), "store"},
	}
	for _, tt := range tests {
		t.Run("key="+tt.key, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("default config does not validate: %v", err)
	}
	levels, err := c.DelayLevels()
	if err != nil || len(levels) != 18 || levels[0] != time.Second || levels[17] != 2*time.Hour {
		t.Fatalf("delay levels %v, %v", levels, err)
	}
	if n := len(props.Keys(&c)); n < 100 {
		t.Fatalf("only %d keys accepted, want the broad Apache set", n)
	}
}

// TestLoadApacheBrokerConf loads the files Apache ships (distribution/conf) as operators have
// them, including controller-mode and old 4.x keys.
func TestLoadApacheBrokerConf(t *testing.T) {
	dir := t.TempDir()
	conf := `# Apache distribution/conf/2m-2s-async/broker-a-s.properties and friends
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=1
deleteWhen=04
fileReservedTime=48
brokerRole=SLAVE
flushDiskType=ASYNC_FLUSH
namesrvAddr=127.0.0.1:9876;127.0.0.2:9876
listenPort=10921
haListenPort=10922
storePathRootDir=` + filepath.ToSlash(dir) + `/store
storePathCommitLog=` + filepath.ToSlash(dir) + `/store/commitlog
mapedFileSizeCommitLog=1073741824
mapedFileSizeConsumeQueue=300000
sendMessageThreadPoolNums=16
brokerIP1=10.0.0.5
slaveReadEnable=true
enableSlaveActingMaster=false
brokerHeartbeatInterval=1000
brokerNotActiveTimeoutMillis=10000
sendHeartbeatTimeoutMillis=1000
totalReplicas=2
inSyncReplicas=1
minInSyncReplicas=1
allAckInSyncStateSet=false
enableAutoInSyncReplicas=false
messageDelayLevel=1s 5s 10s
autoCreateTopicEnable=false
traceTopicEnable=true
`
	path := filepath.Join(dir, "broker.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.BrokerRole != Slave || c.BrokerID != 1 || c.ListenPort != 10921 || c.EffectiveHAListenPort() != 10922 {
		t.Fatalf("identity %+v", c.BrokerConfig)
	}
	if got := c.NamesrvAddrs(); len(got) != 2 || got[1] != "127.0.0.2:9876" {
		t.Fatalf("namesrv addrs %v", got)
	}
	if c.ConsumeQueueSize() != 300000 || c.CommitLogSize() != 1<<30 {
		t.Fatalf("old maped* keys not honoured: %d %d", c.ConsumeQueueSize(), c.CommitLogSize())
	}
	text := c.Properties()
	if !strings.Contains(text, "brokerRole=SLAVE\n") || !strings.Contains(text, "mappedFileSizeConsumeQueue=6000000\n") ||
		strings.Contains(text, "mapedFileSize") {
		t.Fatalf("properties text:\n%s", text)
	}
}

func TestLoadReportsUnknownKeysAndBadValuesWithLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broker.conf")
	os.WriteFile(path, []byte("brokerName=b\nlistenPrt=1\nbrokerRole=MASTER\nflushDiskType=SYNC\n"), 0o644)
	_, err := Load(path)
	for _, want := range []string{"broker.conf:2", "listenPrt", "broker.conf:3", "ASYNC_MASTER", "broker.conf:4", "SYNC_FLUSH"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v lacks %q", err, want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string // substring of the error; "" = valid
	}{
		{"default", func(*Config) {}, ""},
		{"brokerName=empty", func(c *Config) { c.BrokerName = "" }, "brokerName is empty"},
		{"listenPort=70000", func(c *Config) { c.ListenPort = 70000 }, "listenPort 70000"},
		{"listenPort=0", func(c *Config) { c.ListenPort = 0 }, ""},
		{"listenPort=65535", func(c *Config) { c.ListenPort = 65535 }, "haListenPort 65536"},
		{"haListenPort=listenPort", func(c *Config) { c.HaListenPort = c.ListenPort }, "equals listenPort"},
		{"role=SLAVE,id=0", func(c *Config) { c.BrokerRole = Slave }, "needs brokerId >= 1"},
		{"role=SLAVE,id=1", func(c *Config) { c.BrokerRole = Slave; c.BrokerID = 1 }, ""},
		{"role=SYNC_MASTER,id=2", func(c *Config) { c.BrokerRole = SyncMaster; c.BrokerID = 2 }, "needs brokerId 0"},
		{"delay=empty", func(c *Config) { c.MessageDelayLevel = " " }, "messageDelayLevel is empty"},
		{"delay=unit", func(c *Config) { c.MessageDelayLevel = "1s 5x" }, `level 2 "5x": unit must be s, m, h or d`},
		{"delay=number", func(c *Config) { c.MessageDelayLevel = "1s 0m" }, `level 2 "0m": want a positive integer`},
		{"delay=nonumber", func(c *Config) { c.MessageDelayLevel = "s" }, `level 1 "s"`},
		{"delay=days", func(c *Config) { c.MessageDelayLevel = "1d 2h" }, ""},
		{"namesrv=noport", func(c *Config) { c.NamesrvAddr = "127.0.0.1" }, `namesrvAddr "127.0.0.1"`},
		{"brokerIP1=bad", func(c *Config) { c.BrokerIP1 = "host.example" }, "brokerIP1"},
		{"deleteWhen=25", func(c *Config) { c.DeleteWhen = "04;25" }, "deleteWhen"},
		{"deleteWhen=multi", func(c *Config) { c.DeleteWhen = "04;12" }, ""},
		{"diskRatio=99", func(c *Config) { c.DiskMaxUsedSpaceRatio = 99 }, "diskMaxUsedSpaceRatio"},
		{"cqSize=odd", func(c *Config) { c.MappedFileSizeConsumeQueue = 30 }, "multiple of 20"},
		{"perm=8", func(c *Config) { c.BrokerPermission = 8 }, "brokerPermission"},
		{"dledger=on", func(c *Config) { c.EnableDLegerCommitLog = true }, "DLedger is not supported"},
		{"acl=on,nofile", func(c *Config) { c.AclEnable = true }, "aclEnable=true needs aclConfigFile"},
		{"traceTopic=bad", func(c *Config) { c.MsgTraceTopicName = "a b" }, "msgTraceTopicName"},
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
			case err != nil && !errors.Is(err, ErrConfig):
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
		})
	}
}

func TestRegisterPeriodClamped(t *testing.T) {
	for _, tt := range []struct {
		ms   int
		want time.Duration
	}{{1000, 10 * time.Second}, {30000, 30 * time.Second}, {600000, 60 * time.Second}} {
		c := DefaultConfig()
		c.RegisterNameServerPeriod = tt.ms
		if got := c.RegisterPeriod(); got != tt.want {
			t.Errorf("period=%d: got %v want %v", tt.ms, got, tt.want)
		}
	}
}
