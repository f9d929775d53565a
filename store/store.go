package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mq-project/mq/message"
)

// Store is the message store: one CommitLog, the ConsumeQueues and IndexFiles built from it,
// flush, checkpoint, recovery and retention. It is safe for concurrent use.
type Store struct {
	cfg         Config
	log         *slog.Logger
	deleteHours []int

	lockFile *os.File
	alloc    *allocator
	zero     *zeroFiller // SYNC_FLUSH only
	warm     *warmer     // ASYNC_FLUSH only
	cl       *commitLog
	flusher  *flusher
	disp     *dispatcher
	index    *indexService
	ckpt     *checkpointFile
	report   RecoveryReport

	cqMu sync.RWMutex
	cqs  map[string]map[int32]*consumeQueue

	closed   atomic.Bool
	quit     chan struct{}
	wg       sync.WaitGroup
	cleanMu  sync.Mutex
	lastFull atomic.Bool // disk usage over diskMaxUsedSpaceRatio at the last check
	diskFull atomic.Bool // disk usage over diskSpaceWarningLevelRatio: appends are refused

	// ckMu serialises checkpoints; under it, ckRounds counts the periodic ones since the
	// index was last synced and indexDispatched is the dispatched offset that sync covers.
	ckMu            sync.Mutex
	ckRounds        int
	indexDispatched int64
}

// Open opens (creating if needed) the store under cfg.StorePathRootDir, recovers it and starts
// its background services. logger may be nil (cfg.Logger is then used, and if that is nil
// logs are discarded).
func Open(cfg Config, logger *slog.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = cfg.Logger
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Store{cfg: cfg, log: logger.With("component", "store"), quit: make(chan struct{}),
		cqs: make(map[string]map[int32]*consumeQueue)}
	s.deleteHours, _ = parseDeleteWhen(cfg.DeleteWhen)
	if err := s.open(); err != nil {
		s.closeFiles()
		return nil, err
	}
	return s, nil
}

