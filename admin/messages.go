package admin

import (
	"context"
	"errors"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// Message lookups: by offset message id, by unique key, by key over a time range, by queue
// and offset, and raw pulls for browsing. They work against Apache brokers and ours.

// Errors of the message lookups.
var (
	// ErrMessageNotFound is returned when no broker has the message.
	ErrMessageNotFound = errors.New("admin: message not found")
	// ErrNeedTopic is returned when a unique key (not an offset id) is looked up without a topic.
	ErrNeedTopic = errors.New("admin: a unique key needs a topic (-t)")
)

// ToolsGroup is the consumer group of raw pulls (mqadmin's TOOLS_CONSUMER). Raw pulls never
// commit an offset.
const ToolsGroup = "TOOLS_CONSUMER"

// QueryBatch is the most messages one QUERY_MESSAGE returns (Apache's maxMsgsNumBatch).
const QueryBatch = 64

// pullFlagSubscription (PullSysFlag FLAG_SUBSCRIPTION) makes the broker use the request's
// subscription expression, so a raw pull needs no heartbeat first.
const pullFlagSubscription = 0x4

// FoundMessage is a stored message and the broker it was read from.
type FoundMessage struct {
	BrokerName string
	Addr       string
	message.MessageExt
}

// ViewMessage reads the record at a CommitLog offset on one broker (VIEW_MESSAGE_BY_ID).
func (a *Admin) ViewMessage(ctx context.Context, addr string, commitLogOffset int64) (message.MessageExt, error) {
	resp, err := a.invoke(ctx, addr, protocol.ViewMessageByID, &protocol.ViewMessageRequestHeader{Offset: commitLogOffset}, nil)
	if err != nil {
		return message.MessageExt{}, err
	}
	m, _, err := message.DecodeStored(resp.Body, false)
	if err != nil {
		return m, wrapf("VIEW_MESSAGE_BY_ID body: %w", err)
	}
	return m, nil
}

// QueryMessages asks one broker for the messages of topic with key (KEYS, or UNIQ_KEY when
// unique) stored in [begin, end] ms (QUERY_MESSAGE). None found is an empty answer.
func (a *Admin) QueryMessages(ctx context.Context, addr, topic, key string, maxNum int32, begin, end int64, unique bool) ([]message.MessageExt, error) {
	h := &protocol.QueryMessageRequestHeader{Topic: topic, Key: key, MaxNum: maxNum, BeginTimestamp: begin, EndTimestamp: end, UniqueKeyQuery: unique}
	resp, err := a.invoke(ctx, addr, protocol.QueryMessage, h, nil)
	if IsCode(err, protocol.QueryNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ms, err := message.DecodeStoredAll(resp.Body)
	if err != nil {
		return nil, wrapf("QUERY_MESSAGE body: %w", err)
	}
	return ms, nil
}

// IDKind says how MessageByID understood an id.
type IDKind string

// Kinds of message ids.
const (
	IDOffset IDKind = "offset"
	IDUnique IDKind = "unique"
)

// MessageByID finds a message by offset message id or unique key (UNIQ_KEY), told apart
// automatically: an id is an offset id when it decodes (32 or 56 hex chars) to the address of
// a broker the nameservers know; anything else is a unique key, looked up through the index
// of topic's masters (QUERY_MESSAGE with _UNIQUE_KEY_QUERY). Several messages may share a
// unique key (a retried send, a message in a retry topic): all are returned.
func (a *Admin) MessageByID(ctx context.Context, topic, id string) ([]FoundMessage, IDKind, error) {
	if host, off, err := message.ParseOffsetMsgID(id); err == nil {
		b, ok, err := a.brokerAt(ctx, host)
		if err != nil {
			// Without the nameservers the id cannot be told apart: say why.
			return nil, "", err
		}
		if ok {
			m, err := a.ViewMessage(ctx, b.Addr, off)
			if err != nil {
				return nil, IDOffset, err
			}
			return []FoundMessage{{BrokerName: b.Name, Addr: b.Addr, MessageExt: m}}, IDOffset, nil
		}
		if f, ok := a.offsetIDOnSlaves(ctx, topic, host, off); ok {
			return []FoundMessage{f}, IDOffset, nil
		}
	}
	if topic == "" {
		return nil, IDUnique, ErrNeedTopic
	}
	found, res, err := a.queryTopic(ctx, topic, id, 0, time.Now().Add(time.Hour).UnixMilli(), true)
	if err != nil {
		return nil, IDUnique, err
	}
	var out []FoundMessage
	for _, f := range found {
		if f.Properties[message.PropertyUniqClientMessageIDKeyIndex] == id {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		if err := res.Err(); err != nil {
			return nil, IDUnique, err
		}
		return nil, IDUnique, wrapf("%w: no message of %s has unique key %s", ErrMessageNotFound, topic, id)
	}
	sortFound(out)
	return out, IDUnique, res.Err()
}

// brokerAt returns the broker the nameservers know at host; the error is the nameservers'
// failure to answer.
func (a *Admin) brokerAt(ctx context.Context, host netip.AddrPort) (Broker, bool, error) {
	ci, err := a.ClusterInfo(ctx)
	if err != nil {
		return Broker{}, false, err
	}
	all, _ := Brokers(ci, "")
	for _, b := range all {
		if ap, err := netip.ParseAddrPort(b.Addr); err == nil && ap == host {
			return b, true, nil
		}
	}
	return Broker{}, false, nil
}

// queryTopic runs one QUERY_MESSAGE on every brokerName of topic's route (its master, or a
// slave when there is none).
func (a *Admin) queryTopic(ctx context.Context, topic, key string, begin, end int64, unique bool) ([]FoundMessage, Results[[]message.MessageExt], error) {
	rd, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return nil, Results[[]message.MessageExt]{}, err
	}
	sets := RouteBrokerSets(rd)
	if len(sets) == 0 {
		return nil, Results[[]message.MessageExt]{}, wrapf("%w: route of %s names no broker", ErrNoBrokers, topic)
	}
	res := ForEachBrokerSet(ctx, a, sets, func(ctx context.Context, b Broker) ([]message.MessageExt, error) {
		return a.QueryMessages(ctx, b.Addr, topic, key, QueryBatch, begin, end, unique)
	})
	var out []FoundMessage
	for _, it := range res.Items {
		for _, m := range it.Value {
			out = append(out, FoundMessage{BrokerName: it.Name, Addr: it.Addr, MessageExt: m})
		}
	}
	return out, res, nil
}

// sortFound sorts by store time, then broker and CommitLog offset.
func sortFound(ms []FoundMessage) {
	sort.Slice(ms, func(i, j int) bool {
		x, y := ms[i], ms[j]
		if x.StoreTimestamp != y.StoreTimestamp {
			return x.StoreTimestamp < y.StoreTimestamp
		}
		if x.BrokerName != y.BrokerName {
			return x.BrokerName < y.BrokerName
		}
		return x.CommitLogOffset < y.CommitLogOffset
	})
}

// KeyQuery is the answer of QueryByKey.
type KeyQuery struct {
	// Messages are sorted by store time.
	Messages []FoundMessage
	// Queries is the number of QUERY_MESSAGE requests sent; Scanned the number of messages
	// read by pull in one-second windows the index could not page.
	Queries int
	Scanned int
	// Truncated is set when Limit stopped the search.
	Truncated bool
	Brokers   Results[struct{}]
}

// QueryByKey finds the messages of topic whose KEYS contain key, stored in [begin, end] ms,
// on every master of the topic's route (mqadmin queryMsgByKey), past the broker's cap of
// QueryBatch messages per call: a window that comes back full is split in halves and asked
// again. The index keeps store times in seconds, so a one-second window that is still full
// is read through its queues instead (SEARCH_OFFSET_BY_TIMESTAMP, then PULL_MESSAGE) and
// filtered by key. limit > 0 stops the search once that many messages were found on a broker
// (the messages returned are at most limit, Truncated says whether more may exist).
func (a *Admin) QueryByKey(ctx context.Context, topic, key string, begin, end int64, limit int) (KeyQuery, error) {
	var kq KeyQuery
	if end <= 0 {
		end = time.Now().Add(time.Minute).UnixMilli()
	}
	rd, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return kq, err
	}
	sets := RouteBrokerSets(rd)
	if len(sets) == 0 {
		return kq, wrapf("%w: route of %s names no broker", ErrNoBrokers, topic)
	}
	queues := map[string]int32{}
	for _, qd := range rd.QueueDatas {
		queues[qd.BrokerName] = max(qd.ReadQueueNums, qd.WriteQueueNums)
	}
	var mu sync.Mutex
	kq.Brokers = ForEachBrokerSet(ctx, a, sets, func(ctx context.Context, b Broker) (struct{}, error) {
		name, addr := b.Name, b.Addr
		found, queries, scanned, err := a.queryByKeyOnBroker(ctx, addr, name, topic, key, begin, end, queues[name], limit)
		mu.Lock()
		defer mu.Unlock()
		kq.Queries += queries
		kq.Scanned += scanned
		for _, m := range found {
			kq.Messages = append(kq.Messages, FoundMessage{BrokerName: name, Addr: addr, MessageExt: m})
		}
		return struct{}{}, err
	})
	sortFound(kq.Messages)
	if limit > 0 && len(kq.Messages) >= limit {
		kq.Messages, kq.Truncated = kq.Messages[:limit], true
	}
	return kq, kq.Brokers.Err()
}

func (a *Admin) queryByKeyOnBroker(ctx context.Context, addr, brokerName, topic, key string, begin, end int64, nq int32, limit int) (out []message.MessageExt, queries, scanned int, err error) {
	seen := map[int64]bool{}
	add := func(ms []message.MessageExt) {
		for _, m := range ms {
			if !seen[m.CommitLogOffset] && m.Topic == topic && message.HasKey(m.Keys(), key) {
				seen[m.CommitLogOffset] = true
				out = append(out, m)
			}
		}
	}
	type window struct{ begin, end int64 }
	stack := []window{{begin, end}}
	progressAdd(ctx, 0, 1)
	for len(stack) > 0 && (limit <= 0 || len(out) < limit) {
		w := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		ms, err := a.QueryMessages(ctx, addr, topic, key, QueryBatch, w.begin, w.end, false)
		queries++
		progressAdd(ctx, 1, 0)
		if err != nil {
			return out, queries, scanned, err
		}
		if len(ms) < QueryBatch || (limit > 0 && len(out)+len(ms) >= limit) {
			add(ms)
			continue
		}
		// Full: narrow. The index's resolution is one second.
		if w.end/1000-w.begin/1000 >= 1 {
			mid := (w.begin/1000 + (w.end/1000-w.begin/1000)/2) * 1000
			stack = append(stack, window{w.begin, mid + 999}, window{mid + 1000, w.end})
			progressAdd(ctx, 0, 2)
			continue
		}
		// A full one-second window: read its queues. The index stores the file's begin time
		// plus whole seconds, so a message it places in [begin, end] was stored in
		// [begin, end+1000).
		add(ms)
		got, n, err := a.scanWindow(ctx, addr, brokerName, topic, nq, w.begin, w.end+999, func(m *message.MessageExt) bool {
			return message.HasKey(m.Keys(), key)
		})
		scanned += n
		if err != nil {
			return out, queries, scanned, err
		}
		add(got)
	}
	return out, queries, scanned, nil
}

// scanWindow reads every queue of topic on one broker over the messages stored in
// [begin, end] ms and returns those keep accepts, and how many it read.
func (a *Admin) scanWindow(ctx context.Context, addr, brokerName, topic string, nq int32, begin, end int64, keep func(*message.MessageExt) bool) ([]message.MessageExt, int, error) {
	var out []message.MessageExt
	n := 0
	for q := range nq {
		got, err := a.ScanQueue(ctx, QueueScan{Addr: addr, BrokerName: brokerName, Topic: topic, QueueID: q, Begin: begin, From: -1, End: end},
			func(m *message.MessageExt) bool {
				if m.StoreTimestamp >= begin && keep(m) {
					out = append(out, *m)
				}
				return true
			})
		n += got
		if err != nil {
			return out, n, err
		}
	}
	return out, n, nil
}

// SearchOffset returns the first queue offset stored at or after ts ms
// (SEARCH_OFFSET_BY_TIMESTAMP).
func (a *Admin) SearchOffset(ctx context.Context, addr, topic string, queueID int32, ts int64) (int64, error) {
	return a.offsetCall(ctx, addr, protocol.SearchOffsetByTimestamp, &protocol.SearchOffsetRequestHeader{Topic: topic, QueueID: queueID, Timestamp: ts})
}

// MaxOffset returns a queue's next offset to be written (GET_MAX_OFFSET).
func (a *Admin) MaxOffset(ctx context.Context, addr, topic string, queueID int32) (int64, error) {
	return a.offsetCall(ctx, addr, protocol.GetMaxOffset, &protocol.GetMaxOffsetRequestHeader{Topic: topic, QueueID: queueID})
}

// MinOffset returns a queue's first readable offset (GET_MIN_OFFSET).
func (a *Admin) MinOffset(ctx context.Context, addr, topic string, queueID int32) (int64, error) {
	return a.offsetCall(ctx, addr, protocol.GetMinOffset, &protocol.GetMinOffsetRequestHeader{Topic: topic, QueueID: queueID})
}

func (a *Admin) offsetCall(ctx context.Context, addr string, code protocol.RequestCode, h any) (int64, error) {
	resp, err := a.invoke(ctx, addr, code, h, nil)
	if err != nil {
		return 0, err
	}
	var oh protocol.OffsetResponseHeader
	if err := protocol.DecodeHeader(resp.ExtFields, &oh); err != nil {
		return 0, wrapf("%v header: %w", code, err)
	}
	return oh.Offset, nil
}

// ConsumerOffset returns a group's committed offset of a queue (QUERY_CONSUMER_OFFSET); -1
// when the broker has none.
func (a *Admin) ConsumerOffset(ctx context.Context, addr, group, topic string, queueID int32) (int64, error) {
	f := false
	resp, err := a.invokeRaw(ctx, addr, protocol.QueryConsumerOffset,
		&protocol.QueryConsumerOffsetRequestHeader{ConsumerGroup: group, Topic: topic, QueueID: queueID, SetZeroIfNotFound: &f}, nil)
	if err != nil {
		return 0, err
	}
	if resp.Code == int16(protocol.QueryNotFound) {
		return -1, nil
	}
	if err := a.refused(addr, protocol.QueryConsumerOffset, map[string]string{"consumerGroup": group, "topic": topic}, resp); err != nil {
		return 0, err
	}
	var oh protocol.QueryConsumerOffsetResponseHeader
	if err := protocol.DecodeHeader(resp.ExtFields, &oh); err != nil {
		return 0, wrapf("QUERY_CONSUMER_OFFSET header: %w", err)
	}
	return oh.Offset, nil
}

// UpdateConsumerOffset sets a group's committed offset of a queue (UPDATE_CONSUMER_OFFSET).
func (a *Admin) UpdateConsumerOffset(ctx context.Context, addr, group, topic string, queueID int32, offset int64) error {
	_, err := a.invoke(ctx, addr, protocol.UpdateConsumerOffset,
		&protocol.UpdateConsumerOffsetRequestHeader{ConsumerGroup: group, Topic: topic, QueueID: queueID, CommitOffset: offset}, nil)
	return err
}

// PullStatus is the outcome of a raw pull.
type PullStatus string

// Pull outcomes.
const (
	PullFound     PullStatus = "found"
	PullNoNew     PullStatus = "no-new-message"
	PullMoved     PullStatus = "offset-moved"
	PullRetry     PullStatus = "retry"
	PullNoMatched PullStatus = "no-matched-message"
)

// PullRequest is one raw pull.
type PullRequest struct {
	// Group is the consumer group; "" means ToolsGroup. CommitOffset >= 0 commits (only with
	// a real group).
	Group        string
	BrokerName   string
	Topic        string
	QueueID      int32
	Offset       int64
	Max          int32
	Subscription string // "" means "*"
	// ExpressionType is "TAG" (default) or "SQL92".
	ExpressionType string
	CommitOffset   int64
	// Suspend > 0 holds the pull on the broker until a message arrives (long polling).
	Suspend time.Duration
}

// PullResult is the answer of a raw pull.
type PullResult struct {
	Status   PullStatus
	Next     int64
	Min, Max int64
	Messages []message.MessageExt
}

// Pull reads messages of one queue from a broker (PULL_MESSAGE with the subscription flag).
// It commits nothing unless CommitOffset > 0 and Group is set.
func (a *Admin) Pull(ctx context.Context, addr string, r PullRequest) (PullResult, error) {
	var pr PullResult
	group := r.Group
	if group == "" {
		group = ToolsGroup
	}
	sub := r.Subscription
	if sub == "" {
		sub = "*"
	}
	typ := r.ExpressionType
	if typ == "" {
		typ = "TAG"
	}
	if r.Max <= 0 {
		r.Max = 32
	}
	flag := int32(pullFlagSubscription)
	commit := int64(0)
	if r.Group != "" && r.CommitOffset > 0 {
		flag |= 0x1 // FLAG_COMMIT_OFFSET
		commit = r.CommitOffset
	}
	if r.Suspend > 0 {
		flag |= 0x2 // FLAG_SUSPEND
	}
	h := &protocol.PullMessageRequestHeader{ConsumerGroup: group, Topic: r.Topic, QueueID: r.QueueID, QueueOffset: r.Offset,
		MaxMsgNums: r.Max, SysFlag: flag, CommitOffset: commit, SuspendTimeoutMillis: r.Suspend.Milliseconds(),
		Subscription: sub, ExpressionType: typ, BrokerName: r.BrokerName}
	ext := make(map[string]string, 16)
	h.Encode(ext)
	tctx, cancel := context.WithTimeout(ctx, a.opts.Timeout+r.Suspend)
	defer cancel()
	resp, err := a.client.InvokeSync(tctx, addr, remoting.NewRequest(int16(protocol.PullMessage), ext, nil))
	if err != nil {
		return pr, wrapf("PULL_MESSAGE to %s: %w", addr, err)
	}
	var rh protocol.PullMessageResponseHeader
	if err := rh.Decode(resp.ExtFields); err != nil {
		return pr, wrapf("PULL_MESSAGE header: %w", err)
	}
	pr.Next, pr.Min, pr.Max = rh.NextBeginOffset, rh.MinOffset, rh.MaxOffset
	switch protocol.ResponseCode(resp.Code) {
	case protocol.Success:
		pr.Status = PullFound
		ms, err := message.DecodeStoredAll(resp.Body)
		if err != nil {
			return pr, wrapf("PULL_MESSAGE body: %w", err)
		}
		pr.Messages = ms
	case protocol.PullNotFound:
		pr.Status = PullNoNew
	case protocol.PullRetryImmediately:
		pr.Status = PullRetry
		if pr.Next <= r.Offset {
			pr.Status = PullNoMatched
		}
	case protocol.PullOffsetMoved:
		pr.Status = PullMoved
	default:
		return pr, a.refused(addr, protocol.PullMessage, ext, resp)
	}
	return pr, nil
}

// MessageAt reads the message at a queue offset (mqadmin queryMsgByOffset).
func (a *Admin) MessageAt(ctx context.Context, addr, brokerName, topic string, queueID int32, offset int64) (message.MessageExt, error) {
	pr, err := a.Pull(ctx, addr, PullRequest{BrokerName: brokerName, Topic: topic, QueueID: queueID, Offset: offset, Max: 1})
	if err != nil {
		return message.MessageExt{}, err
	}
	if pr.Status != PullFound || len(pr.Messages) == 0 || pr.Messages[0].QueueOffset != offset {
		return message.MessageExt{}, wrapf("%w: %s queue %d offset %d (%s; queue holds %d..%d)", ErrMessageNotFound, topic, queueID, offset, pr.Status, pr.Min, pr.Max)
	}
	return pr.Messages[0], nil
}

// SendRequest is one message to send.
type SendRequest struct {
	ProducerGroup string // "" means TOOLS_PRODUCER
	BrokerName    string
	QueueID       int32
	Message       message.Message
	// MaxReconsumeTimes, when > 0, is sent as the header's maxReconsumeTimes. By default the
	// field is left out: for a %RETRY% topic the broker then uses the group's retryMaxTimes
	// (Apache 4.9 moves a message with reconsumeTimes >= maxReconsumeTimes to %DLQ%, so 0
	// would dead-letter every resend at once).
	MaxReconsumeTimes int32
	// SysFlag is the header's sysFlag (message.TransactionPreparedType for a half message).
	SysFlag int32
}

// SendResult is a broker's answer to a send.
type SendResult struct {
	BrokerName  string `json:"brokerName"`
	QueueID     int32  `json:"queueId"`
	QueueOffset int64  `json:"queueOffset"`
	MsgID       string `json:"msgId"`
	OffsetMsgID string `json:"offsetMsgId"`
	// RegionID and TraceOn are the broker's MSG_REGION and TRACE_ON: the official clients
	// write a trace record only when the region is set and tracing is on.
	RegionID string `json:"regionId,omitempty"`
	TraceOn  bool   `json:"-"`
	// TransactionID is the broker's id of a half message.
	TransactionID string `json:"transactionId,omitempty"`
}

// Send sends one message to a queue of a broker (SEND_MESSAGE with the V1 header GoC sends).
// The caller sets UNIQ_KEY and other properties.
func (a *Admin) Send(ctx context.Context, addr string, r SendRequest) (SendResult, error) {
	group := r.ProducerGroup
	if group == "" {
		group = "TOOLS_PRODUCER"
	}
	h := &protocol.SendMessageRequestHeader{ProducerGroup: group, Topic: r.Message.Topic, DefaultTopic: "TBW102",
		DefaultTopicQueueNums: 4, QueueID: r.QueueID, SysFlag: r.SysFlag, BornTimestamp: time.Now().UnixMilli(),
		Flag: r.Message.Flag, Properties: message.EncodeProperties(r.Message.Properties), BrokerName: r.BrokerName,
		MaxReconsumeTimes: r.MaxReconsumeTimes}
	ext := make(map[string]string, 16)
	h.Encode(ext)
	if r.MaxReconsumeTimes <= 0 {
		delete(ext, "maxReconsumeTimes")
	}
	tctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancel()
	resp, err := a.client.InvokeSync(tctx, addr, remoting.NewRequest(int16(protocol.SendMessage), ext, r.Message.Body))
	if err != nil {
		return SendResult{}, wrapf("SEND_MESSAGE to %s: %w", addr, err)
	}
	if err := a.refused(addr, protocol.SendMessage, ext, resp); err != nil {
		return SendResult{}, err
	}
	var sh protocol.SendMessageResponseHeader
	if err := sh.Decode(resp.ExtFields); err != nil {
		return SendResult{}, wrapf("SEND_MESSAGE header: %w", err)
	}
	res := SendResult{BrokerName: r.BrokerName, QueueID: sh.QueueID, QueueOffset: sh.QueueOffset,
		MsgID: r.Message.Properties[message.PropertyUniqClientMessageIDKeyIndex], OffsetMsgID: sh.MsgID,
		RegionID: sh.MsgRegion, TraceOn: sh.TraceOn != "" && sh.TraceOn != "false", TransactionID: sh.TransactionID}
	if res.MsgID == "" {
		res.MsgID = sh.MsgID
	}
	return res, nil
}

// WriteQueue is one queue of a topic's route: the writable queues of a topic's route, sorted by broker name and queue id.
type WriteQueue struct {
	BrokerName string
	Addr       string
	QueueID    int32
}

// TopicQueues returns a topic's queues on its masters: the write queues when write is set,
// else the read queues.
func TopicQueues(rd protocol.TopicRouteData, write bool) []WriteQueue {
	masters := map[string]string{}
	for _, b := range RouteMasters(rd) {
		masters[b.Name] = b.Addr
	}
	var out []WriteQueue
	for _, qd := range rd.QueueDatas {
		addr, ok := masters[qd.BrokerName]
		if !ok {
			continue
		}
		n := qd.ReadQueueNums
		if write {
			if qd.Perm&protocol.PermWrite == 0 {
				continue
			}
			n = qd.WriteQueueNums
		} else if qd.Perm&protocol.PermRead == 0 {
			continue
		}
		for q := range n {
			out = append(out, WriteQueue{BrokerName: qd.BrokerName, Addr: addr, QueueID: q})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].BrokerName != out[j].BrokerName {
			return out[i].BrokerName < out[j].BrokerName
		}
		return out[i].QueueID < out[j].QueueID
	})
	return out
}

