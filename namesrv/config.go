package namesrv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/mq-project/mq/internal/props"
)

// Config is the NameServer configuration: Apache's NamesrvConfig and NettyServerConfig keys (the
// prop tag is the .properties key) plus brokerChannelExpiredTime. Keys that only tune Java's
// thread and Netty machinery are accepted and reported but have no effect here; their comment
// says so.
type Config struct {
	// RocketmqHome is ROCKETMQ_HOME (informational).
	RocketmqHome string `prop:"rocketmqHome"`
	// KVConfigPath is the KV config file (default $HOME/namesrv/kvConfig.json).
	KVConfigPath string `prop:"kvConfigPath"`
	// ConfigStorePath is where UPDATE_NAMESRV_CONFIG persists the configuration
	// (default $HOME/namesrv/namesrv.properties).
	ConfigStorePath string `prop:"configStorePath"`
	// ProductEnvName is informational (default "center").
	ProductEnvName string `prop:"productEnvName"`
	// ClusterTest is informational (default false).
	ClusterTest bool `prop:"clusterTest"`
	// OrderMessageEnable adds orderTopicConf from the ORDER_TOPIC_CONFIG KV namespace to routes
	// (default false).
	OrderMessageEnable bool `prop:"orderMessageEnable"`
	// ReturnOrderTopicConfigToBroker answers REGISTER_BROKER with the ORDER_TOPIC_CONFIG KV list
	// (default true).
	ReturnOrderTopicConfigToBroker bool `prop:"returnOrderTopicConfigToBroker"`
	// ClientRequestThreadPoolNums is the number of workers for GET_ROUTEINFO_BY_TOPIC (default 8).
	ClientRequestThreadPoolNums int `prop:"clientRequestThreadPoolNums"`
	// DefaultThreadPoolNums is the number of workers for the other requests (default 16).
	DefaultThreadPoolNums int `prop:"defaultThreadPoolNums"`
	// ClientRequestThreadPoolQueueCapacity bounds queued route requests (default 50000).
	ClientRequestThreadPoolQueueCapacity int `prop:"clientRequestThreadPoolQueueCapacity"`
	// DefaultThreadPoolQueueCapacity bounds the other queued requests (default 10000).
	DefaultThreadPoolQueueCapacity int `prop:"defaultThreadPoolQueueCapacity"`
	// ScanNotActiveBrokerInterval is the period of the broker expiry scan in ms (default 10000).
	ScanNotActiveBrokerInterval int64 `prop:"scanNotActiveBrokerInterval"`
	// UnRegisterBrokerQueueCapacity is accepted for compatibility; unregistration is synchronous
	// here (default 3000).
	UnRegisterBrokerQueueCapacity int `prop:"unRegisterBrokerQueueCapacity"`
	// SupportActingMaster lets a route name the lowest slave as master when the master is gone
	// and the broker enabled acting master (default false).
	SupportActingMaster bool `prop:"supportActingMaster"`
	// AclEnable makes the write requests (broker registration, KV, config, write perms,
	// topic deletion) need an admin account of AclConfigFile; routes stay readable (false).
	AclEnable bool `prop:"aclEnable"`
	// AclConfigFile is the plain_acl.yml accounts file (default: plain_acl.yml beside
	// namesrv.properties; relative paths are relative to it).
	AclConfigFile string `prop:"aclConfigFile"`
	// AuditLogPath is a file that gets one JSON line per write or config request (empty: off).
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
	// EnableAllTopicList allows GET_ALL_TOPIC_LIST_FROM_NAMESERVER (default true).
	EnableAllTopicList bool `prop:"enableAllTopicList"`
	// EnableTopicList allows GET_TOPICS_BY_CLUSTER and the unit topic lists (default true).
	EnableTopicList bool `prop:"enableTopicList"`
	// NotifyMinBrokerIdChanged is accepted for compatibility; no notification is sent
	// (default false).
	NotifyMinBrokerIdChanged bool `prop:"notifyMinBrokerIdChanged"`
	// EnableControllerInNamesrv is accepted for compatibility; there is no controller
	// (default false).
	EnableControllerInNamesrv bool `prop:"enableControllerInNamesrv"`
	// NeedWaitForService is accepted for compatibility (default false).
	NeedWaitForService bool `prop:"needWaitForService"`
	// WaitSecondsForService is accepted for compatibility (default 45).
	WaitSecondsForService int `prop:"waitSecondsForService"`
	// DeleteTopicWithBrokerRegistration drops a broker's queue data for topics missing from its
	// registration (default false).
	DeleteTopicWithBrokerRegistration bool `prop:"deleteTopicWithBrokerRegistration"`
	// ConfigBlackList is the ';'-separated keys UPDATE_NAMESRV_CONFIG refuses
	// (default "configBlackList;configStorePath;kvConfigPath").
	ConfigBlackList string `prop:"configBlackList"`
	// BrokerChannelExpiredTime is the broker liveness timeout in ms when REGISTER_BROKER has no
	// heartbeatTimeoutMillis (default 120000).
	BrokerChannelExpiredTime int64 `prop:"brokerChannelExpiredTime"`
	// MetricsExporterType PROM serves /metrics and /debug/pprof/ on
	// metricsPromExporterHost:metricsPromExporterPort (default DISABLE; Apache 5's keys).
	MetricsExporterType string `prop:"metricsExporterType"`
	// MetricsPromExporterHost is the metrics listen host ("": every interface).
	MetricsPromExporterHost string `prop:"metricsPromExporterHost"`
	// MetricsPromExporterPort is the metrics listen port (default 5557; 0 picks a free one).
	MetricsPromExporterPort int `prop:"metricsPromExporterPort"`

	// BindAddress is the address to listen on (default 0.0.0.0).
	BindAddress string `prop:"bindAddress"`
	// ListenPort is the port to listen on (default 9876).
	ListenPort int `prop:"listenPort"`
	// ServerWorkerThreads is accepted for compatibility (default 8).
	ServerWorkerThreads int `prop:"serverWorkerThreads"`
	// ServerCallbackExecutorThreads is accepted for compatibility (default 0).
	ServerCallbackExecutorThreads int `prop:"serverCallbackExecutorThreads"`
	// ServerSelectorThreads is accepted for compatibility (default 3).
	ServerSelectorThreads int `prop:"serverSelectorThreads"`
	// ServerOnewaySemaphoreValue is accepted for compatibility (default 256).
	ServerOnewaySemaphoreValue int `prop:"serverOnewaySemaphoreValue"`
	// ServerAsyncSemaphoreValue is accepted for compatibility (default 64).
	ServerAsyncSemaphoreValue int `prop:"serverAsyncSemaphoreValue"`
	// ServerChannelMaxIdleTimeSeconds closes connections idle this long, in s (default 120).
	ServerChannelMaxIdleTimeSeconds int `prop:"serverChannelMaxIdleTimeSeconds"`
	// MaxConnections is the most connections open at once, more are closed at accept (mq
	// only; default 0: the open-file limit less a fifth, at least 1024; -1: no limit).
	MaxConnections int `prop:"maxConnections"`
	// ServerSocketSndBufSize is accepted for compatibility (default 0 = OS default).
	ServerSocketSndBufSize int `prop:"serverSocketSndBufSize"`
	// ServerSocketRcvBufSize is accepted for compatibility (default 0 = OS default).
	ServerSocketRcvBufSize int `prop:"serverSocketRcvBufSize"`
	// WriteBufferHighWaterMark is accepted for compatibility (default 0).
	WriteBufferHighWaterMark int `prop:"writeBufferHighWaterMark"`
	// WriteBufferLowWaterMark is accepted for compatibility (default 0).
	WriteBufferLowWaterMark int `prop:"writeBufferLowWaterMark"`
	// ServerSocketBacklog is accepted for compatibility (default 1024).
	ServerSocketBacklog int `prop:"serverSocketBacklog"`
	// ServerNettyWorkerGroupEnable is accepted for compatibility (default true).
	ServerNettyWorkerGroupEnable bool `prop:"serverNettyWorkerGroupEnable"`
	// ServerPooledByteBufAllocatorEnable is accepted for compatibility (default true).
	ServerPooledByteBufAllocatorEnable bool `prop:"serverPooledByteBufAllocatorEnable"`
	// EnableShutdownGracefully is accepted for compatibility (default false).
	EnableShutdownGracefully bool `prop:"enableShutdownGracefully"`
	// ShutdownWaitTimeSeconds is accepted for compatibility (default 30).
	ShutdownWaitTimeSeconds int `prop:"shutdownWaitTimeSeconds"`
	// UseEpollNativeSelector is accepted for compatibility (default false).
	UseEpollNativeSelector bool `prop:"useEpollNativeSelector"`
}

