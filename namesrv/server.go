package namesrv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/broker/acl"
	"github.com/mq-project/mq/internal/promexport"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// ErrClosed is returned by Serve after Shutdown has begun.
var ErrClosed = errors.New("namesrv: server closed")

// Server is a NameServer: a remoting server over the route table and the KV config, plus the
// broker expiry scan.
type Server struct {
	log    *slog.Logger
	rs     *remoting.Server
	routes *routeTable
	kv     *kvStore
	now    func() time.Time

	cfgMu sync.RWMutex
	cfg   Config

	acl   *acl.Checker // aclEnable=true (acl.go)
	audit *acl.Audit   // auditLogPath

	lastRefusal atomic.Int64 // unix nanos of the last refusal warning

	lifeMu   sync.Mutex // guards scanning and shutting, so wg.Go never races wg.Wait
	scanning bool
	shutting bool
	quit     chan struct{}
	wg       sync.WaitGroup
	metrics  *promexport.Server // metricsExporterType=PROM (metrics.go)
}

// New returns a NameServer for cfg; it loads the KV config file. A nil logger discards logs.
func New(cfg Config, logger *slog.Logger) (*Server, error) {
	return newServer(cfg, logger, time.Now)
}

func newServer(cfg Config, logger *slog.Logger, now func() time.Time) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "namesrv")
	kv, err := loadKV(cfg.KVConfigPath)
	if err != nil {
		return nil, err
	}
	idle := time.Duration(cfg.ServerChannelMaxIdleTimeSeconds) * time.Second
	if idle == 0 {
		idle = -1
	}
	stls, smode, err := cfg.serverTLS()
	if err != nil {
		return nil, err
	}
	s := &Server{
		log:    logger,
		routes: newRouteTable(cfg),
		kv:     kv,
		now:    now,
		cfg:    cfg,
		quit:   make(chan struct{}),
		rs: remoting.NewServer(remoting.ServerConfig{
			Logger:         logger,
			IdleTimeout:    idle,
			MaxConnections: cfg.MaxConnections,
			TLS:            stls,
			TLSMode:        smode,
		}),
	}
	if cfg.AclEnable {
		if cfg.AclConfigFile == "" {
			return nil, fmt.Errorf("%w: aclEnable=true needs aclConfigFile", ErrInvalidConfig)
		}
		if s.acl, err = acl.Open(cfg.AclConfigFile, logger); err != nil {
			return nil, fmt.Errorf("namesrv: aclEnable=true: %w", err)
		}
	}
	if cfg.AuditLogPath != "" {
		if s.audit, err = acl.OpenAudit(cfg.AuditLogPath); err != nil {
			return nil, fmt.Errorf("namesrv: %w", err)
		}
	}
	s.registerHandlers()
	s.rs.OnClose(s.connClosed)
	return s, nil
}

// Serve serves remoting connections accepted on ln and runs the broker expiry scan until
// Shutdown. It returns nil after Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.lifeMu.Lock()
	if s.shutting {
		s.lifeMu.Unlock()
		ln.Close()
		return ErrClosed
	}
	if !s.scanning {
		s.scanning = true
		s.wg.Go(s.scanLoop)
		if s.acl != nil {
			s.wg.Go(s.aclLoop)
		}
		if err := s.startMetrics(); err != nil {
			s.lifeMu.Unlock()
			ln.Close()
			return fmt.Errorf("namesrv: metrics endpoint: %w", err)
		}
	}
	s.lifeMu.Unlock()
	s.log.Info("listening", "addr", ln.Addr().String())
	return s.rs.Serve(ln)
}

// Addr returns the listening address, or nil before Serve.
func (s *Server) Addr() net.Addr { return s.rs.Addr() }

// Config returns the effective configuration (UPDATE_NAMESRV_CONFIG may change it).
func (s *Server) Config() Config {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.cfg
}

// Shutdown stops accepting, closes connections, stops the scan, waits for everything and
// persists the KV config. It is safe to call more than once; it returns ctx's error if ctx
// ends first.
func (s *Server) Shutdown(ctx context.Context) error {
	s.lifeMu.Lock()
	first := !s.shutting
	if first {
		s.shutting = true
		close(s.quit)
	}
	s.lifeMu.Unlock()
	err := s.rs.Shutdown(ctx)
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if first {
		if perr := s.kv.persist(); perr != nil {
			err = errors.Join(err, perr)
		}
		if aerr := s.audit.Close(); aerr != nil {
			err = errors.Join(err, aerr)
		}
		s.log.Info("shutdown")
	}
	return err
}