func (s *Store) open() error {
	cfg := &s.cfg
	if err := os.MkdirAll(cfg.StorePathRootDir, 0o755); err != nil {
		return err
	}
	lf, err := os.OpenFile(cfg.lockPath(), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	s.lockFile = lf
	if err := unix.Flock(int(lf.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fmt.Errorf("%w: %s", ErrLocked, cfg.StorePathRootDir)
	}
	_, err = os.Stat(cfg.abortPath())
	abnormal := err == nil
	cp, haveCP, err := readCheckpoint(cfg.checkpointPath())
	if err != nil {
		return fmt.Errorf("read checkpoint: %w", err)
	}
	rep := &s.report
	rep.Abnormal = abnormal

	s.alloc = newAllocator(true)
	s.cl = &commitLog{cfg: cfg, queueOffsets: make(map[tqKey]int64),
		mfq: newMappedFileQueue(cfg.commitLogDir(), cfg.MappedFileSizeCommitLog, true, s.alloc)}
	if err := s.cl.mfq.load(); err != nil {
		return fmt.Errorf("load commitlog: %w", err)
	}
	s.recoverCommitLog(abnormal, cp, haveCP, rep)
	clEnd := rep.CommitLogEnd
	s.cl.maxOffset.Store(clEnd)
	s.cl.writtenOffset.Store(clEnd)
	s.cl.flushedOffset.Store(clEnd)
	s.cl.minOffset.Store(s.cl.mfq.minOffset())

	if err := s.loadConsumeQueues(clEnd); err != nil {
		return err
	}
	s.index = newIndexService(cfg.indexDir(), cfg.MaxHashSlotNum, cfg.MaxIndexNum)
	n, err := s.index.load(clEnd)
	if err != nil {
		return fmt.Errorf("load index: %w", err)
	}
	rep.IndexFilesDropped = n

	// Re-dispatch what the checkpoint does not cover; dispatch is idempotent.
	from := s.cl.minOffset.Load()
	if haveCP && cp.dispatchedOffset >= from && cp.dispatchedOffset <= clEnd {
		from = cp.dispatchedOffset
	}
	s.indexDispatched = from // what the index files on disk cover, until the next index sync
	s.disp = newDispatcher(s, from)
	if !s.disp.run(clEnd) {
		return fmt.Errorf("%w: re-dispatch stopped at %d", ErrCorrupt, s.disp.from.Load())
	}
	rep.RedispatchedBytes = clEnd - from
	if err := s.repairQueuesAfterSalvage(rep); err != nil {
		return fmt.Errorf("repair consume queues after salvage: %w", err)
	}
	s.cqMu.RLock()
	for _, qs := range s.cqs {
		for _, cq := range qs {
			s.cl.queueOffsets[tqKey{cq.topic, cq.qid}] = cq.maxLogical.Load()
			cq.correctMin(s.cl.minOffset.Load())
		}
	}
	s.cqMu.RUnlock()

	if s.ckpt, err = openCheckpointFile(cfg.checkpointPath()); err != nil {
		return err
	}
	if haveCP && (cp.dispatchedOffset > clEnd || cp.flushedOffset > clEnd) {
		// The checkpoint counts records the log no longer has. Left on disk until the next
		// checkpoint, a power cut would bring it back once new records had grown the log
		// past it, and recovery would then not re-dispatch those below it.
		if err := s.checkpointNow(); err != nil {
			return fmt.Errorf("checkpoint after recovery: %w", err)
		}
	}
	if err := os.WriteFile(cfg.abortPath(), nil, 0o644); err != nil {
		return err
	}
	if len(rep.Salvaged) > 0 {
		var lost int64
		for _, r := range rep.Salvaged {
			lost += r.To - r.From
		}
		s.log.Error("recovered with damaged CommitLog ranges skipped", "ranges", len(rep.Salvaged), "bytes", lost,
			"cqEntriesBlanked", rep.ConsumeQueueEntriesBlanked, "saved", s.cfg.damagedDir())
	}
	if abnormal || rep.DroppedBytes > 0 || rep.StopReason != "" || len(rep.ResizedSegments) > 0 {
		s.log.Warn("recovered", "abnormal", abnormal, "end", clEnd, "reason", rep.StopReason,
			"droppedBytes", rep.DroppedBytes, "resized", rep.ResizedSegments, "droppedSegments", rep.DroppedSegments,
			"cqEntriesDropped", rep.ConsumeQueueEntriesDropped, "indexFilesDropped", rep.IndexFilesDropped)
	} else {
		s.log.Info("opened", "end", clEnd)
	}

	onFlush := s.disp.notify
	if cfg.FlushDiskType != SyncFlush {
		s.warm = newWarmer(s.cl, s.log)
		s.wg.Go(func() { s.warm.loop(s.quit) })
	}
	if cfg.FlushDiskType == SyncFlush {
		s.zero = newZeroFiller(s.cl, s.log)
		onFlush = func() {
			s.disp.notify()
			s.zero.notify()
		}
		s.wg.Go(func() { s.zero.loop(s.quit) })
	}
	s.checkDisk()
	s.flusher = newFlusher(s.cl, cfg, s.log, onFlush)
	s.disp.start()
	s.wg.Go(s.checkpointLoop)
	s.wg.Go(s.cleanLoop)
	return nil
}

func (s *Store) loadConsumeQueues(clEnd int64) error {
	root := s.cfg.consumeQueueDir()
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	topics, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, t := range topics {
		if !t.IsDir() {
			continue
		}
		if err := CheckTopic(t.Name()); err != nil {
			s.log.Warn("ignoring a consume queue directory that is not a topic name", "dir", t.Name(), "err", err)
			continue
		}
		qs, err := os.ReadDir(filepath.Join(root, t.Name()))
		if err != nil {
			return err
		}
		for _, q := range qs {
			qid, err := strconv.ParseInt(q.Name(), 10, 32)
			if !q.IsDir() || err != nil {
				continue
			}
			cq := newConsumeQueue(root, t.Name(), int32(qid), s.cfg.MappedFileSizeConsumeQueue)
			n, err := cq.load(clEnd)
			if err != nil {
				return fmt.Errorf("load consume queue %s-%d: %w", t.Name(), qid, err)
			}
			s.report.ConsumeQueueEntriesDropped += n
			if s.cqs[cq.topic] == nil {
				s.cqs[cq.topic] = make(map[int32]*consumeQueue)
			}
			s.cqs[cq.topic][cq.qid] = cq
		}
	}
	return nil
}

// consumeQueueFor returns the queue, creating it (without files) when new.
func (s *Store) consumeQueueFor(topic []byte, qid int32) (*consumeQueue, error) {
	s.cqMu.RLock()
	cq := s.cqs[string(topic)][qid]
	s.cqMu.RUnlock()
	if cq != nil {
		return cq, nil
	}
	s.cqMu.Lock()
	defer s.cqMu.Unlock()
	t := string(topic)
	if cq = s.cqs[t][qid]; cq != nil {
		return cq, nil
	}
	if err := checkQueue(t, qid); err != nil {
		return nil, err
	}
	cq = newConsumeQueue(s.cfg.consumeQueueDir(), t, qid, s.cfg.MappedFileSizeConsumeQueue)
	if s.cqs[t] == nil {
		s.cqs[t] = make(map[int32]*consumeQueue)
	}
	s.cqs[t][qid] = cq
	return cq, nil
}

func (s *Store) lookupCQ(topic string, qid int32) *consumeQueue {
	s.cqMu.RLock()
	defer s.cqMu.RUnlock()
	return s.cqs[topic][qid]
}

// DeleteTopic removes topic's ConsumeQueues (files included) and its queue offsets, as
// Java's deleteTopics does: a topic created again under the name starts at queue offset 0 and
// does not show the old messages, which stay in the CommitLog until retention. Records of the
// topic appended before the call are dispatched first (it waits up to syncFlushTimeout for
// that), so they cannot come back into the new queues. It returns how many queues it removed.
func (s *Store) DeleteTopic(topic string) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	if err := CheckTopic(topic); err != nil {
		return 0, err
	}
	end := s.cl.maxOffset.Load()
	s.RequestFlush() // under SYNC_FLUSH only flushed records are dispatched
	deadline := time.Now().Add(time.Duration(s.cfg.SyncFlushTimeout) * time.Millisecond)
	for s.disp.from.Load() < end {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("delete topic %s: dispatch is still at %d of %d", topic, s.disp.from.Load(), end)
		}
		s.disp.notify()
		time.Sleep(time.Millisecond)
	}
	s.cl.mu.Lock()
	for k := range s.cl.queueOffsets {
		if k.topic == topic {
			delete(s.cl.queueOffsets, k)
		}
	}
	s.cl.mu.Unlock()
	s.cqMu.Lock()
	qs := s.cqs[topic]
	delete(s.cqs, topic)
	s.cqMu.Unlock()
	for _, cq := range qs {
		cq.mfq.destroyAll()
	}
	err := os.RemoveAll(filepath.Join(s.cfg.consumeQueueDir(), topic))
	if err == nil {
		err = s.checkpointNow() // a restart must not re-dispatch the old records into new queues
	}
	return len(qs), err
}

