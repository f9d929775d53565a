package broker

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mq-project/mq/broker/txn"
	"github.com/mq-project/mq/internal/promexport"
)

// MetricsConfig holds Apache 5's metrics keys. Only the Prometheus exporter is supported:
// metricsExporterType=PROM serves /metrics (and /debug/pprof/) on
// metricsPromExporterHost:metricsPromExporterPort.
type MetricsConfig struct {
	// MetricsExporterType is DISABLE (default) or PROM; any other value (Apache's OTLP_GRPC,
	// LOG) leaves the exporter off.
	MetricsExporterType string `prop:"metricsExporterType"`
	// MetricsPromExporterHost is the listen host ("": every interface).
	MetricsPromExporterHost string `prop:"metricsPromExporterHost"`
	// MetricsPromExporterPort is the listen port (default 5557; 0 picks a free one).
	MetricsPromExporterPort int `prop:"metricsPromExporterPort"`
}

// defaultMetricsConfig is Apache's defaults.
func defaultMetricsConfig() MetricsConfig {
	return MetricsConfig{MetricsExporterType: "DISABLE", MetricsPromExporterPort: 5557}
}

// metricsState is the broker's exporter: nil srv and putLat while metrics are off, so the
// send path pays nothing then; with them on it pays two clock reads and two atomic adds.
type metricsState struct {
	srv    *promexport.Server
	putLat *latencyHist
}

// putLatencyBounds are the upper bounds of the put latency buckets, in seconds.
var putLatencyBounds = [...]float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}

// latencyHist is a lock-free histogram: one atomic counter per bucket.
type latencyHist struct {
	buckets [len(putLatencyBounds) + 1]atomic.Uint64 // last: above every bound
	sumNs   atomic.Int64
}

func (h *latencyHist) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(putLatencyBounds) && s > putLatencyBounds[i] {
		i++
	}
	h.buckets[i].Add(1)
	h.sumNs.Add(int64(d))
}

// putStart returns the time a put starts when metrics are on (zero otherwise).
func (b *Broker) putStart() time.Time {
	if b.metrics.putLat == nil {
		return time.Time{}
	}
	return time.Now()
}

// putDone records a put that started at t0 (putStart).
func (b *Broker) putDone(t0 time.Time) {
	if h := b.metrics.putLat; h != nil && !t0.IsZero() {
		h.observe(time.Since(t0))
	}
}

// startMetrics starts the Prometheus endpoint when metricsExporterType=PROM.
func (b *Broker) startMetrics() error {
	c := b.cfg.MetricsConfig
	if c.MetricsExporterType != promexport.TypeProm {
		return nil
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(newBrokerCollector(b))
	b.metrics.putLat = &latencyHist{}
	srv, err := promexport.Start(c.MetricsPromExporterHost, c.MetricsPromExporterPort, reg, b.log)
	if err != nil {
		return err
	}
	b.metrics.srv = srv
	b.log.Info("metrics endpoint", "addr", srv.Addr())
	b.wg.Go(func() {
		<-b.ctx.Done()
		srv.Close()
	})
	return nil
}

// MetricsAddr returns the Prometheus endpoint's address, or "" when it is off.
func (b *Broker) MetricsAddr() string {
	if b.metrics.srv == nil {
		return ""
	}
	return b.metrics.srv.Addr()
}

// brokerCollector reads the broker's counters at scrape time: nothing is kept for it on the
// request paths (the stats items of VIEW_BROKER_STATS_DATA are what it exports).
type brokerCollector struct {
	b *Broker

	msgIn, bytesIn, msgOut, bytesOut, lag, queueLag                      *prometheus.Desc
	flushBehind, dispatchBehind, replBehind, diskRatio, conns, producers *prometheus.Desc
	consumers, holds, delayBacklog, watermark, putLatency, commitLogMax  *prometheus.Desc
	halfBacklog                                                          *prometheus.Desc
}

func newBrokerCollector(b *Broker) *brokerCollector {
	cfg := b.Config()
	constLabels := prometheus.Labels{"cluster": cfg.BrokerClusterName, "node_type": "broker",
		"node_id": cfg.BrokerName + "-" + strconv.FormatInt(cfg.BrokerID, 10)}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, constLabels)
	}
	return &brokerCollector{b: b,
		msgIn:          d("rocketmq_messages_in_total", "Messages stored, per topic.", "topic"),
		bytesIn:        d("rocketmq_throughput_in_total", "Message body bytes stored, per topic.", "topic"),
		msgOut:         d("rocketmq_messages_out_total", "Messages pulled, per topic and consumer group.", "topic", "consumer_group"),
		bytesOut:       d("rocketmq_throughput_out_total", "Message bytes pulled, per topic and consumer group.", "topic", "consumer_group"),
		lag:            d("rocketmq_consumer_lag_messages", "Messages not yet committed by a consumer group, per topic.", "topic", "consumer_group"),
		queueLag:       d("mq_consumer_queue_lag_messages", "Messages not yet committed by a consumer group, per queue.", "topic", "consumer_group", "queue_id"),
		flushBehind:    d("rocketmq_storage_flush_behind_bytes", "CommitLog bytes not yet flushed to disk."),
		dispatchBehind: d("rocketmq_storage_dispatch_behind_bytes", "CommitLog bytes not yet dispatched to ConsumeQueues and the index."),
		replBehind:     d("mq_replication_behind_bytes", "Bytes a slave is behind its master (on a master per slave, on a slave for itself).", "peer"),
		diskRatio:      d("mq_disk_used_ratio", "Used fraction of the file system holding the store part.", "part"),
		conns:          d("mq_connections", "Open client connections."),
		producers:      d("rocketmq_producer_connections", "Producer channels registered."),
		consumers:      d("rocketmq_consumer_connections", "Consumer channels registered."),
		holds:          d("mq_long_poll_holds", "Pull requests held waiting for messages."),
		delayBacklog:   d("mq_delay_backlog_messages", "Delayed messages waiting in SCHEDULE_TOPIC_XXXX, per delay level.", "level"),
		watermark:      d("rocketmq_processor_watermark", "Requests waiting for a worker, per pool.", "processor"),
		putLatency:     d("mq_put_latency_seconds", "Time to append a message to the CommitLog (without the flush or slave wait)."),
		commitLogMax:   d("mq_commitlog_max_offset_bytes", "End of the CommitLog."),
		halfBacklog:    d("mq_half_backlog_messages", "Transaction half messages the check service has not passed yet."),
	}
}

