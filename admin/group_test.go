package admin_test

import (
	"errors"
	"testing"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/internal/mqtest"
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
