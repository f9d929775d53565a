package admin

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Kinds of fan-out targets, used in summaries ("2/3 brokers answered").
const (
	KindBroker     = "broker"
	KindNameServer = "nameserver"
)

// Result is one target's answer in a fan-out: Value when Err is nil.
type Result[T any] struct {
	// Cluster is the broker's cluster, when known.
	Cluster string
	// Name is the broker name, or "" for a nameserver or a broker known only by address.
	Name string
	// ID is the broker id (0 = master); 0 for nameservers.
	ID int64
	// Addr is the address the request went to.
	Addr  string
	Value T
	Err   error
}

// Results are the answers of a fan-out, in the order of the targets.
type Results[T any] struct {
	// Kind is KindBroker or KindNameServer.
	Kind  string
	Items []Result[T]
}

// Answered is the number of targets that answered successfully.
func (r Results[T]) Answered() int {
	n := 0
	for _, it := range r.Items {
		if it.Err == nil {
			n++
		}
	}
	return n
}

// Total is the number of targets asked.
func (r Results[T]) Total() int { return len(r.Items) }

// Complete reports whether every target answered.
func (r Results[T]) Complete() bool { return r.Answered() == len(r.Items) }

// Summary says how many targets answered: "2/3 brokers answered".
func (r Results[T]) Summary() string { return summary(r.Kind, r.Answered(), len(r.Items)) }

func summary(kind string, answered, total int) string {
	if kind == "" {
		kind = "target"
	}
	if total != 1 {
		kind += "s"
	}
	return strconv.Itoa(answered) + "/" + strconv.Itoa(total) + " " + kind + " answered"
}

// Values returns the values of the targets that answered.
func (r Results[T]) Values() []T {
	out := make([]T, 0, len(r.Items))
	for _, it := range r.Items {
		if it.Err == nil {
			out = append(out, it.Value)
		}
	}
	return out
}

// Err is nil when every target answered, else a *FanoutError naming the ones that did not.
func (r Results[T]) Err() error {
	var errs []error
	for _, it := range r.Items {
		if it.Err != nil {
			errs = append(errs, &TargetError{Kind: r.Kind, Name: it.Name, Addr: it.Addr, Err: it.Err})
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &FanoutError{Kind: r.Kind, Answered: len(r.Items) - len(errs), Total: len(r.Items), Errs: errs}
}

// TargetError is the failure of one target of a fan-out.
type TargetError struct {
	Kind string
	Name string
	Addr string
	Err  error
}

func (e *TargetError) Error() string {
	who := e.Addr
	if e.Name != "" {
		who = e.Name + " " + e.Addr
	}
	return e.Kind + " " + who + ": " + e.Err.Error()
}

// Unwrap returns the underlying error (a *remoting.ResponseError when the target refused).
func (e *TargetError) Unwrap() error { return e.Err }

// FanoutError reports the targets of a fan-out that did not answer. When Answered > 0 the
// answer is partial: what the others said is still in the Results.
type FanoutError struct {
	Kind     string
	Answered int
	Total    int
	// Errs are *TargetError values, one per failed target.
	Errs []error
}

func (e *FanoutError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return summary(e.Kind, e.Answered, e.Total) + ": " + strings.Join(msgs, "; ")
}

// Partial reports whether some, but not all, targets answered.
func (e *FanoutError) Partial() bool { return e.Answered > 0 && e.Answered < e.Total }

// Unwrap returns the per-target errors, so errors.As finds a *remoting.ResponseError.
func (e *FanoutError) Unwrap() []error { return e.Errs }

// IsPartial reports whether err is (or wraps) a *FanoutError where some targets answered.
func IsPartial(err error) bool {
	var fe *FanoutError
	return errors.As(err, &fe) && fe.Partial()
}

// target is one server of a fan-out.
type target struct {
	cluster string
	name    string
	id      int64
	addr    string
}

// fanOut calls fn for every target, at most Options.Concurrency at once, and waits for all.
// The results keep the order of targets.
func fanOut[T any](ctx context.Context, a *Admin, kind string, targets []target, fn func(ctx context.Context, addr string) (T, error)) Results[T] {
	res := Results[T]{Kind: kind, Items: make([]Result[T], len(targets))}
	sem := make(chan struct{}, a.opts.Concurrency)
	var wg sync.WaitGroup
	for i, t := range targets {
		res.Items[i] = Result[T]{Cluster: t.cluster, Name: t.name, ID: t.id, Addr: t.addr}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			res.Items[i].Err = ctx.Err()
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			v, err := fn(ctx, t.addr)
			res.Items[i].Value, res.Items[i].Err = v, err
		})
	}
	wg.Wait()
	return res
}

// nameServerTargets returns every configured nameserver as a fan-out target.
func (a *Admin) nameServerTargets() []target {
	out := make([]target, len(a.opts.NameServers))
	for i, ns := range a.opts.NameServers {
		out[i] = target{addr: ns}
	}
	return out
}

// wrapf is fmt.Errorf with the admin prefix, unless the format starts with a wrapped sentinel
// of this package (which carries the prefix already).
func wrapf(format string, args ...any) error {
	if strings.HasPrefix(format, "%w") {
		return fmt.Errorf(format, args...)
	}
	return fmt.Errorf("admin: "+format, args...)
}

// NameServerReport collects the nameservers that could not be reached while calls failed
// over to another one (a read asks one nameserver and moves on only when it is down), so a
// command can say its answer came from fewer nameservers than configured. Safe for
// concurrent use.
type NameServerReport struct {
	mu    sync.Mutex
	total int
	down  map[string]error
}

type nsReportKey struct{}

// WithNameServerReport returns a ctx under which calls record in r the nameservers they found
// down.
func WithNameServerReport(ctx context.Context, r *NameServerReport) context.Context {
	return context.WithValue(ctx, nsReportKey{}, r)
}

// noteNameServersDown records, in ctx's report if any, the nameservers that failed (errs by
// address) before another of total answered.
func noteNameServersDown(ctx context.Context, total int, errs map[string]error) {
	r, ok := ctx.Value(nsReportKey{}).(*NameServerReport)
	if !ok || len(errs) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total = max(r.total, total)
	if r.down == nil {
		r.down = map[string]error{}
	}
	for addr, err := range errs {
		r.down[addr] = err
	}
}

// Err is nil when no nameserver was found down, else a partial *FanoutError ("1/2
// nameservers answered: nameserver 10.0.0.1:9876: …").
func (r *NameServerReport) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.down) == 0 {
		return nil
	}
	addrs := make([]string, 0, len(r.down))
	for addr := range r.down {
		addrs = append(addrs, addr)
	}
	sort.Strings(addrs)
	fe := &FanoutError{Kind: KindNameServer, Total: r.total, Answered: r.total - len(addrs)}
	for _, addr := range addrs {
		fe.Errs = append(fe.Errs, &TargetError{Kind: KindNameServer, Addr: addr, Err: r.down[addr]})
	}
	return fe
}
