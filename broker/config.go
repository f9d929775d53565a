package broker

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/mq-project/mq/internal/props"
	"github.com/mq-project/mq/store"
)

// BrokerRole is a broker's replication role (BrokerRole.java): ASYNC_MASTER, SYNC_MASTER or
// SLAVE.
type BrokerRole string

// Broker roles.
const (
	AsyncMaster BrokerRole = "ASYNC_MASTER"
	SyncMaster  BrokerRole = "SYNC_MASTER"
	Slave       BrokerRole = "SLAVE"
)

// UnmarshalText accepts the Java enum names.
func (r *BrokerRole) UnmarshalText(b []byte) error {
	switch v := BrokerRole(b); v {
	case AsyncMaster, SyncMaster, Slave:
		*r = v
		return nil
	}
	return fmt.Errorf("want one of %s, %s, %s", AsyncMaster, SyncMaster, Slave)
}

// MarshalText writes the Java enum name.
func (r BrokerRole) MarshalText() ([]byte, error) { return []byte(r), nil }

func (r BrokerRole) String() string { return string(r) }

// FlushDiskType is the CommitLog flush policy (FlushDiskType.java): ASYNC_FLUSH or SYNC_FLUSH.
type FlushDiskType = store.FlushDiskType

// Flush policies.
const (
	AsyncFlush = store.AsyncFlush
	SyncFlush  = store.SyncFlush
)

// Config is the broker's configuration: the keys of Apache RocketMQ's broker.conf, with the
// same names (the `prop` tags) and defaults (DefaultConfig). It is composed of the Java
// classes it mirrors. Many keys are accepted so that existing files load, but only the
// documented ones change our behaviour; the rest are listed by GET_BROKER_CONFIG as they were
// set. Durations keep Java's units (the key names say Millis/Mills/Seconds/Interval in ms).
type Config struct {
	BrokerConfig
	// Config holds the MessageStoreConfig keys the store reads; the broker opens its store
	// with it (storeConfig adds what is derived: the store host and the record overhead).
	store.Config
	MessageStoreConfig
	NettyConfig
	// File is the configuration file the broker was started from (`mq broker -c`, set by
	// LoadFile). UPDATE_BROKER_CONFIG rewrites the keys it changes there, as Apache rewrites
	// its -c file, so that a change survives a restart; empty means
	// <storePathRootDir>/config/broker.properties.
	File          string
	MetricsConfig // metrics.go
}

