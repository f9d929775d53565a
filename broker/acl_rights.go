package broker

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/broker/acl"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// right computes what a request needs when aclEnable=true (PlainAccessValidator.parse
// for the codes Apache checks; admin for every code that changes the broker).
type right func(req *remoting.Command) acl.Need

// rightAdmin needs an admin account.
func rightAdmin(*remoting.Command) acl.Need { return acl.Need{Admin: true} }

// rightSigned needs any account with a valid signature (or a white address).
func rightSigned(*remoting.Command) acl.Need { return acl.Need{} }

// sendRight is PUB on the topic (SEND_MESSAGE's "topic", V2's "b"); a send to a retry
// topic %RETRY%G is SUB on group G, as Apache maps it.
func sendRight(req *remoting.Command) acl.Need {
	topic := req.Ext("topic")
	if topic == "" {
		topic = req.Ext("b")
	}
	if strings.HasPrefix(topic, RetryGroupTopicPrefix) {
		return acl.Need{Resources: []acl.Resource{acl.Topic(topic, acl.Sub)}}
	}
	return acl.Need{Resources: []acl.Resource{acl.Topic(topic, acl.Pub)}}
}

// pubIfTopic is PUB on the "topic" field when the request names one.
func pubIfTopic(req *remoting.Command) acl.Need {
	if t := req.Ext("topic"); t != "" {
		return acl.Need{Resources: []acl.Resource{acl.Topic(t, acl.Pub)}}
	}
	return acl.Need{}
}

// groupRight is SUB on the group in field.
func groupRight(field string) right {
	return func(req *remoting.Command) acl.Need {
		return acl.Need{Resources: []acl.Resource{acl.Group(req.Ext(field), acl.Sub)}}
	}
}

// subRight is SUB on the topic in topicField and, when groupField is set, on that group.
func subRight(topicField, groupField string) right {
	return func(req *remoting.Command) acl.Need {
		rs := []acl.Resource{acl.Topic(req.Ext(topicField), acl.Sub)}
		if groupField != "" {
			rs = append(rs, acl.Group(req.Ext(groupField), acl.Sub))
		}
		return acl.Need{Resources: rs}
	}
}

// heartbeatRight is SUB on every consumer group of the heartbeat and every topic it
// subscribes to. An undecodable body needs nothing more than a signature; the handler
// refuses it.
func heartbeatRight(req *remoting.Command) acl.Need {
	var hb protocol.HeartbeatData
	if err := protocol.DecodeBody(req.Body, &hb); err != nil {
		return acl.Need{}
	}
	var rs []acl.Resource
	for _, cd := range hb.ConsumerDataSet {
		rs = append(rs, acl.Group(cd.GroupName, acl.Sub))
		for _, sd := range cd.SubscriptionDataSet {
			rs = append(rs, acl.Topic(sd.Topic, acl.Sub))
		}
	}
	return acl.Need{Resources: rs}
}

// guard runs fn after the request passed the ACL check (aclEnable=true) and records admin
// requests in the audit log (auditLogPath). A nil r is a code without a declared right:
// refused when ACL is on.
func (b *Broker) guard(code protocol.RequestCode, r right, fn handlerFunc) handlerFunc {
	return func(ctx context.Context, c *remoting.Conn, req *remoting.Command) *remoting.Command {
		if b.acl == nil && b.audit == nil {
			return fn(ctx, c, req)
		}
		req.LoadExt() // the signature and the audit read every field
		var need acl.Need
		if r != nil {
			need = r(req)
		}
		audited := b.audit != nil && (r == nil || need.Admin)
		if b.acl != nil {
			err := errNoRight
			if r != nil {
				_, err = b.acl.Check(req, c.RemoteAddr(), need)
			}
			if err != nil {
				if audited {
					b.auditRecord(c.RemoteAddr(), req, code, false, err.Error())
				}
				b.refusals.warn(b.log, c.RemoteAddr(), code, err)
				return refusal(req, err)
			}
		}
		if audited {
			b.auditRecord(c.RemoteAddr(), req, code, true, "")
		}
		return fn(ctx, c, req)
	}
}

// errNoRight refuses codes registered without a declared right.
var errNoRight = errors.New("acl: no permission: this request code declares no right, so it is refused while ACL is on")

// refusal answers an ACL refusal: SYSTEM_ERROR with "AclException: …" for a request whose
// account or signature fails (what Apache answers), NO_PERMISSION naming the missing right
// for a signed request that lacks it.
func refusal(req *remoting.Command, err error) *remoting.Command {
	if errors.Is(err, acl.ErrAuthentication) {
		return errorResponse(req, protocol.SystemError, "AclException: "+err.Error())
	}
	return errorResponse(req, protocol.NoPermission, err.Error())
}

// refusalLog rate-limits refusal warnings to one a second.
type refusalLog struct{ last atomic.Int64 }

func (l *refusalLog) warn(log *slog.Logger, remote string, code protocol.RequestCode, err error) {
	now := time.Now().UnixNano()
	if last := l.last.Load(); now-last >= int64(time.Second) && l.last.CompareAndSwap(last, now) {
		log.Warn("request refused by acl", "remote", remote, "code", code, "err", err)
	}
}
