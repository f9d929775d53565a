package message

import (
	"bytes"
	"slices"
	"strings"
)

// Separators of the properties string (MessageDecoder.java).
const (
	NameValueSeparator byte = 1
	PropertySeparator  byte = 2
)

// property is one name and value.
type property struct{ name, value string }

// sortedProperties appends props' pairs with a non-empty name and value to buf, sorted by
// name: insertion sort for the handful of a typical message, slices.SortFunc beyond.
func sortedProperties(props map[string]string, buf []property) []property {
	ps := buf[:0]
	for k, v := range props {
		if k == "" || v == "" {
			continue
		}
		ps = append(ps, property{k, v})
	}
	if len(ps) > 12 {
		slices.SortFunc(ps, func(a, b property) int { return strings.Compare(a.name, b.name) })
		return ps
	}
	sortByName(ps)
	return ps
}

// sortByName sorts a handful of pairs by name with an insertion sort: stable, so of pairs
// with one name the last stays last.
func sortByName(ps []property) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].name < ps[j-1].name; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// PropertiesLen returns the length of the properties string AppendProperties writes for props.
func PropertiesLen(props map[string]string) int {
	n := 0
	for k, v := range props {
		if k == "" || v == "" {
			continue
		}
		n += len(k) + len(v) + 2
	}
	return n
}

// AppendProperties appends the properties string of props to dst: NAME\x01VALUE\x02 for every
// pair with a non-empty name and value, names in ascending order so the output is deterministic.
func AppendProperties(dst []byte, props map[string]string) []byte {
	var buf [16]property
	for _, p := range sortedProperties(props, buf[:]) {
		dst = append(dst, p.name...)
		dst = append(dst, NameValueSeparator)
		dst = append(dst, p.value...)
		dst = append(dst, PropertySeparator)
	}
	return dst
}

// EncodeProperties returns the properties string of props.
func EncodeProperties(props map[string]string) string {
	return string(AppendProperties(make([]byte, 0, PropertiesLen(props)), props))
}

// DecodeProperties parses a properties string the way Java's MessageDecoder.string2messageProperties
// does: pairs are split on \x02, the first \x01 separates name and value, and pairs with an empty
// name or value are dropped. It never fails; the result holds at most len(s)/3 entries.
func DecodeProperties(s []byte) map[string]string {
	return DecodePropertiesString(string(s), 0)
}

// DecodePropertiesString is DecodeProperties of a string, with room for spare more entries:
// names and values are substrings of s (no copy each), so the map costs one allocation
// when the caller adds at most spare entries.
func DecodePropertiesString(s string, spare int) map[string]string {
	m := make(map[string]string, min(strings.Count(s, string(rune(PropertySeparator))), 64)+max(spare, 0))
	for len(s) > 0 {
		var name, value string
		if name, value, s = nextPair(s); name != "" {
			m[name] = value
		}
	}
	return m
}

// nextPair splits the first pair off a properties string: its name and value, both "" when
// either is empty (the decoders drop such a pair), and the rest of s. The first \x01 separates
// name and value.
func nextPair(s string) (name, value, rest string) {
	pair := s
	if i := strings.IndexByte(s, PropertySeparator); i >= 0 {
		pair, rest = s[:i], s[i+1:]
	}
	i := strings.IndexByte(pair, NameValueSeparator)
	if i <= 0 || i == len(pair)-1 {
		return "", "", rest
	}
	return pair[:i], pair[i+1:], rest
}

// PropertyValue finds the value of key in a properties string without allocating.
// It follows the same rules as DecodeProperties; when a key repeats the last one wins.
func PropertyValue(props []byte, key string) (value []byte, ok bool) {
	for len(props) > 0 {
		var pair []byte
		if i := bytes.IndexByte(props, PropertySeparator); i >= 0 {
			pair, props = props[:i], props[i+1:]
		} else {
			pair, props = props, nil
		}
		i := bytes.IndexByte(pair, NameValueSeparator)
		if i <= 0 || i == len(pair)-1 {
			continue
		}
		if string(pair[:i]) == key {
			value, ok = pair[i+1:], true
		}
	}
	return value, ok
}

