package txn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/store"
)

// System topics and the internal group (TransactionalMessageUtil.java).
const (
	HalfTopic     = "RMQ_SYS_TRANS_HALF_TOPIC"
	OpTopic       = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
	CheckMaxTopic = "TRANS_CHECK_MAX_TIME_TOPIC"
	SysGroup      = "CID_RMQ_SYS_TRANS"
	RemoveTag     = "d"
)

// Transaction types of END_TRANSACTION's commitOrRollback.
const (
	Unknown  = 0
	Commit   = 8
	Rollback = 12
)

// Errors returned by End; the broker turns them into response codes.
var (
	// ErrNotFound is returned when no half message is at the commitLogOffset.
	ErrNotFound = errors.New("txn: find prepared transaction message failed")
	// ErrMismatch is returned when the header does not match the half message (group, queue
	// offset or commit log offset); its text is Apache's remark.
	ErrMismatch = errors.New("txn: header does not match the half message")
	// ErrImmunityOver is returned for a non-check END_TRANSACTION of a message past its
	// CHECK_IMMUNITY_TIME_IN_SECONDS (Apache answers ILLEGAL_OPERATION).
	ErrImmunityOver = errors.New("txn: commit or rollback after the check immunity time")
	// ErrBadConfig is returned by New for missing dependencies.
	ErrBadConfig = errors.New("txn: bad config")
)

// Offsets keeps the progress of SysGroup on the half and op queues (the broker's consumer
// offsets, persisted in consumerOffset.json as Apache does).
type Offsets interface {
	Query(group, topic string, queueID int32) (int64, bool)
	Commit(group, topic string, queueID int32, offset int64)
}

// Config configures a Service.
type Config struct {
	// Store holds half and op messages.
	Store *store.Store
	// Offsets persists the check progress.
	Offsets Offsets
	// Put stores a committed message in its real topic (the broker applies delay levels and
	// timers). Nil means Store.Append.
	Put func(context.Context, *message.MessageExt) error
	// Append stores system messages (half copies, op records, TRANS_CHECK_MAX_TIME_TOPIC).
	// Nil means Store.Append.
	Append func(context.Context, *message.MessageExt) error
	// Check sends CHECK_TRANSACTION_STATE to one live producer of group; false when the
	// group has no connection.
	Check func(group string, h protocol.CheckTransactionStateRequestHeader, body []byte) bool
	// StoreHost names this broker in offset message ids.
	StoreHost netip.AddrPort
	// BrokerName is sent in checks (bname).
	BrokerName string
	// Timeout is the age after which a half message is checked (transactionTimeOut, 6 s).
	Timeout time.Duration
	// Interval is the check period (transactionCheckInterval, 60 s here, 30 s in Apache).
	Interval time.Duration
	// CheckMax is how many checks a message gets before it is discarded (15).
	CheckMax int
	// Logger receives the service's logs (nil discards them).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service resolves END_TRANSACTION and checks old half messages. Run it in one goroutine.
type Service struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}

	mu sync.Mutex
	// done holds half queue offsets (>= the half progress) known to be committed or rolled back.
	done map[int64]struct{}
	// copies maps the original offset of a re-put half message to its newest copy.
	copies map[int64]int64
	// ops lists the op messages read and not yet committed: op offset, highest half offset.
	ops     []opRef
	opNext  int64 // next op queue offset to read
	checks  int64 // checks sent since start
	loaded  bool
	scanned int64 // half offset the last round stopped at
}

type opRef struct{ off, maxHalf int64 }

// New returns a service; the state is rebuilt from the half and op queues on first use.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Offsets == nil {
		return nil, fmt.Errorf("%w: need a store and offsets", ErrBadConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 6 * time.Second
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.CheckMax <= 0 {
		cfg.CheckMax = 15
	}
	appendFn := func(ctx context.Context, m *message.MessageExt) error {
		_, err := cfg.Store.Append(ctx, m)
		if errors.Is(err, store.ErrFlushTimeout) {
			err = nil
		}
		return err
	}
	if cfg.Put == nil {
		cfg.Put = appendFn
	}
	if cfg.Append == nil {
		cfg.Append = appendFn
	}
	return &Service{cfg: cfg, log: cfg.Logger.With("service", "transaction"), wake: make(chan struct{}, 1),
		done: map[int64]struct{}{}, copies: map[int64]int64{}}, nil
}

