package broker

import (
	"strconv"
	"strings"
)

// measuredRuntimeInfo adds the GET_BROKER_RUNTIME_INFO keys that are measurements: how long
// the running append holds the CommitLog lock, the send/pull/query pools' waiting requests
// and the disk usage of the CommitLog's and ConsumeQueues' file systems.
func (b *Broker) measuredRuntimeInfo(t map[string]string) {
	t["pageCacheLockTimeMills"] = strconv.FormatInt(b.ms.LockHeld().Milliseconds(), 10)
	t["sendThreadPoolQueueSize"] = strconv.Itoa(b.pools[PoolSend].Queued())
	t["pullThreadPoolQueueSize"] = strconv.Itoa(b.pools[PoolPull].Queued())
	t["queryThreadPoolQueueSize"] = strconv.Itoa(b.pools[PoolQuery].Queued())
	cl, cq := b.ms.DiskRatios()
	t["commitLogDiskRatio"] = javaDouble(cl)
	t["consumeQueueDiskRatio"] = javaDouble(cq)
}

// javaDouble formats f as Java's Double.toString does for the ratios (0.0, 0.4375).
func javaDouble(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
