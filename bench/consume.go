package bench

import (
	"context"
	"fmt"
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

// pullLoop pulls one queue from offset 0 until the broker says nothing is new, with up to
// o.Pulls pulls in flight. ConsumeQueue offsets are dense, so the pulls ask for the
// consecutive ranges [k·batch, (k+1)·batch) without waiting for each other's answer; an
// answer that stops short of its range (the broker's byte or count cap) leaves a gap that is
// asked for next, and the first range past the end (PULL_NOT_FOUND, or OFFSET_MOVED back to
// the max offset) bounds the queue: it is drained once nothing below that is missing.
func pullLoop(ctx context.Context, client *remoting.Client, o *Options, t admin.WriteQueue, s *stats, keys *keyLog) {
	type span struct{ from, to int64 }
	type answer struct {
		r     span
		resp  *remoting.Command
		err   error
		began time.Time
	}
	answers := make(chan answer, o.Pulls)
	var gaps []span
	next, end := int64(0), int64(-1) // end: the queue's max offset once a pull found it
	inflight, retries := 0, 0
	const maxRetries = 1000
	ext := make(map[string]string, 16)
	// Answers of pulls still in flight when the run stops are drained before returning.
	defer func() {
		for ; inflight > 0; inflight-- {
			<-answers
		}
	}()
	// nextSpan is the next range to ask for: a gap first, then a fresh range below the end.
	nextSpan := func() (span, bool) {
		switch {
		case len(gaps) > 0:
			r := gaps[len(gaps)-1]
			gaps = gaps[:len(gaps)-1]
			return r, true
		case end < 0 || next < end:
			r := span{next, next + int64(o.Batch)}
			next = r.to
			return r, true
		}
		return span{}, false
	}
	for {
		for inflight < o.Pulls && ctx.Err() == nil {
			r, ok := nextSpan()
			if !ok {
				break
			}
			h := protocol.PullMessageRequestHeader{ConsumerGroup: o.Group, Topic: o.Topic, QueueID: t.QueueID,
				QueueOffset: r.from, MaxMsgNums: int32(r.to - r.from), SysFlag: pullFlagSubscription,
				Subscription: "*", ExpressionType: "TAG", BrokerName: t.BrokerName}
			clear(ext)
			h.Encode(ext)
			began := time.Now()
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := client.InvokeAsync(cctx, t.Addr, remoting.NewRequest(int16(protocol.PullMessage), ext, nil),
				func(resp *remoting.Command, err error) {
					cancel()
					answers <- answer{r, resp, err, began}
				})
			if err != nil {
				cancel()
				if ctx.Err() == nil {
					s.fail(err)
				}
				return
			}
			inflight++
		}
		if inflight == 0 {
			return // drained (or stopped)
		}
		a := <-answers
		inflight--
		if a.err != nil {
			if ctx.Err() == nil {
				s.fail(a.err)
			}
			return
		}
		var rh protocol.PullMessageResponseHeader
		if err := rh.Decode(a.resp.ExtFields); err != nil {
			s.fail(err)
			return
		}
		nb := rh.NextBeginOffset
		switch protocol.ResponseCode(a.resp.Code) {
		case protocol.Success:
			retries = 0
			s.record(time.Since(a.began), countRecords(a.resp.Body), int64(len(a.resp.Body)))
			keys.addRecords(a.resp.Body)
			if nb > a.r.from && nb < a.r.to {
				gaps = append(gaps, span{nb, a.r.to})
			}
		case protocol.PullRetryImmediately:
			// Ask again, but not forever: a slave that does not check offsets answers a
			// range past the end this way, and would never tell where the queue ends.
			if retries++; retries > maxRetries {
				s.fail(fmt.Errorf("queue %d: %d PULL_RETRY_IMMEDIATELY answers in a row", t.QueueID, retries))
				return
			}
			if end < 0 || a.r.from < end {
				gaps = append(gaps, a.r)
			}
		case protocol.PullNotFound, protocol.PullOffsetMoved:
			switch {
			case nb <= a.r.from: // nothing from here on: the queue ends at nb
				if end < 0 || nb < end {
					end = nb
				}
			case nb < a.r.to: // the range's head is gone (retention): the rest is still to read
				gaps = append(gaps, span{nb, a.r.to})
			}
		default:
			s.fail(a.resp.Err())
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
