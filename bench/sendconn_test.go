package bench

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// sendAnswer is the frame of a SUCCESS answer to a send with opaque, its extFields as the
// broker writes them.
func sendAnswer(t testing.TB, opaque int32, code protocol.ResponseCode) []byte {
	t.Helper()
	h := protocol.SendMessageResponseHeader{MsgID: "7F00000100002A9F0000000000001234", QueueID: 3, QueueOffset: 123456,
		MsgRegion: "DefaultRegion", TraceOn: "true"}
	ext := map[string]string{}
	h.Encode(ext)
	b, err := remoting.AppendFrame(nil, &remoting.Command{Code: int16(code), Flag: remoting.FlagResponse,
		Language: remoting.Java, Version: remoting.Version, Opaque: opaque, ExtFields: ext})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeSendBroker accepts connections on 127.0.0.1 and hands each SEND_MESSAGE_V2 request it
// reads to answer, which returns the code to answer with, or ok=false to drop the
// connection. Answers are held while more requests are buffered and then written in the
// reverse order, so that a pipelined sender sees them out of order.
func fakeSendBroker(t *testing.T, answer func(req *remoting.Command) (code protocol.ResponseCode, ok bool)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				br := bufio.NewReader(c)
				fr := remoting.NewFrameReader(br, 0)
				var held [][]byte
				for {
					req, err := fr.ReadFrame()
					if err != nil {
						return
					}
					code, ok := answer(req)
					if !ok {
						return
					}
					held = append(held, sendAnswer(t, req.Opaque, code))
					if br.Buffered() > 0 {
						continue
					}
					slices.Reverse(held)
					if _, err := c.Write(bytes.Join(held, nil)); err != nil {
						return
					}
					held = held[:0]
				}
			})
		}
	})
	return ln.Addr().String()
}

// runSendConn runs one lean producer against addr until count sends or ctx ends.
// It returns the run's stats and the number of sends made.
func runSendConn(t *testing.T, ctx context.Context, o *Options, addr string, keys *keyLog) (*stats, int64) {
	t.Helper()
	o.Mode, o.NameServers, o.Topic, o.Group = ModeProduce, []string{"unused:1"}, "T", "g"
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	targets := []admin.WriteQueue{{Addr: addr, BrokerName: "b", QueueID: 0}, {Addr: addr, BrokerName: "b", QueueID: 1},
		{Addr: addr, BrokerName: "b", QueueID: 2}}
	if !leanProduce(o, targets) {
		t.Fatal("not the lean path")
	}
	s := newStats()
	runCtx, stop := runContext(ctx, o)
	defer stop()
	reqCtx, reqCancel := graceContext(ctx, runCtx, func() {})
	defer reqCancel()
	var sent atomic.Int64
	c := newSendConn(o, 0, s, keys, targets, []byte("body"), map[string]string{}, &sent, stop)
	c.run(runCtx, reqCtx)
	return s, sent.Load()
}

