// Package txn implements transactional messages (Apache's TransactionalMessageService and
// EndTransactionProcessor).
//
//	SEND (TRAN_MSG=true, PGROUP=g, sysFlag PREPARED)
//	  └─► broker: RMQ_SYS_TRANS_HALF_TOPIC/0 + REAL_TOPIC, REAL_QID, __transactionId__
//	END_TRANSACTION (37): header checked against the half message at commitLogOffset
//	  (PGROUP, queue offset, physical offset; Apache's remarks)
//	  COMMIT   ─► real topic/queue, properties minus REAL_TOPIC/REAL_QID/TRAN_MSG/
//	              TRANSACTION_CHECK_TIMES/TRAN_PREPARED_QUEUE_OFFSET, sysFlag type COMMIT,
//	              PREPARED_TRANSACTION_OFFSET = half offset; delay levels and timers apply
//	  ROLLBACK ─► nothing stored
//	  both     ─► op record in RMQ_SYS_TRANS_OP_HALF_TOPIC/0: tag "d", body "12,13,"
//	  UNKNOWN  ─► nothing, no response (a check decides)
//
// # Check service
//
// Every Interval (transactionCheckInterval) one goroutine walks the half queue from the
// progress of group CID_RMQ_SYS_TRANS up to the end seen at the start of the round:
//
//	finished (op seen) or superseded by a newer copy   skip
//	TRANSACTION_CHECK_TIMES >= CheckMax                 move to TRANS_CHECK_MAX_TIME_TOPIC
//	younger than Timeout (born time)                    stop: the rest is younger
//	younger than CHECK_IMMUNITY_TIME_IN_SECONDS         re-put a copy at the tail, go on
//	otherwise                                           re-put a copy with CHECK_TIMES+1,
//	                                                    send CHECK_TRANSACTION_STATE about it
//
// Copies carry TRAN_PREPARED_QUEUE_OFFSET = the first half offset (as Apache's immunity
// copies), so an END for the original or any copy finishes the transaction, and the op
// record names the offsets involved. CHECK_TRANSACTION_STATE goes oneway (flag 2) to one
// live producer connection of PGROUP, its body the copy in stored layout with topic and
// queue rewritten to REAL_TOPIC/REAL_QID (trap §7.22); a check with no producer still
// counts, as in Apache.
//
// # State across restarts
//
// The progress on the half and op queues is committed as the consumer offsets of
// CID_RMQ_SYS_TRANS (consumerOffset.json, as Apache), half first. The rest is rebuilt on
// the first round: the op queue is read from its progress (finished offsets), the half
// queue from its progress (newest copy of each transaction). The op progress only passes
// op records whose offsets are all behind the half progress, so nothing finished is
// forgotten; a stale progress after a crash only re-reads more. Memory holds the finished
// offsets and copies ahead of the half progress: about Timeout worth of transactions.
package txn
