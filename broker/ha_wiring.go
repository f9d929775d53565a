package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mq-project/mq/broker/ha"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

// slaveSyncInterval is how often a slave copies topics, groups and offsets from its master
// (SlaveSynchronize).
const slaveSyncInterval = 10 * time.Second

// slaveRefusedRemark is the remark of a send to a slave (SendMessageProcessor's answer to
// PutMessageStatus.SERVICE_NOT_AVAILABLE).
const slaveRefusedRemark = "service not available now. It may be caused by one of the following reasons: " +
	"the broker's disk is full, messages are put to the slave, message store has been shut down, etc."

// errNoOffsets is GET_ALL_CONSUMER_OFFSET's answer when the master has none.
var errNoOffsets = errors.New("broker: no consumer offset on the master")

// errSlaveRole is a put refused because this broker is a slave.
var errSlaveRole = errors.New("broker: " + slaveRefusedRemark)

// haState is the replication side of the broker: the master's HA server or the slave's HA
// client and metadata sync.
type haState struct {
	server atomic.Pointer[ha.Server] // masters, once Serve listened
	client *ha.Client                // slaves
	port   int                       // the HA listener's real port (0: none)
	// syncInterval overrides slaveSyncInterval (tests); set before Serve.
	syncInterval time.Duration
	admission    haAdmission // masters: which peers may replicate (ha_admit.go)

	memOnce sync.Once
	mem     int64 // total RAM, for suggestWhichBrokerId

	mu         sync.Mutex
	masterAddr string // the master's broker address (REGISTER_BROKER response), slaves only
	syncWake   chan struct{}
	lastSync   time.Time
	syncErr    error

	acting    actingOffsets // offsets committed on this slave, for the master
	syncFails ha.LogLimiter // "slave sync from master failed": once, then at a falling rate

	// A slave's dispatcher wakes the metadata sync for a topic it has no config for
	// (learnTopic); learning is set once syncWake exists. knownTopic and topicWakes belong
	// to the dispatcher goroutine.
	learning   atomic.Bool
	knownTopic string
	topicWakes map[string]struct{}
}

func (b *Broker) isSlave() bool { return b.cfg.BrokerRole == Slave }

