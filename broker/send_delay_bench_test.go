package broker

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// BenchmarkSendDelayed compares the send path of plain, delay-level (DELAY=18, parked in
// SCHEDULE_TOPIC_XXXX) and timer (TIMER_DELIVER_MS one hour ahead, parked in
// rmq_sys_wheel_timer and indexed by the wheel) messages: 1 KiB bodies pipelined over
// loopback, 256 in flight.
func BenchmarkSendDelayed(b *testing.B) {
	for _, kind := range []string{"plain", "delayLevel", "timer"} {
		b.Run("kind="+kind, func(b *testing.B) {
			cfg := testConfig(b)
			cfg.MappedFileSizeCommitLog = 256 << 20
			br, addr := startBroker(b, cfg, func(br *Broker) { br.log = slog.New(slog.NewTextHandler(io.Discard, nil)) })
			if err := br.Topics().Update(protocol.NewTopicConfig("BenchDelay")); err != nil {
				b.Fatal(err)
			}
			props := map[string]string{"UNIQ_KEY": "0A0000010000000000000000000000AB"}
			switch kind {
			case "delayLevel":
				props["DELAY"] = "18"
			case "timer":
				props["TIMER_DELIVER_MS"] = strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
			}
			c := remoting.NewClient(remoting.ClientConfig{})
			defer c.Close()
			h := protocol.SendMessageRequestHeader{ProducerGroup: "bench", Topic: "BenchDelay", DefaultTopic: "TBW102",
				DefaultTopicQueueNums: 4, BornTimestamp: time.Now().UnixMilli(), Properties: message.EncodeProperties(props)}
			body := make([]byte, 1024)
			sem := make(chan struct{}, 256)
			var wg sync.WaitGroup
			var failed sync.Once
			n := 0
			start := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				h.QueueID = int32(n % 4)
				n++
				ext := make(map[string]string, 16)
				h.Encode(ext)
				sem <- struct{}{}
				wg.Add(1)
				err := c.InvokeAsync(context.Background(), addr, remoting.NewRequest(int16(protocol.SendMessage), ext, body),
					func(resp *remoting.Command, err error) {
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
		})
	}
}
