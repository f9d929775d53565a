package ha

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/message"
)

// SlaveStore is what the slave side needs from the message store (store.Store has it).
type SlaveStore interface {
	// CommitLogMaxOffset is the end of the CommitLog: what the slave reports.
	CommitLogMaxOffset() int64
	// AppendReplica appends the master's bytes at exactly phys and dispatches them.
	AppendReplica(ctx context.Context, phys int64, data []byte) error
}

// ClientConfig configures the slave side.
type ClientConfig struct {
	Store SlaveStore
	// Logger receives connection events; nil discards.
	Logger *slog.Logger
	// ReportInterval is how often the slave reports its offset when nothing arrives
	// (haSendHeartbeatInterval, 5 s).
	ReportInterval time.Duration
	// ReadTimeout drops a master that sent nothing (not even a heartbeat) for this long
	// (haHousekeepingInterval, 20 s).
	ReadTimeout time.Duration
	// DialTimeout bounds a connection attempt (3 s).
	DialTimeout time.Duration
	// RetryInterval is the pause between connection attempts (1 s).
	RetryInterval time.Duration
	// MaxFrame bounds a frame body (64 MiB).
	MaxFrame int
}

func (c *ClientConfig) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ReportInterval <= 0 {
		c.ReportInterval = 5 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 20 * time.Second
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 3 * time.Second
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = time.Second
	}
	if c.MaxFrame <= 0 {
		c.MaxFrame = 64 << 20
	}
}

// Client is the slave side of replication (Apache's HAClient): it connects to the master's
// HA address, reports its CommitLog end, appends every frame at exactly that end and reports
// again; on any mismatch or error it drops the connection and reconnects.
type Client struct {
	cfg ClientConfig
	log *slog.Logger

	mu     sync.Mutex
	master string
	conn   net.Conn
	closed bool
	wake   chan struct{} // 1-slot: the master address changed

	lost        LogLimiter // "replication connection ended": once, then at a falling rate
	connected   atomic.Bool
	masterEnd   atomic.Int64 // the master's offset in the last frame
	lastReceive atomic.Int64 // unix ms of the last frame
	lastReport  atomic.Int64 // unix ms of the last offset report
	flow        flowMonitor  // bytes received per second

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	startOnce sync.Once
}

