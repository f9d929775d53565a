package filter

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		expr, want string
	}{
		{"a > 5 AND b = 'x'", "(AND (> a 5) (= b 'x'))"},
		{"a = 1 OR b = 2 AND c = 3", "(OR (= a 1) (AND (= b 2) (= c 3)))"},
		{"(a = 1 OR b = 2) AND c = 3", "(AND (OR (= a 1) (= b 2)) (= c 3))"},
		{"a = 1 or b = 2 or c = 3", "(OR (OR (= a 1) (= b 2)) (= c 3))"},
		{"a <> 'x'", "(NOT (= a 'x'))"},
		{"a >= 1.5 AND a < 10 AND a <= 9L", "(AND (AND (>= a 1.5D) (< a 10)) (<= a 9))"},
		{"a > 2147483647 AND a < 2147483648", "(AND (> a 2147483647) (< a 2147483648L))"},
		{"a BETWEEN 1 AND 3", "(AND (>= a 1) (<= a 3))"},
		{"a NOT BETWEEN 1 AND 3", "(OR (< a 1) (> a 3))"},
		{"a between -5 and -10", "(AND (>= a (- 5)) (<= a (- 10)))"}, // not literals: no order check, as in RocketMQ
		{"a IN ('x', 'y')", "(IN a 'x' 'y')"},
		{"a NOT IN ('x')", "(NOT-IN a 'x')"},
		{"a IN ('1','2','3','4','5','6','7','8','9')", "(IN a '1' '2' '3' '4' '5' '6' '7' '8' '9')"},
		{"a IS NULL", "(= a NULL)"},
		{"a IS NOT NULL", "(NOT (= a NULL))"},
		{"a CONTAINS 'x' AND b NOT CONTAINS 'y'", "(AND (CONTAINS a 'x') (NOT-CONTAINS b 'y'))"},
		{"a STARTSWITH 'x' OR a NOT STARTSWITH 'y'", "(OR (STARTSWITH a 'x') (NOT-STARTSWITH a 'y'))"},
		{"a ENDSWITH 'x' OR a NOT ENDSWITH 'y'", "(OR (ENDSWITH a 'x') (NOT-ENDSWITH a 'y'))"},
		{"NOT (a = 'x')", "(NOT (= a 'x'))"},
		{"NOT a = 'x'", "(= (NOT (BOOL a)) 'x')"}, // RocketMQ's precedence: NOT is unary
		{"NOT NOT a", "(NOT (NOT (BOOL a)))"},
		{"a", "(BOOL a)"},
		{"a AND TRUE", "(AND (BOOL a) TRUE)"},
		{"TRUE", "TRUE"},
		{"NULL", "NULL"},
		{"b = TRUE", "(= b TRUE)"},
		{"a > 1 = FALSE", "(= (> a 1) FALSE)"},
		{"a = -1", "(= a (- 1))"},
		{"a = +1", "(= a 1)"},
		{"a = 'it''s'", "(= a 'it''s')"},
		{"TAGS = 'TagA'", "(= TAGS 'TagA')"},
		{"a = 0.0", "(= a 0D)"},
		{"a = .5e1", "(= a 5D)"},
		{"  ( ( a = 1 ) )  ", "(= a 1)"},
		{"a = 1 -- trailing comment", "(= a 1)"},
		{"a = --1\n2", "(= a 2)"}, // "--" starts a comment, as in RocketMQ
		{"5 = 5.0", "(= 5 5D)"},
		{"a = b", "(= a b)"},
		{"a > b", "(> a b)"},
		{"(a) IN ('x')", "(IN a 'x')"},
	} {
		t.Run("expr="+strconv.Quote(tc.expr), func(t *testing.T) {
			n, err := parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := format(n); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		pos  int
		msg  string
	}{
		{"", 0, "expected a value, property or '(' near end of expression"},
		{"   ", 3, "expected a value, property or '(' near end of expression"},
		{"(a = 1", 6, "expected ')' near end of expression"},
		{"(a = 1 OR b = 2 AND c", 21, "expected ')' near end of expression"},
		{"a IN ('x' AND b = 1", 10, `expected ')' near "AND"`},
		{"a IN ('x',)", 10, `expected string literal near ")"`},
		{"a IN ()", 6, `expected string literal near ")"`},
		{"a IN (1)", 6, `expected string literal near "1"`},
		{"a IN 'x'", 5, `expected '(' near "'x'"`},
		{"a = 1 b = 2", 6, `unexpected "b"`},
		{"a = 1)", 5, `unexpected ")"`},
		{"a == 1", 3, `expected a value, property or '(' near "="`},
		{"a = ", 4, "expected a value, property or '(' near end of expression"},
		{"a AND", 5, "expected a value, property or '(' near end of expression"},
		{"a BETWEEN 1", 11, "expected AND near end of expression"},
		{"a BETWEEN 1 OR 2", 12, `expected AND near "OR"`},
		{"a IS 1", 5, `expected NULL near "1"`},
		{"a IS NOT 1", 9, `expected NULL near "1"`},
		{"a NOT = 1", 2, `unexpected "NOT"`},
		{"a CONTAINS b", 11, `expected string literal near "b"`},
		{"a NOT STARTSWITH 5", 17, `expected string literal near "5"`},
		{"a = NULL", 2, "NULL cannot be compared with =; use IS NULL"},
		{"NULL <> a", 5, "NULL cannot be compared with <>; use IS NULL"},
		{"TRUE = 'x'", 5, "a boolean cannot be compared with a string"},
		{"TRUE = 1", 5, "a boolean cannot be compared with a number"},
		{"a > 'x'", 2, "a string cannot be compared with >"},
		{"'x' < a", 4, "a string cannot be compared with <"},
		{"a >= TRUE", 2, "a boolean cannot be compared with >="},
		{"a > NULL", 2, "NULL cannot be compared with >"},
		{"a > 1 > 2", 6, "a condition cannot be compared with >"},
		{"NOT a > 1", 6, "a condition cannot be compared with >"},
		{"a BETWEEN 'a' AND 'b'", 2, "a string cannot be compared with BETWEEN"},
		{"a BETWEEN 5 AND 1", 2, "BETWEEN lower bound is greater than the upper bound"},
		{"a BETWEEN 1.5 AND 1", 2, "BETWEEN lower bound is greater than the upper bound"},
		{"a BETWEEN NULL AND 1", 2, "BETWEEN bounds cannot be NULL"},
		{"a NOT BETWEEN 'x' AND 1", 2, "a string cannot be compared with BETWEEN"},
		{"5 IN ('x')", 2, "IN needs a property on its left"},
		{"NOT a IN ('x')", 6, "IN needs a property on its left"},
		{"5", 0, "expression will not result in a boolean value"},
		{"'x'", 0, "expression will not result in a boolean value"},
		{"-a", 0, "expression will not result in a boolean value"},
		{"a = 1 AND 5", 6, "expression will not result in a boolean value"},
		{"NOT 5", 0, "expression will not result in a boolean value"},
		{"a = 9223372036854775808", 4, `integer "9223372036854775808" out of range`},
		{"a = 1e400", 4, `number "1e400" out of range`},
		{"a = 'x", 4, "unterminated string literal"},
		{"a = 1 #", 6, `unexpected character "#"`},
	} {
		t.Run("expr="+strconv.Quote(tc.expr), func(t *testing.T) {
			f, err := Compile(TypeSQL92, tc.expr)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Compile = %v, %v; want a *ParseError", f, err)
			}
			if pe.Pos != tc.pos || pe.Msg != tc.msg {
				t.Fatalf("got at %d %q\nwant at %d %q", pe.Pos, pe.Msg, tc.pos, tc.msg)
			}
		})
	}
}

