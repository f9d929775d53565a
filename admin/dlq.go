package admin

import (
	"context"
	"errors"
	"maps"
	"net/netip"
	"os"
	"time"

	"github.com/mq-project/mq/message"
)

// Dead letters: reading a group's %DLQ% topic and sending its messages back for another try.

// DeadLetters reads a group's dead letters: the one with id (an offset message id or unique
// key), or, when id is "", up to max from every queue of %DLQ%<group>, queue by queue.
func (a *Admin) DeadLetters(ctx context.Context, group, id string, max int) ([]message.MessageExt, error) {
	dlq := DLQTopic(group)
	if id != "" {
		found, _, err := a.MessageByID(ctx, dlq, id)
		if len(found) == 0 {
			return nil, err
		}
		return []message.MessageExt{found[len(found)-1].MessageExt}, nil
	}
	rd, err := a.TopicRoute(ctx, dlq)
	if err != nil {
		return nil, err
	}
	var msgs []message.MessageExt
	for _, q := range TopicQueues(rd, false) {
		if len(msgs) >= max {
			break
		}
		_, err := a.ScanQueue(ctx, QueueScan{Addr: q.Addr, BrokerName: q.BrokerName, Topic: dlq, QueueID: q.QueueID, From: -1},
			func(m *message.MessageExt) bool {
				msgs = append(msgs, *m)
				return len(msgs) < max
			})
		if err != nil {
			return msgs, err
		}
	}
	return msgs, nil
}

// Resent is one dead letter sent back (field names are stable).
type Resent struct {
	MsgID      string `json:"msgId"`
	To         string `json:"to"`
	NewMsgID   string `json:"newMsgId,omitempty"`
	BrokerName string `json:"brokerName,omitempty"`
	Error      string `json:"error,omitempty"`
}

// resendDropped are the properties a copy must not carry: delay, retry counts, the topic
// and queue a delayed or half message was parked under, and the half-message mark.
var resendDropped = []string{message.PropertyDelayTimeLevel, message.PropertyReconsumeTime, message.PropertyMaxReconsumeTimes,
	message.PropertyRealTopic, message.PropertyRealQueueID, message.PropertyTransactionPrepared}

// ResendDeadLetters sends a copy of each dead letter of group back for another try: to the
// group's retry topic %RETRY%<group> with RETRY_TOPIC naming the original topic, so the
// group's consumers (and only they) consume it again with fresh retry counts; when the group
// has no retry topic, to the original topic. Each copy gets a new unique key and
// ORIGIN_MESSAGE_ID naming the dead letter. It needs no consumer online. The result has one
// entry per message, in order; the ctx's progress func counts them.
func (a *Admin) ResendDeadLetters(ctx context.Context, group string, msgs []message.MessageExt) []Resent {
	retry := RetryTopic(group)
	var retryQs []WriteQueue
	if rd, err := a.TopicRoute(ctx, retry); err == nil {
		retryQs = TopicQueues(rd, true)
	}
	origQs := map[string][]WriteQueue{}
	gen := message.NewUniqIDGenerator(netip.AddrFrom4([4]byte{127, 0, 0, 1}), os.Getpid(), 0, nil)
	out := make([]Resent, 0, len(msgs))
	progressAdd(ctx, 0, int64(len(msgs)))
	for i, m := range msgs {
		orig := m.Properties[message.PropertyRetryTopic]
		if orig == "" {
			orig = m.Properties[message.PropertyRealTopic]
		}
		props := maps.Clone(m.Properties)
		if props == nil {
			props = map[string]string{}
		}
		for _, k := range resendDropped {
			delete(props, k)
		}
		props[message.PropertyUniqClientMessageIDKeyIndex] = gen.Next(time.Now())
		props[message.PropertyOriginMessageID] = m.MsgID()
		r := Resent{MsgID: m.MsgID(), To: retry}
		var qs []WriteQueue
		switch {
		case len(retryQs) > 0 && orig != "":
			qs = retryQs
			props[message.PropertyRetryTopic] = orig
		case orig != "":
			r.To = orig
			if _, ok := origQs[orig]; !ok {
				if rd, err := a.TopicRoute(ctx, orig); err == nil {
					origQs[orig] = TopicQueues(rd, true)
				} else {
					origQs[orig] = nil
				}
			}
			qs = origQs[orig]
		}
		if len(qs) == 0 {
			r.Error = "no writable queue for " + r.To + " (original topic unknown or gone)"
		} else {
			q := qs[i%len(qs)]
			res, err := a.Send(ctx, q.Addr, SendRequest{ProducerGroup: "TOOLS_PRODUCER", BrokerName: q.BrokerName, QueueID: q.QueueID,
				Message: message.Message{Topic: r.To, Flag: m.Flag, Properties: props, Body: m.Body}})
			if err != nil {
				r.Error = err.Error()
			} else {
				r.NewMsgID, r.BrokerName = res.MsgID, res.BrokerName
			}
		}
		out = append(out, r)
		progressAdd(ctx, 1, 0)
	}
	return out
}

// ResendErr joins the errors of a resend (one per failed message); nil when every message went.
func ResendErr(rs []Resent) error {
	var errs []error
	for _, r := range rs {
		if r.Error != "" {
			errs = append(errs, errors.New(r.MsgID+": "+r.Error))
		}
	}
	return errors.Join(errs...)
}

// ResendFailures counts the messages of a resend that did not go.
func ResendFailures(rs []Resent) int {
	n := 0
	for _, r := range rs {
		if r.Error != "" {
			n++
		}
	}
	return n
}
