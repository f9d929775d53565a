package namesrv

import (
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/mq-project/mq/protocol"
)

// brokerAddrKey identifies a live broker process: (cluster, address), as Java's BrokerAddrInfo.
type brokerAddrKey struct {
	cluster string
	addr    string
}

// brokerLive is the liveness record of one broker process (Java's BrokerLiveInfo).
type brokerLive struct {
	lastUpdate   time.Time
	timeout      time.Duration
	dataVersion  protocol.DataVersion
	haServerAddr string
	connID       uint64 // remoting connection the broker registered on
}

// registration is what a REGISTER_BROKER request carries.
type registration struct {
	cluster, addr, name string
	id                  int64
	haServerAddr        string
	zoneName            string
	timeout             time.Duration
	enableActingMaster  *bool
	topics              protocol.TopicConfigSerializeWrapper
	filterServers       []string
	connID              uint64
}

// registerResult is the answer to a registration; ok=false is Java's "register broker failed".
type registerResult struct {
	ok           bool
	masterAddr   string
	haServerAddr string
}

// unregistration names one broker process to drop.
type unregistration struct {
	cluster, addr, name string
	id                  int64
}

// routeTable is the NameServer's state (Java's RouteInfoManager). One RWMutex guards every
// table; methods ending in Locked expect the caller to hold it.
type routeTable struct {
	mu sync.RWMutex

	topicQueue   map[string]map[string]protocol.QueueData // topic -> brokerName -> queues
	brokerAddr   map[string]*protocol.BrokerData          // brokerName -> addresses by id
	clusterAddr  map[string]map[string]struct{}           // cluster -> brokerNames
	brokerLive   map[brokerAddrKey]*brokerLive
	filterServer map[brokerAddrKey][]string

	deleteTopicWithBrokerRegistration bool
	supportActingMaster               bool
}

func newRouteTable(cfg Config) *routeTable {
	return &routeTable{
		topicQueue:                        make(map[string]map[string]protocol.QueueData),
		brokerAddr:                        make(map[string]*protocol.BrokerData),
		clusterAddr:                       make(map[string]map[string]struct{}),
		brokerLive:                        make(map[brokerAddrKey]*brokerLive),
		filterServer:                      make(map[brokerAddrKey][]string),
		deleteTopicWithBrokerRegistration: cfg.DeleteTopicWithBrokerRegistration,
		supportActingMaster:               cfg.SupportActingMaster,
	}
}

// register follows RouteInfoManager#registerBroker.
func (rt *routeTable) register(r registration, now time.Time) registerResult {
	rt.mu.Lock()
	defer rt.mu.Unlock()

	names := rt.clusterAddr[r.cluster]
	if names == nil {
		names = make(map[string]struct{})
		rt.clusterAddr[r.cluster] = names
	}
	names[r.name] = struct{}{}

	registerFirst := false
	bd := rt.brokerAddr[r.name]
	if bd == nil {
		registerFirst = true
		bd = &protocol.BrokerData{Cluster: r.cluster, BrokerName: r.name, BrokerAddrs: protocol.BrokerAddrs{}}
		rt.brokerAddr[r.name] = bd
	}
	oldBroker := r.enableActingMaster == nil
	bd.EnableActingMaster = !oldBroker && *r.enableActingMaster
	bd.ZoneName = r.zoneName

	// The same address under another id is a slave->master (or reverse) switch: drop the old id.
	for id, addr := range bd.BrokerAddrs {
		if addr == r.addr && id != r.id {
			delete(bd.BrokerAddrs, id)
		}
	}
	key := brokerAddrKey{r.cluster, r.addr}
	if old, ok := bd.BrokerAddrs[r.id]; ok && old != r.addr {
		if prev := rt.brokerLive[brokerAddrKey{r.cluster, old}]; prev != nil &&
			prev.dataVersion.StateVersion > r.topics.DataVersion.StateVersion {
			// An older incarnation of this id still registered with a newer state: ignore us.
			delete(rt.brokerLive, key)
			return registerResult{ok: true}
		}
	}
	if _, ok := bd.BrokerAddrs[r.id]; !ok && len(r.topics.TopicConfigTable) == 1 {
		// Java refuses a single-topic registration before the broker's first full one.
		return registerResult{}
	}
	oldAddr := bd.BrokerAddrs[r.id]
	bd.BrokerAddrs[r.id] = r.addr
	registerFirst = registerFirst || oldAddr == ""

	isMaster := r.id == protocol.MasterID
	isPrimeSlave := !oldBroker && !isMaster && r.id == minID(bd.BrokerAddrs)
	if isMaster || isPrimeSlave {
		tables := r.topics.TopicConfigTable
		if rt.deleteTopicWithBrokerRegistration && len(r.topics.TopicQueueMappingInfoMap) == 0 {
			for topic, qds := range rt.topicQueue {
				if _, keep := tables[topic]; keep {
					continue
				}
				if _, had := qds[r.name]; had {
					delete(qds, r.name)
					if len(qds) == 0 {
						delete(rt.topicQueue, topic)
					}
				}
			}
		}
		changed := rt.brokerChangedLocked(key, r.topics.DataVersion)
		for _, tc := range tables {
			if !registerFirst && !changed {
				if qds := rt.topicQueue[tc.TopicName]; len(qds) > 0 {
					if _, has := qds[r.name]; has {
						continue
					}
				}
			}
			perm := tc.Perm
			if isPrimeSlave && bd.EnableActingMaster {
				perm &^= protocol.PermWrite
			}
			rt.putQueueDataLocked(tc.TopicName, protocol.QueueData{BrokerName: r.name, Perm: perm,
				ReadQueueNums: tc.ReadQueueNums, WriteQueueNums: tc.WriteQueueNums, TopicSysFlag: tc.TopicSysFlag})
		}
	}

	timeout := r.timeout
	rt.brokerLive[key] = &brokerLive{lastUpdate: now, timeout: timeout, dataVersion: r.topics.DataVersion,
		haServerAddr: r.haServerAddr, connID: r.connID}
	if r.filterServers != nil {
		if len(r.filterServers) == 0 {
			delete(rt.filterServer, key)
		} else {
			rt.filterServer[key] = slices.Clone(r.filterServers)
		}
	}
	res := registerResult{ok: true}
	if !isMaster {
		if master, ok := bd.BrokerAddrs[protocol.MasterID]; ok {
			if ml := rt.brokerLive[brokerAddrKey{r.cluster, master}]; ml != nil {
				res.masterAddr, res.haServerAddr = master, ml.haServerAddr
			}
		}
	}
	return res
}