// Recovery returns what Open found and dropped.
func (s *Store) Recovery() RecoveryReport { return s.report }

// Append stores m. The caller sets Topic, QueueID, Flag, Properties, Body, SysFlag,
// BornTimestamp, BornHost, ReconsumeTimes and PreparedTransactionOffset; Append fills
// QueueOffset, CommitLogOffset, StoreTimestamp, StoreHost, BodyCRC and StoreSize. Under
// SYNC_FLUSH it returns once the record is on disk, or ErrFlushTimeout (the record is stored
// and will be flushed).
func (s *Store) Append(ctx context.Context, m *message.MessageExt) (AppendResult, error) {
	res, err := s.AppendNoWait(m)
	if err != nil {
		return res, err
	}
	return res, s.WaitFlushed(ctx, res)
}

// AppendBatch stores ms in one acquisition of the append lock, with consecutive queue offsets
// per topic-queue. Each element is filled as by Append.
func (s *Store) AppendBatch(ctx context.Context, ms []*message.MessageExt) (AppendResult, error) {
	res, err := s.AppendBatchNoWait(ms)
	if err != nil {
		return res, err
	}
	return res, s.WaitFlushed(ctx, res)
}

// appendedAsync tells the dispatcher and the warmer about records appended under
// ASYNC_FLUSH up to end.
func (s *Store) appendedAsync(end int64) {
	s.disp.notify()
	if s.cfg.Appended != nil {
		s.cfg.Appended()
	}
	if s.warm != nil {
		s.warm.notify(end)
	}
}

// AppendNoWait stores m as Append does but returns without waiting for a SYNC_FLUSH: the
// caller must then call WaitFlushed with the result before acknowledging the message, or
// RequestFlush when it will not wait (a producer's WAIT_STORE_MSG_OK=false). A broker uses it
// to free its request worker while the group commit runs (Java's asynchronous put).
func (s *Store) AppendNoWait(m *message.MessageExt) (AppendResult, error) {
	return s.appendNoWait(nil, m)
}

