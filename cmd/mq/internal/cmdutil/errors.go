package cmdutil

import (
	"fmt"

	"github.com/mq-project/mq/admin"
)

// Exit codes; `mq help exit-codes` documents them.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitUsage   = 2
	ExitPartial = 3
)

// UsageError marks an error as a mistake in the command line (exit 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{fmt.Errorf(format, args...)}
}

// PartialError marks an answer that only some servers gave (exit 3).
type PartialError struct{ Err error }

func (e *PartialError) Error() string { return e.Err.Error() }
func (e *PartialError) Unwrap() error { return e.Err }

// AnswerErr turns the error of a fan-out into the command's error: nil when every server
// answered, a PartialError (exit 3) when some did, the error itself (exit 1) when none did.
func AnswerErr(err error) error {
	if err == nil {
		return nil
	}
	if admin.IsPartial(err) {
		return &PartialError{err}
	}
	return err
}
