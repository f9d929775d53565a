package remoting

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendJSONHeader appends c's header as a compact JSON object with the keys in the order
// the Go client writes them: code, language, version, opaque, flag, remark, extFields.
// extFields is always present and its keys are sorted, so the output is deterministic.
func appendJSONHeader(dst []byte, c *Command) []byte {
	dst = append(dst, `{"code":`...)
	dst = strconv.AppendInt(dst, int64(c.Code), 10)
	dst = append(dst, `,"language":"`...)
	dst = append(dst, c.Language.String()...)
	dst = append(dst, `","version":`...)
	dst = strconv.AppendInt(dst, int64(c.Version), 10)
	dst = append(dst, `,"opaque":`...)
	dst = strconv.AppendInt(dst, int64(c.Opaque), 10)
	dst = append(dst, `,"flag":`...)
	dst = strconv.AppendInt(dst, int64(c.Flag), 10)
	dst = append(dst, `,"remark":`...)
	dst = appendJSONString(dst, c.Remark)
	dst = append(dst, `,"extFields":{`...)
	if c.pairs != nil && c.pairsJSON != "" {
		dst = append(dst, c.pairsJSON...)
		return append(dst, "}}"...)
	}
	if c.pairs != nil {
		var arr [16]ExtPair
		for i, p := range c.sortedPairs(arr[:0]) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, p.Key)
			dst = append(dst, ':')
			dst = appendJSONString(dst, p.Value)
		}
		return append(dst, "}}"...)
	}
	switch len(c.ExtFields) {
	case 0:
	case 1:
		for k, v := range c.ExtFields {
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONString(dst, v)
		}
	default:
		var arr [32]string
		keys := sortedKeys(arr[:0], c.ExtFields)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONString(dst, c.ExtFields[k])
		}
	}
	return append(dst, "}}"...)
}

// sortedKeys appends m's keys to dst and sorts them.
func sortedKeys(dst []string, m map[string]string) []string {
	for k := range m {
		dst = append(dst, k)
	}
	slices.Sort(dst)
	return dst
}

const hexDigits = "0123456789abcdef"

// JSONPlain reports whether s is written in a JSON header as it is, between quotes: none of
// its bytes is escaped by appendJSONString. It is conservative: any 0xE2 byte, which may
// start U+2028 or U+2029, counts as escaped.
func JSONPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !copiedAsIs(s[i]) {
			return false
		}
	}
	return true
}

// copiedAsIs reports whether appendJSONString copies byte b without looking further: not
// '"', '\\', a control character, nor 0xE2 (which may start U+2028 or U+2029).
func copiedAsIs(b byte) bool { return b >= 0x20 && b != '"' && b != '\\' && b != 0xE2 }

