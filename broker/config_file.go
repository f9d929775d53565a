package broker

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/mq-project/mq/internal/props"
	"github.com/mq-project/mq/remoting"
)

// LoadFile reads a broker.conf (Java properties) over cfg and remembers it as cfg.File. Every
// key of Apache RocketMQ's broker is accepted: those mq implements are applied, the others are
// listed in the report (Report.WarningLines gives the one warning line to show). An unknown
// key is an error with file, line and a "did you mean"; a bad value is an error at its line;
// a repeated key is a warning. It does not validate: pass Validate's error to the report's
// AtLines so that range checks name the line too (Load does both).
func LoadFile(path string, cfg *Config) (props.Report, error) {
	rep, err := props.DecodeFile(path, cfg, ignorableKeys())
	cfg.File = path
	if abs, aerr := filepath.Abs(path); aerr == nil {
		cfg.File = abs // UPDATE_BROKER_CONFIG rewrites it, whatever the working directory then
	}
	// aclConfigFile defaults to plain_acl.yml beside the file; a relative one is relative to it.
	switch {
	case cfg.AclConfigFile == "":
		cfg.AclConfigFile = filepath.Join(filepath.Dir(cfg.File), "plain_acl.yml")
	case !filepath.IsAbs(cfg.AclConfigFile):
		cfg.AclConfigFile = filepath.Join(filepath.Dir(cfg.File), cfg.AclConfigFile)
	}
	// The 4.0-4.3 spellings set the sizes Validate names by their new keys.
	for old, cur := range map[string]string{
		"mapedFileSizeCommitLog":    "mappedFileSizeCommitLog",
		"mapedFileSizeConsumeQueue": "mappedFileSizeConsumeQueue",
	} {
		if line, ok := rep.Lines[old]; ok {
			if _, set := rep.Lines[cur]; !set {
				rep.Lines[cur] = line
			}
		}
	}
	return rep, err
}

// Bounds of values that are absurd rather than merely unusual.
const (
	// maxNameLen bounds brokerName and brokerClusterName: they travel in every route and
	// registration and name topics when brokerTopicEnable/clusterTopicEnable are on.
	maxNameLen = 127
	// maxSegmentSize is the largest mappedFileSizeCommitLog/ConsumeQueue: Apache's field
	// is a Java int.
	maxSegmentSize = 1<<31 - 1
	// minCommitLogSegment is the smallest CommitLog segment the store accepts.
	minCommitLogSegment = 64 << 10
	// minMaxMessageSize is the smallest maxMessageSize the store accepts.
	minMaxMessageSize = 1024
)

