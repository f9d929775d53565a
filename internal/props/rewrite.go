package props

import (
	"strings"
)

// Rewrite returns text with the given keys set, keeping everything else as it was: comments,
// blank lines, order and the other keys. A key the text already sets has the logical line of
// its last (winning) entry replaced by "key=value" (continuation lines included); a key it
// does not set is appended at the end, in the order of updates. Line endings follow the
// text's first line (LF or CRLF).
func Rewrite(text string, updates []Entry) string {
	eol := "\n"
	if i := strings.IndexByte(text, '\n'); i > 0 && text[i-1] == '\r' {
		eol = "\r\n"
	}
	want := map[string]int{} // key -> index in updates (the last one wins)
	for i, u := range updates {
		want[u.Key] = i
	}
	// Find the span of each key's last entry.
	type span struct{ start, end int }
	last := map[string]span{}
	scan(text, func(l logical) {
		key, _, err := splitKeyValue(l.text)
		if err != nil {
			return
		}
		if _, ok := want[key]; ok {
			last[key] = span{l.start, l.end}
		}
	})
	replaceAt := map[int]string{} // start line -> key
	skip := map[int]bool{}        // continuation lines of a replaced entry
	for k, sp := range last {
		replaceAt[sp.start] = k
		for n := sp.start + 1; n <= sp.end; n++ {
			skip[n] = true
		}
	}
	var b strings.Builder
	b.Grow(len(text) + 64*len(updates))
	var lines []string // physical lines with their terminators, as scan counts them
	for rest := text; rest != ""; {
		var line, term string
		line, term, rest = cutLine(rest)
		lines = append(lines, line+term)
	}
	for i, line := range lines {
		n := i + 1
		if skip[n] {
			continue
		}
		if k, ok := replaceAt[n]; ok {
			b.WriteString(formatEntry(updates[want[k]]))
			b.WriteString(eol)
			continue
		}
		b.WriteString(line)
	}
	if b.Len() > 0 {
		// End the last line; a last line continued at the end of the text would swallow the
		// first appended key, so end it with an empty line too (harmless after a comment).
		s := b.String()
		terminated := strings.HasSuffix(s, "\n") || strings.HasSuffix(s, "\r")
		out := strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
		tail := out[strings.LastIndexAny(out, "\r\n")+1:]
		if !terminated {
			b.WriteString(eol)
		}
		if endsWithContinuation(tail) {
			if strings.HasSuffix(s, "\r") && !strings.HasSuffix(s, "\r\n") {
				b.WriteString("\r") // a "\n" would join the bare CR into one CRLF terminator
			} else {
				b.WriteString(eol)
			}
		}
	}
	for i, u := range updates {
		if _, ok := last[u.Key]; ok || want[u.Key] != i {
			continue
		}
		b.WriteString(formatEntry(u))
		b.WriteString(eol)
	}
	return b.String()
}

func formatEntry(e Entry) string {
	return escapeKey(e.Key) + "=" + escapeValue(e.Value)
}

func escapeKey(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "=", "\\=", ":", "\\:", " ", "\\ ", "\t", "\\t", "\n", "\\n", "\r", "\\r", "#", "\\#", "!", "\\!")
	return r.Replace(s)
}
