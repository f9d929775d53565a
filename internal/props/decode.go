package props

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Report is what Decode learned about a file besides the values it set.
type Report struct {
	// File is the name errors and warnings use.
	File string
	// Lines maps each key set by the file to the line of the entry that won (the last).
	Lines map[string]int
	// Ignored lists the ignorable keys the file carries, in file order, each once.
	Ignored []string
	// Warnings are complete lines ("file:line: …"), one per repeated key.
	Warnings []string
}

// DecodeFile reads path and decodes it into dst; see Decode.
func DecodeFile(path string, dst any, ignorable map[string]bool) (Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Report{File: path, Lines: map[string]int{}}, fmt.Errorf("props: %w", err)
	}
	return Decode(path, string(b), dst, ignorable)
}

// Decode parses text and applies it to dst (a pointer to a struct with `prop` tags), the way
// a server reads its configuration file:
//   - a key of dst is set (a bad value is an error at its line);
//   - a key in ignorable (a key the original server knows but we do not implement) is
//     accepted and listed in Report.Ignored; when dst also has a field for it (kept so that
//     listings show it), the field is set too;
//   - any other key is an error at its line, with a "did you mean" suggestion when a known
//     key is close (edit distance, or the same key in another case);
//   - a repeated key is a warning naming both lines; the last value wins, as in Java.
//
// Every problem of the file is returned, joined.
func Decode(file, text string, dst any, ignorable map[string]bool) (Report, error) {
	rep := Report{File: file, Lines: map[string]int{}}
	entries, perr := Parse(file, text)
	fields := fieldsOf(dst)
	errs := []error{perr}
	seen := map[string]bool{}
	suggestions := 0 // bounded: a suggestion costs an edit distance per known key
	for _, e := range entries {
		if first, dup := rep.Lines[e.Key]; dup {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s:%d: key %s repeats line %d; the value of line %d is used",
				file, e.Line, e.Key, first, e.Line))
		}
		f, ok := fields[e.Key]
		switch {
		case ok:
			rep.Lines[e.Key] = e.Line
			if err := setValue(f, e.Value); err != nil {
				errs = append(errs, &LineError{File: file, Line: e.Line, Err: fmt.Errorf("%s: %w", e.Key, err)})
			}
			if ignorable[e.Key] && !seen[e.Key] { // a field kept for listings, without effect
				seen[e.Key] = true
				rep.Ignored = append(rep.Ignored, e.Key)
			}
		case ignorable[e.Key]:
			rep.Lines[e.Key] = e.Line
			if len(e.Value) > MaxValueLen {
				errs = append(errs, &LineError{File: file, Line: e.Line, Err: fmt.Errorf("%s: %w", e.Key,
					&valueError{msg: fmt.Sprintf("value of %d bytes: want at most %d", len(e.Value), MaxValueLen)})})
			}
			if !seen[e.Key] {
				seen[e.Key] = true
				rep.Ignored = append(rep.Ignored, e.Key)
			}
		default:
			msg := fmt.Errorf("%w %s", ErrUnknownKey, Quote(e.Key))
			if suggestions < maxSuggestions {
				suggestions++
				if s := Suggest(e.Key, fields, ignorable); s != "" {
					msg = fmt.Errorf("%w %s (did you mean %s?)", ErrUnknownKey, Quote(e.Key), s)
				}
			}
			errs = append(errs, &LineError{File: file, Line: e.Line, Err: msg})
		}
	}
	return rep, errors.Join(errs...)
}

// maxSuggestions is how many unknown keys of one file get a "did you mean".
const maxSuggestions = 20

// Suggest returns the known key closest to key: the same key in another case, else the one
// at the smallest edit distance when that distance is small for the key's length; "" when
// none is close.
func Suggest[V any](key string, known map[string]V, more map[string]bool) string {
	if len(key) > 128 {
		return ""
	}
	limit := min(max(len(key)/5, 1), 3)
	best, bestD := "", limit+1
	try := func(k string) {
		if strings.EqualFold(k, key) {
			best, bestD = k, -1
			return
		}
		if bestD < 0 || abs(len(k)-len(key)) > limit {
			return
		}
		if d := editDistance(strings.ToLower(key), strings.ToLower(k)); d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	for k := range known {
		try(k)
	}
	for k := range more {
		try(k)
	}
	return best
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// editDistance is the Levenshtein distance of a and b (bytes), in O(len(a)·len(b)).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// KeyError is a problem with the value of one key found by a check after parsing (a range,
// or a relation between keys). Kind is the sentinel it matches with errors.Is; Msg names the
// key and the problem.
type KeyError struct {
	Key  string
	Kind error
	Msg  string
}

func (e *KeyError) Error() string {
	if e.Kind == nil {
		return e.Msg
	}
	return e.Kind.Error() + ": " + e.Msg
}

func (e *KeyError) Unwrap() error { return e.Kind }

// AtLines returns err with each *KeyError whose key the report's file set rewritten as a
// *LineError at that line, so a check after parsing still names file and line.
func (r Report) AtLines(err error) error {
	if err == nil {
		return nil
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]error, 0, len(list))
	for _, e := range list {
		var ke *KeyError
		if errors.As(e, &ke) {
			if line, ok := r.Lines[ke.Key]; ok {
				e = &LineError{File: r.File, Line: line, Err: ke}
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// WarningLines returns what an operator should see about a decoded file: one line listing
// the ignored keys (when there are any), then one line per repeated key.
func (r Report) WarningLines() []string {
	var out []string
	if len(r.Ignored) > 0 {
		out = append(out, fmt.Sprintf("%s: %d Apache RocketMQ keys accepted and ignored (mq does not implement them): %s",
			r.File, len(r.Ignored), strings.Join(r.Ignored, ", ")))
	}
	return append(out, r.Warnings...)
}

// Brief returns err's message with at most n of its joined problems, then how many more there
// were: for answers that travel in a response header, where a hostile body of 64 KiB could
// otherwise produce a remark of megabytes.
func Brief(err error, n int) string {
	if err == nil {
		return ""
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err.Error()
	}
	var list []error
	var flatten func([]error)
	flatten = func(es []error) {
		for _, e := range es {
			if jj, ok := e.(interface{ Unwrap() []error }); ok {
				flatten(jj.Unwrap())
			} else if e != nil {
				list = append(list, e)
			}
		}
	}
	flatten(j.Unwrap())
	if len(list) <= n {
		return err.Error()
	}
	msgs := make([]string, 0, n+1)
	for _, e := range list[:n] {
		msgs = append(msgs, e.Error())
	}
	msgs = append(msgs, fmt.Sprintf("… and %d more problems", len(list)-n))
	return strings.Join(msgs, "\n")
}