// AppendBatchNoWait is AppendBatch without the SYNC_FLUSH wait; see AppendNoWait.
func (s *Store) AppendBatchNoWait(ms []*message.MessageExt) (AppendResult, error) {
	if len(ms) == 0 {
		return AppendResult{}, nil
	}
	return s.appendNoWait(ms, nil)
}

func (s *Store) appendNoWait(ms []*message.MessageExt, one *message.MessageExt) (AppendResult, error) {
	if s.closed.Load() {
		return AppendResult{}, ErrClosed
	}
	if s.diskFull.Load() {
		return AppendResult{}, ErrDiskFull
	}
	res, err := s.cl.append(ms, one)
	if err == nil && s.cfg.FlushDiskType != SyncFlush {
		s.appendedAsync(res.End)
	}
	return res, err
}

// WaitFlushed blocks until what res describes is on disk under SYNC_FLUSH, the sync flush
// timeout passes (ErrFlushTimeout; the records stay stored), ctx ends or the store closes.
// Under ASYNC_FLUSH it returns nil at once.
func (s *Store) WaitFlushed(ctx context.Context, res AppendResult) error {
	if s.cfg.FlushDiskType != SyncFlush || res.MsgNum == 0 {
		return nil
	}
	return s.flusher.waitFor(ctx, res.End)
}

// RequestFlush asks a SYNC_FLUSH store to flush soon what was appended without a waiter.
func (s *Store) RequestFlush() {
	if s.cfg.FlushDiskType == SyncFlush && !s.closed.Load() {
		s.flusher.poke()
	}
}

// GroupCommitStats returns how many SYNC_FLUSH group commits served at least one waiting
// writer and how many waits they served in all (their ratio is the mean group size).
func (s *Store) GroupCommitStats() (rounds, served int64) {
	return s.flusher.rounds.Load(), s.flusher.served.Load()
}

// SyncFlush reports whether the store acknowledges appends only once they are on disk.
func (s *Store) SyncFlush() bool { return s.cfg.FlushDiskType == SyncFlush }

// DiskFull reports whether the disk holding the CommitLog is used above
// DiskSpaceWarningLevelRatio: appends are refused (ErrDiskFull) until space is freed.
func (s *Store) DiskFull() bool { return s.diskFull.Load() }

// Record is one stored record read from the mapped CommitLog. Its bytes stay valid until
// Release.
type Record struct {
	message.Stored
	mf *mappedFile
}

// Release lets the segment behind the record be unmapped.
func (r *Record) Release() {
	if r.mf != nil {
		r.mf.release()
		r.mf = nil
	}
}

// ReadAt returns the record at CommitLog offset phys (ErrOffsetTooSmall below the minimum,
// ErrOffsetNotFound if no record starts there).
func (s *Store) ReadAt(phys int64) (Record, error) {
	rec, mf, err := s.cl.recordAt(phys)
	if err != nil {
		return Record{}, err
	}
	return Record{Stored: rec, mf: mf}, nil
}

// GetStatus classifies a GetMessages answer (Java's GetMessageStatus).
type GetStatus int

// Statuses of GetMessages.
const (
	Found GetStatus = iota
	NoMatchedMessage
	OffsetTooSmall
	OffsetOverflowOne
	OffsetOverflowBadly
	NoMessageInQueue
	OffsetFoundNull
)

var getStatusNames = [...]string{"FOUND", "NO_MATCHED_MESSAGE", "OFFSET_TOO_SMALL", "OFFSET_OVERFLOW_ONE",
	"OFFSET_OVERFLOW_BADLY", "NO_MESSAGE_IN_QUEUE", "OFFSET_FOUND_NULL"}

func (g GetStatus) String() string {
	if int(g) < len(getStatusNames) {
		return getStatusNames[g]
	}
	return "GetStatus(" + strconv.Itoa(int(g)) + ")"
}

// GetResult is the answer of GetMessages. Messages are slices of the mapped CommitLog, valid
// until Release.
type GetResult struct {
	Status          GetStatus
	Messages        []message.Stored
	NextBeginOffset int64
	MinOffset       int64
	MaxOffset       int64
	held            []*mappedFile
}

// Release lets the segments behind Messages be unmapped.
func (r *GetResult) Release() {
	for _, mf := range r.held {
		mf.release()
	}
	r.held = nil
	r.Messages = nil
}