// listenHA opens the master's HA port: haListenPort, or the main port + 1 when it is 0
// (falling back to a free port when that one is taken; the real port is announced as
// haServerAddr, so slaves that learn it from the nameserver still find it).
func (b *Broker) listenHA(main net.Listener) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shutting {
		return ErrShutdown
	}
	if b.isSlave() || b.svc.ha.server.Load() != nil {
		return nil
	}
	port := b.cfg.HaListenPort
	host := "" // the main listener's host: the HA port listens no wider than the broker
	if ta, ok := main.Addr().(*net.TCPAddr); ok {
		if port == 0 {
			port = ta.Port + 1
		}
		if !ta.IP.IsUnspecified() {
			host = ta.IP.String()
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil && b.cfg.HaListenPort == 0 {
		b.log.Warn("HA port taken, using a free one", "port", port, "err", err)
		ln, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
	}
	if err != nil {
		return fmt.Errorf("broker: listen HA port %d: %w", port, err)
	}
	b.svc.ha.port = ln.Addr().(*net.TCPAddr).Port
	srv := ha.NewServer(ha.ServerConfig{
		Store:                b.ms,
		Logger:               b.log,
		BatchSize:            b.cfg.HaTransferBatchSize,
		HeartbeatInterval:    time.Duration(b.cfg.HaSendHeartbeatInterval) * time.Millisecond,
		HousekeepingInterval: time.Duration(b.cfg.HaHousekeepingInterval) * time.Millisecond,
		MaxGap:               int64(b.cfg.HaMaxGapNotInSync),
		PollInterval:         10 * time.Millisecond,
		Admit:                b.admitSlave,
	})
	b.svc.ha.server.Store(srv)
	return srv.Start(ln)
}

// haPort is the HA port to announce: the HA listener's, else haListenPort or port+1.
func (b *Broker) haPort(port int) int {
	if b.svc.ha.port > 0 {
		return b.svc.ha.port
	}
	if b.cfg.HaListenPort != 0 {
		return b.cfg.HaListenPort
	}
	return port + 1
}

// startHA starts a slave's replication client and metadata sync (services.start calls it).
func (b *Broker) startHA() {
	if !b.isSlave() {
		return
	}
	hb := time.Duration(b.cfg.HaSendHeartbeatInterval) * time.Millisecond
	b.svc.ha.client = ha.NewClient(ha.ClientConfig{
		Store:          b.ms,
		Logger:         b.log,
		ReportInterval: hb,
		ReadTimeout:    time.Duration(b.cfg.HaHousekeepingInterval) * time.Millisecond,
		DialTimeout:    time.Duration(b.cfg.ConnectTimeoutMillis) * time.Millisecond,
		MaxFrame:       max(b.cfg.HaTransferBatchSize, 0) + b.cfg.MaxMessageSize + recordOverhead + (64 << 10),
	})
	if b.cfg.HaMasterAddress != "" {
		b.svc.ha.client.SetMasterAddr(b.cfg.HaMasterAddress)
	}
	b.svc.ha.client.Start()
	b.svc.ha.syncWake = make(chan struct{}, 1)
	b.svc.ha.learning.Store(true)
	b.wg.Go(b.slaveSyncLoop)
}

// closeHA stops replication (services.halt calls it, before the server drains).
func (b *Broker) closeHA() {
	if s := b.svc.ha.server.Load(); s != nil {
		s.Close()
	}
	if b.svc.ha.client != nil {
		b.svc.ha.client.Close()
	}
}

// learnTopic runs on a slave's dispatcher goroutine for every record it dispatches. A record
// of a topic the slave has no config for (created on the master since the last metadata
// sync) wakes the sync at once, so that the slave holds the topic's config, and can serve it
// should its master go away, within a round trip of the topic's first message instead of up
// to slaveSyncInterval later (Apache's slave waits for its periodic sync). Each topic wakes
// it once (up to maxTopicWakes topics): internal topics with no config (the timer's) and
// topics deleted on the master are left to the periodic sync.
func (b *Broker) learnTopic(topic string) {
	h := &b.svc.ha
	if topic == h.knownTopic {
		return
	}
	if _, ok := b.topics.Get(topic); ok {
		h.knownTopic = topic
		return
	}
	if _, done := h.topicWakes[topic]; done || len(h.topicWakes) >= maxTopicWakes {
		return
	}
	if h.topicWakes == nil {
		h.topicWakes = make(map[string]struct{})
	}
	h.topicWakes[topic] = struct{}{}
	select {
	case h.syncWake <- struct{}{}:
	default:
	}
}

// maxTopicWakes bounds the topics a slave's dispatcher wakes the metadata sync for.
const maxTopicWakes = 1024

// awaitingMaster reports a slave that has not learned its master's addresses yet (no
// haMasterAddress configured and no registration answer naming them): the registrar then
// registers again soon (registrar.awaiting).
func (b *Broker) awaitingMaster() bool {
	if !b.isSlave() || b.svc.ha.client == nil {
		return false
	}
	b.svc.ha.mu.Lock()
	known := b.svc.ha.masterAddr != ""
	b.svc.ha.mu.Unlock()
	return !known || b.svc.ha.client.MasterAddr() == ""
}

// learnMaster takes the master's addresses from a REGISTER_BROKER response (slaves).
func (b *Broker) learnMaster(h protocol.RegisterBrokerResponseHeader) {
	if !b.isSlave() || b.svc.ha.client == nil {
		return
	}
	if h.HAServerAddr != "" && b.cfg.HaMasterAddress == "" {
		b.svc.ha.client.SetMasterAddr(h.HAServerAddr)
	}
	if h.MasterAddr == "" {
		return
	}
	b.svc.ha.mu.Lock()
	changed := b.svc.ha.masterAddr != h.MasterAddr
	b.svc.ha.masterAddr = h.MasterAddr
	b.svc.ha.mu.Unlock()
	if changed {
		select {
		case b.svc.ha.syncWake <- struct{}{}:
		default:
		}
	}
}

// waitSlave makes a SYNC_MASTER send wait until a slave has its record (CommitLog#handleHA):
// SLAVE_NOT_AVAILABLE without a slave, FLUSH_SLAVE_TIMEOUT after syncFlushTimeout. Messages
// with WAIT=false (wait is the send's WAIT property) and other roles do not wait.
func (b *Broker) waitSlave(ctx context.Context, wait string, res store.AppendResult, rcode protocol.ResponseCode) protocol.ResponseCode {
	if b.cfg.BrokerRole != SyncMaster || wait == "false" {
		return rcode
	}
	srv := b.svc.ha.server.Load()
	if srv == nil {
		return protocol.SlaveNotAvailable
	}
	timeout := time.Duration(b.conf().SyncFlushTimeout) * time.Millisecond
	switch err := srv.WaitAck(ctx, res.PhysicalOffset+res.WroteBytes, timeout); {
	case err == nil:
		return rcode
	case errors.Is(err, ha.ErrNoSlave):
		return protocol.SlaveNotAvailable
	default:
		return protocol.FlushSlaveTimeout
	}
}

// totalMemory is the machine's RAM in bytes (0 if unknown), read once.
func (b *Broker) totalMemory() int64 {
	b.svc.ha.memOnce.Do(func() {
		var si unix.Sysinfo_t
		if err := unix.Sysinfo(&si); err == nil {
			b.svc.ha.mem = int64(si.Totalram) * int64(si.Unit)
		}
	})
	return b.svc.ha.mem
}

// suggestBroker fills suggestWhichBrokerId of a PULL answer (PullMessageProcessor): with
// slaveReadEnable, a consumer whose last message is more than accessMessageInMemoryMaxRatio
// percent of RAM behind the CommitLog end is sent to whichBrokerWhenConsumeSlowly (1), else
// to the group's brokerId (0); without it, always to the master.
func (b *Broker) suggestBroker(sg protocol.SubscriptionGroupConfig, r *store.GetResult) int64 {
	if !b.conf().SlaveReadEnable {
		return protocol.MasterID
	}
	if n := len(r.Messages); n > 0 {
		limit := b.totalMemory() * int64(b.conf().AccessMessageInMemoryMaxRatio) / 100
		if b.ms.CommitLogMaxOffset()-r.Messages[n-1].PhysicalOffset() > limit {
			return sg.WhichBrokerWhenConsumeSlowly
		}
	}
	return sg.BrokerID
}

// pullRejected answers a pull on a slave without slaveReadEnable whose master is connected
// as Apache 5's PullMessageProcessor#rejectRequest does (the remoting layer's SYSTEM_BUSY).
// Once the master connection is lost the slave serves (acting.go).
func (b *Broker) pullRejected(req *remoting.Command) *remoting.Command {
	if !b.isSlave() || b.conf().SlaveReadEnable || b.masterLost() {
		return nil
	}
	return errorResponse(req, protocol.SystemBusy, "[REJECTREQUEST]system busy, start flow control for a while")
}

// haRuntimeInfo adds the replication keys to GET_BROKER_RUNTIME_INFO.
func (b *Broker) haRuntimeInfo(t map[string]string) {
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	end := b.ms.CommitLogMaxOffset()
	t["brokerRole"] = b.cfg.BrokerRole.String() // mq's key: ASYNC_MASTER, SYNC_MASTER or SLAVE
	if s := b.svc.ha.server.Load(); s != nil {
		slaves := s.Slaves()
		t["haConnectionCount"] = strconv.Itoa(len(slaves))
		behind := int64(0)
		if len(slaves) > 0 {
			behind = max(end-slaves[0].Acked, 0)
		}
		t["slaveFallBehindMuch"] = i64(behind)
		for i, sl := range slaves {
			t["haSlaveAckOffset_"+strconv.Itoa(i)] = sl.Addr + "," + i64(sl.Acked)
		}
	}
	if c := b.svc.ha.client; c != nil {
		t["haMasterAddress"] = c.MasterAddr()
		t["haConnected"] = strconv.FormatBool(c.Connected())
		t["slaveFallBehindMuch"] = i64(max(c.MasterOffset()-end, 0))
		if lr := c.LastReceive(); !lr.IsZero() {
			t["haLastReceiveTimestamp"] = i64(lr.UnixMilli())
		}
	}
}

// slaveSyncLoop copies the master's metadata every slaveSyncInterval, and at once when the
// master's address becomes known.
func (b *Broker) slaveSyncLoop() {
	every := slaveSyncInterval
	if b.svc.ha.syncInterval > 0 {
		every = b.svc.ha.syncInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
		case <-b.svc.ha.syncWake:
		}
		switch err := b.syncFromMaster(b.ctx); {
		case err != nil && b.ctx.Err() == nil:
			if ok, n := b.svc.ha.syncFails.Allow(time.Now()); ok {
				b.log.Warn("slave sync from master failed", "err", err, "suppressed", n)
			}
		case err == nil && b.svc.ha.syncFails.Reset():
			b.log.Info("slave sync from master works again")
		}
	}
}

