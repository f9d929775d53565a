package filter

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parser is a recursive-descent parser for RocketMQ's SQL92 selector grammar (see doc.go).
// It keeps one token of lookahead plus a second one for the "NOT BETWEEN/IN/CONTAINS..."
// forms, and applies at parse time the checks RocketMQ's expression factories make.
type parser struct {
	lx    lexer
	tok   token // current token
	ahead token // the token after tok, valid when hasAhead
	has   bool
	depth int
}

func parse(src string) (node, error) {
	p := &parser{lx: lexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	n, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.errorf(p.tok, "unexpected %s", describe(p.tok))
	}
	return p.asBoolean(n, 0)
}

func (p *parser) advance() error {
	if p.has {
		p.tok, p.has = p.ahead, false
		return nil
	}
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// peek returns the token after the current one.
func (p *parser) peek() (token, error) {
	if !p.has {
		t, err := p.lx.next()
		if err != nil {
			return token{}, err
		}
		p.ahead, p.has = t, true
	}
	return p.ahead, nil
}

func (p *parser) errorf(at token, format string, args ...any) *ParseError {
	return &ParseError{Pos: at.pos, Msg: fmt.Sprintf(format, args...)}
}

// expect consumes a token of kind k or fails with "expected k near ...".
func (p *parser) expect(k tokKind) (token, error) {
	t := p.tok
	if t.kind != k {
		return t, p.errorf(t, "expected %s near %s", k, describe(t))
	}
	return t, p.advance()
}

// describe names a token for an error message: its text, or "end of expression".
func describe(t token) string {
	if t.kind == tokEOF {
		return "end of expression"
	}
	return quoteNear(t.text)
}

// enter counts one level of nesting and refuses to go deeper than MaxDepth.
func (p *parser) enter(at token) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errorf(at, "expression nested deeper than %d levels", MaxDepth)
	}
	return nil
}

// orExpr = andExpr { OR andExpr }
func (p *parser) orExpr() (node, error) {
	l, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tokOr {
		op := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		lb, err := p.asBoolean(l, op.pos)
		if err != nil {
			return nil, err
		}
		rb, err := p.asBoolean(r, op.pos)
		if err != nil {
			return nil, err
		}
		l = &orNode{lb, rb}
	}
	return l, nil
}

// andExpr = equalityExpr { AND equalityExpr }
func (p *parser) andExpr() (node, error) {
	l, err := p.equalityExpr()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tokAnd {
		op := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.equalityExpr()
		if err != nil {
			return nil, err
		}
		lb, err := p.asBoolean(l, op.pos)
		if err != nil {
			return nil, err
		}
		rb, err := p.asBoolean(r, op.pos)
		if err != nil {
			return nil, err
		}
		l = &andNode{lb, rb}
	}
	return l, nil
}

// equalityExpr = comparisonExpr { "=" comparisonExpr | "<>" comparisonExpr | IS [NOT] NULL }
func (p *parser) equalityExpr() (node, error) {
	l, err := p.comparisonExpr()
	if err != nil {
		return nil, err
	}
	for {
		op := p.tok
		switch op.kind {
		case tokEq, tokNe:
			if err := p.advance(); err != nil {
				return nil, err
			}
			r, err := p.comparisonExpr()
			if err != nil {
				return nil, err
			}
			if err := checkEqual(l, r, op); err != nil {
				return nil, err
			}
			l = &eqNode{l, r}
			if op.kind == tokNe {
				l = &notNode{l}
			}
		case tokIs:
			if err := p.advance(); err != nil {
				return nil, err
			}
			not := false
			if p.tok.kind == tokNot {
				not = true
				if err := p.advance(); err != nil {
					return nil, err
				}
			}
			if _, err := p.expect(tokNull); err != nil {
				return nil, err
			}
			l = &eqNode{l, &constNode{vNull}}
			if not {
				l = &notNode{l}
			}
		default:
			return l, nil
		}
	}
}

