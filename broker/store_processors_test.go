package broker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

var errNotYet = errors.New("not yet")

func sendOne(t *testing.T, c *remoting.Client, addr, topic string, qid int32, props map[string]string, body []byte) *remoting.Command {
	t.Helper()
	h := &protocol.SendMessageRequestHeader{ProducerGroup: "pg", Topic: topic, DefaultTopic: "TBW102",
		DefaultTopicQueueNums: 4, QueueID: qid, BornTimestamp: time.Now().UnixMilli(),
		Properties: message.EncodeProperties(props)}
	ext := map[string]string{}
	h.Encode(ext)
	resp, err := c.InvokeSync(t.Context(), addr, remoting.NewRequest(int16(protocol.SendMessage), ext, body))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func pullHeader(topic string, qid int32, off int64, sysFlag int32, sub string) *protocol.PullMessageRequestHeader {
	return &protocol.PullMessageRequestHeader{ConsumerGroup: "gp", Topic: topic, QueueID: qid, QueueOffset: off,
		MaxMsgNums: 32, SysFlag: sysFlag, SuspendTimeoutMillis: 20000, Subscription: sub, ExpressionType: "TAG"}
}

func pullExt(resp *remoting.Command) (next, minOff, maxOff int64) {
	var h protocol.PullMessageResponseHeader
	h.Decode(resp.ExtFields)
	return h.NextBeginOffset, h.MinOffset, h.MaxOffset
}

// TestPullResultCodes covers the pull table of §5.4 and traps §7.14 (every pull response has
// nextBeginOffset/minOffset/maxOffset/suggestWhichBrokerId) and §7.21 (maxMsgNums 0 returns
// one message).
func TestPullResultCodes(t *testing.T) {
	br, addr := startBroker(t, testConfig(t), nil)
	c := newTestClient(t, nil)
	for i := range 3 {
		wantCode(t, sendOne(t, c, addr, "PullT", 0, map[string]string{"TAGS": "TagA"}, []byte("m"+strconv.Itoa(i))), protocol.Success)
	}
	wantCode(t, sendOne(t, c, addr, "PullT", 0, map[string]string{"TAGS": "TagB"}, []byte("b")), protocol.Success)
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if br.ms.MaxOffset("PullT", 0) != 4 {
			return errNotYet
		}
		return nil
	})
	tests := []struct {
		name             string
		h                *protocol.PullMessageRequestHeader
		code             protocol.ResponseCode
		msgs             int
		next, minO, maxO int64
	}{
		{"found", pullHeader("PullT", 0, 0, 4, "*"), protocol.Success, 4, 4, 0, 4},
		{"maxMsgNums=0", func() *protocol.PullMessageRequestHeader {
			h := pullHeader("PullT", 0, 1, 4, "*")
			h.MaxMsgNums = 0
			return h
		}(), protocol.Success, 1, 2, 0, 4},
		{"tag=TagB", pullHeader("PullT", 0, 0, 4, "TagB"), protocol.Success, 1, 4, 0, 4},
		{"no match", pullHeader("PullT", 0, 0, 4, "TagC"), protocol.PullRetryImmediately, 0, 4, 0, 4},
		{"overflow one", pullHeader("PullT", 0, 4, 4, "*"), protocol.PullNotFound, 0, 4, 0, 4},
		{"overflow badly", pullHeader("PullT", 0, 9, 4, "*"), protocol.PullOffsetMoved, 0, 0, 0, 4},
		{"empty queue offset=0", pullHeader("PullT", 1, 0, 4, "*"), protocol.PullNotFound, 0, 0, 0, 0},
		{"empty queue offset=5", pullHeader("PullT", 1, 5, 4, "*"), protocol.PullOffsetMoved, 0, 0, 0, 0},
		{"bad queue", pullHeader("PullT", 99, 0, 4, "*"), protocol.InvalidParameter, 0, -1, -1, -1},
		{"unknown topic", pullHeader("NoSuch", 0, 0, 4, "*"), protocol.TopicNotExist, 0, -1, -1, -1},
		{"no subscription", pullHeader("PullT", 0, 0, 0, ""), protocol.SubscriptionNotExist, 0, -1, -1, -1},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			resp := call(t, c, addr, protocol.PullMessage, tt.h, nil)
			wantCode(t, resp, tt.code)
			if tt.next < 0 {
				return
			}
			for _, k := range []string{"nextBeginOffset", "minOffset", "maxOffset", "suggestWhichBrokerId"} {
				if _, ok := resp.ExtFields[k]; !ok {
					t.Fatalf("response lacks %s: %v", k, resp.ExtFields)
				}
			}
			if n, mi, ma := pullExt(resp); n != tt.next || mi != tt.minO || ma != tt.maxO {
				t.Fatalf("next/min/max %d/%d/%d, want %d/%d/%d", n, mi, ma, tt.next, tt.minO, tt.maxO)
			}
			ms, err := message.DecodeStoredAll(resp.Body)
			if err != nil || len(ms) != tt.msgs {
				t.Fatalf("%d messages (%v), want %d", len(ms), err, tt.msgs)
			}
		})
	}
}

