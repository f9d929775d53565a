package admin_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
)

// TestDelayStatus: our broker answers its own code with every level (a pending level-3
// message shows). Apache: TestDelayStatusApache.
func TestDelayStatus(t *testing.T) {
	t.Run("broker=mq", func(t *testing.T) {
		a, b := realCluster(t, "DelayS")
		if _, err := a.Send(ctxT(t), b.Addr, admin.SendRequest{BrokerName: b.Config.BrokerName, Message: message.Message{Topic: "DelayS",
			Properties: map[string]string{message.PropertyDelayTimeLevel: "3"}, Body: []byte("later")}}); err != nil {
			t.Fatal(err)
		}
		var ds admin.DelayStatus
		mqtest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
			var err error
			ds, err = a.DelayStatus(ctxT(t), b.Addr)
			if err != nil {
				return err
			}
			if len(ds.Levels) != 18 || ds.Levels[2].Pending != 1 {
				return errorf("levels %+v", ds.Levels)
			}
			return nil
		})
		if ds.Source != admin.SourceMQ || ds.Levels[2].Level != 3 || ds.Levels[2].DelayMillis != 10000 || ds.Timer == nil {
			t.Fatalf("delay status %+v", ds)
		}
	})
}

// TestTransactionStatus: our broker reports its half queues.
func TestTransactionStatus(t *testing.T) {
	a, b := realCluster(t, "TxnS")
	ts, err := a.TransactionStatus(ctxT(t), b.Addr, 10)
	if err != nil {
		t.Fatal(err)
	}
	if ts.Source != admin.SourceMQ {
		t.Fatalf("source %q", ts.Source)
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
