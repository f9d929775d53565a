package admin

import (
	"context"
	"errors"
	"math"
	"sort"
	"strings"
	"sync"
)

// GroupSummary is one consumer group's line of mqadmin consumerProgress without -g.
type GroupSummary struct {
	Group string `json:"group"`
	// Count is the number of connected consumers; 0 means offline.
	Count int `json:"count"`
	// Version is the oldest connected client's version (ConsumerConnection.computeMinVersion),
	// -1 when offline.
	Version      int32   `json:"version"`
	ConsumeType  string  `json:"consumeType,omitempty"`
	MessageModel string  `json:"messageModel,omitempty"`
	ConsumeTps   float64 `json:"consumeTps"`
	DiffTotal    int64   `json:"diffTotal"`
	// Error is what kept part of the line unknown (a broker that did not answer).
	Error string `json:"error,omitempty"`
}

// AllGroupsProgress is mqadmin consumerProgress without -g: every group that has a retry
// topic in the nameservers' topic list, with its connections and total lag. Groups whose
// brokers did not all answer carry an Error, and the returned error is then a partial
// *FanoutError of kind "group".
func (a *Admin) AllGroupsProgress(ctx context.Context) ([]GroupSummary, error) {
	topics, err := a.TopicList(ctx)
	if err != nil {
		return nil, err
	}
	var groups []string
	for _, t := range topics {
		if g, ok := strings.CutPrefix(t, RetryPrefix); ok && g != "" {
			groups = append(groups, g)
		}
	}
	sort.Strings(groups)
	out := make([]GroupSummary, len(groups))
	sem := make(chan struct{}, a.opts.Concurrency)
	var wg sync.WaitGroup
	for i, g := range groups {
		out[i] = GroupSummary{Group: g, Version: -1}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = a.groupSummary(ctx, g)
		})
	}
	wg.Wait()
	var errs []error
	for _, s := range out {
		if s.Error != "" {
			errs = append(errs, &TargetError{Kind: KindGroup, Name: s.Group, Err: errors.New(s.Error)})
		}
	}
	if len(errs) > 0 {
		return out, &FanoutError{Kind: KindGroup, Answered: len(out) - len(errs), Total: len(out), Errs: errs}
	}
	return out, nil
}

// KindGroup names consumer groups in fan-out summaries ("2/3 groups answered").
const KindGroup = "group"

func (a *Admin) groupSummary(ctx context.Context, group string) GroupSummary {
	s := GroupSummary{Group: group, Version: -1}
	var errs []string
	gp, err := a.GroupProgress(ctx, group, "")
	var ge *GroupError
	if err != nil && !errors.As(err, &ge) {
		errs = append(errs, err.Error())
	} else if ferr := gp.Brokers.Err(); ferr != nil {
		errs = append(errs, ferr.Error())
	}
	s.ConsumeTps, s.DiffTotal = gp.ConsumeTps, gp.Lag
	gc, err := a.GroupConnections(ctx, group)
	if err != nil && !errors.As(err, &ge) {
		errs = append(errs, err.Error())
	} else if ferr := gc.Brokers.Err(); ferr != nil {
		errs = append(errs, ferr.Error())
	}
	s.Count = len(gc.Clients)
	if s.Count > 0 {
		s.ConsumeType, s.MessageModel = gc.Consumer.ConsumeType, gc.Consumer.MessageModel
		s.Version = minVersion(gc.Clients)
	}
	s.Error = strings.Join(errs, "; ")
	return s
}

// minVersion is the oldest client version (ConsumerConnection.computeMinVersion).
func minVersion(cs []Client) int32 {
	v := int32(math.MaxInt32)
	for _, c := range cs {
		v = min(v, c.Version)
	}
	return v
}
