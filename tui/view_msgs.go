package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/tui/render"
)

func init() {
	register(command{names: []string{"msgs", "messages", "m"}, usage: ":msgs TOPIC", complete: "topics",
		open: func(m *Model, args []string) tea.Cmd {
			t := ""
			if len(args) > 0 {
				t = args[0]
			} else if tv, ok := m.top().(*topicView); ok {
				t = tv.topic
			}
			if t == "" {
				m.setStatus("", errors.New("usage: :msgs TOPIC"))
				return nil
			}
			return m.switchTo(newMsgsView(t))
		}})
	register(command{names: []string{"key", "k"}, usage: ":key TOPIC KEY", complete: "topics",
		open: func(m *Model, args []string) tea.Cmd {
			if len(args) < 2 {
				m.setStatus("", errors.New("usage: :key TOPIC KEY"))
				return nil
			}
			return m.switchTo(&keyView{messageList: messageList{tableView: newTable()}, topic: args[0], key: args[1]})
		}})
	register(command{names: []string{"msg", "id"}, usage: ":msg ID [TOPIC]",
		open: func(m *Model, args []string) tea.Cmd {
			if len(args) < 1 {
				m.setStatus("", errors.New("usage: :msg ID [TOPIC] (an offset id, or a unique key with its topic)"))
				return nil
			}
			v := &idView{messageList: messageList{tableView: newTable()}, id: args[0]}
			if len(args) > 1 {
				v.topic = args[1]
			}
			return m.switchTo(v)
		}})
}

// messageList is a table of messages: enter opens one, t shows its trace.
type messageList struct {
	tableView
	msgs []admin.FoundMessage
}

func (l *messageList) setMessages(ms []admin.FoundMessage) {
	l.msgs = ms
	l.setTable(render.MessagesTable(ms))
}

func (l *messageList) current() (admin.FoundMessage, bool) {
	id, _ := l.tableSelected()
	i := slices.IndexFunc(l.msgs, func(x admin.FoundMessage) bool { return x.MsgID() == id })
	if id == "" || i < 0 {
		return admin.FoundMessage{}, false
	}
	return l.msgs[i], true
}

func (l *messageList) selected() (string, any) {
	if fm, ok := l.current(); ok {
		return fm.MsgID(), messageObject(fm)
	}
	return "", nil
}

func (l *messageList) actions() []action {
	return []action{
		{key: bind("enter", "message detail", "enter"), run: func(m *Model) tea.Cmd {
			if fm, ok := l.current(); ok {
				return m.push(newMessageView(fm, m.cfg.Now()))
			}
			return nil
		}},
		{key: bind("t", "trace", "t"), run: func(m *Model) tea.Cmd {
			if fm, ok := l.current(); ok {
				return m.push(newTraceView(fm.MsgID()))
			}
			return nil
		}},
	}
}

// msgsView browses a topic newest first across its queues; pgdn on the last row loads the
// page before.
type msgsView struct {
	messageList
	topic string
	top   []cursor // every queue's cursor at its max offset, as last loaded
	cur   []cursor
	more  bool
}

func newMsgsView(topic string) *msgsView {
	return &msgsView{messageList: messageList{tableView: newTable()}, topic: topic}
}

func (v *msgsView) crumb() string { return "Messages(" + v.topic + ")" }

func (v *msgsView) load(ctx context.Context, e env) result {
	ts, err := e.src.TopicStatus(ctx, v.topic)
	if err != nil {
		return result{err: err}
	}
	cur := cursors(ts)
	ms, next, berr := browse(ctx, e.src, v.topic, cur, e.browseN)
	return result{summary: ts.Brokers.Summary(), partial: !ts.Brokers.Complete(), err: errors.Join(ts.Brokers.Err(), berr),
		apply: func() { v.top, v.cur, v.more, v.text = cur, next, hasOlder(next), nil; v.setMessages(ms) }}
}

