package store

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/mq-project/mq/message"
)

// Topic name limits (Apache's TopicValidator): the store turns a topic into a directory
// (consumequeue/<topic>/<queueId>), so it checks every name where it becomes a path.
const (
	// MaxTopicLen is the longest topic name.
	MaxTopicLen = 127
	// MaxRetryTopicLen is the longest %RETRY%<group> or %DLQ%<group> topic name.
	MaxRetryTopicLen = 255
)

// ValidName reports whether s is non-empty and only has characters of ^[%|a-zA-Z0-9_-]+$
// (so never '/', '\\', NUL, '.' or "..").
func ValidName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '%', c == '|', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// CheckTopic returns an error wrapping ErrInvalidTopic unless topic is a name the store may
// turn into a directory: Apache's rule, ^[%|a-zA-Z0-9_-]+$ and at most MaxTopicLen
// characters (MaxRetryTopicLen for %RETRY% and %DLQ% topics).
func CheckTopic(topic string) error {
	limit := MaxTopicLen
	if strings.HasPrefix(topic, "%RETRY%") || strings.HasPrefix(topic, "%DLQ%") {
		limit = MaxRetryTopicLen
	}
	switch {
	case topic == "":
		return fmt.Errorf("%w: empty", ErrInvalidTopic)
	case len(topic) > limit:
		return fmt.Errorf("%w: %.64q... is longer than %d characters", ErrInvalidTopic, topic, limit)
	case !ValidName(topic):
		return fmt.Errorf("%w: %.200q has characters outside [%%|a-zA-Z0-9_-]", ErrInvalidTopic, topic)
	}
	return nil
}

// checkQueue is CheckTopic plus a non-negative queue id: what a ConsumeQueue directory needs.
func checkQueue(topic string, qid int32) error {
	if err := CheckTopic(topic); err != nil {
		return err
	}
	if qid < 0 {
		return fmt.Errorf("%w: queue id %d of %s", ErrInvalidTopic, qid, topic)
	}
	return nil
}

// Refused reports whether err is an append that can never succeed for that message (a bad
// topic or queue, a record too large, bad properties), as opposed to one worth retrying
// (closed, disk full, flush timeout). Services that re-put stored messages (timer, delay
// levels) skip a refused message instead of retrying it forever.
func Refused(err error) bool {
	return errors.Is(err, ErrInvalidTopic) || errors.Is(err, ErrMessageTooLarge) ||
		errors.Is(err, message.ErrTopicTooLong) || errors.Is(err, message.ErrPropertiesTooLong) ||
		errors.Is(err, message.ErrBadLength)
}

// NoSpace reports whether err is a write that failed for lack of disk space (ENOSPC, or
// EDQUOT for a quota).
func NoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
