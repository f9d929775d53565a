package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

// rawSend sends one message with SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) or, as a batch of
// one, SEND_BATCH_MESSAGE (320), as any client could.
func rawSend(t *testing.T, cl *remoting.Client, addr string, code protocol.RequestCode, topic string, qid int32, props map[string]string) *remoting.Command {
	t.Helper()
	return rawSendBody(t, cl, addr, code, topic, qid, props, []byte("raw"))
}

func rawSendBody(t *testing.T, cl *remoting.Client, addr string, code protocol.RequestCode, topic string, qid int32, props map[string]string, body []byte) *remoting.Command {
	t.Helper()
	h := protocol.SendMessageRequestHeader{ProducerGroup: "pgRaw", Topic: topic, DefaultTopic: "TBW102",
		DefaultTopicQueueNums: 4, QueueID: qid, BornTimestamp: time.Now().UnixMilli(), Properties: message.EncodeProperties(props)}
	ext := map[string]string{}
	switch code {
	case protocol.SendMessage:
		h.Encode(ext)
	case protocol.SendBatchMessage:
		h.Batch = true
		var err error
		if body, err = message.AppendBatch(nil, []message.Message{{Topic: topic, Body: body, Properties: props}}); err != nil {
			t.Fatal(err)
		}
		fallthrough
	default:
		v2 := protocol.SendMessageRequestHeaderV2(h)
		v2.Encode(ext)
	}
	resp, err := cl.InvokeSync(t.Context(), addr, remoting.NewRequest(int16(code), ext, body))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestInternalTopicsRefuseSends: no client can write an internal topic with any send code
// (Apache's NOT_ALLOWED_SEND_TOPIC_SET plus every rmq_sys_ topic, the timer's above all),
// while RMQ_SYS_TRACE_TOPIC stays writable.
func TestInternalTopicsRefuseSends(t *testing.T) {
	c := startCluster(t)
	c.waitRoute(t, "RMQ_SYS_TRACE_TOPIC")
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	internal := []string{"rmq_sys_wheel_timer", "SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC",
		"TRANS_CHECK_MAX_TIME_TOPIC", "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT", "rmq_sys_SYNC_BROKER_MEMBER_x"}
	for _, code := range []protocol.RequestCode{protocol.SendMessage, protocol.SendMessageV2, protocol.SendBatchMessage} {
		for _, topic := range internal {
			resp := rawSend(t, cl, c.b.Addr, code, topic, 0, map[string]string{"TIMER_OUT_MS": "1", "REAL_TOPIC": "x", "REAL_QID": "0"})
			if resp.Code != int16(protocol.NoPermission) {
				t.Errorf("%v to %s: code %d %q, want NO_PERMISSION", code, topic, resp.Code, resp.Remark)
			}
		}
		if resp := rawSend(t, cl, c.b.Addr, code, "RMQ_SYS_TRACE_TOPIC", 0, nil); resp.Code != 0 {
			t.Errorf("%v to RMQ_SYS_TRACE_TOPIC: code %d %q, want SUCCESS", code, resp.Code, resp.Remark)
		}
	}
	// Reply messages go through the same check.
	if resp := rawSend(t, cl, c.b.Addr, protocol.SendReplyMessageV2, "rmq_sys_wheel_timer", 0, nil); resp.Code != int16(protocol.NoPermission) {
		t.Errorf("SEND_REPLY_MESSAGE_V2 to rmq_sys_wheel_timer: code %d %q", resp.Code, resp.Remark)
	}
}

// TestTimerTrustsNothing is the attack of issue 12 item 1, against a real broker: anonymous
// sends to rmq_sys_wheel_timer (due 10^13 ms ahead; REAL_TOPIC ../../pwned; queue 5000 of a
// 1-queue topic) and TIMER_DELAY_SEC=9e18 are refused. The same poisoned entries written
// straight into the store (as an older log, or a master that did not check, would hold them)
// are clamped or skipped after a restart, write nothing outside the store, and a real timer
// message sent with the official client after them is still delivered on time.
func TestTimerTrustsNothing(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b", "store") // ../../pwned from consumequeue/ stays under root
	opts := func(cfg *broker.Config) {
		cfg.StorePathRootDir = dir
		cfg.TimerPrecisionMs = 100
	}
	b1 := mqtest.StartBroker(t, ns.Addr, opts)
	c := &cluster{ns: ns, b: b1}
	const topic = "HardenOne"
	c.createTopic(t, topic, 1)
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	now := time.Now().UnixMilli()
	poisons := []map[string]string{
		{"TIMER_OUT_MS": strconv.FormatInt(now+1e13, 10), "REAL_TOPIC": topic, "REAL_QID": "0", "KEYS": "far"},
		{"TIMER_OUT_MS": strconv.FormatInt(now, 10), "REAL_TOPIC": "../../pwned", "REAL_QID": "0", "KEYS": "pwned"},
		{"TIMER_OUT_MS": strconv.FormatInt(now, 10), "REAL_TOPIC": topic, "REAL_QID": "5000", "KEYS": "q5000"},
		{"TIMER_OUT_MS": strconv.FormatInt(now, 10), "REAL_TOPIC": "SCHEDULE_TOPIC_XXXX", "REAL_QID": "0", "KEYS": "internal"},
		{"TIMER_OUT_MS": strconv.FormatInt(now, 10), "REAL_TOPIC": "NoSuchTopic", "REAL_QID": "0", "KEYS": "nosuch"},
	}
	for _, p := range poisons {
		if resp := rawSend(t, cl, b1.Addr, protocol.SendMessage, "rmq_sys_wheel_timer", 0, p); resp.Code != int16(protocol.NoPermission) {
			t.Errorf("anonymous SEND to rmq_sys_wheel_timer (%s): code %d %q, want NO_PERMISSION", p["KEYS"], resp.Code, resp.Remark)
		}
	}
	if resp := rawSend(t, cl, b1.Addr, protocol.SendMessage, topic, 0, map[string]string{"TIMER_DELAY_SEC": "9000000000000000000"}); resp.Code != int16(protocol.MessageIllegal) {
		t.Errorf("TIMER_DELAY_SEC=9e18: code %d %q, want MESSAGE_ILLEGAL (not delivered at once)", resp.Code, resp.Remark)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b1.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	// Poison the store directly, the timer's topic and the delay levels' alike.
	sc := store.DefaultConfig()
	sc.StorePathRootDir = dir
	sc.MappedFileSizeCommitLog = b1.Config.CommitLogSize()
	sc.MappedFileSizeConsumeQueue = b1.Config.ConsumeQueueSize()
	sc.MaxHashSlotNum, sc.MaxIndexNum = b1.Config.MaxHashSlotNum, b1.Config.MaxIndexNum
	sc.StoreHost = netip.MustParseAddrPort(b1.Addr)
	st, err := store.Open(sc, mqtest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range poisons {
		m := &message.MessageExt{Message: message.Message{Topic: "rmq_sys_wheel_timer", Body: []byte(p["KEYS"]), Properties: p}}
		if _, err := st.Append(ctx, m); err != nil {
			t.Fatal(err)
		}
		d := map[string]string{"DELAY": "1", "REAL_TOPIC": p["REAL_TOPIC"], "REAL_QID": p["REAL_QID"], "KEYS": "delay-" + p["KEYS"]}
		m = &message.MessageExt{Message: message.Message{Topic: "SCHEDULE_TOPIC_XXXX", Body: []byte(d["KEYS"]), Properties: d}}
		if _, err := st.Append(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	b2 := mqtest.StartBroker(t, ns.Addr, opts, func(cfg *broker.Config) { cfg.ListenPort = b1.Config.ListenPort })
	c.b = b2
	c.waitRoute(t, topic)
	p := newProducer(t, c)
	sent := time.Now()
	res, err := p.SendSync(t.Context(), primitive.NewMessage(topic, []byte("good")).WithDelayTimestamp(sent.Add(time.Second)))
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("timer send: %v %v", res, err)
	}
	var got []message.MessageExt
	mqtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		got = rawPullAll(t, b2.Addr, topic, 0)
		for _, m := range got {
			if string(m.Body) == "good" {
				return nil
			}
		}
		return fmt.Errorf("good timer message not delivered behind the poisoned entries (%d in %s/0)", len(got), topic)
	})
	if d := time.Since(sent); d > 5*time.Second {
		t.Errorf("good timer message took %v", d)
	}
	for _, m := range got {
		if string(m.Body) == "far" {
			t.Errorf("entry due 10^13 ms ahead delivered at once")
		}
	}
	if ms := rawPullAll(t, b2.Addr, topic, 5000); len(ms) != 0 {
		t.Errorf("%d messages delivered to queue 5000 of a 1-queue topic", len(ms))
	}
	if _, err := os.Stat(filepath.Join(dir, "consumequeue", topic, "5000")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("consumequeue/%s/5000 exists: %v", topic, err)
	}
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && (strings.Contains(d.Name(), "pwned") || strings.Contains(d.Name(), "NoSuchTopic")) {
			t.Errorf("created %s", path)
		}
		return nil
	})
}

