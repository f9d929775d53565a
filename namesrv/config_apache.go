package namesrv

import (
	"strings"
	"sync"

	"github.com/mq-project/mq/internal/props"
)

// apacheNamesrvKeys are the 83 keys Apache RocketMQ's nameserver reads from its configuration
// file: the setters of NamesrvConfig, NettyServerConfig, NettyClientConfig and ControllerConfig
// (read when enableControllerInNamesrv is set), as MixAll.properties2Object derives a key from
// a setter (setFooBar -> fooBar), united over releases 4.2.0 to 5.3.3 and the development
// branch (scripts/apachekeys.sh lists them from a checkout of apache/rocketmq).
const apacheNamesrvKeys = `
bindAddress channelNotActiveInterval clientAsyncSemaphoreValue clientCallbackExecutorThreads
clientChannelMaxIdleTimeSeconds clientCloseSocketIfTimeout clientOnewaySemaphoreValue
clientPooledByteBufAllocatorEnable clientRequestThreadPoolNums
clientRequestThreadPoolQueueCapacity clientSocketRcvBufSize clientSocketSndBufSize
clientWorkerThreads clusterTest configBlackList configStorePath connectTimeoutMillis
controllerDLegerGroup controllerDLegerPeers controllerDLegerSelfId
controllerRequestThreadPoolQueueCapacity controllerStorePath controllerThreadPoolNums
controllerType defaultThreadPoolNums defaultThreadPoolQueueCapacity
deleteTopicWithBrokerRegistration disableCallbackExecutor disableNettyWorkerGroup
electMasterMaxRetryCount enableAllTopicList enableControllerInNamesrv enableElectUncleanMaster
enableReconnectForGoAway enableShutdownGracefully enableTopicList enableTransparentRetry
jraftConfig kvConfigPath listenPort mappedFileSize maxReconnectIntervalTimeSeconds
metricGrpcExporterIntervalInMills metricGrpcExporterTimeOutInMills
metricLoggingExporterIntervalInMills metricsExporterType metricsGrpcExporterHeader
metricsGrpcExporterTarget metricsInDelta metricsLabel metricsPromExporterHost
metricsPromExporterPort needWaitForService notifyBrokerRoleChanged notifyMinBrokerIdChanged
orderMessageEnable processReadEvent productEnvName returnOrderTopicConfigToBroker rocketmqHome
scanAvailableNameSrv scanInactiveMasterInterval scanNotActiveBrokerInterval
serverAsyncSemaphoreValue serverCallbackExecutorThreads serverChannelMaxIdleTimeSeconds
serverNettyWorkerGroupEnable serverOnewaySemaphoreValue serverPooledByteBufAllocatorEnable
serverSelectorThreads serverSocketBacklog serverSocketRcvBufSize serverSocketSndBufSize
serverWorkerThreads shutdownWaitTimeSeconds socksProxyConfig supportActingMaster
unRegisterBrokerQueueCapacity useEpollNativeSelector useTLS waitSecondsForService
writeBufferHighWaterMark writeBufferLowWaterMark
`

// inertKeys are keys Config has fields for, so that existing files load and
// GET_NAMESRV_CONFIG lists them, but which change nothing in mq (Java's and Netty's tuning,
// informational keys). TestInertKeysAreInert keeps the list true.
const inertKeys = `
rocketmqHome productEnvName clusterTest unRegisterBrokerQueueCapacity notifyMinBrokerIdChanged
enableControllerInNamesrv needWaitForService waitSecondsForService serverWorkerThreads
serverCallbackExecutorThreads serverSelectorThreads serverOnewaySemaphoreValue
serverAsyncSemaphoreValue serverSocketSndBufSize serverSocketRcvBufSize writeBufferHighWaterMark
writeBufferLowWaterMark serverSocketBacklog serverNettyWorkerGroupEnable
serverPooledByteBufAllocatorEnable enableShutdownGracefully shutdownWaitTimeSeconds
useEpollNativeSelector
`

// ignorableKeys returns the keys a namesrv.conf may carry that mq accepts without effect:
// Apache's keys that Config has no field for, and the inert ones it has.
var ignorableKeys = sync.OnceValue(func() map[string]bool {
	have := map[string]bool{}
	for _, k := range props.Keys(&Config{}) {
		have[k] = true
	}
	out := map[string]bool{}
	for _, k := range strings.Fields(apacheNamesrvKeys) {
		if !have[k] {
			out[k] = true
		}
	}
	for _, k := range strings.Fields(inertKeys) {
		out[k] = true
	}
	return out
})
