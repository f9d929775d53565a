package broker

import (
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// clientConn is the part of a remoting connection the client managers use;
// *remoting.Conn implements it.
type clientConn interface {
	ID() uint64
	RemoteAddr() string
	InvokeOneway(*remoting.Command) error
	Close() error
}

var _ clientConn = (*remoting.Conn)(nil)

// ClientChannel is one client connection registered by heartbeats (ClientChannelInfo.java).
type ClientChannel struct {
	conn       clientConn
	ClientID   string
	Language   string
	Version    int32
	LastUpdate time.Time
}

// NewClientChannel describes the client behind c, from a heartbeat's clientID and the
// request's language and version.
func NewClientChannel(c *remoting.Conn, clientID string, lang remoting.LanguageCode, version int16) ClientChannel {
	return ClientChannel{conn: c, ClientID: clientID, Language: lang.String(), Version: int32(version)}
}

// Conn returns the connection, for requests the broker sends to this client.
func (c ClientChannel) Conn() *remoting.Conn {
	rc, _ := c.conn.(*remoting.Conn)
	return rc
}

func (c ClientChannel) connection() protocol.Connection {
	return protocol.Connection{ClientAddr: c.conn.RemoteAddr(), ClientID: c.ClientID, Language: c.Language, Version: c.Version}
}

// ProducerManager tracks producer groups and their connections (ProducerManager.java), fed
// by heartbeats. Connections are dropped when they close, unregister or stay silent for
// channelExpiredTimeout.
type ProducerManager struct {
	log *slog.Logger

	mu     sync.RWMutex
	groups map[string]map[uint64]*ClientChannel
}

// NewProducerManager returns an empty ProducerManager.
func NewProducerManager(log *slog.Logger) *ProducerManager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ProducerManager{log: log, groups: make(map[string]map[uint64]*ClientChannel)}
}

// Register records (or refreshes) ch as a producer of group.
func (m *ProducerManager) Register(group string, ch ClientChannel, now time.Time) {
	ch.LastUpdate = now
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.groups[group]
	if g == nil {
		g = make(map[uint64]*ClientChannel)
		m.groups[group] = g
	}
	if _, ok := g[ch.conn.ID()]; !ok {
		m.log.Info("producer registered", "group", group, "client", ch.ClientID, "remote", ch.conn.RemoteAddr())
	}
	g[ch.conn.ID()] = &ch
}

// Unregister removes the producer on connection connID from group.
func (m *ProducerManager) Unregister(group string, connID uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if g := m.groups[group]; g != nil {
		delete(g, connID)
		if len(g) == 0 {
			delete(m.groups, group)
		}
	}
}

// ConnClosed removes the connection from every group.
func (m *ProducerManager) ConnClosed(connID uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, g := range m.groups {
		if ch, ok := g[connID]; ok {
			delete(g, connID)
			m.log.Info("producer unregistered on close", "group", name, "client", ch.ClientID)
			if len(g) == 0 {
				delete(m.groups, name)
			}
		}
	}
}

// scanExpired removes channels silent since before deadline and returns them.
func (m *ProducerManager) scanExpired(deadline time.Time) []*ClientChannel {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*ClientChannel
	for name, g := range m.groups {
		for id, ch := range g {
			if ch.LastUpdate.Before(deadline) {
				delete(g, id)
				out = append(out, ch)
				m.log.Warn("producer channel expired", "group", name, "client", ch.ClientID, "remote", ch.conn.RemoteAddr())
			}
		}
		if len(g) == 0 {
			delete(m.groups, name)
		}
	}
	return out
}

// Connection returns the body of GET_PRODUCER_CONNECTION_LIST for group, false if the group
// has no connection.
func (m *ProducerManager) Connection(group string) (protocol.ProducerConnection, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g := m.groups[group]
	if len(g) == 0 {
		return protocol.ProducerConnection{}, false
	}
	pc := protocol.ProducerConnection{ConnectionSet: make([]protocol.Connection, 0, len(g))}
	for _, ch := range g {
		pc.ConnectionSet = append(pc.ConnectionSet, ch.connection())
	}
	sortConnections(pc.ConnectionSet)
	return pc, true
}

// Channels returns the producers of group (for CHECK_TRANSACTION_STATE and replies).
func (m *ProducerManager) Channels(group string) []ClientChannel {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]ClientChannel, 0, len(m.groups[group]))
	for _, ch := range m.groups[group] {
		out = append(out, *ch)
	}
	return out
}

// ChannelByClientID returns a producer connection of the client clientID, in any group
// (ProducerManager#findChannel: where reply messages go).
func (m *ProducerManager) ChannelByClientID(clientID string) (ClientChannel, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var best *ClientChannel
	for _, g := range m.groups {
		for _, ch := range g {
			if ch.ClientID == clientID && (best == nil || ch.LastUpdate.After(best.LastUpdate)) {
				best = ch
			}
		}
	}
	if best == nil {
		return ClientChannel{}, false
	}
	return *best, true
}

// Groups returns the producer group names.
func (m *ProducerManager) Groups() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.groups))
	for g := range m.groups {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

func sortConnections(cs []protocol.Connection) {
	slices.SortFunc(cs, func(a, b protocol.Connection) int {
		if a.ClientID != b.ClientID {
			if a.ClientID < b.ClientID {
				return -1
			}
			return 1
		}
		if a.ClientAddr < b.ClientAddr {
			return -1
		}
		if a.ClientAddr > b.ClientAddr {
			return 1
		}
		return 0
	})
}
