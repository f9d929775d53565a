package admin

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/mq-project/mq/protocol"
)

// NamespaceOrderTopicConfig is the nameserver KV namespace where mqadmin records ordered
// topics (NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG): key = topic, value =
// "brokerName:queues;brokerName:queues". Apache's broker ignores the order flag of
// UPDATE_AND_CREATE_TOPIC; clients and the nameserver's route (orderTopicConf) read this.
const NamespaceOrderTopicConfig = "ORDER_TOPIC_CONFIG"

// FormatOrderConf writes an ORDER_TOPIC_CONFIG value, brokers sorted by name.
func FormatOrderConf(queues map[string]int32) string {
	names := make([]string, 0, len(queues))
	for n := range queues {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ":" + strconv.Itoa(int(queues[n]))
	}
	return strings.Join(parts, ";")
}

// ParseOrderConf reads an ORDER_TOPIC_CONFIG value; items without a number are kept with 0.
func ParseOrderConf(s string) map[string]int32 {
	out := map[string]int32{}
	for _, item := range strings.Split(s, ";") {
		name, n, _ := strings.Cut(strings.TrimSpace(item), ":")
		if name == "" {
			continue
		}
		q, _ := strconv.Atoi(n)
		out[name] = int32(q)
	}
	return out
}

// PutOrderConf records topic as ordered on every nameserver, as mqadmin updateTopic -o true
// does (DefaultMQAdminExt.createOrUpdateOrderConf): with replace (its -c form) the value is
// exactly queues (brokerName → write queues); without (its -b form) queues are merged into the
// value the nameservers hold. It returns the value written.
func (a *Admin) PutOrderConf(ctx context.Context, topic string, queues map[string]int32, replace bool) (string, Results[struct{}]) {
	merged := map[string]int32{}
	if !replace {
		if old, err := a.KV(ctx, NamespaceOrderTopicConfig, topic); err == nil {
			merged = ParseOrderConf(old)
		}
	}
	for n, q := range queues {
		merged[n] = q
	}
	value := FormatOrderConf(merged)
	return value, a.PutKV(ctx, NamespaceOrderTopicConfig, topic, value)
}

// CreateOrderedTopic creates tc on every broker of bs and, when tc.Order is set, records the
// order configuration on the nameservers (PutOrderConf; replace as mqadmin's -c form does).
// The nameservers' answers are nil when tc is not ordered.
func (a *Admin) CreateOrderedTopic(ctx context.Context, bs []Broker, tc protocol.TopicConfig, replace bool) (Results[struct{}], *Results[struct{}]) {
	res := a.CreateTopic(ctx, bs, tc)
	if !tc.Order {
		return res, nil
	}
	queues := map[string]int32{}
	for i, it := range res.Items {
		if it.Err == nil && bs[i].Name != "" {
			queues[bs[i].Name] = tc.WriteQueueNums
		}
	}
	if len(queues) == 0 {
		return res, nil
	}
	_, ns := a.PutOrderConf(ctx, tc.TopicName, queues, replace)
	return res, &ns
}
