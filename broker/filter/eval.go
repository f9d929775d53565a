package filter

import (
	"math"
	"strconv"
	"strings"
)

// kind is the Java type an expression value has in RocketMQ's evaluator.
type kind uint8

const (
	kNull   kind = iota // null: a missing property or the NULL literal ("unknown")
	kBool               // java.lang.Boolean
	kInt                // java.lang.Integer: integer literals that fit in 32 bits
	kLong               // java.lang.Long: larger integer literals
	kDouble             // java.lang.Double: decimal literals
	kString             // java.lang.String: string literals and every property value
	kErr                // the evaluation threw; the whole expression does not match
)

// value is the result of evaluating a node. It is passed by value so that evaluation does not
// allocate.
type value struct {
	k kind
	b bool
	n int64
	f float64
	s string
}

var (
	vNull  = value{k: kNull}
	vTrue  = value{k: kBool, b: true}
	vFalse = value{k: kBool}
	vErr   = value{k: kErr}
)

func boolValue(b bool) value {
	if b {
		return vTrue
	}
	return vFalse
}

// node is a compiled expression. eval reads properties from props; the TAGS property falls
// back to tags when props has no TAGS entry.
type node interface {
	eval(props map[string]string, tags string) value
}

// tagsProperty is the name of the system property holding a message's tags.
const tagsProperty = "TAGS"

type constNode struct{ v value }

func (n *constNode) eval(map[string]string, string) value { return n.v }

type propNode struct{ name string }

func (n *propNode) eval(props map[string]string, tags string) value {
	if s, ok := props[n.name]; ok {
		return value{k: kString, s: s}
	}
	if n.name == tagsProperty && tags != "" {
		return value{k: kString, s: tags}
	}
	return vNull
}

// negNode is unary minus: numbers are negated, anything else (a property's string) is null.
type negNode struct{ x node }

func (n *negNode) eval(props map[string]string, tags string) value {
	v := n.x.eval(props, tags)
	switch v.k {
	case kInt:
		return value{k: kInt, n: int64(-int32(v.n))}
	case kLong:
		return value{k: kLong, n: -v.n}
	case kDouble:
		return value{k: kDouble, f: -v.f}
	case kErr:
		return v
	}
	return vNull
}

// notNode is NOT: TRUE↔FALSE, NULL stays NULL.
type notNode struct{ x node }

func (n *notNode) eval(props map[string]string, tags string) value {
	v := n.x.eval(props, tags)
	if v.k == kBool {
		return boolValue(!v.b)
	}
	return v
}

// boolCastNode turns a bare property used as a condition into a boolean: NULL when missing,
// otherwise FALSE (property values are strings, never booleans).
type boolCastNode struct{ x node }

func (n *boolCastNode) eval(props map[string]string, tags string) value {
	v := n.x.eval(props, tags)
	switch v.k {
	case kNull, kErr, kBool:
		return v
	}
	return vFalse
}

type andNode struct{ l, r node }

func (n *andNode) eval(props map[string]string, tags string) value {
	l := n.l.eval(props, tags)
	if l.k == kErr || l.k == kBool && !l.b {
		return l
	}
	r := n.r.eval(props, tags)
	if r.k == kErr || r.k == kBool && !r.b {
		return r
	}
	if l.k != kBool || r.k != kBool {
		return vNull
	}
	return vTrue
}

type orNode struct{ l, r node }

func (n *orNode) eval(props map[string]string, tags string) value {
	l := n.l.eval(props, tags)
	if l.k == kErr || l.k == kBool && l.b {
		return l
	}
	r := n.r.eval(props, tags)
	if r.k == kErr || r.k == kBool && r.b {
		return r
	}
	if l.k != kBool || r.k != kBool {
		return vNull
	}
	return vFalse
}

// eqNode is '=' (and, wrapped in notNode, '<>'; with a NULL right side, IS NULL).
type eqNode struct{ l, r node }

func (n *eqNode) eval(props map[string]string, tags string) value {
	l := n.l.eval(props, tags)
	if l.k == kErr {
		return l
	}
	r := n.r.eval(props, tags)
	if r.k == kErr {
		return r
	}
	switch {
	case l.k == kNull && r.k == kNull:
		return vTrue
	case l.k == kNull:
		return vNull
	case r.k == kNull:
		return vFalse
	}
	if javaEquals(l, r) {
		return vTrue
	}
	c, ok := javaCompare(l, r)
	if !ok {
		return vErr
	}
	return boolValue(c == 0)
}