// Errors of the configuration.
var (
	// ErrInvalidConfig is returned (wrapped) by Validate.
	ErrInvalidConfig = errors.New("namesrv: invalid config")
)

// DefaultConfig returns Apache's defaults, with the scan every 10 s and the KV file under $HOME.
func DefaultConfig() Config {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return Config{
		RocketmqHome:                         os.Getenv("ROCKETMQ_HOME"),
		KVConfigPath:                         filepath.Join(home, "namesrv", "kvConfig.json"),
		ConfigStorePath:                      filepath.Join(home, "namesrv", "namesrv.properties"),
		ProductEnvName:                       "center",
		ReturnOrderTopicConfigToBroker:       true,
		ClientRequestThreadPoolNums:          8,
		DefaultThreadPoolNums:                16,
		ClientRequestThreadPoolQueueCapacity: 50000,
		DefaultThreadPoolQueueCapacity:       10000,
		ScanNotActiveBrokerInterval:          10000,
		UnRegisterBrokerQueueCapacity:        3000,
		EnableAllTopicList:                   true,
		EnableTopicList:                      true,
		WaitSecondsForService:                45,
		ConfigBlackList:                      "configBlackList;configStorePath;kvConfigPath",
		BrokerChannelExpiredTime:             120000,
		MetricsExporterType:                  "DISABLE",
		MetricsPromExporterPort:              5557,
		BindAddress:                          "0.0.0.0",
		ListenPort:                           9876,
		ServerWorkerThreads:                  8,
		ServerSelectorThreads:                3,
		ServerOnewaySemaphoreValue:           256,
		ServerAsyncSemaphoreValue:            64,
		ServerChannelMaxIdleTimeSeconds:      120,
		ServerSocketBacklog:                  1024,
		ServerNettyWorkerGroupEnable:         true,
		ServerPooledByteBufAllocatorEnable:   true,
		ShutdownWaitTimeSeconds:              30,
	}
}

