package broker

import (
	"net"
	"net/netip"
	"strconv"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/store"
)

// storeConfig maps the broker's MessageStoreConfig keys to the store's Config. StoreHost is
// brokerIP1 (or 127.0.0.1) and listenPort: the address written into every record and into
// offset message ids, which clients use to reach this broker again (VIEW_MESSAGE_BY_ID). With
// listenPort 0 the port is unknown until Serve; set listenPort to the real port.
func (c Config) storeConfig() store.Config {
	sc := store.DefaultConfig()
	sc.StorePathRootDir = c.StorePathRootDir
	sc.StorePathCommitLog = c.StorePathCommitLog
	sc.MappedFileSizeCommitLog = c.CommitLogSize()
	sc.MappedFileSizeConsumeQueue = c.ConsumeQueueSize()
	if c.FlushDiskType == SyncFlush {
		sc.FlushDiskType = store.SyncFlush
	} else {
		sc.FlushDiskType = store.AsyncFlush
	}
	sc.FlushIntervalCommitLog = c.FlushIntervalCommitLog
	sc.FlushCommitLogLeastPages = c.FlushCommitLogLeastPages
	sc.FlushCommitLogThoroughInterval = c.FlushCommitLogThoroughInterval
	sc.FlushIntervalConsumeQueue = c.FlushIntervalConsumeQueue
	sc.SyncFlushTimeout = c.SyncFlushTimeout
	sc.FileReservedTime = c.FileReservedTime
	sc.DeleteWhen = c.DeleteWhen
	sc.DiskMaxUsedSpaceRatio = c.DiskMaxUsedSpaceRatio
	sc.DiskSpaceWarningLevelRatio = c.DiskSpaceWarningLevelRatio
	sc.CleanResourceInterval = c.CleanResourceInterval
	// The store limits the whole record; Apache's maxMessageSize limits the body (checked by
	// the send processor). Leave room for the record's header, topic and properties.
	sc.MaxMessageSize = c.MaxMessageSize + recordOverhead
	sc.MaxHashSlotNum = c.MaxHashSlotNum
	sc.MaxIndexNum = c.MaxIndexNum
	sc.MessageIndexEnable = c.MessageIndexEnable
	sc.MaxTransferBytesOnMessageInMemory = c.MaxTransferBytesOnMessageInMemory
	sc.CheckCRCOnRecover = c.CheckCRCOnRecover
	sc.RecoverMode = c.RecoverMode
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
