// Package e2e holds the broker's end-to-end tests: a real NameServer and broker on loopback
// driven by the official Go client (github.com/apache/rocketmq-client-go/v2). It has no
// non-test code; the tests live in their own package because the client leaks goroutines
// that the broker package's goleak check must not see.
package e2e
