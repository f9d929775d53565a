package render

import (
	"strconv"
	"time"

	"github.com/mq-project/mq/admin"
)

// DelayTable is the delay view: each broker's levels, then its timer wheel.
func DelayTable(res admin.Results[admin.DelayStatus]) Table {
	t := Table{Header: []string{"BROKER", "LEVEL", "DELAY", "PENDING", "DELIVERED", "MAX", "NEXT-DUE", "SOURCE"}}
	for _, it := range res.Items {
		if it.Err != nil {
			t.Rows = append(t.Rows, []string{it.Name, "-", "-", "-", "-", "-", "-", "DOWN"})
			t.Keys = append(t.Keys, it.Name)
			continue
		}
		for _, l := range it.Value.Levels {
			delay := "-"
			if l.DelayMillis > 0 {
				delay = (time.Duration(l.DelayMillis) * time.Millisecond).String()
			}
			t.Rows = append(t.Rows, []string{it.Name, strconv.Itoa(int(l.Level)), delay, itoa(l.Pending), itoa(l.DeliveredOffset),
				itoa(l.MaxOffset), Millis(l.NextDueTimestamp), it.Value.Source})
			t.Keys = append(t.Keys, it.Name+"/"+strconv.Itoa(int(l.Level)))
		}
		if tm := it.Value.Timer; tm != nil {
			t.Rows = append(t.Rows, []string{it.Name, "timer", "-", itoa(tm.Pending + tm.Backlog), itoa(tm.Delivered), itoa(tm.Enqueued),
				Millis(tm.NextDueTimestamp), it.Value.Source})
			t.Keys = append(t.Keys, it.Name+"/timer")
		}
	}
	return t
}

// HalfTable is the half view's queues: pending half messages per broker queue.
func HalfTable(res admin.Results[admin.TxnStatus]) Table {
	t := Table{Header: []string{"BROKER", "QUEUE", "PENDING", "OLDEST-AGE", "CHECKS-SENT", "HALF-OFFSET", "MAX", "SOURCE"}}
	for _, it := range res.Items {
		if it.Err != nil {
			t.Rows = append(t.Rows, []string{it.Name, "-", "-", "-", "-", "-", "-", "DOWN"})
			t.Keys = append(t.Keys, it.Name)
			continue
		}
		for _, q := range it.Value.Queues {
			pending := itoa(q.Pending)
			if q.Pending < 0 {
				pending = "unknown"
			}
			t.Rows = append(t.Rows, []string{it.Name, strconv.Itoa(int(q.QueueID)), pending, Age(q.OldestAgeMillis),
				itoa(q.ChecksSent), itoa(q.HalfOffset), itoa(q.MaxOffset), it.Value.Source})
			t.Keys = append(t.Keys, it.Name+"/"+strconv.Itoa(int(q.QueueID)))
		}
	}
	return t
}

// HalfMessages is the pending half messages themselves. keys holds their KEYS by
// HalfKey (read from the messages: the status does not carry them); "-" when unread.
func HalfMessages(res admin.Results[admin.TxnStatus], keys map[string]string, now int64) []string {
	var t Table
	t.Header = []string{"MSG-ID", "TOPIC", "PRODUCER-GROUP", "KEYS", "AGE", "CHECKS"}
	for _, it := range res.Items {
		for _, m := range it.Value.Messages {
			k, ok := keys[HalfKey(it.Name, m.QueueOffset)]
			if !ok {
				k = "-"
			}
			t.Rows = append(t.Rows, []string{m.MsgID, m.Topic, m.ProducerGroup, k, Age(now - m.StoreTimestamp), strconv.Itoa(int(m.CheckTimes))})
		}
	}
	if len(t.Rows) == 0 {
		return []string{"pending half messages: none"}
	}
	return append([]string{"pending half messages:"}, t.Lines(0)...)
}

// DLQRow is one group's dead-letter queue.
type DLQRow struct {
	Group    string
	Topic    string
	Messages int64
	Last     int64 // ms
	Err      error
}

// DLQTable is the dlq view, most dead letters first.
func DLQTable(rows []DLQRow) Table {
	t := Table{Header: []string{"GROUP", "DLQ-TOPIC", "MESSAGES", "LAST-STORED", "STATUS"}}
	for _, r := range rows {
		st := "ok"
		if r.Err != nil {
			st = "error: " + oneLine(r.Err.Error())
		}
		t.Rows = append(t.Rows, []string{r.Group, r.Topic, itoa(r.Messages), Millis(r.Last), st})
		t.Keys = append(t.Keys, r.Group)
	}
	return t
}

// HalfKey names one half message of brokerName by its offset in the half queue.
func HalfKey(brokerName string, halfOffset int64) string {
	return brokerName + "/" + strconv.FormatInt(halfOffset, 10)
}
