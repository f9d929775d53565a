package broker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

// BenchmarkSendLoopback measures the broker's send path over loopback: SEND_MESSAGE of
// 1 KiB bodies pipelined by one remoting.Client with up to 256 requests in flight (GoC is
// too slow to measure a broker, trap §7.35).
func BenchmarkSendLoopback(b *testing.B) {
	forInline(b, benchmarkSendLoopback)
}

// forInline runs bench with the sends served on the read goroutine (inline=true, the
// default) and on the send pool (inline=false).
func forInline(b *testing.B, bench func(*testing.B)) {
	for _, inline := range []bool{true, false} {
		b.Run(fmt.Sprintf("inline=%v", inline), func(b *testing.B) {
			defer func(was bool) { inlineSends = was }(inlineSends)
			inlineSends = inline
			bench(b)
		})
	}
}

func benchmarkSendLoopback(b *testing.B) {
	cfg := testConfig(b)
	cfg.MappedFileSizeCommitLog = 256 << 20
	br, addr := startBroker(b, cfg, func(br *Broker) { br.log = slog.New(slog.NewTextHandler(io.Discard, nil)) })
	tc := protocol.NewTopicConfig("BenchSend")
	if err := br.Topics().Update(tc); err != nil {
		b.Fatal(err)
	}
	c := remoting.NewClient(remoting.ClientConfig{})
	defer c.Close()
	h := protocol.SendMessageRequestHeader{ProducerGroup: "bench", Topic: "BenchSend", DefaultTopic: "TBW102",
		DefaultTopicQueueNums: 4, QueueID: 0, BornTimestamp: time.Now().UnixMilli(),
		Properties: message.EncodeProperties(map[string]string{"UNIQ_KEY": "0A0000010000000000000000000000AB"})}
	body := make([]byte, 1024)
	const window = 256
	sem := make(chan struct{}, window)
	var wg sync.WaitGroup
	var failed sync.Once
	ctx := context.Background()
	var n int
	start := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		h.QueueID = int32(n % 8)
		n++
		ext := make(map[string]string, 16)
		h.Encode(ext)
		sem <- struct{}{}
		wg.Add(1)
		err := c.InvokeAsync(ctx, addr, remoting.NewRequest(int16(protocol.SendMessage), ext, body), func(resp *remoting.Command, err error) {
			defer wg.Done()
			<-sem
			if err != nil || resp.Code != 0 {
				failed.Do(func() { b.Errorf("send: %v %+v", err, resp) })
			}
		})
		if err != nil {
			wg.Done()
			<-sem
			b.Fatal(err)
		}
	}
	wg.Wait()
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkSendSync measures the sync produce shape of issue 15: 16 connections with one
// SEND_MESSAGE_V2 (the short field names the Go client sends) of 1 KiB in flight each; the
// callers share b.N sends. msgs/s and allocs/op (client and broker together) are the figures.
func BenchmarkSendSync(b *testing.B) {
	forInline(b, benchmarkSendSync)
}

