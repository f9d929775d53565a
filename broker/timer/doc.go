// Package timer delivers messages at an arbitrary time (Apache 5.x's timer wheel, simpler).
//
// A send with TIMER_DELIVER_MS (the Go client's WithDelayTimestamp), TIMER_DELAY_SEC or
// TIMER_DELAY_MS and no DELAY level is stored by the broker in rmq_sys_wheel_timer, queue 0,
// with TIMER_OUT_MS (the delivery time), REAL_TOPIC and REAL_QID. A time more than MaxDelay
// ahead is refused (MESSAGE_ILLEGAL); a past time is stored as a normal message. The
// CommitLog therefore holds every timer message durably; this package keeps an on-disk
// index of them by due time and one goroutine (Run) that enqueues and delivers:
//
//	rmq_sys_wheel_timer/0 ──enqueue──► timer log unit + slot list ──due──► REAL_TOPIC/REAL_QID
//	(ConsumeQueue, from EnqueueOffset)                               (timer properties removed)
//
// A message is due in slot ceil(TIMER_OUT_MS / Precision) and delivered once now >=
// slot*Precision: never early, late by less than Precision (1 s) plus the delivery work.
// (Apache rounds down and may deliver up to one precision early.)
//
// # Files (storePathRootDir/timer/)
//
//	timerlog/<20-digit start position>   segments of SegmentSize bytes, 48-byte units:
//	  0 magic "TIMR" (4) | 4 crc32 of bytes 8..47 (4) | 8 prevPos (8, -1 = none)
//	 16 commitLogOffset (8) | 24 queueOffset in rmq_sys_wheel_timer/0 (8) | 32 slot (8)
//	 40 record size (4) | 44 reserved (4)
//
//	timerwheel                           nslots x 32-byte slots, slot s at (s mod nslots):
//	  0 slot (8) | 8 lastPos (8, newest unit of the slot) | 16 count (8) | 24 reserved (8)
//	  nslots = (MaxDelay + 1 day) / Precision + 1   (3 days at 1 s: 345,601 slots, 11 MB)
//
//	timercheck                           JSON, written atomically (fsync of log and wheel first):
//	  {"readSlot":…,"enqueueOffset":…,"logEnd":…,"pending":…,"segments":{"0":maxSlot},"clean":b}
//
// Each slot is a linked list through the units' prevPos, newest first. Enqueue appends a
// unit and rewrites the slot; delivery walks the list, re-puts each message, clears the slot
// and advances readSlot. Memory does not grow with the number pending: the service holds a
// checkpoint and the open files; the pages are the kernel's. A segment whose largest slot
// was delivered is deleted, so the log keeps about MaxDelay of timer traffic.
//
// # Crash recovery
//
// The checkpoint is clean only when Close wrote it. Any other start rebuilds the wheel from
// the timer log: units are read in order and checked (magic, CRC); the log is cut at the
// first bad one; every unit with a slot >= readSlot is linked again (its prevPos chain only
// ever names earlier units of the same slot, so the chains stay valid), pending is
// recounted and EnqueueOffset is moved past the last unit found, so what the log lost is
// read again from the ConsumeQueue. A slot delivered after the last checkpoint is delivered
// again: at least once, never lost. The rebuild reads the live log (48 bytes per pending
// message: about 50 ms for a million). We chose this over Apache's design (a 7-day wheel and
// a separate timer queue checkpoint with roll-over of long delays) because it needs no
// roll-over, keeps delivery exact to the slot and makes the crash path one simple scan.
package timer
