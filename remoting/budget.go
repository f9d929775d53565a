package remoting

import (
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Default memory budgets of a Server (ServerConfig): they bound what clients can make it
// hold, whatever they do.
const (
	// DefaultConnOutboundBytes is the default limit on one connection's encoded responses
	// waiting to be written (queued plus the batch being written).
	DefaultConnOutboundBytes = 16 << 20
	// DefaultOutboundBytes is the default limit on all connections' waiting responses.
	DefaultOutboundBytes = 128 << 20
	// DefaultInboundBytes is the default limit on the frames being received at once (of
	// those larger than reserveFrom; smaller ones cost at most reserveFrom per connection).
	DefaultInboundBytes = 64 << 20
)

// reserveFrom is the frame size from which a frame reserves its length in the inbound
// budget before its body is read.
const reserveFrom = 16 << 10

// minFrameRate is the slowest a peer may send a frame that holds an inbound reservation,
// in bytes per second (on top of the stall timeout): a peer cannot sit on the budget.
const minFrameRate = 1 << 20

// budget is a byte semaphore shared by connections. One item larger than the whole budget
// still passes when nothing else holds any of it, so no size can wait for ever.
type budget struct {
	limit int64
	used  atomic.Int64 // for stats; changed under mu

	mu    sync.Mutex
	freed chan struct{} // closed (and replaced) when bytes are released
}

func newBudget(limit int64) *budget {
	if limit <= 0 {
		return nil
	}
	return &budget{limit: limit, freed: make(chan struct{})}
}

// tryAcquire takes n bytes when they fit; otherwise it returns a channel closed at the next
// release.
func (b *budget) tryAcquire(n int64) (bool, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if u := b.used.Load(); u == 0 || u+n <= b.limit {
		b.used.Add(n)
		return true, nil
	}
	return false, b.freed
}

// acquire takes n bytes, waiting until they fit, done is closed or the timer fires (false).
// While it waits, short (when set) is called at once and then every 250 ms.
func (b *budget) acquire(n int64, done <-chan struct{}, timeout time.Duration, short func()) bool {
	var timer, tick *time.Timer
	for {
		ok, freed := b.tryAcquire(n)
		if ok {
			return true
		}
		if timer == nil {
			timer = time.NewTimer(timeout)
			defer timer.Stop()
			tick = time.NewTimer(0)
			defer tick.Stop()
		}
		select {
		case <-freed:
		case <-tick.C:
			if short != nil {
				short()
			}
			tick.Reset(250 * time.Millisecond)
		case <-done:
			return false
		case <-timer.C:
			return false
		}
	}
}

// force takes n bytes even past the limit and reports whether the budget is now over it.
func (b *budget) force(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used.Add(n) > b.limit
}

func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used.Add(-n)
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

// Stats is a snapshot of a Server's connection and memory accounting.
type Stats struct {
	// Conns is the number of open connections.
	Conns int
	// RefusedConns counts connections closed at accept because MaxConnections were open.
	RefusedConns int64
	// OutboundBytes is the size of the responses queued or being written, all connections.
	OutboundBytes int64
	// InboundBytes is the size reserved by frames being received.
	InboundBytes int64
}

// Stats returns the server's current accounting.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	st := Stats{Conns: n, RefusedConns: s.refused.Load()}
	if b := s.conf.out; b != nil {
		st.OutboundBytes = b.used.Load()
	}
	if b := s.conf.in; b != nil {
		st.InboundBytes = b.used.Load()
	}
	return st
}

// DefaultMaxConnections derives a connection limit from the process's open-file limit,
// keeping a fifth of it (at least 1024 descriptors) for the store's files, listeners and
// outbound connections. It returns 0 (no limit) when the limit cannot be read or is
// unlimited.
func DefaultMaxConnections() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == ^uint64(0) || rl.Cur > 1<<30 {
		return 0
	}
	n := int64(rl.Cur)
	return int(max(n-max(n/5, 1024), 64))
}
