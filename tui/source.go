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

// Source is what the TUI asks the cluster: the admin functions the CLI uses for the same
// questions. *admin.Admin implements it; tests pass a fake.
type Source interface {
	ClusterInfo(ctx context.Context) (protocol.ClusterInfo, error)
	RuntimeInfos(ctx context.Context, bs []admin.Broker) admin.Results[map[string]string]
	BrokerRuntimeInfo(ctx context.Context, addr string) (map[string]string, error)
	BrokerConfig(ctx context.Context, addr string) (map[string]string, error)
	HAStatus(ctx context.Context, addr string) (protocol.HARuntimeInfo, error)
	TopicList(ctx context.Context) ([]string, error)
	SystemTopics(ctx context.Context) ([]string, error)
	AllTopicConfig(ctx context.Context, addr string) (protocol.TopicConfigSerializeWrapper, error)
	TopicRoute(ctx context.Context, topic string) (protocol.TopicRouteData, error)
	TopicStatus(ctx context.Context, topic string) (admin.TopicStatus, error)
	StatsAll(ctx context.Context, topics []string) (admin.StatsAll, error)
	TopicConsumers(ctx context.Context, addr, topic string) ([]string, error)
	GroupList(ctx context.Context, bs []admin.Broker) admin.GroupList
	GroupProgress(ctx context.Context, group, topic string) (admin.GroupProgress, error)
	ProgressDetails(ctx context.Context, gp *admin.GroupProgress, owners bool) error
	GroupConnections(ctx context.Context, group string) (admin.GroupConnections, error)
	SearchOffset(ctx context.Context, addr, topic string, queueID int32, ts int64) (int64, error)
	ScanQueue(ctx context.Context, q admin.QueueScan, fn func(*message.MessageExt) bool) (int, error)
	QueryByKey(ctx context.Context, topic, key string, begin, end int64, limit int) (admin.KeyQuery, error)
	MessageByID(ctx context.Context, topic, id string) ([]admin.FoundMessage, admin.IDKind, error)
	MessageTrace(ctx context.Context, traceTopic, msgID string) (admin.Trace, error)
	DelayStatus(ctx context.Context, addr string) (admin.DelayStatus, error)
	TransactionStatus(ctx context.Context, addr string, limit int32) (admin.TxnStatus, error)

	// Mutations (refused in read-only mode before they are asked).
	PlanReset(ctx context.Context, group, topic string, to admin.ResetTo) (admin.ResetPlan, error)
	ApplyReset(ctx context.Context, p *admin.ResetPlan) error
	CreateTopic(ctx context.Context, bs []admin.Broker, tc protocol.TopicConfig) admin.Results[struct{}]
	DeleteTopic(ctx context.Context, topic, cluster string) (admin.DeleteTopicResult, error)
	DeleteGroup(ctx context.Context, bs []admin.Broker, group string, cleanOffset bool) admin.Results[struct{}]
	ConsumeAgain(ctx context.Context, topic, id, group, client string) (admin.ConsumedAgain, error)
	DeadLetters(ctx context.Context, group, id string, max int) ([]message.MessageExt, error)
	ResendDeadLetters(ctx context.Context, group string, msgs []message.MessageExt) []admin.Resent
}

// cursor is where a newest-first browse of one queue stands: the lowest offset read so far
// (the next page reads below it) and the queue's min offset.
type cursor struct {
	Addr, BrokerName string
	QueueID          int32
	Min, Low         int64
}

// browse reads, for every queue of topic, the n messages below each cursor's Low (the queue's
// max on the first page), merged newest first, and returns the cursors moved down. A queue
// with more than admin.ScanBatch messages to read is read in several pulls (admin.ScanQueue).
func browse(ctx context.Context, src Source, topic string, cur []cursor, n int) ([]admin.FoundMessage, []cursor, error) {
	var out []admin.FoundMessage
	var errs []error
	next := slices.Clone(cur)
	for i, c := range cur {
		if c.Low <= c.Min {
			continue
		}
		from := max(c.Min, c.Low-int64(n))
		_, err := src.ScanQueue(ctx, admin.QueueScan{Addr: c.Addr, BrokerName: c.BrokerName, Topic: topic, QueueID: c.QueueID,
			From: from, To: c.Low}, func(m *message.MessageExt) bool {
			out = append(out, admin.FoundMessage{BrokerName: c.BrokerName, Addr: c.Addr, MessageExt: *m})
			return true
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s queue %d: %w", c.BrokerName, c.QueueID, err))
			continue
		}
		next[i].Low = from
	}
	newestFirst(out)
	if len(errs) > 0 {
		return out, next, fmt.Errorf("tui: browse %s: %w", topic, errs[0])
	}
	return out, next, nil
}

// cursors starts a browse at the top of every answered queue of ts.
func cursors(ts admin.TopicStatus) []cursor {
	addrs := map[string]string{}
	for _, it := range ts.Brokers.Items {
		if it.Err == nil {
			addrs[it.Name] = it.Addr
		}
	}
	var out []cursor
	for _, q := range ts.Queues {
		if addrs[q.BrokerName] != "" {
			out = append(out, cursor{Addr: addrs[q.BrokerName], BrokerName: q.BrokerName, QueueID: q.QueueID, Min: q.MinOffset, Low: q.MaxOffset})
		}
	}
	return out
}

func newestFirst(ms []admin.FoundMessage) {
	slices.SortStableFunc(ms, func(a, b admin.FoundMessage) int {
		if c := cmp.Compare(b.StoreTimestamp, a.StoreTimestamp); c != 0 {
			return c
		}
		return cmp.Compare(b.CommitLogOffset, a.CommitLogOffset)
	})
}