// BrokerConfig holds the keys of BrokerConfig.java and BrokerIdentity.java.
type BrokerConfig struct {
	// BrokerClusterName is the cluster this broker registers in (default DefaultCluster).
	BrokerClusterName string `prop:"brokerClusterName"`
	// BrokerName names the master/slave set (default: the host name, as Apache).
	BrokerName string `prop:"brokerName"`
	// BrokerID is 0 for a master and >= 1 for a slave.
	BrokerID int64 `prop:"brokerId"`
	// NamesrvAddr lists the nameservers, ";"-separated. The caller applies NAMESRV_ADDR.
	NamesrvAddr string `prop:"namesrvAddr"`
	// ListenPort is the client port (default 10911). 0 means the listener given to Serve.
	ListenPort int `prop:"listenPort"`
	// BindAddress is the address listeners bind to (default 0.0.0.0).
	BindAddress string `prop:"bindAddress"`
	// BrokerIP1 is the address announced to nameservers and clients. Empty means the
	// listener's IP when it is a specific one, else 127.0.0.1 (Apache picks the first
	// non-loopback address; set brokerIP1 for a multi-host cluster).
	BrokerIP1 string `prop:"brokerIP1"`
	// BrokerIP2 is the HA address announced to slaves (empty: BrokerIP1).
	BrokerIP2 string `prop:"brokerIP2"`
	// RocketmqHome is accepted for compatibility (ROCKETMQ_HOME).
	RocketmqHome string `prop:"rocketmqHome"`

	// BrokerPermission is the broker-wide permission (6 = read+write).
	BrokerPermission int `prop:"brokerPermission"`
	// DefaultTopicQueueNums is the queue count of TBW102 and of auto-created topics (8).
	DefaultTopicQueueNums int `prop:"defaultTopicQueueNums"`
	// AutoCreateTopicEnable creates TBW102 so producers can auto-create topics (true).
	AutoCreateTopicEnable bool `prop:"autoCreateTopicEnable"`
	// ClusterTopicEnable makes the cluster-name topic readable and writable (true).
	ClusterTopicEnable bool `prop:"clusterTopicEnable"`
	// BrokerTopicEnable makes the broker-name topic readable and writable (true).
	BrokerTopicEnable bool `prop:"brokerTopicEnable"`
	// AutoCreateSubscriptionGroup creates unknown consumer groups on first use (true).
	AutoCreateSubscriptionGroup bool `prop:"autoCreateSubscriptionGroup"`
	// MsgTraceTopicName is the trace topic (RMQ_SYS_TRACE_TOPIC).
	MsgTraceTopicName string `prop:"msgTraceTopicName"`
	// TraceTopicEnable creates the trace topic at start. Default true here (Apache: false),
	// because the Go client's trace dispatcher cannot auto-create it.
	TraceTopicEnable bool `prop:"traceTopicEnable"`
	// TraceOn is the TRACE_ON send-response field (true).
	TraceOn bool `prop:"traceOn"`
	// RegionID is the MSG_REGION send-response field (DefaultRegion).
	RegionID string `prop:"regionId"`

	// SendMessageThreadPoolNums is the number of workers of the send request pool (plain and
	// batch sends run on the connection's read goroutine while the pool has no backlog).
	SendMessageThreadPoolNums      int `prop:"sendMessageThreadPoolNums"`
	PutMessageFutureThreadPoolNums int `prop:"putMessageFutureThreadPoolNums"`
	// PullMessageThreadPoolNums is the number of workers of the pull request pool.
	PullMessageThreadPoolNums         int `prop:"pullMessageThreadPoolNums"`
	LitePullMessageThreadPoolNums     int `prop:"litePullMessageThreadPoolNums"`
	ProcessReplyMessageThreadPoolNums int `prop:"processReplyMessageThreadPoolNums"`
	// QueryMessageThreadPoolNums is the number of workers of the query request pool.
	QueryMessageThreadPoolNums int `prop:"queryMessageThreadPoolNums"`
	// AdminBrokerThreadPoolNums is the number of workers of the admin request pool.
	AdminBrokerThreadPoolNums int `prop:"adminBrokerThreadPoolNums"`
	// ClientManageThreadPoolNums is the number of workers of the client-manage request pool.
	ClientManageThreadPoolNums int `prop:"clientManageThreadPoolNums"`
	// ConsumerManageThreadPoolNums is the number of workers of the consumer-manage request pool.
	ConsumerManageThreadPoolNums int `prop:"consumerManageThreadPoolNums"`
	// HeartbeatThreadPoolNums is the number of workers of the heartbeat request pool.
	HeartbeatThreadPoolNums int `prop:"heartbeatThreadPoolNums"`
	// EndTransactionThreadPoolNums is the number of workers of the end-transaction request pool.
	EndTransactionThreadPoolNums int `prop:"endTransactionThreadPoolNums"`

	// SendThreadPoolQueueCapacity bounds the queued requests of the send pool (at most 16384 here).
	SendThreadPoolQueueCapacity int `prop:"sendThreadPoolQueueCapacity"`
	PutThreadPoolQueueCapacity  int `prop:"putThreadPoolQueueCapacity"`
	// PullThreadPoolQueueCapacity bounds the queued requests of the pull pool (at most 16384 here).
	PullThreadPoolQueueCapacity     int `prop:"pullThreadPoolQueueCapacity"`
	LitePullThreadPoolQueueCapacity int `prop:"litePullThreadPoolQueueCapacity"`
	ReplyThreadPoolQueueCapacity    int `prop:"replyThreadPoolQueueCapacity"`
	// QueryThreadPoolQueueCapacity bounds the queued requests of the query pool (at most 16384 here).
	QueryThreadPoolQueueCapacity int `prop:"queryThreadPoolQueueCapacity"`
	// ClientManagerThreadPoolQueueCapacity bounds the queued requests of the client-manage pool (at most 16384 here).
	ClientManagerThreadPoolQueueCapacity int `prop:"clientManagerThreadPoolQueueCapacity"`
	// ConsumerManagerThreadPoolQueueCapacity bounds the queued requests of the consumer-manage pool (at most 16384 here).
	ConsumerManagerThreadPoolQueueCapacity int `prop:"consumerManagerThreadPoolQueueCapacity"`
	// HeartbeatThreadPoolQueueCapacity bounds the queued requests of the heartbeat pool (at most 16384 here).
	HeartbeatThreadPoolQueueCapacity int `prop:"heartbeatThreadPoolQueueCapacity"`
	// EndTransactionPoolQueueCapacity bounds the queued requests of the end-transaction pool (at most 16384 here).
	EndTransactionPoolQueueCapacity int `prop:"endTransactionPoolQueueCapacity"`
	// AdminBrokerThreadPoolQueueCapacity bounds the queued requests of the admin pool (at most 16384 here).
	AdminBrokerThreadPoolQueueCapacity int `prop:"adminBrokerThreadPoolQueueCapacity"`

	// FlushConsumerOffsetInterval is how often consumerOffset.json is written, in ms (5000).
	FlushConsumerOffsetInterval        int `prop:"flushConsumerOffsetInterval"`
	FlushConsumerOffsetHistoryInterval int `prop:"flushConsumerOffsetHistoryInterval"`

	// RejectTransactionMessage refuses transactional (half) messages.
	RejectTransactionMessage        bool `prop:"rejectTransactionMessage"`
	FetchNamesrvAddrByAddressServer bool `prop:"fetchNamesrvAddrByAddressServer"`
	FetchNameSrvAddrByDNSLookup     bool `prop:"fetchNameSrvAddrByDnsLookup"`
	// LongPollingEnable holds pulls that find nothing until a message arrives (true).
	LongPollingEnable bool `prop:"longPollingEnable"`
	// ShortPollingTimeMills is the hold time when long polling is off, in ms (1000).
	ShortPollingTimeMills int64 `prop:"shortPollingTimeMills"`
	// NotifyConsumerIdsChangedEnable pushes NOTIFY_CONSUMER_IDS_CHANGED on group changes (true).
	NotifyConsumerIdsChangedEnable bool `prop:"notifyConsumerIdsChangedEnable"`
	HighSpeedMode                  bool `prop:"highSpeedMode"`
	// SlaveReadEnable lets a slave serve pulls, and a master suggest it to lagging consumers.
	SlaveReadEnable                    bool  `prop:"slaveReadEnable"`
	DisableConsumeIfConsumerReadSlowly bool  `prop:"disableConsumeIfConsumerReadSlowly"`
	ConsumerFallbehindThreshold        int64 `prop:"consumerFallbehindThreshold"`
	BrokerFastFailureEnable            bool  `prop:"brokerFastFailureEnable"`
	WaitTimeMillsInSendQueue           int64 `prop:"waitTimeMillsInSendQueue"`
	WaitTimeMillsInPullQueue           int64 `prop:"waitTimeMillsInPullQueue"`
	WaitTimeMillsInHeartbeatQueue      int64 `prop:"waitTimeMillsInHeartbeatQueue"`
	WaitTimeMillsInTransactionQueue    int64 `prop:"waitTimeMillsInTransactionQueue"`

	// EnablePropertyFilter allows SQL92 subscriptions (false).
	EnablePropertyFilter   bool `prop:"enablePropertyFilter"`
	EnableCalcFilterBitMap bool `prop:"enableCalcFilterBitMap"`
	FilterSupportRetry     bool `prop:"filterSupportRetry"`

	CompressedRegister bool `prop:"compressedRegister"`
	ForceRegister      bool `prop:"forceRegister"`
	// RegisterNameServerPeriod is the re-registration period in ms (30000, clamped to
	// 10000..60000 as Apache does).
	RegisterNameServerPeriod int `prop:"registerNameServerPeriod"`
	// RegisterBrokerTimeoutMills bounds one REGISTER_BROKER call, in ms (24000).
	RegisterBrokerTimeoutMills int `prop:"registerBrokerTimeoutMills"`

	// TransactionTimeOut is the age in ms after which a half message is checked (6000).
	TransactionTimeOut int64 `prop:"transactionTimeOut"`
	// TransactionCheckMax is how often a half message is checked before it is dropped (15).
	TransactionCheckMax int `prop:"transactionCheckMax"`
	// TransactionCheckInterval is the check service period in ms (30000).
	TransactionCheckInterval int64 `prop:"transactionCheckInterval"`

	// AclEnable checks every request against the plain ACL accounts in AclConfigFile
	// (false).
	AclEnable bool `prop:"aclEnable"`
	// AclConfigFile is the plain_acl.yml accounts file (default: plain_acl.yml beside the
	// broker.properties Load read; a relative path is relative to that file's directory).
	AclConfigFile string `prop:"aclConfigFile"`
	// AccessKey signs the broker's own requests (registration, slave sync) when the
	// nameservers or the master check ACL (empty: unsigned).
	AccessKey string `prop:"accessKey"`
	// SecretKey is AccessKey's secret; GET_BROKER_CONFIG never shows it.
	SecretKey string `prop:"secretKey"`
	// AuditLogPath is a file that gets one JSON line per admin or config request (empty: off).
	AuditLogPath string `prop:"auditLogPath"`
	// TlsServerMode is TLS on the remoting port: disabled, permissive (TLS and plain on one
	// port) or enforcing (TLS only) (default disabled).
	TlsServerMode string `prop:"tlsServerMode"`
	// TlsServerCertPath is the server's PEM certificate chain.
	TlsServerCertPath string `prop:"tlsServerCertPath"`
	// TlsServerKeyPath is the server's PEM private key (unencrypted).
	TlsServerKeyPath string `prop:"tlsServerKeyPath"`
	// TlsServerKeyPassword would decrypt an encrypted key; not supported (must be empty).
	TlsServerKeyPassword string `prop:"tlsServerKeyPassword"`
	// TlsServerNeedClientAuth says whether clients must present a certificate: none,
	// optional or require (default none).
	TlsServerNeedClientAuth string `prop:"tlsServerNeedClientAuth"`
	// TlsServerTrustCertPath is the CA file client certificates are checked against.
	TlsServerTrustCertPath string `prop:"tlsServerTrustCertPath"`
	// TlsEnable makes the broker's own connections (nameservers, master) use TLS (false).
	TlsEnable bool `prop:"tlsEnable"`
	// TlsClientTrustCertPath is the CA file that verifies servers when TlsEnable (empty: not
	// verified, as Apache's default test mode).
	TlsClientTrustCertPath string `prop:"tlsClientTrustCertPath"`
	// TlsClientCertPath is the broker's client certificate, for servers that require one.
	TlsClientCertPath string `prop:"tlsClientCertPath"`
	// TlsClientKeyPath is the key of TlsClientCertPath.
	TlsClientKeyPath string `prop:"tlsClientKeyPath"`
	// StoreReplyMessageEnable stores reply messages as well as pushing them to the requester.
	StoreReplyMessageEnable  bool `prop:"storeReplyMessageEnable"`
	UseServerSideResetOffset bool `prop:"useServerSideResetOffset"`
	// ChannelExpiredTimeout drops clients silent for this long, in ms (120000).
	ChannelExpiredTimeout      int64 `prop:"channelExpiredTimeout"`
	SubscriptionExpiredTimeout int64 `prop:"subscriptionExpiredTimeout"`
	EnableDetailStat           bool  `prop:"enableDetailStat"`

	// EnableSlaveActingMaster lets the nameserver (supportActingMaster) present this slave as
	// its brokerName's master while the master is gone; the slave then takes consumer offset
	// commits and hands them to the master when it returns (false).
	EnableSlaveActingMaster bool `prop:"enableSlaveActingMaster"`

	// Keys of Apache's controller and DLedger modes: accepted so that such files load;
	// Validate rejects turning those modes on.
	EnableControllerMode         bool   `prop:"enableControllerMode"`
	ControllerAddr               string `prop:"controllerAddr"`
	SendHeartbeatTimeoutMillis   int64  `prop:"sendHeartbeatTimeoutMillis"`
	BrokerHeartbeatInterval      int64  `prop:"brokerHeartbeatInterval"`
	BrokerNotActiveTimeoutMillis int64  `prop:"brokerNotActiveTimeoutMillis"`

	// ConfigBlackList lists, ';'-separated, keys UPDATE_BROKER_CONFIG refuses besides the
	// fixed list of paths, identity, addresses and Apache's black list (default
	// "configBlackList;brokerConfigPath").
	ConfigBlackList string `prop:"configBlackList"`
}