// scanLoop expires brokers every scanNotActiveBrokerInterval (Java's scanNotActiveBroker).
func (s *Server) scanLoop() {
	t := time.NewTicker(s.Config().scanInterval())
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			s.scan()
		}
	}
}

// scan removes expired brokers and closes the connections they registered on.
func (s *Server) scan() {
	removed, conns := s.routes.expire(s.now())
	for _, u := range removed {
		s.log.Warn("broker expired", "broker", u.name, "addr", u.addr, "cluster", u.cluster, "id", u.id)
	}
	if len(conns) == 0 {
		return
	}
	want := make(map[uint64]bool, len(conns))
	for _, id := range conns {
		want[id] = true
	}
	for _, c := range s.rs.Conns() {
		if want[c.ID()] {
			c.Close()
		}
	}
}

// connClosed drops the brokers registered on c (Java's BrokerHousekeepingService).
func (s *Server) connClosed(c *remoting.Conn) {
	for _, u := range s.routes.connClosed(c.ID()) {
		s.log.Info("broker connection closed, broker removed", "broker", u.name, "addr", u.addr,
			"cluster", u.cluster, "id", u.id, "remote", c.RemoteAddr())
	}
}

func (s *Server) registerHandlers() {
	cfg := s.Config()
	def := remoting.NewPool("namesrv-default", cfg.DefaultThreadPoolNums, cfg.DefaultThreadPoolQueueCapacity)
	client := remoting.NewPool("namesrv-client", cfg.ClientRequestThreadPoolNums, cfg.ClientRequestThreadPoolQueueCapacity)
	handle := func(code protocol.RequestCode, fn func(*remoting.Conn, *remoting.Command) *remoting.Command, p *remoting.Pool) {
		fn = s.guard(code, fn)
		s.rs.Handle(int16(code), remoting.HandlerFunc(func(_ context.Context, c *remoting.Conn, req *remoting.Command) *remoting.Command {
			return fn(c, req)
		}), remoting.WithPool(p))
	}
	handle(protocol.GetRouteInfoByTopic, s.getRouteInfoByTopic, client)
	for code, fn := range map[protocol.RequestCode]func(*remoting.Conn, *remoting.Command) *remoting.Command{
		protocol.PutKVConfig:                   s.putKVConfig,
		protocol.GetKVConfig:                   s.getKVConfig,
		protocol.DeleteKVConfig:                s.deleteKVConfig,
		protocol.QueryDataVersion:              s.queryDataVersion,
		protocol.RegisterBroker:                s.registerBroker,
		protocol.UnregisterBroker:              s.unregisterBroker,
		protocol.GetBrokerClusterInfo:          s.getBrokerClusterInfo,
		protocol.WipeWritePermOfBroker:         s.wipeWritePermOfBroker,
		protocol.AddWritePermOfBroker:          s.addWritePermOfBroker,
		protocol.GetAllTopicListFromNameServer: s.getAllTopicList,
		protocol.DeleteTopicInNamesrv:          s.deleteTopicInNamesrv,
		protocol.RegisterTopicInNamesrv:        s.registerTopicInNamesrv,
		protocol.GetKVListByNamespace:          s.getKVListByNamespace,
		protocol.GetTopicsByCluster:            s.getTopicsByCluster,
		protocol.GetSystemTopicListFromNs:      s.getSystemTopicList,
		protocol.GetUnitTopicList:              s.getUnitTopicList,
		protocol.GetHasUnitSubTopicList:        s.getHasUnitSubTopicList,
		protocol.GetHasUnitSubUnunitTopicList:  s.getHasUnitSubUnunitTopicList,
		protocol.UpdateNamesrvConfig:           s.updateNamesrvConfig,
		protocol.GetNamesrvConfig:              s.getNamesrvConfig,
	} {
		handle(code, fn, def)
	}
}

func reply(req *remoting.Command, code protocol.ResponseCode, remark string) *remoting.Command {
	return remoting.NewResponse(req, int16(code), remark)
}

func ok(req *remoting.Command) *remoting.Command { return reply(req, protocol.Success, "") }

// decode reads req's header into h; a failure becomes the SYSTEM_ERROR response to send.
func decode(req *remoting.Command, h any) *remoting.Command {
	if err := protocol.DecodeHeader(req.ExtFields, h); err != nil {
		return reply(req, protocol.SystemError, err.Error())
	}
	return nil
}

func withHeader(resp *remoting.Command, h any) *remoting.Command {
	resp.ExtFields = protocol.EncodeHeader(h)
	return resp
}

func withBody(req *remoting.Command, v any) *remoting.Command {
	body, err := protocol.EncodeBody(v)
	if err != nil {
		return reply(req, protocol.SystemError, err.Error())
	}
	resp := ok(req)
	resp.Body = body
	return resp
}
