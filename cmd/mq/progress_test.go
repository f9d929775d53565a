package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/mq-project/mq/admin"
)

func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    admin.Progress
		want string
	}{
		{"total=unknown", admin.Progress{Done: 7}, "scan 7"},
		{"done=0", admin.Progress{Done: 0, Total: 10}, "scan [>         ]   0% 0/10"},
		{"done=half", admin.Progress{Done: 5, Total: 10}, "scan [=====>    ]  50% 5/10"},
		{"done=all", admin.Progress{Done: 10, Total: 10}, "scan [==========] 100% 10/10"},
		{"done=over", admin.Progress{Done: 12, Total: 10}, "scan [==========] 100% 10/10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := progressLine("scan", tc.p, 10); got != tc.want {
				t.Fatalf("progressLine = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestProgressBarOnlyOnTerminal: no bar on a pipe or a buffer, or with --quiet; a bar draws,
// and finish erases its line.
func TestProgressBarOnlyOnTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, s := range map[string]IOStreams{"stderr=pipe": {ErrOut: w}, "stderr=buffer": {ErrOut: &bytes.Buffer{}}} {
		t.Run(name, func(t *testing.T) {
			if b := newProgressBar(s, false, "x"); b != nil {
				t.Fatal("a bar on a non-terminal")
			}
			ctx, b := withProgress(context.Background(), s, &adminFlags{}, "x")
			if b != nil || ctx != context.Background() {
				t.Fatal("withProgress set a bar on a non-terminal")
			}
			b.add(1, 2) // a nil bar is a no-op
			b.finish()
		})
	}
	var buf bytes.Buffer
	b := &progressBar{w: &buf, label: "reset"}
	b.add(0, 4)
	b.add(1, 0) // within 100 ms: not redrawn
	if got := buf.String(); !strings.Contains(got, "reset [>") || strings.Count(got, "\r") != 1 {
		t.Fatalf("drawn %q", got)
	}
	b.finish()
	if !strings.HasSuffix(buf.String(), "\r\x1b[K") {
		t.Fatalf("finish did not erase: %q", buf.String())
	}
}
