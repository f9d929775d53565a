package tui

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// Source is what the TUI asks the cluster. *admin.Admin implements it; tests pass a fake.
type Source interface {
	ClusterInfo(ctx context.Context) (protocol.ClusterInfo, error)
	RuntimeInfos(ctx context.Context, bs []admin.Broker) admin.Results[map[string]string]
	TopicList(ctx context.Context) ([]string, error)
	SystemTopics(ctx context.Context) ([]string, error)
	TopicRoute(ctx context.Context, topic string) (protocol.TopicRouteData, error)
	TopicStatus(ctx context.Context, topic string) (admin.TopicStatus, error)
	GroupList(ctx context.Context, bs []admin.Broker) admin.GroupList
	GroupProgress(ctx context.Context, group, topic string) (admin.GroupProgress, error)
	GroupConnections(ctx context.Context, group string) (admin.GroupConnections, error)
	ScanQueue(ctx context.Context, q admin.QueueScan, fn func(*message.MessageExt) bool) (int, error)
}

// browseNewest reads the newest n messages of topic: the last n of every queue, merged and
// sorted by store time, newest first. The status says how many brokers answered.
func browseNewest(ctx context.Context, src Source, topic string, n int) ([]message.MessageExt, admin.TopicStatus, error) {
	ts, err := src.TopicStatus(ctx, topic)
	if err != nil {
		return nil, ts, err
	}
	addrs := map[string]string{}
	for _, it := range ts.Brokers.Items {
		if it.Err == nil {
			addrs[it.Name] = it.Addr
		}
	}
	var out []message.MessageExt
	var errs []error
	for _, q := range ts.Queues {
		if q.MaxOffset <= q.MinOffset || addrs[q.BrokerName] == "" {
			continue
		}
		from := max(q.MinOffset, q.MaxOffset-int64(n))
		_, err := src.ScanQueue(ctx, admin.QueueScan{Addr: addrs[q.BrokerName], BrokerName: q.BrokerName, Topic: topic,
			QueueID: q.QueueID, From: from, To: q.MaxOffset}, func(m *message.MessageExt) bool {
			out = append(out, *m)
			return true
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s queue %d: %w", q.BrokerName, q.QueueID, err))
		}
	}
	slices.SortStableFunc(out, func(a, b message.MessageExt) int {
		if c := cmp.Compare(b.StoreTimestamp, a.StoreTimestamp); c != 0 {
			return c
		}
		return cmp.Compare(b.CommitLogOffset, a.CommitLogOffset)
	})
	if len(out) > n {
		out = out[:n]
	}
	if len(errs) > 0 {
		return out, ts, fmt.Errorf("tui: browse %s: %w", topic, errs[0])
	}
	return out, ts, nil
}
