package protocol

// NameServer request and response headers (remoting/…/protocol/header/namesrv/*.java). All are
// encoded and decoded by EncodeHeader / DecodeHeader through their ext tags.

// PutKVConfigRequestHeader is the header of PUT_KV_CONFIG (100).
type PutKVConfigRequestHeader struct {
	Namespace string `ext:"namespace,required"`
	Key       string `ext:"key,required"`
	Value     string `ext:"value"`
}

// GetKVConfigRequestHeader is the header of GET_KV_CONFIG (101).
type GetKVConfigRequestHeader struct {
	Namespace string `ext:"namespace,required"`
	Key       string `ext:"key,required"`
}

// GetKVConfigResponseHeader is the response header of GET_KV_CONFIG (101).
type GetKVConfigResponseHeader struct {
	Value string `ext:"value"`
}

// DeleteKVConfigRequestHeader is the header of DELETE_KV_CONFIG (102).
type DeleteKVConfigRequestHeader struct {
	Namespace string `ext:"namespace,required"`
	Key       string `ext:"key,required"`
}

// GetKVListByNamespaceRequestHeader is the header of GET_KVLIST_BY_NAMESPACE (219).
type GetKVListByNamespaceRequestHeader struct {
	Namespace string `ext:"namespace,required"`
}

// RegisterBrokerRequestHeader is the header of REGISTER_BROKER (103).
type RegisterBrokerRequestHeader struct {
	BrokerName   string `ext:"brokerName,required"`
	BrokerAddr   string `ext:"brokerAddr,required"`
	ClusterName  string `ext:"clusterName,required"`
	HAServerAddr string `ext:"haServerAddr"`
	BrokerID     int64  `ext:"brokerId"`
	// HeartbeatTimeoutMillis is the broker's liveness timeout; 0 (absent) means the
	// NameServer's default.
	HeartbeatTimeoutMillis int64 `ext:"heartbeatTimeoutMillis,omitempty"`
	// EnableActingMaster is nil for brokers that do not send it (older than 5.0).
	EnableActingMaster *bool `ext:"enableActingMaster"`
	// Compressed says the body is the deflated RegisterBrokerBody form.
	Compressed bool `ext:"compressed"`
	// BodyCrc32 is CRC32-IEEE(body) & 0x7FFFFFFF, 0 = not checked.
	BodyCrc32 int32 `ext:"bodyCrc32"`
	// ZoneName comes from the __ZONE_NAME extField (not a Java header field).
	ZoneName string `ext:"__ZONE_NAME,omitempty"`
}

// RegisterBrokerResponseHeader is the response header of REGISTER_BROKER: the master's
// addresses, for a slave.
type RegisterBrokerResponseHeader struct {
	HAServerAddr string `ext:"haServerAddr,omitempty"`
	MasterAddr   string `ext:"masterAddr,omitempty"`
}

// UnregisterBrokerRequestHeader is the header of UNREGISTER_BROKER (104).
type UnregisterBrokerRequestHeader struct {
	BrokerName  string `ext:"brokerName,required"`
	BrokerAddr  string `ext:"brokerAddr,required"`
	ClusterName string `ext:"clusterName,required"`
	BrokerID    int64  `ext:"brokerId"`
}

// QueryDataVersionRequestHeader is the header of QUERY_DATA_VERSION (322).
type QueryDataVersionRequestHeader struct {
	BrokerName  string `ext:"brokerName,required"`
	BrokerAddr  string `ext:"brokerAddr,required"`
	ClusterName string `ext:"clusterName,required"`
	BrokerID    int64  `ext:"brokerId"`
}

// QueryDataVersionResponseHeader is the response header of QUERY_DATA_VERSION.
type QueryDataVersionResponseHeader struct {
	Changed bool `ext:"changed"`
}

// GetRouteInfoRequestHeader is the header of GET_ROUTEINFO_BY_TOPIC (105).
type GetRouteInfoRequestHeader struct {
	Topic string `ext:"topic,required"`
	// AcceptStandardJSONOnly asks a Java NameServer for standard JSON (5.x).
	AcceptStandardJSONOnly *bool `ext:"acceptStandardJsonOnly"`
}

// DeleteTopicFromNamesrvRequestHeader is the header of DELETE_TOPIC_IN_NAMESRV (216).
type DeleteTopicFromNamesrvRequestHeader struct {
	Topic string `ext:"topic,required"`
	// ClusterName, when set, limits the deletion to the brokers of that cluster.
	ClusterName string `ext:"clusterName,omitempty"`
}

// RegisterTopicRequestHeader is the header of REGISTER_TOPIC_IN_NAMESRV (217).
type RegisterTopicRequestHeader struct {
	Topic string `ext:"topic,required"`
}

// GetTopicsByClusterRequestHeader is the header of GET_TOPICS_BY_CLUSTER (224).
type GetTopicsByClusterRequestHeader struct {
	Cluster string `ext:"cluster,required"`
}

// WipeWritePermOfBrokerRequestHeader is the header of WIPE_WRITE_PERM_OF_BROKER (205).
type WipeWritePermOfBrokerRequestHeader struct {
	BrokerName string `ext:"brokerName,required"`
}

// WipeWritePermOfBrokerResponseHeader is the response header of WIPE_WRITE_PERM_OF_BROKER.
type WipeWritePermOfBrokerResponseHeader struct {
	WipeTopicCount int32 `ext:"wipeTopicCount"`
}

// AddWritePermOfBrokerRequestHeader is the header of ADD_WRITE_PERM_OF_BROKER (327).
type AddWritePermOfBrokerRequestHeader struct {
	BrokerName string `ext:"brokerName,required"`
}

// AddWritePermOfBrokerResponseHeader is the response header of ADD_WRITE_PERM_OF_BROKER.
type AddWritePermOfBrokerResponseHeader struct {
	AddTopicCount int32 `ext:"addTopicCount"`
}
