package store

import (
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mq-project/mq/message"
)

// FlushDiskType says when an append is acknowledged relative to the disk flush.
type FlushDiskType int

const (
	// AsyncFlush acknowledges after the write to the mapped segment; a background flusher
	// syncs every FlushIntervalCommitLog.
	AsyncFlush FlushDiskType = iota
	// SyncFlush acknowledges after the record is on disk (group commit).
	SyncFlush
)

func (t FlushDiskType) String() string {
	if t == SyncFlush {
		return "SYNC_FLUSH"
	}
	return "ASYNC_FLUSH"
}

// MarshalText writes ASYNC_FLUSH or SYNC_FLUSH.
func (t FlushDiskType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads ASYNC_FLUSH or SYNC_FLUSH.
func (t *FlushDiskType) UnmarshalText(b []byte) error {
	switch string(b) {
	case "ASYNC_FLUSH":
		*t = AsyncFlush
	case "SYNC_FLUSH":
		*t = SyncFlush
	default:
		return fmt.Errorf("want ASYNC_FLUSH or SYNC_FLUSH")
	}
	return nil
}

// ConsumeQueueEntrySize is the size of one ConsumeQueue entry.
const ConsumeQueueEntrySize = 20

// Config holds the store settings; prop tags are Apache RocketMQ's MessageStoreConfig keys.
type Config struct {
	// StorePathRootDir is the store root (default $HOME/store).
	StorePathRootDir string `prop:"storePathRootDir"`
	// StorePathCommitLog is the CommitLog directory (default <root>/commitlog).
	StorePathCommitLog string `prop:"storePathCommitLog"`
	// MappedFileSizeCommitLog is the CommitLog segment size in bytes (default 1 GiB).
	MappedFileSizeCommitLog int64 `prop:"mapedFileSizeCommitLog"`
	// MappedFileSizeConsumeQueue is the ConsumeQueue file size in bytes, a multiple of 20
	// (default 300,000 entries = 6,000,000 bytes).
	MappedFileSizeConsumeQueue int64 `prop:"mapedFileSizeConsumeQueue"`
	// FlushDiskType is ASYNC_FLUSH (default) or SYNC_FLUSH.
	FlushDiskType FlushDiskType `prop:"flushDiskType"`
	// FlushIntervalCommitLog is the async flush period in ms (default 500).
	FlushIntervalCommitLog int `prop:"flushIntervalCommitLog"`
	// FlushCommitLogLeastPages is the least number of dirty 4 KiB pages an async flush
	// waits for (default 4).
	FlushCommitLogLeastPages int `prop:"flushCommitLogLeastPages"`
	// FlushCommitLogThoroughInterval in ms forces an async flush of any dirty pages (default 10000).
	FlushCommitLogThoroughInterval int `prop:"flushCommitLogThoroughInterval"`
	// FlushIntervalConsumeQueue is the period in ms of ConsumeQueue/index flush and checkpoint
	// (default 1000).
	FlushIntervalConsumeQueue int `prop:"flushIntervalConsumeQueue"`
	// SyncFlushTimeout is how long in ms a SYNC_FLUSH append waits (default 5000).
	SyncFlushTimeout int64 `prop:"syncFlushTimeout"`
	// FileReservedTime is how many hours CommitLog segments are kept (default 72).
	FileReservedTime int `prop:"fileReservedTime"`
	// DeleteWhen lists the hours (local time, "04" or "04;05") expired segments are deleted at.
	DeleteWhen string `prop:"deleteWhen"`
	// DiskMaxUsedSpaceRatio is the disk usage percentage above which segments are deleted
	// whatever the hour (default 75).
	DiskMaxUsedSpaceRatio int `prop:"diskMaxUsedSpaceRatio"`
	// DiskSpaceWarningLevelRatio is the disk usage percentage above which appends are refused
	// with ErrDiskFull until retention frees space (default 90).
	DiskSpaceWarningLevelRatio int `prop:"diskSpaceWarningLevelRatio"`
	// CleanResourceInterval is the retention check period in ms (default 10000).
	CleanResourceInterval int `prop:"cleanResourceInterval"`
	// MaxMessageSize is the largest record in bytes (default 4 MiB).
	MaxMessageSize int `prop:"maxMessageSize"`
	// MaxHashSlotNum is the number of hash slots per IndexFile (default 5,000,000).
	MaxHashSlotNum int `prop:"maxHashSlotNum"`
	// MaxIndexNum is the number of entries per IndexFile (default 20,000,000).
	MaxIndexNum int `prop:"maxIndexNum"`
	// MessageIndexEnable turns the IndexFile on (default true).
	MessageIndexEnable bool `prop:"messageIndexEnable"`
	// MaxTransferBytesOnMessageInMemory caps the bytes GetMessages returns (default 256 KiB;
	// at least one message is always returned).
	MaxTransferBytesOnMessageInMemory int `prop:"maxTransferBytesOnMessageInMemory"`
	// CheckCRCOnRecover verifies body CRCs during recovery (default true).
	CheckCRCOnRecover bool `prop:"checkCRCOnRecover"`
	// RecoverMode is RecoverSalvage (default; "" means it) or RecoverStrict: what recovery
	// does with a damaged CommitLog record followed by valid ones.
	RecoverMode string `prop:"recoverMode"`

	// StoreHost is written into every record's STOREHOST (the broker's ip:listenPort).
	StoreHost netip.AddrPort `prop:"-"`
	// Listener, when set, is called by the dispatcher after it adds entries to a ConsumeQueue,
	// with the queue's new max offset. It runs on the dispatcher goroutine and must not block.
	Listener func(topic string, queueID int32, maxOffset int64) `prop:"-"`
	// TagsCode, when set, computes the ConsumeQueue tags code of a record instead of the hash
	// of its TAGS (the broker uses it for SCHEDULE_TOPIC_XXXX, whose entries hold delivery times).
	TagsCode func(rec message.Stored) int64 `prop:"-"`
	// Logger receives the store's logs (nil discards them).
	Logger *slog.Logger `prop:"-"`

	now       func() time.Time         // store clock; tests pin it
	diskUsage func(dir string) float64 // used fraction of the disk holding dir; tests pin it
}

// Recovery modes (Config.RecoverMode).
const (
	// RecoverSalvage skips a damaged CommitLog record when a chain of valid records
	// follows it, keeps those records and never reuses the skipped offsets.
	RecoverSalvage = "salvage"
	// RecoverStrict cuts the CommitLog at the first damaged record, as Apache does.
	RecoverStrict = "strict"
)

// DefaultConfig returns Apache RocketMQ's defaults.
func DefaultConfig() Config {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return Config{
		StorePathRootDir:                  filepath.Join(home, "store"),
		MappedFileSizeCommitLog:           1 << 30,
		MappedFileSizeConsumeQueue:        300_000 * ConsumeQueueEntrySize,
		FlushDiskType:                     AsyncFlush,
		FlushIntervalCommitLog:            500,
		FlushCommitLogLeastPages:          4,
		FlushCommitLogThoroughInterval:    10_000,
		FlushIntervalConsumeQueue:         1000,
		SyncFlushTimeout:                  5000,
		FileReservedTime:                  72,
		DeleteWhen:                        "04",
		DiskMaxUsedSpaceRatio:             75,
		DiskSpaceWarningLevelRatio:        90,
		CleanResourceInterval:             10_000,
		MaxMessageSize:                    4 << 20,
		MaxHashSlotNum:                    5_000_000,
		MaxIndexNum:                       20_000_000,
		MessageIndexEnable:                true,
		MaxTransferBytesOnMessageInMemory: 256 << 10,
		CheckCRCOnRecover:                 true,
		RecoverMode:                       RecoverSalvage,
		StoreHost:                         netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 10911),
	}
}

