package admin

import (
	"context"
	"errors"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"sync"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// Read views (topic status, group progress, message queries) ask one broker per brokerName:
// its master, or, when the brokerName has no master or the master does not answer, its
// slaves in id order. Every slave holds the master's CommitLog, ConsumeQueues and (synced
// every 10 s) consumer offsets, so an operator still sees what sits on a dead master's
// slave. Result.ID says who answered (FromSlave); a brokerName with no live broker at all
// is a failed target, so the answer is partial instead of silently smaller.

// ErrNoLiveBroker is a brokerName's error when the nameservers list none of its brokers
// (its queues are still routed) or none of them answered.
var ErrNoLiveBroker = errors.New("admin: no live broker")

// BrokerSet is one brokerName: its master (id 0) and slaves.
type BrokerSet struct {
	Cluster string
	Name    string
	// Addrs maps broker id to address; empty when no broker of the name is alive.
	Addrs map[int64]string
}

// Brokers returns the set's brokers, master first, then slaves by id.
func (s BrokerSet) Brokers() []Broker {
	out := make([]Broker, 0, len(s.Addrs))
	for _, id := range slices.Sorted(maps.Keys(s.Addrs)) {
		if s.Addrs[id] != "" {
			out = append(out, Broker{Cluster: s.Cluster, Name: s.Name, ID: id, Addr: s.Addrs[id]})
		}
	}
	return out
}

// FromSlave reports whether a slave answered for its brokerName (ID is not the master's).
func (r Result[T]) FromSlave() bool { return r.ID != protocol.MasterID }

// RouteBrokerSets returns every brokerName of a topic route, sorted by name; a name that
// has queues but no broker data comes back with no addresses.
func RouteBrokerSets(rd protocol.TopicRouteData) []BrokerSet {
	byName := map[string]BrokerSet{}
	for _, bd := range rd.BrokerDatas {
		byName[bd.BrokerName] = BrokerSet{Cluster: bd.Cluster, Name: bd.BrokerName, Addrs: maps.Clone(map[int64]string(bd.BrokerAddrs))}
	}
	for _, qd := range rd.QueueDatas {
		if _, ok := byName[qd.BrokerName]; !ok {
			byName[qd.BrokerName] = BrokerSet{Name: qd.BrokerName}
		}
	}
	return sortedSets(byName)
}

// ClusterBrokerSets returns the brokerNames of cluster ("" for all), sorted by name.
func ClusterBrokerSets(ci protocol.ClusterInfo, cluster string) ([]BrokerSet, error) {
	all, err := Brokers(ci, cluster)
	if err != nil {
		return nil, err
	}
	byName := map[string]BrokerSet{}
	for _, b := range all {
		s, ok := byName[b.Name]
		if !ok {
			s = BrokerSet{Cluster: b.Cluster, Name: b.Name, Addrs: map[int64]string{}}
		}
		s.Addrs[b.ID] = b.Addr
		byName[b.Name] = s
	}
	for c, names := range ci.ClusterAddrTable {
		if cluster != "" && c != cluster {
			continue
		}
		for _, n := range names {
			if _, ok := byName[n]; !ok {
				byName[n] = BrokerSet{Cluster: c, Name: n}
			}
		}
	}
	return sortedSets(byName), nil
}

func sortedSets(m map[string]BrokerSet) []BrokerSet {
	out := slices.Collect(maps.Values(m))
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ForEachBrokerSet calls fn once per brokerName, at most Options.Concurrency at once: on
// its master, and on its slaves in id order when there is no master or the one asked did
// not answer (a connection or timeout error; a refusal is an answer). The results keep the
// order of sets; each names the broker that answered, or the first one asked when none did.
func ForEachBrokerSet[T any](ctx context.Context, a *Admin, sets []BrokerSet, fn func(ctx context.Context, b Broker) (T, error)) Results[T] {
	res := Results[T]{Kind: KindBroker, Items: make([]Result[T], len(sets))}
	sem := make(chan struct{}, a.opts.Concurrency)
	var wg sync.WaitGroup
	for i, s := range sets {
		bs := s.Brokers()
		res.Items[i] = Result[T]{Cluster: s.Cluster, Name: s.Name}
		if len(bs) == 0 {
			res.Items[i].Err = wrapf("%w of %s", ErrNoLiveBroker, s.Name)
			continue
		}
		res.Items[i].ID, res.Items[i].Addr = bs[0].ID, bs[0].Addr
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			res.Items[i].Err = ctx.Err()
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			var firstErr error
			for _, b := range bs {
				v, err := fn(ctx, b)
				if err == nil || !unreachable(ctx, err) {
					res.Items[i].ID, res.Items[i].Addr, res.Items[i].Value, res.Items[i].Err = b.ID, b.Addr, v, err
					return
				}
				if firstErr == nil {
					firstErr = err
				}
			}
			res.Items[i].Err = firstErr
		})
	}
	wg.Wait()
	return res
}

// unreachable reports whether err means the broker did not answer (so another broker of
// its name may be asked), rather than that it refused.
func unreachable(ctx context.Context, err error) bool {
	var re *remoting.ResponseError
	return ctx.Err() == nil && !errors.As(err, &re)
}

// groupBrokerSets returns the brokerNames that know group: those of its retry topic's
// route, as mqadmin does, or every brokerName when the retry topic has no route.
func (a *Admin) groupBrokerSets(ctx context.Context, group string) ([]BrokerSet, error) {
	rd, err := a.TopicRoute(ctx, RetryTopic(group))
	if err == nil {
		if sets := RouteBrokerSets(rd); len(sets) > 0 {
			return sets, nil
		}
	} else if !IsCode(err, protocol.TopicNotExist) {
		return nil, err
	}
	ci, err := a.ClusterInfo(ctx)
	if err != nil {
		return nil, err
	}
	sets, err := ClusterBrokerSets(ci, "")
	if err != nil {
		return nil, err
	}
	if len(sets) == 0 {
		return nil, wrapf("%w: the nameservers know no broker", ErrNoBrokers)
	}
	return sets, nil
}

// offsetIDOnSlaves looks for the record of an offset message id whose broker (host) the
// nameservers no longer list, a dead master, on the other brokers of topic's route, or of
// every cluster when topic is "": a slave holds its master's CommitLog at the same offsets,
// and the record names the master as its store host.
func (a *Admin) offsetIDOnSlaves(ctx context.Context, topic string, host netip.AddrPort, off int64) (FoundMessage, bool) {
	var sets []BrokerSet
	if topic != "" {
		rd, err := a.TopicRoute(ctx, topic)
		if err != nil {
			return FoundMessage{}, false
		}
		sets = RouteBrokerSets(rd)
	} else {
		ci, err := a.ClusterInfo(ctx)
		if err != nil {
			return FoundMessage{}, false
		}
		if sets, err = ClusterBrokerSets(ci, ""); err != nil {
			return FoundMessage{}, false
		}
	}
	for _, s := range sets {
		for _, b := range s.Brokers() {
			m, err := a.ViewMessage(ctx, b.Addr, off)
			if err == nil && m.StoreHost == host && m.CommitLogOffset == off {
				return FoundMessage{BrokerName: b.Name, Addr: b.Addr, MessageExt: m}, true
			}
		}
	}
	return FoundMessage{}, false
}