// maxScanEntries bounds how many ConsumeQueue entries one GetMessages call examines.
const maxScanEntries = 800

// GetMessages reads up to maxNum messages of topic/queueID from queue offset offset, keeping
// those whose tags code passes filter (nil keeps all). At most
// MaxTransferBytesOnMessageInMemory bytes are returned, but always at least one message.
// Below the min offset it returns status OffsetTooSmall and ErrOffsetTooSmall.
func (s *Store) GetMessages(topic string, queueID int32, offset int64, maxNum int, filter func(tagsCode int64) bool) (GetResult, error) {
	if s.closed.Load() {
		return GetResult{}, ErrClosed
	}
	var r GetResult
	cq := s.lookupCQ(topic, queueID)
	if cq == nil {
		r.Status = NoMessageInQueue
		return r, nil
	}
	r.MinOffset, r.MaxOffset = cq.minLogical.Load(), cq.maxLogical.Load()
	switch {
	case r.MaxOffset == 0:
		r.Status = NoMessageInQueue
		return r, nil
	case offset < r.MinOffset:
		r.Status, r.NextBeginOffset = OffsetTooSmall, r.MinOffset
		return r, ErrOffsetTooSmall
	case offset == r.MaxOffset:
		r.Status, r.NextBeginOffset = OffsetOverflowOne, offset
		return r, nil
	case offset > r.MaxOffset:
		r.Status, r.NextBeginOffset = OffsetOverflowBadly, r.MaxOffset
		if r.MinOffset == 0 {
			r.NextBeginOffset = 0
		}
		return r, nil
	}
	maxNum = max(maxNum, 1)
	clMin, clMax := s.cl.minOffset.Load(), s.cl.maxOffset.Load()
	k, scanned, bytes, belowMin := offset, 0, 0, 0
	var cur *mappedFile // last CommitLog file held
	r.Messages = make([]message.Stored, 0, min(maxNum, 32))
scan:
	for len(r.Messages) < maxNum && k < r.MaxOffset && scanned < maxScanEntries {
		b, cqf := cq.entriesFrom(k)
		if cqf == nil {
			break
		}
		for i := 0; i+ConsumeQueueEntrySize <= len(b); i += ConsumeQueueEntrySize {
			if len(r.Messages) >= maxNum || scanned >= maxScanEntries {
				cqf.release()
				break scan
			}
			e := readCQEntry(b[i:])
			if e.size == math.MaxInt32 || e.size <= 0 {
				k++
				scanned++
				continue
			}
			if e.phys < clMin {
				belowMin++
				k++
				scanned++
				continue
			}
			if filter != nil && !filter(e.tag) {
				k++
				scanned++
				continue
			}
			if len(r.Messages) > 0 && bytes+int(e.size) > s.cfg.MaxTransferBytesOnMessageInMemory {
				cqf.release()
				break scan
			}
			if e.phys+int64(e.size) > clMax {
				cqf.release()
				break scan
			}
			if cur == nil || e.phys < cur.start || e.phys >= cur.start+cur.size {
				cur = s.cl.mfq.find(e.phys)
				if cur == nil {
					belowMin++
					k++
					scanned++
					continue
				}
				r.held = append(r.held, cur)
			}
			pos := e.phys - cur.start
			r.Messages = append(r.Messages, message.Stored(cur.data[pos:pos+int64(e.size):pos+int64(e.size)]))
			bytes += int(e.size)
			k++
			scanned++
		}
		cqf.release()
	}
	r.NextBeginOffset = k
	switch {
	case len(r.Messages) > 0:
		r.Status = Found
	case belowMin > 0:
		r.Status = OffsetFoundNull
	default:
		r.Status = NoMatchedMessage
	}
	return r, nil
}

// QueryResult is the answer of QueryByKey; Messages are valid until Release.
type QueryResult struct {
	Messages                 []message.Stored
	IndexLastUpdateTimestamp int64
	IndexLastUpdatePhyOffset int64
	held                     []*mappedFile
}

// Release lets the segments behind Messages be unmapped.
func (r *QueryResult) Release() {
	for _, mf := range r.held {
		mf.release()
	}
	r.held = nil
	r.Messages = nil
}

