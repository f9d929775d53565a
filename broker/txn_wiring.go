package broker

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/mq-project/mq/broker/txn"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

// newTxn builds the transaction service: progress in consumerOffset.json under
// CID_RMQ_SYS_TRANS (as Apache), checks sent to a live producer of the group.
func (b *Broker) newTxn() (*txn.Service, error) {
	return txn.New(txn.Config{
		Store:   b.ms,
		Offsets: b.offsets,
		Put: func(ctx context.Context, m *message.MessageExt) error {
			if serr := b.timerRewrite(m); serr != nil {
				return serr
			}
			_, err := b.putMessage(ctx, m)
			if errors.Is(err, store.ErrFlushTimeout) {
				err = nil
			}
			return err
		},
		Append:     b.appendSystem,
		Check:      b.sendCheckTransaction,
		StoreHost:  b.storeHost,
		BrokerName: b.conf().BrokerName,
		Timeout:    time.Duration(b.conf().TransactionTimeOut) * time.Millisecond,
		Interval:   time.Duration(b.conf().TransactionCheckInterval) * time.Millisecond,
		CheckMax:   b.conf().TransactionCheckMax,
		Logger:     b.log,
	})
}

// appendSystem stores a system message, creating TRANS_CHECK_MAX_TIME_TOPIC on first use
// (one queue, perm 6, as Apache).
func (b *Broker) appendSystem(ctx context.Context, m *message.MessageExt) error {
	if m.Topic == TopicTransCheckMax {
		if _, ok := b.topics.Get(m.Topic); !ok {
			nt := protocol.NewTopicConfig(m.Topic)
			nt.ReadQueueNums, nt.WriteQueueNums = 1, 1
			nt.Perm = protocol.PermRead | protocol.PermWrite
			if _, _, err := b.topics.CreateIfAbsent(nt); err != nil {
				b.log.Warn("create topic", "topic", m.Topic, "err", err)
			}
		}
	}
	if !m.BornHost.IsValid() {
		m.BornHost = b.storeHost
	}
	_, err := b.ms.Append(ctx, m)
	if errors.Is(err, store.ErrFlushTimeout) {
		err = nil
	}
	return err
}

// sendCheckTransaction sends CHECK_TRANSACTION_STATE oneway (flag 2) to one live producer of
// group (ProducerManager#getAvailableChannel picks one too).
func (b *Broker) sendCheckTransaction(group string, h protocol.CheckTransactionStateRequestHeader, body []byte) bool {
	chans := b.producers.Channels(group)
	for len(chans) > 0 {
		i := rand.IntN(len(chans))
		if c := chans[i].Conn(); c != nil {
			req := remoting.NewRequest(int16(protocol.CheckTransactionState), protocol.EncodeHeader(&h), body)
			if err := c.InvokeOneway(req); err == nil {
				return true
			}
		}
		chans = append(chans[:i], chans[i+1:]...)
	}
	return false
}
