package timer

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/mq-project/mq/store"
)

// Unit and slot sizes (see doc.go).
const (
	unitSize  = 48
	slotSize  = 32
	unitMagic = 0x54494D52 // "TIMR"
)

// unit is one pending timer message in the timer log.
type unit struct {
	prev  int64 // position of the previous unit of the same slot, -1 for none
	phys  int64 // CommitLog offset of the message in rmq_sys_wheel_timer
	qoff  int64 // its queue offset in rmq_sys_wheel_timer/0
	slot  int64 // due slot: the message is due at slot*precision ms
	size  int32 // its record size
	valid bool
}

func (u *unit) put(b []byte) {
	binary.BigEndian.PutUint32(b[0:], unitMagic)
	binary.BigEndian.PutUint64(b[8:], uint64(u.prev))
	binary.BigEndian.PutUint64(b[16:], uint64(u.phys))
	binary.BigEndian.PutUint64(b[24:], uint64(u.qoff))
	binary.BigEndian.PutUint64(b[32:], uint64(u.slot))
	binary.BigEndian.PutUint32(b[40:], uint32(u.size))
	binary.BigEndian.PutUint32(b[44:], 0)
	binary.BigEndian.PutUint32(b[4:], crc32.ChecksumIEEE(b[8:unitSize]))
}

func parseUnit(b []byte) unit {
	if binary.BigEndian.Uint32(b[0:]) != unitMagic || binary.BigEndian.Uint32(b[4:]) != crc32.ChecksumIEEE(b[8:unitSize]) {
		return unit{}
	}
	return unit{
		prev: int64(binary.BigEndian.Uint64(b[8:])), phys: int64(binary.BigEndian.Uint64(b[16:])),
		qoff: int64(binary.BigEndian.Uint64(b[24:])), slot: int64(binary.BigEndian.Uint64(b[32:])),
		size: int32(binary.BigEndian.Uint32(b[40:])), valid: true,
	}
}

// slotRec is one wheel slot: the last unit of the slot's list and how many units it has.
type slotRec struct {
	slot  int64
	last  int64
	count int64
}

func (s slotRec) put(b []byte) {
	binary.BigEndian.PutUint64(b[0:], uint64(s.slot))
	binary.BigEndian.PutUint64(b[8:], uint64(s.last))
	binary.BigEndian.PutUint64(b[16:], uint64(s.count))
	binary.BigEndian.PutUint64(b[24:], 0)
}

func parseSlot(b []byte) slotRec {
	return slotRec{slot: int64(binary.BigEndian.Uint64(b[0:])), last: int64(binary.BigEndian.Uint64(b[8:])),
		count: int64(binary.BigEndian.Uint64(b[16:]))}
}

// checkpoint is config/timercheck: how far the wheel got. Written atomically.
type checkpoint struct {
	// ReadSlot is the first slot not yet delivered.
	ReadSlot int64 `json:"readSlot"`
	// EnqueueOffset is the next queue offset of rmq_sys_wheel_timer/0 to add to the wheel.
	EnqueueOffset int64 `json:"enqueueOffset"`
	// LogEnd is the timer log's write position.
	LogEnd int64 `json:"logEnd"`
	// Pending is how many units wait in slots >= ReadSlot.
	Pending int64 `json:"pending"`
	// Segments maps a timer log segment's start position to the largest slot it holds.
	Segments map[string]int64 `json:"segments"`
	// Clean is true only when written by Close: the wheel file matches the log.
	Clean bool `json:"clean"`
}

// wheel is the on-disk index: the timer log (segments of units) and the slot file.
// It is used by one goroutine at a time.
type wheel struct {
	dir      string
	segSize  int64 // multiple of unitSize
	nslots   int64
	slots    *os.File
	segs     map[int64]*os.File
	segMax   map[int64]int64 // segment start → largest slot in it
	ck       checkpoint
	buf      [unitSize]byte
	rebuilt  bool
	ckPath   string
	dirtyLog bool
	// noSpaceAtOpen is why the open could not write its checkpoint (full disk), or nil.
	noSpaceAtOpen error
}

func segName(start int64) string { return fmt.Sprintf("%020d", start) }