func (rt *routeTable) putQueueDataLocked(topic string, qd protocol.QueueData) {
	qds := rt.topicQueue[topic]
	if qds == nil {
		qds = make(map[string]protocol.QueueData)
		rt.topicQueue[topic] = qds
	}
	qds[qd.BrokerName] = qd
}

// brokerChangedLocked reports whether dv differs from the version the broker registered last.
func (rt *routeTable) brokerChangedLocked(key brokerAddrKey, dv protocol.DataVersion) bool {
	prev := rt.brokerLive[key]
	return prev == nil || prev.dataVersion != dv
}

// queryDataVersion answers QUERY_DATA_VERSION: whether dv differs from what the NameServer
// holds, and the held version (nil if the broker is unknown). It also refreshes liveness.
func (rt *routeTable) queryDataVersion(cluster, addr string, dv protocol.DataVersion, now time.Time) (bool, *protocol.DataVersion) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	key := brokerAddrKey{cluster, addr}
	changed := rt.brokerChangedLocked(key, dv)
	live := rt.brokerLive[key]
	if live == nil {
		return changed, nil
	}
	live.lastUpdate = now
	held := live.dataVersion
	return changed, &held
}

// unregister follows RouteInfoManager#unRegisterBroker for a batch of brokers.
func (rt *routeTable) unregister(reqs ...unregistration) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.unregisterLocked(reqs...)
}

func (rt *routeTable) unregisterLocked(reqs ...unregistration) {
	removed := map[string]struct{}{}
	reduced := map[string]struct{}{}
	for _, u := range reqs {
		key := brokerAddrKey{u.cluster, u.addr}
		delete(rt.brokerLive, key)
		delete(rt.filterServer, key)
		removeName := false
		if bd := rt.brokerAddr[u.name]; bd != nil {
			for id, addr := range bd.BrokerAddrs {
				if addr == u.addr {
					delete(bd.BrokerAddrs, id)
				}
			}
			if len(bd.BrokerAddrs) == 0 {
				delete(rt.brokerAddr, u.name)
				removeName = true
			}
		}
		if removeName {
			if names := rt.clusterAddr[u.cluster]; names != nil {
				delete(names, u.name)
				if len(names) == 0 {
					delete(rt.clusterAddr, u.cluster)
				}
			}
			removed[u.name] = struct{}{}
		} else {
			reduced[u.name] = struct{}{}
		}
	}
	for topic, qds := range rt.topicQueue {
		for name := range removed {
			delete(qds, name)
		}
		if len(qds) == 0 {
			delete(rt.topicQueue, topic)
			continue
		}
		for name := range reduced {
			qd, ok := qds[name]
			bd := rt.brokerAddr[name]
			if ok && bd != nil && bd.EnableActingMaster && (len(bd.BrokerAddrs) == 0 || minID(bd.BrokerAddrs) > 0) {
				qd.Perm &^= protocol.PermWrite
				qds[name] = qd
			}
		}
	}
}

