package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mq-project/mq/message"
)

// ErrReplicaOffset is returned by AppendReplica when the bytes do not start exactly at the
// end of the CommitLog (a gap or an overlap), or do not consist of whole records.
var ErrReplicaOffset = errors.New("store: replica bytes not at the CommitLog end")

// ReadReplica copies CommitLog bytes starting at phys into buf (reused when large enough)
// for a slave: whole records only, all in the segment holding phys, at most maxBytes of them
// but always at least one record (or the segment's blank filler, which runs to the segment
// end). It returns an empty slice when phys is the end of the CommitLog, ErrOffsetTooSmall
// below the first segment kept, ErrOffsetNotFound past the end, and ErrCorrupt when no record
// starts at phys.
func (s *Store) ReadReplica(phys int64, maxBytes int, buf []byte) ([]byte, error) {
	if s.closed.Load() {
		return buf[:0], ErrClosed
	}
	end := s.cl.readableOffset()
	switch {
	case phys == end:
		return buf[:0], nil
	case phys > end:
		return buf[:0], fmt.Errorf("%w: %d is past the end %d", ErrOffsetNotFound, phys, end)
	case phys < s.cl.minOffset.Load():
		return buf[:0], ErrOffsetTooSmall
	}
	mf := s.cl.mfq.find(phys)
	if mf == nil {
		return buf[:0], ErrOffsetTooSmall
	}
	defer mf.release()
	wrote := min(mf.start+mf.wrote.Load(), max(end, mf.start)) - mf.start
	from := phys - mf.start
	p := from
	for p+8 <= wrote {
		size := int64(int32(binary.BigEndian.Uint32(mf.data[p:])))
		if binary.BigEndian.Uint32(mf.data[p+4:]) == message.BlankMagic {
			size = mf.size - p // the filler always runs to the segment end
		}
		if size < 8 || p+size > mf.size || (size < message.MinStoredLen && p+size != mf.size) {
			break
		}
		if p+size > wrote || (p > from && p+size-from > int64(maxBytes)) {
			break
		}
		p += size
	}
	if p == from {
		return buf[:0], fmt.Errorf("%w: no whole record at %d", ErrCorrupt, phys)
	}
	return append(buf[:0], mf.data[from:p]...), nil
}

// AppendReplica appends CommitLog bytes a master sent (read there with ReadReplica) at
// exactly phys, which must be the end of this CommitLog (an empty store may start at any
// segment boundary at or past its end, as a new slave of a master whose old segments are
// gone). data must be whole records and blank fillers that stay within segments of this
// store's size; each record's physical offset field must match where it lands. The records
// are then flushed per FlushDiskType and dispatched as if appended here.
func (s *Store) AppendReplica(ctx context.Context, phys int64, data []byte) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if len(data) == 0 {
		return nil
	}
	if s.diskFull.Load() {
		return ErrDiskFull
	}
	cl := s.cl
	cl.mu.Lock()
	err := s.appendReplicaLocked(phys, data)
	end := cl.maxOffset.Load()
	cl.mu.Unlock()
	if err != nil {
		return err
	}
	if s.cfg.FlushDiskType == SyncFlush {
		return s.flusher.waitFor(ctx, end)
	}
	s.appendedAsync(end)
	return nil
}

// checkReplica validates that data laid at phys is whole records and fillers within
// segments of size segSize.
func checkReplica(phys int64, data []byte, segSize int64) error {
	for p := int64(0); p < int64(len(data)); {
		at := phys + p
		segEnd := (at/segSize + 1) * segSize
		if int64(len(data))-p < 8 {
			return fmt.Errorf("%w: %d trailing bytes at %d", ErrReplicaOffset, int64(len(data))-p, at)
		}
		size := int64(int32(binary.BigEndian.Uint32(data[p:])))
		if binary.BigEndian.Uint32(data[p+4:]) == message.BlankMagic {
			if size != segEnd-at || p+size > int64(len(data)) {
				return fmt.Errorf("%w: blank filler of %d bytes at %d (segment ends at %d)", ErrReplicaOffset, size, at, segEnd)
			}
			p += size
			continue
		}
		if size < message.MinStoredLen || p+size > int64(len(data)) || at+size > segEnd {
			return fmt.Errorf("%w: bad record size %d at %d", ErrReplicaOffset, size, at)
		}
		if got := message.Stored(data[p : p+size]).PhysicalOffset(); got != at {
			return fmt.Errorf("%w: record at %d says it is at %d", ErrReplicaOffset, at, got)
		}
		p += size
	}
	return nil
}

// appendReplicaLocked writes data at phys; the caller holds cl.mu.
func (s *Store) appendReplicaLocked(phys int64, data []byte) error {
	cl := s.cl
	end := cl.maxOffset.Load()
	mf := cl.mfq.last()
	empty := mf == nil
	size := s.cfg.MappedFileSizeCommitLog
	switch {
	case empty && phys != end && (phys < end || phys%size != 0):
		return fmt.Errorf("%w: got %d, empty store ends at %d", ErrReplicaOffset, phys, end)
	case !empty && phys != end:
		return fmt.Errorf("%w: got %d, CommitLog ends at %d", ErrReplicaOffset, phys, end)
	}
	if err := checkReplica(phys, data, size); err != nil {
		return err
	}
	for len(data) > 0 {
		if mf == nil || phys >= mf.start+mf.size {
			var err error
			if mf, err = cl.mfq.newFile(phys); err != nil {
				return err
			}
			if empty {
				cl.minOffset.Store(phys)
				s.disp.from.Store(phys)
				empty = false
			}
		}
		pos := phys - mf.start
		n := min(int64(len(data)), mf.size-pos)
		chunk := data[:n]
		if err := cl.writeLocked(mf, pos, int(n), func(b []byte) { copy(b, chunk) }); err != nil {
			return err
		}
		mf.wrote.Store(pos + n)
		phys += n
		data = data[n:]
		cl.maxOffset.Store(phys)
	}
	if s.cfg.FlushDiskType == SyncFlush {
		// A slave reports what it holds as its max offset: keep that in the page cache, as
		// under ASYNC_FLUSH, rather than staged in this process.
		return cl.commitLocked()
	}
	return nil
}
