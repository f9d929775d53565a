package admin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/internal/mqtest"
)

// TestNameServerReport: a read fails over from a dead nameserver to a live one and answers;
// the report under its ctx names the dead one as a partial answer.
func TestNameServerReport(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	dead, err := admintest.DeadAddr()
	if err != nil {
		t.Fatal(err)
	}
	a := newAdmin(t, dead, ns.Addr)
	var r admin.NameServerReport
	ctx := admin.WithNameServerReport(ctxT(t), &r)
	if _, err := a.ClusterInfo(ctx); err != nil {
		t.Fatal(err)
	}
	err = r.Err()
	if !admin.IsPartial(err) || !strings.HasPrefix(err.Error(), "1/2 nameservers answered: nameserver "+dead+": ") {
		t.Fatalf("report: %v", err)
	}
	// Without a report in ctx nothing is recorded anywhere; a healthy pair reports nothing.
	var ok admin.NameServerReport
	b := newAdmin(t, ns.Addr, ns.Addr)
	if _, err := b.ClusterInfo(admin.WithNameServerReport(context.Background(), &ok)); err != nil || ok.Err() != nil {
		t.Fatalf("healthy: %v %v", err, ok.Err())
	}
}