// Validate reports every out-of-range value.
func (c Config) Validate() error {
	var errs []error
	bad := func(key string, v any, why string) {
		errs = append(errs, &props.KeyError{Key: key, Kind: ErrInvalidConfig, Msg: fmt.Sprintf("%s=%v: %s", key, v, why)})
	}
	if c.ListenPort < 0 || c.ListenPort > 65535 {
		bad("listenPort", c.ListenPort, "must be 0..65535")
	}
	if c.ScanNotActiveBrokerInterval <= 0 {
		bad("scanNotActiveBrokerInterval", c.ScanNotActiveBrokerInterval, "must be > 0 ms")
	}
	if c.BrokerChannelExpiredTime <= 0 {
		bad("brokerChannelExpiredTime", c.BrokerChannelExpiredTime, "must be > 0 ms")
	}
	if c.ClientRequestThreadPoolNums <= 0 {
		bad("clientRequestThreadPoolNums", c.ClientRequestThreadPoolNums, "must be > 0")
	}
	if c.DefaultThreadPoolNums <= 0 {
		bad("defaultThreadPoolNums", c.DefaultThreadPoolNums, "must be > 0")
	}
	if c.ClientRequestThreadPoolQueueCapacity <= 0 {
		bad("clientRequestThreadPoolQueueCapacity", c.ClientRequestThreadPoolQueueCapacity, "must be > 0")
	}
	if c.DefaultThreadPoolQueueCapacity <= 0 {
		bad("defaultThreadPoolQueueCapacity", c.DefaultThreadPoolQueueCapacity, "must be > 0")
	}
	if c.ServerChannelMaxIdleTimeSeconds < 0 {
		bad("serverChannelMaxIdleTimeSeconds", c.ServerChannelMaxIdleTimeSeconds, "must be >= 0")
	}
	if c.MaxConnections < -1 {
		bad("maxConnections", c.MaxConnections, "must be >= 0, or -1 for no limit")
	}
	if c.KVConfigPath == "" {
		bad("kvConfigPath", `""`, "must be set")
	}
	for key, p := range map[string]string{"kvConfigPath": c.KVConfigPath, "configStorePath": c.ConfigStorePath} {
		if p == "" {
			continue
		}
		switch {
		case strings.Contains(p, "${"):
			bad(key, props.Quote(p), "placeholders are not expanded (nor by Apache); write the path out")
		case strings.IndexFunc(p, unicode.IsControl) >= 0:
			bad(key, props.Quote(p), "control characters in a path")
		case !filepath.IsAbs(p):
			bad(key, props.Quote(p), "want an absolute path (a relative one depends on the directory the nameserver starts in)")
		}
	}
	return errors.Join(errs...)
}

// LoadFile reads a namesrv.conf (Java properties) over cfg. Every key of Apache RocketMQ's
// nameserver is accepted: those mq implements are applied, the others are listed in the
// report (Report.WarningLines gives the one warning line to show). An unknown key is an error
// with file, line and a "did you mean"; a bad value is an error at its line; a repeated key is
// a warning. Pass Validate's error to the report's AtLines so that range checks name the line.
func LoadFile(path string, cfg *Config) (props.Report, error) {
	return props.DecodeFile(path, cfg, ignorableKeys())
}

// ListenAddr is BindAddress:ListenPort.
func (c Config) ListenAddr() string {
	return net2HostPort(c.BindAddress, c.ListenPort)
}

func net2HostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}

func (c Config) scanInterval() time.Duration {
	return time.Duration(c.ScanNotActiveBrokerInterval) * time.Millisecond
}

// String returns the properties text: one key=value line per key, sorted.
func (c Config) String() string { return props.Format(props.List(c)) }
