package broker

import (
	"context"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// haStatus answers GET_BROKER_HA_STATUS (907) with Apache 5's HARuntimeInfo
// (DefaultHAService#getRuntimeInfo).
func (b *Broker) haStatus(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	return jsonResponse(req, b.haRuntime())
}

func (b *Broker) haRuntime() protocol.HARuntimeInfo {
	end := b.ms.CommitLogMaxOffset()
	info := protocol.HARuntimeInfo{Master: !b.isSlave(), HAConnectionInfo: []protocol.HAConnectionRuntimeInfo{}}
	if s := b.svc.ha.server.Load(); s != nil {
		info.MasterCommitLogMaxOffset = end
		gap := int64(b.cfg.HaMaxGapNotInSync)
		for _, sl := range s.Slaves() {
			diff := max(end-sl.Acked, 0)
			c := protocol.HAConnectionRuntimeInfo{Addr: sl.Addr, SlaveAckOffset: sl.Acked, Diff: diff,
				InSync: diff < gap, TransferredByteInSecond: sl.BytesPerSecond, TransferFromWhere: sl.From}
			if !sl.LastReport.IsZero() {
				c.LastAckTimestamp = sl.LastReport.UnixMilli()
			}
			if c.InSync {
				info.InSyncSlaveNums++
			}
			info.HAConnectionInfo = append(info.HAConnectionInfo, c)
		}
	}
	if c := b.svc.ha.client; c != nil {
		ci := protocol.HAClientRuntimeInfo{MasterAddr: c.MasterAddr(), TransferredByteInSecond: c.BytesPerSecond(),
			MaxOffset: end, Connected: c.Connected(), MasterMaxOffset: c.MasterOffset()}
		if t := c.LastReceive(); !t.IsZero() {
			ci.LastReadTimestamp = t.UnixMilli()
		}
		if t := c.LastReport(); !t.IsZero() {
			ci.LastWriteTimestamp = t.UnixMilli()
		}
		if ci.MasterMaxOffset > 0 {
			ci.Diff = max(ci.MasterMaxOffset-end, 0)
		}
		info.HAClientRuntimeInfo = ci
	}
	return info
}