func TestParseErrorText(t *testing.T) {
	_, err := Compile(TypeSQL92, "(a > 5 OR b AND")
	want := "filter: sql92: at 15: expected a value, property or '(' near end of expression"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v\nwant  %s", err, want)
	}
	_, err = Compile(TypeSQL92, "(a > 5 AND b = 'x' c")
	want = `filter: sql92: at 19: expected ')' near "c"`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v\nwant  %s", err, want)
	}
}

func TestParseLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		expr string
		pos  int // -1: must compile
		msg  string
	}{
		{"parens=100", strings.Repeat("(", 100) + "a = 1" + strings.Repeat(")", 100), -1, ""},
		{"parens=101", strings.Repeat("(", 101) + "a = 1" + strings.Repeat(")", 101), 100, "expression nested deeper than 100 levels"},
		{"not=100", strings.Repeat("NOT ", 100) + "a", -1, ""},
		{"not=101", strings.Repeat("NOT ", 101) + "a", 400, "expression nested deeper than 100 levels"},
		{"minus=101", "a = " + strings.Repeat("- ", 101) + "1", 204, "expression nested deeper than 100 levels"},
		{"parens=60000", strings.Repeat("(", 60000), 100, "expression nested deeper than 100 levels"},
		{"len=64KiB", "a = '" + strings.Repeat("x", MaxExpressionLen-6) + "'", -1, ""},
		{"len=64KiB+1", "a = '" + strings.Repeat("x", MaxExpressionLen-5) + "'", MaxExpressionLen,
			"expression is 65537 bytes, longer than the limit of 65536"},
		// A long flat chain is not nesting: it compiles and evaluates (left-deep, iteratively built).
		{"chain", "a = 1" + strings.Repeat(" AND a = 1", 5000), -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Compile(TypeSQL92, tc.expr)
			if tc.pos < 0 {
				if err != nil {
					t.Fatal(err)
				}
				f.Match("", map[string]string{"a": "1"})
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Pos != tc.pos || pe.Msg != tc.msg {
				t.Fatalf("error %v; want at %d %q", err, tc.pos, tc.msg)
			}
		})
	}
}
