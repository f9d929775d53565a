package e2e

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/namesrv"
)

// scrape GETs url and returns the body.
func scrape(t *testing.T, url string) (string, error) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), err
}

// metricValue finds the sample of name whose labels include every want label.
func metricValue(body, name string, want ...string) (float64, bool) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\{([^}]*)\} (\S+)$`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		ok := true
		for _, w := range want {
			if !regexp.MustCompile(`(^|,)` + regexp.QuoteMeta(w) + `(,|$)`).MatchString(m[1]) {
				ok = false
				break
			}
		}
		if ok {
			v, err := strconv.ParseFloat(m[2], 64)
			return v, err == nil
		}
	}
	return 0, false
}

// TestPrometheusMetrics: with metricsExporterType=PROM the broker serves Apache 5's metric
// names; after the official client sends 25 messages and a push consumer reads them, the
// scrape shows 25 in, 25 out, their bytes, lag 0 and 25 put latency observations; pprof is
// served next to it.
func TestPrometheusMetrics(t *testing.T) {
	c := startCluster(t, func(c *broker.Config) {
		c.MetricsExporterType, c.MetricsPromExporterHost, c.MetricsPromExporterPort = "PROM", "127.0.0.1", 0
	})
	addr := c.b.MetricsAddr()
	if addr == "" {
		t.Fatal("no metrics endpoint")
	}
	const topic, group = "MetricT", "cg-metrics"
	c.createTopic(t, topic, 2)
	p := newProducer(t, c)
	want := bodies("metric", 25) // 8 bytes each
	for _, b := range want {
		if _, err := p.SendSync(t.Context(), primitive.NewMessage(topic, []byte(b))); err != nil {
			t.Fatal(err)
		}
	}
	var got bodySet
	startPush(t, c, group, topic, "*", func(m *primitive.MessageExt) consumer.ConsumeResult {
		got.add(string(m.Body))
		return consumer.ConsumeSuccess
	})
	mqtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error { return got.has(want) })
	var size int
	for _, b := range want {
		size += len(b)
	}
	url := "http://" + addr + "/metrics"
	mqtest.CheckFor(t, 15*time.Second, 100*time.Millisecond, func() error {
		body, err := scrape(t, url)
		if err != nil {
			return err
		}
		for _, chk := range []struct {
			name   string
			labels []string
			want   float64
		}{
			{"rocketmq_messages_in_total", []string{`topic="` + topic + `"`, `cluster="DefaultCluster"`, `node_type="broker"`}, 25},
			{"rocketmq_throughput_in_total", []string{`topic="` + topic + `"`}, float64(size)},
			{"rocketmq_messages_out_total", []string{`topic="` + topic + `"`, `consumer_group="` + group + `"`}, 25},
			{"rocketmq_consumer_lag_messages", []string{`topic="` + topic + `"`, `consumer_group="` + group + `"`}, 0},
			{"mq_put_latency_seconds_count", nil, 25},
		} {
			v, ok := metricValue(body, chk.name, chk.labels...)
			if chk.labels == nil {
				v, ok = plainValue(body, chk.name)
			}
			if !ok || v != chk.want {
				return fmt.Errorf("%s%v = %v (found %v), want %v", chk.name, chk.labels, v, ok, chk.want)
			}
		}
		for _, name := range []string{"rocketmq_storage_flush_behind_bytes", "rocketmq_storage_dispatch_behind_bytes",
			"mq_half_backlog_messages", "mq_long_poll_holds", "mq_connections"} {
			if _, ok := plainValue(body, name); !ok {
				return fmt.Errorf("%s missing", name)
			}
		}
		if _, ok := metricValue(body, "mq_delay_backlog_messages", `level="1"`); !ok {
			return fmt.Errorf("mq_delay_backlog_messages missing")
		}
		if v, ok := metricValue(body, "rocketmq_throughput_out_total", `topic="`+topic+`"`); !ok || v <= float64(size) {
			return fmt.Errorf("rocketmq_throughput_out_total = %v (%v), want more than the %d body bytes", v, ok, size)
		}
		return nil
	})
	if _, err := scrape(t, "http://"+addr+"/debug/pprof/"); err != nil {
		t.Fatal(err)
	}
}

// plainValue finds a sample of name with const labels only.
func plainValue(body, name string) (float64, bool) {
	return metricValue(body, name)
}

// TestMetricsOffByDefault: no endpoint unless metricsExporterType=PROM.
func TestMetricsOffByDefault(t *testing.T) {
	c := startCluster(t)
	if a := c.b.MetricsAddr(); a != "" {
		t.Fatalf("metrics endpoint at %s by default", a)
	}
}

// TestNamesrvMetrics: a nameserver with metricsExporterType=PROM counts the broker that
// registered with it.
func TestNamesrvMetrics(t *testing.T) {
	ns := mqtest.StartNamesrv(t, func(c *namesrv.Config) {
		c.MetricsExporterType, c.MetricsPromExporterHost, c.MetricsPromExporterPort = "PROM", "127.0.0.1", 0
	})
	mqtest.StartBroker(t, ns.Addr)
	addr := ns.MetricsAddr()
	if addr == "" {
		t.Fatal("no nameserver metrics endpoint")
	}
	mqtest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		body, err := scrape(t, "http://"+addr+"/metrics")
		if err != nil {
			return err
		}
		if v, ok := plainValue(body, "mq_namesrv_brokers"); !ok || v != 1 {
			return fmt.Errorf("mq_namesrv_brokers = %v (%v), want 1", v, ok)
		}
		if v, ok := plainValue(body, "mq_namesrv_topics"); !ok || v < 1 {
			return fmt.Errorf("mq_namesrv_topics = %v (%v)", v, ok)
		}
		return nil
	})
}
