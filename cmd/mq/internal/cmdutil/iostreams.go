package cmdutil

import (
	"bytes"
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IOStreams are the standard streams a command reads and writes, so tests can swap them. The
// zero value's TTY answers come from the streams themselves; tests set them with SetTTY.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// forced TTY answers (tests); nil means "ask the stream".
	inTTY, outTTY, errTTY *bool
}

// System returns the process's streams.
func System() IOStreams { return IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr} }

// Test returns streams on buffers: empty stdin, and stdout and stderr to read back. None of
// them is a terminal.
func Test() (IOStreams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return IOStreams{In: bytes.NewReader(nil), Out: &out, ErrOut: &errOut}, &out, &errOut
}

// SetTTY makes the streams report stdin, stdout and stderr as terminals or not (tests).
func (s *IOStreams) SetTTY(in, out, err bool) { s.inTTY, s.outTTY, s.errTTY = &in, &out, &err }

// IsTerminal reports whether v is a terminal by the one rule: an *os.File on a TTY (or a
// Cygwin pty) while TERM is not "dumb".
func IsTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

func tty(forced *bool, v any) bool {
	if forced != nil {
		return *forced
	}
	return IsTerminal(v)
}

// IsStdinTTY reports whether stdin is a terminal.
func (s IOStreams) IsStdinTTY() bool { return tty(s.inTTY, s.In) }

// IsStdoutTTY reports whether stdout is a terminal.
func (s IOStreams) IsStdoutTTY() bool { return tty(s.outTTY, s.Out) }

// IsStderrTTY reports whether stderr is a terminal (progress bars are drawn only then).
func (s IOStreams) IsStderrTTY() bool { return tty(s.errTTY, s.ErrOut) }

// ColorEnabled reports whether stdout gets colour: a terminal, and NO_COLOR absent or empty.
func (s IOStreams) ColorEnabled() bool { return s.IsStdoutTTY() && !NoColor() }

// NoColor reports whether the user asked for no colour: NO_COLOR present and not empty
// (https://no-color.org).
func NoColor() bool { return os.Getenv("NO_COLOR") != "" }

// CanPrompt reports whether a question can be asked: stdin and stderr (where it is asked)
// are terminals.
func (s IOStreams) CanPrompt() bool { return s.IsStdinTTY() && s.IsStderrTTY() }