// checkBounds adds the checks of names, sizes and paths to Validate: what --check refuses
// because a broker could not run with it, or should not.
func (c Config) checkBounds(bad func(format string, args ...any)) {
	for key, v := range map[string]string{"brokerName": c.BrokerName, "brokerClusterName": c.BrokerClusterName} {
		if v == "" {
			continue // reported as empty by Validate
		}
		if err := checkName(v); err != nil {
			bad("%s %s: %v", key, props.Quote(v), err)
		}
	}
	seg := c.CommitLogSize()
	if seg < minCommitLogSegment || seg > maxSegmentSize {
		bad("mappedFileSizeCommitLog %d: want %d (64 KiB) to %d (2 GiB - 1)", seg, minCommitLogSegment, int64(maxSegmentSize))
	}
	if cq := c.ConsumeQueueSize(); cq > maxSegmentSize {
		bad("mappedFileSizeConsumeQueue %d: want at most %d (2 GiB - 1)", cq, int64(maxSegmentSize))
	}
	switch {
	case c.MaxMessageSize <= 0:
		// reported by Validate
	case c.MaxMessageSize < minMaxMessageSize || c.MaxMessageSize > remoting.MaxFrameSize:
		bad("maxMessageSize %d: want %d to %d (16 MiB, the largest frame a client can send)",
			c.MaxMessageSize, minMaxMessageSize, remoting.MaxFrameSize)
	case int64(c.MaxMessageSize)+recordOverhead+8 > seg:
		bad("maxMessageSize %d: a message and its record (up to %d bytes more) must fit a CommitLog segment (mappedFileSizeCommitLog %d)",
			c.MaxMessageSize, recordOverhead, seg)
	}
	// An IndexFile is a header, the hash slots and the entries, in one mapped file.
	if c.MaxHashSlotNum <= 0 || c.MaxIndexNum <= 1 {
		bad("maxHashSlotNum %d, maxIndexNum %d: want > 0 and > 1", c.MaxHashSlotNum, c.MaxIndexNum)
	} else if size := 40 + 4*int64(c.MaxHashSlotNum) + 20*int64(c.MaxIndexNum); size > maxSegmentSize {
		bad("maxIndexNum %d with maxHashSlotNum %d: an IndexFile of %d bytes, want at most %d (2 GiB - 1)",
			c.MaxIndexNum, c.MaxHashSlotNum, size, int64(maxSegmentSize))
	}
	if v := c.MaxTransferBytesOnMessageInMemory; v <= 0 || v > remoting.MaxFrameSize {
		bad("maxTransferBytesOnMessageInMemory %d: want 1 to %d (16 MiB, the largest frame)", v, remoting.MaxFrameSize)
	}
	for _, iv := range []struct {
		key string
		v   int64
	}{
		{"flushIntervalCommitLog", int64(c.FlushIntervalCommitLog)},
		{"flushCommitLogThoroughInterval", int64(c.FlushCommitLogThoroughInterval)},
		{"flushIntervalConsumeQueue", int64(c.FlushIntervalConsumeQueue)},
		{"syncFlushTimeout", c.SyncFlushTimeout},
		{"cleanResourceInterval", int64(c.CleanResourceInterval)},
	} {
		if iv.v <= 0 {
			bad("%s %d: want ms > 0", iv.key, iv.v)
		}
	}
	if c.FlushCommitLogLeastPages < 0 {
		bad("flushCommitLogLeastPages %d: want >= 0", c.FlushCommitLogLeastPages)
	}
	for _, p := range []struct {
		key, path string
		optional  bool
	}{
		{"storePathRootDir", c.StorePathRootDir, false},
		{"storePathCommitLog", c.StorePathCommitLog, true},
	} {
		if p.path == "" {
			continue // storePathRootDir empty is reported by Validate; storePathCommitLog empty means the default
		}
		if err := checkPath(p.path); err != nil {
			bad("%s %s: %v", p.key, props.Quote(p.path), err)
		}
	}
}

// checkName checks a broker or cluster name: 1 to 127 of the characters of topic names and
// host names (letters, digits, '_', '-', '.', '%', '|'), not only dots.
func checkName(s string) error {
	if len(s) > maxNameLen {
		return fmt.Errorf("%d bytes, want at most %d", len(s), maxNameLen)
	}
	for _, r := range s {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-.%|", r))) {
			return fmt.Errorf("character %q: want letters, digits and _ - . %% |", r)
		}
	}
	if strings.Trim(s, ".") == "" {
		return fmt.Errorf("want more than dots")
	}
	return nil
}

// checkPath checks a store path: absolute (a relative one would depend on the directory the
// broker happens to start in), no ${...} (Apache does not expand them either, copied files
// often carry ${storePathRootDir}/commitlog), no control characters.
func checkPath(p string) error {
	switch {
	case strings.Contains(p, "${"):
		return fmt.Errorf("placeholders are not expanded (nor by Apache); write the path out")
	case strings.IndexFunc(p, unicode.IsControl) >= 0:
		return fmt.Errorf("control characters in a path")
	case !filepath.IsAbs(p):
		return fmt.Errorf("want an absolute path (a relative one depends on the directory the broker starts in)")
	}
	return nil
}

// leadingKey returns the key a Validate message starts with ("deleteWhen \"4am\": …" ->
// deleteWhen), or "" when it starts with something else.
func leadingKey(msg string) string {
	end := strings.IndexFunc(msg, func(r rune) bool { return !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))) })
	if end < 0 {
		end = len(msg)
	}
	return msg[:end]
}
