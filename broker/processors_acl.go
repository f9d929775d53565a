package broker

import (
	"context"
	"strings"

	"github.com/mq-project/mq/broker/acl"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// remarkACLDisabled answers the ACL admin codes on a broker without aclEnable (Apache:
// "The broker does not enable acl").
const remarkACLDisabled = "The broker does not enable acl"

// updateACLConfig serves UPDATE_AND_CREATE_ACL_CONFIG (50): the account is created or
// replaced in the accounts file, written atomically.
func (b *Broker) updateACLConfig(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if b.acl == nil {
		return errorResponse(req, protocol.SystemError, remarkACLDisabled)
	}
	pc := protocol.ParseACLConfigHeader(req.ExtFields)
	err := b.acl.Update(acl.Account{
		AccessKey: pc.AccessKey, SecretKey: pc.SecretKey, WhiteRemoteAddress: pc.WhiteRemoteAddress,
		Admin: pc.Admin, DefaultTopicPerm: pc.DefaultTopicPerm, DefaultGroupPerm: pc.DefaultGroupPerm,
		TopicPerms: pc.TopicPerms, GroupPerms: pc.GroupPerms,
	})
	if err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	b.log.Info("acl account updated", "accessKey", pc.AccessKey)
	return success(req)
}

// deleteACLConfig serves DELETE_ACL_CONFIG (51).
func (b *Broker) deleteACLConfig(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if b.acl == nil {
		return errorResponse(req, protocol.SystemError, remarkACLDisabled)
	}
	ak := req.Ext("accessKey")
	if err := b.acl.Delete(ak); err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	b.log.Info("acl account deleted", "accessKey", ak)
	return success(req)
}

// updateGlobalWhiteAddrs serves UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53): globalWhiteAddrs is
// comma separated; empty clears the list.
func (b *Broker) updateGlobalWhiteAddrs(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if b.acl == nil {
		return errorResponse(req, protocol.SystemError, remarkACLDisabled)
	}
	var addrs []string
	for _, a := range strings.Split(req.Ext("globalWhiteAddrs"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	if err := b.acl.SetGlobalWhiteAddrs(addrs); err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	return success(req)
}

// aclInfo serves GET_BROKER_CLUSTER_ACL_INFO (52): the broker's identity and the accounts
// file in the response header (GetBrokerAclConfigResponseHeader).
func (b *Broker) aclInfo(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if b.acl == nil {
		return errorResponse(req, protocol.SystemError, remarkACLDisabled)
	}
	resp := success(req)
	resp.ExtFields = map[string]string{
		"brokerName": b.conf().BrokerName, "brokerAddr": b.Addr(), "clusterName": b.conf().BrokerClusterName,
		"version":           mustJSON(map[string]any{"timestamp": b.boot.UnixMilli(), "counter": 0}),
		"allAclFileVersion": mustJSON(map[string]any{b.acl.Path(): map[string]any{"timestamp": b.boot.UnixMilli(), "counter": 0}}),
	}
	return resp
}

// aclConfig serves GET_BROKER_CLUSTER_ACL_CONFIG (54): every account and the global white
// addresses (AclConfig, secret keys included, as Apache answers admins).
func (b *Broker) aclConfig(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if b.acl == nil {
		return errorResponse(req, protocol.SystemError, remarkACLDisabled)
	}
	f := b.acl.Table().File()
	out := protocol.ACLConfig{GlobalWhiteAddrs: f.GlobalWhiteRemoteAddresses, PlainAccessConfigs: []protocol.PlainAccessConfig{}}
	if out.GlobalWhiteAddrs == nil {
		out.GlobalWhiteAddrs = []string{}
	}
	for _, a := range f.Accounts {
		out.PlainAccessConfigs = append(out.PlainAccessConfigs, protocol.PlainAccessConfig{
			AccessKey: a.AccessKey, SecretKey: a.SecretKey, WhiteRemoteAddress: a.WhiteRemoteAddress,
			Admin: a.Admin, DefaultTopicPerm: a.DefaultTopicPerm, DefaultGroupPerm: a.DefaultGroupPerm,
			TopicPerms: a.TopicPerms, GroupPerms: a.GroupPerms,
		})
	}
	return jsonResponse(req, out)
}
