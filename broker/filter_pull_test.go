package broker

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// TestPullFilters: the broker filters pulls by TAG (tags code, then the exact TAGS value) and
// by SQL92 over the message properties, from the request's subscription (sysFlag 4) or from
// the heartbeat's (GoC's push consumer sends expressionType TAG on pulls even for SQL92,
// trap §7.15). A bad SQL92 expression is SUBSCRIPTION_PARSE_FAILED (23) with the parse
// error; enablePropertyFilter=false answers SYSTEM_ERROR as Apache.
func TestPullFilters(t *testing.T) {
	cfg := testConfig(t)
	cfg.EnablePropertyFilter = true
	br, addr := startBroker(t, cfg, nil)
	c := newTestClient(t, nil)
	const topic = "FilterT"
	for i := range 10 {
		tag := []string{"TagA", "TagB", "TagC"}[i%3]
		props := map[string]string{"TAGS": tag, "a": strconv.Itoa(i), "color": []string{"red", "blue"}[i%2]}
		wantCode(t, sendOne(t, c, addr, topic, 0, props, []byte(fmt.Sprint(i))), protocol.Success)
	}
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if br.ms.MaxOffset(topic, 0) != 10 {
			return errNotYet
		}
		return nil
	})
	pull := func(h *protocol.PullMessageRequestHeader) (*remoting.Command, []string) {
		t.Helper()
		resp, err := c.InvokeSync(t.Context(), addr, remoting.NewRequest(int16(protocol.PullMessage), protocol.EncodeHeader(h), nil))
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string
		if resp.Code == 0 {
			ms, err := message.DecodeStoredAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				bodies = append(bodies, string(m.Body))
			}
		}
		return resp, bodies
	}
	tests := []struct {
		name, typ, expr string
		code            protocol.ResponseCode
		want            string
	}{
		{"type=TAG/expr=all", "TAG", "*", protocol.Success, "0,1,2,3,4,5,6,7,8,9"},
		{"type=TAG/expr=A||C", "TAG", "TagA || TagC", protocol.Success, "0,2,3,5,6,8,9"},
		{"type=TAG/expr=none", "TAG", "TagZ", protocol.PullRetryImmediately, ""},
		{"type=SQL92/expr=a>5", "SQL92", "a > 5", protocol.Success, "6,7,8,9"},
		{"type=SQL92/expr=and", "SQL92", "color = 'red' AND TAGS IN ('TagA', 'TagB')", protocol.Success, "0,4,6"},
		{"type=SQL92/expr=null", "SQL92", "nosuch IS NOT NULL", protocol.PullRetryImmediately, ""},
		{"type=SQL92/expr=bad", "SQL92", "a >", protocol.SubscriptionParseFailed, ""},
		{"type=SQL92/expr=badLong", "SQL92", "a > " + strings.Repeat("x", 1000) + " AND (", protocol.SubscriptionParseFailed, ""},
		{"type=SQL92/expr=huge", "SQL92", "a > " + strings.Repeat("y", 100000), protocol.SubscriptionParseFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := pullHeader(topic, 0, 0, pullSubscription, tt.expr)
			h.ExpressionType = tt.typ
			resp, bodies := pull(h)
			if protocol.ResponseCode(resp.Code) != tt.code {
				t.Fatalf("code %d (%s), want %d", resp.Code, resp.Remark, tt.code)
			}
			if got := strings.Join(bodies, ","); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if tt.code == protocol.SubscriptionParseFailed && !strings.Contains(resp.Remark, "a >") {
				t.Fatalf("remark %q does not show the expression", resp.Remark)
			}
			if len(resp.Remark) > 2*maxEcho+100 { // the expression and the parse error, 200 bytes each at most
				t.Fatalf("remark of %d bytes echoes the whole expression", len(resp.Remark))
			}
			if next, _, _ := pullExt(resp); tt.code == protocol.PullRetryImmediately && next != 10 {
				t.Fatalf("no match: nextBeginOffset %d, want 10 (skip the unmatched run)", next)
			}
		})
	}

	// The heartbeat's SQL92 subscription applies to pulls without one (GoC push consumer).
	hb := `{"clientID":"c1","producerDataSet":[],"consumerDataSet":[{"groupName":"gsql","consumeType":"CONSUME_PASSIVELY",
"messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","unitMode":false,"subscriptionDataSet":[
{"classFilterMode":false,"topic":"FilterT","subString":"a BETWEEN 2 AND 4","tagsSet":[],"codeSet":[],"subVersion":1,"expressionType":"SQL92"},
{"classFilterMode":false,"topic":"FilterBad","subString":"a ==","tagsSet":[],"codeSet":[],"subVersion":1,"expressionType":"SQL92"}]}]}`
	resp, err := c.InvokeSync(t.Context(), addr, remoting.NewRequest(int16(protocol.HeartBeat), nil, []byte(hb)))
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, resp, protocol.Success)
	h := pullHeader(topic, 0, 0, 0, "")
	h.ConsumerGroup = "gsql"
	resp, bodies := pull(h)
	wantCode(t, resp, protocol.Success)
	if got := strings.Join(bodies, ","); got != "2,3,4" {
		t.Fatalf("heartbeat SQL92: got %q", got)
	}
	h.Topic = "FilterBad"
	br.Topics().Update(protocol.NewTopicConfig("FilterBad"))
	resp, _ = pull(h)
	wantCode(t, resp, protocol.SubscriptionParseFailed)
}

// TestPullSQL92Disabled: with enablePropertyFilter=false (the default) an SQL92 pull is
// answered SYSTEM_ERROR "The broker does not support consumer to filter message by SQL92".
func TestPullSQL92Disabled(t *testing.T) {
	_, addr := startBroker(t, testConfig(t), nil)
	c := newTestClient(t, nil)
	wantCode(t, sendOne(t, c, addr, "FilterOff", 0, nil, []byte("x")), protocol.Success)
	h := pullHeader("FilterOff", 0, 0, pullSubscription, "a > 1")
	h.ExpressionType = "SQL92"
	resp, err := c.InvokeSync(t.Context(), addr, remoting.NewRequest(int16(protocol.PullMessage), protocol.EncodeHeader(h), nil))
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, resp, protocol.SystemError)
	if !strings.Contains(resp.Remark, "does not support consumer to filter message by SQL92") {
		t.Fatalf("remark %q", resp.Remark)
	}
}

// TestPullSubscriptionCache: subscriptions carried by pulls are compiled once (the same
// filter comes back, a parse error too) and the cache stays within maxSubCacheBytes however
// many distinct expressions clients send.
func TestPullSubscriptionCache(t *testing.T) {
	var c subCache
	a, b := c.compile("TAG", "TagA || TagB"), c.compile("TAG", "TagA || TagB")
	if a.err != nil || a.f != b.f {
		t.Fatalf("compiled twice: %p %p (%v)", a.f, b.f, a.err)
	}
	if !b.f.MatchTagsCode(message.TagsHash("TagB")) || b.f.MatchTagsCode(message.TagsHash("TagC")) {
		t.Fatal("cached filter does not match as compiled")
	}
	if e := c.compile("SQL92", "a >"); e.err == nil || c.compile("SQL92", "a >").err == nil {
		t.Fatal("bad SQL92 compiled")
	}
	expr := strings.Repeat("x", 1000)
	for i := range 5000 {
		c.compile("SQL92", fmt.Sprintf("a = %d OR b = '%s'", i, expr))
		if c.bytes > maxSubCacheBytes {
			t.Fatalf("cache holds %d bytes after %d expressions", c.bytes, i+1)
		}
	}
}