// NewClient returns a slave-side client; it connects once Start ran and a master address
// is set.
func NewClient(cfg ClientConfig) *Client {
	cfg.defaults()
	c := &Client{cfg: cfg, log: cfg.Logger.With("component", "ha-slave"), wake: make(chan struct{}, 1)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// SetMasterAddr sets the master's HA address (host:port). A change drops the current
// connection so the next one goes to the new master; "" stops replicating.
func (c *Client) SetMasterAddr(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if addr == c.master {
		return
	}
	c.log.Info("master HA address", "addr", addr, "was", c.master)
	c.master = addr
	if c.conn != nil {
		c.conn.Close()
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// MasterAddr returns the master's HA address, or "".
func (c *Client) MasterAddr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.master
}

// Connected reports whether a connection to the master is up.
func (c *Client) Connected() bool { return c.connected.Load() }

// MasterOffset returns the master's CommitLog position seen in the last frame (0 before).
func (c *Client) MasterOffset() int64 { return c.masterEnd.Load() }

// LastReceive returns when the last frame arrived (zero before).
func (c *Client) LastReceive() time.Time {
	if ms := c.lastReceive.Load(); ms > 0 {
		return time.UnixMilli(ms)
	}
	return time.Time{}
}

// LastReport returns when the slave last reported its offset to the master (zero before).
func (c *Client) LastReport() time.Time {
	if ms := c.lastReport.Load(); ms > 0 {
		return time.UnixMilli(ms)
	}
	return time.Time{}
}

// BytesPerSecond returns what was received from the master during the last whole second.
func (c *Client) BytesPerSecond() int64 { return c.flow.PerSecond(time.Now()) }

// Start runs the connection loop in a goroutine owned by c until Close; later calls do
// nothing.
func (c *Client) Start() { c.startOnce.Do(func() { c.wg.Go(c.run) }) }

func (c *Client) run() {
	for c.ctx.Err() == nil {
		addr := c.MasterAddr()
		if addr != "" {
			err := c.session(addr)
			if c.ctx.Err() != nil {
				return
			}
			if ok, n := c.lost.Allow(time.Now()); ok {
				c.log.Warn("replication connection ended", "master", addr, "err", err, "suppressed", n)
			}
		}
		t := time.NewTimer(c.cfg.RetryInterval)
		select {
		case <-c.ctx.Done():
		case <-c.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// session replicates over one connection until it fails.
func (c *Client) session(addr string) error {
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	conn, err := d.DialContext(c.ctx, "tcp", addr)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.closed || c.master != addr {
		c.mu.Unlock()
		conn.Close()
		return ErrClosed
	}
	c.conn = conn
	c.mu.Unlock()
	c.connected.Store(true)
	defer func() {
		c.connected.Store(false)
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
		conn.Close()
	}()
	c.lost.Reset()
	c.log.Info("connected to master", "master", addr, "offset", c.cfg.Store.CommitLogMaxOffset())
	var wmu sync.Mutex // reports come from the read loop and the ticker
	report := func() error {
		wmu.Lock()
		defer wmu.Unlock()
		var rep [ReportLen]byte
		PutReport(rep[:], c.cfg.Store.CommitLogMaxOffset())
		_ = conn.SetWriteDeadline(time.Now().Add(c.cfg.ReadTimeout))
		_, err := conn.Write(rep[:])
		if err == nil {
			c.lastReport.Store(time.Now().UnixMilli())
		}
		return err
	}
	if err := report(); err != nil {
		return err
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(done)
	wg.Go(func() {
		t := time.NewTicker(c.cfg.ReportInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := report(); err != nil {
					conn.Close()
					return
				}
			}
		}
	})
	r := bufio.NewReaderSize(conn, 64<<10)
	var buf, pending []byte // pending: the start of a record the master's batch cut
	for {
		_ = conn.SetReadDeadline(time.Now().Add(c.cfg.ReadTimeout))
		phys, body, err := ReadFrame(r, buf, c.cfg.MaxFrame)
		if err != nil {
			return err
		}
		buf = body
		now := time.Now()
		c.lastReceive.Store(now.UnixMilli())
		c.flow.add(HeaderLen+len(body), now)
		c.masterEnd.Store(phys + int64(len(body)))
		if len(body) == 0 {
			continue
		}
		end := c.cfg.Store.CommitLogMaxOffset()
		if phys != end+int64(len(pending)) {
			return fmt.Errorf("%w: master sent %d, slave ends at %d (+%d pending)", ErrOffsetMismatch, phys, end, len(pending))
		}
		data := body
		if len(pending) > 0 {
			pending = append(pending, body...)
			data = pending
		}
		n, err := WholeRecords(data)
		if err != nil {
			return fmt.Errorf("at %d: %w", end+int64(n), err)
		}
		if n > 0 {
			if err := c.cfg.Store.AppendReplica(c.ctx, end, data[:n]); err != nil {
				return err
			}
		}
		if len(pending) > 0 {
			pending = pending[:copy(pending, data[n:])]
		} else {
			pending = append(pending[:0], data[n:]...)
		}
		if len(pending) > c.cfg.MaxFrame {
			return fmt.Errorf("%w: %d bytes of an unfinished record", ErrBadFrame, len(pending))
		}
		if n > 0 {
			if err := report(); err != nil {
				return err
			}
		}
	}
}

// WholeRecords returns the length of the longest prefix of data made of whole CommitLog
// records and blank fillers (whose size field runs to the segment end). An Apache master
// cuts its batches anywhere, so a slave keeps the rest until the next frame completes it.
func WholeRecords(data []byte) (int, error) {
	p := 0
	for len(data)-p >= 8 {
		size := int(int32(binary.BigEndian.Uint32(data[p:])))
		if size < 8 || (size < message.MinStoredLen && binary.BigEndian.Uint32(data[p+4:]) != message.BlankMagic) {
			return p, fmt.Errorf("%w: record size %d", ErrBadFrame, size)
		}
		if size > len(data)-p {
			break
		}
		p += size
	}
	return p, nil
}

// Close stops replicating and waits for the connection loop. It is idempotent.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	if c.conn != nil {
		c.conn.Close()
	}
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	return nil
}
