//go:build race

package main

// raceEnabled: the official Go client has data races of its own, so tests that drive it
// through a whole flow run in scripts/test.sh's pass without -race.
const raceEnabled = true
