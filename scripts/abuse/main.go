// Command abuse attacks a running mq broker as a hostile client would, with a healthy
// producer and consumer alongside, and checks the broker's memory and the healthy client's
// latency and errors against stated bounds. scripts/abuse.sh starts `mq standalone` and runs
// it; see README "What a client can make the broker hold".
//
// Probes: connections that pull a 4 MB message many times and never read; QUERY_MESSAGE with
// maxNum 1e9; connections holding half of a 15 MiB frame; thousands of connections;
// UPDATE_BROKER_CONFIG with a huge continuation-line body; poison timer entries (a SEND to
// rmq_sys_wheel_timer due in 10^13 ms, an overflowing TIMER_DELAY_SEC).
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

type options struct {
	broker    string
	pid       int
	short     bool
	conns     int
	rssBound  int64 // bytes over baseline
	p99Bound  time.Duration
	holdPhase time.Duration
	probes    map[string]bool
}

func main() {
	var o options
	flag.StringVar(&o.broker, "broker", "127.0.0.1:10911", "broker address")
	flag.IntVar(&o.pid, "pid", 0, "broker process id (for its RSS)")
	flag.BoolVar(&o.short, "short", false, "short run (< 60 s)")
	flag.IntVar(&o.conns, "conns", 0, "connections for the many-connections probe (default 5000 short, 15000 full)")
	rss := flag.Int("rss-bound-mib", 256, "peak RSS over baseline allowed, MiB")
	flag.DurationVar(&o.p99Bound, "p99-bound", time.Second, "healthy p99 allowed")
	probes := flag.String("probes", "unread,query,partial,bomb,timer,conns", "probes to run, comma-separated")
	flag.Parse()
	o.probes = map[string]bool{}
	for _, p := range strings.Split(*probes, ",") {
		o.probes[strings.TrimSpace(p)] = true
	}
	o.rssBound = int64(*rss) << 20
	if o.conns == 0 {
		o.conns = 15000
		if o.short {
			o.conns = 5000
		}
	}
	o.holdPhase = 35 * time.Second // past the broker's 30 s write timeout
	if o.short {
		o.holdPhase = 12 * time.Second
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "abuse:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	ctx := context.Background()

	// Setup: a 4 MB message, 200 messages with one key, a healthy topic.
	big := make([]byte, 4<<20-4096)
	for i := range big {
		big[i] = byte('a' + i%26)
	}
	if err := send(ctx, cl, o.broker, "AbuseBig", 0, nil, big); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	for i := range 200 {
		if err := send(ctx, cl, o.broker, "AbuseQuery", 0, map[string]string{"KEYS": "dup"}, []byte("q"+strconv.Itoa(i))); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	if err := send(ctx, cl, o.broker, "Healthy", 0, nil, []byte("first")); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	time.Sleep(500 * time.Millisecond) // dispatch

	h := startHealthy(cl, o.broker)
	time.Sleep(2 * time.Second)
	base := procKB(o.pid, "VmRSS")
	fmt.Printf("baseline RSS %d MiB (healthy client running)\n", base>>10)
	var peakRSS atomic.Int64
	stopSampler := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			peakRSS.Store(max(peakRSS.Load(), procKB(o.pid, "VmRSS")))
			select {
			case <-stopSampler:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})

	// Phase 1: memory probes and config/timer poison, at once.
	start := time.Now()
	var wg sync.WaitGroup
	report := func(format string, args ...any) { fmt.Printf("  "+format+"\n", args...) }
	fmt.Println("phase 1: unread pulls, huge queries, partial frames, config bomb, poison timers")
	unreadConns, unreadPulls := 50, 700
	partialConns := 100
	bomb := 16<<20 - 4096
	if o.short {
		unreadConns, unreadPulls, bomb = 10, 200, 1<<20
	}
	probe := func(name string, fn func()) {
		if o.probes[name] {
			wg.Go(fn)
		}
	}
	probe("unread", func() {
		n := unreadPullsProbe(o.broker, unreadConns, unreadPulls, o.holdPhase)
		report("unread pulls: %d connections x %d pulls of a 4 MB message, %d closed by the broker", unreadConns, unreadPulls, n)
	})
	probe("query", func() {
		most, err := hugeQueryProbe(cl, o.broker, 10)
		report("huge query: maxNum=1e9 x 10 answered with at most %d messages (%v)", most, errText(err))
	})
	probe("partial", func() {
		n := partialFramesProbe(o.broker, partialConns, o.holdPhase)
		report("partial frames: %d connections x 4 MiB of a 15 MiB frame, %d closed by the broker", partialConns, n)
	})
	probe("bomb", func() {
		res := configBombProbe(o.broker, bomb)
		report("config bomb: UPDATE_BROKER_CONFIG with a %d KiB continuation body: %s", bomb>>10, res)
	})
	timerOK := make(chan string, 1)
	timerOK <- "not run"
	probe("timer", func() {
		<-timerOK
		timerOK <- poisonTimerProbe(cl, o.broker)
	})
	wg.Wait()
	fmt.Printf("RSS after phase 1: %d MiB (peak so far %d MiB)\n", procKB(o.pid, "VmRSS")>>10, peakRSS.Load()>>10)
	fmt.Printf("phase 1 took %v\n", time.Since(start).Round(time.Millisecond))

	// Phase 2: many connections.
	if o.probes["conns"] {
		start = time.Now()
		acc, ref := manyConnsProbe(o.broker, o.conns)
		fmt.Printf("phase 2: %d connections: %d held open, %d closed at accept (maxConnections) in %v\n",
			o.conns, acc, ref, time.Since(start).Round(time.Millisecond))
	}
	fmt.Printf("poison timers: %s\n", <-timerOK)

	time.Sleep(time.Second)
	close(stopSampler)
	sampler.Wait()
	hs := h.stop()
	hwm := procKB(o.pid, "VmHWM")
	peak := max(peakRSS.Load(), hwm)
	over := (peak - base) << 10
	fmt.Printf("broker RSS: baseline %d MiB, peak %d MiB (+%d MiB, bound +%d MiB)\n", base>>10, peak>>10, over>>20, o.rssBound>>20)
	fmt.Printf("healthy client: %d sends, %d pulls, %d errors, p50 %v, p99 %v, max %v (bound p99 %v, 0 errors)\n",
		hs.sends, hs.pulls, hs.errors, hs.p50, hs.p99, hs.max, o.p99Bound)
	for _, e := range hs.firstErrors {
		fmt.Printf("  healthy error: %s\n", e)
	}
	var fails []string
	if o.pid > 0 && over > o.rssBound {
		fails = append(fails, fmt.Sprintf("RSS grew %d MiB over baseline", over>>20))
	}
	if hs.p99 > o.p99Bound {
		fails = append(fails, fmt.Sprintf("healthy p99 %v", hs.p99))
	}
	if hs.errors > 0 {
		fails = append(fails, fmt.Sprintf("%d healthy errors", hs.errors))
	}
	if len(fails) > 0 {
		return errors.New("FAIL: " + strings.Join(fails, "; "))
	}
	fmt.Println("PASS")
	return nil
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// procKB reads a "Key: N kB" line of /proc/pid/status.
func procKB(pid int, key string) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func send(ctx context.Context, cl *remoting.Client, addr, topic string, qid int32, props map[string]string, body []byte) error {
	h := protocol.SendMessageRequestHeader{ProducerGroup: "abuse", Topic: topic, DefaultTopic: "TBW102",
		DefaultTopicQueueNums: 4, QueueID: qid, BornTimestamp: time.Now().UnixMilli(),
		Properties: message.EncodeProperties(props)}
	ext := map[string]string{}
	h.Encode(ext)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	resp, err := cl.InvokeSync(ctx, addr, remoting.NewRequest(int16(protocol.SendMessage), ext, body))
	if err != nil {
		return err
	}
	return resp.Err()
}

func pullReq(topic string, qid int32, off int64) *remoting.Command {
	h := &protocol.PullMessageRequestHeader{ConsumerGroup: "abuse-g", Topic: topic, QueueID: qid, QueueOffset: off,
		MaxMsgNums: 32, SysFlag: 0x4 /* subscription */, Subscription: "*", ExpressionType: "TAG"}
	return remoting.NewRequest(int16(protocol.PullMessage), protocol.EncodeHeader(h), nil)
}

// healthy sends 200 messages/s and pulls every 50 ms, timing each call.
type healthy struct {
	stopc chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	lat   []time.Duration
	errs  []string
	sends int
	pulls int
}

type healthyStats struct {
	sends, pulls, errors int
	p50, p99, max        time.Duration
	firstErrors          []string
}

func startHealthy(cl *remoting.Client, addr string) *healthy {
	h := &healthy{stopc: make(chan struct{})}
	body := make([]byte, 1024)
	record := func(d time.Duration, err error, send bool) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.lat = append(h.lat, d)
		if send {
			h.sends++
		} else {
			h.pulls++
		}
		if err != nil {
			h.errs = append(h.errs, err.Error())
		}
	}
	h.wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-h.stopc:
				return
			case <-t.C:
			}
			start := time.Now()
			err := send(context.Background(), cl, addr, "Healthy", 0, map[string]string{"TAGS": "h"}, body)
			record(time.Since(start), err, true)
		}
	})
	h.wg.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var off int64
		for {
			select {
			case <-h.stopc:
				return
			case <-t.C:
			}
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			resp, err := cl.InvokeSync(ctx, addr, pullReq("Healthy", 0, off))
			cancel()
			if err == nil {
				switch protocol.ResponseCode(resp.Code) {
				case protocol.Success, protocol.PullNotFound, protocol.PullRetryImmediately:
					var ph protocol.PullMessageResponseHeader
					ph.Decode(resp.ExtFields)
					off = ph.NextBeginOffset
				default:
					err = resp.Err()
				}
			}
			record(time.Since(start), err, false)
		}
	})
	return h
}