// QueryByKey returns up to maxNum messages of topic whose UNIQ_KEY or one of whose KEYS equals
// key, stored within [beginMs, endMs], newest first.
func (s *Store) QueryByKey(topic, key string, maxNum int, beginMs, endMs int64) (QueryResult, error) {
	if s.closed.Load() {
		return QueryResult{}, ErrClosed
	}
	var r QueryResult
	if !s.cfg.MessageIndexEnable || maxNum <= 0 {
		return r, nil
	}
	// Ask the index for a few more than maxNum: hash collisions are filtered out below.
	offs, ts, phy := s.index.query(topic, key, beginMs, endMs, maxNum*2+8)
	r.IndexLastUpdateTimestamp, r.IndexLastUpdatePhyOffset = ts, phy
	for i, off := range offs {
		if len(r.Messages) >= maxNum {
			break
		}
		if slices.Contains(offs[max(0, i-64):i], off) { // duplicates are adjacent in a chain
			continue // indexed twice: a crash cut a record's indexing short and re-dispatch redid it
		}
		rec, mf, err := s.cl.recordAt(off)
		if err != nil {
			continue
		}
		if string(rec.Topic()) != topic || !recordHasKey(rec, key) {
			mf.release()
			continue
		}
		r.Messages = append(r.Messages, rec)
		r.held = append(r.held, mf)
	}
	return r, nil
}

func recordHasKey(rec message.Stored, key string) bool {
	props := rec.Properties()
	if u, ok := message.PropertyValue(props, message.PropertyUniqClientMessageIDKeyIndex); ok && string(u) == key {
		return true
	}
	keys, ok := message.PropertyValue(props, message.PropertyKeys)
	if !ok {
		return false
	}
	found := false
	message.SplitKeys(keys, func(k []byte) {
		if string(k) == key {
			found = true
		}
	})
	return found
}

// MinOffset returns the first readable queue offset of topic/queueID.
func (s *Store) MinOffset(topic string, queueID int32) int64 {
	if cq := s.lookupCQ(topic, queueID); cq != nil {
		return cq.minLogical.Load()
	}
	return 0
}

// MaxOffset returns the next queue offset of topic/queueID (the number of dispatched messages).
func (s *Store) MaxOffset(topic string, queueID int32) int64 {
	if cq := s.lookupCQ(topic, queueID); cq != nil {
		return cq.maxLogical.Load()
	}
	return 0
}

// CommitLogMinOffset returns the first CommitLog offset still kept.
func (s *Store) CommitLogMinOffset() int64 { return s.cl.minOffset.Load() }

// CommitLogMaxOffset returns the end of the last record written.
func (s *Store) CommitLogMaxOffset() int64 { return s.cl.maxOffset.Load() }

// FlushedOffset returns the CommitLog offset below which everything is on disk.
func (s *Store) FlushedOffset() int64 { return s.cl.flushedOffset.Load() }

// DispatchLag returns how many CommitLog bytes are written but not yet in the ConsumeQueues.
func (s *Store) DispatchLag() int64 { return s.cl.maxOffset.Load() - s.disp.from.Load() }

// DispatchedOffset returns the CommitLog offset the dispatcher has reached.
func (s *Store) DispatchedOffset() int64 { return s.disp.from.Load() }

