package ha

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func checkFor(t testing.TB, total, step time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", total, err)
		}
		time.Sleep(step)
	}
}

func TestFrameRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		phys int64
		body []byte
	}{
		{"heartbeat", 123, nil},
		{"body", 1 << 40, []byte("hello")},
		{"zero", 0, bytes.Repeat([]byte{7}, 4096)},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			b := AppendFrame(nil, tc.phys, tc.body)
			if len(b) != HeaderLen+len(tc.body) {
				t.Fatalf("len %d", len(b))
			}
			phys, body, err := ReadFrame(bytes.NewReader(b), nil, 1<<20)
			if err != nil || phys != tc.phys || !bytes.Equal(body, tc.body) {
				t.Fatalf("got %d %q %v", phys, body, err)
			}
		})
	}
	var rep [ReportLen]byte
	PutReport(rep[:], 987654321)
	if off, err := ReadReport(bytes.NewReader(rep[:])); err != nil || off != 987654321 {
		t.Fatalf("report %d %v", off, err)
	}
	if _, _, err := ReadFrame(bytes.NewReader(AppendFrame(nil, 1, make([]byte, 100))), nil, 99); !errors.Is(err, ErrBadFrame) {
		t.Errorf("over limit: %v", err)
	}
	if _, _, err := ReadFrame(bytes.NewReader(AppendFrame(nil, 1, make([]byte, 100))[:50]), nil, 1000); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short body: %v", err)
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add(AppendFrame(nil, 5, []byte("abc")))
	f.Add(AppendFrame(AppendFrame(nil, 0, nil), 12, []byte("xy")))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		var buf []byte
		for {
			phys, body, err := ReadFrame(r, buf, 4096)
			if err != nil {
				return
			}
			if phys < 0 || len(body) > 4096 {
				t.Fatalf("accepted phys %d body %d", phys, len(body))
			}
			again := AppendFrame(nil, phys, body)
			if p2, b2, err := ReadFrame(bytes.NewReader(again), nil, 4096); err != nil || p2 != phys || !bytes.Equal(b2, body) {
				t.Fatalf("re-encode: %v", err)
			}
			buf = body
		}
	})
}

func storeConfig(t testing.TB) store.Config {
	cfg := store.DefaultConfig()
	cfg.StorePathRootDir = t.TempDir()
	cfg.MappedFileSizeCommitLog = 256 << 10
	cfg.MappedFileSizeConsumeQueue = 1000 * store.ConsumeQueueEntrySize
	cfg.MaxMessageSize = 64 << 10
	cfg.MaxHashSlotNum = 101
	cfg.MaxIndexNum = 400
	cfg.FlushIntervalCommitLog = 10
	cfg.FlushIntervalConsumeQueue = 50
	cfg.StoreHost = netip.MustParseAddrPort("127.0.0.1:10911")
	return cfg
}

