package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/broker/acl"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

// clientScanInterval is how often silent clients are looked for (ClientHousekeepingService: 10 s).
const clientScanInterval = 10 * time.Second

// maxPoolQueue caps Apache's thread-pool queue capacities (up to 1,000,000) so an idle broker
// stays small.
const maxPoolQueue = 16384

// Pool names a group of request workers, as Apache's per-kind executors: a slow admin call
// never stalls sends or heartbeats.
type Pool int

// Worker pools.
const (
	PoolSend Pool = iota
	PoolPull
	PoolQuery
	PoolHeartbeat
	PoolClientManage
	PoolConsumerManage
	PoolEndTransaction
	PoolAdmin
	numPools
)

// QueueStore is what QUERY_CONSUMER_OFFSET needs from the message store (the queue's min
// offset). New plugs in the broker's own store; SetQueueStore replaces it (tests).
type QueueStore interface {
	// MinOffset returns the first available offset of a queue (0 for an empty queue).
	MinOffset(topic string, queueID int32) int64
}

// Broker is the RocketMQ broker: the message store, metadata (topics, subscription groups,
// consumer offsets), producer and consumer registries, nameserver registration, the delay
// (schedule) service, long polling and the request processors.
type Broker struct {
	cfg    Config
	log    *slog.Logger
	delays []time.Duration

	topics    *TopicConfigManager
	subs      *SubscriptionGroupManager
	offsets   *ConsumerOffsetManager
	producers *ProducerManager
	consumers *ConsumerManager

	server *remoting.Server
	client *remoting.Client
	reg    *registrar
	pools  [numPools]*remoting.Pool
	store  QueueStore
	ms     *store.Store
	// svc owns replication, the schedule, the timer and transactions (services.go).
	svc   services
	hold  *pullHold
	vip   vipServer
	locks *lockManager
	stats *brokerStats
	items *statsItems // VIEW_BROKER_STATS_DATA
	// acl checks requests when aclEnable=true (nil otherwise); audit records admin
	// requests when auditLogPath is set (acl_wiring.go).
	acl      *acl.Checker
	audit    *acl.Audit
	refusals refusalLog
	boot     time.Time
	pulled   pullOffsets
	pullSubs subCache // subscriptions carried by pulls, compiled (processors_pull.go)
	uniq     *message.UniqIDGenerator
	// storeHost is the STOREHOST of our records and the address in offset message ids.
	storeHost netip.AddrPort

	configVersion protocol.DataVersion   // guarded by mu
	live          atomic.Pointer[Config] // the configuration now; UPDATE_BROKER_CONFIG replaces it
	scanInterval  time.Duration

	ctx    context.Context // cancelled by Shutdown; parent of background loops
	cancel context.CancelFunc
	wg     sync.WaitGroup

	sendWaits chan struct{}  // finishSend's slots, maxSendWaits of them
	sendWG    sync.WaitGroup // sends finishSend answers later (goroutines and flush callbacks)

	mu       sync.Mutex
	addr     string // announced brokerIP1:port, "" until Serve
	haAddr   string
	metrics  metricsState // Prometheus endpoint (metrics.go)
	started  bool
	shutting bool
	done     chan struct{}
	shutErr  error
}

