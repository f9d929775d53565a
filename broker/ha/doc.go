// Package ha replicates a master broker's CommitLog to its slaves, byte for byte and at the
// same physical offsets, over Apache RocketMQ's classic HA protocol (DefaultHAService,
// HAConnection, DefaultHAClient), so an mq slave can follow an Apache master and back.
//
// The master listens on haListenPort (listenPort+1 by default), on the broker's own host
// (not every interface), and announces it to the nameservers as haServerAddr; a slave
// learns it from REGISTER_BROKER's response (or haMasterAddress) and connects. The
// protocol has no hello (Apache slaves send only offsets), so the master admits a
// connection only when ServerConfig.Admit agrees: the broker admits the addresses the
// nameservers list as slaves of its brokerName (broker/ha_admit.go); anyone else is
// disconnected before a byte is read or sent. Each connection carries two streams:
//
//	slave -> master: a report, every haSendHeartbeatInterval (5 s) and after each frame
//	  0                 8
//	  +-----------------+
//	  | maxPhyOffset    |   int64 big-endian: the slave's CommitLog end (all below is stored)
//	  +-----------------+
//
//	master -> slave: frames, from the offset of the slave's first report on
//	  0                 8            12
//	  +-----------------+------------+---------------------------------------+
//	  | phyOffset       | bodySize   | body: raw CommitLog bytes              |
//	  | int64 BE        | int32 BE   | (bodySize bytes, starting at phyOffset)|
//	  +-----------------+------------+---------------------------------------+
//	  bodySize 0 is a heartbeat, sent after haSendHeartbeatInterval without data.
//
// Our master cuts bodies at record boundaries (whole stored records, and a segment's blank
// filler which runs to the segment end), at most haTransferBatchSize (32 KiB) unless a
// single record is larger, and never across a segment. An Apache master cuts batches
// anywhere, so the slave keeps a cut record's start (WholeRecords) until the next frame
// completes it. The slave appends whole records only when phyOffset equals its CommitLog end
// plus what it holds back (store.AppendReplica); otherwise it drops the connection and
// reconnects, reporting its end again. Its dispatcher then builds ConsumeQueues and
// IndexFiles from the replicated records as from local ones.
//
//	master                                           slave
//	CommitLog --ReadReplica--> writer goroutine ===frames===> Client --AppendReplica--> CommitLog
//	                          reader goroutine <==reports===                           |
//	SYNC_MASTER send --WaitAck(end)--> waiters (sorted by end,                    dispatch
//	                                   released by the reader's acks)             CQ, index
//
// A first report of 0 from a new slave starts it at the master's first kept offset (Apache
// starts at the last segment instead). A SYNC_MASTER send waits in WaitAck until some slave
// reported an offset at or past its record's end: ErrNoSlave when no slave is connected or
// the best one is more than haMaxGapNotInSync behind, ErrAckTimeout after syncFlushTimeout.
//
// How the broker uses it (broker/ha_wiring.go):
//
//	ASYNC_MASTER  Server on the HA port; sends never wait.
//	SYNC_MASTER   Server; each send waits after its flush: SUCCESS, SLAVE_NOT_AVAILABLE (11)
//	              or FLUSH_SLAVE_TIMEOUT (12); the message is stored in every case.
//	SLAVE         Client to the master's haServerAddr (REGISTER_BROKER answer) or
//	              haMasterAddress; sends answer SERVICE_NOT_AVAILABLE (14), end-transaction
//	              SLAVE_NOT_AVAILABLE (11); pulls are served with slaveReadEnable or once
//	              the replication connection is lost (else SYSTEM_BUSY, as Apache 5's
//	              rejectRequest); no schedule, timer or transaction check runs; topics,
//	              groups, consumer and delay offsets are copied from the master every 10 s
//	              and persisted. With enableSlaveActingMaster a slave whose master is lost
//	              takes offset commits, and sends those ahead of the master's to it when it
//	              answers again (broker/acting.go).
//
// GET_BROKER_HA_STATUS (907) reports both sides as Apache 5's HARuntimeInfo
// (broker/ha_status.go): per slave connection the acked offset, bytes behind, in sync, bytes
// per second of the last whole second (flowMonitor) and the last report; on a slave the
// master's address, connection state and bytes behind. A slave's lost connection and failed
// metadata syncs are logged once, then at a falling rate (LogLimiter).
package ha
