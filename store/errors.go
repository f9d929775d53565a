package store

import "errors"

// Sentinel errors of the store.
var (
	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("store: closed")
	// ErrMessageTooLarge is returned by Append when a record exceeds Config.MaxMessageSize.
	ErrMessageTooLarge = errors.New("store: message too large")
	// ErrFlushTimeout is returned by Append under SYNC_FLUSH when the flush took longer than
	// Config.SyncFlushTimeout. The message is stored and will be flushed later.
	ErrFlushTimeout = errors.New("store: flush timeout")
	// ErrOffsetTooSmall is returned when a read asks for an offset below the minimum still kept
	// (deleted by retention).
	ErrOffsetTooSmall = errors.New("store: offset below min offset")
	// ErrOffsetNotFound is returned by ReadAt for an offset at or past the end of the CommitLog or
	// not at the start of a record.
	ErrOffsetNotFound = errors.New("store: no message at offset")
	// ErrCorrupt is returned when stored bytes fail validation at read time.
	ErrCorrupt = errors.New("store: corrupt data")
	// ErrBadConfig is returned by Config.Validate.
	ErrBadConfig = errors.New("store: bad config")
	// ErrDiskFull is returned by appends while the disk holding the CommitLog is used above
	// Config.DiskSpaceWarningLevelRatio; nothing is stored.
	ErrDiskFull = errors.New("store: disk full")
	// ErrLocked is returned by Open when another process holds the store's lock file.
	ErrLocked = errors.New("store: directory locked by another process")
	// ErrNoSegment is returned (wrapping the cause) by appends when the next CommitLog
	// segment cannot be created or preallocated (disk full, a file in the way); nothing is
	// stored.
	ErrNoSegment = errors.New("store: cannot create a CommitLog segment")
	// ErrInvalidTopic is returned by appends (and DeleteTopic) for a topic name that is not
	// a safe directory name (see CheckTopic) or a negative queue id; nothing is stored.
	ErrInvalidTopic = errors.New("store: invalid topic name")
)
