package broker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

// BenchmarkPullMessage measures the pull handler in process (no network): PULL_MESSAGE of
// 32 stored 1 KiB messages from a backlog, the response built with its body slices of the
// mapped CommitLog, then released as the write loop would. filter=tag subscribes to one of
// two tags (half the entries are skipped by tags code, the other half re-checked).
func BenchmarkPullMessage(b *testing.B) {
	const n = 8192
	cfg := testConfig(b)
	cfg.MappedFileSizeCommitLog = 64 << 20
	br, _ := startBroker(b, cfg, func(br *Broker) { br.log = slog.New(slog.NewTextHandler(io.Discard, nil)) })
	if err := br.Topics().Update(protocol.NewTopicConfig("BenchPull")); err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 1024)
	for i := range n {
		m := &message.MessageExt{Message: message.Message{Topic: "BenchPull", Body: body,
			Properties: map[string]string{message.PropertyTags: "tag" + strconv.Itoa(i%2)}}, QueueID: 0}
		if _, err := br.ms.Append(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
	waitDispatched(b, br.ms, n)
	for _, bc := range []struct{ name, sub string }{{"filter=none", "*"}, {"filter=tag", "tag1"}} {
		b.Run(bc.name, func(b *testing.B) {
			h := protocol.PullMessageRequestHeader{ConsumerGroup: "benchGroup", Topic: "BenchPull", MaxMsgNums: 32,
				SysFlag: pullSubscription, Subscription: bc.sub, ExpressionType: "TAG"}
			ext := make(map[string]string, 16)
			h.Encode(ext)
			req := remoting.NewRequest(int16(protocol.PullMessage), ext, nil)
			var bytes, off int64
			b.ReportAllocs()
			for b.Loop() {
				h.QueueOffset = off
				resp, suspend := br.processPull(req, &h, false)
				if suspend || resp.Code != int16(protocol.Success) {
					b.Fatalf("pull at %d: %d %s", off, resp.Code, resp.Remark)
				}
				var rh protocol.PullMessageResponseHeader
				if err := rh.Decode(resp.ExtFields); err != nil {
					b.Fatal(err)
				}
				bytes += int64(resp.BodyLen())
				resp.ReleaseParts()
				if off = rh.NextBeginOffset; off >= n-64 {
					off = 0
				}
			}
			b.ReportMetric(float64(bytes)/float64(b.N), "body-B/op")
		})
	}
}

// waitDispatched waits until BenchPull's queue 0 holds n entries.
func waitDispatched(b *testing.B, s *store.Store, n int64) {
	b.Helper()
	checkFor(b, 10*time.Second, time.Millisecond, func() error {
		if got := s.MaxOffset("BenchPull", 0); got != n {
			return fmt.Errorf("%d of %d dispatched", got, n)
		}
		return nil
	})
}