// waitMaxOffset waits until queue qid of topic holds n messages: a send is answered once
// its record is in the CommitLog, before the dispatcher has put it in the ConsumeQueue.
func waitMaxOffset(t *testing.T, br *Broker, topic string, qid int32, n int64) {
	t.Helper()
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if got := br.ms.MaxOffset(topic, qid); got != n {
			return fmt.Errorf("%s/%d at %d, want %d", topic, qid, got, n)
		}
		return nil
	})
}

// TestLongPollWokenBySend: a pull at the queue's end with SUSPEND is held and answered with
// the message as soon as it is dispatched, not at the timeout.
func TestLongPollWokenBySend(t *testing.T) {
	br, addr := startBroker(t, testConfig(t), nil)
	c := newTestClient(t, nil)
	wantCode(t, sendOne(t, c, addr, "LP", 0, nil, []byte("0")), protocol.Success)
	waitMaxOffset(t, br, "LP", 0, 1) // a pull past a queue not yet dispatched is answered at once
	type result struct {
		resp *remoting.Command
		took time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		ext := protocol.EncodeHeader(pullHeader("LP", 0, 1, pullSuspend|pullSubscription, "*"))
		resp, err := c.InvokeSync(context.Background(), addr, remoting.NewRequest(int16(protocol.PullMessage), ext, nil))
		if err != nil {
			resp = remoting.NewResponse(&remoting.Command{}, -1, err.Error())
		}
		done <- result{resp, time.Since(start)}
	}()
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if br.hold.held() != 1 {
			return errNotYet
		}
		return nil
	})
	wantCode(t, sendOne(t, c, addr, "LP", 0, nil, []byte("1")), protocol.Success)
	r := <-done
	wantCode(t, r.resp, protocol.Success)
	if r.took > 5*time.Second {
		t.Fatalf("held %v", r.took)
	}
	if ms, _ := message.DecodeStoredAll(r.resp.Body); len(ms) != 1 || string(ms[0].Body) != "1" {
		t.Fatalf("woken pull returned %v", ms)
	}
}

// TestHeldPullsFreeTheirWorkers: held pulls do not occupy pull workers, so with a 2-worker
// pull pool, 20 held pulls leave room for other pulls, and each held one is answered when
// its queue gets a message.
func TestHeldPullsFreeTheirWorkers(t *testing.T) {
	cfg := testConfig(t)
	cfg.PullMessageThreadPoolNums = 2
	br, addr := startBroker(t, cfg, nil)
	c := newTestClient(t, nil)
	const held = 20
	wantCode(t, sendOne(t, c, addr, "HP", 0, nil, []byte("0")), protocol.Success)
	waitMaxOffset(t, br, "HP", 0, 1)
	done := make(chan *remoting.Command, held)
	for range held {
		go func() {
			h := pullHeader("HP", 0, 1, pullSuspend|pullSubscription, "*")
			h.SuspendTimeoutMillis = 20000
			ext := protocol.EncodeHeader(h)
			resp, err := c.InvokeSync(context.Background(), addr, remoting.NewRequest(int16(protocol.PullMessage), ext, nil))
			if err != nil {
				resp = remoting.NewResponse(&remoting.Command{}, -1, err.Error())
			}
			done <- resp
		}()
	}
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if br.hold.held() != held {
			return errNotYet
		}
		return nil
	})
	// The pool is free: a pull with something to read is answered at once.
	wantCode(t, call(t, c, addr, protocol.PullMessage, pullHeader("HP", 0, 0, pullSubscription, "*"), nil), protocol.Success)
	wantCode(t, sendOne(t, c, addr, "HP", 0, nil, []byte("1")), protocol.Success)
	for range held {
		select {
		case r := <-done:
			wantCode(t, r, protocol.Success)
		case <-time.After(5 * time.Second):
			t.Fatal("a held pull was not answered after the message arrived")
		}
	}
}

// TestLongPollTimeout: a held pull with nothing new is answered PULL_NOT_FOUND after its
// suspend timeout, with the offsets (trap §7.14).
func TestLongPollTimeout(t *testing.T) {
	_, addr := startBroker(t, testConfig(t), nil)
	c := newTestClient(t, nil)
	h := pullHeader("TBW102", 0, 0, pullSuspend|pullSubscription, "*")
	h.SuspendTimeoutMillis = 200
	start := time.Now()
	resp := call(t, c, addr, protocol.PullMessage, h, nil)
	wantCode(t, resp, protocol.PullNotFound)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("answered after %v, want the 200 ms hold", d)
	}
	if _, ok := resp.ExtFields["nextBeginOffset"]; !ok {
		t.Fatal("no nextBeginOffset")
	}
}

