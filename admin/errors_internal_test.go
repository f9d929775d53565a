package admin

import (
	"strings"
	"testing"

	"github.com/mq-project/mq/protocol"
)

// TestExplainEveryCode: every response code protocol names reads as a sentence that names
// the server, keeps the remark without Apache's FAQ link, and never is the bare "response
// code N" of the remoting layer.
func TestExplainEveryCode(t *testing.T) {
	n := 0
	for c := -1100; c <= 3100; c++ {
		code := protocol.ResponseCode(c)
		if code == protocol.Success || strings.HasPrefix(code.String(), "ResponseCode(") {
			continue
		}
		n++
		se := &ServerError{Addr: "10.0.0.1:10911", Request: protocol.GetConsumeStats, Code: code,
			Remark: "something happened\nSee http://rocketmq.apache.org/docs/faq/ for further details."}
		s := explain(se, map[string]string{"consumerGroup": "G", "topic": "T"})
		if s == "" || strings.Contains(s, "See http") || strings.Contains(s, "response code") {
			t.Errorf("%v: %q", code, s)
		}
	}
	if n < 50 {
		t.Fatalf("only %d codes named", n)
	}
}
