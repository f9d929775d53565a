package broker

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// recorder answers the broker→client requests of one code and records them.
type recorder struct {
	mu   sync.Mutex
	reqs []*remoting.Command
	resp func(req *remoting.Command) *remoting.Command
}

func (r *recorder) handler() remoting.Handler {
	return remoting.HandlerFunc(func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
		r.mu.Lock()
		r.reqs = append(r.reqs, req)
		r.mu.Unlock()
		if r.resp == nil {
			return nil
		}
		return r.resp(req)
	})
}

func (r *recorder) last() *remoting.Command {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		return nil
	}
	return r.reqs[len(r.reqs)-1]
}

// clientWith returns a client answering code with rec.
func clientWith(t *testing.T, code protocol.RequestCode, rec *recorder) *remoting.Client {
	c := remoting.NewClient(remoting.ClientConfig{Logger: testLogger(t)})
	c.Handle(int16(code), rec.handler())
	t.Cleanup(func() { c.Close() })
	return c
}

// TestSendReplyMessage: SEND_REPLY_MESSAGE (324) is pushed as PUSH_REPLY_MESSAGE_TO_CLIENT
// (326) to the producer whose client id is REPLY_TO_CLIENT, with the body, the properties
// plus PUSH_REPLY_TIME, and bornHost/storeHost; an unknown requester is SYSTEM_ERROR
// (trap §7.31).
func TestSendReplyMessage(t *testing.T) {
	br, addr := startBroker(t, testConfig(t), nil)
	rec := &recorder{resp: func(req *remoting.Command) *remoting.Command { return remoting.NewResponse(req, 0, "") }}
	requester := clientWith(t, protocol.PushReplyMessageToClient, rec)
	wantCode(t, call(t, requester, addr, protocol.HeartBeat, nil, heartbeatBody("req@1", "", "pgReq")), protocol.Success)
	replier := newTestClient(t, nil)
	replyTopic := br.cfg.BrokerClusterName + "_REPLY_TOPIC"
	send := func(to string) *remoting.Command {
		props := map[string]string{message.PropertyMessageReplyToClient: to, message.PropertyCorrelationID: "corr-1",
			message.PropertyMessageType: "reply"}
		h := &protocol.SendMessageRequestHeader{ProducerGroup: "pgRep", Topic: replyTopic, DefaultTopic: "TBW102",
			DefaultTopicQueueNums: 4, QueueID: 0, BornTimestamp: time.Now().UnixMilli(), Properties: message.EncodeProperties(props)}
		ext := map[string]string{}
		h.Encode(ext)
		resp, err := replier.InvokeSync(t.Context(), addr, remoting.NewRequest(int16(protocol.SendReplyMessage), ext, []byte("pong")))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := send("req@1")
	wantCode(t, resp, protocol.Success)
	if resp.ExtFields["msgId"] != "0" {
		t.Fatalf("reply answer %v", resp.ExtFields)
	}
	got := rec.last()
	if got == nil {
		t.Fatal("no PUSH_REPLY_MESSAGE_TO_CLIENT")
	}
	var rh protocol.ReplyMessageRequestHeader
	if err := protocol.DecodeHeader(got.ExtFields, &rh); err != nil {
		t.Fatal(err)
	}
	props := message.DecodeProperties([]byte(rh.Properties))
	if string(got.Body) != "pong" || rh.Topic != replyTopic || props[message.PropertyCorrelationID] != "corr-1" ||
		props[message.PropertyPushReplyTime] == "" || props[message.PropertyCluster] != br.cfg.BrokerClusterName ||
		rh.StoreHost != br.storeHost.String() || rh.BornHost == "" || rh.StoreTimestamp == 0 {
		t.Fatalf("pushed %+v body %q props %v", rh, got.Body, props)
	}
	checkFor(t, 5*time.Second, time.Millisecond, func() error { // stored (storeReplyMessageEnable)
		if br.ms.MaxOffset(replyTopic, 0) != 1 {
			return errNotYet
		}
		return nil
	})
	resp = send("nobody@1")
	wantCode(t, resp, protocol.SystemError)
	if !strings.Contains(resp.Remark, "nobody@1") {
		t.Fatalf("remark %q", resp.Remark)
	}
}

// TestResetOffset: INVOKE_BROKER_TO_RESET_OFFSET moves the committed offsets to the
// timestamp's offsets, answers the ResetOffsetBody and sends RESET_CONSUMER_CLIENT_OFFSET
// (220) with the same table to online members; without isForce offsets only move back.
func TestResetOffset(t *testing.T) {
	br, addr := startBroker(t, testConfig(t), nil)
	c := newTestClient(t, nil)
	for range 4 {
		wantCode(t, sendOne(t, c, addr, "ResetT", 0, nil, []byte("x")), protocol.Success)
	}
	rec := &recorder{}
	member := clientWith(t, protocol.ResetConsumerClientOffset, rec)
	wantCode(t, call(t, member, addr, protocol.HeartBeat, nil, heartbeatBody("m@1", "gReset", "", "ResetT")), protocol.Success)
	br.offsets.Commit("gReset", "ResetT", 0, 4)
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if br.ms.MaxOffset("ResetT", 0) != 4 {
			return errNotYet
		}
		return nil
	})
	resp := call(t, c, addr, protocol.InvokeBrokerToResetOffset,
		&protocol.ResetOffsetRequestHeader{Topic: "ResetT", Group: "gReset", Timestamp: 0, QueueID: -1}, nil)
	wantCode(t, resp, protocol.Success)
	if !strings.Contains(string(resp.Body), `{"brokerName":"broker-a","queueId":0,"topic":"ResetT"}:0`) {
		t.Fatalf("body %s", resp.Body)
	}
	if off, _ := br.offsets.Query("gReset", "ResetT", 0); off != 0 {
		t.Fatalf("offset after reset %d", off)
	}
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if r := rec.last(); r == nil || r.ExtFields["group"] != "gReset" || string(r.Body) != string(resp.Body) {
			return errNotYet
		}
		return nil
	})
	// To the end (-1) needs isForce to move forward.
	call(t, c, addr, protocol.InvokeBrokerToResetOffset, &protocol.ResetOffsetRequestHeader{Topic: "ResetT", Group: "gReset", Timestamp: -1, QueueID: -1}, nil)
	if off, _ := br.offsets.Query("gReset", "ResetT", 0); off != 0 {
		t.Fatalf("unforced reset moved forward to %d", off)
	}
	call(t, c, addr, protocol.InvokeBrokerToResetOffset, &protocol.ResetOffsetRequestHeader{Topic: "ResetT", Group: "gReset", Timestamp: -1, IsForce: true, QueueID: -1}, nil)
	if off, _ := br.offsets.Query("gReset", "ResetT", 0); off != 4 {
		t.Fatalf("forced reset to the end: %d", off)
	}
	wantCode(t, call(t, c, addr, protocol.InvokeBrokerToResetOffset, &protocol.ResetOffsetRequestHeader{Topic: "NoSuch", Group: "gReset"}, nil), protocol.TopicNotExist)
}

