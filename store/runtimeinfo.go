package store

import "time"

// LockHeld is how long the append running now has held the CommitLog's append lock, 0 when
// no append runs (Apache's DefaultMessageStore#lockTimeMills, the runtime info's
// pageCacheLockTimeMills). It is measured against the store clock.
func (s *Store) LockHeld() time.Duration {
	at := s.cl.lockedAt.Load()
	if at == 0 {
		return 0
	}
	now := time.Now()
	if s.cfg.now != nil {
		now = s.cfg.now()
	}
	return max(time.Duration(now.UnixMilli()-at)*time.Millisecond, 0)
}

// DiskRatios returns the used fraction (0..1) of the file systems holding the CommitLog and
// the ConsumeQueues (the runtime info's commitLogDiskRatio and consumeQueueDiskRatio).
func (s *Store) DiskRatios() (commitLog, consumeQueue float64) {
	return diskUsage(s.cfg.commitLogDir()), diskUsage(s.cfg.consumeQueueDir())
}
