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

// Resent is the outcome of resending one dead letter.
type Resent struct {
	MsgID  string `json:"msgId"`
	To     string `json:"to"`
	NewID  string `json:"newMsgId,omitempty"`
	Broker string `json:"brokerName,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ResendDeadLetters sends a copy of each dead letter of group back for another try: to the
// group's retry topic %RETRY%<group> with RETRY_TOPIC naming the original topic, so only that
// group's consumers consume it again with fresh retry counts, or, when the group has no retry
// topic, to the original topic. The copy gets a new unique key and ORIGIN_MESSAGE_ID. It is
// what `mq dlq resend` does, for the TUI's `:dlq` view.
func (a *Admin) ResendDeadLetters(ctx context.Context, group string, msgs []message.MessageExt) []Resent {
	retry := RetryTopic(group)
	var retryQs []WriteQueue
	if rd, err := a.TopicRoute(ctx, retry); err == nil {
		retryQs = TopicQueues(rd, true)
	}
	gen := message.NewUniqIDGenerator(netip.AddrFrom4([4]byte{127, 0, 0, 1}), os.Getpid(), 0, nil)
	out := make([]Resent, 0, len(msgs))
	for i, m := range msgs {
		orig := m.Properties[message.PropertyRetryTopic]
		if orig == "" {
			orig = m.Properties[message.PropertyRealTopic]
		}
		props := maps.Clone(m.Properties)
		if props == nil {
			props = map[string]string{}
		}
		for _, k := range []string{message.PropertyDelayTimeLevel, message.PropertyReconsumeTime, message.PropertyMaxReconsumeTimes,
			message.PropertyRealTopic, message.PropertyRealQueueID, message.PropertyTransactionPrepared} {
			delete(props, k)
		}
		props[message.PropertyUniqClientMessageIDKeyIndex] = gen.Next(time.Now())
		props[message.PropertyOriginMessageID] = m.MsgID()
		r := Resent{MsgID: m.MsgID()}
		var qs []WriteQueue
		topic := retry
		if len(retryQs) > 0 && orig != "" {
			qs = retryQs
			props[message.PropertyRetryTopic] = orig
		} else if orig != "" {
			topic = orig
			if rd, err := a.TopicRoute(ctx, orig); err == nil {
				qs = TopicQueues(rd, true)
			}
		}
		r.To = topic
		if len(qs) == 0 {
			r.Error = "no writable queue for " + topic + " (original topic unknown or gone)"
			out = append(out, r)
			continue
		}
		q := qs[i%len(qs)]
		res, err := a.Send(ctx, q.Addr, SendRequest{ProducerGroup: "TOOLS_PRODUCER", BrokerName: q.BrokerName, QueueID: q.QueueID,
			Message: message.Message{Topic: topic, Flag: m.Flag, Properties: props, Body: m.Body}})
		if err != nil {
			r.Error = err.Error()
		} else {
			r.NewID, r.Broker = res.MsgID, res.BrokerName
		}
		out = append(out, r)
	}
	return out
}

// ResendErr joins the errors of a resend; nil when every message went.
func ResendErr(rs []Resent) error {
	var errs []error
	for _, r := range rs {
		if r.Error != "" {
			errs = append(errs, errors.New(r.MsgID+": "+r.Error))
		}
	}
	return errors.Join(errs...)
}