func benchmarkSendSync(b *testing.B) {
	cfg := testConfig(b)
	cfg.MappedFileSizeCommitLog = 256 << 20
	br, addr := startBroker(b, cfg, func(br *Broker) { br.log = slog.New(slog.NewTextHandler(io.Discard, nil)) })
	if err := br.Topics().Update(protocol.NewTopicConfig("BenchSend")); err != nil {
		b.Fatal(err)
	}
	const conns = 16
	clients := make([]*remoting.Client, conns)
	for i := range clients {
		clients[i] = remoting.NewClient(remoting.ClientConfig{})
		defer clients[i].Close()
	}
	body := make([]byte, 1024)
	ctx := context.Background()
	var issued atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			h := protocol.SendMessageRequestHeader{ProducerGroup: "bench", Topic: "BenchSend", DefaultTopic: "TBW102",
				DefaultTopicQueueNums: 4, QueueID: int32(i % 4), BornTimestamp: time.Now().UnixMilli(),
				Properties: message.EncodeProperties(map[string]string{"UNIQ_KEY": fmt.Sprintf("0A00000100000000000000000000%04X", i)})}
			for issued.Add(1) <= int64(b.N) {
				ext := make(map[string]string, 16)
				(*protocol.SendMessageRequestHeaderV2)(&h).Encode(ext)
				resp, err := c.InvokeSync(ctx, addr, remoting.NewRequest(int16(protocol.SendMessageV2), ext, body))
				if err != nil || resp.Code != 0 {
					b.Errorf("send: %v %+v", err, resp)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSendResponse builds a send's answer and writes its frame: path=pairs is
// newSendResponse (a string per value, each escaped on the way out), path=json
// newSendResponseJSON (one string, written as it is), which JSON requests get.
func BenchmarkSendResponse(b *testing.B) {
	host := netip.MustParseAddrPort("127.0.0.1:10911")
	req := remoting.NewRequest(int16(protocol.SendMessageV2), nil, nil)
	req.Opaque = 77
	res := store.AppendResult{PhysicalOffset: 1 << 30, QueueOffset: 123456}
	const txID = "7F0000012A9F18B4AAC2653B5B4C0001"
	var buf []byte
	b.Run("path=pairs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rh := protocol.SendMessageResponseHeader{MsgID: message.OffsetMsgID(host, res.PhysicalOffset), QueueID: 3,
				QueueOffset: res.QueueOffset, TransactionID: txID, MsgRegion: "DefaultRegion", TraceOn: "true"}
			buf, _ = remoting.AppendFrame(buf[:0], newSendResponse(req, protocol.Success, &rh))
		}
	})
	b.Run("path=json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := newSendResponseJSON(req, protocol.Success, host, res, 3, txID, "DefaultRegion", true)
			buf, _ = remoting.AppendFrame(buf[:0], r)
		}
	})
}

// BenchmarkSendBatch measures SEND_BATCH_MESSAGE of 32 × 1 KiB members, each with the
// properties the official client writes, over loopback, one batch in flight: path=plain builds
// the members' stored properties without a map (batchPropertiesPlain), path=map decodes each
// into a map (the general path). ns/op is per batch.
func BenchmarkSendBatch(b *testing.B) {
	for _, plain := range []bool{true, false} {
		name := map[bool]string{true: "path=plain", false: "path=map"}[plain]
		b.Run(name, func(b *testing.B) {
			defer func(was bool) { plainSends = was }(plainSends)
			plainSends = plain
			cfg := testConfig(b)
			cfg.MappedFileSizeCommitLog = 256 << 20
			br, addr := startBroker(b, cfg, func(br *Broker) { br.log = slog.New(slog.NewTextHandler(io.Discard, nil)) })
			if err := br.Topics().Update(protocol.NewTopicConfig("BenchBatch")); err != nil {
				b.Fatal(err)
			}
			c := remoting.NewClient(remoting.ClientConfig{})
			defer c.Close()
			const members = 32
			var batch []message.Message
			for i := range members {
				batch = append(batch, message.Message{Topic: "BenchBatch", Body: make([]byte, 1024), Properties: map[string]string{
					"UNIQ_KEY": fmt.Sprintf("0A0000010000000000000000000000%02X", i), "WAIT": "true", "TAGS": "TagA"}})
			}
			body, err := message.AppendBatch(nil, batch)
			if err != nil {
				b.Fatal(err)
			}
			h := protocol.SendMessageRequestHeader{ProducerGroup: "bench", Topic: "BenchBatch", QueueID: 0,
				BornTimestamp: time.Now().UnixMilli(), Batch: true}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				ext := protocol.EncodeHeader((*protocol.SendMessageRequestHeaderV2)(&h))
				resp, err := c.InvokeSync(ctx, addr, remoting.NewRequest(int16(protocol.SendBatchMessage), ext, body))
				if err != nil || resp.Code != 0 {
					b.Fatalf("batch: %v %+v", err, resp)
				}
			}
			b.ReportMetric(float64(b.N*members)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