// MessageStoreConfig holds the keys of MessageStoreConfig.java that the store package does
// not read (HA, delay levels, timers, and keys accepted for compatibility); the store's own
// keys are in store.Config.
type MessageStoreConfig struct {
	// MapedFileSizeCommitLog and MapedFileSizeConsumeQueue are the RocketMQ 4.0-4.3
	// spellings; when set (non-zero) they override the new names.
	MapedFileSizeCommitLog    int64 `prop:"mapedFileSizeCommitLog"`
	MapedFileSizeConsumeQueue int64 `prop:"mapedFileSizeConsumeQueue"`

	CommitIntervalCommitLog           int  `prop:"commitIntervalCommitLog"`
	FlushCommitLogTimed               bool `prop:"flushCommitLogTimed"`
	FlushConsumeQueueLeastPages       int  `prop:"flushConsumeQueueLeastPages"`
	FlushConsumeQueueThoroughInterval int  `prop:"flushConsumeQueueThoroughInterval"`

	DeleteCommitLogFilesInterval     int  `prop:"deleteCommitLogFilesInterval"`
	DeleteConsumeQueueFilesInterval  int  `prop:"deleteConsumeQueueFilesInterval"`
	DestroyMapedFileIntervalForcibly int  `prop:"destroyMapedFileIntervalForcibly"`
	RedeleteHangedFileInterval       int  `prop:"redeleteHangedFileInterval"`
	CleanFileForciblyEnable          bool `prop:"cleanFileForciblyEnable"`
	DiskSpaceCleanForciblyRatio      int  `prop:"diskSpaceCleanForciblyRatio"`

	// MaxTransferCountOnMessageInMemory is the most messages in one pull answer.
	MaxTransferCountOnMessageInMemory int `prop:"maxTransferCountOnMessageInMemory"`
	MaxTransferBytesOnMessageInDisk   int `prop:"maxTransferBytesOnMessageInDisk"`
	MaxTransferCountOnMessageInDisk   int `prop:"maxTransferCountOnMessageInDisk"`
	// AccessMessageInMemoryMaxRatio percent of RAM a consumer may fall behind before a master suggests the slave for its pulls (with slaveReadEnable).
	AccessMessageInMemoryMaxRatio int `prop:"accessMessageInMemoryMaxRatio"`

	MaxMsgsNumBatch  int  `prop:"maxMsgsNumBatch"`
	MessageIndexSafe bool `prop:"messageIndexSafe"`
	// DefaultQueryMaxNum is the most messages QUERY_MESSAGE returns.
	DefaultQueryMaxNum int `prop:"defaultQueryMaxNum"`

	// HaListenPort is the HA port; 0 (default) means listenPort+1, as Apache's BrokerStartup.
	HaListenPort int `prop:"haListenPort"`
	// HaSendHeartbeatInterval is the slave's offset report and the master's heartbeat period, in ms.
	HaSendHeartbeatInterval int `prop:"haSendHeartbeatInterval"`
	// HaHousekeepingInterval drops a slave silent this long, in ms.
	HaHousekeepingInterval int `prop:"haHousekeepingInterval"`
	// HaTransferBatchSize is the largest CommitLog chunk in one HA frame, in bytes.
	HaTransferBatchSize int `prop:"haTransferBatchSize"`
	// HaMasterAddress is a slave's master HA address; empty means learned from the nameserver
	// (a slave that has not learned it yet registers again after 1 s, doubling up to
	// registerNameServerPeriod, instead of waiting the period).
	HaMasterAddress string `prop:"haMasterAddress"`
	// HaMaxGapNotInSync is how many bytes a slave may lag and still count as in sync.
	HaMaxGapNotInSync int `prop:"haMaxGapNotInSync"`
	// BrokerRole is ASYNC_MASTER (default), SYNC_MASTER or SLAVE.
	BrokerRole BrokerRole `prop:"brokerRole"`

	// MessageDelayLevel lists the delay levels, "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m
	// 20m 30m 1h 2h" (units s, m, h, d). Parse it with DelayLevels.
	MessageDelayLevel        string `prop:"messageDelayLevel"`
	FlushDelayOffsetInterval int64  `prop:"flushDelayOffsetInterval"`
	// TimerWheelEnable delivers TIMER_DELIVER_MS / TIMER_DELAY_SEC / TIMER_DELAY_MS messages at their time.
	TimerWheelEnable bool `prop:"timerWheelEnable"`
	// TimerPrecisionMs is the timer wheel's slot, in ms.
	TimerPrecisionMs int `prop:"timerPrecisionMs"`
	// TimerMaxDelaySec is the longest delay of a timer message, in s.
	TimerMaxDelaySec int `prop:"timerMaxDelaySec"`

	WarmMapedFileEnable           bool  `prop:"warmMapedFileEnable"`
	OffsetCheckInSlave            bool  `prop:"offsetCheckInSlave"`
	DuplicationEnable             bool  `prop:"duplicationEnable"`
	OsPageCacheBusyTimeOutMills   int64 `prop:"osPageCacheBusyTimeOutMills"`
	TransientStorePoolEnable      bool  `prop:"transientStorePoolEnable"`
	TransientStorePoolSize        int   `prop:"transientStorePoolSize"`
	FastFailIfNoBufferInStorePool bool  `prop:"fastFailIfNoBufferInStorePool"`

	// DLedger and replica keys, accepted for compatibility; Validate rejects
	// enableDLegerCommitLog=true.
	EnableDLegerCommitLog    bool   `prop:"enableDLegerCommitLog"`
	DLegerGroup              string `prop:"dLegerGroup"`
	DLegerPeers              string `prop:"dLegerPeers"`
	DLegerSelfID             string `prop:"dLegerSelfId"`
	TotalReplicas            int    `prop:"totalReplicas"`
	InSyncReplicas           int    `prop:"inSyncReplicas"`
	MinInSyncReplicas        int    `prop:"minInSyncReplicas"`
	AllAckInSyncStateSet     bool   `prop:"allAckInSyncStateSet"`
	EnableAutoInSyncReplicas bool   `prop:"enableAutoInSyncReplicas"`
}

