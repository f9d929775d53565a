package admin

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mq-project/mq/protocol"
)

// The words the CLI and the TUI share: topic kinds, permission strings and how times and ages
// are written. Both render these and nothing else, so a topic is "dlq" and a queue "RW-" in
// every table.

// TopicKind is what a topic is for, as RocketMQ's naming conventions tell.
type TopicKind string

// Topic kinds.
const (
	KindNormal      TopicKind = "normal"
	KindRetry       TopicKind = "retry"       // %RETRY%<group>
	KindDLQ         TopicKind = "dlq"         // %DLQ%<group>
	KindDelay       TopicKind = "delay"       // SCHEDULE_TOPIC_XXXX, rmq_sys_wheel_timer
	KindTransaction TopicKind = "transaction" // RMQ_SYS_TRANS_HALF_TOPIC, RMQ_SYS_TRANS_OP_HALF_TOPIC
	KindTrace       TopicKind = "trace"       // RMQ_SYS_TRACE_TOPIC
	KindSystem      TopicKind = "system"      // TBW102, the broker's own topics, RMQ_SYS_*
)

// TopicKinds lists every kind, in the order a filter offers them.
var TopicKinds = []TopicKind{KindNormal, KindRetry, KindDLQ, KindDelay, KindTransaction, KindTrace, KindSystem}

// Well-known topic names and prefixes (Apache's TopicValidator and MixAll); ScheduleTopic,
// HalfTopic, OpHalfTopic and DefaultTraceTopic are declared next to their state.
const (
	RetryPrefix         = "%RETRY%"
	DLQPrefix           = "%DLQ%"
	TimerTopic          = "rmq_sys_wheel_timer"
	TransCheckMaxTopic  = "TRANS_CHECK_MAX_TIME_TOPIC"
	AutoCreateTopic     = "TBW102"
	SelfTestTopic       = "SELF_TEST_TOPIC"
	OffsetMovedTopic    = "OFFSET_MOVED_EVENT"
	BenchmarkTopic      = "BenchmarkTest"
	replyTopicSuffix    = "_REPLY_TOPIC"
	systemTopicPrefixUp = "RMQ_SYS_"
	systemTopicPrefixLo = "rmq_sys_"
)

// DLQTopic is the dead-letter topic of a consumer group.
func DLQTopic(group string) string { return DLQPrefix + group }

// ClassifyTopic returns the kind of a topic. system holds the names the nameservers list as
// system topics (SystemTopics); it may be nil.
func ClassifyTopic(name string, system map[string]bool) TopicKind {
	switch {
	case strings.HasPrefix(name, RetryPrefix):
		return KindRetry
	case strings.HasPrefix(name, DLQPrefix):
		return KindDLQ
	case name == ScheduleTopic || name == TimerTopic:
		return KindDelay
	case name == HalfTopic || name == OpHalfTopic || name == TransCheckMaxTopic:
		return KindTransaction
	case name == DefaultTraceTopic:
		return KindTrace
	case system[name], name == AutoCreateTopic, name == SelfTestTopic, name == OffsetMovedTopic,
		name == BenchmarkTopic, strings.HasPrefix(name, systemTopicPrefixUp), strings.HasPrefix(name, systemTopicPrefixLo),
		strings.HasSuffix(name, replyTopicSuffix):
		return KindSystem
	}
	return KindNormal
}

// systemGroups are the consumer groups brokers create for themselves (Apache MixAll and
// TopicValidator): no user consumes through them.
var systemGroups = map[string]bool{
	ToolsGroup: true, "FILTERSRV_CONSUMER": true, "SELF_TEST_C_GROUP": true, "CID_ONS-HTTP-PROXY": true,
	"CID_ONSAPI_OWNER": true, "CID_ONSAPI_PERMISSION": true, "CID_ONSAPI_PULL": true, "CID_SYS_RMQ_TRANS": true,
	"CID_RMQ_SYS_TRANS": true, "CID_DefaultHeartBeatSyncerTopic": true,
}

// IsSystemGroup reports whether a consumer group is one of the broker's own (TOOLS_CONSUMER,
// CID_RMQ_SYS_*, CID_ONSAPI_*, …) rather than an application's. The TUI hides
// these unless asked.
func IsSystemGroup(name string) bool {
	return systemGroups[name] || strings.HasPrefix(name, "CID_RMQ_SYS_") || strings.HasPrefix(name, "CID_SYS_RMQ_")
}

// PermString spells a permission mask as Apache's PermName.perm2String does: R (4), W (2)
// and X (1, inherit) or '-', e.g. "RW-" for 6 and "RWX" for 7.
func PermString(perm int32) string {
	b := []byte("---")
	if perm&protocol.PermRead != 0 {
		b[0] = 'R'
	}
	if perm&protocol.PermWrite != 0 {
		b[1] = 'W'
	}
	if perm&protocol.PermInherit != 0 {
		b[2] = 'X'
	}
	return string(b)
}

// ParsePerm reads a permission as an operator writes it: a number (2, 4, 6, 7) or letters in
// any case with '-' for an absent bit ("rw", "RW-", "r", "-w", "--"). Only the read, write
// and inherit bits are accepted.
func ParsePerm(s string) (int32, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 32); err == nil {
		if n < 0 || n > protocol.PermRead|protocol.PermWrite|protocol.PermInherit {
			return 0, fmt.Errorf("admin: permission %q: want a mask of 4 (read), 2 (write), 1 (inherit)", s)
		}
		return int32(n), nil
	}
	if s == "" {
		return 0, fmt.Errorf("admin: empty permission: want rw, r, w or --")
	}
	var p int32
	for _, c := range strings.ToLower(s) {
		switch c {
		case 'r':
			p |= protocol.PermRead
		case 'w':
			p |= protocol.PermWrite
		case 'x':
			p |= protocol.PermInherit
		case '-':
		default:
			return 0, fmt.Errorf("admin: permission %q: want letters r, w, x or '-' (e.g. rw, r-, --)", s)
		}
	}
	return p, nil
}

// FormatTime writes a millisecond timestamp as RFC 3339 in UTC to the second, "" for 0 or
// less (no time).
func FormatTime(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// FormatTimeMs is FormatTime with milliseconds, for message store and born times.
func FormatTimeMs(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// FormatAge writes a duration in milliseconds (a lag, an age) rounded to a tenth of a second,
// "" for 0 or less.
func FormatAge(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return (time.Duration(ms) * time.Millisecond).Round(time.Second / 10).String()
}
