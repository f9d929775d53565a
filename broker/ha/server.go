package ha

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// MasterStore is what the master side needs from the message store (store.Store has it).
type MasterStore interface {
	// ReadReplica copies whole records from phys, at most maxBytes (at least one record),
	// into buf; empty at the end of the CommitLog.
	ReadReplica(phys int64, maxBytes int, buf []byte) ([]byte, error)
	// CommitLogMinOffset is the first CommitLog offset kept.
	CommitLogMinOffset() int64
	// CommitLogMaxOffset is the end of the CommitLog.
	CommitLogMaxOffset() int64
}

// ServerConfig configures the master side.
type ServerConfig struct {
	Store MasterStore
	// Logger receives connection events; nil discards.
	Logger *slog.Logger
	// BatchSize bounds the body of one frame (haTransferBatchSize, 32 KiB); a record larger
	// than it is still sent whole.
	BatchSize int
	// HeartbeatInterval is how often an idle connection gets an empty frame
	// (haSendHeartbeatInterval, 5 s).
	HeartbeatInterval time.Duration
	// HousekeepingInterval drops a slave that reported nothing for this long
	// (haHousekeepingInterval, 20 s).
	HousekeepingInterval time.Duration
	// MaxGap: a slave more than this many bytes behind does not count as available for
	// SYNC_MASTER (haMaxGapNotInSync, 256 MiB). 0 means no limit.
	MaxGap int64
	// PollInterval is how often an idle connection looks for new data without a Notify
	// (100 ms).
	PollInterval time.Duration
	// Admit decides whether a connection from remote may replicate (the broker's: a slave of
	// this brokerName registered with the nameservers from that address). A refused
	// connection is closed before anything is read or sent. Nil admits every connection.
	Admit func(remote netip.Addr) bool
}

func (c *ServerConfig) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 32 << 10
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 5 * time.Second
	}
	if c.HousekeepingInterval <= 0 {
		c.HousekeepingInterval = 20 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 100 * time.Millisecond
	}
}

// SlaveInfo describes one connected slave.
type SlaveInfo struct {
	// Addr is the slave's remote address.
	Addr string
	// Acked is the last CommitLog offset it reported (everything below is on the slave).
	Acked int64
	// Pushed is the offset the master has sent up to.
	Pushed int64
	// LastReport is when the slave last reported its offset (zero before).
	LastReport time.Time
	// Since is when the slave connected.
	Since time.Time
	// BytesPerSecond is what was sent to it during the last whole second.
	BytesPerSecond int64
	// From is the offset replication to it started from (its first report).
	From int64
}

// Server is the master side of replication (Apache's HAService/AcceptSocketService/
// HAConnection): it accepts slaves on its own port, runs one reader and one writer
// goroutine per slave, pushes CommitLog records from each slave's reported offset, and lets
// SYNC_MASTER sends wait until a slave acked their end (GroupTransferService).
type Server struct {
	cfg ServerConfig
	log *slog.Logger

	mu      sync.Mutex
	ln      net.Listener
	conns   map[*slaveConn]struct{}
	closed  bool
	waiters []*ackWaiter // sorted by end

	refused    atomic.Int64 // connections Admit refused
	refusedLog atomic.Int64 // when the last refusal was logged (unix ns): at most one line per 10 s

	list  atomic.Pointer[[]*slaveConn] // snapshot of conns for Notify
	acked atomic.Int64                 // the highest offset any slave reported
	wg    sync.WaitGroup
}

type ackWaiter struct {
	end  int64
	done chan struct{}
}

type slaveConn struct {
	c     net.Conn
	wake  chan struct{} // 1-slot: new data may be there
	first chan struct{} // closed on the first report
	done  chan struct{} // closed when the reader ended
	once  sync.Once
	// admitted is set (under Server.mu) once Admit accepted the connection; only admitted
	// connections count as slaves.
	admitted bool
	acked    atomic.Int64
	pushed   atomic.Int64
	from     atomic.Int64
	since    time.Time
	report   atomic.Int64 // unix ms of the last report
	flow     flowMonitor
}

// NewServer returns a master-side HA server; nothing runs until Serve.
func NewServer(cfg ServerConfig) *Server {
	cfg.defaults()
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "ha-master"), conns: make(map[*slaveConn]struct{})}
	s.list.Store(&[]*slaveConn{})
	return s
}