// New builds a broker from cfg: it validates cfg, creates <storePathRootDir>/config, loads
// topics.json, subscriptionGroup.json and consumerOffset.json, creates the system topics and
// registers the processors. Nothing runs until Serve or Start. A nil logger discards logs.
func New(cfg Config, logger *slog.Logger) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	log := logger.With("component", "broker", "broker", cfg.BrokerName)
	delays, _ := cfg.DelayLevels() // validated above
	dir := cfg.ConfigDir()
	topics, err := NewTopicConfigManager(cfg, dir, log)
	if err != nil {
		return nil, err
	}
	subs, err := NewSubscriptionGroupManager(dir, cfg.AutoCreateSubscriptionGroup, log)
	if err != nil {
		return nil, err
	}
	offsets, err := NewConsumerOffsetManager(dir, log)
	if err != nil {
		return nil, err
	}
	// Start writes the tables once, in the background (persistTablesAtStart).
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	b := &Broker{
		cfg:          cfg,
		log:          log,
		delays:       delays,
		topics:       topics,
		subs:         subs,
		offsets:      offsets,
		producers:    NewProducerManager(log),
		consumers:    NewConsumerManager(cfg.NotifyConsumerIdsChangedEnable, log),
		scanInterval: clientScanInterval,
		done:         make(chan struct{}),
		sendWaits:    make(chan struct{}, maxSendWaits),
	}
	b.svc.b = b
	b.live.Store(&cfg)
	b.configVersion = protocol.DataVersion{Timestamp: time.Now().UnixMilli()}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.boot = time.Now()
	b.storeHost = cfg.storeHost()
	b.uniq = message.NewUniqIDGenerator(b.storeHost.Addr(), os.Getpid(), 0, nil)
	b.hold = newPullHold(b)
	b.locks = newLockManager(lockMaxLive)
	b.stats = newBrokerStats(b.boot)
	b.items = newStatsItems()
	sc := cfg.storeConfig()
	sc.Listener = b.svc.dispatch
	sc.Appended = b.svc.appended
	sc.TagsCode = b.tagsCode
	ms, err := store.Open(sc, logger)
	if err != nil {
		return nil, fmt.Errorf("broker: open store: %w", err)
	}
	b.ms, b.store = ms, ms
	if err := b.svc.init(); err != nil {
		ms.Close()
		return nil, err
	}
	if err := b.initSecurity(); err != nil {
		ms.Close()
		return nil, err
	}
	idle := time.Duration(cfg.ServerChannelMaxIdleTimeSeconds) * time.Second
	if idle <= 0 {
		idle = -1
	}
	stls, smode, err := cfg.serverTLS()
	if err != nil {
		ms.Close()
		return nil, err
	}
	ctls, err := cfg.clientTLS()
	if err != nil {
		ms.Close()
		return nil, err
	}
	b.server = remoting.NewServer(remoting.ServerConfig{Logger: logger, IdleTimeout: idle, MaxConnections: cfg.MaxConnections,
		TLS: stls, TLSMode: smode})
	b.server.OnClose(b.connClosed)
	b.client = remoting.NewClient(remoting.ClientConfig{
		Logger:      logger,
		DialTimeout: time.Duration(cfg.ConnectTimeoutMillis) * time.Millisecond,
		Credentials: cfg.credentials(),
		TLS:         ctls,
	})
	timeout := time.Duration(cfg.RegisterBrokerTimeoutMills) * time.Millisecond
	if timeout <= 0 {
		timeout = 6 * time.Second
	}
	b.reg = newRegistrar(log, b.client, cfg.NamesrvAddrs(), topics, b.identity, cfg.RegisterPeriod(), timeout)
	topics.SetOnChange(b.reg.Trigger)
	b.reg.onRegistered = b.learnMaster
	b.reg.awaiting = b.awaitingMaster
	b.makePools()
	b.registerHandlers()
	return b, nil
}

func (b *Broker) makePools() {
	c := b.cfg // pools are sized once, at start
	mk := func(name string, workers, queue int) *remoting.Pool {
		return remoting.NewPool(name, min(max(workers, 1), 256), min(max(queue, 16), maxPoolQueue))
	}
	b.pools[PoolSend] = mk("send", c.SendMessageThreadPoolNums, c.SendThreadPoolQueueCapacity)
	b.pools[PoolPull] = mk("pull", c.PullMessageThreadPoolNums, c.PullThreadPoolQueueCapacity)
	b.pools[PoolQuery] = mk("query", c.QueryMessageThreadPoolNums, c.QueryThreadPoolQueueCapacity)
	b.pools[PoolHeartbeat] = mk("heartbeat", c.HeartbeatThreadPoolNums, c.HeartbeatThreadPoolQueueCapacity)
	b.pools[PoolClientManage] = mk("client-manage", c.ClientManageThreadPoolNums, c.ClientManagerThreadPoolQueueCapacity)
	b.pools[PoolConsumerManage] = mk("consumer-manage", c.ConsumerManageThreadPoolNums, c.ConsumerManagerThreadPoolQueueCapacity)
	b.pools[PoolEndTransaction] = mk("end-transaction", c.EndTransactionThreadPoolNums, c.EndTransactionPoolQueueCapacity)
	b.pools[PoolAdmin] = mk("admin", c.AdminBrokerThreadPoolNums, c.AdminBrokerThreadPoolQueueCapacity)
}

// SetQueueStore plugs in the message store's queue offsets; call it before Serve.
func (b *Broker) SetQueueStore(s QueueStore) { b.store = s }

// Config returns the broker's configuration.
func (b *Broker) Config() Config { return *b.conf() }

// conf is the configuration now. Request handlers read it per request, so the keys they use
// take effect at once when UPDATE_BROKER_CONFIG changes them; services started by New or
// Start (store, ports, pools, intervals) keep the values they started with.
func (b *Broker) conf() *Config { return b.live.Load() }

// DelayLevels returns the parsed messageDelayLevel.
func (b *Broker) DelayLevels() []time.Duration { return b.delays }

// Topics returns the topic table.
func (b *Broker) Topics() *TopicConfigManager { return b.topics }

// SubscriptionGroups returns the subscription group table.
func (b *Broker) SubscriptionGroups() *SubscriptionGroupManager { return b.subs }

