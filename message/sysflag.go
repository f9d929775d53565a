package message

// MessageSysFlag bits (MessageSysFlag.java), carried in the send header and the stored record.
const (
	SysFlagCompressed        int32 = 0x1
	SysFlagMultiTags         int32 = 0x2
	SysFlagTransactionMask   int32 = 0xC
	TransactionNotType       int32 = 0x0
	TransactionPreparedType  int32 = 0x4
	TransactionCommitType    int32 = 0x8
	TransactionRollbackType  int32 = 0xC
	SysFlagBornHostV6        int32 = 0x10
	SysFlagStoreHostV6       int32 = 0x20
	SysFlagNeedUnwrap        int32 = 0x40
	SysFlagInnerBatch        int32 = 0x80
	SysFlagCompressionMask   int32 = 0x700
	CompressionZlib          int32 = 0x000 // 0 or 3 << 8
	CompressionLZ4           int32 = 0x100
	CompressionZstd          int32 = 0x200
	compressionZlibAlternate int32 = 0x300
)

// TransactionType returns the transaction type bits (0x0, 0x4, 0x8 or 0xC) of a sysFlag.
func TransactionType(sysFlag int32) int32 { return sysFlag & SysFlagTransactionMask }

// SetTransactionType replaces the transaction type bits of sysFlag.
func SetTransactionType(sysFlag, typ int32) int32 {
	return sysFlag&^SysFlagTransactionMask | typ&SysFlagTransactionMask
}

// CompressionType returns the compression bits of sysFlag normalised: ZLIB (for 0 and 3), LZ4 or ZSTD.
func CompressionType(sysFlag int32) int32 {
	c := sysFlag & SysFlagCompressionMask
	if c == compressionZlibAlternate {
		return CompressionZlib
	}
	return c
}

// Permission bits of topics and brokers.
const (
	PermPriority int32 = 8
	PermRead     int32 = 4
	PermWrite    int32 = 2
	PermInherit  int32 = 1
)
