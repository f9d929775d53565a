package ha

import (
	"sync"
	"time"
)

// LogLimiter lets a repeating failure be logged once and then at a falling rate: the first
// failure, then the next after First, then after twice that, up to Max between lines. Reset
// (the failure ended) starts over. The zero value uses 1 s and 5 min.
type LogLimiter struct {
	First, Max time.Duration

	mu         sync.Mutex
	failing    bool
	next       time.Time
	gap        time.Duration
	suppressed int
}

// Allow reports whether a failure at now should be logged, and how many were not logged
// since the last line.
func (l *LogLimiter) Allow(now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	first, maxGap := l.First, l.Max
	if first <= 0 {
		first = time.Second
	}
	if maxGap <= 0 {
		maxGap = 5 * time.Minute
	}
	if !l.failing {
		l.failing, l.gap, l.next, l.suppressed = true, first, now.Add(first), 0
		return true, 0
	}
	if now.Before(l.next) {
		l.suppressed++
		return false, 0
	}
	n := l.suppressed
	l.gap = min(2*l.gap, maxGap)
	l.next, l.suppressed = now.Add(l.gap), 0
	return true, n
}

// Reset ends a run of failures; it reports whether one was running.
func (l *LogLimiter) Reset() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	was := l.failing
	l.failing, l.suppressed = false, 0
	return was
}
