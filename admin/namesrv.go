package admin

import (
	"bufio"
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// Broker is one broker address known to the nameservers.
type Broker struct {
	Cluster string `json:"cluster"`
	Name    string `json:"brokerName"`
	// ID is the broker id: 0 for the master, 1 and up for slaves.
	ID   int64  `json:"brokerId"`
	Addr string `json:"addr"`
}

// IsMaster reports whether b is a master (id 0).
func (b Broker) IsMaster() bool { return b.ID == protocol.MasterID }

// ClusterInfo asks a nameserver for the clusters and their brokers (GET_BROKER_CLUSTER_INFO).
func (a *Admin) ClusterInfo(ctx context.Context) (protocol.ClusterInfo, error) {
	var ci protocol.ClusterInfo
	resp, err := a.invokeNamesrv(ctx, protocol.GetBrokerClusterInfo, nil, nil)
	if err != nil {
		return ci, err
	}
	err = decode(protocol.GetBrokerClusterInfo, resp, &ci)
	return ci, err
}

// Brokers lists the broker addresses of ci, sorted by cluster, broker name and id. When cluster
// is not "", only that cluster's brokers are listed, and ErrClusterNotFound is returned if ci
// does not have it.
func Brokers(ci protocol.ClusterInfo, cluster string) ([]Broker, error) {
	var out []Broker
	clusters := map[string]bool{}
	for c := range ci.ClusterAddrTable {
		clusters[c] = true
	}
	if cluster != "" && !clusters[cluster] {
		return nil, wrapf("%w: %s", ErrClusterNotFound, cluster)
	}
	for name, bd := range ci.BrokerAddrTable {
		c := bd.Cluster
		if c == "" {
			c = clusterOf(ci, name)
		}
		if cluster != "" && c != cluster {
			continue
		}
		for id, addr := range bd.BrokerAddrs {
			out = append(out, Broker{Cluster: c, Name: name, ID: id, Addr: addr})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if x.Cluster != y.Cluster {
			return x.Cluster < y.Cluster
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		return x.ID < y.ID
	})
	return out, nil
}

func clusterOf(ci protocol.ClusterInfo, brokerName string) string {
	for c, names := range ci.ClusterAddrTable {
		for _, n := range names {
			if n == brokerName {
				return c
			}
		}
	}
	return ""
}

// Masters is Brokers limited to masters (id 0).
func Masters(ci protocol.ClusterInfo, cluster string) ([]Broker, error) {
	all, err := Brokers(ci, cluster)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, b := range all {
		if b.IsMaster() {
			out = append(out, b)
		}
	}
	return out, nil
}

// RouteMasters returns the master of every broker named in a topic route, sorted by name.
func RouteMasters(rd protocol.TopicRouteData) []Broker {
	var out []Broker
	for _, bd := range rd.BrokerDatas {
		if addr := bd.MasterAddr(); addr != "" {
			out = append(out, Broker{Cluster: bd.Cluster, Name: bd.BrokerName, ID: protocol.MasterID, Addr: addr})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func brokerTargets(bs []Broker) []target {
	out := make([]target, len(bs))
	for i, b := range bs {
		out[i] = target{cluster: b.Cluster, name: b.Name, id: b.ID, addr: b.Addr}
	}
	return out
}

// TopicList returns every topic the nameservers know (GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
// sorted.
func (a *Admin) TopicList(ctx context.Context) ([]string, error) {
	return a.topicList(ctx, protocol.GetAllTopicListFromNameServer, nil)
}

// TopicsByCluster returns the topics with queues on the brokers of cluster
// (GET_TOPICS_BY_CLUSTER), sorted.
func (a *Admin) TopicsByCluster(ctx context.Context, cluster string) ([]string, error) {
	return a.topicList(ctx, protocol.GetTopicsByCluster, &protocol.GetTopicsByClusterRequestHeader{Cluster: cluster})
}

// SystemTopics returns the system topics the nameservers know (GET_SYSTEM_TOPIC_LIST_FROM_NS):
// cluster and broker names, which Apache registers as topics, and the like.
func (a *Admin) SystemTopics(ctx context.Context) ([]string, error) {
	return a.topicList(ctx, protocol.GetSystemTopicListFromNs, nil)
}

func (a *Admin) topicList(ctx context.Context, code protocol.RequestCode, h any) ([]string, error) {
	resp, err := a.invokeNamesrv(ctx, code, h, nil)
	if err != nil {
		return nil, err
	}
	var tl protocol.TopicList
	if err := decode(code, resp, &tl); err != nil {
		return nil, err
	}
	sort.Strings(tl.TopicList)
	return tl.TopicList, nil
}

// TopicRoute returns a topic's route (GET_ROUTEINFO_BY_TOPIC). An unknown topic is a
// *remoting.ResponseError with code TOPIC_NOT_EXIST (17).
func (a *Admin) TopicRoute(ctx context.Context, topic string) (protocol.TopicRouteData, error) {
	var rd protocol.TopicRouteData
	std := true
	resp, err := a.invokeNamesrv(ctx, protocol.GetRouteInfoByTopic,
		&protocol.GetRouteInfoRequestHeader{Topic: topic, AcceptStandardJSONOnly: &std}, nil)
	if err != nil {
		return rd, err
	}
	err = decode(protocol.GetRouteInfoByTopic, resp, &rd)
	return rd, err
}

// IsCode reports whether err is (or wraps) a *remoting.ResponseError with the given code.
func IsCode(err error, code protocol.ResponseCode) bool {
	var re *remoting.ResponseError
	return errors.As(err, &re) && protocol.ResponseCode(re.Code) == code
}

// KV returns the value of namespace/key in the nameservers' KV config (GET_KV_CONFIG). A
// missing key is a *remoting.ResponseError with code QUERY_NOT_FOUND (22).
func (a *Admin) KV(ctx context.Context, namespace, key string) (string, error) {
	resp, err := a.invokeNamesrv(ctx, protocol.GetKVConfig,
		&protocol.GetKVConfigRequestHeader{Namespace: namespace, Key: key}, nil)
	if err != nil {
		return "", err
	}
	var h protocol.GetKVConfigResponseHeader
	if err := protocol.DecodeHeader(resp.ExtFields, &h); err != nil {
		return "", err
	}
	return h.Value, nil
}

// KVList returns every key of namespace (GET_KVLIST_BY_NAMESPACE). An empty namespace is an
// empty map, not an error.
func (a *Admin) KVList(ctx context.Context, namespace string) (map[string]string, error) {
	resp, err := a.invokeNamesrv(ctx, protocol.GetKVListByNamespace,
		&protocol.GetKVListByNamespaceRequestHeader{Namespace: namespace}, nil)
	if IsCode(err, protocol.QueryNotFound) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	var kv protocol.KVTable
	if err := decode(protocol.GetKVListByNamespace, resp, &kv); err != nil {
		return nil, err
	}
	if kv.Table == nil {
		kv.Table = map[string]string{}
	}
	return kv.Table, nil
}

// PutKV sets namespace/key on every nameserver (PUT_KV_CONFIG), as mqadmin updateKvConfig does.
func (a *Admin) PutKV(ctx context.Context, namespace, key, value string) Results[struct{}] {
	h := &protocol.PutKVConfigRequestHeader{Namespace: namespace, Key: key, Value: value}
	return a.allNamesrvs(ctx, protocol.PutKVConfig, h, nil)
}

// DeleteKV removes namespace/key from every nameserver (DELETE_KV_CONFIG).
func (a *Admin) DeleteKV(ctx context.Context, namespace, key string) Results[struct{}] {
	h := &protocol.DeleteKVConfigRequestHeader{Namespace: namespace, Key: key}
	return a.allNamesrvs(ctx, protocol.DeleteKVConfig, h, nil)
}

func (a *Admin) allNamesrvs(ctx context.Context, code protocol.RequestCode, h any, body []byte) Results[struct{}] {
	return fanOut(ctx, a, KindNameServer, a.nameServerTargets(), func(ctx context.Context, addr string) (struct{}, error) {
		_, err := a.invoke(ctx, addr, code, h, body)
		return struct{}{}, err
	})
}

// WipeWritePerm removes the write permission of brokerName's queues on every nameserver
// (WIPE_WRITE_PERM_OF_BROKER); each value is the number of topics changed there.
func (a *Admin) WipeWritePerm(ctx context.Context, brokerName string) Results[int] {
	return fanOut(ctx, a, KindNameServer, a.nameServerTargets(), func(ctx context.Context, addr string) (int, error) {
		resp, err := a.invoke(ctx, addr, protocol.WipeWritePermOfBroker,
			&protocol.WipeWritePermOfBrokerRequestHeader{BrokerName: brokerName}, nil)
		if err != nil {
			return 0, err
		}
		var h protocol.WipeWritePermOfBrokerResponseHeader
		err = protocol.DecodeHeader(resp.ExtFields, &h)
		return int(h.WipeTopicCount), err
	})
}

// AddWritePerm gives brokerName's queues their write permission back on every nameserver
// (ADD_WRITE_PERM_OF_BROKER); each value is the number of topics changed there.
func (a *Admin) AddWritePerm(ctx context.Context, brokerName string) Results[int] {
	return fanOut(ctx, a, KindNameServer, a.nameServerTargets(), func(ctx context.Context, addr string) (int, error) {
		resp, err := a.invoke(ctx, addr, protocol.AddWritePermOfBroker,
			&protocol.AddWritePermOfBrokerRequestHeader{BrokerName: brokerName}, nil)
		if err != nil {
			return 0, err
		}
		var h protocol.AddWritePermOfBrokerResponseHeader
		err = protocol.DecodeHeader(resp.ExtFields, &h)
		return int(h.AddTopicCount), err
	})
}

// NamesrvConfig returns every nameserver's configuration (GET_NAMESRV_CONFIG).
func (a *Admin) NamesrvConfig(ctx context.Context) Results[map[string]string] {
	return fanOut(ctx, a, KindNameServer, a.nameServerTargets(), func(ctx context.Context, addr string) (map[string]string, error) {
		resp, err := a.invoke(ctx, addr, protocol.GetNamesrvConfig, nil, nil)
		if err != nil {
			return nil, err
		}
		return ParseProperties(string(resp.Body)), nil
	})
}

// UpdateNamesrvConfig sets the given keys on every nameserver (UPDATE_NAMESRV_CONFIG).
func (a *Admin) UpdateNamesrvConfig(ctx context.Context, kv map[string]string) Results[struct{}] {
	return a.allNamesrvs(ctx, protocol.UpdateNamesrvConfig, nil, []byte(FormatProperties(kv)))
}

// DeleteTopicInNamesrv removes a topic's route from every nameserver (DELETE_TOPIC_IN_NAMESRV).
// With cluster set, only the queues of that cluster's brokers are removed.
func (a *Admin) DeleteTopicInNamesrv(ctx context.Context, topic, cluster string) Results[struct{}] {
	h := &protocol.DeleteTopicFromNamesrvRequestHeader{Topic: topic, ClusterName: cluster}
	return a.allNamesrvs(ctx, protocol.DeleteTopicInNamesrv, h, nil)
}

// ParseProperties reads the key=value lines Java's Properties/MixAll.properties2String write
// (GET_BROKER_CONFIG, GET_NAMESRV_CONFIG bodies). Comments (# or !) and blank lines are
// skipped; ':' is accepted as separator when there is no '='; \= \: \\ escapes are undone.
func ParseProperties(text string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		sep := -1
		for i := 0; i < len(line); i++ {
			if line[i] == '\\' {
				i++
				continue
			}
			if line[i] == '=' || line[i] == ':' {
				sep = i
				break
			}
		}
		if sep < 0 {
			out[unescapeProp(line)] = ""
			continue
		}
		out[unescapeProp(strings.TrimSpace(line[:sep]))] = unescapeProp(strings.TrimSpace(line[sep+1:]))
	}
	return out
}

func unescapeProp(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'f':
				b.WriteByte('\f')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// FormatProperties writes kv as key=value lines sorted by key, the body of
// UPDATE_BROKER_CONFIG and UPDATE_NAMESRV_CONFIG.
func FormatProperties(kv map[string]string) string {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		escapeProp(&b, k, true)
		b.WriteByte('=')
		escapeProp(&b, kv[k], false)
		b.WriteByte('\n')
	}
	return b.String()
}

// escapeProp writes s as Java's Properties.store does, so that Properties.load (and
// ParseProperties) reads it back: separators, comment marks, backslashes and line breaks
// are escaped, and so are the spaces of a key and a value's leading space.
func escapeProp(b *strings.Builder, s string, key bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '=', ':', '#', '!':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\f':
			b.WriteString(`\f`)
		case ' ':
			if key || i == 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
}
