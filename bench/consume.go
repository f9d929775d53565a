package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

func consume(ctx context.Context, o *Options) (Result, error) {
	targets, err := queues(ctx, o, false, false)
	if err != nil {
		return Result{}, err
	}
	keys, err := openKeyLog(o.KeysFile)
	if err != nil {
		return Result{}, err
	}
	client := remoting.NewClient(remoting.ClientConfig{Credentials: o.Credentials})
	defer client.Close()
	s := newStats()
	runCtx, stop := runContext(ctx, o)
	defer stop()
	start := time.Now()
	defer startTicker(runCtx, o, s, start)()
	var wg sync.WaitGroup
	var drained atomic.Int64
	for _, t := range targets {
		wg.Go(func() {
			pullLoop(runCtx, client, o, t, s, keys)
			if drained.Add(1) == int64(len(targets)) {
				stop()
			}
		})
	}
	if o.Count > 0 {
		// --count: stop once enough were pulled.
		wg.Go(func() {
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-tick.C:
				}
				if s.msgs.Load() >= o.Count {
					stop()
					return
				}
			}
		})
	}
	wg.Wait()
	if err := keys.close(); err != nil {
		return Result{}, err
	}
	return s.result(ModeConsume, time.Since(start)), nil
}

// pullFlagSubscription (PullSysFlag FLAG_SUBSCRIPTION) makes the broker use the request's
// subscription, so a pull needs no heartbeat first.
const pullFlagSubscription = 0x4

// pullLoop pulls one queue from offset 0 until the broker says nothing is new.
func pullLoop(ctx context.Context, client *remoting.Client, o *Options, t admin.WriteQueue, s *stats, keys *keyLog) {
	offset := int64(0)
	ext := make(map[string]string, 16)
	for ctx.Err() == nil {
		h := protocol.PullMessageRequestHeader{ConsumerGroup: o.Group, Topic: o.Topic, QueueID: t.QueueID,
			QueueOffset: offset, MaxMsgNums: int32(o.Batch), SysFlag: pullFlagSubscription,
			Subscription: "*", ExpressionType: "TAG", BrokerName: t.BrokerName}
		clear(ext)
		h.Encode(ext)
		began := time.Now()
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		resp, err := client.InvokeSync(cctx, t.Addr, remoting.NewRequest(int16(protocol.PullMessage), ext, nil))
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				s.fail(err)
			}
			return
		}
		var rh protocol.PullMessageResponseHeader
		if err := rh.Decode(resp.ExtFields); err != nil {
			s.fail(err)
			return
		}
		switch protocol.ResponseCode(resp.Code) {
		case protocol.Success:
			s.record(time.Since(began), countRecords(resp.Body), int64(len(resp.Body)))
			keys.addRecords(resp.Body)
			offset = rh.NextBeginOffset
		case protocol.PullOffsetMoved, protocol.PullRetryImmediately:
			offset = rh.NextBeginOffset
		case protocol.PullNotFound:
			return // drained
		default:
			s.fail(resp.Err())
			return
		}
	}
}

// countRecords counts the stored records in a pull response body.
func countRecords(b []byte) int64 {
	var n int64
	for len(b) >= 4 {
		size := int(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
		if size <= 0 || size > len(b) {
			break
		}
		n++
		b = b[size:]
	}
	return n
}