// comparisonExpr = unaryExpr { (">"|">="|"<"|"<=") unaryExpr
//
//	| [NOT] (CONTAINS|STARTSWITH|ENDSWITH) string
//	| [NOT] BETWEEN unaryExpr AND unaryExpr
//	| [NOT] IN "(" string { "," string } ")" }
func (p *parser) comparisonExpr() (node, error) {
	l, err := p.unaryExpr()
	if err != nil {
		return nil, err
	}
	for {
		op := p.tok
		not := false
		kind := op.kind
		if kind == tokNot {
			next, err := p.peek()
			if err != nil {
				return nil, err
			}
			switch next.kind {
			case tokContains, tokStartsWith, tokEndsWith, tokBetween, tokIn:
				not, kind = true, next.kind
				if err := p.advance(); err != nil {
					return nil, err
				}
			default:
				return l, nil
			}
		}
		switch kind {
		case tokGt, tokGe, tokLt, tokLe:
			if err := p.advance(); err != nil {
				return nil, err
			}
			r, err := p.unaryExpr()
			if err != nil {
				return nil, err
			}
			cop := cmpOp(kind - tokGt) // tokGt, tokGe, tokLt, tokLe line up with opGt..opLe
			if l, err = newCompare(cop, l, r, op); err != nil {
				return nil, err
			}
		case tokContains, tokStartsWith, tokEndsWith:
			if err := p.advance(); err != nil {
				return nil, err
			}
			s, err := p.expect(tokString)
			if err != nil {
				return nil, err
			}
			sop := strOp(kind - tokContains) // tokContains.. line up with opContains..
			l = &strOpNode{op: sop, not: not, x: l, search: unquote(s.text)}
		case tokBetween:
			if err := p.advance(); err != nil {
				return nil, err
			}
			low, err := p.unaryExpr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(tokAnd); err != nil {
				return nil, err
			}
			high, err := p.unaryExpr()
			if err != nil {
				return nil, err
			}
			if l, err = newBetween(not, l, low, high, token{pos: op.pos, text: "BETWEEN"}); err != nil {
				return nil, err
			}
		case tokIn:
			if err := p.advance(); err != nil {
				return nil, err
			}
			prop, ok := l.(*propNode)
			if !ok {
				return nil, p.errorf(op, "IN needs a property on its left")
			}
			if _, err := p.expect(tokLParen); err != nil {
				return nil, err
			}
			in := &inNode{not: not, x: prop}
			for {
				s, err := p.expect(tokString)
				if err != nil {
					return nil, err
				}
				in.list = append(in.list, unquote(s.text))
				if p.tok.kind != tokComma {
					break
				}
				if err := p.advance(); err != nil {
					return nil, err
				}
			}
			if _, err := p.expect(tokRParen); err != nil {
				return nil, err
			}
			if len(in.list) > smallSet {
				in.set = make(map[string]struct{}, len(in.list))
				for _, s := range in.list {
					in.set[s] = struct{}{}
				}
				in.list = nil
			}
			l = in
		default:
			return l, nil
		}
	}
}

// unaryExpr = "+" unaryExpr | "-" unaryExpr | NOT unaryExpr | primaryExpr
func (p *parser) unaryExpr() (node, error) {
	op := p.tok
	switch op.kind {
	case tokPlus, tokMinus, tokNot:
		if err := p.enter(op); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.unaryExpr()
		if err != nil {
			return nil, err
		}
		switch op.kind {
		case tokPlus:
			return x, nil
		case tokMinus:
			return &negNode{x}, nil
		}
		b, err := p.asBoolean(x, op.pos)
		if err != nil {
			return nil, err
		}
		return &notNode{b}, nil
	}
	return p.primaryExpr()
}

// primaryExpr = literal | identifier | "(" orExpr ")"
func (p *parser) primaryExpr() (node, error) {
	t := p.tok
	var n node
	switch t.kind {
	case tokString:
		n = &constNode{value{k: kString, s: unquote(t.text)}}
	case tokInt:
		v, err := intLiteral(t)
		if err != nil {
			return nil, err
		}
		n = &constNode{v}
	case tokFloat:
		v, err := floatLiteral(t)
		if err != nil {
			return nil, err
		}
		n = &constNode{v}
	case tokTrue:
		n = &constNode{vTrue}
	case tokFalse:
		n = &constNode{vFalse}
	case tokNull:
		n = &constNode{vNull}
	case tokID:
		n = &propNode{name: t.text}
	case tokLParen:
		if err := p.enter(t); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		p.depth--
		return x, nil
	default:
		return nil, p.errorf(t, "expected a value, property or '(' near %s", describe(t))
	}
	return n, p.advance()
}

// intLiteral is ConstantExpression.createFromDecimal: an Integer when it fits in 32 bits,
// else a Long; beyond 64 bits it is an error.
func intLiteral(t token) (value, error) {
	text := strings.TrimRight(t.text, "lL")
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return value{}, &ParseError{Pos: t.pos, Msg: "integer " + quoteNear(t.text) + " out of range"}
	}
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		return value{k: kInt, n: n}, nil
	}
	return value{k: kLong, n: n}, nil
}

