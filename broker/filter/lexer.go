package filter

import (
	"strconv"
	"strings"
)

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tokEOF tokKind = iota
	tokID
	tokInt    // DECIMAL_LITERAL: 0 | [1-9][0-9]* [lL]?
	tokFloat  // FLOATING_POINT_LITERAL
	tokString // '...' with '' as an escaped quote
	tokEq     // =
	tokNe     // <>
	tokGt     // > (tokGt..tokLe and tokContains..tokEndsWith keep the order of cmpOp and strOp)
	tokGe     // >=
	tokLt     // <
	tokLe     // <=
	tokLParen
	tokRParen
	tokComma
	tokPlus
	tokMinus
	// Keywords (case-insensitive).
	tokNot
	tokAnd
	tokOr
	tokBetween
	tokIn
	tokTrue
	tokFalse
	tokNull
	tokIs
	tokContains
	tokStartsWith
	tokEndsWith
)

var keywords = [...]struct {
	word string
	kind tokKind
}{
	{"NOT", tokNot}, {"AND", tokAnd}, {"OR", tokOr}, {"BETWEEN", tokBetween}, {"IN", tokIn},
	{"TRUE", tokTrue}, {"FALSE", tokFalse}, {"NULL", tokNull}, {"IS", tokIs},
	{"CONTAINS", tokContains}, {"STARTSWITH", tokStartsWith}, {"ENDSWITH", tokEndsWith},
}

var tokNames = [...]string{
	tokEOF: "end of expression", tokID: "identifier", tokInt: "integer", tokFloat: "number",
	tokString: "string literal", tokEq: "'='", tokNe: "'<>'", tokGt: "'>'", tokGe: "'>='",
	tokLt: "'<'", tokLe: "'<='", tokLParen: "'('", tokRParen: "')'", tokComma: "','",
	tokPlus: "'+'", tokMinus: "'-'", tokNot: "NOT", tokAnd: "AND", tokOr: "OR",
	tokBetween: "BETWEEN", tokIn: "IN", tokTrue: "TRUE", tokFalse: "FALSE", tokNull: "NULL",
	tokIs: "IS", tokContains: "CONTAINS", tokStartsWith: "STARTSWITH", tokEndsWith: "ENDSWITH",
}

func (k tokKind) String() string {
	if int(k) < len(tokNames) {
		return tokNames[k]
	}
	return "token"
}

// token is one lexical token: its kind, its byte offset in the expression and its text.
type token struct {
	kind tokKind
	pos  int
	text string
}

// lexer splits an SQL92 expression into tokens. Whitespace (space, \t, \n, \r, \f),
// "-- line comments" and "/* block comments */" are skipped.
type lexer struct {
	src string
	pos int
}

func isIDStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isIDPart(c byte) bool { return isIDStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// skip moves past whitespace and comments. An unterminated block comment is an error.
func (l *lexer) skip() error {
	for l.pos < len(l.src) {
		switch c := l.src[l.pos]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			l.pos++
		case c == '-' && strings.HasPrefix(l.src[l.pos:], "--"):
			end := strings.IndexAny(l.src[l.pos:], "\r\n")
			if end < 0 {
				l.pos = len(l.src)
			} else {
				l.pos += end + 1
			}
		case c == '/' && strings.HasPrefix(l.src[l.pos:], "/*"):
			end := strings.Index(l.src[l.pos+2:], "*/")
			if end < 0 {
				return &ParseError{Pos: l.pos, Msg: "unterminated comment"}
			}
			l.pos += 2 + end + 2
		default:
			return nil
		}
	}
	return nil
}

