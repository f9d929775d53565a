package filter

import (
	"strings"
	"testing"

	"github.com/mq-project/mq/message"
)

// typicalProps is a message's property map as the broker decodes it: system and user properties.
var typicalProps = map[string]string{
	"TAGS": "TagA", "KEYS": "order-1", "UNIQ_KEY": "7F0000010001000000000000000000", "WAIT": "true",
	"a": "7", "b": "x", "region": "eu-west-1",
}

func mustCompile(tb testing.TB, typ, expr string) Filter {
	tb.Helper()
	f, err := Compile(typ, expr)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// TestMatchDoesNotAllocate: the broker calls Match for every message it scans.
func TestMatchDoesNotAllocate(t *testing.T) {
	for _, tc := range []struct{ typ, expr string }{
		{TypeSQL92, "a > 5 AND b = 'x'"},
		{TypeSQL92, "a > 5.5 OR b IN ('x','y','z','1','2','3','4','5','6','7')"},
		{TypeSQL92, "a BETWEEN 1 AND 10 AND region STARTSWITH 'eu-' AND c IS NULL"},
		{TypeSQL92, "a > 5 AND b = 5"}, // evaluation error path
		{TypeTag, "TagA || TagB || TagC"},
		{TypeTag, "a||b||c||d||e||f||g||h||i||TagA"},
	} {
		t.Run("expr="+tc.expr, func(t *testing.T) {
			f := mustCompile(t, tc.typ, tc.expr)
			allocs := testing.AllocsPerRun(100, func() {
				f.Match("TagA", typicalProps)
				f.MatchTagsCode(2598919)
			})
			if allocs != 0 {
				t.Fatalf("%v allocations per Match", allocs)
			}
		})
	}
}

func BenchmarkMatch(b *testing.B) {
	for _, bc := range []struct {
		name, typ, expr string
		want            bool
	}{
		{"sql=typical", TypeSQL92, "a > 5 AND b = 'x'", true},
		{"sql=in", TypeSQL92, "TAGS IN ('TagA', 'TagB') AND region STARTSWITH 'eu-'", true},
		{"sql=double", TypeSQL92, "a BETWEEN 1.5 AND 9.5", true},
		{"sql=missing", TypeSQL92, "c > 5 OR d = 'x'", false},
		{"tag=one", TypeTag, "TagA", true},
		{"tag=three", TypeTag, "TagC || TagB || TagA", true},
		{"tag=map", TypeTag, "a||b||c||d||e||f||g||h||i||TagA", true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := mustCompile(b, bc.typ, bc.expr)
			if f.Match("TagA", typicalProps) != bc.want {
				b.Fatalf("Match != %v", bc.want)
			}
			b.ReportAllocs()
			for b.Loop() {
				f.Match("TagA", typicalProps)
			}
		})
	}
}

func BenchmarkMatchTagsCode(b *testing.B) {
	for _, bc := range []struct{ name, expr string }{
		{"tags=3", "TagC || TagB || TagA"},
		{"tags=10", "a||b||c||d||e||f||g||h||i||TagA"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := mustCompile(b, TypeTag, bc.expr)
			code := message.TagsHash("TagA")
			b.ReportAllocs()
			for b.Loop() {
				f.MatchTagsCode(code)
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	for _, bc := range []struct{ name, expr string }{
		{"sql=typical", "a > 5 AND b = 'x'"},
		{"sql=large", "a = 1" + strings.Repeat(" OR (b IN ('x','y') AND c BETWEEN 1 AND 9)", 200)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.expr)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compile(TypeSQL92, bc.expr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
