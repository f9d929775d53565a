package broker

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mq-project/mq/broker/timer"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// timerRewrite parks a message with TIMER_DELIVER_MS / TIMER_DELAY_SEC / TIMER_DELAY_MS in
// rmq_sys_wheel_timer (HookUtils#handleTimerMessage): only without a DELAY level and for
// non-transactional or committed messages; a time further ahead than timerMaxDelaySec is
// MESSAGE_ILLEGAL; a past time stores the message as is.
func (b *Broker) timerRewrite(m *message.MessageExt) *sendError {
	if m.Topic == TopicTransHalf || m.Properties[message.PropertyDelayTimeLevel] != "" {
		return nil
	}
	if t := message.TransactionType(m.SysFlag); t != message.TransactionNotType && t != message.TransactionCommitType {
		return nil
	}
	if m.Properties[message.PropertyTimerDeliverMs] == "" && m.Properties[message.PropertyTimerDelaySec] == "" &&
		m.Properties[message.PropertyTimerDelayMs] == "" {
		return nil // not a timer message (DeliverAt would say so, after reading the clock)
	}
	now := b.now()
	ms, ok, err := timer.DeliverAt(m.Properties, now, time.Duration(b.conf().TimerMaxDelaySec)*time.Second)
	if !ok {
		return nil
	}
	if !b.conf().TimerWheelEnable {
		return refuse(protocol.SystemError, "accurate timer message is not enabled, timerWheelEnable is %v", b.conf().TimerWheelEnable)
	}
	if errors.Is(err, timer.ErrTooLate) || errors.Is(err, timer.ErrBadProperty) {
		return refuse(protocol.MessageIllegal, "%v", err)
	}
	if ms <= now.UnixMilli() {
		return nil
	}
	m.SetProperty(message.PropertyTimerOutMs, strconv.FormatInt(ms, 10))
	m.SetProperty(message.PropertyRealTopic, m.Topic)
	m.SetProperty(message.PropertyRealQueueID, strconv.Itoa(int(m.QueueID)))
	m.Topic, m.QueueID = timer.Topic, 0
	return nil
}

// routeDelivery checks where the timer or a delay level is about to put a parked message
// (Apache's services trust REAL_TOPIC/REAL_QID; we do not): the topic must be a valid name,
// not internal, exist and be writable. A queue id at or past the topic's queues (the send
// check allows max(read, write) queues) is folded onto its write queues, logged: the topic
// may have shrunk since the send, and the message is not lost.
func (b *Broker) routeDelivery(topic string, qid int32) (int32, error) {
	if err := ValidateTopic(topic); err != nil {
		return 0, err
	}
	if isInternalTopic(topic) {
		return 0, fmt.Errorf("%w: %s is internal", ErrSystemTopic, topic)
	}
	tc, ok := b.topics.Get(topic)
	if !ok {
		return 0, fmt.Errorf("%w: %s", ErrTopicNotExist, topic)
	}
	if tc.Perm&protocol.PermWrite == 0 || tc.WriteQueueNums <= 0 {
		return 0, fmt.Errorf("%w: %s (perm %d, %d write queues)", ErrNotWritable, topic, tc.Perm, tc.WriteQueueNums)
	}
	if qid < 0 || qid >= max(tc.ReadQueueNums, tc.WriteQueueNums) {
		folded := max(qid, 0) % tc.WriteQueueNums
		b.log.Warn("parked message names a queue its topic lacks, delivered to another", "topic", topic,
			"queue", qid, "to", folded)
		return folded, nil
	}
	return qid, nil
}
