package tui

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	ansi      = regexp.MustCompile("\x1b\\[[0-9;]*m")
	captureRe = regexp.MustCompile("(?s)<!-- capture (view=[a-z-]+) -->\n(\n```text\n.*?\n```\n)?")
)

// TestTUIDocs keeps docs/tui.md's captures equal to the 80x24 goldens of TestTUIViews
// (-update rewrites them).
func TestTUIDocs(t *testing.T) {
	path := filepath.Join("..", "docs", "tui.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	out := captureRe.ReplaceAllStringFunc(string(doc), func(block string) string {
		name := captureRe.FindStringSubmatch(block)[1]
		g, err := os.ReadFile(filepath.Join("testdata", "TestTUIViews", name, "80x24.golden"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return block
		}
		n++
		var lines []string
		for _, l := range strings.Split(ansi.ReplaceAllString(string(g), ""), "\n") {
			l = strings.TrimRight(l, " ")
			if l == "" && len(lines) > 0 && lines[len(lines)-1] == "" {
				continue // the empty rows above the footer, collapsed
			}
			lines = append(lines, l)
		}
		return "<!-- capture " + name + " -->\n\n```text\n" + strings.TrimRight(strings.Join(lines, "\n"), "\n") + "\n```\n"
	})
	if n == 0 {
		t.Fatal("docs/tui.md has no capture")
	}
	if out == string(doc) {
		return
	}
	if updateGoldens() {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/tui.md captures differ from the goldens (go test ./tui -run TestTUIDocs -update)")
}