type cmpOp uint8

const (
	opGt cmpOp = iota
	opGe
	opLt
	opLe
)

var cmpOpNames = [...]string{opGt: ">", opGe: ">=", opLt: "<", opLe: "<="}

// cmpNode is > >= < <=. Two strings (two properties) are compared as doubles.
type cmpNode struct {
	op   cmpOp
	l, r node
}

func (n *cmpNode) eval(props map[string]string, tags string) value {
	l := n.l.eval(props, tags)
	if l.k == kNull || l.k == kErr {
		return l
	}
	r := n.r.eval(props, tags)
	if r.k == kNull || r.k == kErr {
		return r
	}
	var c int
	if l.k == kString && r.k == kString {
		lf, ok1 := javaParseDouble(l.s)
		rf, ok2 := javaParseDouble(r.s)
		if !ok1 || !ok2 {
			return vErr
		}
		c = compareDouble(lf, rf)
	} else {
		var ok bool
		if c, ok = javaCompare(l, r); !ok {
			return vErr
		}
	}
	switch n.op {
	case opGt:
		return boolValue(c > 0)
	case opGe:
		return boolValue(c >= 0)
	case opLt:
		return boolValue(c < 0)
	default:
		return boolValue(c <= 0)
	}
}

type strOp uint8

const (
	opContains strOp = iota
	opStartsWith
	opEndsWith
)

var strOpNames = [...]string{opContains: "CONTAINS", opStartsWith: "STARTSWITH", opEndsWith: "ENDSWITH"}

// strOpNode is [NOT] CONTAINS / STARTSWITH / ENDSWITH 'literal'. Unlike the comparisons it is
// never NULL: a missing or non-string operand, or an empty literal, gives FALSE for the
// positive and the negated form alike.
type strOpNode struct {
	op     strOp
	not    bool
	x      node
	search string
}

func (n *strOpNode) eval(props map[string]string, tags string) value {
	if n.search == "" {
		return vFalse
	}
	v := n.x.eval(props, tags)
	if v.k == kErr {
		return v
	}
	if v.k != kString {
		return vFalse
	}
	var hit bool
	switch n.op {
	case opContains:
		hit = strings.Contains(v.s, n.search)
	case opStartsWith:
		hit = strings.HasPrefix(v.s, n.search)
	default:
		hit = strings.HasSuffix(v.s, n.search)
	}
	return boolValue(hit != n.not)
}

// inNode is prop [NOT] IN ('a', ...). A missing property is NULL.
type inNode struct {
	not  bool
	x    *propNode
	list []string
	set  map[string]struct{} // instead of list when it is long
}

func (n *inNode) eval(props map[string]string, tags string) value {
	v := n.x.eval(props, tags)
	if v.k != kString {
		return vNull
	}
	var hit bool
	if n.set != nil {
		_, hit = n.set[v.s]
	} else {
		hit = containsString(n.list, v.s)
	}
	return boolValue(hit != n.not)
}

// javaEquals is Object.equals between two non-null values: same class and same value
// (Double.equals compares bits, so NaN equals NaN and 0.0 differs from -0.0).
func javaEquals(l, r value) bool {
	if l.k != r.k {
		return false
	}
	switch l.k {
	case kBool:
		return l.b == r.b
	case kInt, kLong:
		return l.n == r.n
	case kDouble:
		return math.Float64bits(l.f) == math.Float64bits(r.f)
	case kString:
		return l.s == r.s
	}
	return false
}

