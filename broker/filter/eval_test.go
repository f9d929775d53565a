package filter

import (
	"math"
	"strconv"
	"testing"
)

// p builds a property map from alternating keys and values.
func p(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func result(v value) string {
	switch v.k {
	case kNull:
		return "NULL"
	case kBool:
		if v.b {
			return "TRUE"
		}
		return "FALSE"
	case kErr:
		return "ERROR"
	}
	return "VALUE " + formatValue(v)
}

func TestEval(t *testing.T) {
	for _, tc := range []struct {
		expr  string
		props map[string]string
		want  string // TRUE, FALSE, NULL or ERROR
	}{
		// = and <> between a string property and literals.
		{"a = 'x'", p("a", "x"), "TRUE"},
		{"a = 'x'", p("a", "y"), "FALSE"},
		{"a = 'x'", p(), "NULL"},
		{"a <> 'x'", p("a", "y"), "TRUE"},
		{"a <> 'x'", p("a", "x"), "FALSE"},
		{"a <> 'x'", nil, "NULL"},
		{"a = ''", p("a", ""), "TRUE"},
		{"a = 'it''s'", p("a", "it's"), "TRUE"},
		{"a = '标签'", p("a", "标签"), "TRUE"},
		// Numbers: the property is converted to the literal's Java class.
		{"a = 5", p("a", "5"), "TRUE"},
		{"a = 5", p("a", "+5"), "TRUE"},
		{"a = 5", p("a", "05"), "TRUE"},
		{"a = 5", p("a", "6"), "FALSE"},
		{"a = 5", p("a", "abc"), "ERROR"},
		{"a = 5", p("a", "5.0"), "ERROR"},        // Integer.valueOf("5.0") throws
		{"a = 5", p("a", " 5"), "ERROR"},         // Integer.valueOf does not trim
		{"a = 5", p("a", "3000000000"), "ERROR"}, // Integer overflow
		{"a = 3000000000", p("a", "3000000000"), "TRUE"},
		{"a = 5.0", p("a", "5"), "TRUE"},
		{"a = 5.0", p("a", " 5.0 "), "TRUE"}, // Double.valueOf trims
		{"a = 5.0", p("a", "5.0f"), "TRUE"},
		{"a = 5.0", p("a", "x"), "ERROR"},
		{"a <> 5", p("a", "abc"), "ERROR"},
		{"a > 5", p("a", "6"), "TRUE"},
		{"a > 5", p("a", "5"), "FALSE"},
		{"a > 5", p("a", "-7"), "FALSE"},
		{"a >= 5", p("a", "5"), "TRUE"},
		{"a < 5", p("a", "4"), "TRUE"},
		{"a <= 5", p("a", "6"), "FALSE"},
		{"a > 5", p("a", "5.5"), "ERROR"},
		{"a > 5.0", p("a", "5.5"), "TRUE"},
		{"a > 5", p("a", "abc"), "ERROR"},
		{"a > 5", p(), "NULL"},
		{"a > 2147483648", p("a", "2147483649"), "TRUE"},
		{"a > -5", p("a", "-4"), "TRUE"},
		{"a < -5.5", p("a", "-6"), "TRUE"},
		{"a > 1e3", p("a", "1001"), "TRUE"},
		{"a > 0.0", p("a", "NaN"), "TRUE"}, // Double.compare: NaN is greatest
		{"a < 0.0", p("a", "-Infinity"), "TRUE"},
		{"a = 0.0", p("a", "-0.0"), "FALSE"}, // Double.compare: -0.0 < 0.0
		{"a = 0.0", p("a", "nan"), "ERROR"},  // Java spells it NaN
		// Two properties: ordered comparisons go through Double, equality is string equality.
		{"a > b", p("a", "10", "b", "9"), "TRUE"},
		{"a > b", p("a", "10", "b", "x"), "ERROR"},
		{"a = b", p("a", "1", "b", "1.0"), "FALSE"},
		{"a = b", p("a", "x", "b", "x"), "TRUE"},
		{"a = b", p("a", "x"), "FALSE"}, // only a NULL left side makes '=' NULL
		{"b = a", p("a", "x"), "NULL"},
		// Literals on both sides.
		{"5 = 5.0", nil, "TRUE"},
		{"5 = 5", nil, "TRUE"},
		{"5 < 3000000000", nil, "TRUE"},
		{"1.5 > 1", nil, "TRUE"},
		{"TRUE = TRUE", nil, "TRUE"},
		{"TRUE = FALSE", nil, "FALSE"},
		{"'x' = 'x'", nil, "TRUE"},
		{"'5' = 5", nil, "TRUE"},
		{"5 = '5'", nil, "TRUE"},
		// Booleans.
		{"a = TRUE", p("a", "true"), "TRUE"},
		{"a = TRUE", p("a", "TRUE"), "TRUE"},
		{"a = TRUE", p("a", "yes"), "FALSE"},
		{"a = FALSE", p("a", "no"), "TRUE"},
		{"TRUE = a", p("a", "true"), "ERROR"}, // RocketMQ's ClassCastException
		{"TRUE", nil, "TRUE"},
		{"FALSE", nil, "FALSE"},
		{"NULL", nil, "NULL"},
		{"TRUE = (a = 'x')", p("a", "x"), "TRUE"},
		{"TRUE = 5 > 3", nil, "TRUE"}, // equality binds looser: TRUE = (5 > 3)
		// BETWEEN.
		{"a BETWEEN 1 AND 3", p("a", "1"), "TRUE"},
		{"a BETWEEN 1 AND 3", p("a", "3"), "TRUE"},
		{"a BETWEEN 1 AND 3", p("a", "4"), "FALSE"},
		{"a BETWEEN 1 AND 3", p(), "NULL"},
		{"a NOT BETWEEN 1 AND 3", p("a", "4"), "TRUE"},
		{"a NOT BETWEEN 1 AND 3", p("a", "2"), "FALSE"},
		{"a NOT BETWEEN 1 AND 3", p(), "NULL"},
		{"a BETWEEN 1.5 AND 2.5", p("a", "2"), "TRUE"},
		{"a BETWEEN 1 AND 3", p("a", "x"), "ERROR"},
		{"a BETWEEN b AND c", p("a", "2", "b", "1", "c", "3"), "TRUE"},
		// IN.
		{"a IN ('x', 'y')", p("a", "y"), "TRUE"},
		{"a IN ('x', 'y')", p("a", "z"), "FALSE"},
		{"a IN ('x', 'y')", p(), "NULL"},
		{"a NOT IN ('x', 'y')", p("a", "z"), "TRUE"},
		{"a NOT IN ('x', 'y')", p("a", "x"), "FALSE"},
		{"a NOT IN ('x', 'y')", p(), "NULL"},
		{"a IN ('1','2','3','4','5','6','7','8','9','10')", p("a", "10"), "TRUE"},
		{"a IN ('1','2','3','4','5','6','7','8','9','10')", p("a", "11"), "FALSE"},
		{"a NOT IN ('1','2','3','4','5','6','7','8','9','10')", p("a", "11"), "TRUE"},
		// IS [NOT] NULL.
		{"a IS NULL", p(), "TRUE"},
		{"a IS NULL", p("a", ""), "FALSE"},
		{"a IS NOT NULL", p("a", ""), "TRUE"},
		{"a IS NOT NULL", nil, "FALSE"},
		// CONTAINS / STARTSWITH / ENDSWITH: never NULL.
		{"a CONTAINS 'b'", p("a", "abc"), "TRUE"},
		{"a CONTAINS 'd'", p("a", "abc"), "FALSE"},
		{"a CONTAINS 'b'", p(), "FALSE"},
		{"a NOT CONTAINS 'd'", p("a", "abc"), "TRUE"},
		{"a NOT CONTAINS 'b'", p("a", "abc"), "FALSE"},
		{"a NOT CONTAINS 'b'", p(), "FALSE"},
		{"a CONTAINS ''", p("a", "abc"), "FALSE"},
		{"a NOT CONTAINS ''", p("a", "abc"), "FALSE"},
		{"a STARTSWITH 'ab'", p("a", "abc"), "TRUE"},
		{"a STARTSWITH 'bc'", p("a", "abc"), "FALSE"},
		{"a NOT STARTSWITH 'bc'", p("a", "abc"), "TRUE"},
		{"a NOT STARTSWITH 'x'", p(), "FALSE"},
		{"a ENDSWITH 'bc'", p("a", "abc"), "TRUE"},
		{"a ENDSWITH 'ab'", p("a", "abc"), "FALSE"},
		{"a NOT ENDSWITH 'ab'", p("a", "abc"), "TRUE"},
		{"NOT (a CONTAINS 'x')", p(), "TRUE"},
		{"5 CONTAINS '5'", nil, "FALSE"}, // not a string
		// AND / OR / NOT three-valued logic.
		{"a = 1 AND b = 1", p("a", "1", "b", "1"), "TRUE"},
		{"a = 1 AND b = 1", p("a", "1", "b", "2"), "FALSE"},
		{"a = 1 AND b = 1", p("a", "1"), "NULL"},
		{"a = 1 AND b = 1", p("a", "2"), "FALSE"},
		{"a = 1 AND b = 1", p("b", "2"), "FALSE"},
		{"a = 1 AND b = 1", p(), "NULL"},
		{"a = 1 OR b = 1", p("a", "2", "b", "1"), "TRUE"},
		{"a = 1 OR b = 1", p("a", "2", "b", "2"), "FALSE"},
		{"a = 1 OR b = 1", p("a", "2"), "NULL"},
		{"a = 1 OR b = 1", p("b", "1"), "TRUE"},
		{"a = 1 OR b = 1", p(), "NULL"},
		{"NOT (a = 1)", p("a", "1"), "FALSE"},
		{"NOT (a = 1)", p("a", "2"), "TRUE"},
		{"NOT (a = 1)", p(), "NULL"},
		{"NOT NULL", nil, "NULL"},
		{"TRUE AND NULL", nil, "NULL"},
		{"FALSE AND NULL", nil, "FALSE"},
		{"TRUE OR NULL", nil, "TRUE"},
		{"FALSE OR NULL", nil, "NULL"},
		// An evaluation error ends the evaluation, unless an operator already stopped.
		{"a > 5 OR b = 'x'", p("a", "abc", "b", "x"), "ERROR"},
		{"b = 'x' OR a > 5", p("a", "abc", "b", "x"), "TRUE"},
		{"b = 'y' AND a > 5", p("a", "abc", "b", "x"), "FALSE"},
		{"NOT (a > 5)", p("a", "abc"), "ERROR"},
		{"(a > 5) IS NULL", p("a", "abc"), "ERROR"},
		{"(a > 5) CONTAINS 'x'", p("a", "abc"), "ERROR"},
		// Bare properties and NOT's precedence.
		{"a", p("a", "true"), "FALSE"},
		{"a", p(), "NULL"},
		{"NOT a", p("a", "true"), "TRUE"},
		{"NOT a = 'x'", p("a", "x"), "ERROR"}, // (NOT a) = 'x': Boolean vs String
		{"NOT a = TRUE", p("a", "x"), "TRUE"}, // (NOT FALSE) = TRUE
		{"NOT a IS NULL", p(), "TRUE"},        // (NOT NULL) IS NULL
		// Unary minus and plus.
		{"a = -5", p("a", "-5"), "TRUE"},
		{"a = - -5", p("a", "5"), "TRUE"},
		{"a = -5.5", p("a", "-5.5"), "TRUE"},
		{"a = -2147483648", p("a", "-2147483648"), "TRUE"},
		{"-a = 5", p("a", "-5"), "NULL"}, // negating a string is NULL
		{"a = +'x'", p("a", "x"), "TRUE"},
		// TAGS is an ordinary property; Match's tags argument stands in when props lacks it.
		{"TAGS = 'TagA'", p("TAGS", "TagA"), "TRUE"},
		{"TAGS IN ('TagA', 'TagB')", p("TAGS", "TagC"), "FALSE"},
		{"tags = 'TagA'", p("TAGS", "TagA"), "NULL"}, // property names are case-sensitive
	} {
		t.Run("expr="+strconv.Quote(tc.expr)+"/props="+strconv.Quote(formatProps(tc.props)), func(t *testing.T) {
			f, err := Compile(TypeSQL92, tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			got := result(f.(*sqlFilter).root.eval(tc.props, ""))
			if got != tc.want {
				t.Fatalf("eval = %s, want %s (tree %s)", got, tc.want, format(f.(*sqlFilter).root))
			}
			if m := f.Match("", tc.props); m != (tc.want == "TRUE") {
				t.Fatalf("Match = %v, want %v", m, tc.want == "TRUE")
			}
		})
	}
}

func formatProps(m map[string]string) string {
	if m == nil {
		return "nil"
	}
	s := ""
	for _, k := range []string{"a", "b", "c", "TAGS"} {
		if v, ok := m[k]; ok {
			s += k + "=" + v + ";"
		}
	}
	return s
}

func TestMatchTagsArgument(t *testing.T) {
	f, err := Compile(TypeSQL92, "TAGS = 'TagA' AND a > 1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tags  string
		props map[string]string
		want  bool
	}{
		{"TagA", p("a", "2"), true},
		{"TagB", p("a", "2"), false},
		{"", p("a", "2"), false},
		{"TagB", p("a", "2", "TAGS", "TagA"), true}, // the property wins
		{"TagA", nil, false},
	} {
		t.Run("tags="+tc.tags, func(t *testing.T) {
			if got := f.Match(tc.tags, tc.props); got != tc.want {
				t.Fatalf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestJavaParseDouble(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true}, {"-1.5", -1.5, true}, {"+.5", 0.5, true}, {"5.", 5, true},
		{"1e3", 1000, true}, {"1E-2", 0.01, true}, {"2.5d", 2.5, true}, {"2F", 2, true},
		{" 7 ", 7, true}, {"\t7\n", 7, true}, {"Infinity", math.Inf(1), true},
		{"-Infinity", math.Inf(-1), true}, {"1e999", math.Inf(1), true},
		{"", 0, false}, {".", 0, false}, {"e5", 0, false}, {"1e", 0, false}, {"inf", 0, false},
		{"infinity", 0, false}, {"0x10", 0, false}, {"1_000", 0, false}, {"--1", 0, false},
		{"1.5.5", 0, false}, {"abc", 0, false}, {"d", 0, false},
	} {
		t.Run("in="+strconv.Quote(tc.in), func(t *testing.T) {
			got, ok := javaParseDouble(tc.in)
			if ok != tc.ok || ok && got != tc.want {
				t.Fatalf("javaParseDouble = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
	if f, ok := javaParseDouble("NaN"); !ok || !math.IsNaN(f) {
		t.Fatalf("javaParseDouble(NaN) = %v, %v", f, ok)
	}
}

func TestConcurrentMatch(t *testing.T) {
	f, err := Compile(TypeSQL92, "a > 5 AND b IN ('x', 'y')")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	for i := range 4 {
		go func() {
			ok := true
			for j := range 1000 {
				want := (i+j)%2 == 0
				b := "z"
				if want {
					b = "x"
				}
				if f.Match("", p("a", "6", "b", b)) != want {
					ok = false
				}
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("concurrent Match gave a wrong answer")
		}
	}
}
