package admin_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/protocol"
)

// TestUnknownGroup: an unknown (or never consuming, never connected) group's progress and
// connections are errors naming it, not empty answers: Apache answers GET_CONSUME_STATS of an
// unknown group with an empty table and GET_CONSUMER_CONNECTION_LIST with
// CONSUMER_NOT_ONLINE; mq as well or with SUBSCRIPTION_GROUP_NOT_EXIST.
func TestUnknownGroup(t *testing.T) {
	check := func(t *testing.T, a *admin.Admin) {
		_, err := a.GroupProgress(ctxT(t), "Nobody", "")
		if !errors.Is(err, admin.ErrGroupNoOffsets) || err.Error() != "group Nobody has no offsets" {
			t.Errorf("progress: %v", err)
		}
		_, err = a.GroupConnections(ctxT(t), "Nobody")
		if !errors.Is(err, admin.ErrGroupNotOnline) || err.Error() != "group Nobody is not online" {
			t.Errorf("connections: %v", err)
		}
	}
	t.Run("broker=apache", func(t *testing.T) {
		ns := mqtest.StartNamesrv(t)
		startBroker(t, ns.Addr, admintest.Config{Groups: []string{"g1"}})
		a := newAdmin(t, ns.Addr)
		check(t, a)
		// A known group with offsets still answers.
		if gp, err := a.GroupProgress(ctxT(t), "g1", ""); err != nil || len(gp.Queues) == 0 {
			t.Errorf("g1: %v %+v", err, gp)
		}
	})
	t.Run("broker=mq", func(t *testing.T) {
		a, _ := realCluster(t, "T")
		check(t, a)
	})
}

// TestAllGroupsProgress: mqadmin consumerProgress without -g lists the groups that have a
// retry topic, with their connections (none: offline) and lag.
func TestAllGroupsProgress(t *testing.T) {
	a, b := realCluster(t, "AllG")
	bs := []admin.Broker{{Name: b.Config.BrokerName, Addr: b.Addr}}
	if err := a.CreateGroup(ctxT(t), bs, protocol.NewSubscriptionGroupConfig("G")).Err(); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateTopicOnBroker(ctxT(t), b.Addr, topic(admin.RetryTopic("G"), 1, 1)); err != nil {
		t.Fatal(err)
	}
	sendN(t, a, b, "AllG", 3)
	if err := a.UpdateConsumerOffset(ctxT(t), b.Addr, "G", "AllG", 0, 1); err != nil {
		t.Fatal(err)
	}
	var rows []admin.GroupSummary
	mqtest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		var err error
		rows, err = a.AllGroupsProgress(ctxT(t))
		if err != nil || len(rows) != 1 || rows[0].DiffTotal == 0 {
			return fmt.Errorf("rows %+v: %v", rows, err)
		}
		return nil
	})
	if r := rows[0]; r.Group != "G" || r.Count != 0 || r.Version != -1 || r.Error != "" {
		t.Fatalf("row %+v", r)
	}
}
