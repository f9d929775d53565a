package admin_test

import (
	"strings"
	"testing"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
)

// TestServerErrorSentences: refusals read as sentences naming what was asked, without
// Apache's FAQ link; the code is still there for IsCode and the raw remark for debug output.
func TestServerErrorSentences(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	fb := startBroker(t, ns.Addr, admintest.Config{Groups: []string{"G"}})
	a := newAdmin(t, ns.Addr)

	_, err := a.TopicStats(ctxT(t), fb.Addr, admin.DLQTopic("G"))
	if want := "no dead-letter queue for group G (topic %DLQ%G does not exist)"; err == nil || err.Error() != want {
		t.Errorf("DLQ stats: %v, want %q", err, want)
	}
	if !admin.IsCode(err, protocol.TopicNotExist) {
		t.Errorf("IsCode(17) false for %v", err)
	}

	_, err = a.Send(ctxT(t), fb.Addr, admin.SendRequest{BrokerName: "broker-a", Message: message.Message{Topic: "Nope", Body: []byte("x")}})
	ses := admin.ServerErrors(err)
	if err == nil || err.Error() != "topic Nope does not exist" || len(ses) != 1 || !strings.Contains(ses[0].Remark, "See http") ||
		!strings.Contains(ses[0].Raw(), "TOPIC_NOT_EXIST (17)") {
		t.Errorf("send to a missing topic: %v %+v", err, ses)
	}

	_, err = a.ConsumerConnections(ctxT(t), fb.Addr, "Nobody")
	if err == nil || !strings.HasPrefix(err.Error(), "group Nobody is not online") {
		t.Errorf("connections: %v", err)
	}
	_, err = a.Send(ctxT(t), fb.Addr, admin.SendRequest{BrokerName: "broker-a", Message: message.Message{Topic: admin.RetryTopic("Nobody"), Body: []byte("x")}})
	if err == nil || err.Error() != "group Nobody does not exist on broker "+fb.Addr {
		t.Errorf("send to an unknown group's retry topic: %v", err)
	}

	// The nameserver's refusals too (mq's nameserver here).
	_, err = a.TopicRoute(ctxT(t), "Nope")
	if err == nil || err.Error() != "topic Nope does not exist" {
		t.Errorf("route: %v", err)
	}
	_, err = a.KV(ctxT(t), "NS", "k")
	if err == nil || err.Error() != "no key k in namespace NS" || !admin.IsCode(err, protocol.QueryNotFound) {
		t.Errorf("kv: %v", err)
	}

	// A fan-out keeps every refusal findable.
	res := a.CreateTopic(ctxT(t), []admin.Broker{{Name: "broker-a", Addr: fb.Addr}}, protocol.NewTopicConfig("TBW102"))
	if ses := admin.ServerErrors(res.Err()); len(ses) != 1 || ses[0].Code != protocol.InvalidParameter {
		t.Errorf("fan-out refusals: %+v", ses)
	}
}

func TestCleanRemark(t *testing.T) {
	for in, want := range map[string]string{
		"topic[X] not exist, apply first please!\nSee http://rocketmq.apache.org/docs/faq/ for further details.":                            "topic[X] not exist, apply first please!",
		"No topic route info in name server for the topic: X\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.": "No topic route info in name server for the topic: X",
		"the consumer group[G] not online, For more information, please visit the url, https://rocketmq.apache.org/docs/":                   "the consumer group[G] not online",
		"plain": "plain",
	} {
		if got := admin.CleanRemark(in); got != want {
			t.Errorf("CleanRemark(%q) = %q, want %q", in, got, want)
		}
	}
}
