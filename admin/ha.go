package admin

import (
	"context"

	"github.com/mq-project/mq/protocol"
)

// HAStatus returns a broker's replication state (GET_BROKER_HA_STATUS, Apache 5): on a
// master each connected slave's acknowledged offset, bytes behind and whether it is in
// sync; on a slave its master's address and how far behind it is. Apache 4 brokers refuse
// the code (REQUEST_CODE_NOT_SUPPORTED).
func (a *Admin) HAStatus(ctx context.Context, addr string) (protocol.HARuntimeInfo, error) {
	var info protocol.HARuntimeInfo
	resp, err := a.invoke(ctx, addr, protocol.GetBrokerHAStatus, nil, nil)
	if err != nil {
		return info, err
	}
	err = decode(protocol.GetBrokerHAStatus, resp, &info)
	return info, err
}

// HAStatuses asks every broker of bs for its replication state.
func (a *Admin) HAStatuses(ctx context.Context, bs []Broker) Results[protocol.HARuntimeInfo] {
	return ForEachBroker(ctx, a, bs, a.HAStatus)
}
