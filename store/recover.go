package store

import (
	"encoding/binary"
	"fmt"

	"github.com/mq-project/mq/message"
)

// RecoveryReport says what Open found and what it dropped.
type RecoveryReport struct {
	// Abnormal is true when the abort marker was present (the last run did not Close).
	Abnormal bool
	// CommitLogWalkFrom is where record validation began.
	CommitLogWalkFrom int64
	// CommitLogEnd is the end of the last valid record: appends continue here.
	CommitLogEnd int64
	// StopReason says why validation stopped before a clean end ("" for a clean end).
	StopReason string
	// DroppedBytes counts the non-zero CommitLog bytes cleared or deleted past CommitLogEnd.
	DroppedBytes int64
	// ResizedSegments lists CommitLog files that were shorter than the segment size.
	ResizedSegments []string
	// DroppedSegments counts CommitLog segments deleted past CommitLogEnd.
	DroppedSegments int
	// ConsumeQueueEntriesDropped counts ConsumeQueue entries pointing past CommitLogEnd.
	ConsumeQueueEntriesDropped int
	// IndexFilesDropped counts IndexFiles deleted because they only indexed dropped records.
	IndexFilesDropped int
	// RedispatchedBytes is how much of the CommitLog was dispatched again at open.
	RedispatchedBytes int64
	// Salvaged lists the damaged CommitLog ranges skipped (RecoverSalvage), in order.
	Salvaged []SalvagedRange
	// ConsumeQueueEntriesBlanked counts ConsumeQueue entries of skipped records, kept as
	// holes so that no queue offset is given twice.
	ConsumeQueueEntriesBlanked int
}

// recoverCommitLog validates records from a starting segment and cuts the log after the last
// valid one. Under RecoverSalvage a damaged record followed by valid records is skipped
// instead (see salvage.go).
func (s *Store) recoverCommitLog(abnormal bool, cp checkpoint, haveCP bool, rep *RecoveryReport) {
	q := s.cl.mfq
	rep.ResizedSegments = q.resized
	fs := q.list()
	if len(fs) == 0 {
		return
	}
	startIdx := max(0, len(fs)-3)
	if abnormal {
		startIdx = 0
		if haveCP {
			from := min(cp.dispatchedOffset, cp.flushedOffset)
			if from >= fs[0].start {
				startIdx = int(min((from-fs[0].start)/q.fileSize, int64(len(fs)-1)))
			}
		}
	}
	rep.CommitLogWalkFrom = fs[startIdx].start
	end := fs[startIdx].start
	salvage := s.cfg.RecoverMode != RecoverStrict
	maxZeroLook := s.maxZeroRun()
	for i, pos := startIdx, int64(0); i < len(fs); {
		mf := fs[i]
		p, reason := s.walkSegment(mf, pos)
		end = mf.start + p
		if p >= mf.size {
			i, pos = i+1, 0
			continue
		}
		if reason == "" {
			// A clean end, unless valid records follow a zeroed range (a lost page, a
			// zeroed block): then it is damage like any other.
			if !salvage || (mf.scanTail(p, maxZeroLook, false) == 0 && !s.startsWithRecord(fs, i+1)) {
				break
			}
			reason = fmt.Sprintf("zeroed bytes at %d before more data", mf.start+p)
			if j, next, ok := s.salvageFrom(fs, i, p, reason, rep); ok {
				i, pos = j, next
				continue
			}
			break
		}
		if salvage {
			if j, next, ok := s.salvageFrom(fs, i, p, reason, rep); ok {
				i, pos = j, next
				continue
			}
		}
		rep.StopReason = reason
		break
	}
	if rep.StopReason != "" && haveCP && cp.flushedOffset > end {
		// Bytes the checkpoint says were on disk: not a torn tail.
		s.log.Error("commitlog: records below the flushed checkpoint dropped", "from", end,
			"to", cp.flushedOffset, "bytes", cp.flushedOffset-end, "reason", rep.StopReason, "mode", s.cfg.RecoverMode)
	}
	maxRun := int64(s.cfg.MaxMessageSize) + 64<<10
	nBefore := len(q.list())
	var err error
	if rep.DroppedBytes, err = q.truncate(end, maxRun); err != nil {
		// The cut stands in memory; a power cut before the next flush could bring stale
		// bytes back after the end.
		s.log.Error("commitlog: make the recovered end durable", "end", end, "err", err)
	}
	rep.DroppedSegments = nBefore - len(q.list())
	rep.CommitLogEnd = end
	for _, mf := range q.list() {
		mf.flushed.Store(mf.wrote.Load())
	}
}

// walkSegment returns the position after the last valid record of mf from pos (mf.size when
// it ends with a valid blank filler) and, when it stopped on bad data, why.
func (s *Store) walkSegment(mf *mappedFile, pos int64) (int64, string) {
	for {
		if pos+8 > mf.size {
			return pos, "no room for a record header"
		}
		n, blank, reason := s.checkRecord(mf, pos, s.cfg.CheckCRCOnRecover)
		switch {
		case reason != "":
			return pos, reason
		case n == 0:
			return pos, ""
		case blank:
			return mf.size, ""
		}
		pos += n
	}
}

// checkRecord validates what starts at pos of mf: a record (its size), a blank filler that
// ends the segment (blank), or the clean end of the log (0 and no reason).
func (s *Store) checkRecord(mf *mappedFile, pos int64, checkCRC bool) (n int64, blank bool, reason string) {
	be := binary.BigEndian
	d := mf.data
	total := int64(int32(be.Uint32(d[pos:])))
	magic := be.Uint32(d[pos+4:])
	switch {
	case total == 0 && magic == 0:
		return 0, false, ""
	case magic == message.BlankMagic:
		if total == mf.size-pos {
			return total, true, ""
		}
		return 0, false, fmt.Sprintf("bad blank filler size %d at %d", total, mf.start+pos)
	case magic != message.MagicV1 && magic != message.MagicV2:
		return 0, false, fmt.Sprintf("bad magic %#x at %d", magic, mf.start+pos)
	case total < message.MinStoredLen || total > mf.size-pos-blankMinLen:
		return 0, false, fmt.Sprintf("bad size %d at %d", total, mf.start+pos)
	}
	rec, err := message.ParseStored(d[pos : pos+total])
	if err != nil {
		return 0, false, fmt.Sprintf("bad record at %d: %v", mf.start+pos, err)
	}
	if rec.PhysicalOffset() != mf.start+pos {
		return 0, false, fmt.Sprintf("record at %d claims offset %d", mf.start+pos, rec.PhysicalOffset())
	}
	if checkCRC && !rec.CheckCRC() {
		return 0, false, fmt.Sprintf("body crc mismatch at %d", mf.start+pos)
	}
	return total, false, ""
}

// maxZeroRun is the longest run of zero bytes recovery looks past: more than a record.
func (s *Store) maxZeroRun() int64 { return int64(s.cfg.MaxMessageSize) + 64<<10 }

// startsWithRecord reports whether fs[i] exists and begins with a valid record.
func (s *Store) startsWithRecord(fs []*mappedFile, i int) bool {
	if i >= len(fs) {
		return false
	}
	n, _, why := s.checkRecord(fs[i], 0, true)
	return why == "" && n > 0
}