// TestSendConnPipelined checks the lean producer against a broker that answers pipelined
// requests out of order and refuses every 7th: each request is its own SEND_MESSAGE_V2 with
// its own UNIQ_KEY, round robin over the queues; each answer is matched to its request by
// opaque, so the keys file holds exactly the UNIQ_KEYs the broker acknowledged, and the
// refused sends are counted as errors, not messages.
func TestSendConnPipelined(t *testing.T) {
	var mu sync.Mutex
	var acked, refused []string
	var queues []string
	n := 0
	addr := fakeSendBroker(t, func(req *remoting.Command) (protocol.ResponseCode, bool) {
		var h protocol.SendMessageRequestHeaderV2
		if err := h.Decode(req.ExtFields); err != nil || req.Code != int16(protocol.SendMessageV2) || string(req.Body) != "body" {
			t.Errorf("request %+v: %v", req, err)
			return 0, false
		}
		props := message.DecodePropertiesString(h.Properties, 0)
		uniq := props[message.PropertyUniqClientMessageIDKeyIndex]
		if born := time.UnixMilli(h.BornTimestamp); time.Since(born) > time.Minute || time.Since(born) < 0 {
			t.Errorf("born timestamp %d", h.BornTimestamp)
		}
		mu.Lock()
		defer mu.Unlock()
		n++
		queues = append(queues, strconv.Itoa(int(h.QueueID)))
		if n%7 == 0 {
			refused = append(refused, uniq)
			return protocol.SystemError, true
		}
		acked = append(acked, uniq)
		return protocol.Success, true
	})
	path := filepath.Join(t.TempDir(), "keys")
	keys, err := openKeyLog(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, _ := runSendConn(t, ctx, &Options{Inflight: 32, Count: 700, Duration: time.Minute}, addr, keys)
	if err := keys.close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if n != 700 || s.msgs.Load() != int64(len(acked)) || s.errs.Load() != int64(len(refused)) || len(refused) != 100 {
		t.Fatalf("broker saw %d requests (%d refused); run counted %d messages, %d errors", n, len(refused), s.msgs.Load(), s.errs.Load())
	}
	if s.hist.TotalCount() != s.msgs.Load() {
		t.Fatalf("%d latencies for %d messages", s.hist.TotalCount(), s.msgs.Load())
	}
	for i, q := range queues {
		if q != strconv.Itoa(i%3) {
			t.Fatalf("request %d went to queue %s, want %d (round robin)", i, q, i%3)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(b))
	slices.Sort(got)
	slices.Sort(acked)
	if !slices.Equal(got, acked) || len(slices.Compact(slices.Clone(acked))) != len(acked) {
		t.Fatalf("keys file holds %d keys, the broker acknowledged %d distinct ones; differ: %v", len(got), len(acked), !slices.Equal(got, acked))
	}
	if e := s.firstErr.Load(); e == nil || !strings.Contains(*e, "response code 1") {
		t.Fatalf("first error %v, want the refusal's code", e)
	}
}

// TestSendConnDropped checks that a broker dropping the connection after a few requests
// fails the sends in flight (each counted as one error), that the producer dials again while the
// run lasts, and that the run ends at its duration without hanging.
func TestSendConnDropped(t *testing.T) {
	var reqs atomic.Int64
	addr := fakeSendBroker(t, func(*remoting.Command) (protocol.ResponseCode, bool) {
		return protocol.Success, reqs.Add(1)%3 != 0 // every third request drops the connection
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	s, sent := runSendConn(t, ctx, &Options{Inflight: 8, Duration: 300 * time.Millisecond}, addr, nil)
	if el := time.Since(start); el > 5*time.Second || ctx.Err() != nil {
		t.Fatalf("run took %v", el)
	}
	if s.errs.Load() == 0 || reqs.Load() < 6 {
		t.Fatalf("%d errors, %d requests, %d messages: want errors and a dial again", s.errs.Load(), reqs.Load(), s.msgs.Load())
	}
	if s.msgs.Load()+s.errs.Load() != sent { // each send ends once: answered or failed with its connection
		t.Fatalf("%d messages + %d errors for %d sends", s.msgs.Load(), s.errs.Load(), sent)
	}
}

// TestSendConnRunEndedIsNoError: a dial cut short because the run ended (the last redial of
// TestSendConnDropped could race the run's end) sends nothing and counts no error; each error
// is a send that failed or a failure while the run goes on.
func TestSendConnRunEndedIsNoError(t *testing.T) {
	addr := fakeSendBroker(t, func(*remoting.Command) (protocol.ResponseCode, bool) { return protocol.Success, true })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, sent := runSendConn(t, ctx, &Options{Inflight: 8, Duration: time.Second}, addr, nil)
	if s.errs.Load() != 0 || s.msgs.Load() != 0 || sent != 0 {
		t.Fatalf("%d errors, %d messages, %d sends after the run ended; want none", s.errs.Load(), s.msgs.Load(), sent)
	}
}

// TestSendConnGrace checks that a broker that never answers holds the run only for the
// request grace after its end: the sends in flight then fail and the run returns.
func TestSendConnGrace(t *testing.T) {
	old := requestGrace
	requestGrace = 100 * time.Millisecond
	t.Cleanup(func() { requestGrace = old })
	var reqs atomic.Int64
	block := make(chan struct{})
	addr := fakeSendBroker(t, func(*remoting.Command) (protocol.ResponseCode, bool) {
		if reqs.Add(1) == 5 {
			<-block // the fifth request is never answered, nor anything after it
			return 0, false
		}
		return protocol.Success, true
	})
	t.Cleanup(func() { close(block) }) // before fakeSendBroker's cleanup waits for its handlers
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	s, _ := runSendConn(t, ctx, &Options{Inflight: 4, Duration: 200 * time.Millisecond}, addr, nil)
	if el := time.Since(start); el > 5*time.Second || ctx.Err() != nil {
		t.Fatalf("run took %v", el)
	}
	if s.msgs.Load() != 4 || s.errs.Load() != 4 {
		t.Fatalf("%d messages, %d errors; want 4 answered and 4 failed at the grace's end", s.msgs.Load(), s.errs.Load())
	}
}

// BenchmarkSendAnswer measures what a producer spends on one SEND_MESSAGE_V2 answer once
// its bytes are in memory: read=inplace is the lean path (frameReader, remoting.FrameDecoder
// with SkipExt, the code checked), read=FrameReader the remoting client's (a Command and an extFields map
// per answer).
func BenchmarkSendAnswer(b *testing.B) {
	frame := sendAnswer(b, 7, protocol.Success)
	stream := bytes.Repeat(frame, 256)
	run := func(b *testing.B, read func() (*remoting.Command, error)) {
		b.ReportAllocs()
		for b.Loop() {
			c, err := read()
			if err != nil {
				b.Fatal(err)
			}
			if c.Err() != nil || c.Opaque != 7 {
				b.Fatal(c.Err(), c.Opaque)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/msg")
	}
	b.Run("read=inplace", func(b *testing.B) {
		var f frameReader
		d := remoting.FrameDecoder{SkipExt: true}
		var c remoting.Command
		r := bytes.NewReader(stream)
		f.reset(r, false)
		run(b, func() (*remoting.Command, error) {
			fr, err := f.next()
			if err == io.EOF {
				r.Reset(stream)
				f.reset(r, false)
				fr, err = f.next()
			}
			if err != nil {
				return nil, err
			}
			return &c, d.Decode(fr, &c)
		})
	})
	b.Run("read=FrameReader", func(b *testing.B) {
		r := bytes.NewReader(stream)
		fr := remoting.NewFrameReader(bufio.NewReaderSize(r, 16<<10), 0)
		run(b, func() (*remoting.Command, error) {
			c, err := fr.ReadFrame()
			if err == io.EOF {
				r.Reset(stream)
				fr = remoting.NewFrameReader(bufio.NewReaderSize(r, 16<<10), 0)
				c, err = fr.ReadFrame()
			}
			return c, err
		})
	})
}

// TestLeanProduce pins which runs take the lean path: plain and delayed sends to one broker;
// transactions, ACL-signed runs and topics on several brokers take remoting.Client.
func TestLeanProduce(t *testing.T) {
	one := []admin.WriteQueue{{Addr: "127.0.0.1:1", QueueID: 0}, {Addr: "127.0.0.1:1", QueueID: 1}}
	two := append(slices.Clone(one), admin.WriteQueue{Addr: "127.0.0.1:2", QueueID: 0})
	for _, c := range []struct {
		name    string
		o       Options
		targets []admin.WriteQueue
		want    bool
	}{
		{"plain", Options{}, one, true},
		{"sync", Options{Sync: true}, one, true},
		{"delay", Options{DelayLevel: 3}, one, true},
		{"transaction", Options{Transaction: true}, one, false},
		{"signed", Options{Credentials: &remoting.Credentials{AccessKey: "ak", SecretKey: "sk"}}, one, false},
		{"two brokers", Options{}, two, false},
	} {
		if got := leanProduce(&c.o, c.targets); got != c.want {
			t.Errorf("%s: lean %v, want %v", c.name, got, c.want)
		}
	}
}
