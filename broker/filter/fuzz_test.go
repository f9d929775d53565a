package filter

import (
	"errors"
	"strings"
	"testing"
)

// fuzzSeeds is a corpus of valid and invalid expressions for FuzzCompile.
var fuzzSeeds = []string{
	"a > 5 AND b = 'x'",
	"(a = 1 OR b = 2) AND NOT (c IS NULL)",
	"a BETWEEN 1 AND 3 OR a NOT BETWEEN 1.5 AND 2.5",
	"a IN ('x', 'y', 'it''s') AND b NOT IN ('1','2','3','4','5','6','7','8','9')",
	"a CONTAINS 'x' OR a NOT STARTSWITH 'y' OR a ENDSWITH 'z'",
	"TAGS = 'TagA' AND a IS NOT NULL",
	"NOT a = TRUE",
	"a = -5 AND b > -2.5e3 AND c < 3000000000L",
	"a > b",
	"a /* c */ = 1 -- d",
	"TRUE", "NULL", "a", "",
	"(a = 1", "a = NULL", "a > 'x'", "a BETWEEN 5 AND 1", "5 IN ('x')", "a IN ()",
	"a = 'x", "a = 007", "a # 1", "a = 1 b", "((((((((((a", "NOT NOT NOT", "a IS", "'",
	"a = 9223372036854775808", "a = 1e400", "/*", "a.b = 1", "é = 1",
}

func FuzzCompile(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, []string{"a=6;b=x", "a=abc", "", "a=5.5;b=y;c=1;TAGS=TagA"}[i%4])
	}
	f.Fuzz(func(t *testing.T, expr, kv string) {
		props := map[string]string{}
		for pair := range strings.SplitSeq(kv, ";") {
			if k, v, ok := strings.Cut(pair, "="); ok {
				props[k] = v
			}
		}
		tf, err := Compile(TypeTag, expr)
		if err != nil {
			t.Fatalf("TAG Compile(%q): %v", expr, err)
		}
		tf.Match(props["TAGS"], props)
		tf.MatchTagsCode(int64(len(kv)))

		sf, err := Compile(TypeSQL92, expr)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("SQL92 Compile(%q) error %T %v, want *ParseError", expr, err, err)
			}
			if pe.Pos < 0 || pe.Pos > len(expr) && pe.Pos != MaxExpressionLen {
				t.Fatalf("SQL92 Compile(%q): position %d outside the expression", expr, pe.Pos)
			}
			return
		}
		if len(expr) > MaxExpressionLen {
			t.Fatalf("SQL92 Compile accepted %d bytes", len(expr))
		}
		for _, m := range []map[string]string{props, nil, {"a": "1", "b": "x", "c": "-2.5", "TAGS": "TagA"}} {
			got := sf.Match("TagA", m)
			v := sf.(*sqlFilter).root.eval(m, "TagA")
			if got != (v.k == kBool && v.b) {
				t.Fatalf("Match = %v but eval = %s", got, result(v))
			}
			if v.k != kBool && v.k != kNull && v.k != kErr {
				t.Fatalf("%q evaluated to a non-boolean %s", expr, result(v))
			}
		}
	})
}
