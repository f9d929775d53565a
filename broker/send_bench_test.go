package broker

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// BenchmarkSendLoopback measures the broker's send path over loopback: SEND_MESSAGE of
// 1 KiB bodies pipelined by one remoting.Client with up to 256 requests in flight (GoC is
// too slow to measure a broker, trap §7.35).
func BenchmarkSendLoopback(b *testing.B) {
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