// unregistrationOfLocked finds the broker name and id registered under key (Java's
// setupUnRegisterRequest).
func (rt *routeTable) unregistrationOfLocked(key brokerAddrKey) (unregistration, bool) {
	for _, bd := range rt.brokerAddr {
		if bd.Cluster != key.cluster {
			continue
		}
		for id, addr := range bd.BrokerAddrs {
			if addr == key.addr {
				return unregistration{cluster: key.cluster, addr: key.addr, name: bd.BrokerName, id: id}, true
			}
		}
	}
	return unregistration{}, false
}

// dropKeysLocked unregisters the given live brokers, or just forgets their liveness record when
// they no longer appear in brokerAddr.
func (rt *routeTable) dropKeysLocked(keys []brokerAddrKey) []unregistration {
	var reqs []unregistration
	for _, k := range keys {
		if u, ok := rt.unregistrationOfLocked(k); ok {
			reqs = append(reqs, u)
		} else {
			delete(rt.brokerLive, k)
			delete(rt.filterServer, k)
		}
	}
	rt.unregisterLocked(reqs...)
	return reqs
}

// connClosed drops every broker that registered on connection connID (Java's onChannelDestroy).
func (rt *routeTable) connClosed(connID uint64) []unregistration {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var keys []brokerAddrKey
	for k, l := range rt.brokerLive {
		if l.connID == connID {
			keys = append(keys, k)
		}
	}
	return rt.dropKeysLocked(keys)
}

// expire drops brokers whose lastUpdate+timeout is before now (Java's scanNotActiveBroker). It
// returns what it removed and the connections those brokers used.
func (rt *routeTable) expire(now time.Time) ([]unregistration, []uint64) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var keys []brokerAddrKey
	var conns []uint64
	for k, l := range rt.brokerLive {
		if l.lastUpdate.Add(l.timeout).Before(now) {
			keys = append(keys, k)
			conns = append(conns, l.connID)
		}
	}
	return rt.dropKeysLocked(keys), conns
}

// route follows RouteInfoManager#pickupTopicRouteData; ok=false means TOPIC_NOT_EXIST. Queue
// and broker data are sorted by broker name.
func (rt *routeTable) route(topic string) (protocol.TopicRouteData, bool) {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	qds := rt.topicQueue[topic]
	if qds == nil {
		return protocol.TopicRouteData{}, false
	}
	r := protocol.TopicRouteData{
		QueueDatas:        make([]protocol.QueueData, 0, len(qds)),
		BrokerDatas:       make([]protocol.BrokerData, 0, len(qds)),
		FilterServerTable: map[string][]string{},
	}
	for _, name := range slices.Sorted(maps.Keys(qds)) {
		r.QueueDatas = append(r.QueueDatas, qds[name])
		bd := rt.brokerAddr[name]
		if bd == nil {
			continue
		}
		c := bd.Clone()
		r.BrokerDatas = append(r.BrokerDatas, c)
		if len(rt.filterServer) == 0 {
			continue
		}
		for _, addr := range c.BrokerAddrs {
			if fs, ok := rt.filterServer[brokerAddrKey{c.Cluster, addr}]; ok {
				r.FilterServerTable[addr] = slices.Clone(fs)
			}
		}
	}
	if len(r.BrokerDatas) == 0 {
		return protocol.TopicRouteData{}, false
	}
	if rt.supportActingMaster {
		applyActingMaster(&r)
	}
	return r, true
}

// applyActingMaster names the lowest slave as master in brokers without one whose queues are
// not writable and that enabled acting master (the tail of pickupTopicRouteData).
func applyActingMaster(r *protocol.TopicRouteData) {
	for i := range r.BrokerDatas {
		bd := &r.BrokerDatas[i]
		if len(bd.BrokerAddrs) == 0 || bd.MasterAddr() != "" || !bd.EnableActingMaster {
			continue
		}
		for _, qd := range r.QueueDatas {
			if qd.BrokerName != bd.BrokerName {
				continue
			}
			if qd.Perm&protocol.PermWrite == 0 {
				id := minID(bd.BrokerAddrs)
				bd.BrokerAddrs[protocol.MasterID] = bd.BrokerAddrs[id]
				delete(bd.BrokerAddrs, id)
			}
			break
		}
	}
}

