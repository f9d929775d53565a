package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"golang.org/x/sys/unix"

	"github.com/mq-project/mq/bench"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// startNullBroker serves the null broker on 127.0.0.1:0 until the test ends.
func startNullBroker(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newNullBroker(ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String()
}

// The null broker answers what `mq bench produce` needs: the route (nameserver role) and every
// send, sync and pipelined.
func TestNullBrokerServesMQBench(t *testing.T) {
	addr := startNullBroker(t)
	for _, sync := range []bool{true, false} {
		res, err := bench.Run(context.Background(), bench.Options{Mode: bench.ModeProduce, NameServers: []string{addr},
			Topic: "T", Group: "g", Producers: 2, Inflight: 16, Sync: sync, Size: 1024, Count: 2000})
		if err != nil {
			t.Fatal(err)
		}
		if res.Errors != 0 || res.Messages != 2000 {
			t.Fatalf("sync=%v: %d acknowledged, %d errors (%s); want 2000, 0", sync, res.Messages, res.Errors, res.FirstError)
		}
	}
}

// The official Go client sends to the null broker (route, heartbeat, SEND_MESSAGE_V2) and
// gets SEND_OK with the queue it chose.
func TestNullBrokerServesOfficialClient(t *testing.T) {
	rlog.SetLogLevel("error")
	addr := startNullBroker(t)
	p, err := rocketmq.NewProducer(producer.WithNameServer([]string{addr}), producer.WithGroupName("g"), producer.WithRetry(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Shutdown() }()
	seen := map[int]bool{}
	for range 8 {
		r, err := p.SendSync(context.Background(), primitive.NewMessage("T", []byte("hello")))
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != primitive.SendOK || r.MessageQueue == nil {
			t.Fatalf("send result %v", r)
		}
		seen[r.MessageQueue.QueueId] = true
	}
	if len(seen) != 4 {
		t.Fatalf("sends went to queues %v; want the route's 4 queues in turn", seen)
	}
}

func TestEvaluate(t *testing.T) {
	reps := []figures{
		{"sync.mq": 30, "sync.nats": 10, "peak.mq": 40, "peak.nats": 100, "idle.mq": 25, "gocsync.mq": 9, "gocsync.null": 10,
			"async.mq": 5},
		{"sync.mq": 10, "sync.nats": 10, "peak.mq": 60, "peak.nats": 100, "idle.mq": 10, "gocsync.mq": 8, "gocsync.null": 10},
		{"sync.mq": 20, "sync.nats": 10, "peak.mq": 50, "peak.nats": 100, "idle.mq": 15, "gocsync.mq": 10, "gocsync.null": 10},
	}
	rows := map[string]Row{}
	for _, r := range evaluate(reps) {
		rows[r.Key] = r
	}
	cases := []struct {
		key           string
		mq            float64
		ratio         float64
		pass, skipped bool
	}{
		{"sync", 20, 2, true, false},     // median ratio 2 ≥ 1.5
		{"peak", 50, 0.5, true, false},   // 0.5 ≤ 0.5
		{"idle", 15, 0, true, false},     // 15 ≤ 20 MiB (absolute; no ratio without NATS figures)
		{"gocsync", 9, 0.9, true, false}, // 0.9 ≥ 0.9
		{"async", 0, 0, false, false},    // mq measured in one repeat, NATS never: fails
		{"ready", 0, 0, false, true},     // not measured at all (--only): skipped
		{"syncflush", 0, 0, false, true},
	}
	for _, c := range cases {
		r := rows[c.key]
		if r.MQ != c.mq || r.Ratio != c.ratio || r.Pass != c.pass || r.Skipped != c.skipped {
			t.Errorf("%s: mq %v ratio %v pass %v skipped %v; want %v %v %v %v", c.key, r.MQ, r.Ratio, r.Pass, r.Skipped,
				c.mq, c.ratio, c.pass, c.skipped)
		}
	}
	var b strings.Builder
	failed := printTable(&b, &runOptions{dur: time.Second, backlog: 10, natsConsume: natsOrdered}, evaluate(reps), reps, time.Second)
	if failed != 1 || !strings.Contains(b.String(), "4 passed, 1 failed (5 skipped)") {
		t.Fatalf("failed %d (want 1); table:\n%s", failed, b.String())
	}
}

func TestOutOfReach(t *testing.T) {
	reps := []figures{
		{"sync.nats": 25000, "sync.null": 28000, "async.nats": 60000, "async.null": 120000},
		{"sync.nats": 26000, "sync.null": 29000, "async.nats": 70000, "async.null": 110000},
	}
	got := outOfReach(reps)
	if len(got) != 1 {
		t.Fatalf("got %q, want one line (sync only: 1.5 × 25,500 > 28,500; async 1.6 × 65,000 = 104,000 < 115,000)", got)
	}
	want := "Out of reach in this run: the sync target needs 38,250 msgs/s (1.5 × NATS), above the load generator's own ceiling of 28,500 (1.12 × NATS)."
	if got[0] != want {
		t.Fatalf("got  %q\nwant %q", got[0], want)
	}
	if l := outOfReach([]figures{{"sync.nats": 10}}); len(l) != 0 {
		t.Fatalf("without a ceiling: %q", l)
	}
}

// TestCPUFloor: the null broker's CPU at mq's phases, the drain free, against NATS's figure,
// then with the first touch of mq's store pages.
func TestCPUFloor(t *testing.T) {
	rep := figures{"syncmsgs.mq": 600_000, "asyncmsgs.mq": 2_000_000, "fillmsgs.mq": 0, "drained.mq": 2_000_000,
		"syncserver.null": 12, "asyncserver.null": 3, "cpu.nats": 6}
	// (12 × 0.6M + 3 × 2M) / 4.6M = 13.2M / 4.6M = 2.87 µs/msg, 0.478 × NATS: under 0.5.
	got := cpuFloor([]figures{rep})
	want := "Floor of the server CPU row: the null broker (mq's remoting path, nothing stored) used 12.0 µs/msg sync " +
		"and 3.0 async; at mq's phases, the drain counted free, that is 2.87 µs/msg, 0.478 × NATS (target 0.5 ×); " +
		"no store work in either."
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	// 2.6M messages filled 832,000 pages (1,310.7 B/msg) at 2 µs a page: + 1.664M µs / 4.6M = +0.362.
	rep["pages.mq"], rep["touchus"] = 832_000, 2
	got = cpuFloor([]figures{rep})
	want = "Out of reach in this run: the server CPU row's floor: the null broker (mq's remoting path, nothing stored) " +
		"used 12.0 µs/msg sync and 3.0 async; at mq's phases, the drain counted free, that is 2.87 µs/msg, 0.478 × NATS " +
		"(target 0.5 ×); with the first touch of the page-cache pages mq's store filled (1311 B/msg stored, 2.00 µs a " +
		"4 KiB page): 3.23 µs/msg, 0.539 × NATS; no store work in either."
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	rep["fillmsgs.mq"] = 400_000 // the fill counts at the async cost: (14.4M + 1.664M) / 5M = 3.21
	rep["cpu.nats"] = 8          // 0.402 ×
	if got := cpuFloor([]figures{rep}); !strings.HasPrefix(got, "Floor of the server CPU row") ||
		!strings.Contains(got, "3.21 µs/msg, 0.402 × NATS") {
		t.Fatalf("got %q", got)
	}
	if got := cpuFloor([]figures{{"cpu.nats": 6}}); got != "" {
		t.Fatalf("without the null broker's CPU: %q", got)
	}
	rep["cpu.nats"] = 5
	if l := outOfReach([]figures{rep}); len(l) != 1 || !strings.HasPrefix(l[0], "Out of reach in this run: the server CPU row") {
		t.Fatalf("outOfReach: %q", l)
	}
}

// TestPageCacheProbes: residentPages counts what a file filled (and not its holes);
// firstTouchUs measures a positive cost.
func TestPageCacheProbes(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "sub", "x"))
	if err != nil {
		t.Fatal(err)
	}
	// 10 pages written, at the start and far into a 64 MiB sparse file.
	if _, err := f.Write(make([]byte, 6*4096)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{1}, 4*4096), 60<<20); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(64 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	pages, size, err := residentPages(dir)
	if err != nil || pages != 10 || size != 64<<20 {
		t.Fatalf("resident %d pages of %d bytes (%v), want 10 of 64 MiB", pages, size, err)
	}
	us, err := firstTouchUs(dir, 4<<20)
	if errors.Is(err, unix.EINVAL) {
		t.Skip("no MADV_POPULATE_WRITE (Linux 5.14)")
	}
	if err != nil || us <= 0 {
		t.Fatalf("first touch %.3f µs (%v)", us, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Fatalf("the probe left files: %v", left)
	}
}

// TestNullBrokerSendsTakeRawExt: the null broker's sends reach their handler as mq's broker's
// do, with their extFields as pairs and no map built (the map cost the null broker about 40%
// of its CPU a pipelined send, so the ceiling and the CPU floor were mq's remoting path plus
// work mq's broker does not do).
func TestNullBrokerSendsTakeRawExt(t *testing.T) {
	srv := remoting.NewServer(remoting.ServerConfig{IdleTimeout: -1})
	type seen struct {
		noMap bool
		topic string
	}
	got := make(chan seen, 4)
	handleSends(srv, remoting.HandlerFunc(func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
		got <- seen{req.ExtFields == nil, req.Ext("b")}
		return remoting.NewResponse(req, int16(protocol.Success), "")
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}()
	c := remoting.NewClient(remoting.ClientConfig{})
	defer c.Close()
	for _, code := range []protocol.RequestCode{protocol.SendMessage, protocol.SendMessageV2} {
		req := remoting.NewRequest(int16(code), map[string]string{"a": "g", "b": "T", "e": "1"}, []byte("body"))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := c.InvokeSync(ctx, ln.Addr().String(), req)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if s := <-got; !s.noMap || s.topic != "T" {
			t.Errorf("request %d reached its handler with a map %v, topic %q; want pairs and T", code, !s.noMap, s.topic)
		}
	}
}

// A send's answer carries the fields of a real broker's (mq's, pinned in broker's
// TestSendResponseMatchesMap, and Apache's): the official client parses as much per answer
// against the null broker as against either.
func TestNullBrokerAnswersLikeABroker(t *testing.T) {
	addr := startNullBroker(t)
	c := remoting.NewClient(remoting.ClientConfig{})
	defer c.Close()
	var last int64
	for _, ser := range []remoting.SerializeType{remoting.JSON, remoting.RocketMQ} {
		// A queue id as clients send it, and one a JSON header must escape (the answer is
		// then encoded from its pairs).
		for _, qid := range []string{"2", "q\"\\\x01"} {
			req := remoting.NewRequest(int16(protocol.SendMessageV2), nil, []byte("body"))
			req.Serialize = ser
			req.ExtFields = map[string]string{"a": "g", "b": "T", "e": qid}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			resp, err := c.InvokeSync(ctx, addr, req)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k := range resp.ExtFields {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if got, want := strings.Join(keys, ","), "MSG_REGION,TRACE_ON,msgId,queueId,queueOffset"; got != want {
				t.Fatalf("answer fields %s, want %s", got, want)
			}
			e := resp.ExtFields
			off, err := strconv.ParseInt(e["queueOffset"], 10, 64)
			if err != nil || off <= last || e["queueId"] != qid || e["MSG_REGION"] != "DefaultRegion" || e["TRACE_ON"] != "true" {
				t.Fatalf("serialize %d, queue %q: answer %v", ser, qid, e)
			}
			last = off
			host, phys, err := message.ParseOffsetMsgID(e["msgId"])
			if err != nil || host.Port() != 10911 || host.Addr().String() != "127.0.0.1" || phys != off*1100 {
				t.Fatalf("msgId %s: %v %d %v", e["msgId"], host, phys, err)
			}
		}
	}
}
