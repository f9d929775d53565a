package broker

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// TestQueryMaxNumCapped: QUERY_MESSAGE with maxNum 1e9 returns at most maxMsgsNumBatch (64)
// messages, as Apache's DefaultMessageStore#queryMessage.
func TestQueryMaxNumCapped(t *testing.T) {
	br, addr := startBroker(t, testConfig(t), nil)
	c := newTestClient(t, nil)
	for i := range 100 {
		wantCode(t, sendOne(t, c, addr, "QT", 0, map[string]string{"KEYS": "same"}, []byte("m"+fmt.Sprint(i))), protocol.Success)
	}
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if br.ms.MaxOffset("QT", 0) != 100 {
			return errNotYet
		}
		return nil
	})
	for _, tt := range []struct {
		maxNum int32
		want   int
	}{{1_000_000_000, 64}, {10, 10}, {0, 32 /* defaultQueryMaxNum */}} {
		resp := call(t, c, addr, protocol.QueryMessage, &protocol.QueryMessageRequestHeader{
			Topic: "QT", Key: "same", MaxNum: tt.maxNum, EndTimestamp: time.Now().Add(time.Hour).UnixMilli()}, nil)
		wantCode(t, resp, protocol.Success)
		ms, err := message.DecodeStoredAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != tt.want {
			t.Fatalf("maxNum %d: %d messages, want %d", tt.maxNum, len(ms), tt.want)
		}
	}
}

// TestUnreadPullsBounded: a connection that sends 200 pulls of a ~900 KB message and reads
// none of the answers makes the broker hold no more than its outbound budget and no copies of
// the message (answers are written from the mapped CommitLog); a healthy client is served
// meanwhile.
func TestUnreadPullsBounded(t *testing.T) {
	br, addr := startBroker(t, testConfig(t), nil)
	c := newTestClient(t, nil)
	big := bytes.Repeat([]byte{'p'}, 900<<10)
	wantCode(t, sendOne(t, c, addr, "BigT", 0, nil, big), protocol.Success)
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if br.ms.MaxOffset("BigT", 0) != 1 {
			return errNotYet
		}
		return nil
	})
	// One pull through the client, to check the zero-copy body.
	resp := call(t, c, addr, protocol.PullMessage, pullHeader("BigT", 0, 0, pullSubscription, "*"), nil)
	wantCode(t, resp, protocol.Success)
	if ms, err := message.DecodeStoredAll(resp.Body); err != nil || len(ms) != 1 || !bytes.Equal(ms[0].Body, big) {
		t.Fatalf("pull answer: %d messages, %v", len(ms), err)
	}

	heap := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapInuse)
	}
	before := heap()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetReadBuffer(64 << 10)
	}
	ext := protocol.EncodeHeader(pullHeader("BigT", 0, 0, pullSubscription, "*"))
	var reqs []byte
	for i := range 200 {
		req := remoting.NewRequest(int16(protocol.PullMessage), ext, nil)
		req.Opaque = int32(i)
		if reqs, err = remoting.AppendFrame(reqs, req); err != nil {
			t.Fatal(err)
		}
	}
	go nc.Write(reqs)
	var peakOut, peakHeap int64
	for range 20 {
		time.Sleep(100 * time.Millisecond)
		for _, c := range br.server.Conns() {
			peakOut = max(peakOut, c.OutboundBytes())
		}
		peakHeap = max(peakHeap, heap()-before)
	}
	if peakOut == 0 {
		t.Fatal("no answer was queued: the attack did not happen")
	}
	if peakOut > remoting.DefaultConnOutboundBytes+1<<20 {
		t.Fatalf("outbound bytes peaked at %d MiB for one unread connection, budget %d MiB",
			peakOut>>20, remoting.DefaultConnOutboundBytes>>20)
	}
	if peakHeap > 48<<20 {
		t.Fatalf("heap grew %d MiB serving unread pulls of a 900 KB message", peakHeap>>20)
	}
	// A healthy client is served meanwhile.
	resp = call(t, c, addr, protocol.PullMessage, pullHeader("BigT", 0, 0, pullSubscription, "*"), nil)
	wantCode(t, resp, protocol.Success)
	// Once it goes away, everything it held is given back (the broker drops it by itself
	// when its write has been blocked for 30 s: remoting's TestOutboundBudget).
	nc.Close()
	checkFor(t, 30*time.Second, 10*time.Millisecond, func() error {
		if st := br.server.Stats(); st.Conns != 1 || st.OutboundBytes != 0 {
			return fmt.Errorf("stats %+v", st)
		}
		return nil
	})
}

// TestBrokerMaxConnections: maxConnections closes connections over the limit at accept.
func TestBrokerMaxConnections(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxConnections = 2
	br, addr := startBroker(t, cfg, nil)
	var conns []net.Conn
	for range 2 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		conns = append(conns, nc)
	}
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if n := br.server.Stats().Conns; n != 2 {
			return fmt.Errorf("%d conns", n)
		}
		return nil
	})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("third connection: %v, want EOF", err)
	}
	if n := br.server.Stats().RefusedConns; n != 1 {
		t.Fatalf("refused %d", n)
	}
}
