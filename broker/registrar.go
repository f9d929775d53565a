package broker

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// Registration timing (BrokerController#start): the first periodic registration runs 10 s
// after start, then every registerNameServerPeriod.
const registerFirstDelay = 10 * time.Second

// brokerIdentity is what the registrar announces.
type brokerIdentity struct {
	cluster    string
	name       string
	id         int64
	addr       string // brokerIP1:listenPort
	haAddr     string // brokerIP2:haListenPort
	permission int32
}

// registrar keeps the broker registered with every nameserver (BrokerController
// registerBrokerAll, BrokerOuterAPI): REGISTER_BROKER at start, every period, and at once
// when Trigger is called (a topic changed); UNREGISTER_BROKER on shutdown. Registrations
// never overlap: one goroutine (run) sends them.
type registrar struct {
	log      *slog.Logger
	client   *remoting.Client
	namesrvs []string
	topics   *TopicConfigManager
	identity func() (brokerIdentity, bool) // false until the address is known
	first    time.Duration
	period   time.Duration
	timeout  time.Duration
	trigger  chan struct{}
	// onRegistered gets each successful REGISTER_BROKER answer (a slave learns its
	// master's addresses from it); set before run.
	onRegistered func(protocol.RegisterBrokerResponseHeader)

	mu         sync.Mutex
	registered map[string]bool // namesrv addr -> last registration succeeded

	allOnce sync.Once
	all     chan struct{} // closed once every nameserver has accepted a registration
}

// allRegistered is closed once every nameserver has accepted a registration (at once when
// there are none).
func (r *registrar) allRegistered() <-chan struct{} { return r.all }

func newRegistrar(log *slog.Logger, client *remoting.Client, namesrvs []string, topics *TopicConfigManager,
	identity func() (brokerIdentity, bool), period, timeout time.Duration) *registrar {
	return &registrar{
		log: log, client: client, namesrvs: namesrvs, topics: topics, identity: identity,
		first: registerFirstDelay, period: period, timeout: timeout,
		trigger: make(chan struct{}, 1), registered: make(map[string]bool), all: make(chan struct{}),
	}
}

// Trigger asks for a registration as soon as possible; it never blocks.
func (r *registrar) Trigger() {
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// run registers at once, then on every tick or trigger, until ctx is done.
func (r *registrar) run(ctx context.Context) {
	r.registerAll(ctx)
	t := time.NewTimer(r.first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.registerAll(ctx)
			t.Reset(r.period)
		case <-r.trigger:
			r.registerAll(ctx)
		}
	}
}

// registerAll sends REGISTER_BROKER to every nameserver in parallel and waits for all.
// Failures are logged; they are retried on the next period.
func (r *registrar) registerAll(ctx context.Context) {
	if len(r.namesrvs) == 0 {
		r.allOnce.Do(func() { close(r.all) })
		return
	}
	id, ok := r.identity()
	if !ok {
		return
	}
	body, err := r.body(id)
	if err != nil {
		r.log.Error("encode register body", "err", err)
		return
	}
	f := false
	ext := protocol.EncodeHeader(&protocol.RegisterBrokerRequestHeader{
		BrokerName: id.name, BrokerAddr: id.addr, ClusterName: id.cluster, HAServerAddr: id.haAddr,
		BrokerID: id.id, EnableActingMaster: &f, BodyCrc32: protocol.BodyCRC32(body),
	})
	// A registration that was sent is waited for even when ctx ends (up to r.timeout):
	// otherwise the UNREGISTER_BROKER of a shutdown could overtake it at the nameserver,
	// whose workers run requests concurrently, and leave the broker registered.
	callCtx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for _, ns := range r.namesrvs {
		wg.Go(func() {
			resp, err := r.invoke(callCtx, ns, remoting.NewRequest(int16(protocol.RegisterBroker), maps.Clone(ext), body))
			if err == nil && r.onRegistered != nil {
				var h protocol.RegisterBrokerResponseHeader
				if protocol.DecodeHeader(resp.ExtFields, &h) == nil {
					r.onRegistered(h)
				}
			}
			r.mu.Lock()
			was := r.registered[ns]
			r.registered[ns] = err == nil
			r.mu.Unlock()
			switch {
			case err != nil:
				r.log.Warn("register broker failed", "namesrv", ns, "err", err)
			case !was:
				r.log.Info("registered with nameserver", "namesrv", ns, "addr", id.addr)
			default:
				r.log.Debug("registered with nameserver", "namesrv", ns)
			}
		})
	}
	wg.Wait()
	r.mu.Lock()
	every := len(r.registered) == len(r.namesrvs)
	for _, ok := range r.registered {
		every = every && ok
	}
	r.mu.Unlock()
	if every {
		r.allOnce.Do(func() { close(r.all) })
	}
}

// body builds the RegisterBrokerBody. When the broker is not both readable and writable,
// every topic's permission is replaced by the broker's, as Apache does.
func (r *registrar) body(id brokerIdentity) ([]byte, error) {
	w := r.topics.Wrapper()
	const rw = protocol.PermRead | protocol.PermWrite
	if id.permission&rw != rw {
		for name, tc := range w.TopicConfigTable {
			tc.Perm = id.permission
			w.TopicConfigTable[name] = tc
		}
	}
	return protocol.EncodeBody(protocol.RegisterBrokerBody{TopicConfigSerializeWrapper: w})
}

func (r *registrar) call(ctx context.Context, addr string, req *remoting.Command) error {
	_, err := r.invoke(ctx, addr, req)
	return err
}

// invoke sends req and returns a successful response.
func (r *registrar) invoke(ctx context.Context, addr string, req *remoting.Command) (*remoting.Command, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	resp, err := r.client.InvokeSync(ctx, addr, req)
	if err != nil {
		return nil, err
	}
	return resp, resp.Err()
}

// unregisterAll sends UNREGISTER_BROKER to every nameserver in parallel and waits.
func (r *registrar) unregisterAll(ctx context.Context) error {
	id, ok := r.identity()
	if !ok {
		return nil
	}
	ext := protocol.EncodeHeader(&protocol.UnregisterBrokerRequestHeader{
		BrokerName: id.name, BrokerAddr: id.addr, ClusterName: id.cluster, BrokerID: id.id,
	})
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, ns := range r.namesrvs {
		wg.Go(func() {
			err := r.call(ctx, ns, remoting.NewRequest(int16(protocol.UnregisterBroker), maps.Clone(ext), nil))
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("broker: unregister from %s: %w", ns, err))
				mu.Unlock()
				return
			}
			r.log.Info("unregistered from nameserver", "namesrv", ns)
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}