// jump reads the page ending at an offset (the same offset on every queue) or at a time
// (each queue's first offset stored at or after it, SEARCH_OFFSET_BY_TIMESTAMP).
func (v *msgsView) jump(m *Model, to string) tea.Cmd {
	to = strings.TrimSpace(to)
	if to == "" {
		return nil
	}
	off, oerr := strconv.ParseInt(to, 10, 64)
	var ts int64
	if oerr != nil {
		t, err := time.Parse(time.RFC3339, to)
		if d, derr := time.ParseDuration(to); derr == nil && d < 0 {
			t, err = m.cfg.Now().Add(d), nil
		}
		if err != nil {
			m.setStatus("", fmt.Errorf("jump to %q: want an offset, an RFC 3339 time or -DURATION", to))
			return nil
		}
		ts = t.UnixMilli()
	}
	top, topic := slices.Clone(v.top), v.topic
	return m.run(v, func(ctx context.Context, e env) result {
		cur := slices.Clone(top)
		for i := range cur {
			c := &cur[i]
			if oerr == nil {
				c.Low = max(c.Min, min(c.Low, off+1))
				continue
			}
			o, err := e.src.SearchOffset(ctx, c.Addr, topic, c.QueueID, ts)
			if err != nil {
				return result{err: err}
			}
			c.Low = max(c.Min, min(c.Low, o))
		}
		ms, next, err := browse(ctx, e.src, topic, cur, e.browseN)
		return result{err: err, apply: func() {
			v.cur, v.more = next, hasOlder(next)
			v.setMessages(ms)
			v.cursor, v.offset = 0, 0
			what := "offsets up to " + to
			if oerr != nil {
				what = "stored before " + admin.FormatTime(ts)
			}
			v.text = []string{what + " (ctrl+r: back to the newest)"}
		}}
	})
}

func hasOlder(cs []cursor) bool {
	return slices.ContainsFunc(cs, func(c cursor) bool { return c.Low > c.Min })
}

func (v *msgsView) actions() []action {
	return append(v.messageList.actions(), action{key: bind("J", "jump to an offset or a time", "J"), run: func(m *Model) tea.Cmd {
		m.askFor("jump to (OFFSET | 2006-01-02T15:04:05Z | -1h):", "", v.jump)
		return nil
	}}, action{key: bind("pgdn", "older (on the last row)", "pgdown", "ctrl+f"), run: func(m *Model) tea.Cmd {
		if !v.atBottom() {
			v.move(max(v.rows, 1))
			return nil
		}
		if !v.more {
			m.setStatus("no older messages", nil)
			return nil
		}
		cur, topic := slices.Clone(v.cur), v.topic
		m.setStatus("loading older messages…", nil)
		return m.run(v, func(ctx context.Context, e env) result {
			ms, next, err := browse(ctx, e.src, topic, cur, e.browseN)
			return result{err: err, apply: func() {
				v.cur, v.more = next, hasOlder(next)
				v.setMessages(append(slices.Clone(v.msgs), ms...))
			}}
		})
	}})
}

// Refreshing a paged list would throw the older pages away: the messages view loads once and
// on ctrl+r.
func (v *msgsView) refreshes() bool { return false }

// keyView is `:key TOPIC KEY`: every message with that key from the brokers' index, past the
// 64-per-call cap (admin.QueryByKey), newest first.
type keyView struct {
	messageList
	topic, key string
}

func (v *keyView) crumb() string { return "Key(" + v.topic + " " + v.key + ")" }

func (v *keyView) load(ctx context.Context, e env) result {
	kq, err := e.src.QueryByKey(ctx, v.topic, v.key, 0, 0, 0)
	if err != nil && len(kq.Messages) == 0 {
		return result{err: err}
	}
	ms := slices.Clone(kq.Messages)
	newestFirst(ms)
	return result{summary: kq.Brokers.Summary(), partial: !kq.Brokers.Complete(), err: err, apply: func() {
		v.text = []string{fmt.Sprintf("%d messages with key %q in %s (%d index queries)", len(ms), v.key, v.topic, kq.Queries)}
		v.setMessages(ms)
	}}
}

func (v *keyView) refreshes() bool { return false }

// idView is `:msg ID [TOPIC]`: a message by offset id, or by unique key with its topic
// (admin.MessageByID); several may share a unique key.
type idView struct {
	messageList
	id, topic string
}

func (v *idView) crumb() string { return "Msg(" + v.id + ")" }