// ReadQueue is a readable queue and the broker to read it from.
type ReadQueue struct {
	WriteQueue
	// ID is Addr's broker id: 0 for the master; a slave's id when the route lists no master
	// for the brokerName (it is gone).
	ID int64
}

// FromSlave reports whether the queue is read from a slave.
func (q ReadQueue) FromSlave() bool { return q.ID != protocol.MasterID }

// ReadQueues returns a topic's read queues, each with the broker to read it from: its
// brokerName's master, or, when the route lists none, its lowest slave, which holds the
// master's CommitLog and ConsumeQueues and answers pulls once its master is gone (the read
// views' fallback, ForEachBrokerSet). missing names the brokerNames with readable queues
// and no live broker, so that a caller says its answer is partial rather than smaller.
func ReadQueues(rd protocol.TopicRouteData) (qs []ReadQueue, missing []string) {
	readers := map[string]Broker{}
	for _, set := range RouteBrokerSets(rd) {
		if bs := set.Brokers(); len(bs) > 0 {
			readers[set.Name] = bs[0]
		}
	}
	seen := map[string]bool{}
	for _, qd := range rd.QueueDatas {
		if qd.Perm&protocol.PermRead == 0 || qd.ReadQueueNums <= 0 {
			continue
		}
		b, ok := readers[qd.BrokerName]
		if !ok {
			if !seen[qd.BrokerName] {
				seen[qd.BrokerName] = true
				missing = append(missing, qd.BrokerName)
			}
			continue
		}
		for q := range qd.ReadQueueNums {
			qs = append(qs, ReadQueue{WriteQueue: WriteQueue{BrokerName: qd.BrokerName, Addr: b.Addr, QueueID: q}, ID: b.ID})
		}
	}
	sort.Slice(qs, func(i, j int) bool {
		if qs[i].BrokerName != qs[j].BrokerName {
			return qs[i].BrokerName < qs[j].BrokerName
		}
		return qs[i].QueueID < qs[j].QueueID
	})
	sort.Strings(missing)
	return qs, missing
}

