package broker

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// Registration timing (BrokerController#start): the first periodic registration runs 10 s
// after start, then every registerNameServerPeriod.
const registerFirstDelay = 10 * time.Second

// maxRegisterRetry caps the pause between registrations while a nameserver is missing.
const maxRegisterRetry = 5 * time.Second

// brokerIdentity is what the registrar announces.
type brokerIdentity struct {
	cluster    string
	name       string
	id         int64
	addr       string // brokerIP1:listenPort
	haAddr     string // brokerIP2:haListenPort
	permission int32
	// actingMaster is enableSlaveActingMaster: the nameserver may present this broker, a
	// slave, as its brokerName's master while the master is gone.
	actingMaster bool
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
	// awaiting reports that the broker still waits for what only a registration's answer
	// gives: a slave started before its master, which the nameservers have not named yet.
	// run then registers again after retry, doubling up to the period, rather than after
	// the first delay or the period (Apache's slave waits those 10 s, then 30 s, with no
	// replica meanwhile, and a SYNC_MASTER refuses every send as SLAVE_NOT_AVAILABLE).
	// Optional; set before run.
	awaiting func() bool

	mu         sync.Mutex
	registered map[string]bool // namesrv addr -> last registration succeeded
	fails      map[string]int  // namesrv addr -> failed registrations in a row

	// retry is the pause before registering again while some nameserver refused the last
	// registration (doubling up to maxRetry and period); set before run.
	retry time.Duration

	readyOnce sync.Once
	ready     chan struct{} // closed once one nameserver has accepted a registration
	missing   string        // the nameservers missing at the last log line (under mu)
}

// firstRegistered is closed once at least one nameserver has accepted a registration (at
// once when there are none): clients asking that nameserver find the broker. The others are
// retried (registerAll logs which are missing).
func (r *registrar) firstRegistered() <-chan struct{} { return r.ready }

func newRegistrar(log *slog.Logger, client *remoting.Client, namesrvs []string, topics *TopicConfigManager,
	identity func() (brokerIdentity, bool), period, timeout time.Duration) *registrar {
	return &registrar{
		log: log, client: client, namesrvs: namesrvs, topics: topics, identity: identity,
		first: registerFirstDelay, period: period, timeout: timeout,
		trigger: make(chan struct{}, 1), registered: make(map[string]bool), fails: make(map[string]int), ready: make(chan struct{}),
		retry: time.Second,
	}
}

// Trigger asks for a registration as soon as possible; it never blocks.
func (r *registrar) Trigger() {
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// run registers at once, then on every tick or trigger, until ctx is done. While some
// nameserver refused the last registration, it tries again after retry, doubling up to
// maxRegisterRetry (a nameserver that was down at start learns of the broker soon after it
// returns, not one period later). While the broker awaits an answer (awaiting), it registers
// again after retry, doubling up to the period.
func (r *registrar) run(ctx context.Context) {
	backoff, await := r.retry, r.retry
	next := func(allOK bool) time.Duration {
		if allOK && r.stillAwaiting() && await > 0 {
			d := min(await, r.period)
			await = min(2*await, r.period)
			return d
		}
		await = r.retry
		if allOK || backoff <= 0 {
			backoff = r.retry
			return r.period
		}
		d := min(backoff, r.period)
		backoff = min(2*backoff, maxRegisterRetry, r.period)
		return d
	}
	wait := r.first
	if ok := r.registerAll(ctx); !ok || r.stillAwaiting() {
		wait = min(wait, next(ok))
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			t.Reset(next(r.registerAll(ctx)))
		case <-r.trigger:
			if !r.registerAll(ctx) {
				t.Reset(next(false))
			}
		}
	}
}

func (r *registrar) stillAwaiting() bool { return r.awaiting != nil && r.awaiting() }

// registerAll sends REGISTER_BROKER to every nameserver in parallel and waits for all. It
// reports whether every nameserver accepted; failures are logged and retried by run.
func (r *registrar) registerAll(ctx context.Context) bool {
	if len(r.namesrvs) == 0 {
		r.readyOnce.Do(func() { close(r.ready) })
		return true
	}
	id, ok := r.identity()
	if !ok {
		return true // nothing to announce yet; Serve triggers a registration
	}
	body, err := r.body(id)
	if err != nil {
		r.log.Error("encode register body", "err", err)
		return false
	}
	acting := id.actingMaster
	ext := protocol.EncodeHeader(&protocol.RegisterBrokerRequestHeader{
		BrokerName: id.name, BrokerAddr: id.addr, ClusterName: id.cluster, HAServerAddr: id.haAddr,
		BrokerID: id.id, EnableActingMaster: &acting, BodyCrc32: protocol.BodyCRC32(body),
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
			fails := 0
			if err != nil {
				r.fails[ns]++
				fails = r.fails[ns]
			} else {
				delete(r.fails, ns)
			}
			r.mu.Unlock()
			switch {
			case err != nil && fails&(fails-1) == 0: // the 1st, 2nd, 4th, 8th … failure in a row
				r.log.Warn("register broker failed", "namesrv", ns, "err", err, "attempts", fails)
			case err != nil:
				r.log.Debug("register broker failed", "namesrv", ns, "err", err, "attempts", fails)
			case !was:
				r.log.Info("registered with nameserver", "namesrv", ns, "addr", id.addr)
			default:
				r.log.Debug("registered with nameserver", "namesrv", ns)
			}
		})
	}
	wg.Wait()
	var okN int
	var missing []string
	r.mu.Lock()
	for _, ns := range r.namesrvs {
		if r.registered[ns] {
			okN++
		} else {
			missing = append(missing, ns)
		}
	}
	was := r.missing
	r.missing = strings.Join(missing, ",")
	now := r.missing
	r.mu.Unlock()
	if okN > 0 {
		r.readyOnce.Do(func() { close(r.ready) })
	}
	switch {
	case now != "" && now != was:
		r.log.Warn("not registered with every nameserver; retrying", "registered", okN, "of", len(r.namesrvs), "missing", now)
	case now == "" && was != "":
		r.log.Info("registered with every nameserver", "namesrvs", len(r.namesrvs))
	}
	return now == ""
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
