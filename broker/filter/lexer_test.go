package filter

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func lexAll(src string) ([]token, error) {
	l := lexer{src: src}
	var out []token
	for {
		t, err := l.next()
		if err != nil {
			return out, err
		}
		if t.kind == tokEOF {
			return out, nil
		}
		out = append(out, t)
	}
}

func TestLexer(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want string // kind:text pairs
	}{
		{"a>=5", "identifier:a '>=':>= integer:5"},
		{"a <> 'x' AND b<=1.5", "identifier:a '<>':<> string literal:'x' AND:AND identifier:b '<=':<= number:1.5"},
		{"not NoT nOt", "NOT:not NOT:NoT NOT:nOt"},
		{"isnull is null", "identifier:isnull IS:is NULL:null"},
		{"$a _b c9 TAGS", "identifier:$a identifier:_b identifier:c9 identifier:TAGS"},
		{"'it''s' ''", "string literal:'it''s' string literal:''"},
		{"0 12 12L 34l", "integer:0 integer:12 integer:12L integer:34l"},
		{"1.5 1. .5 5E10 5.5e-3 1e+2", "number:1.5 number:1. number:.5 number:5E10 number:5.5e-3 number:1e+2"},
		{"(a,b)+-", "'(':( identifier:a ',':, identifier:b ')':) '+':+ '-':-"},
		{"a -- comment\n= 1", "identifier:a '=':= integer:1"},
		{"a /* c\n* */ = 1 -- end", "identifier:a '=':= integer:1"},
		{"a-1", "identifier:a '-':- integer:1"},
		{"contains STARTSWITH EndsWith between IN true FALSE or and",
			"CONTAINS:contains STARTSWITH:STARTSWITH ENDSWITH:EndsWith BETWEEN:between IN:IN TRUE:true FALSE:FALSE OR:or AND:and"},
		{" \t\r\n\f", ""},
		{"'标签 😀'", "string literal:'标签 😀'"},
	} {
		t.Run("src="+strconv.Quote(tc.src), func(t *testing.T) {
			toks, err := lexAll(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tok := range toks {
				got = append(got, tok.kind.String()+":"+tok.text)
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Fatalf("got  %s\nwant %s", g, tc.want)
			}
		})
	}
}

func TestLexerPositions(t *testing.T) {
	toks, err := lexAll("  a  >= 'x y'  ")
	if err != nil {
		t.Fatal(err)
	}
	want := []int{2, 5, 8}
	for i, tok := range toks {
		if tok.pos != want[i] {
			t.Errorf("token %d %q at %d, want %d", i, tok.text, tok.pos, want[i])
		}
	}
}

func TestLexerErrors(t *testing.T) {
	for _, tc := range []struct {
		src  string
		pos  int
		msgs string
	}{
		{"a = 'abc", 4, "unterminated string literal"},
		{"a = 'it''s", 4, "unterminated string literal"},
		{"a # 1", 2, `unexpected character "# 1"`},
		{"a = 007", 4, `invalid number "007"`},
		{"a = 5abc", 4, `invalid number "5abc"`},
		{"a = 1.2.3", 4, `invalid number "1.2.3"`},
		{"a /* x", 2, "unterminated comment"},
		{"a == 1", -1, ""}, // lexes fine ("=" "="); the parser refuses it
		{"a ! 1", 2, `unexpected character "! 1"`},
		{"a.b = 1", 1, `unexpected character ".b = 1"`}, // RocketMQ identifiers have no dots
		{"é = 1", 0, `unexpected character "é = 1"`},
	} {
		t.Run("src="+strconv.Quote(tc.src), func(t *testing.T) {
			_, err := lexAll(tc.src)
			if tc.pos < 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want *ParseError", err)
			}
			if pe.Pos != tc.pos || pe.Msg != tc.msgs {
				t.Fatalf("got at %d %q, want at %d %q", pe.Pos, pe.Msg, tc.pos, tc.msgs)
			}
		})
	}
}
