package namesrv

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/mq-project/mq/protocol"
)

// TestAcceptanceGoClient is the acceptance test: a real NameServer on loopback gets a
// REGISTER_BROKER from our remoting client, then the official Go client asks for the route and
// sees the broker's queues, and its admin API lists the topic.
func TestAcceptanceGoClient(t *testing.T) {
	rlog.SetLogLevel("fatal")
	_, addr := startServer(t, testConfig(t))
	c := newClient(t)
	body := registerBody(t, 1, tc("TopicTest", 4, 4), tc("TBW102", 8, 8))
	resp := invoke(t, c, addr, protocol.RegisterBroker, &protocol.RegisterBrokerRequestHeader{
		BrokerName: "broker-a", BrokerAddr: "127.0.0.1:10911", ClusterName: "DefaultCluster",
		HAServerAddr: "127.0.0.1:10912", BodyCrc32: protocol.BodyCRC32(body)}, body)
	wantCode(t, resp, protocol.Success)

	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{addr})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adm.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	list, err := adm.FetchAllTopicList(ctx)
	if err != nil {
		t.Fatalf("FetchAllTopicList: %v", err)
	}
	if !slices.Contains(list.TopicList, "TopicTest") {
		t.Fatalf("topic list %v lacks TopicTest", list.TopicList)
	}

	mqs, err := adm.FetchPublishMessageQueues(ctx, "TopicTest")
	if err != nil {
		t.Fatalf("FetchPublishMessageQueues: %v", err)
	}
	if len(mqs) != 4 {
		t.Fatalf("got %d queues, want 4: %v", len(mqs), mqs)
	}
	ids := make([]int, 0, len(mqs))
	for _, mq := range mqs {
		if mq.BrokerName != "broker-a" || mq.Topic != "TopicTest" {
			t.Fatalf("queue %+v", mq)
		}
		ids = append(ids, mq.QueueId)
	}
	sort.Ints(ids)
	if !slices.Equal(ids, []int{0, 1, 2, 3}) {
		t.Fatalf("queue ids %v", ids)
	}

	// An unknown topic is an error for GoC, not a crash.
	if _, err := adm.FetchPublishMessageQueues(ctx, "NoSuchTopic"); err == nil {
		t.Fatal("route for unknown topic")
	}
}
