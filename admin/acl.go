package admin

import (
	"context"
	"fmt"
	"strings"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// ACL v1 administration on one broker (Apache's UPDATE_AND_CREATE_ACL_CONFIG 50,
// DELETE_ACL_CONFIG 51, UPDATE_GLOBAL_WHITE_ADDRS_CONFIG 53, GET_BROKER_CLUSTER_ACL_CONFIG 54).

// ACLConfig returns the accounts and global white addresses of the broker at addr.
func (a *Admin) ACLConfig(ctx context.Context, addr string) (protocol.ACLConfig, error) {
	var out protocol.ACLConfig
	resp, err := a.invoke(ctx, addr, protocol.GetBrokerClusterACLConfig, nil, nil)
	if err != nil {
		return out, err
	}
	if err := protocol.DecodeBody(resp.Body, &out); err != nil {
		return out, fmt.Errorf("admin: acl config from %s: %w", addr, err)
	}
	return out, nil
}

// UpdateACLAccount creates or replaces an account on the broker at addr.
func (a *Admin) UpdateACLAccount(ctx context.Context, addr string, pc protocol.PlainAccessConfig) error {
	return a.invokeExt(ctx, addr, protocol.UpdateAndCreateACLConfig, protocol.ACLConfigHeader(pc))
}

// DeleteACLAccount removes an account from the broker at addr.
func (a *Admin) DeleteACLAccount(ctx context.Context, addr, accessKey string) error {
	return a.invokeExt(ctx, addr, protocol.DeleteACLConfig, map[string]string{"accessKey": accessKey})
}

// UpdateGlobalWhiteAddrs replaces the global white addresses of the broker at addr.
func (a *Admin) UpdateGlobalWhiteAddrs(ctx context.Context, addr string, addrs []string) error {
	return a.invokeExt(ctx, addr, protocol.UpdateGlobalWhiteAddrsConfig, map[string]string{"globalWhiteAddrs": strings.Join(addrs, ",")})
}

// invokeExt sends a request whose header is the given extFields.
func (a *Admin) invokeExt(ctx context.Context, addr string, code protocol.RequestCode, ext map[string]string) error {
	ctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancel()
	resp, err := a.client.InvokeSync(ctx, addr, remoting.NewRequest(int16(code), ext, nil))
	if err != nil {
		return fmt.Errorf("%v to %s: %w", code, addr, err)
	}
	return resp.Err()
}