// ConsumeDirectly asks the broker at addr to have client clientID of group consume the
// message with offset id msgID (CONSUME_MESSAGE_DIRECTLY, as mqadmin consumeMessageDirectly).
func (a *Admin) ConsumeDirectly(ctx context.Context, addr, group, clientID, topic, brokerName, msgID string) (protocol.ConsumeMessageDirectlyResult, error) {
	var r protocol.ConsumeMessageDirectlyResult
	resp, err := a.invoke(ctx, addr, protocol.ConsumeMessageDirectly, &protocol.ConsumeMessageDirectlyResultRequestHeader{
		ConsumerGroup: group, ClientID: clientID, MsgID: msgID, BrokerName: brokerName, Topic: topic}, nil)
	if err != nil {
		return r, err
	}
	err = decode(protocol.ConsumeMessageDirectly, resp, &r)
	return r, err
}

// ConsumerRunningInfo asks the broker at addr for a client's running info
// (GET_CONSUMER_RUNNING_INFO, which the broker forwards to the client).
func (a *Admin) ConsumerRunningInfo(ctx context.Context, addr, group, clientID string) (protocol.ConsumerRunningInfo, error) {
	var r protocol.ConsumerRunningInfo
	resp, err := a.invoke(ctx, addr, protocol.GetConsumerRunningInfo, &protocol.GetConsumerRunningInfoRequestHeader{
		ConsumerGroup: group, ClientID: clientID}, nil)
	if err != nil {
		return r, err
	}
	err = decode(protocol.GetConsumerRunningInfo, resp, &r)
	return r, err
}
