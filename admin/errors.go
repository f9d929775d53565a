package admin

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// ServerError is a server's refusal (a response code other than SUCCESS) read as a sentence
// that names what was asked: "no dead-letter queue for group G (topic %DLQ%G does not exist)"
// instead of "response code 17: No topic route info … See https://…". Remark keeps the
// server's words; errors.As still finds the *remoting.ResponseError (Unwrap), so IsCode works.
type ServerError struct {
	// Addr is the server that answered.
	Addr string
	// Request is what was asked.
	Request protocol.RequestCode
	// Code is the response code.
	Code protocol.ResponseCode
	// Remark is the server's remark as sent (FAQ link included).
	Remark   string
	sentence string
}

func (e *ServerError) Error() string { return e.sentence }

// Unwrap returns the raw refusal.
func (e *ServerError) Unwrap() error {
	return &remoting.ResponseError{Code: int16(e.Code), Remark: e.Remark}
}

// Raw is the answer as the server gave it, for debug output.
func (e *ServerError) Raw() string {
	return e.Addr + " answered " + e.Request.String() + " with " + e.Code.String() + " (" + strconv.Itoa(int(e.Code)) + "): " + strconv.Quote(e.Remark)
}

// ServerErrors returns every *ServerError in err's tree (fan-outs join several).
func ServerErrors(err error) []*ServerError {
	var out []*ServerError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if se, ok := err.(*ServerError); ok {
			out = append(out, se)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

// refused turns a non-SUCCESS response to a request (code, extFields ext) sent to addr into a
// *ServerError, and logs the raw answer at debug level. It returns nil for SUCCESS.
func (a *Admin) refused(addr string, code protocol.RequestCode, ext map[string]string, resp *remoting.Command) error {
	if resp.Code == remoting.CodeSuccess {
		return nil
	}
	se := &ServerError{Addr: addr, Request: code, Code: protocol.ResponseCode(resp.Code), Remark: resp.Remark}
	se.sentence = explain(se, ext)
	a.log.Debug("refused", "addr", addr, "code", code, "resp", se.Code, "remark", resp.Remark)
	return se
}

// faqTail matches the help link Apache appends to remarks (FAQUrl.suggestTodo, and 5.x's
// "For more information, please visit the url, …").
var faqTail = regexp.MustCompile(`(?s)[\s,.;]*(See https?://|For more information, please visit).*$`)

// CleanRemark is a server remark without Apache's FAQ link and surrounding blanks.
func CleanRemark(remark string) string {
	return strings.TrimSpace(faqTail.ReplaceAllString(remark, ""))
}

// explain writes the sentence of a refusal from the response code and what the request
// named (topic, group, key).
func explain(se *ServerError, ext map[string]string) string {
	remark := CleanRemark(se.Remark)
	topic := firstOf(ext, "topic", "b")
	group := firstOf(ext, "consumerGroup", "group", "groupName", "producerGroup", "a")
	if se.Request == protocol.SendMessage || se.Request == protocol.SendMessageV2 {
		group = "" // the producer group is not what a send's refusal is about
	}
	with := func(s string) string {
		if remark == "" {
			return s
		}
		return s + ": " + remark
	}
	switch se.Code {
	case protocol.TopicNotExist:
		switch {
		case strings.HasPrefix(topic, DLQPrefix):
			g := strings.TrimPrefix(topic, DLQPrefix)
			return "no dead-letter queue for group " + g + " (topic " + topic + " does not exist)"
		case strings.HasPrefix(topic, RetryPrefix):
			g := strings.TrimPrefix(topic, RetryPrefix)
			return "no retry topic for group " + g + " (topic " + topic + " does not exist)"
		case topic != "":
			return "topic " + topic + " does not exist"
		}
		return with("topic does not exist")
	case protocol.SubscriptionGroupNotExist:
		if group == "" && strings.HasPrefix(topic, RetryPrefix) {
			group = strings.TrimPrefix(topic, RetryPrefix)
		}
		if group != "" {
			return "group " + group + " does not exist on broker " + se.Addr
		}
		return with("subscription group does not exist on broker " + se.Addr)
	case protocol.ConsumerNotOnline:
		if group != "" {
			return "group " + group + " is not online (no consumer of it is connected to " + se.Addr + ")"
		}
		return with("consumer not online at " + se.Addr)
	case protocol.QueryNotFound:
		if ns := ext["namespace"]; ns != "" {
			if k := ext["key"]; k != "" {
				return "no key " + k + " in namespace " + ns
			}
			return "namespace " + ns + " is empty"
		}
		if group != "" && topic != "" {
			return "group " + group + " has no offset for " + topic + " on " + se.Addr
		}
		return with("not found on " + se.Addr)
	case protocol.NoPermission:
		return with("permission denied: " + se.Addr + " refused " + se.Request.String())
	case protocol.RequestCodeNotSupported:
		return se.Addr + " does not support " + se.Request.String() + " (request code " + strconv.Itoa(int(se.Request)) + ")"
	case protocol.SystemBusy:
		return with(se.Addr + " is busy, try again")
	case protocol.SystemError:
		return with(se.Addr + " failed " + se.Request.String())
	case protocol.ServiceNotAvailable:
		return with(se.Addr + " cannot serve " + se.Request.String() + " now (service not available)")
	case protocol.MessageIllegal:
		return with("message refused by " + se.Addr + " as illegal")
	case protocol.VersionNotSupported:
		return with(se.Addr + " does not support this client's version")
	case protocol.TopicExistAlready:
		return "topic " + topic + " exists already"
	case protocol.InvalidParameter:
		return with("invalid parameter for " + se.Request.String())
	case protocol.FlushDiskTimeout, protocol.FlushSlaveTimeout, protocol.SlaveNotAvailable:
		return with(se.Addr + " stored the message but did not confirm it is safe (" + se.Code.String() + ")")
	case protocol.SubscriptionParseFailed, protocol.SubscriptionNotExist, protocol.SubscriptionNotLatest:
		return with("subscription refused by " + se.Addr + " (" + se.Code.String() + ")")
	case protocol.ConsumeMsgTimeout:
		return with("the consumer did not answer in time")
	case protocol.NoMessage:
		return with("no message")
	case protocol.PullNotFound, protocol.PullRetryImmediately, protocol.PullOffsetMoved:
		return with("no message at that offset on " + se.Addr + " (" + se.Code.String() + ")")
	case protocol.TransactionFailed, protocol.TransactionStateGroupWrong:
		return with("transaction refused by " + se.Addr + " (" + se.Code.String() + ")")
	case protocol.IllegalOperation:
		return with(se.Addr + " refused " + se.Request.String() + " as an illegal operation")
	case protocol.BrokerNotExist:
		return with("no such broker")
	case protocol.FlowControl, protocol.PollingFull:
		return with(se.Addr + " is throttling, try again")
	}
	return with(se.Addr + " refused " + se.Request.String() + " (" + se.Code.String() + ", code " + strconv.Itoa(int(se.Code)) + ")")
}

func firstOf(ext map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := ext[k]; v != "" {
			return v
		}
	}
	return ""
}