// SplitKeys calls fn for every non-empty space-separated key of a KEYS value, without allocating.
func SplitKeys(keys []byte, fn func(key []byte)) {
	for len(keys) > 0 {
		var k []byte
		if i := bytes.IndexByte(keys, ' '); i >= 0 {
			k, keys = keys[:i], keys[i+1:]
		} else {
			k, keys = keys, nil
		}
		if len(k) > 0 {
			fn(k)
		}
	}
}

// HasKey reports whether key is one of the space-separated keys in a KEYS value.
func HasKey(keys, key string) bool {
	for k := range strings.SplitSeq(keys, KeySeparator) {
		if k != "" && k == key {
			return true
		}
	}
	return false
}

// maxListed is the most pairs a PropertyList holds: a message's handful and the broker's
// stamps, with room to spare.
const maxListed = 24

// PropertyList is a properties string's pairs in a fixed array, for the send path: what
// DecodePropertiesString, a few map reads and writes and AppendProperties do to a message's
// handful of properties, without building a map. The zero value is an empty list.
//
// Pairs are kept in the order parsed and set; Get and Append give the last of a name the
// precedence a map's last write has.
type PropertyList struct {
	n  int
	ps [maxListed]property
}

// Parse sets l to the pairs of s, by DecodeProperties' rules (pairs split on \x02, the first
// \x01 separates name and value, pairs with an empty name or value dropped). It returns false,
// leaving l undefined, when s holds more than maxListed-reserve pairs: the caller then decodes
// s into a map instead. reserve is room kept for Set.
func (l *PropertyList) Parse(s string, reserve int) bool {
	l.n = 0
	limit := maxListed - max(reserve, 0)
	for len(s) > 0 {
		var name, value string
		if name, value, s = nextPair(s); name == "" {
			continue
		}
		if l.n >= limit {
			return false
		}
		l.ps[l.n] = property{name, value}
		l.n++
	}
	return true
}

// Get returns the value of name, or "" (as a map read does).
func (l *PropertyList) Get(name string) string {
	for i := l.n - 1; i >= 0; i-- {
		if l.ps[i].name == name {
			return l.ps[i].value
		}
	}
	return ""
}

// Set sets name to value, as a map write does: an empty value makes Get return "" and Append
// leave the name out. It returns false, changing nothing, when the list is full.
func (l *PropertyList) Set(name, value string) bool {
	if l.n == len(l.ps) {
		return false
	}
	l.ps[l.n] = property{name, value}
	l.n++
	return true
}

// Len returns the length of the string Append writes.
func (l *PropertyList) Len() int {
	n := 0
	l.each(func(p property) { n += len(p.name) + len(p.value) + 2 })
	return n
}

// Append appends the properties string of l to dst: what AppendProperties writes for the map
// the same reads and writes would have built (the last value of each name, non-empty names and
// values only, names in ascending order). It sorts l's pairs.
func (l *PropertyList) Append(dst []byte) []byte {
	l.each(func(p property) {
		dst = append(dst, p.name...)
		dst = append(dst, NameValueSeparator)
		dst = append(dst, p.value...)
		dst = append(dst, PropertySeparator)
	})
	return dst
}

// each sorts the pairs by name (stably: of one name the last set stays last) and calls fn for
// the last pair of every name whose name and value are not empty.
func (l *PropertyList) each(fn func(property)) {
	ps := l.ps[:l.n]
	sortByName(ps)
	for i, p := range ps {
		if i+1 < len(ps) && ps[i+1].name == p.name {
			continue // a later value of the same name wins
		}
		if p.name != "" && p.value != "" {
			fn(p)
		}
	}
}
