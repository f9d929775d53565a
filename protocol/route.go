package protocol

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// Permission bits of a topic or broker (PermName.java).
const (
	PermPriority = 1 << 3
	PermRead     = 1 << 2
	PermWrite    = 1 << 1
	PermInherit  = 1 << 0
)

// MasterID is the broker id of a master (MixAll.MASTER_ID).
const MasterID int64 = 0

// QueueData is one broker's queues of a topic in a route (QueueData.java).
type QueueData struct {
	BrokerName     string `json:"brokerName"`
	Perm           int32  `json:"perm"`
	ReadQueueNums  int32  `json:"readQueueNums"`
	TopicSysFlag   int32  `json:"topicSysFlag"`
	WriteQueueNums int32  `json:"writeQueueNums"`
}

// BrokerAddrs maps broker id (0 = master) to "ip:port". It always encodes as an object, {} when
// empty, because GoC slices the object text by hand; json.Marshal writes it compact.
type BrokerAddrs map[int64]string

// MarshalJSON writes {"0":"addr",...} sorted by id, {} when empty.
func (a BrokerAddrs) MarshalJSON() ([]byte, error) {
	ids := make([]int64, 0, len(a))
	for id := range a {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]byte, 0, 2+len(a)*24)
	out = append(out, '{')
	for i, id := range ids {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = strconv.AppendInt(out, id, 10)
		out = append(out, '"', ':')
		out = appendJSONString(out, a[id])
	}
	return append(out, '}'), nil
}

// UnmarshalJSON reads an object with quoted numeric keys (after StandardJSON for bare ones).
func (a *BrokerAddrs) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	out := make(BrokerAddrs, len(m))
	for k, v := range m {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return fmt.Errorf("protocol: brokerAddrs key %q: %w", k, err)
		}
		out[id] = v
	}
	*a = out
	return nil
}

// BrokerData is one broker name's addresses (BrokerData.java).
type BrokerData struct {
	BrokerAddrs        BrokerAddrs `json:"brokerAddrs"`
	BrokerName         string      `json:"brokerName"`
	Cluster            string      `json:"cluster"`
	EnableActingMaster bool        `json:"enableActingMaster"`
	ZoneName           string      `json:"zoneName,omitempty"`
}

// MasterAddr returns the address of broker id 0, or "".
func (b *BrokerData) MasterAddr() string { return b.BrokerAddrs[MasterID] }

// Clone returns a deep copy.
func (b *BrokerData) Clone() BrokerData {
	c := *b
	c.BrokerAddrs = make(BrokerAddrs, len(b.BrokerAddrs))
	for k, v := range b.BrokerAddrs {
		c.BrokerAddrs[k] = v
	}
	return c
}

// TopicRouteData is the body of a GET_ROUTEINFO_BY_TOPIC response (TopicRouteData.java).
// brokerDatas and queueDatas are always written ([] when empty): GoC fails without them.
type TopicRouteData struct {
	BrokerDatas       []BrokerData        `json:"brokerDatas"`
	FilterServerTable map[string][]string `json:"filterServerTable"`
	OrderTopicConf    string              `json:"orderTopicConf,omitempty"`
	QueueDatas        []QueueData         `json:"queueDatas"`
}

// MarshalJSON writes the route with empty collections as [] and {} instead of null.
func (r TopicRouteData) MarshalJSON() ([]byte, error) {
	type plain TopicRouteData
	if r.BrokerDatas == nil {
		r.BrokerDatas = []BrokerData{}
	}
	if r.QueueDatas == nil {
		r.QueueDatas = []QueueData{}
	}
	if r.FilterServerTable == nil {
		r.FilterServerTable = map[string][]string{}
	}
	return json.Marshal(plain(r))
}

// ClusterInfo is the body of GET_BROKER_CLUSTER_INFO (ClusterInfo.java). Java writes
// brokerAddrs with bare numeric keys; decode with DecodeBody.
type ClusterInfo struct {
	BrokerAddrTable  map[string]BrokerData `json:"brokerAddrTable"`
	ClusterAddrTable map[string][]string   `json:"clusterAddrTable"`
}

// MarshalJSON writes empty tables as {}.
func (c ClusterInfo) MarshalJSON() ([]byte, error) {
	type plain ClusterInfo
	if c.BrokerAddrTable == nil {
		c.BrokerAddrTable = map[string]BrokerData{}
	}
	if c.ClusterAddrTable == nil {
		c.ClusterAddrTable = map[string][]string{}
	}
	return json.Marshal(plain(c))
}