func openStore(t testing.TB, cfg store.Config) *store.Store {
	t.Helper()
	s, err := store.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func appendN(t testing.TB, s *store.Store, n, size int) store.AppendResult {
	t.Helper()
	var res store.AppendResult
	for i := range n {
		m := &message.MessageExt{Message: message.Message{Topic: "T", Body: []byte(strings.Repeat(fmt.Sprint(i%10), size))},
			QueueID: int32(i % 4), BornTimestamp: 1, BornHost: netip.MustParseAddrPort("10.0.0.1:1")}
		var err error
		if res, err = s.Append(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

func listen(t testing.TB) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func caughtUp(master, slave *store.Store) func() error {
	return func() error {
		if s, m := slave.CommitLogMaxOffset(), master.CommitLogMaxOffset(); s != m {
			return fmt.Errorf("slave at %d, master at %d", s, m)
		}
		return nil
	}
}

// TestReplication runs a real master Server and slave Client over TCP between two stores.
func TestReplication(t *testing.T) {
	ms := openStore(t, storeConfig(t))
	defer ms.Close()
	srv := NewServer(ServerConfig{Store: ms, BatchSize: 4 << 10, PollInterval: 5 * time.Millisecond})
	ln := listen(t)
	if err := srv.Start(ln); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	// No slave: a SYNC_MASTER wait fails at once.
	res := appendN(t, ms, 100, 500)
	if err := srv.WaitAck(context.Background(), res.PhysicalOffset+res.WroteBytes, time.Second); !errors.Is(err, ErrNoSlave) {
		t.Fatalf("no slave: %v", err)
	}

	scfg := storeConfig(t)
	ss := openStore(t, scfg)
	cl := NewClient(ClientConfig{Store: ss, ReportInterval: 50 * time.Millisecond})
	cl.SetMasterAddr(ln.Addr().String())
	cl.Start()
	checkFor(t, 5*time.Second, 2*time.Millisecond, caughtUp(ms, ss))

	// With a slave, the wait ends once the slave has the record.
	res = appendN(t, ms, 1, 100)
	end := res.PhysicalOffset + res.WroteBytes
	if err := srv.WaitAck(context.Background(), end, 5*time.Second); err != nil {
		t.Fatalf("wait ack: %v", err)
	}
	if got := ss.CommitLogMaxOffset(); got < end {
		t.Fatalf("acked but slave at %d < %d", got, end)
	}
	if sl := srv.Slaves(); len(sl) != 1 || sl[0].Acked < end {
		t.Fatalf("slaves %+v", sl)
	}
	// Many records across segments (the blank fillers travel too).
	appendN(t, ms, 2000, 300)
	checkFor(t, 10*time.Second, 2*time.Millisecond, caughtUp(ms, ss))
	checkFor(t, 5*time.Second, 2*time.Millisecond, func() error {
		for q := int32(0); q < 4; q++ {
			if a, b := ss.MaxOffset("T", q), ms.MaxOffset("T", q); a != b {
				return fmt.Errorf("queue %d: slave %d master %d", q, a, b)
			}
		}
		return nil
	})
	rec, err := ss.ReadAt(end - int64(len(mustRead(t, ms, res.PhysicalOffset))))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rec.Stored, mustRead(t, ms, res.PhysicalOffset)) {
		t.Fatal("record differs on the slave")
	}
	rec.Release()

	// A restarted slave resumes from its own end.
	cl.Close()
	ss.Close()
	appendN(t, ms, 50, 100)
	ss = openStore(t, scfg)
	defer ss.Close()
	cl = NewClient(ClientConfig{Store: ss, ReportInterval: 50 * time.Millisecond})
	defer cl.Close()
	cl.SetMasterAddr(ln.Addr().String())
	cl.Start()
	checkFor(t, 5*time.Second, 2*time.Millisecond, caughtUp(ms, ss))
	checkFor(t, 5*time.Second, 2*time.Millisecond, func() error {
		if !cl.Connected() || cl.MasterOffset() != ms.CommitLogMaxOffset() {
			return fmt.Errorf("connected=%v master offset %d", cl.Connected(), cl.MasterOffset())
		}
		return nil
	})
}

func mustRead(t *testing.T, s *store.Store, phys int64) []byte {
	t.Helper()
	r, err := s.ReadAt(phys)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	return bytes.Clone(r.Stored)
}

// TestWaitAckTimeout: a slave that connects but never gets past offset 0 makes a wait time
// out; Close fails pending waits.
func TestWaitAckTimeout(t *testing.T) {
	ms := openStore(t, storeConfig(t))
	defer ms.Close()
	srv := NewServer(ServerConfig{Store: ms})
	ln := listen(t)
	if err := srv.Start(ln); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	res := appendN(t, ms, 3, 100)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var rep [ReportLen]byte
	PutReport(rep[:], 0)
	if _, err := c.Write(rep[:]); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if len(srv.Slaves()) != 1 {
			return errors.New("slave not registered yet")
		}
		return nil
	})
	// The master pushes from 0: the first frame carries the first record.
	phys, body, err := ReadFrame(c, nil, 1<<20)
	if err != nil || phys != 0 || len(body) == 0 {
		t.Fatalf("first frame %d %d %v", phys, len(body), err)
	}
	end := res.PhysicalOffset + res.WroteBytes
	start := time.Now()
	if err := srv.WaitAck(context.Background(), end, 100*time.Millisecond); !errors.Is(err, ErrAckTimeout) {
		t.Fatalf("want timeout, got %v", err)
	}
	if d := time.Since(start); d < 90*time.Millisecond || d > 2*time.Second {
		t.Errorf("timeout after %v", d)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.WaitAck(context.Background(), end, time.Minute) }()
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if len(srv.waiters) != 1 {
			return errors.New("no waiter yet")
		}
		return nil
	})
	PutReport(rep[:], end)
	if _, err := c.Write(rep[:]); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("ack: %v", err)
	}
	go func() { errc <- srv.WaitAck(context.Background(), end+1, time.Minute) }()
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if len(srv.waiters) != 1 {
			return errors.New("no waiter yet")
		}
		return nil
	})
	srv.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

