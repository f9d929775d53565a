package admin

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// Consumer offset operations: the details of `mq group progress` (time lag, owning client)
// and resetting a group's offsets with a per-queue preview.

// ProgressDetails adds to gp, in place, each lagging queue's time lag (the age of the message
// at the consumer offset, read with a raw pull) and, when owners is set, the client holding
// each queue (GET_CONSUMER_RUNNING_INFO, relayed by the broker to each online client).
// Queues it cannot read keep zeros; the errors are joined in the result.
func (a *Admin) ProgressDetails(ctx context.Context, gp *GroupProgress, owners bool) error {
	addrs := map[string]string{}
	for _, it := range gp.Brokers.Items {
		addrs[it.Name] = it.Addr
	}
	now := time.Now().UnixMilli()
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, a.opts.Concurrency)
	for i := range gp.Queues {
		q := &gp.Queues[i]
		addr := addrs[q.BrokerName]
		if q.Lag <= 0 || addr == "" {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			m, err := a.MessageAt(ctx, addr, q.BrokerName, q.Topic, q.QueueID, max(q.ConsumerOffset, 0))
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			q.OldestUnconsumed = m.StoreTimestamp
			q.TimeLagMs = max(now-m.StoreTimestamp, 0)
		})
	}
	wg.Wait()
	if owners {
		if err := a.queueOwners(ctx, gp, addrs); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// queueOwners fills QueueProgress.Client from the running info of each online client.
func (a *Admin) queueOwners(ctx context.Context, gp *GroupProgress, addrs map[string]string) error {
	gc, err := a.GroupConnections(ctx, gp.Group)
	if err != nil || len(gc.Clients) == 0 {
		return err
	}
	owner := map[protocol.MessageQueue]string{}
	var errs []error
	for _, c := range gc.Clients {
		addr := addrs[c.BrokerName]
		if addr == "" {
			for _, v := range addrs {
				addr = v
				break
			}
		}
		ri, err := a.ConsumerRunningInfo(ctx, addr, gp.Group, c.ClientID)
		if clientGone(err) {
			continue // it went away since the connections were listed: it owns nothing now
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("running info of %s: %w", c.ClientID, err))
			continue
		}
		for mq := range ri.MQTable {
			owner[mq] = c.ClientID
		}
	}
	for i := range gp.Queues {
		q := &gp.Queues[i]
		q.Client = owner[protocol.MessageQueue{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID}]
	}
	return errors.Join(errs...)
}

// clientGone reports the refusal of a client's running info because the client is no longer
// connected: SYSTEM_ERROR "The Consumer <G> <C> not online" (Apache's callConsumer, and mq's).
func clientGone(err error) bool {
	var re *remoting.ResponseError
	return errors.As(err, &re) && re.Code == int16(protocol.SystemError) && strings.Contains(re.Remark, "not online")
}

// ResetTo says where a reset moves a group's offsets.
type ResetTo struct {
	// Kind is one of ResetTime, ResetEarliest, ResetLatest, ResetOffset.
	Kind string
	// Time is the timestamp in ms for ResetTime: the first message stored at or after it.
	Time int64
	// Offset is the explicit offset for ResetOffset (clamped to each queue's [min, max]).
	Offset int64
}

// Kinds of ResetTo.
const (
	ResetTime     = "time"
	ResetEarliest = "earliest"
	ResetLatest   = "latest"
	ResetOffset   = "offset"
)

// ResetQueue is one queue's reset: its bounds, the group's offset before, and the target.
type ResetQueue struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int32  `json:"queueId"`
	MinOffset  int64  `json:"minOffset"`
	MaxOffset  int64  `json:"maxOffset"`
	// Current is the group's committed offset, -1 when it has none.
	Current int64 `json:"current"`
	// Target is what the reset sets (the preview).
	Target int64 `json:"target"`
	// Applied is what the broker reported it set, -1 in a preview or when it did not say.
	Applied int64 `json:"applied"`
	// Via is how it was applied: "invoke-broker" (222), "update-offset" (15) or "" (preview).
	Via   string `json:"via,omitempty"`
	Error string `json:"error,omitempty"`
}

// ResetPlan is a reset of one group on one topic.
type ResetPlan struct {
	Group  string       `json:"group"`
	Topic  string       `json:"topic"`
	Queues []ResetQueue `json:"queues"`
	// Brokers holds each master's answer.
	Brokers Results[[]ResetQueue] `json:"-"`
	addrs   map[string]string
	to      ResetTo
}

