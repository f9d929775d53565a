package admin_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
)

// TestHAStatusApache: an Apache 5 master's GET_BROKER_HA_STATUS body decodes field by field.
func TestHAStatusApache(t *testing.T) {
	b := startBroker(t, "", admintest.Config{})
	a := newAdmin(t, "127.0.0.1:1")
	info, err := a.HAStatus(ctxT(t), b.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Master || info.MasterCommitLogMaxOffset != 4200 || info.InSyncSlaveNums != 1 || len(info.HAConnectionInfo) != 1 {
		t.Fatalf("ha status %+v", info)
	}
	c := info.HAConnectionInfo[0]
	if c.Addr != "10.0.0.11:52110" || c.SlaveAckOffset != 4104 || c.Diff != 96 || !c.InSync || c.TransferredByteInSecond != 512 {
		t.Fatalf("connection %+v", c)
	}
}

// TestHAStatusMQ: an mq master lists its slave with the offset it acknowledged; the slave
// names its master, connected, nothing behind.
func TestHAStatusMQ(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	a := newAdmin(t, ns.Addr)
	ctx := ctxT(t)
	m := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) { c.BrokerRole = broker.SyncMaster })
	s := mqtest.StartBroker(t, ns.Addr, func(c *broker.Config) {
		c.BrokerRole, c.BrokerID, c.HaSendHeartbeatInterval = broker.Slave, 1, 200
	})
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		_, err := a.Send(ctx, m.Addr, admin.SendRequest{BrokerName: "broker-a", Message: message.Message{Topic: "HaStat", Body: []byte("x")}})
		return err
	})
	var end int64
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		mi, err := a.HAStatus(ctx, m.Addr)
		if err != nil {
			return err
		}
		if !mi.Master || len(mi.HAConnectionInfo) != 1 || mi.HAConnectionInfo[0].SlaveAckOffset != mi.MasterCommitLogMaxOffset ||
			mi.MasterCommitLogMaxOffset == 0 || !mi.HAConnectionInfo[0].InSync || mi.HAConnectionInfo[0].LastAckTimestamp == 0 {
			return fmt.Errorf("master ha status %+v", mi)
		}
		end = mi.MasterCommitLogMaxOffset
		return nil
	})
	si, err := a.HAStatus(ctx, s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ci := si.HAClientRuntimeInfo
	if si.Master || !ci.Connected || ci.MasterAddr == "" || ci.MaxOffset != end || ci.Diff != 0 || ci.LastReadTimestamp == 0 {
		t.Fatalf("slave ha status %+v (master end %d)", si, end)
	}
	rt, err := a.BrokerRuntimeInfo(ctx, m.Addr)
	if err != nil || rt["brokerRole"] != "SYNC_MASTER" {
		t.Fatalf("master runtime brokerRole %q: %v", rt["brokerRole"], err)
	}
}