// TestSendBackToRetryThenDLQ: CONSUMER_SEND_MSG_BACK takes the CommitLog offset (trap §7.19),
// stores the message in SCHEDULE_TOPIC_XXXX for %RETRY%<group> with reconsumeTimes+1, and
// into %DLQ%<group> once reconsumeTimes >= maxReconsumeTimes.
func TestSendBackToRetryThenDLQ(t *testing.T) {
	br, addr := startBroker(t, testConfig(t), nil)
	c := newTestClient(t, nil)
	resp := sendOne(t, c, addr, "SB", 0, map[string]string{"KEYS": "k1"}, []byte("x"))
	wantCode(t, resp, protocol.Success)
	_, phys, err := message.ParseOffsetMsgID(resp.Ext("msgId"))
	if err != nil {
		t.Fatal(err)
	}
	back := func(off int64, maxTimes int32) {
		wantCode(t, call(t, c, addr, protocol.ConsumerSendMsgBack, &protocol.ConsumerSendMsgBackRequestHeader{
			Offset: off, Group: "gsb", OriginTopic: "SB", MaxReconsumeTimes: maxTimes}, nil), protocol.Success)
	}
	back(phys, 16)
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if br.ms.MaxOffset(TopicSchedule, 2) != 1 {
			return errNotYet
		}
		return nil
	})
	r, _ := br.ms.GetMessages(TopicSchedule, 2, 0, 1, nil)
	m := r.Messages[0].Ext(true)
	r.Release()
	if m.ReconsumeTimes != 1 || m.Properties["REAL_TOPIC"] != "%RETRY%gsb" || m.Properties["RETRY_TOPIC"] != "SB" ||
		m.Properties["DELAY"] != "3" || m.Properties["ORIGIN_MESSAGE_ID"] == "" {
		t.Fatalf("retry message %+v", m)
	}
	back(m.CommitLogOffset, 1) // reconsumeTimes 1 >= max 1: dead letter
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if br.ms.MaxOffset("%DLQ%gsb", 0) != 1 {
			return errNotYet
		}
		return nil
	})
	wantCode(t, call(t, c, addr, protocol.ConsumerSendMsgBack, &protocol.ConsumerSendMsgBackRequestHeader{
		Offset: 1 << 40, Group: "gsb"}, nil), protocol.SystemError)
}

// TestSendChecks: the send validation codes of §5.2.
func TestSendChecks(t *testing.T) {
	cfg := testConfig(t)
	_, addr := startBroker(t, cfg, nil)
	c := newTestClient(t, nil)
	long := make([]byte, 128)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name  string
		topic string
		qid   int32
		props map[string]string
		body  []byte
		code  protocol.ResponseCode
	}{
		{"ok", "SendOK", 0, nil, []byte("x"), protocol.Success},
		{"random queue", "SendOK", -1, nil, []byte("x"), protocol.Success},
		{"bad chars", "a b", 0, nil, []byte("x"), protocol.InvalidParameter},
		{"too long", string(long), 0, nil, []byte("x"), protocol.MessageIllegal},
		{"system topic", TopicSchedule, 0, nil, []byte("x"), protocol.NoPermission},
		{"queue out of range", "SendOK", 64, nil, []byte("x"), protocol.InvalidParameter},
		{"body too big", "SendOK", 0, nil, make([]byte, cfg.MaxMessageSize+1), protocol.MessageIllegal},
		{"retry topic created on send", "%RETRY%gc", 0, nil, []byte("x"), protocol.Success},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			wantCode(t, sendOne(t, c, addr, tt.topic, tt.qid, tt.props, tt.body), tt.code)
		})
	}
}

// TestLockManager: a queue lock is granted when free, own or expired (60 s), and refused
// otherwise.
func TestLockManager(t *testing.T) {
	l := newLockManager(lockMaxLive)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	q := []protocol.MessageQueue{{Topic: "T", BrokerName: "b", QueueID: 0}}
	if got := l.tryLock("g", "c1", q); len(got) != 1 {
		t.Fatal("free queue not locked")
	}
	if got := l.tryLock("g", "c2", q); len(got) != 0 {
		t.Fatal("held queue locked by another client")
	}
	if !l.isLocked("g") {
		t.Fatal("group not locked")
	}
	now = now.Add(lockMaxLive + time.Second)
	if got := l.tryLock("g", "c2", q); len(got) != 1 {
		t.Fatal("expired lock not taken over")
	}
	l.unlock("g", "c1", q) // not c1's any more
	if got := l.tryLock("g", "c1", q); len(got) != 0 {
		t.Fatal("unlock by a non-owner released the lock")
	}
	l.unlock("g", "c2", q)
	if l.isLocked("g") {
		t.Fatal("lock left after unlock")
	}
}