// syncFromMaster copies topics.json, subscriptionGroup.json, consumerOffset.json and
// delayOffset.json from the master (SlaveSynchronize#syncAll) and persists them.
func (b *Broker) syncFromMaster(ctx context.Context) error {
	b.svc.ha.mu.Lock()
	addr := b.svc.ha.masterAddr
	b.svc.ha.mu.Unlock()
	if addr == "" {
		return nil
	}
	get := func(code protocol.RequestCode, v any) error {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		resp, err := b.client.InvokeSync(cctx, addr, remoting.NewRequest(int16(code), nil, nil))
		if err != nil {
			return err
		}
		if code == protocol.GetAllConsumerOffset && resp.Code == int16(protocol.SystemError) && resp.Remark == "No consumer offset in this broker" {
			return errNoOffsets // the master's answer for an empty table
		}
		if err := resp.Err(); err != nil {
			return err
		}
		return protocol.DecodeBody(resp.Body, v)
	}
	var errs []error
	var topics protocol.TopicConfigSerializeWrapper
	if err := get(protocol.GetAllTopicConfig, &topics); err != nil {
		errs = append(errs, fmt.Errorf("topics: %w", err))
	} else if err := b.topics.replaceFromMaster(topics); err != nil {
		errs = append(errs, err)
	}
	var offsets protocol.ConsumerOffsetSerializeWrapper
	oerr := get(protocol.GetAllConsumerOffset, &offsets)
	empty := errors.Is(oerr, errNoOffsets) // nothing committed on the master yet
	if oerr != nil && !empty {
		errs = append(errs, fmt.Errorf("consumer offsets: %w", oerr))
	} else {
		if err := b.pushActingOffsets(ctx, addr, &offsets); err != nil {
			errs = append(errs, err)
		}
		if len(offsets.OffsetTable) > 0 || !empty {
			if err := b.offsets.replaceFromMaster(offsets); err != nil {
				errs = append(errs, err)
			}
		}
	}
	var delay protocol.DelayOffsetSerializeWrapper
	if err := get(protocol.GetAllDelayOffset, &delay); err != nil {
		errs = append(errs, fmt.Errorf("delay offsets: %w", err))
	} else if body, err := protocol.EncodeBody(delay); err != nil {
		errs = append(errs, err)
	} else if err := writeFileAtomic(filepath.Join(b.cfg.ConfigDir(), "delayOffset.json"), body); err != nil {
		errs = append(errs, err)
	}
	var groups protocol.SubscriptionGroupWrapper
	if err := get(protocol.GetAllSubscriptionGroupConfig, &groups); err != nil {
		errs = append(errs, fmt.Errorf("subscription groups: %w", err))
	} else if err := b.subs.replaceFromMaster(groups); err != nil {
		errs = append(errs, err)
	}
	err := errors.Join(errs...)
	b.svc.ha.mu.Lock()
	b.svc.ha.lastSync, b.svc.ha.syncErr = time.Now(), err
	b.svc.ha.mu.Unlock()
	return err
}