// javaCompare is RocketMQ's ComparisonExpression.__compare with string conversion on: values of
// different classes are converted (Integer→Long→Double, a String to the other side's class)
// before compareTo; unrelated classes compare as -1. ok is false where Java throws: a string
// that does not parse as the number class it is converted to, and a Boolean on the left of a
// String (a ClassCastException in RocketMQ).
func javaCompare(l, r value) (c int, ok bool) {
	if l.k == kNull || r.k == kNull || l.k == kErr || r.k == kErr {
		return 0, false
	}
	if l.k != r.k {
		switch l.k {
		case kBool:
			if r.k == kString {
				return 0, false
			}
			return -1, true
		case kInt:
			switch r.k {
			case kLong:
				l.k = kLong
			case kDouble:
				l = value{k: kDouble, f: float64(l.n)}
			case kString:
				if r, ok = parseInteger(r.s, 32); !ok {
					return 0, false
				}
			default:
				return -1, true
			}
		case kLong:
			switch r.k {
			case kInt:
				r.k = kLong
			case kDouble:
				l = value{k: kDouble, f: float64(l.n)}
			case kString:
				if r, ok = parseInteger(r.s, 64); !ok {
					return 0, false
				}
			default:
				return -1, true
			}
		case kDouble:
			switch r.k {
			case kInt, kLong:
				r = value{k: kDouble, f: float64(r.n)}
			case kString:
				f, ok := javaParseDouble(r.s)
				if !ok {
					return 0, false
				}
				r = value{k: kDouble, f: f}
			default:
				return -1, true
			}
		case kString:
			switch r.k {
			case kBool:
				l = value{k: kBool, b: strings.EqualFold(l.s, "true")}
			case kInt:
				if l, ok = parseInteger(l.s, 32); !ok {
					return 0, false
				}
			case kLong:
				if l, ok = parseInteger(l.s, 64); !ok {
					return 0, false
				}
			case kDouble:
				f, ok := javaParseDouble(l.s)
				if !ok {
					return 0, false
				}
				l = value{k: kDouble, f: f}
			default:
				return -1, true
			}
		}
	}
	switch l.k {
	case kBool:
		switch {
		case l.b == r.b:
			return 0, true
		case r.b:
			return -1, true
		}
		return 1, true
	case kInt, kLong:
		switch {
		case l.n < r.n:
			return -1, true
		case l.n > r.n:
			return 1, true
		}
		return 0, true
	case kDouble:
		return compareDouble(l.f, r.f), true
	case kString:
		return strings.Compare(l.s, r.s), true
	}
	return 0, false
}

// parseInteger is Java's Integer.valueOf (bits 32) or Long.valueOf (bits 64): an optional sign
// and ASCII digits, in range. It checks the syntax first so that the common failure does not
// allocate a *strconv.NumError.
func parseInteger(s string, bits int) (value, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i == len(s) {
		return value{}, false
	}
	for ; i < len(s); i++ {
		if !isDigit(s[i]) {
			return value{}, false
		}
	}
	n, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		return value{}, false
	}
	if bits == 32 {
		return value{k: kInt, n: n}, true
	}
	return value{k: kLong, n: n}, true
}

// javaParseDouble is Java's Double.valueOf for decimal strings: surrounding characters
// <= ' ' are trimmed; then an optional sign and "NaN", "Infinity", or digits with an
// optional fraction and exponent and an optional f/F/d/D suffix. Hexadecimal floating-point
// strings are not accepted.
func javaParseDouble(s string) (float64, bool) {
	s = javaTrim(s)
	body := s
	neg := false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	switch body {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	if n := len(body); n > 0 {
		switch body[n-1] {
		case 'f', 'F', 'd', 'D':
			body = body[:n-1]
			s = s[:len(s)-1]
		}
	}
	i, digits := 0, 0
	for i < len(body) && isDigit(body[i]) {
		i++
		digits++
	}
	if i < len(body) && body[i] == '.' {
		i++
		for i < len(body) && isDigit(body[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(body) && (body[i] == 'e' || body[i] == 'E') {
		i++
		if i < len(body) && (body[i] == '+' || body[i] == '-') {
			i++
		}
		start := i
		for i < len(body) && isDigit(body[i]) {
			i++
		}
		if i == start {
			return 0, false
		}
	}
	if i != len(body) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return 0, false
	}
	return f, true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// compareDouble is Java's Double.compare: -0.0 < 0.0, and NaN is equal to itself and greater
// than every other value.
func compareDouble(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	ab, bb := int64(math.Float64bits(a)), int64(math.Float64bits(b))
	switch {
	case ab < bb:
		return -1
	case ab > bb:
		return 1
	}
	return 0
}
