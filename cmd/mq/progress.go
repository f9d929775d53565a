package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mq-project/mq/admin"
)

// Progress bars of scans, resets and resends: drawn on stderr only when stderr is a terminal
// and --quiet is not set, redrawn at most ten times a second, and erased when the work ends,
// so they never reach a pipe, a file or a script's output.

const progressWidth = 30

// progressBar draws one line on a terminal. A nil *progressBar draws nothing.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	last  time.Time
	drawn bool
	p     admin.Progress
}

// newProgressBar returns a bar on streams.ErrOut, or nil when it is not a terminal or quiet.
func newProgressBar(streams IOStreams, quiet bool, label string) *progressBar {
	if quiet || !streams.IsStderrTTY() {
		return nil
	}
	return &progressBar{w: streams.ErrOut, label: label}
}

// withProgress returns ctx carrying the bar (for admin's long calls) and the bar itself; call
// finish when the work ends.
func withProgress(ctx context.Context, streams IOStreams, f *adminFlags, label string) (context.Context, *progressBar) {
	b := newProgressBar(streams, f.Quiet, label)
	if b == nil {
		return ctx, nil
	}
	return admin.WithProgress(ctx, b.set), b
}

// set records the progress and redraws when 100 ms have passed.
func (b *progressBar) set(p admin.Progress) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.p = p
	if now := time.Now(); now.Sub(b.last) >= 100*time.Millisecond {
		b.last = now
		b.drawn = true
		fmt.Fprint(b.w, "\r"+progressLine(b.label, p, progressWidth)+"\x1b[K")
	}
}

// add adds done and total units (for loops in cmd/mq).
func (b *progressBar) add(done, total int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	p := admin.Progress{Done: b.p.Done + done, Total: b.p.Total + total}
	b.mu.Unlock()
	b.set(p)
}

// finish erases the bar.
func (b *progressBar) finish() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\x1b[K")
		b.drawn = false
	}
}

// progressLine renders "label [=====>    ]  45% 450/1000", or "label 450" when the total is
// not known.
func progressLine(label string, p admin.Progress, width int) string {
	if p.Total <= 0 {
		return fmt.Sprintf("%s %d", label, p.Done)
	}
	done := min(max(p.Done, 0), p.Total)
	fill := int(done * int64(width) / p.Total)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	return fmt.Sprintf("%s [%s] %3d%% %d/%d", label, bar, done*100/p.Total, done, p.Total)
}
