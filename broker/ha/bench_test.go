package ha

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/store"
)

// pair runs a master Server and a slave Client over loopback between two fresh stores.
func pair(b *testing.B) (ms, ss *store.Store, srv *Server) {
	mc, sc := storeConfig(b), storeConfig(b)
	mc.MappedFileSizeCommitLog, sc.MappedFileSizeCommitLog = 64<<20, 64<<20
	ms, ss = openStore(b, mc), openStore(b, sc)
	srv = NewServer(ServerConfig{Store: ms, PollInterval: time.Millisecond})
	if err := srv.Start(listen(b)); err != nil {
		b.Fatal(err)
	}
	cl := NewClient(ClientConfig{Store: ss})
	cl.SetMasterAddr(srv.ln.Addr().String())
	cl.Start()
	b.Cleanup(func() {
		cl.Close()
		srv.Close()
		ss.Close()
		ms.Close()
	})
	checkFor(b, 5*time.Second, time.Millisecond, func() error {
		if len(srv.Slaves()) == 0 {
			return ErrNoSlave
		}
		return nil
	})
	return ms, ss, srv
}

func benchMsg() *message.MessageExt {
	return &message.MessageExt{Message: message.Message{Topic: "B", Body: make([]byte, 1024)},
		BornTimestamp: 1, BornHost: netip.MustParseAddrPort("10.0.0.1:1")}
}

// BenchmarkReplicationThroughput appends 1 KiB messages on the master as fast as it can
// (ASYNC_MASTER) and reports how fast the slave has them all, and the lag at the end.
func BenchmarkReplicationThroughput(b *testing.B) {
	ms, ss, _ := pair(b)
	b.ReportAllocs()
	start := time.Now()
	var n int64
	for b.Loop() {
		if _, err := ms.Append(context.Background(), benchMsg()); err != nil {
			b.Fatal(err)
		}
		n++
	}
	lagBytes := ms.CommitLogMaxOffset() - ss.CommitLogMaxOffset()
	checkFor(b, 30*time.Second, 100*time.Microsecond, func() error {
		if ss.CommitLogMaxOffset() != ms.CommitLogMaxOffset() {
			return ErrAckTimeout
		}
		return nil
	})
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(n)/el, "msgs/s")
	b.ReportMetric(float64(ms.CommitLogMaxOffset())/el/(1<<20), "MiB/s")
	b.ReportMetric(float64(lagBytes), "lag-bytes-at-end")
}

// BenchmarkSyncMasterWait is one SYNC_MASTER send at a time: append, then WaitAck until the
// slave reported the record (the replication round trip a SYNC_MASTER send adds).
func BenchmarkSyncMasterWait(b *testing.B) {
	ms, _, srv := pair(b)
	b.ReportAllocs()
	for b.Loop() {
		res, err := ms.Append(context.Background(), benchMsg())
		if err != nil {
			b.Fatal(err)
		}
		srv.Notify()
		if err := srv.WaitAck(context.Background(), res.PhysicalOffset+res.WroteBytes, 5*time.Second); err != nil {
			b.Fatal(err)
		}
	}
}