func (s *Service) halfOffset() int64 {
	off, _ := s.cfg.Offsets.Query(SysGroup, HalfTopic, 0)
	return off
}

// loadLocked rebuilds done and copies: ops from the op progress, copies from the half
// progress. Caller holds s.mu.
func (s *Service) loadLocked() {
	if s.loaded {
		return
	}
	s.loaded = true
	s.opNext, _ = s.cfg.Offsets.Query(SysGroup, OpTopic, 0)
	s.readOpsLocked()
	from := s.halfOffset()
	s.eachHalf(from, s.cfg.Store.MaxOffset(HalfTopic, 0), func(off int64, rec message.Stored) bool {
		if v, ok := message.PropertyValue(rec.Properties(), message.PropertyTransactionPreparedQueueOff); ok {
			if orig, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				s.copies[orig] = off
			}
		}
		return true
	})
}

// readOpsLocked reads op messages from opNext into done.
func (s *Service) readOpsLocked() {
	st := s.cfg.Store
	for {
		r, _ := st.GetMessages(OpTopic, 0, s.opNext, 256, nil)
		if r.Status != store.Found {
			if r.NextBeginOffset > s.opNext && r.Status != store.NoMessageInQueue {
				s.opNext = r.NextBeginOffset
				r.Release()
				continue
			}
			r.Release()
			return
		}
		for _, rec := range r.Messages {
			ref := opRef{off: rec.QueueOffset(), maxHalf: -1}
			for _, f := range strings.Split(string(rec.Body()), ",") {
				if n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64); err == nil {
					s.done[n] = struct{}{}
					ref.maxHalf = max(ref.maxHalf, n)
				}
			}
			s.ops = append(s.ops, ref)
			s.opNext = rec.QueueOffset() + 1
		}
		r.Release()
	}
}

// eachHalf calls fn for every half message in [from, to) until fn returns false.
func (s *Service) eachHalf(from, to int64, fn func(off int64, rec message.Stored) bool) {
	st := s.cfg.Store
	for off := from; off < to; {
		r, _ := st.GetMessages(HalfTopic, 0, off, 64, nil)
		if r.Status != store.Found {
			next := r.NextBeginOffset
			r.Release()
			if next <= off {
				return
			}
			off = next
			continue
		}
		for _, rec := range r.Messages {
			if rec.QueueOffset() >= to {
				r.Release()
				return
			}
			if !fn(rec.QueueOffset(), rec) {
				r.Release()
				return
			}
			off = rec.QueueOffset() + 1
		}
		r.Release()
	}
}

// original is the half offset a message stands for: TRAN_PREPARED_QUEUE_OFFSET of a copy,
// else its own.
func original(off int64, props []byte) int64 {
	if v, ok := message.PropertyValue(props, message.PropertyTransactionPreparedQueueOff); ok {
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil && n >= 0 {
			return n
		}
	}
	return off
}

// resolvedLocked reports whether the half message at off (original orig) is finished or
// superseded by a newer copy.
func (s *Service) resolvedLocked(off, orig int64) bool {
	if _, ok := s.done[off]; ok {
		return true
	}
	if _, ok := s.done[orig]; ok {
		return true
	}
	if c, ok := s.copies[orig]; ok && c != off {
		return true // a newer copy carries it
	}
	return false
}

