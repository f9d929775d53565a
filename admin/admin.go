package admin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// Errors returned by Admin. Server refusals are *ServerError, which unwraps to the
// *remoting.ResponseError (errors.As, IsCode); fan-out
// calls that some targets did not answer return a *FanoutError.
var (
	// ErrNoNameServers is returned by New when Options.NameServers is empty (unless
	// BrokersOnly is set), and by calls that need a nameserver on such an Admin.
	ErrNoNameServers = errors.New("admin: no nameserver addresses")
	// ErrClusterNotFound is returned when the nameservers know no cluster of the given name.
	ErrClusterNotFound = errors.New("admin: cluster not found")
	// ErrNoBrokers is returned when a call has no broker to go to: a cluster without masters,
	// a topic whose route names no master.
	ErrNoBrokers = errors.New("admin: no brokers to ask")
	// ErrBadAddress is returned for a broker or nameserver address that is not host:port.
	ErrBadAddress = errors.New("admin: bad address")
)

// Defaults of Options.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultConcurrency = 8
)

// Options configure an Admin.
type Options struct {
	// NameServers are the nameserver addresses (host:port), asked in order: a call moves to the
	// next one only when a nameserver cannot be reached. Required.
	NameServers []string
	// Timeout bounds each request to one server (default 5 s). The caller's ctx still applies.
	Timeout time.Duration
	// Logger receives debug logs of requests and failures; nil discards them.
	Logger *slog.Logger
	// Concurrency is the largest number of requests in flight during a fan-out to brokers or
	// nameservers (default 8).
	Concurrency int
	// Credentials, when set, sign every request (ACL v1).
	Credentials *remoting.Credentials
	// TLS, when set, wraps every connection in TLS (remoting.ClientTLS builds one).
	TLS *tls.Config
	// BrokersOnly allows New without nameservers, for calls addressed to a broker (e.g.
	// BrokerConfig); a call that needs a nameserver returns ErrNoNameServers.
	BrokersOnly bool
}

// Admin is an operator client for RocketMQ nameservers and brokers: ours or Apache's. It
// speaks only the remoting protocol and never prints. It is safe for concurrent use.
type Admin struct {
	opts   Options
	log    *slog.Logger
	client *remoting.Client
	// nsStart is the index of the nameserver that answered last; calls start there.
	nsStart atomic.Int32
}

// New returns an Admin for the given nameservers. Close it when done.
func New(opts Options) (*Admin, error) {
	var ns []string
	for _, a := range opts.NameServers {
		if a = strings.TrimSpace(a); a != "" {
			ns = append(ns, a)
		}
	}
	if len(ns) == 0 && !opts.BrokersOnly {
		return nil, ErrNoNameServers
	}
	opts.NameServers = ns
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "admin")
	return &Admin{
		opts: opts,
		log:  log,
		client: remoting.NewClient(remoting.ClientConfig{
			Logger:      log,
			DialTimeout: opts.Timeout,
			Credentials: opts.Credentials,
			TLS:         opts.TLS,
		}),
	}, nil
}

// SplitAddrs splits a ';'-separated nameserver list (NAMESRV_ADDR's form); ',' is accepted
// too. Empty items are dropped.
func SplitAddrs(s string) []string {
	var out []string
	for _, a := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// NameServers returns the configured nameserver addresses.
func (a *Admin) NameServers() []string { return append([]string(nil), a.opts.NameServers...) }

// Close closes all connections. It is safe to call more than once.
func (a *Admin) Close() error { return a.client.Close() }

// invoke sends one request to addr within the per-request timeout and returns the response,
// or a *ServerError when the server answered with a code other than SUCCESS.
func (a *Admin) invoke(ctx context.Context, addr string, code protocol.RequestCode, header any, body []byte) (*remoting.Command, error) {
	resp, err := a.invokeRaw(ctx, addr, code, header, body)
	if err != nil {
		return nil, err
	}
	if err := a.refused(addr, code, headerExt(header), resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// headerExt is header's extFields, for the sentence of a refusal.
func headerExt(header any) map[string]string {
	if header == nil {
		return nil
	}
	return protocol.EncodeHeader(header)
}

// invokeRaw is invoke without turning a non-zero code into an error.
func (a *Admin) invokeRaw(ctx context.Context, addr string, code protocol.RequestCode, header any, body []byte) (*remoting.Command, error) {
	ctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancel()
	var ext map[string]string
	if header != nil {
		ext = protocol.EncodeHeader(header)
	}
	req := remoting.NewRequest(int16(code), ext, body)
	resp, err := a.client.InvokeSync(ctx, addr, req)
	if err != nil {
		a.log.Debug("request failed", "addr", addr, "code", code, "err", err)
		return nil, fmt.Errorf("%v to %s: %w", code, addr, err)
	}
	a.log.Debug("response", "addr", addr, "code", code, "resp", resp.Code)
	return resp, nil
}

// invokeNamesrv sends the request to the nameservers in order, starting with the one that
// answered last, and moves to the next only on a network error (noted in ctx's
// NameServerReport). A nameserver that answers with an error code ends the search.
func (a *Admin) invokeNamesrv(ctx context.Context, code protocol.RequestCode, header any, body []byte) (*remoting.Command, error) {
	ns := a.opts.NameServers
	if len(ns) == 0 {
		return nil, ErrNoNameServers
	}
	start := int(a.nsStart.Load())
	var errs []error
	for i := range ns {
		idx := (start + i) % len(ns)
		resp, err := a.invokeRaw(ctx, ns[idx], code, header, body)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		a.nsStart.Store(int32(idx))
		if len(errs) > 0 {
			down := make(map[string]error, len(errs))
			for j, err := range errs {
				down[ns[(start+j)%len(ns)]] = err
			}
			noteNameServersDown(ctx, len(ns), down)
		}
		if err := a.refused(ns[idx], code, headerExt(header), resp); err != nil {
			return nil, err
		}
		return resp, nil
	}
	return nil, errors.Join(errs...)
}

// decode decodes a JSON body (standard or fastjson dialect) into v.
func decode(code protocol.RequestCode, resp *remoting.Command, v any) error {
	if err := protocol.DecodeBody(resp.Body, v); err != nil {
		return fmt.Errorf("admin: %v body: %w", code, err)
	}
	return nil
}
