package admin

import (
	"context"

	"github.com/mq-project/mq/message"
)

// ScanBatch is how many messages a scan asks for in one pull (the official clients' default
// pullBatchSize).
const ScanBatch = 32

// QueueScan is a read of one queue with raw pulls: nothing is committed and no consumer
// group is involved.
type QueueScan struct {
	Addr       string
	BrokerName string
	Topic      string
	QueueID    int32
	// From is the first offset to read. -1 means the queue's min offset, or, when Begin is
	// set, the first offset stored at or after Begin.
	From int64
	// Begin (Unix ms) places the start by store time when From is -1.
	Begin int64
	// To stops the scan before this offset; 0 means the queue's max offset when the scan
	// starts (so a scan ends even while producers write).
	To int64
	// End (Unix ms), when > 0, stops the scan at the first message stored after it.
	End int64
	// Subscription is a tag expression the broker filters by; "" means every message.
	Subscription string
}

// ScanQueue reads q in pulls of ScanBatch and calls fn with each message, in queue order,
// until fn returns false, the range ends or a pull fails. It returns how many messages it
// passed to fn. An offset the broker has moved (or filtered past) is skipped to the broker's
// next offset. The ctx's progress func (WithProgress) counts the messages of the range.
func (a *Admin) ScanQueue(ctx context.Context, q QueueScan, fn func(*message.MessageExt) bool) (int, error) {
	off := q.From
	var err error
	if off < 0 {
		if q.Begin > 0 {
			off, err = a.SearchOffset(ctx, q.Addr, q.Topic, q.QueueID, q.Begin)
		} else {
			off, err = a.MinOffset(ctx, q.Addr, q.Topic, q.QueueID)
		}
		if err != nil {
			return 0, err
		}
	}
	to := q.To
	if to <= 0 {
		if to, err = a.MaxOffset(ctx, q.Addr, q.Topic, q.QueueID); err != nil {
			return 0, err
		}
	}
	left := max(to-off, 0)
	progressAdd(ctx, 0, left)
	defer func() { progressAdd(ctx, left, 0) }() // what was not read is done too
	n := 0
	for off < to {
		pr, err := a.Pull(ctx, q.Addr, PullRequest{BrokerName: q.BrokerName, Topic: q.Topic, QueueID: q.QueueID,
			Offset: off, Max: int32(min(int64(ScanBatch), to-off)), Subscription: q.Subscription})
		if err != nil {
			return n, err
		}
		if pr.Status != PullFound || len(pr.Messages) == 0 {
			if pr.Next > off {
				off = pr.Next
				continue
			}
			return n, nil
		}
		for i := range pr.Messages {
			m := &pr.Messages[i]
			if m.QueueOffset >= to || (q.End > 0 && m.StoreTimestamp > q.End) {
				return n, nil
			}
			n++
			if left > 0 {
				left--
				progressAdd(ctx, 1, 0)
			}
			if !fn(m) {
				return n, nil
			}
		}
		off = max(pr.Next, pr.Messages[len(pr.Messages)-1].QueueOffset+1)
	}
	return n, nil
}
