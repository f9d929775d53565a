// Package namesrv is a RocketMQ NameServer, compatible with Apache RocketMQ's (RouteInfoManager,
// DefaultRequestProcessor, ClientRequestProcessor, KVConfigManager). Brokers register their
// topics with it; clients and admin tools ask it for routes. It keeps no state on disk except
// the KV config.
//
// # Tables
//
// One RWMutex guards every table of the route table:
//
//	clusterAddr   cluster    -> {brokerName}             "DefaultCluster" -> {broker-a, broker-b}
//	brokerAddr    brokerName -> BrokerData               broker-a -> {cluster, brokerAddrs{0: master, 1: slave}}
//	topicQueue    topic      -> brokerName -> QueueData  TopicTest -> broker-a -> {r 4, w 4, perm 6}
//	brokerLive    (cluster, addr) -> lastUpdate, timeout, dataVersion, haServerAddr, connection id
//	filterServer  (cluster, addr) -> [filter server addr]
//
// Master and slave of one brokerName are kept apart by brokerId in brokerAddrs; only the master
// (or, with acting master, the lowest slave) writes topicQueue, and only when its DataVersion
// changed or the broker is new. A registration under an address already known with another id
// is a slave/master switch: the old id goes.
//
// A route (GET_ROUTEINFO_BY_TOPIC) is topicQueue[topic] plus the BrokerData of each broker
// name in it, sorted by broker name, written as standard JSON with brokerAddrs compact and
// always present (GoC slices that text by hand).
//
// # Liveness
//
//	REGISTER_BROKER ----> brokerLive[(cluster, addr)].lastUpdate = now
//	every scanNotActiveBrokerInterval (10 s):  lastUpdate + timeout < now  => remove
//	connection the broker registered on closes                            => remove
//	UNREGISTER_BROKER                                                     => remove
//
// timeout is the register header's heartbeatTimeoutMillis, or brokerChannelExpiredTime
// (120 s). Removing a broker drops its liveness record and filter servers, its address from
// BrokerData; an empty BrokerData takes its brokerName out of clusterAddr and its QueueData out
// of every topic; a topic left without QueueData disappears. The scan also closes the expired
// broker's connection.
//
// # KV config
//
// PUT/GET/DELETE_KV_CONFIG and GET_KVLIST_BY_NAMESPACE work on namespace -> key -> value,
// written after every change (temp file, fsync, rename) to kvConfigPath as
//
//	{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicTest":"broker-a:4"}}}
//
// The ORDER_TOPIC_CONFIG namespace gives routes their orderTopicConf (orderMessageEnable) and is
// returned to brokers in the REGISTER_BROKER response (returnOrderTopicConfigToBroker).
//
// # Configuration
//
// Config carries Apache's NamesrvConfig and NettyServerConfig keys as prop tags;
// GET_NAMESRV_CONFIG returns it as properties text and UPDATE_NAMESRV_CONFIG changes it at
// run time (refusing configBlackList keys) and writes it to configStorePath.
//
// Differences from Apache: unknown request codes get REQUEST_CODE_NOT_SUPPORTED (Apache's
// NameServer sends no answer); routes are always standard JSON, whatever the client version;
// unknown keys in UPDATE_NAMESRV_CONFIG are an error instead of being ignored.
package namesrv
