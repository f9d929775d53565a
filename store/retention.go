package store

import (
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// maxDeletePerRun bounds how many CommitLog segments one forced (disk full) run deletes.
const maxDeletePerRun = 10

func (s *Store) cleanLoop() {
	t := time.NewTicker(time.Duration(s.cfg.CleanResourceInterval) * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case now := <-t.C:
			s.DeleteExpired(now, false)
		}
	}
}

// diskUsage returns the used fraction (0..1) of the file system holding dir.
func diskUsage(dir string) float64 {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil || st.Blocks == 0 {
		return 0
	}
	return float64(st.Blocks-st.Bfree) / float64(st.Blocks)
}

// checkDisk measures the disk holding the CommitLog and refuses appends (ErrDiskFull) while
// its usage is above diskSpaceWarningLevelRatio, as Java's broker stops writing on a full disk:
// ConsumeQueue and IndexFile pages are allocated when first written, and with no block left
// that write would fault. It returns the used fraction.
func (s *Store) checkDisk() float64 {
	usage := diskUsage
	if s.cfg.diskUsage != nil {
		usage = s.cfg.diskUsage
	}
	u := usage(s.cfg.commitLogDir())
	full := u*100 > float64(s.cfg.DiskSpaceWarningLevelRatio)
	if was := s.diskFull.Swap(full); full && !was {
		s.log.Error("disk full: appends refused until retention frees space", "usedPercent", int(u*100),
			"diskSpaceWarningLevelRatio", s.cfg.DiskSpaceWarningLevelRatio)
	} else if !full && was {
		s.log.Warn("disk space back: appends accepted again", "usedPercent", int(u*100))
	}
	return u
}

// DeleteExpired applies retention at time now: when now's hour is in deleteWhen, disk usage is
// above diskMaxUsedSpaceRatio, or force is set, CommitLog segments last modified more than
// fileReservedTime hours before now are deleted (oldest first, never the segment being written;
// when the disk is too full, up to 10 of the oldest whatever their age). ConsumeQueue files and
// IndexFiles that only point below the new minimum follow. It returns the number of CommitLog
// segments deleted.
func (s *Store) DeleteExpired(now time.Time, force bool) int {
	if s.closed.Load() {
		return 0
	}
	s.cleanMu.Lock()
	defer s.cleanMu.Unlock()
	usage := s.checkDisk()
	full := usage*100 > float64(s.cfg.DiskMaxUsedSpaceRatio)
	if full && !s.lastFull.Load() {
		s.log.Warn("disk usage above diskMaxUsedSpaceRatio, deleting oldest segments", "ratio", s.cfg.DiskMaxUsedSpaceRatio)
	}
	s.lastFull.Store(full)
	if !force && !full && !slices.Contains(s.deleteHours, now.Hour()) {
		return 0
	}
	reserved := time.Duration(s.cfg.FileReservedTime) * time.Hour
	fs := s.cl.mfq.list()
	dispatched := s.disp.from.Load()
	n := 0
	for i := 0; i < len(fs)-1; i++ {
		mf := fs[i]
		if mf.start+mf.size > dispatched {
			break // never delete what the ConsumeQueues have not seen
		}
		st, err := os.Stat(mf.path)
		if err != nil {
			break
		}
		expired := now.Sub(st.ModTime()) > reserved
		if !expired && !(full && n < maxDeletePerRun) {
			break
		}
		n++
	}
	if n == 0 {
		return 0
	}
	newMin := fs[n].start
	s.cl.minOffset.Store(newMin) // readers see the new minimum before files go away
	s.cl.mfq.deleteFirst(n)
	s.cqMu.RLock()
	for _, qs := range s.cqs {
		for _, cq := range qs {
			cq.deleteBelow(newMin)
		}
	}
	s.cqMu.RUnlock()
	s.index.deleteBelow(newMin)
	s.log.Info("deleted expired commitlog segments", "count", n, "minOffset", newMin)
	return n
}