func (h *healthy) stop() healthyStats {
	close(h.stopc)
	h.wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	slices.Sort(h.lat)
	q := func(p float64) time.Duration {
		if len(h.lat) == 0 {
			return 0
		}
		return h.lat[min(len(h.lat)-1, int(p*float64(len(h.lat))))]
	}
	s := healthyStats{sends: h.sends, pulls: h.pulls, errors: len(h.errs), p50: q(0.50), p99: q(0.99)}
	if len(h.lat) > 0 {
		s.max = h.lat[len(h.lat)-1]
	}
	s.firstErrors = h.errs[:min(len(h.errs), 5)]
	return s
}

// closedByPeer polls until the broker has closed nc (FIN or RST received), reading none of
// what the broker sent, or until the deadline.
func closedByPeer(nc net.Conn, until time.Time) bool {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	for time.Now().Before(until) {
		var state uint8
		var serr error
		if err := raw.Control(func(fd uintptr) {
			var info *unix.TCPInfo
			info, serr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
			if serr == nil {
				state = info.State
			}
		}); err != nil || serr != nil {
			return true
		}
		switch state {
		case tcpCloseWait, tcpClose:
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

// Linux TCP states (include/net/tcp_states.h).
const (
	tcpClose     = 7
	tcpCloseWait = 8
)

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// unreadPullsProbe: conns connections each send pulls PULL_MESSAGE of the 4 MB message and
// never read; it returns how many the broker closed within hold.
func unreadPullsProbe(addr string, conns, pulls int, hold time.Duration) int {
	var frames []byte
	for i := range pulls {
		req := pullReq("AbuseBig", 0, 0)
		req.Opaque = int32(i + 1)
		frames, _ = remoting.AppendFrame(frames, req)
	}
	var closed atomic.Int32
	var wg sync.WaitGroup
	until := time.Now().Add(hold)
	for range conns {
		wg.Go(func() {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer nc.Close()
			if tc, ok := nc.(*net.TCPConn); ok {
				tc.SetReadBuffer(4 << 10)
			}
			go nc.Write(frames)
			if closedByPeer(nc, until) {
				closed.Add(1)
			}
		})
	}
	wg.Wait()
	return int(closed.Load())
}

// hugeQueryProbe sends n QUERY_MESSAGE with maxNum 1e9 for a key 200 messages carry and
// returns the most messages one answer held.
func hugeQueryProbe(cl *remoting.Client, addr string, n int) (int, error) {
	var mu sync.Mutex
	most := 0
	var firstErr error
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			h := &protocol.QueryMessageRequestHeader{Topic: "AbuseQuery", Key: "dup", MaxNum: 1_000_000_000,
				EndTimestamp: time.Now().Add(time.Hour).UnixMilli()}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			resp, err := cl.InvokeSync(ctx, addr, remoting.NewRequest(int16(protocol.QueryMessage), protocol.EncodeHeader(h), nil))
			got := 0
			if err == nil {
				if err = resp.Err(); err == nil {
					var ms []message.MessageExt
					ms, err = message.DecodeStoredAll(resp.Body)
					got = len(ms)
				}
			}
			mu.Lock()
			most = max(most, got)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return most, firstErr
}

// partialFramesProbe: conns connections each announce a 15 MiB frame, send 4 MiB of it and
// stop; it returns how many the broker closed within hold.
func partialFramesProbe(addr string, conns int, hold time.Duration) int {
	hdr := []byte(`{"code":10,"flag":0,"opaque":1,"language":"GO","version":479}`)
	head := make([]byte, 8, 8+len(hdr))
	binary.BigEndian.PutUint32(head, uint32(15<<20))
	binary.BigEndian.PutUint32(head[4:], uint32(len(hdr)))
	head = append(head, hdr...)
	chunk := make([]byte, 4<<20)
	var closed atomic.Int32
	var wg sync.WaitGroup
	until := time.Now().Add(hold)
	for range conns {
		wg.Go(func() {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer nc.Close()
			go func() {
				nc.SetWriteDeadline(until)
				if _, err := nc.Write(head); err == nil {
					nc.Write(chunk)
				}
			}()
			if closedByPeer(nc, until) {
				closed.Add(1)
			}
		})
	}
	wg.Wait()
	return int(closed.Load())
}

// configBombProbe sends UPDATE_BROKER_CONFIG whose body is one key continued over n bytes
// of backslash-newline lines, and reports what came back within 10 s.
func configBombProbe(addr string, n int) string {
	var b strings.Builder
	b.WriteString("abuseNoSuchKey=")
	for b.Len() < n {
		b.WriteString("x\\\n")
	}
	req := remoting.NewRequest(int16(protocol.UpdateBrokerConfig), map[string]string{}, []byte(b.String()))
	req.Opaque = 1
	frame, err := remoting.AppendFrame(nil, req)
	if err != nil {
		return err.Error()
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return err.Error()
	}
	defer nc.Close()
	start := time.Now()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write(frame); err != nil {
		return "write: " + err.Error()
	}
	resp, err := remoting.NewFrameReader(bufio.NewReader(nc), 0).ReadFrame()
	switch {
	case isTimeout(err):
		return "no answer within 10 s (the broker is still parsing it)"
	case errors.Is(err, io.EOF):
		return "connection closed"
	case err != nil:
		return err.Error()
	}
	return fmt.Sprintf("code %d %q in %v", resp.Code, trim(resp.Remark, 80), time.Since(start).Round(time.Millisecond))
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// poisonTimerProbe stores poison timer entries, then checks that a 1 s timer message is still
// delivered within 10 s.
func poisonTimerProbe(cl *remoting.Client, addr string) string {
	ctx := context.Background()
	var out []string
	err := send(ctx, cl, addr, "rmq_sys_wheel_timer", 0, map[string]string{
		"TIMER_OUT_MS": strconv.FormatInt(time.Now().UnixMilli()+1e13, 10), "REAL_TOPIC": "../../pwned", "REAL_QID": "5000"},
		[]byte("poison"))
	out = append(out, "direct send to rmq_sys_wheel_timer: "+errText(err))
	err = send(ctx, cl, addr, "AbuseTimer", 0, map[string]string{"TIMER_DELAY_SEC": "9000000000000000000"}, []byte("overflow"))
	out = append(out, "TIMER_DELAY_SEC=9e18: "+errText(err))
	if err := send(ctx, cl, addr, "AbuseTimerOK", 0, map[string]string{"TIMER_DELAY_SEC": "1"}, []byte("on time")); err != nil {
		return strings.Join(append(out, "1 s timer send: "+err.Error()), "; ")
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		resp, err := cl.InvokeSync(ctx, addr, pullReq("AbuseTimerOK", 0, 0))
		cancel()
		if err == nil && protocol.ResponseCode(resp.Code) == protocol.Success {
			return strings.Join(append(out, "a 1 s timer message was delivered after them"), "; ")
		}
		time.Sleep(250 * time.Millisecond)
	}
	return strings.Join(append(out, "a 1 s timer message was NOT delivered within 10 s"), "; ")
}

// manyConnsProbe opens n idle connections and returns how many stayed open and how many the
// broker closed at once.
func manyConnsProbe(addr string, n int) (accepted, refused int) {
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var mu sync.Mutex
	var dials sync.WaitGroup
	dialSem := make(chan struct{}, 64)
	for range n {
		dialSem <- struct{}{}
		dials.Go(func() {
			defer func() { <-dialSem }()
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				refused++
				return
			}
			conns = append(conns, c)
		})
	}
	dials.Wait()
	var acc, ref atomic.Int32
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8192)
	for _, c := range conns {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
			var b [1]byte
			if _, err := c.Read(b[:]); err != nil && !isTimeout(err) {
				ref.Add(1)
			} else {
				acc.Add(1)
			}
		})
	}
	wg.Wait()
	return int(acc.Load()), refused + int(ref.Load())
}