func (v *idView) load(ctx context.Context, e env) result {
	found, kind, err := e.src.MessageByID(ctx, v.topic, v.id)
	if len(found) == 0 {
		if err == nil {
			err = admin.ErrMessageNotFound
		}
		return result{err: err}
	}
	ms := slices.Clone(found)
	newestFirst(ms)
	return result{err: err, apply: func() {
		v.text = []string{fmt.Sprintf("%d message(s) by %s id %s", len(ms), kind, v.id)}
		v.setMessages(ms)
	}}
}

func (v *idView) refreshes() bool { return false }

// messageView is one message: ids, places, system and user properties apart, the body as
// JSON, text or hex (x toggles).
type messageView struct {
	paneView
	fm  admin.FoundMessage
	hex bool
}

// detailPreview bounds the body bytes the detail shows.
const detailPreview = 64 << 10

func newMessageView(fm admin.FoundMessage, now time.Time) *messageView {
	v := &messageView{fm: fm}
	v.viewState = staticState(now)
	v.lines = render.MessageDetail(fm, false, detailPreview)
	return v
}

func (v *messageView) crumb() string                    { return "Message(" + v.fm.MsgID() + ")" }
func (v *messageView) load(context.Context, env) result { return result{} }
func (v *messageView) selected() (string, any)          { return v.fm.MsgID(), messageObject(v.fm) }
func (v *messageView) body(m *Model, w, h int) []string { return v.paneView.body(m, w, h) }
func (v *messageView) actions() []action {
	return []action{
		{key: bind("x", "hex/text body", "x"), run: func(*Model) tea.Cmd {
			v.hex = !v.hex
			v.lines = render.MessageDetail(v.fm, v.hex, detailPreview)
			return nil
		}},
		{key: bind("t", "trace", "t"), run: func(m *Model) tea.Cmd { return m.push(newTraceView(v.fm.MsgID())) }},
		{key: bind("R", "consume again (a group's consumer)", "R"), write: "resend a message to a consumer", run: func(m *Model) tea.Cmd {
			m.askFor("hand "+v.fm.MsgID()+" to a consumer of group:", "", func(m *Model, group string) tea.Cmd {
				if group == "" {
					return nil
				}
				confirmConsumeAgain(m, v.fm, group)
				return nil
			})
			return nil
		}},
	}
}

// confirmConsumeAgain confirms, then has an online consumer of group consume the message
// again (admin.ConsumeAgain, as `mq message resend`).
func confirmConsumeAgain(m *Model, fm admin.FoundMessage, group string) {
	bg, topic, id := m.background(), fm.Topic, fm.OffsetMsgID()
	m.confirm("consume "+fm.MsgID()+" again by "+group, []string{
		"hand message " + fm.MsgID() + " (" + topic + ", stored " + admin.FormatTime(fm.StoreTimestamp) + ")",
		"to an online consumer of group " + group + " to consume once more (CONSUME_MESSAGE_DIRECTLY).",
		"Nothing is stored or sent to the topic; the consumer's code runs again.",
	}, func() tea.Cmd {
		return bg(func(ctx context.Context, src Source) tea.Msg {
			r, err := src.ConsumeAgain(ctx, topic, id, group, "")
			return doneMsg{text: fmt.Sprintf("%s consumed by %s: %s in %dms", fm.MsgID(), r.Client, r.Result, r.SpentMs), err: err}
		})
	})
}

// messageObject is what `y` shows of a message.
func messageObject(fm admin.FoundMessage) map[string]any {
	return map[string]any{"msgId": fm.MsgID(), "offsetMsgId": fm.OffsetMsgID(), "topic": fm.Topic, "brokerName": fm.BrokerName,
		"queueId": fm.QueueID, "queueOffset": fm.QueueOffset, "commitLogOffset": fm.CommitLogOffset, "tags": fm.Tags(), "keys": fm.Keys(),
		"bornTimestamp": admin.FormatTimeMs(fm.BornTimestamp), "storeTimestamp": admin.FormatTimeMs(fm.StoreTimestamp),
		"reconsumeTimes": fm.ReconsumeTimes, "properties": fm.Properties, "bodyLength": len(fm.Body)}
}