// next returns the next token; at the end it returns tokEOF (repeatedly).
func (l *lexer) next() (token, error) {
	if err := l.skip(); err != nil {
		return token{}, err
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tokEOF, pos: start}, nil
	}
	c := l.src[start]
	single := func(k tokKind, n int) (token, error) {
		l.pos += n
		return token{kind: k, pos: start, text: l.src[start:l.pos]}, nil
	}
	switch {
	case c == '=':
		return single(tokEq, 1)
	case c == '<':
		if start+1 < len(l.src) {
			switch l.src[start+1] {
			case '>':
				return single(tokNe, 2)
			case '=':
				return single(tokLe, 2)
			}
		}
		return single(tokLt, 1)
	case c == '>':
		if start+1 < len(l.src) && l.src[start+1] == '=' {
			return single(tokGe, 2)
		}
		return single(tokGt, 1)
	case c == '(':
		return single(tokLParen, 1)
	case c == ')':
		return single(tokRParen, 1)
	case c == ',':
		return single(tokComma, 1)
	case c == '+':
		return single(tokPlus, 1)
	case c == '-':
		return single(tokMinus, 1)
	case c == '\'':
		return l.string()
	case isDigit(c) || c == '.' && start+1 < len(l.src) && isDigit(l.src[start+1]):
		return l.number()
	case isIDStart(c):
		l.pos++
		for l.pos < len(l.src) && isIDPart(l.src[l.pos]) {
			l.pos++
		}
		t := token{kind: tokID, pos: start, text: l.src[start:l.pos]}
		for _, kw := range keywords {
			if len(kw.word) == len(t.text) && strings.EqualFold(kw.word, t.text) {
				t.kind = kw.kind
				break
			}
		}
		return t, nil
	}
	return token{}, &ParseError{Pos: start, Msg: "unexpected character " + quoteNear(l.src[start:])}
}

// string lexes a quoted literal; its text keeps the quotes and doubled quotes (see unquote).
func (l *lexer) string() (token, error) {
	start := l.pos
	i := start + 1
	for {
		j := strings.IndexByte(l.src[i:], '\'')
		if j < 0 {
			return token{}, &ParseError{Pos: start, Msg: "unterminated string literal"}
		}
		i += j + 1
		if i < len(l.src) && l.src[i] == '\'' {
			i++ // '' is an escaped quote
			continue
		}
		break
	}
	l.pos = i
	return token{kind: tokString, pos: start, text: l.src[start:i]}, nil
}

// unquote returns the value of a string literal token: outer quotes removed, each doubled
// quote turned into one.
func unquote(text string) string {
	s := text[1 : len(text)-1]
	if !strings.Contains(s, "''") {
		return s
	}
	return strings.ReplaceAll(s, "''", "'")
}

// number lexes DECIMAL_LITERAL and FLOATING_POINT_LITERAL the way RocketMQ's grammar defines
// them: 12, 12L, 1.5, 1., .5, 1e10, 1.5E-3. A leading zero followed by digits ("007") is
// rejected (JavaCC would split it into tokens that cannot parse).
func (l *lexer) number() (token, error) {
	start := l.pos
	i := start
	for i < len(l.src) && isDigit(l.src[i]) {
		i++
	}
	intEnd := i
	float := false
	if i < len(l.src) && l.src[i] == '.' {
		float = true
		i++
		for i < len(l.src) && isDigit(l.src[i]) {
			i++
		}
	}
	if i < len(l.src) && (l.src[i] == 'e' || l.src[i] == 'E') {
		j := i + 1
		if j < len(l.src) && (l.src[j] == '+' || l.src[j] == '-') {
			j++
		}
		if j < len(l.src) && isDigit(l.src[j]) {
			for j < len(l.src) && isDigit(l.src[j]) {
				j++
			}
			float = true
			i = j
		}
	}
	if float {
		l.pos = i
		return l.endNumber(token{kind: tokFloat, pos: start, text: l.src[start:i]})
	}
	if intEnd-start > 1 && l.src[start] == '0' {
		return token{}, &ParseError{Pos: start, Msg: "invalid number " + quoteNear(l.src[start:intEnd])}
	}
	if i < len(l.src) && (l.src[i] == 'l' || l.src[i] == 'L') {
		i++
	}
	l.pos = i
	return l.endNumber(token{kind: tokInt, pos: start, text: l.src[start:i]})
}

// endNumber refuses a number glued to an identifier ("5abc").
func (l *lexer) endNumber(t token) (token, error) {
	if l.pos < len(l.src) && (isIDPart(l.src[l.pos]) || l.src[l.pos] == '.') {
		end := l.pos
		for end < len(l.src) && (isIDPart(l.src[end]) || l.src[end] == '.') {
			end++
		}
		return token{}, &ParseError{Pos: t.pos, Msg: "invalid number " + quoteNear(l.src[t.pos:end])}
	}
	return t, nil
}

// quoteNear quotes the start of s for an error message, cut at 24 bytes on a rune boundary.
func quoteNear(s string) string {
	const max = 24
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}