// appendJSONString appends s as a JSON string. It escapes '"', '\\', control characters and
// U+2028/U+2029 (as encoding/json does); other bytes, including invalid UTF-8, are copied
// unchanged so that every string survives a decode/encode round trip.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if copiedAsIs(b) {
			continue
		}
		if b == 0xE2 {
			// U+2028 / U+2029 are E2 80 A8 / E2 80 A9.
			if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\u202`...)
				dst = append(dst, hexDigits[s[i+2]&0xF])
				i += 2
				start = i + 1
			}
			continue
		}
		dst = append(dst, s[start:i]...)
		switch b {
		case '"', '\\':
			dst = append(dst, '\\', b)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// interner returns a shared string for an extFields key, to avoid allocating the same keys
// for every frame, and gives each interned key a small id so that a frame's keys are checked
// for repeats without comparing strings. A nil interner allocates.
type interner struct {
	m    map[string]internedKey
	last [maxPairs]internedKey // the interned keys of earlier frames, by position
	have uint32                // the positions of last that are set
	ext  extBuilder
	tmp  []byte // the JSON scanner's unescaping scratch, kept between frames

	// pairsFor, when set, reports whether requests with a code take their extFields as
	// pairs (Command.pairs, see RawExt) instead of a map.
	pairsFor func(code int16) bool
	// lendFor, when set, reports whether requests with a code may be lent their pairs and
	// body (Command.lentPairs and lent): left in memory the reader reuses for the next
	// frame instead of copied, which the request's consumer must be done with by then.
	lendFor func(code int16) bool
	route   codeRoute // this frame's answers of pairsFor and lendFor
	// skipExt, when set, checks extFields but keeps none of them (FrameDecoder.SkipExt).
	skipExt bool
}

// lends reports whether c, just decoded, may be lent its pairs and body.
func (in *interner) lends(c *Command) bool {
	return in != nil && in.lendFor != nil && !c.IsResponse() && in.routeOf(c.Code).lend
}

// codeRoute is what pairsFor and lendFor said of a code, kept for the frame being decoded
// (a frame asks up to four times; routes may change between frames).
type codeRoute struct {
	code        int16
	set         bool
	pairs, lend bool
}

// routeOf returns pairsFor and lendFor of code, asking them once a frame.
func (in *interner) routeOf(code int16) codeRoute {
	if r := in.route; r.set && r.code == code {
		return r
	}
	r := codeRoute{code: code, set: true}
	r.pairs = in.pairsFor != nil && in.pairsFor(code)
	r.lend = in.lendFor != nil && in.lendFor(code)
	in.route = r
	return r
}

// internedKey is an interned key and its id (< maxInterned), or -1 for a key not interned.
type internedKey struct {
	s  string
	id int32
}

// wantsPairs reports whether a frame with this code gets its extFields as pairs.
func (in *interner) wantsPairs(code int16) bool {
	return in != nil && in.pairsFor != nil && in.routeOf(code).pairs
}

// maxPairs is the most extFields operations collected as pairs: lookups in pairs are
// linear, so a frame with more keys takes the map.
const maxPairs = 32

// finish stores the collected extFields in c: as pairs when asked and the frame is small
// enough, otherwise as the map.
func (e *extBuilder) finish(c *Command, pairs bool) {
	if pairs && e.direct == nil && len(e.ops) <= maxPairs {
		c.pairs = e.buildPairs()
		return
	}
	c.ExtFields = e.build()
}

// buildPairs returns what build would put in its map as a slice of pairs (nil when empty),
// with all values sharing one string allocation. The slice is the builder's, reused by the
// next frame (decodeHeader copies it unless the request is lent it). When every key is interned, set once and
// never deleted (every frame a client sends), the pairs are the operations in order; any
// other frame takes the general path, where the last of repeated keys wins.
func (e *extBuilder) buildPairs() []ExtPair {
	if len(e.ops) == 0 {
		return nil
	}
	all := string(e.buf)
	defer e.reset()
	var seen [maxInterned / 64]uint64
	plain := true
	for _, op := range e.ops {
		if op.del() || !op.interned() || seen[op.k>>6]&(1<<(op.k&63)) != 0 {
			plain = false
			break
		}
		seen[op.k>>6] |= 1 << (op.k & 63)
	}
	if cap(e.pairs) < len(e.ops) {
		e.pairs = make([]ExtPair, 0, maxPairs) // finish sends more ops to the map
	}
	ps := e.pairs[:0]
	if plain {
		for _, op := range e.ops {
			ps = append(ps, ExtPair{Key: e.keyOf(op, all), Value: all[op.a:op.b]})
		}
		return ps
	}
	for _, op := range e.ops {
		key := e.keyOf(op, all)
		i := slices.IndexFunc(ps, func(p ExtPair) bool { return p.Key == key })
		if op.del() {
			if i >= 0 {
				ps = slices.Delete(ps, i, i+1)
			}
			continue
		}
		if i >= 0 {
			ps[i].Value = all[op.a:op.b]
		} else {
			ps = append(ps, ExtPair{Key: key, Value: all[op.a:op.b]})
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// reset drops a large value buffer.
func (e *extBuilder) reset() {
	if cap(e.buf) > maxKeptExtBuf {
		e.buf = nil
	}
}

// extBuilder collects one frame's extFields and builds the map (or the pairs) at the end,
// with all values sharing one string allocation.
type extBuilder struct {
	ops    []extOp
	buf    []byte
	pairs  []ExtPair         // what buildPairs returns, reused
	keys   []string          // the interned keys, by id
	direct map[string]string // without an interner: the map itself, filled as we go
}

// extOp sets a key to buf[a:b], or deletes it (a < 0). The key is keys[k] when kb < 0 (an
// interned key, k its id), otherwise buf[k:kb]. No pointers: the operations of every frame
// are written without write barriers, and nothing needs clearing. Four int32 fields, so that
// the compiler keeps an operation in registers: a larger struct is built on the stack with
// stores of mixed sizes and copied with wider loads, which stalled store forwarding (a third
// of BenchmarkDecodeLent's time went to two such copies).
type extOp struct {
	a, b  int32
	k, kb int32
}

// interned reports whether op's key is keys[op.k].
func (op extOp) interned() bool { return op.kb < 0 }

// del reports whether op deletes its key.
func (op extOp) del() bool { return op.a < 0 }

// keyOf returns op's key; all is string(e.buf).
func (e *extBuilder) keyOf(op extOp, all string) string {
	if op.interned() {
		return e.keys[op.k]
	}
	return all[op.k:op.kb]
}

// keyOp returns an operation on k, copying k into buf when it is not interned.
func (e *extBuilder) keyOp(k internedKey) extOp {
	if k.id >= 0 {
		return extOp{k: k.id, kb: -1}
	}
	ka := int32(len(e.buf))
	e.buf = append(e.buf, k.s...)
	return extOp{k: ka, kb: int32(len(e.buf))}
}

// maxKeptExtBuf is the largest value buffer kept between frames.
const maxKeptExtBuf = 64 << 10

// builder returns the interner's extFields builder, or a fresh one for a nil interner.
func (in *interner) builder() *extBuilder {
	if in == nil {
		return &extBuilder{direct: make(map[string]string, 8)}
	}
	in.ext.ops = in.ext.ops[:0]
	in.ext.buf = in.ext.buf[:0]
	return &in.ext
}

func (e *extBuilder) set(k internedKey, v []byte) {
	if e.direct != nil {
		e.direct[k.s] = string(v)
		return
	}
	op := e.keyOp(k)
	op.a = int32(len(e.buf))
	e.buf = append(e.buf, v...)
	op.b = int32(len(e.buf))
	e.ops = append(e.ops, op)
}

func (e *extBuilder) del(k internedKey) {
	if e.direct != nil {
		delete(e.direct, k.s)
		return
	}
	op := e.keyOp(k)
	op.a, op.b = -1, -1
	e.ops = append(e.ops, op)
}

// build returns the map, or nil when it would be empty.
func (e *extBuilder) build() map[string]string {
	if e.direct != nil {
		if len(e.direct) == 0 {
			return nil
		}
		return e.direct
	}
	if len(e.ops) == 0 {
		return nil
	}
	all := string(e.buf)
	defer e.reset()
	m := make(map[string]string, len(e.ops))
	for _, op := range e.ops {
		if op.del() {
			delete(m, e.keyOf(op, all))
		} else {
			m[e.keyOf(op, all)] = all[op.a:op.b]
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// The interner keeps at most maxInterned strings of at most maxInternLen bytes, so a peer
// sending random keys costs it a bounded amount of memory.
const (
	maxInterned  = 1024
	maxInternLen = 64
)

// key returns the interned key for b, the i-th key of its frame: frames of one kind list
// their keys in the same order, so the previous frame's i-th key is tried first.
func (in *interner) key(b []byte, i int) internedKey {
	if in == nil || len(b) > maxInternLen {
		return internedKey{s: string(b), id: -1}
	}
	if i < len(in.last) && in.have&(1<<i) != 0 && in.last[i].s == string(b) {
		return in.last[i]
	}
	k, ok := in.m[string(b)]
	if !ok {
		k = internedKey{s: string(b), id: -1}
		if len(in.m) < maxInterned {
			if in.m == nil {
				in.m = make(map[string]internedKey, 64)
			}
			k.id = int32(len(in.m))
			in.m[k.s] = k
			in.ext.keys = append(in.ext.keys, k.s)
		}
	}
	if i < len(in.last) && k.id >= 0 {
		in.last[i] = k
		in.have |= 1 << i
	}
	return k
}

// jsonScanner is a small hand-written JSON reader for headers. It never panics: every
// index is checked against len(b).
type jsonScanner struct {
	b   []byte
	i   int
	tmp []byte // scratch for unescaping
	in  *interner
}

func (s *jsonScanner) errf(format string, args ...any) error {
	return fmt.Errorf("%w: json at offset %d: %s", ErrBadHeader, s.i, fmt.Sprintf(format, args...))
}

func (s *jsonScanner) ws() {
	b, i := s.b, s.i
	for i < len(b) && b[i] <= ' ' {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
			continue
		}
		break
	}
	s.i = i
}

// peek skips whitespace and returns the next byte, or 0 at the end. Headers rarely hold
// whitespace: a byte above ' ' is returned at once.
func (s *jsonScanner) peek() byte {
	if i := s.i; i < len(s.b) && s.b[i] > ' ' {
		return s.b[i]
	}
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *jsonScanner) expect(c byte) error {
	if s.peek() != c {
		return s.errf("expected %q", c)
	}
	s.i++
	return nil
}

// literal consumes lit (true, false, null) at the current position.
func (s *jsonScanner) literal(lit string) bool {
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// jsonPlain marks the bytes a JSON string holds as they are: not '"', '\\' nor a control
// character.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < len(t); c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainRun returns the end of the run of plain string bytes that starts at i.
func (s *jsonScanner) plainRun(i int) int {
	b := s.b
	for i < len(b) && jsonPlain[b[i]] {
		i++
	}
	return i
}

// rawString reads a JSON string and returns its contents. The result aliases s.b when the
// string has no escapes, otherwise s.tmp; either way it is only valid until the next call.
func (s *jsonScanner) rawString() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.errf("expected string")
	}
	s.i++
	start := s.i
	s.i = s.plainRun(s.i)
	if s.i >= len(s.b) {
		return nil, s.errf("unterminated string")
	}
	switch s.b[s.i] {
	case '"':
		out := s.b[start:s.i]
		s.i++
		return out, nil
	case '\\':
		return s.slowString(start)
	}
	return nil, s.errf("control character in string")
}

func (s *jsonScanner) slowString(start int) ([]byte, error) {
	out := append(s.tmp[:0], s.b[start:s.i]...)
	for s.i < len(s.b) {
		if end := s.plainRun(s.i); end > s.i {
			out = append(out, s.b[s.i:end]...)
			s.i = end
			continue
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			s.tmp = out
			return out, nil
		case c < 0x20:
			return nil, s.errf("control character in string")
		}
		if s.i+1 >= len(s.b) {
			return nil, s.errf("unterminated escape")
		}
		e := s.b[s.i+1]
		if b := s.b[s.i:]; e == 'u' && len(b) >= 6 && b[2] == '0' && b[3] == '0' &&
			unhex[b[4]] < 8 && unhex[b[5]] < 16 {
			// \u00XX below 0x80, as clients escape the properties' separators: one byte.
			out = append(out, unhex[b[4]]<<4|unhex[b[5]])
			s.i += 6
			continue
		}
		s.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return nil, s.errf("bad \\u escape")
			}
			if utf16IsSurrogate(r) {
				r2 := rune(-1)
				if len(s.b)-s.i >= 6 && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					save := s.i
					s.i += 2
					var ok2 bool
					r2, ok2 = s.hex4()
					if !ok2 {
						return nil, s.errf("bad \\u escape")
					}
					if dec := decodeSurrogates(r, r2); dec != utf8.RuneError {
						r = dec
						r2 = -2
					} else {
						s.i = save // second escape decoded on its own
						r2 = -1
					}
				}
				if r2 != -2 {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, s.errf("bad escape \\%c", e)
		}
	}
	return nil, s.errf("unterminated string")
}

// unhex maps a hex digit to its value and every other byte to 0xFF.
var unhex = func() (t [256]byte) {
	for c := range t {
		switch {
		case c >= '0' && c <= '9':
			t[c] = byte(c - '0')
		case c >= 'a' && c <= 'f':
			t[c] = byte(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			t[c] = byte(c - 'A' + 10)
		default:
			t[c] = 0xFF
		}
	}
	return t
}()

func utf16IsSurrogate(r rune) bool { return r >= 0xD800 && r < 0xE000 }

func decodeSurrogates(r1, r2 rune) rune {
	if r1 >= 0xD800 && r1 < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000 {
		return (r1-0xD800)<<10 | (r2 - 0xDC00) + 0x10000
	}
	return utf8.RuneError
}

func (s *jsonScanner) hex4() (rune, bool) {
	if len(s.b)-s.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		d := unhex[c]
		if d > 15 {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	s.i += 4
	return r, true
}

// int reads a JSON integer in [lo, hi]. Fractions and exponents are rejected.
func (s *jsonScanner) int(lo, hi int64) (int64, error) {
	s.ws()
	neg := false
	if s.i < len(s.b) && s.b[s.i] == '-' {
		neg = true
		s.i++
	}
	start := s.i
	var v int64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		if v > math.MaxInt32 {
			return 0, s.errf("integer out of range")
		}
		v = v*10 + int64(s.b[s.i]-'0')
		s.i++
	}
	if s.i == start {
		return 0, s.errf("expected integer")
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, s.errf("expected integer")
		}
	}
	if neg {
		v = -v
	}
	if v < lo || v > hi {
		return 0, s.errf("integer %d out of range", v)
	}
	return v, nil
}

// skipValue skips any JSON value (used for unknown keys). Nesting is tracked with a
// counter, not recursion.
func (s *jsonScanner) skipValue() error {
	depth := 0
	for {
		switch c := s.peek(); c {
		case '"':
			if _, err := s.rawString(); err != nil {
				return err
			}
		case '{', '[':
			depth++
			s.i++
		case '}', ']':
			if depth == 0 {
				return s.errf("unexpected %q", c)
			}
			depth--
			s.i++
		case ',', ':':
			if depth == 0 {
				return s.errf("unexpected %q", c)
			}
			s.i++
		case 0:
			return s.errf("unexpected end")
		default:
			if !s.literal("true") && !s.literal("false") && !s.literal("null") {
				n := s.i
				for s.i < len(s.b) && isNumberByte(s.b[s.i]) {
					s.i++
				}
				if s.i == n {
					return s.errf("unexpected %q", c)
				}
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// decodeJSONHeader parses a JSON header into c. It accepts both the Go client's form and
// Java's (alphabetical keys, null/missing remark and extFields, serializeTypeCurrentRPC);
// unknown keys are ignored. Every extFields value must be a string (or null, which is
// dropped).
func decodeJSONHeader(b []byte, c *Command, in *interner) error {
	s := jsonScanner{b: b, in: in}
	if in != nil {
		// Keep the scratch between frames: the properties value of every send is escaped.
		s.tmp = in.tmp[:0]
		defer func() {
			if cap(s.tmp) <= maxKeptExtBuf {
				in.tmp = s.tmp[:0]
			}
		}()
	}
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return s.end()
	}
	sawCode := false
	for {
		key, err := s.rawString()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		switch string(key) {
		case "code":
			v, err := s.int(math.MinInt16, math.MaxInt16)
			if err != nil {
				return err
			}
			c.Code = int16(v)
			sawCode = true
		case "version":
			v, err := s.int(math.MinInt16, math.MaxInt16)
			if err != nil {
				return err
			}
			c.Version = int16(v)
		case "opaque":
			v, err := s.int(math.MinInt32, math.MaxInt32)
			if err != nil {
				return err
			}
			c.Opaque = int32(v)
		case "flag":
			v, err := s.int(math.MinInt32, math.MaxInt32)
			if err != nil {
				return err
			}
			c.Flag = int32(v)
		case "language":
			if s.peek() == 'n' && s.literal("null") {
				c.Language = Other
				break
			}
			v, err := s.rawString()
			if err != nil {
				return err
			}
			c.Language = parseLanguageBytes(v)
		case "remark":
			if s.peek() == 'n' && s.literal("null") {
				c.Remark = ""
				break
			}
			v, err := s.rawString()
			if err != nil {
				return err
			}
			c.Remark = string(v)
		case "extFields":
			if err := s.extFields(c, sawCode && in.wantsPairs(c.Code)); err != nil {
				return err
			}
		default: // serializeTypeCurrentRPC and anything else
			if err := s.skipValue(); err != nil {
				return err
			}
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return s.end()
		default:
			return s.errf("expected ',' or '}'")
		}
	}
}

func (s *jsonScanner) end() error {
	s.ws()
	if s.i != len(s.b) {
		return s.errf("trailing data")
	}
	return nil
}

// extFields reads the extFields object into c.ExtFields, or into c.pairs when pairs is set.
func (s *jsonScanner) extFields(c *Command, pairs bool) error {
	c.ExtFields, c.pairs = nil, nil
	switch s.peek() {
	case 'n':
		if s.literal("null") {
			return nil
		}
		return s.errf("expected object")
	case '{':
		s.i++
	default:
		return s.errf("expected object")
	}
	if s.peek() == '}' {
		s.i++
		return nil
	}
	skip := s.in != nil && s.in.skipExt
	var ext *extBuilder
	if !skip {
		ext = s.in.builder()
	}
	n, at := s.plainMembers(ext, skip)
	for {
		switch at {
		case atClose:
			if !skip {
				ext.finish(c, pairs)
			}
			return nil
		case atMember:
			kb, err := s.rawString()
			if err != nil {
				return err
			}
			var key internedKey
			if !skip {
				key = s.in.key(kb, n)
			}
			if err := s.expect(':'); err != nil {
				return err
			}
			switch s.peek() {
			case '"':
				vb, err := s.rawString()
				if err != nil {
					return err
				}
				if !skip {
					ext.set(key, vb)
				}
			case 'n':
				if !s.literal("null") {
					return s.errf("extFields value for %q is not a string", kb)
				}
				if !skip {
					ext.del(key)
				}
			default:
				return s.errf("extFields value for %q is not a string", kb)
			}
			n++
		}
		switch s.peek() {
		case ',':
			s.i++
			at = atMember
		case '}':
			s.i++
			at = atClose
		default:
			return s.errf("expected ',' or '}' in extFields")
		}
	}
}

// Where plainMembers left the scanner in an extFields object.
const (
	atMember    = iota // at a member's start (or whitespace before it)
	atSeparator        // after a member's value
	atClose            // past the closing '}'
)

// plainMembers reads the members of an extFields object written as clients write them,
// `"key":"value"` joined by ',' with no whitespace and no escapes in the key, in one pass
// with the position in a register. It stops at the first member of any other form, with
// s.i at that member's start and nothing of it kept, so that extFields' general loop reads
// it (and reports its errors); n is how many members it read, at where it stopped.
func (s *jsonScanner) plainMembers(ext *extBuilder, skip bool) (n, at int) {
	b, i := s.b, s.i
	for {
		// i is at a member's opening quote.
		if i >= len(b) || b[i] != '"' {
			s.i = i
			return n, atMember
		}
		k := i + 1
		for k < len(b) && jsonPlain[b[k]] {
			k++
		}
		if len(b)-k < 3 || b[k] != '"' || b[k+1] != ':' || b[k+2] != '"' {
			s.i = i
			return n, atMember
		}
		key := b[i+1 : k]
		v := k + 3
		e := v
		for e < len(b) && jsonPlain[b[e]] {
			e++
		}
		if e >= len(b) {
			s.i = i
			return n, atMember
		}
		var val []byte
		switch b[e] {
		case '"':
			val = b[v:e]
			e++
		case '\\':
			s.i = e
			var err error
			if val, err = s.slowString(v); err != nil {
				s.i = i
				return n, atMember
			}
			e = s.i
		default:
			s.i = i
			return n, atMember
		}
		if !skip {
			ext.set(s.in.key(key, n), val)
		}
		n++
		if e < len(b) && b[e] == ',' {
			i = e + 1
			continue
		}
		s.i = e
		if e < len(b) && b[e] == '}' {
			s.i++
			return n, atClose
		}
		return n, atSeparator
	}
}

func parseLanguageBytes(b []byte) LanguageCode {
	for i, n := range languageNames {
		if n == string(b) {
			return LanguageCode(i)
		}
	}
	return Other
}
