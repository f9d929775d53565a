// Command mq is a RocketMQ-compatible NameServer and Broker and the admin tool for both.
// main stays thin so end-to-end tests can run Main in-process.
package main

import "os"

func main() { os.Exit(Main()) }