// Start accepts slaves on ln in a goroutine owned by s until Close. It returns ErrClosed
// (closing ln) after Close.
func (s *Server) Start(ln net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		ln.Close()
		return ErrClosed
	}
	s.ln = ln
	s.wg.Go(func() { s.accept(ln) })
	return nil
}

func (s *Server) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		sc := &slaveConn{c: c, wake: make(chan struct{}, 1), first: make(chan struct{}), done: make(chan struct{}), since: time.Now()}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[sc] = struct{}{}
		s.mu.Unlock()
		s.log.Debug("HA connection", "remote", c.RemoteAddr().String())
		s.wg.Go(func() { s.serveConn(sc) })
	}
}

// remoteIP is the connection's peer address (the zero Addr when it is not TCP).
func remoteIP(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		if a, ok := netip.AddrFromSlice(ta.IP); ok {
			return a.Unmap()
		}
	}
	return netip.Addr{}
}

// Addr returns the address the server listens on (nil before Start).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

func (s *Server) snapshotLocked() {
	l := make([]*slaveConn, 0, len(s.conns))
	for c := range s.conns {
		if c.admitted {
			l = append(l, c)
		}
	}
	s.list.Store(&l)
}

// serveConn runs the reader here and the writer in a second goroutine; when either ends,
// the connection is closed and both are waited for. A connection Admit refuses is closed
// at once.
func (s *Server) serveConn(sc *slaveConn) {
	if s.cfg.Admit != nil && !s.cfg.Admit(remoteIP(sc.c)) {
		s.refused.Add(1)
		if now := time.Now().UnixNano(); now-s.refusedLog.Load() >= int64(10*time.Second) {
			s.refusedLog.Store(now)
			s.log.Warn("HA connection refused: not a registered slave of this broker", "remote", sc.c.RemoteAddr().String(),
				"refusedTotal", s.refused.Load())
		}
		sc.c.Close()
		s.mu.Lock()
		delete(s.conns, sc)
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	sc.admitted = true
	s.snapshotLocked()
	s.mu.Unlock()
	s.log.Info("slave connected", "slave", sc.c.RemoteAddr().String())
	var wg sync.WaitGroup
	wg.Go(func() {
		s.write(sc)
		sc.c.Close()
	})
	s.read(sc)
	close(sc.done)
	sc.c.Close()
	wg.Wait()
	s.mu.Lock()
	delete(s.conns, sc)
	s.snapshotLocked()
	s.mu.Unlock()
	s.log.Info("slave disconnected", "slave", sc.c.RemoteAddr().String(), "acked", sc.acked.Load())
}

// read takes the slave's offset reports.
func (s *Server) read(sc *slaveConn) {
	for {
		_ = sc.c.SetReadDeadline(time.Now().Add(s.cfg.HousekeepingInterval))
		off, err := ReadReport(sc.c)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Debug("slave read ended", "slave", sc.c.RemoteAddr().String(), "err", err)
			}
			return
		}
		sc.acked.Store(off)
		sc.report.Store(time.Now().UnixMilli())
		sc.once.Do(func() {
			sc.pushed.Store(off)
			sc.from.Store(off)
			close(sc.first)
		})
		s.ack(off)
	}
}

// write pushes records from the slave's first report on, and heartbeats when idle.
func (s *Server) write(sc *slaveConn) {
	hb := time.NewTimer(s.cfg.HousekeepingInterval)
	defer hb.Stop()
	select {
	case <-sc.first:
	case <-sc.done:
		return
	case <-hb.C:
		return
	}
	next := sc.acked.Load()
	if min := s.cfg.Store.CommitLogMinOffset(); next == 0 && min > 0 {
		next = min // a new slave of a master whose first segments are gone
	}
	var hdr [HeaderLen]byte
	buf := make([]byte, 0, s.cfg.BatchSize)
	lastWrite := time.Now()
	poll := time.NewTimer(s.cfg.PollInterval)
	defer poll.Stop()
	for {
		var err error
		buf, err = s.cfg.Store.ReadReplica(next, s.cfg.BatchSize, buf)
		if err != nil {
			s.log.Warn("cannot serve slave", "slave", sc.c.RemoteAddr().String(), "offset", next, "err", err)
			return
		}
		if len(buf) == 0 && time.Since(lastWrite) < s.cfg.HeartbeatInterval {
			poll.Reset(min(s.cfg.PollInterval, s.cfg.HeartbeatInterval-time.Since(lastWrite)))
			select {
			case <-sc.wake:
			case <-poll.C:
			case <-sc.done:
				return
			}
			continue
		}
		PutHeader(hdr[:], next, len(buf))
		_ = sc.c.SetWriteDeadline(time.Now().Add(s.cfg.HousekeepingInterval))
		bufs := net.Buffers{hdr[:], buf}
		if _, err := bufs.WriteTo(sc.c); err != nil {
			s.log.Debug("slave write ended", "slave", sc.c.RemoteAddr().String(), "err", err)
			return
		}
		next += int64(len(buf))
		sc.pushed.Store(next)
		lastWrite = time.Now()
		sc.flow.add(HeaderLen+len(buf), lastWrite)
	}
}

