package namesrv

import (
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/mq-project/mq/broker/acl"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// adminCodes are the requests that change the nameserver: with aclEnable=true they need an
// admin account. Everything else (routes, cluster info, KV reads) stays readable.
var adminCodes = map[protocol.RequestCode]bool{
	protocol.RegisterBroker:         true,
	protocol.UnregisterBroker:       true,
	protocol.PutKVConfig:            true,
	protocol.DeleteKVConfig:         true,
	protocol.WipeWritePermOfBroker:  true,
	protocol.AddWritePermOfBroker:   true,
	protocol.DeleteTopicInNamesrv:   true,
	protocol.RegisterTopicInNamesrv: true,
	protocol.UpdateNamesrvConfig:    true,
	protocol.GetNamesrvConfig:       true,
}

// ResolveACLFile sets AclConfigFile relative to the namesrv.properties at path (default
// plain_acl.yml beside it).
func (c *Config) ResolveACLFile(path string) {
	switch {
	case c.AclConfigFile == "":
		c.AclConfigFile = filepath.Join(filepath.Dir(path), "plain_acl.yml")
	case !filepath.IsAbs(c.AclConfigFile):
		c.AclConfigFile = filepath.Join(filepath.Dir(path), c.AclConfigFile)
	}
}

// guard wraps the adminCodes with the admin check (aclEnable=true) and the audit log
// (auditLogPath).
func (s *Server) guard(code protocol.RequestCode, fn func(*remoting.Conn, *remoting.Command) *remoting.Command) func(*remoting.Conn, *remoting.Command) *remoting.Command {
	if (s.acl == nil && s.audit == nil) || !adminCodes[code] {
		return fn
	}
	return func(c *remoting.Conn, req *remoting.Command) *remoting.Command {
		rec := acl.AuditRecord{Remote: c.RemoteAddr(), AccessKey: req.Ext(remoting.ExtAccessKey), Code: int16(code),
			Request: code.String(), Resource: acl.ResourceOf(req.ExtFields), Allowed: true}
		if s.acl != nil {
			if _, err := s.acl.Check(req, c.RemoteAddr(), acl.Need{Admin: true}); err != nil {
				rec.Allowed, rec.Reason = false, err.Error()
				s.audit.Record(rec)
				if now, last := time.Now().UnixNano(), s.lastRefusal.Load(); now-last >= int64(time.Second) && s.lastRefusal.CompareAndSwap(last, now) {
					s.log.Warn("request refused by acl", "remote", c.RemoteAddr(), "code", code, "err", err) // at most one a second
				}
				if errors.Is(err, acl.ErrAuthentication) {
					return reply(req, protocol.SystemError, "AclException: "+err.Error())
				}
				return reply(req, protocol.NoPermission, err.Error())
			}
		}
		s.audit.Record(rec)
		return fn(c, req)
	}
}

// aclLoop re-reads the accounts file when it changes, until Shutdown.
func (s *Server) aclLoop() {
	t := time.NewTicker(acl.DefaultPollInterval)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			s.acl.Reload() //nolint:errcheck // logged by Reload
		}
	}
}

// serverTLS is the port's TLS (tlsServerMode and the tlsServer* keys); nil when disabled.
func (c Config) serverTLS() (*tls.Config, remoting.TLSMode, error) {
	mode, err := remoting.ParseTLSMode(c.TlsServerMode)
	if err != nil || mode == remoting.TLSDisabled {
		return nil, mode, err
	}
	cfg, err := remoting.ServerTLS(c.TlsServerCertPath, c.TlsServerKeyPath, c.TlsServerKeyPassword,
		c.TlsServerNeedClientAuth, c.TlsServerTrustCertPath)
	if err != nil {
		return nil, mode, fmt.Errorf("namesrv: tlsServerMode=%s: %w", c.TlsServerMode, err)
	}
	return cfg, mode, nil
}
