// Package promexport serves a Prometheus registry on /metrics and the runtime profiles on
// /debug/pprof/, for the broker and the nameserver when metricsExporterType=PROM. Nothing is
// served unless Start is called.
package promexport

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// TypeProm is the metricsExporterType value that turns the endpoint on (Apache 5's
// MetricsExporterType.PROM); any other value, or "", leaves it off.
const TypeProm = "PROM"

// Server is a running endpoint.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	wg   sync.WaitGroup
	once sync.Once
}

// Start listens on host:port (port 0: any free port; host "": every interface) and serves
// reg on /metrics and pprof on /debug/pprof/ in a goroutine owned by the Server until Close.
func Start(host string, port int, reg *prometheus.Registry, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	s := &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln: ln}
	s.wg.Go(func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && log != nil {
			log.Warn("metrics endpoint stopped", "err", err)
		}
	})
	return s, nil
}

// Addr returns the address it listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops serving and waits for the serving goroutine; it is idempotent.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		err = s.srv.Close()
		s.wg.Wait()
	})
	return err
}
