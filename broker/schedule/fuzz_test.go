package schedule

import (
	"log/slog"
	"testing"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/store"
)

// FuzzDelayDelivery feeds a parked delay message's properties string (as stored, so as
// any writer of SCHEDULE_TOPIC_XXXX left it) through the delivery decoding: nothing may
// panic, and an accepted delivery names a topic the store accepts, a queue id >= 0 and no
// DELAY.
func FuzzDelayDelivery(f *testing.F) {
	for _, s := range []string{
		"DELAY\x013\x02REAL_TOPIC\x01T\x02REAL_QID\x012\x02KEYS\x01k\x02",
		"DELAY\x011\x02REAL_TOPIC\x01../../pwned\x02REAL_QID\x010\x02",
		"REAL_TOPIC\x01T\x02REAL_QID\x01+7\x02",
		"REAL_TOPIC\x01T\x02REAL_QID\x012147483648\x02",
		"REAL_TOPIC\x01\x00\x02",
	} {
		f.Add([]byte(s))
	}
	s := &Service{log: slog.New(slog.DiscardHandler), cfg: Config{Route: func(topic string, qid int32) (int32, error) {
		return qid, store.CheckTopic(topic)
	}}}
	f.Fuzz(func(t *testing.T, props []byte) {
		m := message.MessageExt{Message: message.Message{Topic: Topic, Properties: message.DecodeProperties(props)}}
		if m.Properties == nil {
			m.Properties = map[string]string{}
		}
		if err := s.prepareDelivery(&m); err != nil {
			return
		}
		if store.CheckTopic(m.Topic) != nil || m.QueueID < 0 {
			t.Fatalf("delivery to %q/%d accepted", m.Topic, m.QueueID)
		}
		if _, ok := m.Properties[message.PropertyDelayTimeLevel]; ok {
			t.Fatal("delivered with DELAY")
		}
	})
}