// OffsetByTime returns the first queue offset of topic/queueID whose message was stored at or
// after ms, or the max offset when there is none.
func (s *Store) OffsetByTime(topic string, queueID int32, ms int64) int64 {
	cq := s.lookupCQ(topic, queueID)
	if cq == nil {
		return 0
	}
	lo, hi := cq.minLogical.Load(), cq.maxLogical.Load()
	for lo < hi {
		mid := lo + (hi-lo)/2
		ts := int64(math.MinInt64)
		if e, ok := cq.entry(mid); ok && e.size != math.MaxInt32 {
			if rec, mf, err := s.cl.recordAt(e.phys); err == nil {
				ts = rec.StoreTimestamp()
				mf.release()
			}
		}
		if ts >= ms {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// Topics returns the topic/queue pairs that have a ConsumeQueue.
func (s *Store) Topics() map[string][]int32 {
	s.cqMu.RLock()
	defer s.cqMu.RUnlock()
	out := make(map[string][]int32, len(s.cqs))
	for t, qs := range s.cqs {
		for q := range qs {
			out[t] = append(out[t], q)
		}
	}
	return out
}

// Flush syncs the CommitLog, ConsumeQueues and index and writes the checkpoint now.
func (s *Store) Flush() error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := s.flusher.flushOnce(); err != nil {
		return err
	}
	return s.checkpointNow()
}

// indexSyncEvery is how many periodic checkpoints pass between two syncs of the index. The
// IndexFile's hash slots are written at random: every msync write-protects the pages it
// cleaned, and the next put into each takes a page fault (page_mkwrite) — with one sync a
// second that was a quarter of the broker's CPU under a 1 KiB produce load. The checkpoint's
// dispatchedOffset then stays at what the last index sync covered (recovery re-dispatches
// the rest; dispatch is idempotent), so a crash re-dispatches at most about this many
// checkpoint intervals of CommitLog more. Apache syncs an IndexFile only when it is full.
const indexSyncEvery = 10

func (s *Store) checkpointLoop() {
	t := time.NewTicker(time.Duration(s.cfg.FlushIntervalConsumeQueue) * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			if err := s.checkpoint(false); err != nil {
				s.log.Error("checkpoint failed", "err", err)
			}
		}
	}
}

// checkpointNow flushes the ConsumeQueues and index and records how far they and the
// CommitLog are on disk.
func (s *Store) checkpointNow() error { return s.checkpoint(true) }

// checkpoint flushes the ConsumeQueues, and the index when full or every indexSyncEvery
// rounds, and records how far they and the CommitLog are on disk: dispatchedOffset is the
// lower of what the ConsumeQueues and what the index have synced.
func (s *Store) checkpoint(full bool) error {
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	dispatched := s.disp.from.Load()
	flushed := s.cl.flushedOffset.Load()
	s.cqMu.RLock()
	var err error
	for _, qs := range s.cqs {
		for _, cq := range qs {
			if e := cq.mfq.flush(math.MaxInt64); e != nil && err == nil {
				err = e
			}
		}
	}
	s.cqMu.RUnlock()
	if err != nil {
		return err
	}
	s.ckRounds++
	if full || s.ckRounds >= indexSyncEvery || s.indexDispatched > dispatched {
		if err := s.index.flush(); err != nil {
			return err
		}
		s.ckRounds, s.indexDispatched = 0, dispatched
	}
	now := time.Now().UnixMilli()
	return s.ckpt.write(checkpoint{physicMsgTimestamp: now, logicsMsgTimestamp: now, indexMsgTimestamp: now,
		dispatchedOffset: min(dispatched, s.indexDispatched), flushedOffset: flushed})
}

// Close stops the background services, flushes everything, writes the checkpoint and removes
// the abort marker. It is idempotent.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.cl.mu.Lock() // wait for appends in flight
	s.cl.mu.Unlock()
	close(s.quit)
	s.wg.Wait()
	s.flusher.close()
	s.disp.close()
	err := s.checkpointNow()
	s.closeFiles()
	if err == nil {
		err = os.Remove(s.cfg.abortPath())
	}
	if s.lockFile != nil {
		_ = unix.Flock(int(s.lockFile.Fd()), unix.LOCK_UN)
		s.lockFile.Close()
	}
	return err
}

func (s *Store) closeFiles() {
	if s.alloc != nil {
		s.alloc.close()
	}
	if s.cl != nil {
		s.cl.mfq.close()
	}
	s.cqMu.Lock()
	for _, qs := range s.cqs {
		for _, cq := range qs {
			cq.mfq.close()
		}
	}
	s.cqMu.Unlock()
	if s.index != nil {
		s.index.close()
	}
	if s.ckpt != nil {
		_ = s.ckpt.close()
	}
	if s.closed.CompareAndSwap(false, true) && s.lockFile != nil { // failed Open
		s.lockFile.Close()
	}
}

// OnFlushed calls done once what res describes is on disk under SYNC_FLUSH (nil), the sync
// flush timeout passes (ErrFlushTimeout; the records stay stored), the flush fails, or the
// store closes (ErrClosed unless its last flush covered res): WaitFlushed without a
// goroutine per waiter. done runs on the flusher's goroutine right after the flush (a flush
// timer's, or the caller's when res can be answered at once) and must not block: the next
// group commit waits for it. Under ASYNC_FLUSH it calls done(nil) at once.
func (s *Store) OnFlushed(res AppendResult, done func(error)) {
	if s.cfg.FlushDiskType != SyncFlush || res.MsgNum == 0 {
		done(nil)
		return
	}
	timeout := time.Duration(s.cfg.SyncFlushTimeout) * time.Millisecond
	s.flusher.onFlushed(flushCallback{end: res.End, deadline: time.Now().Add(timeout).UnixNano(), fn: done})
}