// ConsumerOffsets returns the committed consumer offsets.
func (b *Broker) ConsumerOffsets() *ConsumerOffsetManager { return b.offsets }

// Producers returns the producer registry.
func (b *Broker) Producers() *ProducerManager { return b.producers }

// Consumers returns the consumer registry.
func (b *Broker) Consumers() *ConsumerManager { return b.consumers }

// Registered is closed once at least one nameserver in namesrvAddr has accepted the
// broker's registration (at once when there are none): from then on clients find its
// routes. Nameservers that refused are retried, and logged while they are missing.
func (b *Broker) Registered() <-chan struct{} { return b.reg.firstRegistered() }

// Addr returns the announced address brokerIP1:port, or "" before Serve.
func (b *Broker) Addr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addr
}

// identity is the registrar's view of the broker; false until Serve set the address.
func (b *Broker) identity() (brokerIdentity, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.addr == "" {
		return brokerIdentity{}, false
	}
	return brokerIdentity{
		cluster: b.conf().BrokerClusterName, name: b.conf().BrokerName, id: b.conf().BrokerID,
		addr: b.addr, haAddr: b.haAddr, permission: int32(b.conf().BrokerPermission),
		actingMaster: b.conf().EnableSlaveActingMaster,
	}, true
}

// announce computes the announced addresses from the first listener: brokerIP1 or, when
// empty, the listener's IP if it is a specific one, else 127.0.0.1; the port is listenPort,
// or the listener's port when listenPort is 0.
func (b *Broker) announce(ln net.Listener) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.addr != "" {
		return
	}
	ip, port := "127.0.0.1", b.conf().ListenPort
	if ta, ok := ln.Addr().(*net.TCPAddr); ok {
		if port == 0 {
			port = ta.Port
		}
		if !ta.IP.IsUnspecified() && ta.IP != nil {
			ip = ta.IP.String()
		}
	}
	if b.conf().BrokerIP1 != "" {
		ip = b.conf().BrokerIP1
	}
	haIP := ip
	if b.conf().BrokerIP2 != "" {
		haIP = b.conf().BrokerIP2
	}
	haPort := b.haPort(port)
	b.addr = net.JoinHostPort(ip, strconv.Itoa(port))
	b.haAddr = net.JoinHostPort(haIP, strconv.Itoa(haPort))
}

// Serve serves clients on ln until Shutdown (then it returns nil). The first listener
// decides the announced address (see BrokerConfig.BrokerIP1 and ListenPort). Serve starts
// the background services (Start) if they are not running and registers with the
// nameservers at once.
func (b *Broker) Serve(ln net.Listener) error {
	if err := b.listenHA(ln); err != nil {
		ln.Close()
		return err
	}
	b.announce(ln)
	if err := b.Start(context.Background()); err != nil {
		ln.Close()
		return err
	}
	b.reg.Trigger()
	b.serveVIP(ln)
	err := b.server.Serve(ln)
	if errors.Is(err, remoting.ErrServerClosed) {
		return ErrShutdown
	}
	return err
}

// Start starts the background services: nameserver registration (at once when the address
// is known, then every registerNameServerPeriod and whenever topics change), consumer-offset
// persistence every flushConsumerOffsetInterval, and the expiry of silent clients. It returns
// at once; calling it again does nothing. ctx is not retained.
func (b *Broker) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shutting {
		return ErrShutdown
	}
	if b.started {
		return nil
	}
	if err := b.startMetrics(); err != nil {
		return fmt.Errorf("broker: metrics endpoint: %w", err)
	}
	b.started = true
	b.wg.Go(b.persistTablesAtStart)
	b.svc.start() // replication; on a master also the schedule, timer and transaction checks
	b.wg.Go(func() { b.reg.run(b.ctx) })
	flush := time.Duration(b.conf().FlushConsumerOffsetInterval) * time.Millisecond
	b.wg.Go(func() { every(b.ctx, flush, flush, b.persistOffsets) })
	b.wg.Go(func() { every(b.ctx, b.scanInterval, b.scanInterval, b.scanClients) })
	for range holdWorkers {
		b.wg.Go(func() { b.hold.run(b.ctx) })
	}
	b.wg.Go(func() { every(b.ctx, time.Second, time.Second, b.stats.sample) })
	if b.acl != nil {
		b.wg.Go(func() { b.acl.Run(b.ctx, 0) })
	}
	b.wg.Go(func() { every(b.ctx, statsWindows[0].every, statsWindows[0].every, b.items.sample) })
	b.log.Info("broker started", "cluster", b.conf().BrokerClusterName, "id", b.conf().BrokerID,
		"role", b.conf().BrokerRole, "namesrv", b.conf().NamesrvAddr, "store", b.conf().StorePathRootDir)
	if b.ms.DiskFull() {
		b.log.Error("disk full: the broker started read-only; sends are refused (SERVICE_NOT_AVAILABLE) until space is freed",
			"store", b.conf().StorePathRootDir, "diskSpaceWarningLevelRatio", b.conf().DiskSpaceWarningLevelRatio)
	}
	return nil
}

