package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ConsumedAgain is the answer of ConsumeAgain.
type ConsumedAgain struct {
	MsgID       string `json:"msgId"`
	OffsetMsgID string `json:"offsetMsgId"`
	Group       string `json:"group"`
	Client      string `json:"client"`
	// Result is the consumer's answer: CR_SUCCESS, CR_LATER, CR_THROW_EXCEPTION, …
	Result  string `json:"result"`
	SpentMs int64  `json:"spentMs"`
	Remark  string `json:"remark,omitempty"`
}

// ConsumeAgain hands a stored message (offset id, or unique key with its topic) to a running
// consumer of group — client, or the group's first online client when "" — to consume again
// (CONSUME_MESSAGE_DIRECTLY, relayed by the broker holding it). Nothing is sent or stored.
// It is what `mq message resend` and the TUI's R do. A unique key without topic fails with
// ErrNeedTopic; a group with no consumer online fails saying so.
func (a *Admin) ConsumeAgain(ctx context.Context, topic, id, group, client string) (ConsumedAgain, error) {
	found, _, err := a.MessageByID(ctx, topic, strings.TrimSpace(id))
	if len(found) == 0 {
		return ConsumedAgain{}, err
	}
	m := found[len(found)-1]
	if client == "" {
		gc, err := a.GroupConnections(ctx, group)
		if err != nil && !errors.Is(err, ErrGroupNotOnline) {
			return ConsumedAgain{}, err
		}
		if len(gc.Clients) == 0 {
			return ConsumedAgain{}, fmt.Errorf("no consumer of group %s is online: a resend hands the message to a running consumer (CONSUME_MESSAGE_DIRECTLY); start one or send a copy", group)
		}
		client = gc.Clients[0].ClientID
	}
	r, err := a.ConsumeDirectly(ctx, m.Addr, group, client, m.Topic, m.BrokerName, m.OffsetMsgID())
	if err != nil {
		return ConsumedAgain{}, fmt.Errorf("consume directly by %s: %w", client, err)
	}
	return ConsumedAgain{MsgID: m.MsgID(), OffsetMsgID: m.OffsetMsgID(), Group: group, Client: client,
		Result: ConsumeResultName(r.ConsumeResult), SpentMs: r.SpentTimeMills, Remark: r.Remark}, nil
}

// ConsumeResultName reads ConsumeMessageDirectlyResult.consumeResult: an enum name from Java,
// an ordinal from the Go client.
func ConsumeResultName(raw []byte) string {
	s := strings.Trim(string(raw), `"`)
	names := []string{"CR_SUCCESS", "CR_LATER", "CR_ROLLBACK", "CR_COMMIT", "CR_THROW_EXCEPTION", "CR_RETURN_NULL"}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(names) {
		return names[n]
	}
	return s
}
