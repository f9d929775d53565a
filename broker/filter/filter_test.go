package filter

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/mq-project/mq/message"
)

func TestCompileType(t *testing.T) {
	for _, tc := range []struct {
		typ     string
		wantErr error
	}{
		{"", nil},
		{"TAG", nil},
		{"SQL92", nil},
		{"sql92", ErrUnknownType},
		{"CLASS", ErrUnknownType},
	} {
		t.Run("type="+tc.typ, func(t *testing.T) {
			expr := "*"
			if tc.typ == TypeSQL92 {
				expr = "a = 1"
			}
			_, err := Compile(tc.typ, expr)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Compile(%q) error = %v, want %v", tc.typ, err, tc.wantErr)
			}
		})
	}
}

// TestTagHash checks the codes against Java's String.hashCode (reference §4.9, §7.18): the
// captured codeSet of "TagA || TagB", hand-computed UTF-16 values for non-ASCII tags, and the
// well-known string whose hash is Integer.MIN_VALUE.
func TestTagHash(t *testing.T) {
	for _, tc := range []struct {
		tag  string
		want int32
	}{
		{"TagA", 2598919},
		{"TagB", 2598920},
		{"Tagé", 2599087}, // 'é' is one UTF-16 unit (233); GoC's UTF-8 hash differs
		{"标签", 857175},    // U+6807 U+7B7E
		{"😀", 1772899},    // surrogate pair D83D DE00
		{"polygenelubricants", -2147483648},
	} {
		t.Run("tag="+tc.tag, func(t *testing.T) {
			tags, codes := TagsOf(tc.tag)
			if !slices.Equal(tags, []string{tc.tag}) || !slices.Equal(codes, []int32{tc.want}) {
				t.Fatalf("TagsOf(%q) = %v %v, want [%s] [%d]", tc.tag, tags, codes, tc.tag, tc.want)
			}
			f, err := Compile(TypeTag, tc.tag)
			if err != nil {
				t.Fatal(err)
			}
			if !f.MatchTagsCode(message.TagsHash(tc.tag)) {
				t.Errorf("MatchTagsCode(TagsHash(%q)) = false", tc.tag)
			}
			// The ConsumeQueue stores the code sign-extended; only the low 32 bits count.
			if !f.MatchTagsCode(int64(uint32(tc.want))) {
				t.Errorf("MatchTagsCode(zero-extended %d) = false", tc.want)
			}
		})
	}
}

func TestTagFilter(t *testing.T) {
	for _, tc := range []struct {
		expr     string
		wantTags []string
		match    []string // message tags that match
		noMatch  []string
	}{
		{"*", nil, []string{"", "TagA", "x"}, nil},
		{"", nil, []string{"", "TagA"}, nil},
		{"TagA", []string{"TagA"}, []string{"TagA"}, []string{"", "TagB", "taga", "TagA ", "TagA||TagB"}},
		{"TagA || TagB", []string{"TagA", "TagB"}, []string{"TagA", "TagB"}, []string{"TagC", ""}},
		{" TagA||TagC ||\tTagA ", []string{"TagA", "TagC"}, []string{"TagA", "TagC"}, []string{"TagB"}},
		{"||", nil, nil, []string{"", "TagA"}},
		{" * ", []string{"*"}, []string{"*"}, []string{"TagA"}}, // only an exact "*" is SUB_ALL, as in FilterAPI
		{"a||b||c||d||e||f||g||h||i||j", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"},
			[]string{"a", "e", "j"}, []string{"k", "", "ab"}},
	} {
		t.Run("expr="+strconv.Quote(tc.expr), func(t *testing.T) {
			tags, codes := TagsOf(tc.expr)
			if !slices.Equal(tags, tc.wantTags) {
				t.Errorf("TagsOf = %q, want %q", tags, tc.wantTags)
			}
			if len(codes) != len(tags) {
				t.Errorf("codes %v for tags %q", codes, tags)
			}
			f, err := Compile(TypeTag, tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			tm, ok := f.(TagMatcher)
			if !ok {
				t.Fatalf("%T is no TagMatcher", f)
			}
			for _, m := range tc.match {
				if !f.Match(m, nil) {
					t.Errorf("Match(%q) = false, want true", m)
				}
				if !tm.MatchTagBytes([]byte(m)) {
					t.Errorf("MatchTagBytes(%q) = false, want true", m)
				}
				if !f.MatchTagsCode(message.TagsHash(m)) {
					t.Errorf("MatchTagsCode(TagsHash(%q)) = false, want true", m)
				}
			}
			for _, m := range tc.noMatch {
				if f.Match(m, nil) {
					t.Errorf("Match(%q) = true, want false", m)
				}
				if tm.MatchTagBytes([]byte(m)) {
					t.Errorf("MatchTagBytes(%q) = true, want false", m)
				}
				// Collisions aside, the hash pre-check refuses the same messages.
				if f.MatchTagsCode(message.TagsHash(m)) {
					t.Errorf("MatchTagsCode(TagsHash(%q)) = true, want false", m)
				}
			}
		})
	}
}

// TestTagCollision: the ConsumeQueue check accepts a colliding tag, the exact check refuses it.
func TestTagCollision(t *testing.T) {
	// "Aa" and "BB" have the same Java hash code (2112).
	f, err := Compile(TypeTag, "Aa")
	if err != nil {
		t.Fatal(err)
	}
	if !f.MatchTagsCode(message.TagsHash("BB")) {
		t.Error("MatchTagsCode(hash of BB) = false; the pre-check must accept collisions")
	}
	if f.Match("BB", nil) {
		t.Error("Match(BB) = true; the exact check must refuse it")
	}
}

func TestSQLMatchTagsCode(t *testing.T) {
	f, err := Compile(TypeSQL92, "a = 1")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []int64{0, 1, -1, 2598919} {
		if !f.MatchTagsCode(code) {
			t.Errorf("SQL92 MatchTagsCode(%d) = false, want true", code)
		}
	}
}

// TestMatchTagBytesAllocates nothing: a pull checks each record's TAGS as stored bytes.
func TestMatchTagBytesAllocates(t *testing.T) {
	for _, expr := range []string{"TagA || TagB", "a||b||c||d||e||f||g||h||i||j"} {
		f, _ := Compile(TypeTag, expr)
		tm := f.(TagMatcher)
		tags := []byte("TagB")
		if n := testing.AllocsPerRun(100, func() { tm.MatchTagBytes(tags) }); n != 0 {
			t.Errorf("expr %q: %v allocs per MatchTagBytes", expr, n)
		}
	}
}
