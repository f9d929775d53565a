//go:build race

package e2e

// raceEnabled is true under -race: the official pull consumer races with itself
// (pull_consumer.go:521 writes what its rebalance reads in consumer.go:972).
const raceEnabled = true