// Describe sends nothing: the collector is unchecked (its label sets vary by topic).
func (c *brokerCollector) Describe(chan<- *prometheus.Desc) {}

// Collect reads the counters now.
func (c *brokerCollector) Collect(ch chan<- prometheus.Metric) {
	b := c.b
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	b.items.items.Range(func(k, v any) bool {
		key, it := k.(statsKey), v.(*statsItem)
		val := it.value.Load()
		switch key.name {
		case statsTopicPutNums:
			counter(c.msgIn, val, key.key)
		case statsTopicPutSize:
			counter(c.bytesIn, val, key.key)
		case statsGroupGetNums, statsGroupGetSize:
			topic, group, ok := splitOffsetKey(key.key)
			if !ok {
				return true
			}
			d := c.msgOut
			if key.name == statsGroupGetSize {
				d = c.bytesOut
			}
			counter(d, val, topic, group)
		}
		return true
	})
	for key, qs := range b.offsets.Wrapper().OffsetTable {
		topic, group, ok := splitOffsetKey(key)
		if !ok {
			continue
		}
		var sum int64
		for q, off := range qs {
			l := max(b.ms.MaxOffset(topic, q)-off, 0)
			sum += l
			gauge(c.queueLag, float64(l), topic, group, strconv.Itoa(int(q)))
		}
		gauge(c.lag, float64(sum), topic, group)
	}
	end := b.ms.CommitLogMaxOffset()
	gauge(c.commitLogMax, float64(end))
	gauge(c.flushBehind, float64(max(end-b.ms.FlushedOffset(), 0)))
	gauge(c.dispatchBehind, float64(b.ms.DispatchLag()))
	if s := b.svc.ha.server.Load(); s != nil {
		for _, sl := range s.Slaves() {
			gauge(c.replBehind, float64(max(end-sl.Acked, 0)), sl.Addr)
		}
	}
	if cl := b.svc.ha.client; cl != nil && cl.MasterOffset() > 0 {
		gauge(c.replBehind, float64(max(cl.MasterOffset()-end, 0)), cl.MasterAddr())
	}
	cl, cq := b.ms.DiskRatios()
	gauge(c.diskRatio, cl, "commitlog")
	gauge(c.diskRatio, cq, "consumequeue")
	gauge(c.conns, float64(len(b.server.Conns())))
	var np, nc int
	for _, g := range b.producers.Groups() {
		np += len(b.producers.Channels(g))
	}
	b.consumers.mu.RLock()
	for _, g := range b.consumers.groups {
		nc += len(g.channels)
	}
	b.consumers.mu.RUnlock()
	gauge(c.producers, float64(np))
	gauge(c.consumers, float64(nc))
	gauge(c.holds, float64(b.hold.held()))
	if b.svc.sched != nil && !b.isSlave() {
		offs := b.svc.sched.Offsets()
		for i := range b.delays {
			level := int32(i + 1)
			gauge(c.delayBacklog, float64(max(b.ms.MaxOffset(TopicSchedule, level-1)-offs[level], 0)), strconv.Itoa(int(level)))
		}
	}
	if !b.isSlave() {
		done, _ := b.offsets.Query(txn.SysGroup, txn.HalfTopic, 0)
		gauge(c.halfBacklog, float64(max(b.ms.MaxOffset(txn.HalfTopic, 0)-done, 0)))
	}
	for p, name := range map[Pool]string{PoolSend: "send", PoolPull: "pull", PoolQuery: "query", PoolAdmin: "admin"} {
		gauge(c.watermark, float64(b.pools[p].Queued()), name)
	}
	if h := b.metrics.putLat; h != nil {
		buckets := make(map[float64]uint64, len(putLatencyBounds))
		var n uint64
		for i, bound := range putLatencyBounds {
			n += h.buckets[i].Load()
			buckets[bound] = n
		}
		n += h.buckets[len(putLatencyBounds)].Load()
		ch <- prometheus.MustNewConstHistogram(c.putLatency, n, time.Duration(h.sumNs.Load()).Seconds(), buckets)
	}
}
