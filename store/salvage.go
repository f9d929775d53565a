package store

import (
	"encoding/binary"
	"os"
	"path/filepath"

	"github.com/mq-project/mq/message"
)

// SalvagedRange is a damaged CommitLog range that recovery skipped, keeping the valid records
// after it (RecoverSalvage).
type SalvagedRange struct {
	// From and To delimit the skipped bytes: [From, To) in CommitLog offsets.
	From, To int64
	// Reason says what was wrong with the record at From.
	Reason string
	// SavedTo is the file holding the original bytes ("" when they could not be saved).
	SavedTo string
	// Topic, QueueID and QueueOffset name the lost message when its header was still
	// readable (QueueOffset is -1 otherwise).
	Topic       string
	QueueID     int32
	QueueOffset int64
}

// damagedDir holds the original bytes of skipped ranges, one file per range named by its
// start offset.
func (c *Config) damagedDir() string { return filepath.Join(c.StorePathRootDir, "damaged") }

// salvageFrom is called when the walk found a damaged record at pos of fs[i]. It looks for
// the first valid record after it (magic, size, structure, its own physical offset and body
// CRC all check), in the same segment or at the start of the next one. When there is one, the
// damaged bytes are saved under damaged/ and overwritten by a filler that every reader
// already skips (a rollback-type record, which no ConsumeQueue or IndexFile takes, or a blank
// filler up to the segment's end), and the walk continues there (j, next). With nothing
// valid after the damage (a torn tail) it reports false: the log is cut there as before.
func (s *Store) salvageFrom(fs []*mappedFile, i int, pos int64, reason string, rep *RecoveryReport) (j int, next int64, ok bool) {
	mf := fs[i]
	d := mf.data
	j = -1
	// Look past the damage, but not past a run of zeros longer than any record (the end
	// of what was written: a torn tail, or a segment's unused rest).
	maxRun, zeros := s.maxZeroRun(), int64(0)
	for q := pos + 1; q+8 <= mf.size && zeros < maxRun; q++ {
		if d[q] == 0 {
			zeros++
		} else {
			zeros = 0
		}
		switch binary.BigEndian.Uint32(d[q+4:]) {
		case message.MagicV1, message.MagicV2, message.BlankMagic:
		default:
			continue
		}
		if n, _, why := s.checkRecord(mf, q, true); why == "" && n > 0 {
			j, next = i, q
			break
		}
	}
	if j < 0 && s.startsWithRecord(fs, i+1) {
		j, next = i+1, 0
	}
	if j < 0 {
		return 0, 0, false
	}
	holeEnd := mf.size
	if j == i {
		holeEnd = next
	}
	r := SalvagedRange{From: mf.start + pos, To: fs[j].start + next, Reason: reason, QueueOffset: -1}
	if rec, err := message.ParseStored(d[pos:holeEnd]); err == nil && assignsQueueOffset(rec.SysFlag()) {
		r.Topic, r.QueueID, r.QueueOffset = string(rec.Topic()), rec.QueueID(), rec.QueueOffset()
	}
	filler, ok := s.fillerRecord(r.From, holeEnd-pos, j == i)
	if !ok {
		return 0, 0, false
	}
	if err := os.MkdirAll(s.cfg.damagedDir(), 0o755); err == nil {
		path := filepath.Join(s.cfg.damagedDir(), fileName(r.From))
		if err := os.WriteFile(path, d[pos:holeEnd], 0o644); err == nil {
			r.SavedTo = path
		}
	}
	copy(d[pos:holeEnd], filler)
	if err := unixMsync(d[pos&^(pageSize-1) : holeEnd]); err != nil {
		s.log.Error("commitlog: write the filler of a damaged range", "from", r.From, "err", err)
	}
	rep.Salvaged = append(rep.Salvaged, r)
	s.log.Error("commitlog: damaged record skipped, the valid records after it kept",
		"from", r.From, "to", r.To, "bytes", r.To-r.From, "reason", reason, "saved", r.SavedTo,
		"topic", r.Topic, "queue", r.QueueID, "queueOffset", r.QueueOffset)
	return j, next, true
}

// fillerRecord returns n bytes that stand for a skipped range at CommitLog offset at: a
// rollback-type record with an empty topic and a zero body (inRecord), or a blank filler
// that ends the segment.
func (s *Store) fillerRecord(at, n int64, inRecord bool) ([]byte, bool) {
	b := make([]byte, n)
	if !inRecord {
		if n < 8 {
			return nil, false
		}
		binary.BigEndian.PutUint32(b, uint32(n))
		binary.BigEndian.PutUint32(b[4:], message.BlankMagic)
		return b, true
	}
	m := &message.MessageExt{SysFlag: message.TransactionRollbackType, CommitLogOffset: at,
		BornHost: s.cfg.StoreHost, StoreHost: s.cfg.StoreHost}
	base, err := message.StoredLen(m, 0)
	if err != nil || n < int64(base) {
		return nil, false
	}
	m.Body = make([]byte, n-int64(base))
	m.BodyCRC = message.BodyCRC(m.Body)
	message.PutStored(b, m, nil, int(n))
	return b, true
}

// repairQueuesAfterSalvage runs after re-dispatch: ConsumeQueue entries of skipped records
// become blank entries (consumers skip them), and the queue offset of a lost message whose
// header was readable stays taken, so no queue offset is handed out twice.
func (s *Store) repairQueuesAfterSalvage(rep *RecoveryReport) error {
	if len(rep.Salvaged) == 0 {
		return nil
	}
	s.cqMu.RLock()
	for _, qs := range s.cqs {
		for _, cq := range qs {
			for _, r := range rep.Salvaged {
				rep.ConsumeQueueEntriesBlanked += cq.blankPhysRange(r.From, r.To)
			}
		}
	}
	s.cqMu.RUnlock()
	for _, r := range rep.Salvaged {
		if r.QueueOffset < 0 || r.Topic == "" {
			continue
		}
		cq, err := s.consumeQueueFor([]byte(r.Topic), r.QueueID)
		if err != nil {
			return err
		}
		if err := cq.reserveThrough(r.QueueOffset); err != nil {
			return err
		}
	}
	return nil
}