// floatLiteral is ConstantExpression.createFloat: a Double, which must be finite.
// (RocketMQ also refuses 0.0 here, comparing with Double.MIN_VALUE; we accept it.)
func floatLiteral(t token) (value, error) {
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil && !isRangeErr(err) || math.IsInf(f, 0) {
		return value{}, &ParseError{Pos: t.pos, Msg: "number " + quoteNear(t.text) + " out of range"}
	}
	return value{k: kDouble, f: f}, nil
}

// isBooleanExpr reports whether n is a BooleanExpression in RocketMQ's class hierarchy: a
// condition, or a TRUE/FALSE/NULL literal.
func isBooleanExpr(n node) bool {
	switch n := n.(type) {
	case *constNode:
		return n.v.k == kBool || n.v.k == kNull
	case *propNode, *negNode:
		return false
	}
	return true
}

// asBoolean is SelectorParser.asBooleanExpression: conditions stay, a bare property is cast
// (a string is FALSE, missing is NULL), anything else cannot be a condition.
func (p *parser) asBoolean(n node, pos int) (node, error) {
	if isBooleanExpr(n) {
		return n, nil
	}
	if _, ok := n.(*propNode); ok {
		return &boolCastNode{n}, nil
	}
	return nil, &ParseError{Pos: pos, Msg: "expression will not result in a boolean value"}
}

// checkEqual is ComparisonExpression.createEqual's check: NULL cannot be compared with '='
// (use IS NULL), and a TRUE/FALSE literal cannot be compared with another kind of literal.
func checkEqual(l, r node, op token) error {
	lc, lok := l.(*constNode)
	rc, rok := r.(*constNode)
	if lok && lc.v.k == kNull || rok && rc.v.k == kNull {
		return &ParseError{Pos: op.pos, Msg: "NULL cannot be compared with " + op.text + "; use IS NULL"}
	}
	if lok && rok && lc.v.k == kBool && rc.v.k != kBool {
		return &ParseError{Pos: op.pos, Msg: "a boolean cannot be compared with " + literalKind(rc.v)}
	}
	return nil
}

// checkOrdered is ComparisonExpression.checkLessThanOperand: > >= < <= and BETWEEN take
// numbers and properties, not string or boolean literals nor conditions.
func checkOrdered(n node, op token) error {
	if c, ok := n.(*constNode); ok {
		switch c.v.k {
		case kInt, kLong, kDouble:
			return nil
		}
		return &ParseError{Pos: op.pos, Msg: literalKind(c.v) + " cannot be compared with " + strings.ToUpper(op.text)}
	}
	if isBooleanExpr(n) {
		return &ParseError{Pos: op.pos, Msg: "a condition cannot be compared with " + strings.ToUpper(op.text)}
	}
	return nil
}

func literalKind(v value) string {
	switch v.k {
	case kNull:
		return "NULL"
	case kBool:
		return "a boolean"
	case kString:
		return "a string"
	}
	return "a number"
}

func newCompare(op cmpOp, l, r node, at token) (node, error) {
	if err := checkOrdered(l, at); err != nil {
		return nil, err
	}
	if err := checkOrdered(r, at); err != nil {
		return nil, err
	}
	return &cmpNode{op: op, l: l, r: r}, nil
}

// newBetween is createBetween / createNotBetween: x >= low AND x <= high, or x < low OR x > high.
// Literal bounds must not be NULL and must be in order.
func newBetween(not bool, x, low, high node, at token) (node, error) {
	if !not {
		lc, lok := low.(*constNode)
		hc, hok := high.(*constNode)
		if lok && hok {
			if lc.v.k == kNull || hc.v.k == kNull {
				return nil, &ParseError{Pos: at.pos, Msg: "BETWEEN bounds cannot be NULL"}
			}
			c, ok := javaCompare(hc.v, lc.v)
			if !ok {
				return nil, &ParseError{Pos: at.pos, Msg: "BETWEEN bounds cannot be compared"}
			}
			if c < 0 {
				return nil, &ParseError{Pos: at.pos, Msg: "BETWEEN lower bound is greater than the upper bound"}
			}
		}
	}
	first, second := opGe, opLe
	if not {
		first, second = opLt, opGt
	}
	l, err := newCompare(first, x, low, at)
	if err != nil {
		return nil, err
	}
	r, err := newCompare(second, x, high, at)
	if err != nil {
		return nil, err
	}
	if not {
		return &orNode{l, r}, nil
	}
	return &andNode{l, r}, nil
}
