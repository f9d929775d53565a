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
	var msg string
	if ke, ok := e.Err.(*KeyError); ok {
		msg = ke.Msg
	} else {
		msg = strings.TrimPrefix(e.Err.Error(), "props: ")
	}
	if e.File == "" {
		return fmt.Sprintf("line %d: %s", e.Line, msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
}

func (e *LineError) Unwrap() error { return e.Err }

// logical is one logical line: its text with continuations joined (not yet unescaped) and
// the physical lines it spans, 1-based and inclusive.
type logical struct {
	text       string
	start, end int
}

// scan splits text into logical lines, skipping blank lines and comments. It is linear in
// the size of text: continuation lines are gathered in one builder, and a line's trailing
// backslashes are counted on that physical line only (what a previous line leaves after
// dropping its continuation backslash is an even run, which does not change the parity).
func scan(text string, fn func(l logical)) {
	lineNo := 0
	next := func() (string, bool) {
		if text == "" {
			return "", false
		}
		var line string
		line, _, text = cutLine(text)
		lineNo++
		return line, true
	}
	for {
		line, ok := next()
		if !ok {
			return
		}
		trimmed := strings.TrimLeft(line, " \t\f")
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == '!' {
			continue
		}
		start := lineNo
		if !endsWithContinuation(trimmed) {
			fn(logical{text: trimmed, start: start, end: start})
			continue
		}
		var b strings.Builder
		b.WriteString(trimmed[:len(trimmed)-1])
		for {
			cont, ok := next()
			if !ok {
				break
			}
			cont = strings.TrimLeft(cont, " \t\f")
			if !endsWithContinuation(cont) {
				b.WriteString(cont)
				break
			}
			b.WriteString(cont[:len(cont)-1])
		}
		fn(logical{text: b.String(), start: start, end: lineNo})
	}
}

// cutLine splits off text's first physical line and its terminator: \n, \r\n or a bare \r,
// as Java's Properties.load reads them.
func cutLine(text string) (line, term, rest string) {
	i := strings.IndexAny(text, "\r\n")
	switch {
	case i < 0:
		return text, "", ""
	case text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n':
		return text[:i], "\r\n", text[i+2:]
	}
	return text[:i], text[i : i+1], text[i+1:]
}

// Parse splits properties text into entries in file order. A later duplicate key is kept as
// its own entry; Apply lets the last one win, as Java does. Errors name file and line and
// are all reported, joined. Parse is linear in the size of text.
func Parse(file, text string) ([]Entry, error) {
	var (
		entries []Entry
		errs    []error
	)
	scan(text, func(l logical) {
		key, value, err := splitKeyValue(l.text)
		if err != nil {
			errs = append(errs, &LineError{File: file, Line: l.start, Err: err})
			return
		}
		entries = append(entries, Entry{Key: key, Value: strings.TrimSpace(value), Line: l.start})
	})
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
