package txn

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type offsets struct {
	mu sync.Mutex
	m  map[string]int64
}

func (o *offsets) Query(g, t string, q int32) (int64, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.m[g+t]
	return v, ok
}

func (o *offsets) Commit(g, t string, q int32, off int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m[g+t] = off
}

type check struct {
	h    protocol.CheckTransactionStateRequestHeader
	body message.MessageExt
}

func setup(t *testing.T) (*store.Store, *Service, *[]check, *time.Time) {
	t.Helper()
	cfg := store.DefaultConfig()
	cfg.StorePathRootDir = t.TempDir()
	cfg.MappedFileSizeCommitLog = 1 << 20
	cfg.MappedFileSizeConsumeQueue = 20 * 1024
	cfg.MaxMessageSize = 64 << 10
	cfg.MaxHashSlotNum, cfg.MaxIndexNum = 1024, 4096
	st, err := store.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var checks []check
	now := time.Now()
	s, err := New(Config{Store: st, Offsets: &offsets{m: map[string]int64{}}, CheckMax: 2, Timeout: 6 * time.Second,
		BrokerName: "broker-a", Now: func() time.Time { return now },
		Check: func(group string, h protocol.CheckTransactionStateRequestHeader, body []byte) bool {
			m, _, err := message.DecodeStored(body, true)
			if err != nil {
				t.Errorf("check body: %v", err)
			}
			checks = append(checks, check{h, m})
			return true
		}})
	if err != nil {
		t.Fatal(err)
	}
	return st, s, &checks, &now
}

// half stores a half message as the broker's send path does.
func half(t *testing.T, st *store.Store, body string, born time.Time) *message.MessageExt {
	t.Helper()
	m := &message.MessageExt{Message: message.Message{Topic: HalfTopic, Body: []byte(body), Properties: map[string]string{
		"TRAN_MSG": "true", "PGROUP": "pg", "UNIQ_KEY": "U-" + body, "REAL_TOPIC": "Real", "REAL_QID": "3", "TAGS": "t"}},
		BornTimestamp: born.UnixMilli()}
	if _, err := st.Append(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	settle(st)
	return m
}

// settle waits until the store dispatched everything appended (ConsumeQueues are updated
// by the store's dispatcher, after Append returns).
func settle(st *store.Store) {
	for st.DispatchLag() > 0 {
		time.Sleep(time.Millisecond)
	}
}

func end(m *message.MessageExt, typ int32) protocol.EndTransactionRequestHeader {
	return protocol.EndTransactionRequestHeader{ProducerGroup: "pg", TranStateTableOffset: m.QueueOffset,
		CommitLogOffset: m.CommitLogOffset, CommitOrRollback: typ}
}

// TestEndAndCheck: commit stores the real message (properties and sysflag as Apache) once,
// rollback stores nothing, a wrong header is refused, and the check service asks about old
// unfinished messages until CheckMax, then moves them to TRANS_CHECK_MAX_TIME_TOPIC.
func TestEndAndCheck(t *testing.T) {
	st, s, checks, now := setup(t)
	ctx := context.Background()
	born := *now
	c := half(t, st, "commit", born)
	r := half(t, st, "rollback", born)
	u := half(t, st, "unknown", born)
	if err := s.End(ctx, end(c, Commit)); err != nil {
		t.Fatal(err)
	}
	if err := s.End(ctx, end(c, Commit)); err != nil { // a second END is harmless
		t.Fatal(err)
	}
	if err := s.End(ctx, end(r, Rollback)); err != nil {
		t.Fatal(err)
	}
	bad := end(u, Commit)
	bad.ProducerGroup = "other"
	if err := s.End(ctx, bad); err == nil {
		t.Fatal("wrong group accepted")
	}
	settle(st)
	if n := st.MaxOffset("Real", 3); n != 1 {
		t.Fatalf("%d messages in the real queue, want 1", n)
	}
	rr, _ := st.GetMessages("Real", 3, 0, 1, nil)
	got := rr.Messages[0].Ext(true)
	rr.Release()
	if string(got.Body) != "commit" || got.Properties["REAL_TOPIC"] != "" || got.Properties["TRAN_MSG"] != "" ||
		got.Properties["PGROUP"] != "pg" || got.Properties["TAGS"] != "t" ||
		message.TransactionType(got.SysFlag) != message.TransactionCommitType || got.PreparedTransactionOffset != c.CommitLogOffset {
		t.Fatalf("committed %+v", got)
	}
	if n := st.MaxOffset(OpTopic, 0); n != 2 {
		t.Fatalf("%d op records, want 2", n)
	}
	if st := s.Status(10); st.Pending != 1 || st.Messages[0].MsgID != "U-unknown" {
		t.Fatalf("status %+v", st)
	}
	s.CheckOnce(ctx) // too young
	if len(*checks) != 0 {
		t.Fatalf("young message checked: %+v", *checks)
	}
	for i := 1; i <= 3; i++ {
		*now = now.Add(7 * time.Second)
		s.CheckOnce(ctx)
		settle(st)
	}
	if len(*checks) != 2 {
		t.Fatalf("%d checks, want CheckMax=2", len(*checks))
	}
	ch := (*checks)[1]
	if ch.h.Topic != "Real" || ch.h.MsgID != "U-unknown" || ch.body.Topic != "Real" || ch.body.QueueID != 3 ||
		ch.body.Properties["PGROUP"] != "pg" || ch.body.Properties["TRANSACTION_CHECK_TIMES"] != "2" ||
		ch.body.Properties["TRAN_PREPARED_QUEUE_OFFSET"] != strconv.FormatInt(u.QueueOffset, 10) {
		t.Fatalf("check %+v", ch)
	}
	if n := st.MaxOffset(CheckMaxTopic, 0); n != 1 {
		t.Fatalf("%d in %s, want 1", n, CheckMaxTopic)
	}
	if st := s.Status(10); st.Pending != 0 {
		t.Fatalf("status after discard %+v", st)
	}
}

// TestCommitAfterCheckOfCopy: the answer to a check names the copy; committing it finishes
// the original too (one real message), and a restart (new Service) rebuilds that state.
func TestCommitAfterCheckOfCopy(t *testing.T) {
	st, s, checks, now := setup(t)
	ctx := context.Background()
	half(t, st, "x", *now)
	*now = now.Add(7 * time.Second)
	s.CheckOnce(ctx)
	settle(st)
	if len(*checks) != 1 {
		t.Fatalf("%d checks", len(*checks))
	}
	h := (*checks)[0].h
	if err := s.End(ctx, protocol.EndTransactionRequestHeader{ProducerGroup: "pg", TranStateTableOffset: h.TranStateTableOffset,
		CommitLogOffset: h.CommitLogOffset, CommitOrRollback: Commit, FromTransactionCheck: true}); err != nil {
		t.Fatal(err)
	}
	settle(st)
	s2, _ := New(s.cfg)
	*now = now.Add(7 * time.Second)
	s2.CheckOnce(ctx)
	settle(st)
	if len(*checks) != 1 || st.MaxOffset("Real", 3) != 1 || s2.Status(1).Pending != 0 {
		t.Fatalf("checks %d, real %d, pending %d", len(*checks), st.MaxOffset("Real", 3), s2.Status(1).Pending)
	}
}
