package protocol

// HARuntimeInfo is the body of GET_BROKER_HA_STATUS (907), Apache 5's HARuntimeInfo: on a
// master its slaves' connections, on a slave its client's view of the master. Fields
// tagged "mq:" are ours (Apache's fastjson readers ignore them).
type HARuntimeInfo struct {
	Master                   bool                      `json:"master"`
	MasterCommitLogMaxOffset int64                     `json:"masterCommitLogMaxOffset"`
	InSyncSlaveNums          int                       `json:"inSyncSlaveNums"`
	HAConnectionInfo         []HAConnectionRuntimeInfo `json:"haConnectionInfo"`
	HAClientRuntimeInfo      HAClientRuntimeInfo       `json:"haClientRuntimeInfo"`
}

// HAConnectionRuntimeInfo is one slave connection on a master.
type HAConnectionRuntimeInfo struct {
	// Addr is the slave's remote address on the HA port.
	Addr           string `json:"addr"`
	SlaveAckOffset int64  `json:"slaveAckOffset"`
	// Diff is the master's CommitLog end minus SlaveAckOffset: bytes behind.
	Diff int64 `json:"diff"`
	// InSync is Diff < haMaxGapNotInSync.
	InSync                  bool  `json:"inSync"`
	TransferredByteInSecond int64 `json:"transferredByteInSecond"`
	TransferFromWhere       int64 `json:"transferFromWhere"`
	// LastAckTimestamp (mq:) is when the slave last reported, unix ms.
	LastAckTimestamp int64 `json:"lastAckTimestamp,omitempty"`
}

// HAClientRuntimeInfo is a slave's replication client.
type HAClientRuntimeInfo struct {
	// MasterAddr is the master's HA address.
	MasterAddr              string `json:"masterAddr"`
	TransferredByteInSecond int64  `json:"transferredByteInSecond"`
	// MaxOffset is the slave's CommitLog end.
	MaxOffset          int64 `json:"maxOffset"`
	LastReadTimestamp  int64 `json:"lastReadTimestamp"`
	LastWriteTimestamp int64 `json:"lastWriteTimestamp"`
	MasterFlushOffset  int64 `json:"masterFlushOffset"`
	// Connected (mq:) says whether the replication connection is up.
	Connected bool `json:"connected"`
	// MasterMaxOffset (mq:) is the master's CommitLog end in its last frame; Diff (mq:) is
	// MasterMaxOffset - MaxOffset, the bytes the slave is behind.
	MasterMaxOffset int64 `json:"masterMaxOffset,omitempty"`
	Diff            int64 `json:"diff"`
}