// persistTablesAtStart writes topics.json and subscriptionGroup.json once, so a fresh store
// has its files, as Apache does at start. It runs beside serving: its fsyncs (four, tens of
// ms on a busy disk) are not on the way to ready, and the tables only hold what New derived,
// which the next start derives again if a crash loses the write. On a full disk the broker
// runs read-only (the store refuses appends) with what it loaded; the next change writes the
// tables again.
func (b *Broker) persistTablesAtStart() {
	for _, persist := range []func() error{b.topics.Persist, b.subs.Persist} {
		if err := persist(); store.NoSpace(err) {
			b.log.Error("disk full: metadata not rewritten at start", "err", err)
		} else if err != nil {
			b.log.Error("write metadata at start", "err", err)
		}
	}
}

func (b *Broker) persistOffsets() {
	if err := b.offsets.Persist(); err != nil {
		b.log.Error("persist consumer offsets", "err", err)
	}
}

// scanClients drops producers and consumers that sent no heartbeat for
// channelExpiredTimeout and closes their connections (ClientHousekeepingService).
func (b *Broker) scanClients() {
	deadline := time.Now().Add(-time.Duration(b.conf().ChannelExpiredTimeout) * time.Millisecond)
	expired := append(b.consumers.scanExpired(deadline), b.producers.scanExpired(deadline)...)
	for _, ch := range expired {
		ch.conn.Close()
	}
}

// connClosed drops the registrations of a closed connection; consumer groups that lost a
// member are notified.
func (b *Broker) connClosed(c *remoting.Conn) {
	b.producers.ConnClosed(c.ID())
	b.consumers.ConnClosed(c.ID())
}

// Shutdown stops the broker: background services stop (and are waited for), the broker
// unregisters from every nameserver, the server stops accepting and closes connections
// after in-flight requests, then consumer offsets, topics and subscription groups are
// written. It returns ctx's error if ctx ends first (the shutdown goes on). Safe to call
// more than once; later calls wait for the first.
func (b *Broker) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	first := !b.shutting
	b.shutting = true
	b.mu.Unlock()
	if first {
		go b.shutdown()
	}
	select {
	case <-b.done:
		return b.shutErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// shutdownTimeout bounds the whole shutdown sequence when callers give up waiting.
const shutdownTimeout = 30 * time.Second

func (b *Broker) shutdown() {
	defer close(b.done)
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	b.cancel()
	b.wg.Wait()
	b.svc.halt()
	var errs []error
	uctx, ucancel := context.WithTimeout(ctx, 3*time.Second)
	if err := b.reg.unregisterAll(uctx); err != nil {
		b.log.Warn("unregister", "err", err)
	}
	ucancel()
	if err := b.server.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("broker: stop server: %w", err))
	}
	b.sendWG.Wait() // sends waiting for a flush: their connections are closed, so they end now
	b.vip.wg.Wait()
	b.hold.stop()
	if err := b.offsets.Persist(); err != nil {
		errs = append(errs, err)
	}
	if err := b.topics.Persist(); err != nil {
		errs = append(errs, err)
	}
	if err := b.subs.Persist(); err != nil {
		errs = append(errs, err)
	}
	if err := b.svc.close(); err != nil {
		errs = append(errs, err)
	}
	if err := b.ms.Close(); err != nil {
		errs = append(errs, fmt.Errorf("broker: close store: %w", err))
	}
	b.client.Close()
	if err := b.audit.Close(); err != nil {
		errs = append(errs, err)
	}
	b.shutErr = errors.Join(errs...)
	b.log.Info("broker shut down")
}

// now is the broker's clock.
func (b *Broker) now() time.Time { return time.Now() }

// every calls fn after delay and then every interval until ctx is done.
func every(ctx context.Context, delay, interval time.Duration, fn func()) {
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
			t.Reset(interval)
		}
	}
}

// jsonResponse answers SUCCESS with v as a standard-JSON body.
func jsonResponse(req *remoting.Command, v any) *remoting.Command {
	body, err := protocol.EncodeBody(v)
	if err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	resp := remoting.NewResponse(req, int16(protocol.Success), "")
	resp.Body = body
	return resp
}

func errorResponse(req *remoting.Command, code protocol.ResponseCode, remark string) *remoting.Command {
	return remoting.NewResponse(req, int16(code), remark)
}

func success(req *remoting.Command) *remoting.Command {
	return remoting.NewResponse(req, int16(protocol.Success), "")
}

// mustJSON is json.Marshal for values that cannot fail.
func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
