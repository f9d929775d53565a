package remoting

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sendMessageLike is a SEND_MESSAGE request as the Go client sends it (reference A.3): 14
// extFields and a 1 KiB body.
func sendMessageLike(st SerializeType) *Command {
	c := NewRequest(10, map[string]string{
		"batch": "false", "bname": "broker-a", "producerGroup": "capProducerGroup", "topic": "TopicTest",
		"queueId": "1", "reconsumeTimes": "0", "unitMode": "false", "maxReconsumeTimes": "0",
		"defaultTopic": "TBW102", "properties": "TAGS\x01TagA\x02KEYS\x01k1 k2\x02UNIQ_KEY\x01C000020255F6000000008aa6d3c80001\x02",
		"sysFlag": "0", "bornTimestamp": "1795817389403", "flag": "0", "defaultTopicQueueNums": "4",
	}, bytes.Repeat([]byte("m"), 1024))
	c.Opaque = 31
	c.Serialize = st
	return c
}

func BenchmarkEncode(b *testing.B) {
	for _, st := range []SerializeType{JSON, RocketMQ} {
		b.Run("serialize="+st.String(), func(b *testing.B) {
			c := sendMessageLike(st)
			buf, _ := AppendFrame(nil, c)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = AppendFrame(buf[:0], c)
			}
		})
	}
}

// loopReader serves the same bytes forever.
type loopReader struct {
	b   []byte
	off int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := copy(p, r.b[r.off:])
	r.off = (r.off + n) % len(r.b)
	return n, nil
}

// sendMessageV2Like is a SEND_MESSAGE_V2 request with the one-letter field names (a..n) the Go
// client sends by default.
func sendMessageV2Like(st SerializeType) *Command {
	c := NewRequest(310, map[string]string{
		"a": "capProducerGroup", "b": "TopicTest", "c": "TBW102", "d": "4", "e": "1", "f": "0",
		"g": "1795817389403", "h": "0", "i": "TAGS\x01TagA\x02KEYS\x01k1 k2\x02UNIQ_KEY\x01C000020255F6000000008aa6d3c80001\x02WAIT\x01true\x02",
		"j": "0", "k": "false", "l": "0", "m": "false", "n": "broker-a",
	}, bytes.Repeat([]byte("m"), 1024))
	c.Opaque = 31
	c.Serialize = st
	return c
}

// BenchmarkDecodeLent is BenchmarkDecode's pairs decode of an Inline route's request, whose
// body is lent from the read buffer instead of allocated (what the broker's sends get).
func BenchmarkDecodeLent(b *testing.B) {
	for _, st := range []SerializeType{JSON, RocketMQ} {
		b.Run("header=sendV2/serialize="+st.String(), func(b *testing.B) {
			benchDecode(b, sendMessageV2Like(st), true, true)
		})
	}
}

// BenchmarkDecode reads a SEND_MESSAGE frame (V1 names) and a SEND_MESSAGE_V2 frame (one-letter
// names) in both serialisations, as the read loop does: ext=map builds the ExtFields map,
// ext=pairs is a RawExt route's decode.
func BenchmarkDecode(b *testing.B) {
	for _, tc := range []struct {
		name string
		mk   func(SerializeType) *Command
	}{{"send", sendMessageLike}, {"sendV2", sendMessageV2Like}} {
		for _, st := range []SerializeType{JSON, RocketMQ} {
			for _, pairs := range []bool{false, true} {
				ext := "map"
				if pairs {
					ext = "pairs"
				}
				b.Run("header="+tc.name+"/serialize="+st.String()+"/ext="+ext, func(b *testing.B) {
					benchDecode(b, tc.mk(st), pairs, false)
				})
			}
		}
	}
}

func benchDecode(b *testing.B, c *Command, pairs, lent bool) {
	frame, _ := AppendFrame(nil, c)
	fr := NewFrameReader(bufio.NewReaderSize(&loopReader{b: frame}, 64<<10), 0)
	if pairs {
		fr.in.pairsFor = func(int16) bool { return true }
	}
	if lent {
		fr.in.lendFor = func(int16) bool { return true }
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fr.ReadFrame(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFrame(b *testing.B) {
	for _, st := range []SerializeType{JSON, RocketMQ} {
		b.Run("serialize="+st.String(), func(b *testing.B) {
			frame, _ := AppendFrame(nil, sendMessageLike(st))
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeFrame(frame[4:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRoundTrip: callers goroutines on one connection, one request in flight each,
// served on a worker pool (inline=false) or on the read goroutine (inline=true, Inline).
func BenchmarkRoundTrip(b *testing.B) {
	s := NewServer(ServerConfig{Logger: slog.New(slog.DiscardHandler)})
	answer := HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		resp := NewResponse(req, CodeSuccess, "")
		resp.ExtFields = map[string]string{"msgId": "7F00000100002A9F0000000000000000", "queueId": "1", "queueOffset": "0"}
		return resp
	})
	s.Handle(10, answer)
	s.Handle(310, answer, Inline())
	addr := startServer(b, s)
	// The callers share b.N requests, so b.Loop does not fit; rt/s is the figure to read.
	for _, tc := range []struct {
		callers int
		inline  bool
	}{{1, false}, {16, false}, {1, true}, {16, true}} {
		callers, code := tc.callers, int16(10)
		if tc.inline {
			code = 310
		}
		b.Run(fmt.Sprintf("callers=%d/inline=%v", callers, tc.inline), func(b *testing.B) {
			cl := NewClient(ClientConfig{})
			defer cl.Close()
			ctx := context.Background()
			if _, err := cl.Conn(ctx, addr); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var (
				mu   sync.Mutex
				lats []time.Duration
			)
			var issued atomic.Int64
			more := func() bool { return issued.Add(1) <= int64(b.N) }
			b.ResetTimer()
			var wg sync.WaitGroup
			for range callers {
				wg.Go(func() {
					var local []time.Duration
					for more() {
						req := sendMessageLike(JSON)
						req.Code = code
						start := time.Now()
						resp, err := cl.InvokeSync(ctx, addr, req)
						if err != nil || resp.Code != CodeSuccess {
							b.Error(err)
							return
						}
						local = append(local, time.Since(start))
					}
					mu.Lock()
					lats = append(lats, local...)
					mu.Unlock()
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rt/s")
			if len(lats) > 0 {
				slices.Sort(lats)
				b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds()), "p99-µs")
			}
		})
	}
}

var _ io.Reader = (*loopReader)(nil)
