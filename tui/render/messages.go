package render

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
)

// MessagesTable lists messages in the order given (newest first in the views).
func MessagesTable(ms []admin.FoundMessage) Table {
	t := Table{Header: []string{"STORED", "MSG-ID", "TAGS", "KEYS", "BROKER", "QUEUE", "OFFSET", "SIZE"}}
	for _, m := range ms {
		t.Rows = append(t.Rows, []string{Millis(m.StoreTimestamp), m.MsgID(), m.Tags(), m.Keys(), m.BrokerName,
			strconv.Itoa(int(m.QueueID)), itoa(m.QueueOffset), strconv.Itoa(len(m.Body))})
		t.Keys = append(t.Keys, m.MsgID())
	}
	return t
}

// systemProps are the properties RocketMQ itself sets (MessageConst's reserved names); the
// rest are the producer's user properties.
var systemProps = map[string]bool{}

func init() {
	for _, k := range []string{message.PropertyKeys, message.PropertyTags, message.PropertyWaitStoreMsgOK, message.PropertyDelayTimeLevel,
		message.PropertyTimerDeliverMs, message.PropertyTimerDelaySec, message.PropertyTimerDelayMs, message.PropertyTimerOutMs,
		message.PropertyTimerEnqueueMs, message.PropertyTimerDequeueMs, message.PropertyTimerRollTimes, message.PropertyTimerDelUniqKey,
		message.PropertyTimerDelayLevel, message.PropertyRetryTopic, message.PropertyRealTopic, message.PropertyRealQueueID,
		message.PropertyTransactionPrepared, message.PropertyProducerGroup, message.PropertyMinOffset, message.PropertyMaxOffset,
		message.PropertyBuyerID, message.PropertyOriginMessageID, message.PropertyTransferFlag, message.PropertyCorrectionFlag,
		message.PropertyMQ2Flag, message.PropertyReconsumeTime, message.PropertyMsgRegion, message.PropertyTraceSwitch,
		message.PropertyUniqClientMessageIDKeyIndex, message.PropertyExtendUniqInfo, message.PropertyMaxReconsumeTimes,
		message.PropertyConsumeStartTimestamp, message.PropertyInnerNum, message.PropertyInnerBase, message.PropertyDupInfo,
		message.PropertyCheckImmunityTimeInSeconds, message.PropertyTransactionPreparedQueueOff, message.PropertyTransactionID,
		message.PropertyTransactionCheckTimes, message.PropertyInstanceID, message.PropertyCorrelationID,
		message.PropertyMessageReplyToClient, message.PropertyMessageTTL, message.PropertyReplyMessageArriveTime,
		message.PropertyPushReplyTime, message.PropertyCluster, message.PropertyMessageType, message.PropertyShardingKey,
		message.PropertyPopCK, message.PropertyPopCKOffset, message.PropertyFirstPopTime, message.PropertyForwardQueueID,
		message.PropertyRedirect, message.PropertyInnerMultiDispatch, message.PropertyInnerMultiQueueOffset,
		message.PropertyTraceContext, message.PropertyBornHost, message.PropertyBornTimestamp, message.PropertyCRC32,
		message.PropertyDLQOriginTopic, message.PropertyDLQOriginMessageID} {
		systemProps[k] = true
	}
}

// IsSystemProperty reports whether RocketMQ reserves the property name.
func IsSystemProperty(k string) bool { return systemProps[k] }

