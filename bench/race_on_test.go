//go:build race

package bench

// raceEnabled: the race detector slows the code it instruments unevenly, so timing
// comparisons skip.
const raceEnabled = true