// PlanReset computes, per queue of topic on its masters, where a reset of group to `to` moves
// the group's offset: SEARCH_OFFSET_BY_TIMESTAMP for a time, GET_MIN_OFFSET for earliest,
// GET_MAX_OFFSET for latest, an explicit offset clamped to [min, max]. Nothing changes.
func (a *Admin) PlanReset(ctx context.Context, group, topic string, to ResetTo) (ResetPlan, error) {
	p := ResetPlan{Group: group, Topic: topic, addrs: map[string]string{}, to: to}
	rd, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return p, err
	}
	qs := TopicQueues(rd, false)
	if len(qs) == 0 {
		return p, wrapf("%w: route of %s names no readable queue on a master", ErrNoBrokers, topic)
	}
	var bs []Broker
	for _, b := range RouteMasters(rd) {
		bs = append(bs, b)
		p.addrs[b.Name] = b.Addr
	}
	p.Brokers = ForEachBroker(ctx, a, bs, func(ctx context.Context, addr string) ([]ResetQueue, error) {
		var out []ResetQueue
		for _, q := range qs {
			if q.Addr != addr {
				continue
			}
			rq := ResetQueue{Topic: topic, BrokerName: q.BrokerName, QueueID: q.QueueID, Applied: -1}
			var err error
			if rq.MinOffset, err = a.MinOffset(ctx, addr, topic, q.QueueID); err != nil {
				return out, err
			}
			if rq.MaxOffset, err = a.MaxOffset(ctx, addr, topic, q.QueueID); err != nil {
				return out, err
			}
			if rq.Current, err = a.ConsumerOffset(ctx, addr, group, topic, q.QueueID); err != nil {
				return out, err
			}
			switch to.Kind {
			case ResetEarliest:
				rq.Target = rq.MinOffset
			case ResetLatest:
				rq.Target = rq.MaxOffset
			case ResetOffset:
				rq.Target = min(max(to.Offset, rq.MinOffset), rq.MaxOffset)
			case ResetTime:
				if rq.Target, err = a.SearchOffset(ctx, addr, topic, q.QueueID, to.Time); err != nil {
					return out, err
				}
			default:
				return out, wrapf("reset to %q: want time, earliest, latest or offset", to.Kind)
			}
			out = append(out, rq)
		}
		return out, nil
	})
	for _, it := range p.Brokers.Items {
		p.Queues = append(p.Queues, it.Value...)
	}
	sort.Slice(p.Queues, func(i, j int) bool {
		x, y := p.Queues[i], p.Queues[j]
		if x.BrokerName != y.BrokerName {
			return x.BrokerName < y.BrokerName
		}
		return x.QueueID < y.QueueID
	})
	return p, p.Brokers.Err()
}

// ApplyReset carries out a plan. Each master is asked to reset the group itself
// (INVOKE_BROKER_TO_RESET_OFFSET with isForce, which also tells online consumers); for
// ResetOffset, or when the broker cannot (code not supported, or an Apache broker answering
// CONSUMER_NOT_ONLINE), the planned offsets are written with UPDATE_CONSUMER_OFFSET, as
// mqadmin's fallback does. The plan's queues get Applied and Via.
func (a *Admin) ApplyReset(ctx context.Context, p *ResetPlan) error {
	byBroker := map[string][]int{}
	for i, q := range p.Queues {
		byBroker[q.BrokerName] = append(byBroker[q.BrokerName], i)
	}
	var bs []Broker
	for name := range byBroker {
		bs = append(bs, Broker{Name: name, Addr: p.addrs[name]})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].Name < bs[j].Name })
	progressAdd(ctx, 0, int64(len(p.Queues)))
	res := ForEachBroker(ctx, a, bs, func(ctx context.Context, addr string) (struct{}, error) {
		var name string
		for _, b := range bs {
			if b.Addr == addr {
				name = b.Name
			}
		}
		idx := byBroker[name]
		if p.to.Kind != ResetOffset {
			ts := p.to.Time
			switch p.to.Kind {
			case ResetEarliest:
				ts = 0
			case ResetLatest:
				ts = -1
			}
			resp, err := a.invoke(ctx, addr, protocol.InvokeBrokerToResetOffset, &protocol.ResetOffsetRequestHeader{
				Topic: p.Topic, Group: p.Group, Timestamp: ts, IsForce: true, QueueID: -1}, nil)
			if err == nil {
				var body protocol.ResetOffsetBody
				if len(resp.Body) > 0 {
					if err := decode(protocol.InvokeBrokerToResetOffset, resp, &body); err != nil {
						return struct{}{}, err
					}
				}
				for _, i := range idx {
					q := &p.Queues[i]
					q.Via, q.Applied = "invoke-broker", q.Target
					if off, ok := body.OffsetTable[protocol.MessageQueue{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID}]; ok {
						q.Applied = off
					}
				}
				progressAdd(ctx, int64(len(idx)), 0)
				return struct{}{}, nil
			}
			if !IsCode(err, protocol.RequestCodeNotSupported) && !IsCode(err, protocol.ConsumerNotOnline) {
				return struct{}{}, err
			}
		}
		var errs []error
		for _, i := range idx {
			q := &p.Queues[i]
			q.Via = "update-offset"
			err := a.UpdateConsumerOffset(ctx, addr, p.Group, q.Topic, q.QueueID, q.Target)
			progressAdd(ctx, 1, 0)
			if err != nil {
				q.Error = err.Error()
				errs = append(errs, err)
				continue
			}
			q.Applied = q.Target
		}
		return struct{}{}, errors.Join(errs...)
	})
	return res.Err()
}