// MessageDetail describes one message: ids and places, system and user properties apart,
// and the body: pretty-printed when it is JSON, as text when printable, else (or when hex is
// set) as a hex dump; at most previewBytes bytes of it.
func MessageDetail(m admin.FoundMessage, hexBody bool, previewBytes int) []string {
	out := []string{
		"msgId:        " + m.MsgID(),
		"offsetMsgId:  " + m.OffsetMsgID(),
		"topic:        " + m.Topic,
		fmt.Sprintf("queue:        %s %d  offset %d  commitlog %d", m.BrokerName, m.QueueID, m.QueueOffset, m.CommitLogOffset),
		"tags:         " + m.Tags(),
		"keys:         " + m.Keys(),
		"born:         " + Millis(m.BornTimestamp) + "  " + m.BornHost.String(),
		"stored:       " + Millis(m.StoreTimestamp) + "  " + m.StoreHost.String(),
		fmt.Sprintf("reconsume:    %d  sysFlag %d  body %d bytes", m.ReconsumeTimes, m.SysFlag, len(m.Body)),
	}
	var sys, user []string
	for _, k := range slices.Sorted(maps.Keys(m.Properties)) {
		if systemProps[k] {
			sys = append(sys, "  "+k+"="+m.Properties[k])
		} else {
			user = append(user, "  "+k+"="+m.Properties[k])
		}
	}
	out = append(out, "", "system properties:")
	out = append(out, orNone(sys)...)
	out = append(out, "", "user properties:")
	out = append(out, orNone(user)...)
	body := m.Body
	more := ""
	if len(body) > previewBytes {
		body, more = body[:previewBytes], fmt.Sprintf("… (%d more bytes)", len(m.Body)-previewBytes)
	}
	kind, lines := Body(body, hexBody)
	out = append(out, "", "body ("+kind+", x toggles hex):")
	for _, l := range lines {
		out = append(out, "  "+l)
	}
	if more != "" {
		out = append(out, "  "+more)
	}
	return out
}

func orNone(ls []string) []string {
	if len(ls) == 0 {
		return []string{"  (none)"}
	}
	return ls
}

// Body renders a message body: "json" pretty-printed, "text", or "hex" (a dump 16 bytes a
// line) when asked or when the body is not printable UTF-8.
func Body(b []byte, asHex bool) (kind string, lines []string) {
	if !asHex {
		if json.Valid(b) && len(bytes.TrimSpace(b)) > 0 && (bytes.TrimSpace(b)[0] == '{' || bytes.TrimSpace(b)[0] == '[') {
			var buf bytes.Buffer
			if json.Indent(&buf, b, "", "  ") == nil {
				return "json", strings.Split(buf.String(), "\n")
			}
		}
		if utf8.Valid(b) && printable(b) {
			return "text", strings.Split(string(b), "\n")
		}
	}
	return "hex", strings.Split(strings.TrimRight(hex.Dump(b), "\n"), "\n")
}

func printable(b []byte) bool {
	for _, r := range string(b) {
		if r != '\n' && r != '\t' && r != '\r' && (r < 0x20 || r == 0x7f) {
			return false
		}
	}
	return true
}

// TraceTable is a message's trace timeline; nil when there is none.
func TraceTable(tr admin.Trace) Table {
	t := Table{Header: []string{"TIME", "EVENT", "GROUP", "CLIENT", "BROKER", "COST", "ATTEMPT", "STATUS"}}
	for i, e := range tr.Events {
		status := e.Status
		if status == "" {
			status = "ok"
			if !e.Success {
				status = "failed"
			}
		}
		attempt := "-"
		if e.Attempt > 0 {
			attempt = strconv.Itoa(e.Attempt)
		}
		t.Rows = append(t.Rows, []string{tsMs(e.Timestamp), e.Kind, dash(e.Group), dash(e.Client), dash(e.Broker),
			(time.Duration(e.CostMs) * time.Millisecond).String(), attempt, status})
		t.Keys = append(t.Keys, strconv.Itoa(i))
	}
	return t
}

// TraceText is the lines above the timeline; with no event it explains why.
func TraceText(tr admin.Trace) []string {
	if len(tr.Events) > 0 {
		return []string{fmt.Sprintf("message %s: %d trace records in %s", tr.MsgID, len(tr.Records), tr.TraceTopic)}
	}
	return []string{
		fmt.Sprintf("no trace for %s in %s.", tr.MsgID, tr.TraceTopic),
		"A trace exists only when the producer (and, for consumes, the consumer) enables message",
		"tracing: enableMsgTrace=true in the Java client, WithTrace(&primitive.TraceConfig{…}) in Go,",
		"and the broker stores traces (traceTopicEnable=true) or a trace topic is configured.",
	}
}

func tsMs(ms int64) string { return dash(admin.FormatTimeMs(ms)) }