// End handles END_TRANSACTION (EndTransactionProcessor): UNKNOWN does nothing; COMMIT stores
// the message in its real topic, then both record an op. A second END for a finished
// transaction succeeds without storing again.
func (s *Service) End(ctx context.Context, h protocol.EndTransactionRequestHeader) error {
	if h.CommitOrRollback != Commit && h.CommitOrRollback != Rollback {
		return nil
	}
	rec, err := s.cfg.Store.ReadAt(h.CommitLogOffset)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	half := rec.Ext(true)
	rec.Release()
	if half.Topic != HalfTopic {
		return ErrNotFound
	}
	switch {
	case half.Properties[message.PropertyProducerGroup] != h.ProducerGroup:
		return fmt.Errorf("%w: The producer group wrong", ErrMismatch)
	case half.QueueOffset != h.TranStateTableOffset:
		return fmt.Errorf("%w: The transaction state table offset wrong", ErrMismatch)
	case half.CommitLogOffset != h.CommitLogOffset:
		return fmt.Errorf("%w: The commit log offset wrong", ErrMismatch)
	}
	if !h.FromTransactionCheck {
		if v := half.Properties[message.PropertyCheckImmunityTimeInSeconds]; v != "" {
			if s.cfg.Now().UnixMilli()-half.BornTimestamp > s.immunity(v).Milliseconds() {
				return ErrImmunityOver
			}
		}
	}
	off := half.QueueOffset
	orig := original(off, []byte(message.EncodeProperties(half.Properties)))
	s.mu.Lock()
	s.loadLocked()
	_, d1 := s.done[off]
	_, d2 := s.done[orig]
	latest, hasCopy := s.copies[orig]
	s.mu.Unlock()
	if d1 || d2 {
		return nil // already finished
	}
	if h.CommitOrRollback == Commit {
		if err := s.cfg.Put(ctx, final(&half, h.CommitLogOffset)); err != nil {
			return fmt.Errorf("txn: store committed message: %w", err)
		}
	}
	offs := []int64{off}
	if orig != off {
		offs = append(offs, orig)
	}
	if hasCopy && latest != off {
		offs = append(offs, latest)
	}
	s.mu.Lock()
	for _, o := range offs {
		s.done[o] = struct{}{}
	}
	s.mu.Unlock()
	return s.writeOp(ctx, offs)
}

// final builds the committed message (EndTransactionProcessor#endMessageTransaction).
func final(half *message.MessageExt, halfPhys int64) *message.MessageExt {
	p := make(map[string]string, len(half.Properties))
	for k, v := range half.Properties {
		p[k] = v
	}
	qid, _ := strconv.Atoi(p[message.PropertyRealQueueID])
	topic := p[message.PropertyRealTopic]
	for _, k := range []string{message.PropertyRealTopic, message.PropertyRealQueueID, message.PropertyTransactionPrepared,
		message.PropertyTransactionCheckTimes, message.PropertyTransactionPreparedQueueOff} {
		delete(p, k)
	}
	return &message.MessageExt{
		Message:        message.Message{Topic: topic, Flag: half.Flag, Properties: p, Body: half.Body},
		QueueID:        int32(qid),
		SysFlag:        message.SetTransactionType(half.SysFlag, message.TransactionCommitType),
		BornTimestamp:  half.BornTimestamp,
		BornHost:       half.BornHost,
		ReconsumeTimes: half.ReconsumeTimes,
		// PREPARED_TRANSACTION_OFFSET names the half message.
		PreparedTransactionOffset: halfPhys,
	}
}

// writeOp records finished half offsets in the op queue (body "12,13,", tag d).
func (s *Service) writeOp(ctx context.Context, offs []int64) error {
	var b strings.Builder
	for _, o := range offs {
		b.WriteString(strconv.FormatInt(o, 10))
		b.WriteByte(',')
	}
	m := &message.MessageExt{
		Message: message.Message{Topic: OpTopic, Body: []byte(b.String()),
			Properties: map[string]string{message.PropertyTags: RemoveTag}},
		BornTimestamp: s.cfg.Now().UnixMilli(), BornHost: s.cfg.StoreHost,
	}
	if err := s.cfg.Append(ctx, m); err != nil {
		return fmt.Errorf("txn: write op: %w", err)
	}
	return nil
}

// immunity is the first-check delay of a message with CHECK_IMMUNITY_TIME_IN_SECONDS: at
// least Timeout (TransactionalMessageUtil#getImmunityTime).
func (s *Service) immunity(v string) time.Duration {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || time.Duration(n)*time.Second < s.cfg.Timeout {
		return s.cfg.Timeout
	}
	return time.Duration(n) * time.Second
}

// Notify runs a check round now (tests and admin); it never blocks.
func (s *Service) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run checks every Interval until ctx is done.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTimer(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
			t.Stop()
		}
		s.CheckOnce(ctx)
		t.Reset(s.cfg.Interval)
	}
}