// NettyConfig holds the keys of NettyServerConfig.java and NettyClientConfig.java that
// broker.conf files carry. They are accepted for compatibility; our remoting layer has its
// own pools.
type NettyConfig struct {
	ServerWorkerThreads           int `prop:"serverWorkerThreads"`
	ServerCallbackExecutorThreads int `prop:"serverCallbackExecutorThreads"`
	ServerSelectorThreads         int `prop:"serverSelectorThreads"`
	ServerOnewaySemaphoreValue    int `prop:"serverOnewaySemaphoreValue"`
	ServerAsyncSemaphoreValue     int `prop:"serverAsyncSemaphoreValue"`
	// ServerChannelMaxIdleTimeSeconds closes silent client connections (120).
	ServerChannelMaxIdleTimeSeconds int `prop:"serverChannelMaxIdleTimeSeconds"`
	// MaxConnections is the most client connections open at once, more are closed at accept
	// (mq only; 0: the open-file limit less a fifth, at least 1024, for the store; -1: none).
	MaxConnections                     int  `prop:"maxConnections"`
	ServerSocketSndBufSize             int  `prop:"serverSocketSndBufSize"`
	ServerSocketRcvBufSize             int  `prop:"serverSocketRcvBufSize"`
	ServerPooledByteBufAllocatorEnable bool `prop:"serverPooledByteBufAllocatorEnable"`
	UseEpollNativeSelector             bool `prop:"useEpollNativeSelector"`

	ClientWorkerThreads           int `prop:"clientWorkerThreads"`
	ClientCallbackExecutorThreads int `prop:"clientCallbackExecutorThreads"`
	ClientOnewaySemaphoreValue    int `prop:"clientOnewaySemaphoreValue"`
	ClientAsyncSemaphoreValue     int `prop:"clientAsyncSemaphoreValue"`
	// ConnectTimeoutMillis bounds dialing a nameserver, in ms (3000).
	ConnectTimeoutMillis               int   `prop:"connectTimeoutMillis"`
	ChannelNotActiveInterval           int64 `prop:"channelNotActiveInterval"`
	ClientChannelMaxIdleTimeSeconds    int   `prop:"clientChannelMaxIdleTimeSeconds"`
	ClientSocketSndBufSize             int   `prop:"clientSocketSndBufSize"`
	ClientSocketRcvBufSize             int   `prop:"clientSocketRcvBufSize"`
	ClientPooledByteBufAllocatorEnable bool  `prop:"clientPooledByteBufAllocatorEnable"`
	ClientCloseSocketIfTimeout         bool  `prop:"clientCloseSocketIfTimeout"`
	UseTLS                             bool  `prop:"useTLS"`
}

