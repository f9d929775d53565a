package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// A slave keeps consumers going while its master is gone:
//
//   - it answers pulls once its replication connection to the master is lost, even without
//     slaveReadEnable (Apache 4.x's slave serves; the answer suggests the master, brokerId 0,
//     so clients return to it once it is back);
//   - with enableSlaveActingMaster it registers with enableActingMaster=true, the
//     nameserver (supportActingMaster) presents it as brokerId 0, and it takes the offsets the
//     consumers commit (UPDATE_CONSUMER_OFFSET and the pull's commit flag);
//   - once the master answers again, the offsets committed here that are ahead of the
//     master's are sent to it before the slave copies the master's table, so the master
//     keeps the larger offset per queue and consumers do not re-receive what they consumed
//     during the outage.

// masterLost reports whether this broker is a slave without a replication connection to its
// master (down, unreachable, or not yet known).
func (b *Broker) masterLost() bool {
	return b.isSlave() && b.svc.ha.client != nil && !b.svc.ha.client.Connected()
}

// actingMaster reports whether this slave stands in for its lost master
// (enableSlaveActingMaster): it then takes consumer offset commits from pulls.
func (b *Broker) actingMaster() bool {
	return b.conf().EnableSlaveActingMaster && b.masterLost()
}

// commitOffset records a consumer offset; on a slave it also remembers the queue, so the
// offset reaches the master when it returns (pushActingOffsets).
func (b *Broker) commitOffset(group, topic string, qid int32, offset int64) {
	b.offsets.Commit(group, topic, qid, offset)
	if b.isSlave() {
		b.svc.ha.acting.mark(offsetKey(topic, group), qid)
	}
}

// actingOffsets is the set of queues whose offsets were committed on a slave.
type actingOffsets struct {
	mu   sync.Mutex
	keys map[string]map[int32]struct{} // topic@group → queues
}

func (a *actingOffsets) mark(key string, qid int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.keys == nil {
		a.keys = make(map[string]map[int32]struct{})
	}
	q := a.keys[key]
	if q == nil {
		q = make(map[int32]struct{})
		a.keys[key] = q
	}
	q[qid] = struct{}{}
}

// take returns the marked queues and clears the set.
func (a *actingOffsets) take() map[string]map[int32]struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := a.keys
	a.keys = nil
	return k
}

// pushActingOffsets sends the master every offset committed on this slave that is ahead of
// the master's (master), and raises master's table to it, so the copy that follows keeps
// it. A queue whose update failed stays marked and is tried at the next sync.
func (b *Broker) pushActingOffsets(ctx context.Context, addr string, master *protocol.ConsumerOffsetSerializeWrapper) error {
	var errs []error
	for key, qs := range b.svc.ha.acting.take() {
		topic, group, ok := splitOffsetKey(key)
		if !ok {
			continue
		}
		for qid := range qs {
			local, ok := b.offsets.Query(group, topic, qid)
			if !ok {
				continue
			}
			if m, ok := master.OffsetTable[key][qid]; ok && m >= local {
				continue
			}
			if master.OffsetTable == nil {
				master.OffsetTable = make(map[string]map[int32]int64)
			}
			if master.OffsetTable[key] == nil {
				master.OffsetTable[key] = make(map[int32]int64)
			}
			master.OffsetTable[key][qid] = local // kept here even when the master refused
			if err := b.sendOffset(ctx, addr, group, topic, qid, local); err != nil {
				var re *remoting.ResponseError
				if errors.As(err, &re) && re.Code == int16(protocol.TopicNotExist) {
					continue // a topic only this slave has (a retry topic its clients created)
				}
				b.svc.ha.acting.mark(key, qid)
				errs = append(errs, err)
				continue
			}
			b.log.Info("offset committed while the master was away sent to it", "group", group, "topic", topic, "queue", qid, "offset", local)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("broker: send offsets to master: %w", errors.Join(errs...))
	}
	return nil
}

// sendOffset sends UPDATE_CONSUMER_OFFSET to addr.
func (b *Broker) sendOffset(ctx context.Context, addr, group, topic string, qid int32, off int64) error {
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req := remoting.NewRequest(int16(protocol.UpdateConsumerOffset), protocol.EncodeHeader(&protocol.UpdateConsumerOffsetRequestHeader{
		ConsumerGroup: group, Topic: topic, QueueID: qid, CommitOffset: off,
	}), nil)
	resp, err := b.client.InvokeSync(cctx, addr, req)
	if err != nil {
		return err
	}
	return resp.Err()
}
