package protocol

import (
	"encoding/json"
	"fmt"
	"slices"
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
func (a BrokerAddrs) MarshalJSON() ([]byte, error) { return a.appendJSON(nil), nil }

func (a BrokerAddrs) appendJSON(out []byte) []byte {
	var buf [4]int64
	ids := buf[:0]
	for id := range a {
		ids = append(ids, id)
	}
	slices.Sort(ids)
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
	return append(out, '}')
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
func (r TopicRouteData) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil), nil }

// AppendJSON appends the route's compact standard JSON (the same text MarshalJSON returns) to
// dst without reflection; the NameServer answers every route request with it.
func (r *TopicRouteData) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"brokerDatas":[`...)
	for i := range r.BrokerDatas {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = r.BrokerDatas[i].appendJSON(dst)
	}
	dst = append(dst, `],"filterServerTable":{`...)
	for i, addr := range sortedKeys(r.FilterServerTable) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, addr)
		dst = append(dst, ':', '[')
		for j, fs := range r.FilterServerTable[addr] {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, fs)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, '}')
	if r.OrderTopicConf != "" {
		dst = append(dst, `,"orderTopicConf":`...)
		dst = appendJSONString(dst, r.OrderTopicConf)
	}
	dst = append(dst, `,"queueDatas":[`...)
	for i, q := range r.QueueDatas {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"brokerName":`...)
		dst = appendJSONString(dst, q.BrokerName)
		dst = append(dst, `,"perm":`...)
		dst = strconv.AppendInt(dst, int64(q.Perm), 10)
		dst = append(dst, `,"readQueueNums":`...)
		dst = strconv.AppendInt(dst, int64(q.ReadQueueNums), 10)
		dst = append(dst, `,"topicSysFlag":`...)
		dst = strconv.AppendInt(dst, int64(q.TopicSysFlag), 10)
		dst = append(dst, `,"writeQueueNums":`...)
		dst = strconv.AppendInt(dst, int64(q.WriteQueueNums), 10)
		dst = append(dst, '}')
	}
	return append(dst, ']', '}')
}

func (b *BrokerData) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"brokerAddrs":`...)
	dst = b.BrokerAddrs.appendJSON(dst)
	dst = append(dst, `,"brokerName":`...)
	dst = appendJSONString(dst, b.BrokerName)
	dst = append(dst, `,"cluster":`...)
	dst = appendJSONString(dst, b.Cluster)
	dst = append(dst, `,"enableActingMaster":`...)
	dst = strconv.AppendBool(dst, b.EnableActingMaster)
	if b.ZoneName != "" {
		dst = append(dst, `,"zoneName":`...)
		dst = appendJSONString(dst, b.ZoneName)
	}
	return append(dst, '}')
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
