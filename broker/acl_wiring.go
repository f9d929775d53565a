package broker

import (
	"fmt"

	"github.com/mq-project/mq/broker/acl"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// credentials signs the broker's own requests when accessKey is set.
func (c Config) credentials() *remoting.Credentials {
	if c.AccessKey == "" {
		return nil
	}
	return &remoting.Credentials{AccessKey: c.AccessKey, SecretKey: c.SecretKey}
}

// initSecurity loads the ACL accounts (aclEnable=true) and opens the audit log
// (auditLogPath). A missing or bad accounts file stops the broker from starting.
func (b *Broker) initSecurity() error {
	cfg := b.cfg
	if cfg.AclEnable {
		c, err := acl.Open(cfg.AclConfigFile, b.log)
		if err != nil {
			return fmt.Errorf("broker: aclEnable=true: %w", err)
		}
		b.acl = c
		b.log.Info("acl enabled", "file", cfg.AclConfigFile, "accounts", len(c.Table().File().Accounts))
	}
	if cfg.AuditLogPath != "" {
		a, err := acl.OpenAudit(cfg.AuditLogPath)
		if err != nil {
			return fmt.Errorf("broker: %w", err)
		}
		b.audit = a
	}
	return nil
}

// auditRecord writes one audit line for req.
func (b *Broker) auditRecord(remote string, req *remoting.Command, code protocol.RequestCode, allowed bool, reason string) {
	b.audit.Record(acl.AuditRecord{
		Remote: remote, AccessKey: req.Ext(remoting.ExtAccessKey), Code: int16(code), Request: code.String(),
		Resource: acl.ResourceOf(req.ExtFields), Allowed: allowed, Reason: reason,
	})
}