// openWheel opens (creating) the wheel under dir. After an unclean stop (no clean
// checkpoint) the slot file is rebuilt from the timer log.
func openWheel(dir string, segSize, nslots int64) (*wheel, error) {
	segSize -= segSize % unitSize
	if segSize < unitSize {
		segSize = unitSize
	}
	if err := os.MkdirAll(filepath.Join(dir, "timerlog"), 0o755); err != nil {
		return nil, fmt.Errorf("timer: %w", err)
	}
	w := &wheel{dir: dir, segSize: segSize, nslots: nslots, segs: map[int64]*os.File{}, segMax: map[int64]int64{},
		ckPath: filepath.Join(dir, "timercheck")}
	b, err := os.ReadFile(w.ckPath)
	noCheckpoint := errors.Is(err, fs.ErrNotExist)
	switch {
	case noCheckpoint:
	case err != nil:
		return nil, fmt.Errorf("timer: read checkpoint: %w", err)
	default:
		if err := json.Unmarshal(b, &w.ck); err != nil {
			w.ck = checkpoint{} // rebuild below
		}
	}
	w.slots, err = os.OpenFile(filepath.Join(dir, "timerwheel"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("timer: %w", err)
	}
	fi, err := w.slots.Stat()
	if err != nil {
		w.slots.Close()
		return nil, fmt.Errorf("timer: %w", err)
	}
	if !w.ck.Clean || fi.Size() != nslots*slotSize {
		if err := w.rebuild(); err != nil {
			w.close()
			return nil, err
		}
	} else {
		for k, v := range w.ck.Segments {
			start, err := strconv.ParseInt(k, 10, 64)
			if err == nil {
				w.segMax[start] = v
			}
		}
	}
	// From now on the files run ahead of the checkpoint until Close writes a clean one.
	w.ck.Clean = false
	if noCheckpoint {
		if segs, err := w.segStarts(); err == nil && len(segs) == 0 {
			// A fresh wheel: an unclean checkpoint would say what its absence says (rebuild
			// from the empty log), so the first periodic checkpoint writes it, not the start.
			return w, nil
		}
	}
	if err := w.writeCheckpoint(false); err != nil {
		// On a full disk the timer still opens (nothing can be parked or delivered until
		// space is freed); with no checkpoint a crash rebuilds from the timer log.
		if !store.NoSpace(err) {
			w.close()
			return nil, err
		}
		if rerr := os.Remove(w.ckPath); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			w.close()
			return nil, errors.Join(err, rerr)
		}
		w.noSpaceAtOpen = err
	}
	return w, nil
}

