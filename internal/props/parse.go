package props

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Entry is one key=value pair of a properties file and the line its logical line starts on.
type Entry struct {
	Key   string
	Value string
	Line  int
}

// Errors returned by Parse, wrapped in a *LineError.
var (
	// ErrBadEscape is returned for a malformed \uXXXX escape.
	ErrBadEscape = errors.New("props: malformed \\uXXXX escape")
	// ErrEmptyKey is returned for a line with a value but no key.
	ErrEmptyKey = errors.New("props: empty key")
)

// LineError is an error at one line of a properties file.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string {
	msg := e.Err.Error()
	msg = strings.TrimPrefix(msg, "props: ")
	if e.File == "" {
		return fmt.Sprintf("line %d: %s", e.Line, msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
}

func (e *LineError) Unwrap() error { return e.Err }

// Parse splits properties text into entries in file order. A later duplicate key is kept as
// its own entry; Apply lets the last one win, as Java does. Errors name file and line and
// are all reported, joined.
func Parse(file, text string) ([]Entry, error) {
	var (
		entries []Entry
		errs    []error
	)
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimRight(lines[i], "\r")
		trimmed := strings.TrimLeft(line, " \t\f")
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == '!' {
			continue
		}
		// Join continuation lines: an odd number of trailing backslashes continues.
		logical := trimmed
		for endsWithContinuation(logical) && i+1 < len(lines) {
			i++
			logical = logical[:len(logical)-1] + strings.TrimLeft(strings.TrimRight(lines[i], "\r"), " \t\f")
		}
		if endsWithContinuation(logical) {
			logical = logical[:len(logical)-1]
		}
		key, value, err := splitKeyValue(logical)
		if err != nil {
			errs = append(errs, &LineError{File: file, Line: start, Err: err})
			continue
		}
		entries = append(entries, Entry{Key: key, Value: strings.TrimSpace(value), Line: start})
	}
	return entries, errors.Join(errs...)
}

func endsWithContinuation(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitKeyValue finds the first unescaped '=', ':' or white space, unescapes both halves.
func splitKeyValue(s string) (key, value string, err error) {
	end := len(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			end = i
			break
		}
	}
	rawKey := s[:end]
	rest := s[end:]
	// Skip white space, then at most one '=' or ':', then white space.
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	if key, err = unescape(rawKey); err != nil {
		return "", "", err
	}
	if key == "" {
		return "", "", ErrEmptyKey
	}
	if value, err = unescape(rest); err != nil {
		return "", "", err
	}
	return key, value, nil
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, "\\") {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			break
		}
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", ErrBadEscape
			}
			v, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", ErrBadEscape
			}
			b.WriteRune(rune(v))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}