// TestClientRefusesMismatch: a master that pushes bytes at the wrong offset loses the
// connection and sees the slave come back with the same report.
func TestClientRefusesMismatch(t *testing.T) {
	ss := openStore(t, storeConfig(t))
	defer ss.Close()
	ln := listen(t)
	defer ln.Close()
	cl := NewClient(ClientConfig{Store: ss, RetryInterval: 10 * time.Millisecond})
	defer cl.Close()
	cl.SetMasterAddr(ln.Addr().String())
	cl.Start()
	for i := range 2 {
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		off, err := ReadReport(c)
		if err != nil || off != 0 {
			t.Fatalf("connection %d: report %d %v", i, off, err)
		}
		if _, err := c.Write(AppendFrame(nil, 4096, make([]byte, 64))); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := ReadReport(c); err == nil {
			t.Fatalf("connection %d: slave acked a mismatched frame", i)
		}
		c.Close()
	}
	if ss.CommitLogMaxOffset() != 0 {
		t.Fatal("slave stored mismatched bytes")
	}
}

// TestClientJoinsCutRecords: an Apache master cuts its 32 KiB batches anywhere, even inside
// a record; the slave keeps the cut record until the next frame completes it, and reports
// only whole-record ends.
func TestClientJoinsCutRecords(t *testing.T) {
	ms := openStore(t, storeConfig(t))
	defer ms.Close()
	appendN(t, ms, 20, 300)
	all, err := ms.ReadReplica(0, 1<<20, nil)
	if err != nil || int64(len(all)) != ms.CommitLogMaxOffset() {
		t.Fatalf("read %d bytes: %v", len(all), err)
	}
	ss := openStore(t, storeConfig(t))
	defer ss.Close()
	ln := listen(t)
	defer ln.Close()
	cl := NewClient(ClientConfig{Store: ss})
	defer cl.Close()
	cl.SetMasterAddr(ln.Addr().String())
	cl.Start()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if off, err := ReadReport(c); err != nil || off != 0 {
		t.Fatalf("first report %d %v", off, err)
	}
	cuts := []int{0, 7, 100, 333, 1000, 1001, len(all)}
	for i := 1; i < len(cuts); i++ {
		if _, err := c.Write(AppendFrame(nil, int64(cuts[i-1]), all[cuts[i-1]:cuts[i]])); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		off, err := ReadReport(c)
		if err != nil {
			t.Fatal(err)
		}
		if off == int64(len(all)) {
			break
		}
		if n, _ := WholeRecords(all[:off]); n != int(off) {
			t.Fatalf("slave reported %d, not a record end", off)
		}
	}
	if !bytes.Equal(mustRead(t, ss, 0), mustRead(t, ms, 0)) {
		t.Fatal("first record differs")
	}
}

func FuzzWholeRecords(f *testing.F) {
	f.Add([]byte{0, 0, 0, 8, 0xcb, 0xd4, 0x34, 0x56})
	f.Add(make([]byte, 20))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := WholeRecords(data)
		if n < 0 || n > len(data) {
			t.Fatalf("n=%d of %d", n, len(data))
		}
		if err == nil && len(data)-n >= 8 {
			if size := int(int32(binary.BigEndian.Uint32(data[n:]))); size <= len(data)-n {
				t.Fatalf("stopped at %d before a whole record of %d", n, size)
			}
		}
	})
}