// TestSendRefusals: a batch with DELAY is MESSAGE_ILLEGAL (as Apache's
// CommitLog#asyncPutMessages), and a send that needs a CommitLog segment that cannot be
// created answers SERVICE_NOT_AVAILABLE (14, the client tries another broker) and stores
// nothing.
func TestSendRefusals(t *testing.T) {
	dir := t.TempDir()
	// A directory where the second 8 MiB segment's file goes: it cannot be created.
	if err := os.MkdirAll(filepath.Join(dir, "commitlog", "00000000000008388608", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := startCluster(t, func(cfg *broker.Config) { cfg.StorePathRootDir = dir })
	const topic = "HardenRefusals"
	c.createTopic(t, topic, 1)
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	if resp := rawSend(t, cl, c.b.Addr, protocol.SendBatchMessage, topic, 0, map[string]string{"DELAY": "2"}); resp.Code != int16(protocol.MessageIllegal) {
		t.Errorf("batch with DELAY=2: code %d %q, want MESSAGE_ILLEGAL", resp.Code, resp.Remark)
	}
	if resp := rawSend(t, cl, c.b.Addr, protocol.SendBatchMessage, topic, 0, map[string]string{"DELAY": "0"}); resp.Code != 0 {
		t.Errorf("batch with DELAY=0: code %d %q, want SUCCESS", resp.Code, resp.Remark)
	}
	body := make([]byte, 1000<<10)
	for i := range 12 {
		resp := rawSendBody(t, cl, c.b.Addr, protocol.SendMessage, topic, 0, nil, body)
		if resp.Code == 0 {
			continue
		}
		if resp.Code != int16(protocol.ServiceNotAvailable) || i < 7 {
			t.Fatalf("send %d: code %d %q, want SERVICE_NOT_AVAILABLE once the first segment is full", i, resp.Code, resp.Remark)
		}
		if strings.Contains(resp.Remark, dir) {
			t.Errorf("remark %q shows the store's path to a client", resp.Remark)
		}
		return
	}
	t.Fatal("every send succeeded past the first segment")
}
