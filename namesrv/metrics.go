package namesrv

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mq-project/mq/internal/promexport"
)

// startMetrics starts the Prometheus endpoint when metricsExporterType=PROM; Serve calls it
// under lifeMu, and Shutdown (closing quit) stops it.
func (s *Server) startMetrics() error {
	c := s.Config()
	if c.MetricsExporterType != promexport.TypeProm {
		return nil
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(&namesrvCollector{s: s,
		brokers:  prometheus.NewDesc("mq_namesrv_brokers", "Live broker registrations (addresses).", nil, constLabels()),
		names:    prometheus.NewDesc("mq_namesrv_broker_names", "Broker names (master/slave sets) with a live broker.", nil, constLabels()),
		clusters: prometheus.NewDesc("mq_namesrv_clusters", "Clusters with a live broker.", nil, constLabels()),
		topics:   prometheus.NewDesc("mq_namesrv_topics", "Topics with a route.", nil, constLabels()),
		conns:    prometheus.NewDesc("mq_connections", "Open connections.", nil, constLabels()),
	})
	srv, err := promexport.Start(c.MetricsPromExporterHost, c.MetricsPromExporterPort, reg, s.log)
	if err != nil {
		return err
	}
	s.metrics = srv
	s.log.Info("metrics endpoint", "addr", srv.Addr())
	s.wg.Go(func() {
		<-s.quit
		srv.Close()
	})
	return nil
}

func constLabels() prometheus.Labels { return prometheus.Labels{"node_type": "nameserver"} }

// MetricsAddr returns the Prometheus endpoint's address, or "" when it is off.
func (s *Server) MetricsAddr() string {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.metrics == nil {
		return ""
	}
	return s.metrics.Addr()
}

type namesrvCollector struct {
	s                                       *Server
	brokers, names, clusters, topics, conns *prometheus.Desc
}

func (c *namesrvCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.brokers, c.names, c.clusters, c.topics, c.conns} {
		ch <- d
	}
}

func (c *namesrvCollector) Collect(ch chan<- prometheus.Metric) {
	rt := c.s.routes
	rt.mu.RLock()
	brokers, names, clusters, topics := len(rt.brokerLive), len(rt.brokerAddr), len(rt.clusterAddr), len(rt.topicQueue)
	rt.mu.RUnlock()
	g := func(d *prometheus.Desc, v int) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	g(c.brokers, brokers)
	g(c.names, names)
	g(c.clusters, clusters)
	g(c.topics, topics)
	g(c.conns, len(c.s.rs.Conns()))
}