// DefaultConfig returns Apache RocketMQ's defaults (with the differences documented on the
// fields: traceTopicEnable true, brokerIP1 empty meaning the listener's or 127.0.0.1).
func DefaultConfig() Config {
	cpu := runtime.NumCPU()
	name, err := os.Hostname()
	if err != nil || name == "" {
		name = "broker-a"
	}
	return Config{
		BrokerConfig: BrokerConfig{
			BrokerClusterName:                      "DefaultCluster",
			BrokerName:                             name,
			ListenPort:                             10911,
			BindAddress:                            "0.0.0.0",
			BrokerPermission:                       6,
			DefaultTopicQueueNums:                  8,
			AutoCreateTopicEnable:                  true,
			ClusterTopicEnable:                     true,
			BrokerTopicEnable:                      true,
			AutoCreateSubscriptionGroup:            true,
			MsgTraceTopicName:                      TopicTrace,
			TraceTopicEnable:                       true,
			TraceOn:                                true,
			RegionID:                               "DefaultRegion",
			SendMessageThreadPoolNums:              min(cpu, 4),
			PutMessageFutureThreadPoolNums:         min(cpu, 4),
			PullMessageThreadPoolNums:              16 + 2*cpu,
			LitePullMessageThreadPoolNums:          16 + 2*cpu,
			ProcessReplyMessageThreadPoolNums:      16 + 2*cpu,
			QueryMessageThreadPoolNums:             8 + cpu,
			AdminBrokerThreadPoolNums:              16,
			ClientManageThreadPoolNums:             32,
			ConsumerManageThreadPoolNums:           32,
			HeartbeatThreadPoolNums:                min(32, cpu),
			EndTransactionThreadPoolNums:           max(8+2*cpu, 4*min(cpu, 4)),
			SendThreadPoolQueueCapacity:            10000,
			PutThreadPoolQueueCapacity:             10000,
			PullThreadPoolQueueCapacity:            100000,
			LitePullThreadPoolQueueCapacity:        100000,
			ReplyThreadPoolQueueCapacity:           10000,
			QueryThreadPoolQueueCapacity:           20000,
			ClientManagerThreadPoolQueueCapacity:   1000000,
			ConsumerManagerThreadPoolQueueCapacity: 1000000,
			HeartbeatThreadPoolQueueCapacity:       50000,
			EndTransactionPoolQueueCapacity:        100000,
			AdminBrokerThreadPoolQueueCapacity:     10000,
			FlushConsumerOffsetInterval:            5000,
			FlushConsumerOffsetHistoryInterval:     60000,
			LongPollingEnable:                      true,
			ShortPollingTimeMills:                  1000,
			NotifyConsumerIdsChangedEnable:         true,
			ConsumerFallbehindThreshold:            16 << 30,
			BrokerFastFailureEnable:                true,
			WaitTimeMillsInSendQueue:               200,
			WaitTimeMillsInPullQueue:               5000,
			WaitTimeMillsInHeartbeatQueue:          31000,
			WaitTimeMillsInTransactionQueue:        3000,
			ForceRegister:                          true,
			RegisterNameServerPeriod:               30000,
			RegisterBrokerTimeoutMills:             24000,
			TransactionTimeOut:                     6000,
			TransactionCheckMax:                    15,
			TransactionCheckInterval:               30000,
			StoreReplyMessageEnable:                true,
			UseServerSideResetOffset:               true,
			ChannelExpiredTimeout:                  120000,
			SubscriptionExpiredTimeout:             600000,
			EnableDetailStat:                       true,
			SendHeartbeatTimeoutMillis:             1000,
			BrokerHeartbeatInterval:                1000,
			BrokerNotActiveTimeoutMillis:           10000,
			ConfigBlackList:                        "configBlackList;brokerConfigPath",
		},
		MetricsConfig: defaultMetricsConfig(),
		Config:        store.DefaultConfig(),
		MessageStoreConfig: MessageStoreConfig{
			CommitIntervalCommitLog:           200,
			FlushCommitLogTimed:               true,
			FlushConsumeQueueLeastPages:       2,
			FlushConsumeQueueThoroughInterval: 60000,
			DeleteCommitLogFilesInterval:      100,
			DeleteConsumeQueueFilesInterval:   100,
			DestroyMapedFileIntervalForcibly:  120000,
			RedeleteHangedFileInterval:        120000,
			CleanFileForciblyEnable:           true,
			DiskSpaceCleanForciblyRatio:       85,
			MaxTransferCountOnMessageInMemory: 32,
			MaxTransferBytesOnMessageInDisk:   64 << 10,
			MaxTransferCountOnMessageInDisk:   8,
			AccessMessageInMemoryMaxRatio:     40,
			MaxMsgsNumBatch:                   64,
			DefaultQueryMaxNum:                32,
			HaSendHeartbeatInterval:           5000,
			HaHousekeepingInterval:            20000,
			HaTransferBatchSize:               32 << 10,
			HaMaxGapNotInSync:                 256 << 20,
			BrokerRole:                        AsyncMaster,
			MessageDelayLevel:                 DefaultMessageDelayLevel,
			FlushDelayOffsetInterval:          10000,
			TimerWheelEnable:                  true,
			TimerPrecisionMs:                  1000,
			TimerMaxDelaySec:                  3 * 24 * 3600,
			OsPageCacheBusyTimeOutMills:       1000,
			TransientStorePoolSize:            5,
			TotalReplicas:                     1,
			InSyncReplicas:                    1,
			MinInSyncReplicas:                 1,
		},
		NettyConfig: NettyConfig{
			ServerWorkerThreads:                8,
			ServerSelectorThreads:              3,
			ServerOnewaySemaphoreValue:         256,
			ServerAsyncSemaphoreValue:          64,
			ServerChannelMaxIdleTimeSeconds:    120,
			ServerPooledByteBufAllocatorEnable: true,
			ClientWorkerThreads:                4,
			ClientCallbackExecutorThreads:      cpu,
			ClientOnewaySemaphoreValue:         65535,
			ClientAsyncSemaphoreValue:          65535,
			ConnectTimeoutMillis:               3000,
			ChannelNotActiveInterval:           60000,
			ClientChannelMaxIdleTimeSeconds:    120,
			ClientCloseSocketIfTimeout:         true,
		},
	}
}

