// Package store is the broker's message store: a CommitLog of mapped segments, the
// ConsumeQueues and IndexFiles a dispatcher builds from it, flush (async or group commit),
// checkpoint, crash recovery and retention. It lays its files out as Apache RocketMQ does
// (reference §6) and knows files and bytes only: no network, no request codes.
//
// # Directory
//
//	storePathRootDir/
//	  commitlog/00000000000000000000          segments named by 20-digit start offset
//	  commitlog/00000000001073741824          (mappedFileSizeCommitLog, default 1 GiB, preallocated)
//	  consumequeue/<topic>/<queueId>/<20-digit start byte offset>   300,000 entries × 20 bytes
//	  index/<yyyyMMddHHmmssSSS>               hash index files
//	  checkpoint                              4 KiB, see below
//	  abort                                   exists while open; found at Open => abnormal recovery
//	  lock                                    flock(2) held while open
//	  config/*.json                           written with WriteFileAtomic (+ .bak)
//
// # CommitLog segment
//
// Records (package message, "Stored record") are appended back to back; the physical offset of
// a record is the segment start plus its position. A record never spans segments: when
// record+8 bytes no longer fit, an 8-byte blank filler ends the segment.
//
//	+----------+----------+-----+----------+----------------------+---------------+
//	| record 0 | record 1 | ... | record n | size | 0xCBD43194    | (unused)      |
//	+----------+----------+-----+----------+----------------------+---------------+
//	                                        int32   int32 magic     size = bytes to segment end
//
// One append lock serialises appends: queue offsets are assigned per topic-queue under it.
// Under ASYNC_FLUSH records are encoded straight into the mapping; under SYNC_FLUSH into a
// stage the flusher writes out with one pwrite per group commit (readers see a record once it
// is written). The next segment is created ahead of need by a small allocator goroutine; under
// SYNC_FLUSH a zero filler also writes zeros a few MiB ahead of the append position, so that
// fsyncs find written rather than fallocated ("unwritten") extents and need no journal commit
// (see zerofill.go); under ASYNC_FLUSH a warmer faults the pages ahead in (warm.go), so that
// appends copy into the mapping without a page fault inside the append lock.
//
// # ConsumeQueue entry (20 bytes; queue offset k lives at byte k×20)
//
//	+------------------------+-------------+------------------------+
//	| CommitLog offset int64 | size int32  | tags code int64        |
//	+------------------------+-------------+------------------------+
//	  blank filler entry: (0, 0x7FFFFFFF, 0)
//
// # IndexFile
//
//	+--------------------------------- header (40 bytes) ---------------------------------+
//	| beginTimestamp i64 | endTimestamp i64 | beginPhyOffset i64 | endPhyOffset i64 |       |
//	| hashSlotCount i32  | indexCount i32 (starts at 1)                                   |
//	+--------------------------------------------------------------------------------------+
//	| slot table: maxHashSlotNum × int32, value = newest entry number in the slot (0 = none)|
//	+--------------------------------------------------------------------------------------+
//	| entries: maxIndexNum × 20 bytes (entry 0 unused)                                      |
//	|   keyHash i32 | CommitLog offset i64 | timeDiff i32 (s since begin) | prev entry i32  |
//	+--------------------------------------------------------------------------------------+
//
// keyHash = |String.hashCode(topic + "#" + key)|, slot = keyHash mod maxHashSlotNum. UNIQ_KEY
// and every space-separated KEYS item are indexed. Queries walk the chain newest first and
// re-check every hit against the record itself, so stale entries (after a truncation) and hash
// collisions are never returned.
//
// # checkpoint (4 KiB, big-endian int64s)
//
//	 0 physicMsgTimestamp   8 logicsMsgTimestamp   16 indexMsgTimestamp
//	24 masterFlushedOffset 32 confirmPhyOffset     (Java's StoreCheckpoint layout)
//	40 dispatchedOffset    CommitLog offset below which ConsumeQueues and index are flushed
//	                       (the index is synced every indexSyncEvery checkpoints)
//	48 flushedOffset       CommitLog offset below which the CommitLog is flushed
//
// # Flush
//
// ASYNC_FLUSH: a flusher msyncs every flushIntervalCommitLog ms once flushCommitLogLeastPages
// pages are dirty (or flushCommitLogThoroughInterval passed). SYNC_FLUSH: a group commit —
// writers join the current round; one flusher goroutine waits (briefly, at most one flush
// time) for the writers the last round served to come back, writes the stage, msyncs, and
// wakes the whole round. A writer waiting longer than syncFlushTimeout gets ErrFlushTimeout
// (its record is stored). Under SYNC_FLUSH the dispatcher only publishes flushed records.
//
// # Recovery
//
// Normal (no abort marker): the last three segments are validated. Abnormal: validation starts
// at the segment holding min(checkpoint dispatchedOffset, flushedOffset). Each record must have
// a message magic, a sane size, its own offset in PHYSICALOFFSET and (checkCRCOnRecover) a
// matching body CRC; the log is cut after the last valid record, stale bytes after it are
// zeroed and later segments deleted. ConsumeQueue entries pointing past the end are cleared,
// IndexFiles starting past it deleted, and the dispatcher re-runs from the checkpoint (dispatch
// is idempotent). Recovery() reports what was dropped.
//
// # Retention
//
// At the deleteWhen hours, or whenever disk use passes diskMaxUsedSpaceRatio, segments older
// than fileReservedTime hours are deleted, oldest first, never the active one nor any not yet
// dispatched; ConsumeQueue files and IndexFiles below the new minimum follow and queue min
// offsets move up. Reads below the minimum return ErrOffsetTooSmall.
//
// # Concurrency
//
// Goroutines (all started by Open, stopped and waited for by Close): allocator, flusher,
// dispatcher, checkpoint loop, cleaner, and the zero filler (SYNC_FLUSH) or the warmer
// (ASYNC_FLUSH). Readers get slices of the mapping; a segment is
// unmapped only after the last reader calls Release.
package store