// Validate reports every bad setting, wrapped in ErrBadConfig.
func (c *Config) Validate() error {
	var bad []string
	check := func(ok bool, msg string) {
		if !ok {
			bad = append(bad, msg)
		}
	}
	check(c.StorePathRootDir != "", "storePathRootDir is empty")
	check(c.MappedFileSizeCommitLog >= 64<<10 && c.MappedFileSizeCommitLog <= 1<<40,
		"mapedFileSizeCommitLog must be between 64 KiB and 1 TiB")
	check(c.MappedFileSizeConsumeQueue >= ConsumeQueueEntrySize && c.MappedFileSizeConsumeQueue%ConsumeQueueEntrySize == 0,
		"mapedFileSizeConsumeQueue must be a positive multiple of 20")
	check(c.FlushIntervalCommitLog > 0, "flushIntervalCommitLog must be > 0")
	check(c.FlushCommitLogLeastPages >= 0, "flushCommitLogLeastPages must be >= 0")
	check(c.FlushCommitLogThoroughInterval > 0, "flushCommitLogThoroughInterval must be > 0")
	check(c.FlushIntervalConsumeQueue > 0, "flushIntervalConsumeQueue must be > 0")
	check(c.SyncFlushTimeout > 0, "syncFlushTimeout must be > 0")
	check(c.FileReservedTime > 0, "fileReservedTime must be > 0")
	check(c.DiskMaxUsedSpaceRatio > 0 && c.DiskMaxUsedSpaceRatio <= 100, "diskMaxUsedSpaceRatio must be in 1..100")
	check(c.DiskSpaceWarningLevelRatio > 0 && c.DiskSpaceWarningLevelRatio <= 100, "diskSpaceWarningLevelRatio must be in 1..100")
	check(c.CleanResourceInterval > 0, "cleanResourceInterval must be > 0")
	check(c.MaxMessageSize >= 1024 && int64(c.MaxMessageSize)+8 <= c.MappedFileSizeCommitLog,
		"maxMessageSize must be >= 1024 and fit a CommitLog segment")
	check(c.MaxHashSlotNum > 0, "maxHashSlotNum must be > 0")
	check(c.MaxIndexNum > 1, "maxIndexNum must be > 1")
	check(c.MaxTransferBytesOnMessageInMemory > 0, "maxTransferBytesOnMessageInMemory must be > 0")
	check(c.RecoverMode == "" || c.RecoverMode == RecoverSalvage || c.RecoverMode == RecoverStrict,
		"recoverMode must be salvage or strict")
	if _, err := parseDeleteWhen(c.DeleteWhen); err != nil {
		bad = append(bad, err.Error())
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrBadConfig, strings.Join(bad, "; "))
	}
	return nil
}

func parseDeleteWhen(s string) ([]int, error) {
	var hours []int
	for _, p := range strings.Split(s, ";") {
		h, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || h < 0 || h > 23 {
			return nil, fmt.Errorf("deleteWhen %q: want hours 00..23 separated by ';'", s)
		}
		hours = append(hours, h)
	}
	return hours, nil
}

func (c *Config) commitLogDir() string {
	if c.StorePathCommitLog != "" {
		return c.StorePathCommitLog
	}
	return filepath.Join(c.StorePathRootDir, "commitlog")
}

func (c *Config) consumeQueueDir() string { return filepath.Join(c.StorePathRootDir, "consumequeue") }
func (c *Config) indexDir() string        { return filepath.Join(c.StorePathRootDir, "index") }
func (c *Config) checkpointPath() string  { return filepath.Join(c.StorePathRootDir, "checkpoint") }
func (c *Config) abortPath() string       { return filepath.Join(c.StorePathRootDir, "abort") }
func (c *Config) lockPath() string        { return filepath.Join(c.StorePathRootDir, "lock") }