// DefaultMessageDelayLevel is Apache's messageDelayLevel.
const DefaultMessageDelayLevel = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"

// Load reads a broker.conf (Java properties) over DefaultConfig (see LoadFile) and validates
// the result. Every unknown key, bad value and failed check is reported at once, each with
// file and line when the file set the key.
func Load(path string) (Config, error) {
	cfg := DefaultConfig()
	rep, err := LoadFile(path, &cfg)
	return cfg, errors.Join(err, rep.AtLines(cfg.Validate()))
}

// Properties returns the effective configuration as Java properties text (the body of
// GET_BROKER_CONFIG), sorted by key, without the deprecated alias keys.
func (c Config) Properties() string {
	entries := props.List(c)
	out := entries[:0]
	for _, e := range entries {
		if e.Key == "mapedFileSizeCommitLog" || e.Key == "mapedFileSizeConsumeQueue" {
			continue
		}
		if e.Key == "secretKey" || e.Key == "tlsServerKeyPassword" { // never shown to GET_BROKER_CONFIG
			continue
		}
		out = append(out, e)
	}
	return props.Format(out)
}

// NamesrvAddrs splits NamesrvAddr on ';' (and ','), dropping empty entries.
func (c Config) NamesrvAddrs() []string {
	var out []string
	for _, a := range strings.FieldsFunc(c.NamesrvAddr, func(r rune) bool { return r == ';' || r == ',' }) {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// EffectiveHAListenPort is haListenPort, or listenPort+1 when it is 0.
func (c Config) EffectiveHAListenPort() int {
	if c.HaListenPort != 0 {
		return c.HaListenPort
	}
	return c.ListenPort + 1
}

// CommitLogSize is mappedFileSizeCommitLog, or the old mapedFileSizeCommitLog when set.
func (c Config) CommitLogSize() int64 {
	if c.MapedFileSizeCommitLog != 0 {
		return c.MapedFileSizeCommitLog
	}
	return c.MappedFileSizeCommitLog
}

// ConsumeQueueSize is mappedFileSizeConsumeQueue, or the old mapedFileSizeConsumeQueue
// when set.
func (c Config) ConsumeQueueSize() int64 {
	if c.MapedFileSizeConsumeQueue != 0 {
		return c.MapedFileSizeConsumeQueue
	}
	return c.MappedFileSizeConsumeQueue
}

// CommitLogDir is storePathCommitLog, or <storePathRootDir>/commitlog.
func (c Config) CommitLogDir() string {
	if c.StorePathCommitLog != "" {
		return c.StorePathCommitLog
	}
	return filepath.Join(c.StorePathRootDir, "commitlog")
}

// ConfigDir is <storePathRootDir>/config, where the metadata JSON files live.
func (c Config) ConfigDir() string { return filepath.Join(c.StorePathRootDir, "config") }

// RegisterPeriod is registerNameServerPeriod clamped to [10 s, 60 s], as Apache does.
func (c Config) RegisterPeriod() time.Duration {
	ms := min(max(c.RegisterNameServerPeriod, 10000), 60000)
	return time.Duration(ms) * time.Millisecond
}

// DelayLevels parses MessageDelayLevel.
func (c Config) DelayLevels() ([]time.Duration, error) { return ParseDelayLevels(c.MessageDelayLevel) }

// ParseDelayLevels parses a messageDelayLevel value: space-separated positive integers,
// each followed by a unit s, m, h or d. Level n (1-based) is the n-th duration.
func ParseDelayLevels(s string) ([]time.Duration, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, fmt.Errorf("%w: messageDelayLevel is empty", ErrConfig)
	}
	out := make([]time.Duration, 0, len(fields))
	for i, f := range fields {
		unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[f[len(f)-1]]
		if unit == 0 {
			return nil, fmt.Errorf("%w: messageDelayLevel level %d %q: unit must be s, m, h or d", ErrConfig, i+1, f)
		}
		n, err := strconv.ParseInt(f[:len(f)-1], 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%w: messageDelayLevel level %d %q: want a positive integer before the unit", ErrConfig, i+1, f)
		}
		if n > int64(365*24*time.Hour/unit) {
			return nil, fmt.Errorf("%w: messageDelayLevel level %d %q: longer than a year", ErrConfig, i+1, f)
		}
		out = append(out, time.Duration(n)*unit)
	}
	return out, nil
}

// Validate checks the configuration and returns every problem found, joined; each wraps
// ErrConfig, and is a *props.KeyError when its message starts with the key it is about, so
// that a loader can name the line (props.Report.AtLines).
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		errs = append(errs, &props.KeyError{Key: leadingKey(msg), Kind: ErrConfig, Msg: msg})
	}
	c.checkBounds(bad)
	if c.BrokerName == "" {
		bad("brokerName is empty")
	}
	if c.AclEnable && c.AclConfigFile == "" {
		bad("aclEnable=true needs aclConfigFile")
	}
	if c.BrokerClusterName == "" {
		bad("brokerClusterName is empty")
	}
	if c.BrokerRole == "" {
		bad("brokerRole is empty")
	}
	switch {
	case c.BrokerRole == Slave && c.BrokerID <= 0:
		bad("brokerId %d: a SLAVE needs brokerId >= 1", c.BrokerID)
	case c.BrokerRole != Slave && c.BrokerID != 0:
		bad("brokerId %d: a %s needs brokerId 0", c.BrokerID, c.BrokerRole)
	}
	port := func(key string, p int, zeroOK bool) {
		if p < 0 || p > 65535 || (p == 0 && !zeroOK) {
			bad("%s %d: want 1..65535", key, p)
		}
	}
	port("listenPort", c.ListenPort, true)
	port("haListenPort", c.HaListenPort, true)
	if c.ListenPort != 0 && c.EffectiveHAListenPort() > 65535 {
		bad("haListenPort %d (listenPort+1): want 1..65535", c.EffectiveHAListenPort())
	}
	if c.ListenPort != 0 && c.EffectiveHAListenPort() == c.ListenPort {
		bad("haListenPort %d equals listenPort", c.HaListenPort)
	}
	for _, a := range c.NamesrvAddrs() {
		if _, p, err := net.SplitHostPort(a); err != nil || p == "" {
			bad("namesrvAddr %q: want host:port", a)
		}
	}
	for key, ip := range map[string]string{"brokerIP1": c.BrokerIP1, "brokerIP2": c.BrokerIP2} {
		if ip != "" && net.ParseIP(ip) == nil {
			bad("%s %q: not an IP address", key, ip)
		}
	}
	if c.StorePathRootDir == "" {
		bad("storePathRootDir is empty")
	}
	if c.ConsumeQueueSize() < 20 || c.ConsumeQueueSize()%20 != 0 {
		bad("mappedFileSizeConsumeQueue %d: want a positive multiple of 20", c.ConsumeQueueSize())
	}
	if c.MaxMessageSize <= 0 {
		bad("maxMessageSize %d: want > 0", c.MaxMessageSize)
	}
	if c.RecoverMode != store.RecoverSalvage && c.RecoverMode != store.RecoverStrict {
		bad("recoverMode %q: want %s or %s", c.RecoverMode, store.RecoverSalvage, store.RecoverStrict)
	}
	if c.MaxConnections < -1 {
		bad("maxConnections %d: want >= 0, or -1 for no limit", c.MaxConnections)
	}
	if c.DefaultTopicQueueNums <= 0 || c.DefaultTopicQueueNums > 1024 {
		bad("defaultTopicQueueNums %d: want 1..1024", c.DefaultTopicQueueNums)
	}
	if c.BrokerPermission&^7 != 0 {
		bad("brokerPermission %d: want a combination of 4 (read), 2 (write), 1 (inherit)", c.BrokerPermission)
	}
	if c.DiskMaxUsedSpaceRatio < 10 || c.DiskMaxUsedSpaceRatio > 95 {
		bad("diskMaxUsedSpaceRatio %d: want 10..95", c.DiskMaxUsedSpaceRatio)
	}
	if c.DiskSpaceWarningLevelRatio < 1 || c.DiskSpaceWarningLevelRatio > 100 {
		bad("diskSpaceWarningLevelRatio %d: want 1..100", c.DiskSpaceWarningLevelRatio)
	}
	if c.FileReservedTime <= 0 {
		bad("fileReservedTime %d: want hours > 0", c.FileReservedTime)
	}
	if err := validateDeleteWhen(c.DeleteWhen); err != nil {
		bad("%v", err)
	}
	if _, err := c.DelayLevels(); err != nil {
		bad("%s", strings.TrimPrefix(err.Error(), ErrConfig.Error()+": "))
	}
	if c.MsgTraceTopicName == "" {
		bad("msgTraceTopicName is empty")
	} else if err := ValidateTopic(c.MsgTraceTopicName); err != nil {
		bad("msgTraceTopicName: %v", err)
	}
	if c.FlushConsumerOffsetInterval <= 0 {
		bad("flushConsumerOffsetInterval %d: want ms > 0", c.FlushConsumerOffsetInterval)
	}
	if c.ChannelExpiredTimeout <= 0 {
		bad("channelExpiredTimeout %d: want ms > 0", c.ChannelExpiredTimeout)
	}
	if c.TransactionCheckMax < 0 || c.TransactionTimeOut < 0 || c.TransactionCheckInterval <= 0 {
		bad("transaction settings must not be negative (transactionCheckInterval > 0)")
	}
	if c.EnableDLegerCommitLog {
		bad("enableDLegerCommitLog=true: DLedger is not supported")
	}
	if c.EnableControllerMode {
		bad("enableControllerMode=true: controller mode is not supported")
	}
	if c.FetchNamesrvAddrByAddressServer {
		bad("fetchNamesrvAddrByAddressServer=true: the address server is not supported; set namesrvAddr")
	}
	return errors.Join(errs...)
}

// validateDeleteWhen checks deleteWhen: hours 00..23 separated by ';'.
func validateDeleteWhen(s string) error {
	for _, h := range strings.Split(s, ";") {
		n, err := strconv.Atoi(strings.TrimSpace(h))
		if err != nil || n < 0 || n > 23 {
			return fmt.Errorf("deleteWhen %q: want hours 00..23 separated by ';'", s)
		}
	}
	return nil
}