// clusterInfo answers GET_BROKER_CLUSTER_INFO.
func (rt *routeTable) clusterInfo() protocol.ClusterInfo {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	ci := protocol.ClusterInfo{
		BrokerAddrTable:  make(map[string]protocol.BrokerData, len(rt.brokerAddr)),
		ClusterAddrTable: make(map[string][]string, len(rt.clusterAddr)),
	}
	for name, bd := range rt.brokerAddr {
		ci.BrokerAddrTable[name] = bd.Clone()
	}
	for cluster, names := range rt.clusterAddr {
		ci.ClusterAddrTable[cluster] = slices.Sorted(maps.Keys(names))
	}
	return ci
}

func (rt *routeTable) allTopics() []string {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	return slices.Sorted(maps.Keys(rt.topicQueue))
}

// topicsByCluster lists the topics with queues on a broker of cluster.
func (rt *routeTable) topicsByCluster(cluster string) []string {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	out := []string{}
	for topic, qds := range rt.topicQueue {
		for name := range rt.clusterAddr[cluster] {
			if _, ok := qds[name]; ok {
				out = append(out, topic)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// systemTopics answers GET_SYSTEM_TOPIC_LIST_FROM_NS: cluster names and broker names (the
// topics every broker creates for itself), plus one broker address.
func (rt *routeTable) systemTopics() protocol.TopicList {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	set := map[string]struct{}{}
	for cluster, names := range rt.clusterAddr {
		set[cluster] = struct{}{}
		for n := range names {
			set[n] = struct{}{}
		}
	}
	tl := protocol.TopicList{TopicList: slices.Sorted(maps.Keys(set))}
	for _, name := range slices.Sorted(maps.Keys(rt.brokerAddr)) {
		bd := rt.brokerAddr[name]
		if len(bd.BrokerAddrs) > 0 {
			tl.BrokerAddr = bd.BrokerAddrs[minID(bd.BrokerAddrs)]
			break
		}
	}
	return tl
}

// Topic system flags (TopicSysFlag.java).
const (
	flagUnit    = 1 << 0
	flagUnitSub = 1 << 1
)

// topicsWithFlag lists topics whose (first broker's) topicSysFlag satisfies keep.
func (rt *routeTable) topicsWithFlag(keep func(flag int32) bool) []string {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	out := []string{}
	for topic, qds := range rt.topicQueue {
		names := slices.Sorted(maps.Keys(qds))
		if len(names) > 0 && keep(qds[names[0]].TopicSysFlag) {
			out = append(out, topic)
		}
	}
	sort.Strings(out)
	return out
}

// registerTopic adds queue data for topic (REGISTER_TOPIC_IN_NAMESRV); queue data of unknown
// brokers stops the registration, as in Java.
func (rt *routeTable) registerTopic(topic string, qds []protocol.QueueData) {
	if len(qds) == 0 {
		return
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for _, qd := range qds {
		if _, ok := rt.brokerAddr[qd.BrokerName]; !ok {
			return
		}
		rt.putQueueDataLocked(topic, qd)
	}
}

// deleteTopic drops topic everywhere, or (cluster != "") only from that cluster's brokers.
func (rt *routeTable) deleteTopic(topic, cluster string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if cluster == "" {
		delete(rt.topicQueue, topic)
		return
	}
	qds := rt.topicQueue[topic]
	if qds == nil {
		return
	}
	for name := range rt.clusterAddr[cluster] {
		delete(qds, name)
	}
	if len(qds) == 0 {
		delete(rt.topicQueue, topic)
	}
}

// setWritePerm wipes (add=false) or restores (add=true, perm = READ|WRITE) the write
// permission of every topic on brokerName and returns how many topics it touched.
func (rt *routeTable) setWritePerm(brokerName string, add bool) int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	n := 0
	for _, qds := range rt.topicQueue {
		qd, ok := qds[brokerName]
		if !ok {
			continue
		}
		if add {
			qd.Perm = protocol.PermRead | protocol.PermWrite
		} else {
			qd.Perm &^= protocol.PermWrite
		}
		qds[brokerName] = qd
		n++
	}
	return n
}

func minID(addrs protocol.BrokerAddrs) int64 {
	first := true
	var m int64
	for id := range addrs {
		if first || id < m {
			m, first = id, false
		}
	}
	return m
}
