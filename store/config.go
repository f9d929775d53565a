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

// Config holds the store settings. The prop tags are the keys of Apache RocketMQ's
// MessageStoreConfig that the store reads; broker.Config embeds Config, so these tags are the
// broker.conf keys and their one spelling (internal/props reads them; the store itself does
// not). The fields without a key are set by the store's owner. The store applies
// MaxMessageSize to whole records; the broker, for which it limits bodies, opens the store
// with room added for a record's header, topic and properties.
type Config struct {
	// StorePathRootDir is the store root (default ~/store).
	StorePathRootDir string `prop:"storePathRootDir"`
	// StorePathCommitLog is the CommitLog directory (empty: <storePathRootDir>/commitlog).
	StorePathCommitLog string `prop:"storePathCommitLog"`
	// MappedFileSizeCommitLog is the CommitLog segment size in bytes (1 GiB).
	MappedFileSizeCommitLog int64 `prop:"mappedFileSizeCommitLog"`
	// MappedFileSizeConsumeQueue is the ConsumeQueue file size in bytes (300000 × 20).
	MappedFileSizeConsumeQueue int64 `prop:"mappedFileSizeConsumeQueue"`
	// FlushDiskType is ASYNC_FLUSH (default) or SYNC_FLUSH.
	FlushDiskType FlushDiskType `prop:"flushDiskType"`
	// FlushIntervalCommitLog is the async flush period in ms (500).
	FlushIntervalCommitLog int `prop:"flushIntervalCommitLog"`
	// FlushCommitLogLeastPages is how many dirty pages ASYNC_FLUSH waits for.
	FlushCommitLogLeastPages int `prop:"flushCommitLogLeastPages"`
	// FlushCommitLogThoroughInterval makes ASYNC_FLUSH flush whatever is dirty at least this often, in ms.
	FlushCommitLogThoroughInterval int `prop:"flushCommitLogThoroughInterval"`
	// FlushIntervalConsumeQueue is the period of the ConsumeQueue flush and checkpoint, in ms;
	// the index is synced every 10th period (and at a clean stop), and after a crash the records
	// it may lack are re-indexed.
	FlushIntervalConsumeQueue int `prop:"flushIntervalConsumeQueue"`
	// SyncFlushTimeout bounds a SYNC_FLUSH wait in ms (5000).
	SyncFlushTimeout int64 `prop:"syncFlushTimeout"`
	// FileReservedTime is how long CommitLog files are kept, in hours (72).
	FileReservedTime int `prop:"fileReservedTime"`
	// DeleteWhen lists the hours (00-23, ";"-separated) at which expired files are deleted ("04").
	DeleteWhen string `prop:"deleteWhen"`
	// DiskMaxUsedSpaceRatio is the disk usage percentage above which old files are deleted (75).
	DiskMaxUsedSpaceRatio int `prop:"diskMaxUsedSpaceRatio"`
	// DiskSpaceWarningLevelRatio is the disk usage percentage above which sends are refused
	// (SERVICE_NOT_AVAILABLE) until retention frees space (90).
	DiskSpaceWarningLevelRatio int `prop:"diskSpaceWarningLevelRatio"`
	// CleanResourceInterval is the period of the retention check, in ms.
	CleanResourceInterval int `prop:"cleanResourceInterval"`
	// MaxMessageSize is the largest accepted body, in bytes (4 MiB).
	MaxMessageSize int `prop:"maxMessageSize"`
	// MaxHashSlotNum is the number of hash slots per IndexFile.
	MaxHashSlotNum int `prop:"maxHashSlotNum"`
	// MaxIndexNum is the number of entries per IndexFile.
	MaxIndexNum int `prop:"maxIndexNum"`
	// MessageIndexEnable builds the IndexFile (KEYS and UNIQ_KEY).
	MessageIndexEnable bool `prop:"messageIndexEnable"`
	// MaxTransferBytesOnMessageInMemory is the largest pull answer, in bytes.
	MaxTransferBytesOnMessageInMemory int `prop:"maxTransferBytesOnMessageInMemory"`
	// CheckCRCOnRecover checks every record's body CRC during recovery.
	CheckCRCOnRecover bool `prop:"checkCRCOnRecover"`
	// RecoverMode is what recovery does with a damaged CommitLog record (mq only): salvage
	// (default; "" means it) skips it and keeps the valid records after it; strict truncates
	// the log there, as Apache does.
	RecoverMode string `prop:"recoverMode"`

	// StoreHost is written into every record's STOREHOST (the broker's ip:listenPort).
	StoreHost netip.AddrPort `prop:"-"`
	// Listener, when set, is called by the dispatcher after it adds entries to a ConsumeQueue,
	// with the queue's new max offset. It runs on the dispatcher goroutine and must not block.
	Listener func(topic string, queueID int32, maxOffset int64) `prop:"-"`
	// Appended, when set, is called after records are appended under ASYNC_FLUSH, on the
	// appender's goroutine (it must be cheap and must not block): what ships CommitLog bytes
	// (a master's HA server) learns of them at once, not when the dispatcher, which pauses
	// up to dispatchPause between rounds, reaches them.
	Appended func() `prop:"-"`
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
		"mappedFileSizeCommitLog must be between 64 KiB and 1 TiB")
	check(c.MappedFileSizeConsumeQueue >= ConsumeQueueEntrySize && c.MappedFileSizeConsumeQueue%ConsumeQueueEntrySize == 0,
		"mappedFileSizeConsumeQueue must be a positive multiple of 20")
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
