package filter

import (
	"fmt"
	"strconv"
)

// Limits on SQL92 expressions. Longer or deeper expressions are refused with a *ParseError,
// so a hostile subscription cannot make the parser or evaluator exhaust the stack or memory.
const (
	MaxExpressionLen = 64 << 10 // bytes
	MaxDepth         = 100      // nested parentheses and unary operators (NOT, -, +)
)

// ParseError is a bad SQL92 expression. Pos is the 0-based byte offset in the expression where
// the problem was found. Its text is what the broker sends back with SUBSCRIPTION_PARSE_FAILED.
type ParseError struct {
	Pos int
	Msg string
}

func (e *ParseError) Error() string {
	return "filter: sql92: at " + strconv.Itoa(e.Pos) + ": " + e.Msg
}

// sqlFilter is a compiled SQL92 expression.
type sqlFilter struct {
	root node
	expr string
}

func compileSQL(expr string) (*sqlFilter, error) {
	if len(expr) > MaxExpressionLen {
		return nil, &ParseError{Pos: MaxExpressionLen,
			Msg: fmt.Sprintf("expression is %d bytes, longer than the limit of %d", len(expr), MaxExpressionLen)}
	}
	root, err := parse(expr)
	if err != nil {
		return nil, err
	}
	return &sqlFilter{root: root, expr: expr}, nil
}

// MatchTagsCode always reports true: SQL92 is decided on the message properties.
func (f *sqlFilter) MatchTagsCode(int64) bool { return true }

// Match evaluates the expression over props. Only a TRUE result matches: FALSE, NULL
// (unknown) and an evaluation error (for example a property that is not a number compared
// with a number) do not.
func (f *sqlFilter) Match(tags string, props map[string]string) bool {
	v := f.root.eval(props, tags)
	return v.k == kBool && v.b
}

func (f *sqlFilter) String() string { return f.expr }