// segStarts lists the timer log segments on disk in order.
func (w *wheel) segStarts() ([]int64, error) {
	es, err := os.ReadDir(filepath.Join(w.dir, "timerlog"))
	if err != nil {
		return nil, fmt.Errorf("timer: %w", err)
	}
	var out []int64
	for _, e := range es {
		if n, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && len(e.Name()) == 20 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// rebuild resets the slot file and relinks every valid unit of the timer log whose slot
// is not delivered yet. The log is cut at the first invalid unit.
func (w *wheel) rebuild() error {
	w.rebuilt = true
	if err := w.slots.Truncate(0); err != nil {
		return fmt.Errorf("timer: reset wheel: %w", err)
	}
	if err := w.slots.Truncate(w.nslots * slotSize); err != nil {
		return fmt.Errorf("timer: reset wheel: %w", err)
	}
	starts, err := w.segStarts()
	if err != nil {
		return err
	}
	w.ck.Pending, w.ck.LogEnd = 0, 0
	if len(starts) > 0 {
		w.ck.LogEnd = starts[0]
	}
	const chunk = 4096 * unitSize
	buf := make([]byte, chunk)
	var sb [slotSize]byte
	cut := false
	for _, start := range starts {
		if cut || start != w.ck.LogEnd {
			// after a cut (or a hole) later segments are garbage
			os.Remove(filepath.Join(w.dir, "timerlog", segName(start)))
			cut = true
			continue
		}
		f, err := w.seg(start)
		if err != nil {
			return err
		}
		w.segMax[start] = -1
		for off := int64(0); off < w.segSize && !cut; off += chunk {
			n, _ := f.ReadAt(buf[:min(chunk, w.segSize-off)], off)
			n -= n % unitSize
			for p := 0; p < n; p += unitSize {
				u := parseUnit(buf[p : p+unitSize])
				if !u.valid {
					cut = true
					break
				}
				pos := start + off + int64(p)
				w.ck.LogEnd = pos + unitSize
				w.segMax[start] = max(w.segMax[start], u.slot)
				w.ck.EnqueueOffset = max(w.ck.EnqueueOffset, u.qoff+1)
				if u.slot < w.ck.ReadSlot {
					continue
				}
				idx := (u.slot % w.nslots) * slotSize
				if _, err := w.slots.ReadAt(sb[:], idx); err != nil {
					return fmt.Errorf("timer: rebuild: %w", err)
				}
				s := parseSlot(sb[:])
				if s.slot != u.slot {
					s = slotRec{slot: u.slot}
				}
				s.last = pos
				s.count++
				s.put(sb[:])
				if _, err := w.slots.WriteAt(sb[:], idx); err != nil {
					return fmt.Errorf("timer: rebuild: %w", err)
				}
				w.ck.Pending++
			}
			if int64(n) < min(chunk, w.segSize-off) {
				break // end of the segment's data
			}
		}
		if err := f.Truncate(w.ck.LogEnd - start); err != nil {
			return fmt.Errorf("timer: cut log: %w", err)
		}
		if w.ck.LogEnd-start < w.segSize {
			cut = true // a short segment is the last one
		}
	}
	return nil
}

// seg returns the open segment starting at start, creating it.
func (w *wheel) seg(start int64) (*os.File, error) {
	if f := w.segs[start]; f != nil {
		return f, nil
	}
	f, err := os.OpenFile(filepath.Join(w.dir, "timerlog", segName(start)), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("timer: %w", err)
	}
	w.segs[start] = f
	return f, nil
}

func (w *wheel) slotAt(slot int64) (slotRec, error) {
	var b [slotSize]byte
	if _, err := w.slots.ReadAt(b[:], (slot%w.nslots)*slotSize); err != nil {
		return slotRec{}, fmt.Errorf("timer: read slot: %w", err)
	}
	s := parseSlot(b[:])
	if s.slot != slot || s.count == 0 {
		return slotRec{slot: slot, last: -1}, nil
	}
	return s, nil
}

func (w *wheel) setSlot(s slotRec) error {
	var b [slotSize]byte
	s.put(b[:])
	if _, err := w.slots.WriteAt(b[:], (s.slot%w.nslots)*slotSize); err != nil {
		return fmt.Errorf("timer: write slot: %w", err)
	}
	return nil
}

// add appends a unit for the message (phys, size, qoff) due at slot and links it into the
// slot's list.
func (w *wheel) add(slot, phys int64, size int32, qoff int64) error {
	s, err := w.slotAt(slot)
	if err != nil {
		return err
	}
	pos := w.ck.LogEnd
	start := pos - pos%w.segSize
	f, err := w.seg(start)
	if err != nil {
		return err
	}
	u := unit{prev: s.last, phys: phys, qoff: qoff, slot: slot, size: size}
	u.put(w.buf[:])
	if _, err := f.WriteAt(w.buf[:], pos-start); err != nil {
		return fmt.Errorf("timer: append unit: %w", err)
	}
	s.last = pos
	s.count++
	if err := w.setSlot(s); err != nil {
		return err
	}
	w.ck.LogEnd = pos + unitSize
	w.ck.EnqueueOffset = qoff + 1
	w.ck.Pending++
	if m, ok := w.segMax[start]; !ok || slot > m {
		w.segMax[start] = slot
	}
	w.dirtyLog = true
	return nil
}

// unitAt reads the unit at pos.
func (w *wheel) unitAt(pos int64) (unit, error) {
	start := pos - pos%w.segSize
	f, err := w.seg(start)
	if err != nil {
		return unit{}, err
	}
	var b [unitSize]byte
	if _, err := f.ReadAt(b[:], pos-start); err != nil {
		return unit{}, fmt.Errorf("timer: read unit at %d: %w", pos, err)
	}
	return parseUnit(b[:]), nil
}

// walk calls fn for every unit of slot s, newest first; it stops at the first invalid unit
// or at a unit of another slot.
func (w *wheel) walk(s slotRec, fn func(unit) error) error {
	pos := s.last
	for n := int64(0); pos >= 0 && n < s.count; n++ {
		u, err := w.unitAt(pos)
		if err != nil {
			return err
		}
		if !u.valid || u.slot != s.slot {
			return nil
		}
		if err := fn(u); err != nil {
			return err
		}
		pos = u.prev
	}
	return nil
}

// clear marks slot delivered and advances ReadSlot past it.
func (w *wheel) clear(s slotRec) error {
	if s.count > 0 {
		if err := w.setSlot(slotRec{slot: s.slot, last: -1}); err != nil {
			return err
		}
		w.ck.Pending -= s.count
	}
	w.ck.ReadSlot = s.slot + 1
	return nil
}

// dropDeadSegments removes segments whose units are all delivered (not the one written to).
func (w *wheel) dropDeadSegments() {
	cur := w.ck.LogEnd - w.ck.LogEnd%w.segSize
	for start, m := range w.segMax {
		if start < cur && m < w.ck.ReadSlot {
			if f := w.segs[start]; f != nil {
				f.Close()
				delete(w.segs, start)
			}
			os.Remove(filepath.Join(w.dir, "timerlog", segName(start)))
			delete(w.segMax, start)
		}
	}
}

// sync flushes the log and slot files (before a checkpoint names their content).
func (w *wheel) sync() error {
	if !w.dirtyLog {
		return nil
	}
	for _, f := range w.segs {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("timer: sync log: %w", err)
		}
	}
	if err := w.slots.Sync(); err != nil {
		return fmt.Errorf("timer: sync wheel: %w", err)
	}
	w.dirtyLog = false
	return nil
}

func (w *wheel) writeCheckpoint(clean bool) error {
	if err := w.sync(); err != nil {
		return err
	}
	w.ck.Clean = clean
	w.ck.Segments = make(map[string]int64, len(w.segMax))
	for k, v := range w.segMax {
		w.ck.Segments[strconv.FormatInt(k, 10)] = v
	}
	b, _ := json.Marshal(w.ck)
	if err := store.WriteFileAtomic(w.ckPath, b); err != nil {
		return fmt.Errorf("timer: write checkpoint: %w", err)
	}
	return nil
}

func (w *wheel) close() error {
	var errs []error
	for _, f := range w.segs {
		errs = append(errs, f.Close())
	}
	w.segs = map[int64]*os.File{}
	if w.slots != nil {
		errs = append(errs, w.slots.Close())
	}
	return errors.Join(errs...)
}