// TestConsumerRelayAndLookups: GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY are
// relayed to the client's connection and its answer returned; an offline client is
// SYSTEM_ERROR. QUERY_TOPIC_CONSUME_BY_WHO, QUERY_TOPICS_BY_CONSUMER and CLONE_GROUP_OFFSET
// read and copy the offset table.
func TestConsumerRelayAndLookups(t *testing.T) {
	br, addr := startBroker(t, testConfig(t), nil)
	admin := newTestClient(t, nil)
	rec := &recorder{resp: func(req *remoting.Command) *remoting.Command {
		r := remoting.NewResponse(req, 0, "")
		r.Body = []byte(`{"properties":{"PROP_CLIENT_VERSION":"v2"},"echo":"` + req.ExtFields["brokerName"] + `"}`)
		return r
	}}
	member := remoting.NewClient(remoting.ClientConfig{Logger: testLogger(t)})
	member.Handle(int16(protocol.GetConsumerRunningInfo), rec.handler())
	member.Handle(int16(protocol.ConsumeMessageDirectly), rec.handler())
	t.Cleanup(func() { member.Close() })
	wantCode(t, call(t, member, addr, protocol.HeartBeat, nil, heartbeatBody("m@1", "gRelay", "", "RelayT")), protocol.Success)

	resp := call(t, admin, addr, protocol.GetConsumerRunningInfo,
		&protocol.GetConsumerRunningInfoRequestHeader{ConsumerGroup: "gRelay", ClientID: "m@1"}, nil)
	wantCode(t, resp, protocol.Success)
	if !strings.Contains(string(resp.Body), "PROP_CLIENT_VERSION") {
		t.Fatalf("running info %s", resp.Body)
	}
	wantCode(t, call(t, admin, addr, protocol.GetConsumerRunningInfo,
		&protocol.GetConsumerRunningInfoRequestHeader{ConsumerGroup: "gRelay", ClientID: "gone@1"}, nil), protocol.SystemError)

	sent := sendOne(t, admin, addr, "RelayT", 0, nil, []byte("direct"))
	wantCode(t, sent, protocol.Success)
	resp = call(t, admin, addr, protocol.ConsumeMessageDirectly, &protocol.ConsumeMessageDirectlyResultRequestHeader{
		ConsumerGroup: "gRelay", ClientID: "m@1", MsgID: sent.ExtFields["msgId"]}, nil)
	wantCode(t, resp, protocol.Success)
	got := rec.last()
	if m, err := message.DecodeStoredAll(got.Body); err != nil || len(m) != 1 || string(m[0].Body) != "direct" ||
		!strings.Contains(string(resp.Body), `"echo":"broker-a"`) {
		t.Fatalf("relayed body %v %v, answer %s", m, err, resp.Body)
	}

	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if br.ms.MaxOffset("RelayT", 0) != 1 {
			return errNotYet
		}
		return nil
	})
	br.offsets.Commit("gRelay", "RelayT", 0, 1)
	br.offsets.Commit("gOld", "RelayT", 0, 1)
	resp = call(t, admin, addr, protocol.QueryTopicConsumeByWho, &protocol.QueryTopicConsumeByWhoRequestHeader{Topic: "RelayT"}, nil)
	var gl protocol.GroupList
	if err := json.Unmarshal(resp.Body, &gl); err != nil || strings.Join(gl.GroupList, ",") != "gOld,gRelay" {
		t.Fatalf("consume by who %s %v", resp.Body, err)
	}
	resp = call(t, admin, addr, protocol.QueryTopicsByConsumer, &protocol.QueryTopicsByConsumerRequestHeader{Group: "gOld"}, nil)
	var tl protocol.TopicList
	if err := json.Unmarshal(resp.Body, &tl); err != nil || strings.Join(tl.TopicList, ",") != "RelayT" || tl.BrokerAddr == "" {
		t.Fatalf("topics by consumer %s %v", resp.Body, err)
	}
	wantCode(t, call(t, admin, addr, protocol.CloneGroupOffset, &protocol.CloneGroupOffsetRequestHeader{SrcGroup: "gOld", DestGroup: "gNew"}, nil), protocol.Success)
	if off, ok := br.offsets.Query("gNew", "RelayT", 0); !ok || off != 1 {
		t.Fatalf("cloned offset %d %v", off, ok)
	}
	resp = call(t, admin, addr, protocol.GetBrokerConsumeStats, &protocol.GetBrokerConsumeStatsRequestHeader{}, nil)
	wantCode(t, resp, protocol.Success)
	if !strings.Contains(string(resp.Body), `"gRelay":[{`) || !strings.Contains(string(resp.Body), `"totalDiff":0`) {
		t.Fatalf("broker consume stats %s", resp.Body)
	}
}
