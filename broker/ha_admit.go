package broker

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// HA admission. Apache's HA protocol has no hello: a slave (4.x HAClient, 5.x
// DefaultHAClient) connects and sends only 8-byte offsets, so any peer that sends 8 bytes
// used to get the CommitLog. A hello of our own would lock out Apache slaves (and an Apache
// master would misread it as offsets). The master therefore admits a connection only from
// the address of a broker the nameservers list as a slave (brokerId > 0) of this cluster
// and brokerName: the slave registers before it learns the master's HA address from the
// registration answer, so it is listed by the time it connects. A master without
// nameservers admits nobody. This keeps both directions compatible with Apache; it is an
// address check, not authentication (another process on a slave's host passes it).

// slaveAddrRefresh is the least time between two nameserver look-ups of the slave list.
const slaveAddrRefresh = time.Second

// haAdmission caches the addresses of this broker's registered slaves.
type haAdmission struct {
	mu      sync.Mutex
	addrs   map[netip.Addr]bool
	fetched time.Time
}

// admitSlave reports whether remote is the address of a registered slave of this broker,
// asking the nameservers again (at most once per slaveAddrRefresh) when it is not known.
func (b *Broker) admitSlave(remote netip.Addr) bool {
	a := &b.svc.ha.admission
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.addrs[remote] {
		return true
	}
	if time.Since(a.fetched) < slaveAddrRefresh {
		return false
	}
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	addrs, ok := b.slaveAddrs(ctx)
	a.fetched = time.Now()
	if ok {
		a.addrs = addrs
	}
	return a.addrs[remote]
}

// slaveAddrs asks every nameserver for the cluster table and returns the hosts of this
// broker's slaves; ok is false when no nameserver answered.
func (b *Broker) slaveAddrs(ctx context.Context) (map[netip.Addr]bool, bool) {
	cfg := b.conf()
	out := make(map[netip.Addr]bool)
	ok := false
	for _, ns := range cfg.NamesrvAddrs() {
		resp, err := b.client.InvokeSync(ctx, ns, remoting.NewRequest(int16(protocol.GetBrokerClusterInfo), nil, nil))
		if err != nil || resp.Code != int16(protocol.Success) {
			b.log.Warn("HA admission: cluster info", "addr", ns, "err", err)
			continue
		}
		var ci protocol.ClusterInfo
		if err := protocol.DecodeBody(resp.Body, &ci); err != nil {
			continue
		}
		ok = true
		bd, found := ci.BrokerAddrTable[cfg.BrokerName]
		if !found || bd.Cluster != cfg.BrokerClusterName {
			continue
		}
		for id, addr := range bd.BrokerAddrs {
			if id == 0 {
				continue
			}
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				continue
			}
			if ip, err := netip.ParseAddr(host); err == nil {
				out[ip.Unmap()] = true
			}
		}
	}
	return out, ok
}
