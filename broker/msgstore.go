package broker

import (
	"net"
	"net/netip"
	"strconv"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/store"
)

// storeConfig is the store's Config as the broker opens it: the embedded store.Config with
// what is derived from other keys. The CommitLog and ConsumeQueue sizes honour the old
// mapedFileSize* spellings; MaxMessageSize, a body limit for the broker, gets room for the
// record's header, topic and properties, since the store limits whole records; StoreHost is
// brokerIP1 (or 127.0.0.1) and listenPort: the address written into every record and into
// offset message ids, which clients use to reach this broker again (VIEW_MESSAGE_BY_ID). With
// listenPort 0 the port is unknown until Serve; set listenPort to the real port.
func (c Config) storeConfig() store.Config {
	sc := c.Config
	sc.MappedFileSizeCommitLog = c.CommitLogSize()
	sc.MappedFileSizeConsumeQueue = c.ConsumeQueueSize()
	sc.MaxMessageSize = c.MaxMessageSize + recordOverhead
	sc.StoreHost = c.storeHost()
	return sc
}

// recordOverhead bounds what a record adds to its body: fixed fields (IPv6 hosts), a topic of
// up to 255 bytes (%RETRY% and %DLQ% topics) and a properties string of up to 32767 bytes.
const recordOverhead = 128 + 2 + 255 + 2 + message.MaxPropertiesLen

// storeHost is brokerIP1 (or 127.0.0.1) and listenPort.
func (c Config) storeHost() netip.AddrPort {
	ip := netip.AddrFrom4([4]byte{127, 0, 0, 1})
	if c.BrokerIP1 != "" {
		if a, err := netip.ParseAddr(c.BrokerIP1); err == nil {
			ip = a.Unmap()
		}
	}
	return netip.AddrPortFrom(ip, uint16(c.ListenPort))
}

// addrPortOf parses a host:port string such as a connection's remote address; invalid input
// gives the zero value.
func addrPortOf(s string) netip.AddrPort {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return netip.AddrPort{}
	}
	a, err1 := netip.ParseAddr(host)
	p, err2 := strconv.ParseUint(port, 10, 16)
	if err1 != nil || err2 != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p))
}

// tagsCode is the store's ConsumeQueue tags code: the delivery time for SCHEDULE_TOPIC_XXXX
// entries (store time + the level's delay, level = queue id + 1), else Java's hashCode of TAGS.
func (b *Broker) tagsCode(rec message.Stored) int64 {
	if string(rec.Topic()) == TopicSchedule {
		level := int(rec.QueueID()) + 1
		if level >= 1 && level <= len(b.delays) {
			return rec.StoreTimestamp() + b.delays[level-1].Milliseconds()
		}
		return rec.StoreTimestamp()
	}
	if tags, ok := message.PropertyValue(rec.Properties(), message.PropertyTags); ok && len(tags) > 0 {
		return int64(message.JavaHash(0, tags))
	}
	return 0
}
