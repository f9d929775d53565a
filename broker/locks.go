package broker

import (
	"sync"
	"time"

	"github.com/mq-project/mq/protocol"
)

// lockMaxLive is how long a queue lock lives without renewal
// (rocketmq.broker.rebalance.lockMaxLiveTime, 60 s).
const lockMaxLive = 60 * time.Second

type lockEntry struct {
	clientID string
	last     time.Time
}

// lockManager holds the orderly-consumption queue locks (RebalanceLockManager): per group
// and queue, the client that owns it and when it last locked or renewed it.
type lockManager struct {
	maxLive time.Duration
	now     func() time.Time

	mu     sync.Mutex
	groups map[string]map[protocol.MessageQueue]*lockEntry
}

func newLockManager(maxLive time.Duration) *lockManager {
	return &lockManager{maxLive: maxLive, now: time.Now, groups: make(map[string]map[protocol.MessageQueue]*lockEntry)}
}

// tryLock locks every queue of mqs that is free, already clientID's, or whose lock expired,
// and returns the queues clientID now holds.
func (l *lockManager) tryLock(group, clientID string, mqs []protocol.MessageQueue) []protocol.MessageQueue {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.groups[group]
	if g == nil {
		g = make(map[protocol.MessageQueue]*lockEntry)
		l.groups[group] = g
	}
	var out []protocol.MessageQueue
	for _, mq := range mqs {
		e := g[mq]
		switch {
		case e == nil:
			g[mq] = &lockEntry{clientID: clientID, last: now}
		case e.clientID == clientID || now.Sub(e.last) > l.maxLive:
			e.clientID, e.last = clientID, now
		default:
			continue
		}
		out = append(out, mq)
	}
	return out
}

// unlock releases the queues of mqs that clientID holds.
func (l *lockManager) unlock(group, clientID string, mqs []protocol.MessageQueue) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.groups[group]
	for _, mq := range mqs {
		if e := g[mq]; e != nil && e.clientID == clientID {
			delete(g, mq)
		}
	}
	if len(g) == 0 {
		delete(l.groups, group)
	}
}

// isLocked reports whether group holds any unexpired lock (a plain send to its retry topic
// then goes to the DLQ, as Apache does for orderly groups).
func (l *lockManager) isLocked(group string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.groups[group] {
		if now.Sub(e.last) <= l.maxLive {
			return true
		}
	}
	return false
}