// Notify tells every connection that new records may be there; it never blocks.
func (s *Server) Notify() {
	for _, c := range *s.list.Load() {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// ack records a slave's report and releases the waiters it covers.
func (s *Server) ack(off int64) {
	for {
		cur := s.acked.Load()
		if off <= cur {
			return
		}
		if s.acked.CompareAndSwap(cur, off) {
			break
		}
	}
	s.mu.Lock()
	i := 0
	for ; i < len(s.waiters) && s.waiters[i].end <= off; i++ {
		close(s.waiters[i].done)
	}
	s.waiters = slices.Delete(s.waiters, 0, i)
	s.mu.Unlock()
}

// Acked returns the highest CommitLog offset a slave reported.
func (s *Server) Acked() int64 { return s.acked.Load() }

// Slaves returns the connected slaves.
func (s *Server) Slaves() []SlaveInfo {
	l := *s.list.Load()
	out := make([]SlaveInfo, 0, len(l))
	now := time.Now()
	for _, c := range l {
		si := SlaveInfo{Addr: c.c.RemoteAddr().String(), Acked: c.acked.Load(), Pushed: c.pushed.Load(),
			Since: c.since, BytesPerSecond: c.flow.PerSecond(now), From: c.from.Load()}
		if ms := c.report.Load(); ms > 0 {
			si.LastReport = time.UnixMilli(ms)
		}
		out = append(out, si)
	}
	slices.SortFunc(out, func(a, b SlaveInfo) int { return int(b.Acked - a.Acked) })
	return out
}

// SlaveOK reports whether a slave is connected and at most MaxGap bytes behind masterEnd
// (Apache's isSlaveOK).
func (s *Server) SlaveOK(masterEnd int64) bool {
	l := *s.list.Load()
	if len(l) == 0 {
		return false
	}
	return s.cfg.MaxGap <= 0 || masterEnd-s.acked.Load() < s.cfg.MaxGap
}

// WaitAck waits until a slave reported an offset >= end (the end of a just-stored record),
// at most timeout. No slave available: ErrNoSlave at once; too late: ErrAckTimeout. All the
// waits share the reader goroutines' acks: a waiter is one channel, never a goroutine.
func (s *Server) WaitAck(ctx context.Context, end int64, timeout time.Duration) error {
	if s.acked.Load() >= end {
		return nil
	}
	if !s.SlaveOK(end) {
		return ErrNoSlave
	}
	s.Notify()
	w := &ackWaiter{end: end, done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.acked.Load() >= end {
		s.mu.Unlock()
		return nil
	}
	i, _ := slices.BinarySearchFunc(s.waiters, end, func(a *ackWaiter, e int64) int {
		if a.end <= e {
			return -1
		}
		return 1
	})
	s.waiters = slices.Insert(s.waiters, i, w)
	s.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	var err error
	select {
	case <-w.done:
	case <-t.C:
		err = ErrAckTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := slices.Index(s.waiters, w); j >= 0 {
		s.waiters = slices.Delete(s.waiters, j, j+1)
	}
	if s.closed {
		return ErrClosed
	}
	if s.acked.Load() >= end {
		return nil
	}
	return err
}

// Close stops accepting, closes every slave connection, fails the waiters with ErrClosed
// and waits for the goroutines. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	if s.ln != nil {
		s.ln.Close()
	}
	for c := range s.conns {
		c.c.Close()
	}
	for _, w := range s.waiters {
		close(w.done)
	}
	s.waiters = nil
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}
