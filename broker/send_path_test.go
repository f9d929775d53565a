package broker

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

// TestSendPipelinedBodies: sends pipelined on one connection, V1 and V2 headers, each with a
// body of its own, are stored with exactly their body, served inline (where the read loop
// lends the body from its buffer) or on the send pool.
func TestSendPipelinedBodies(t *testing.T) {
	for _, inline := range []bool{true, false} {
		t.Run(fmt.Sprintf("inline=%v", inline), func(t *testing.T) {
			defer func(was bool) { inlineSends = was }(inlineSends)
			inlineSends = inline
			br, addr := startBroker(t, testConfig(t), nil)
			if err := br.Topics().Update(protocol.NewTopicConfig("LentTopic")); err != nil {
				t.Fatal(err)
			}
			c := remoting.NewClient(remoting.ClientConfig{})
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			const n = 600
			body := func(i int) []byte {
				b := bytes.Repeat([]byte{byte('a' + i%26)}, 900+i%300)
				copy(b, fmt.Sprintf("#%d#", i))
				return b
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			offsets := make(map[int]int64, n)
			errs := make(chan error, n)
			sem := make(chan struct{}, 128)
			for i := range n {
				h := protocol.SendMessageRequestHeader{ProducerGroup: "g", Topic: "LentTopic", QueueID: int32(i % 4),
					BornTimestamp: time.Now().UnixMilli(),
					Properties:    message.EncodeProperties(map[string]string{"UNIQ_KEY": fmt.Sprintf("0A000001000000000000000000%06X", i)})}
				code := protocol.SendMessage
				var ext map[string]string
				if i%2 == 0 {
					ext = protocol.EncodeHeader(&h)
				} else {
					code = protocol.SendMessageV2
					ext = protocol.EncodeHeader((*protocol.SendMessageRequestHeaderV2)(&h))
				}
				sem <- struct{}{}
				wg.Add(1)
				err := c.InvokeAsync(ctx, addr, remoting.NewRequest(int16(code), ext, body(i)), func(resp *remoting.Command, err error) {
					defer wg.Done()
					defer func() { <-sem }()
					if err == nil && resp.Code != 0 {
						err = fmt.Errorf("send %d: code %d %s", i, resp.Code, resp.Remark)
					}
					if err != nil {
						errs <- err
						return
					}
					_, off, perr := message.ParseOffsetMsgID(resp.Ext("msgId"))
					if perr != nil {
						errs <- perr
						return
					}
					mu.Lock()
					offsets[i] = off
					mu.Unlock()
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for i := range n {
				rec, err := br.ms.ReadAt(offsets[i])
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				got := bytes.Clone(rec.Body())
				rec.Release()
				if !bytes.Equal(got, body(i)) {
					t.Fatalf("message %d stored with body %.8q (%d bytes)", i, got, len(got))
				}
			}
		})
	}
}

// TestSendResponseJSON: the answer built straight into JSON (newSendResponseJSON) is written
// byte for byte as newSendResponse writes the same header, its pairs read the same values,
// and a region or transaction id that needs escaping is left to newSendResponse.
func TestSendResponseJSON(t *testing.T) {
	host := netip.MustParseAddrPort("127.0.0.1:10911")
	for _, c := range []struct {
		region, txID string
		traceOn      bool
		qid          int32
		res          store.AppendResult
	}{
		{"DefaultRegion", "7F0000012A9F18B4AAC2653B5B4C0001", true, 3, store.AppendResult{PhysicalOffset: 2028, QueueOffset: 123456789}},
		{"", "", false, 0, store.AppendResult{}},
		{"r\u00e9gion é", "tx", true, 1 << 20, store.AppendResult{PhysicalOffset: 1 << 40, QueueOffset: 1 << 33}},
	} {
		req := remoting.NewRequest(int16(protocol.SendMessageV2), nil, nil)
		req.Opaque, req.Serialize = 77, remoting.JSON
		got := newSendResponseJSON(req, protocol.Success, host, c.res, c.qid, c.txID, c.region, c.traceOn)
		if got == nil {
			t.Fatalf("%+v: nil", c)
		}
		rh := protocol.SendMessageResponseHeader{MsgID: message.OffsetMsgID(host, c.res.PhysicalOffset), QueueID: c.qid,
			QueueOffset: c.res.QueueOffset, TransactionID: c.txID, MsgRegion: c.region, TraceOn: strconv.FormatBool(c.traceOn)}
		want := newSendResponse(req, protocol.Success, &rh)
		gf, err1 := remoting.AppendFrame(nil, got)
		wf, err2 := remoting.AppendFrame(nil, want)
		if err1 != nil || err2 != nil || !bytes.Equal(gf, wf) {
			t.Fatalf("%+v:\njson  %q\npairs %q (%v, %v)", c, gf, wf, err1, err2)
		}
		for k, v := range want.ExtAll() {
			if got.Ext(k) != v {
				t.Errorf("%+v: Ext(%q) = %q, want %q", c, k, got.Ext(k), v)
			}
		}
		// Set a field after: the answer is written from its fields, not the stale JSON.
		got.SetExt("extra", "1")
		want.SetExt("extra", "1")
		gf, _ = remoting.AppendFrame(nil, got)
		wf, _ = remoting.AppendFrame(nil, want)
		if !bytes.Equal(gf, wf) {
			t.Fatalf("%+v after SetExt:\njson  %q\npairs %q", c, gf, wf)
		}
	}
	req := remoting.NewRequest(int16(protocol.SendMessageV2), nil, nil)
	for _, c := range [][2]string{{"quote\"region", ""}, {"r", "tx\x01"}, {"back\\slash", ""}, {"r", "\u2028"}} {
		if r := newSendResponseJSON(req, protocol.Success, host, store.AppendResult{}, 0, c[1], c[0], true); r != nil {
			t.Errorf("region %q, txID %q need escaping: got an answer, want nil", c[0], c[1])
		}
	}
}

// TestSendResponseMatchesMap: a send's response built as pairs (newSendResponse) is written
// byte for byte as the same response with its header in the ExtFields map.
func TestSendResponseMatchesMap(t *testing.T) {
	for _, st := range []remoting.SerializeType{remoting.JSON, remoting.RocketMQ} {
		for _, rh := range []protocol.SendMessageResponseHeader{
			{MsgID: "7F00000100002A9F0000000000000000", QueueID: 3, QueueOffset: 123456789, TransactionID: "C0A8",
				MsgRegion: "DefaultRegion", TraceOn: "true"},
			{MsgID: "7F00000100002A9F0000000000000000,7F00000100002A9F0000000000000100", QueueID: 0, TraceOn: "false"},
		} {
			req := remoting.NewRequest(int16(protocol.SendMessageV2), nil, nil)
			req.Opaque, req.Serialize = 77, st
			got, err := remoting.AppendFrame(nil, newSendResponse(req, protocol.Success, &rh))
			if err != nil {
				t.Fatal(err)
			}
			want := remoting.NewResponse(req, int16(protocol.Success), "")
			want.ExtFields = map[string]string{}
			rh.Encode(want.ExtFields)
			wf, err := remoting.AppendFrame(nil, want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, wf) {
				t.Fatalf("%v:\npairs %q\nmap   %q", st, got, wf)
			}
		}
	}
}

// startPlainBroker starts a broker with topic, a client, and returns a properties string of more
// pairs than a PropertyList holds, unsorted.
func startPlainBroker(t *testing.T, topic string) (*Broker, string, *remoting.Client, string) {
	br, addr := startBroker(t, testConfig(t), nil)
	if err := br.Topics().Update(protocol.NewTopicConfig(topic)); err != nil {
		t.Fatal(err)
	}
	var many strings.Builder
	for i := range 30 {
		fmt.Fprintf(&many, "P%02d\x01v%d\x02", 29-i, i)
	}
	return br, addr, newTestClient(t, nil), many.String()
}

// TestSendPlainMatchesGeneralPath: a send stored by sendPlain (no properties map) has the
// topic, queue and properties string, byte for byte, and gets the transaction id that doSend's
// general path gives it, for properties as clients write them: unsorted, repeated names, empty
// names and values, no UNIQ_KEY, WAIT=false, the broker's own stamps already set, more pairs
// than a PropertyList holds; sends with a delay level or a timer (which the general path
// rewrites) come out as the general path stores them.
func TestSendPlainMatchesGeneralPath(t *testing.T) {
	br, addr, c, many := startPlainBroker(t, "PlainTopic")
	cases := []string{
		"WAIT\x01true\x02TAGS\x01TagA\x02UNIQ_KEY\x01C0A800010000000000000000000000AA\x02KEYS\x01k1 k2\x02",
		"UNIQ_KEY\x01C0A800010000000000000000000000AB",
		"TAGS\x01a\x02TAGS\x01b\x02\x01novalue\x02EMPTY\x01\x02noseparator\x02UNIQ_KEY\x01C0A800010000000000000000000000AC\x02",
		"WAIT\x01false\x02UNIQ_KEY\x01C0A800010000000000000000000000AD\x02",
		"CLUSTER\x01theirs\x02MSG_REGION\x01x\x02TRACE_ON\x01false\x02UNIQ_KEY\x01C0A800010000000000000000000000AE\x02",
		"KEYS\x01nouniq\x02",
		"",
		many + "UNIQ_KEY\x01C0A800010000000000000000000000AF\x02",
		"DELAY\x012\x02UNIQ_KEY\x01C0A800010000000000000000000000B0\x02",
		// An absolute time: both sends get the same TIMER_OUT_MS.
		fmt.Sprintf("DELAY\x01\x02TIMER_DELIVER_MS\x01%d\x02UNIQ_KEY\x01C0A800010000000000000000000000B1\x02",
			time.Now().Add(time.Hour).UnixMilli()),
	}
	defer func(was bool) { plainSends = was }(plainSends)
	type stored struct{ topic, props, txID string }
	for i, props := range cases {
		var got [2]stored
		for j, plain := range []bool{true, false} {
			plainSends = plain
			h := protocol.SendMessageRequestHeader{ProducerGroup: "pg", Topic: "PlainTopic", QueueID: 1,
				BornTimestamp: time.Now().UnixMilli(), Properties: props}
			resp, err := c.InvokeSync(t.Context(), addr,
				remoting.NewRequest(int16(protocol.SendMessage), protocol.EncodeHeader(&h), []byte("body")))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Code != int16(protocol.Success) {
				t.Fatalf("case %d plain=%v: code %d %s", i, plain, resp.Code, resp.Remark)
			}
			_, off, err := message.ParseOffsetMsgID(resp.Ext("msgId"))
			if err != nil {
				t.Fatal(err)
			}
			rec, err := br.ms.ReadAt(off)
			if err != nil {
				t.Fatal(err)
			}
			s := stored{fmt.Sprintf("%s/%d", rec.Topic(), rec.QueueID()), string(rec.Properties()), resp.Ext("transactionId")}
			rec.Release()
			uniq, _ := message.PropertyValue([]byte(s.props), message.PropertyUniqClientMessageIDKeyIndex)
			if len(uniq) == 0 || string(uniq) != s.txID {
				t.Fatalf("case %d plain=%v: UNIQ_KEY %q, transactionId %q", i, plain, uniq, s.txID)
			}
			if !strings.Contains(props, message.PropertyUniqClientMessageIDKeyIndex) {
				// The broker's id differs from send to send.
				s.props = strings.Replace(s.props, s.txID, "<generated>", 1)
				s.txID = "<generated>"
			}
			got[j] = s
		}
		if got[0] != got[1] {
			t.Fatalf("case %d (%q):\nplain   %+q\ngeneral %+q", i, props, got[0], got[1])
		}
	}
}

// TestSendBatchPlainMatchesGeneralPath: the members of a SEND_BATCH_MESSAGE stored with their
// properties built without a map (batchPropertiesPlain) are stored exactly as the general path
// (a map per member) stores them, for members written as clients write them and for a batch
// with one member over a PropertyList's room (which takes the general path for all).
func TestSendBatchPlainMatchesGeneralPath(t *testing.T) {
	br, addr, c, many := startPlainBroker(t, "PlainBatch")
	member := func(flag int32, body, props string) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(20+len(body)+2+len(props)))
		b = binary.BigEndian.AppendUint32(b, 0) // magic
		b = binary.BigEndian.AppendUint32(b, 0) // body CRC
		b = binary.BigEndian.AppendUint32(b, uint32(flag))
		b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
		b = append(b, body...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(props)))
		return append(b, props...)
	}
	batches := [][]string{
		{"WAIT\x01true\x02UNIQ_KEY\x01B1\x02KEYS\x01k1\x02", "UNIQ_KEY\x01B2\x02TAGS\x01a\x02TAGS\x01b", "", "\x01x\x02E\x01\x02"},
		{"WAIT\x01false\x02UNIQ_KEY\x01B3", "CLUSTER\x01theirs\x02TRACE_ON\x01false\x02UNIQ_KEY\x01B4\x02"},
		{"UNIQ_KEY\x01B5\x02", many + "UNIQ_KEY\x01B6\x02"},
	}
	defer func(was bool) { plainSends = was }(plainSends)
	for i, props := range batches {
		var got [2][]string
		for j, plain := range []bool{true, false} {
			plainSends = plain
			var body []byte
			for k, p := range props {
				body = append(body, member(int32(k), fmt.Sprintf("m%d", k), p)...)
			}
			h := protocol.SendMessageRequestHeader{ProducerGroup: "pg", Topic: "PlainBatch", QueueID: 2,
				BornTimestamp: time.Now().UnixMilli(), Batch: true}
			resp, err := c.InvokeSync(t.Context(), addr, remoting.NewRequest(int16(protocol.SendBatchMessage),
				protocol.EncodeHeader((*protocol.SendMessageRequestHeaderV2)(&h)), body))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Code != int16(protocol.Success) {
				t.Fatalf("batch %d plain=%v: code %d %s", i, plain, resp.Code, resp.Remark)
			}
			ids := strings.Split(resp.Ext("msgId"), ",")
			if len(ids) != len(props) {
				t.Fatalf("batch %d plain=%v: %d ids for %d members", i, plain, len(ids), len(props))
			}
			for _, id := range ids {
				_, off, err := message.ParseOffsetMsgID(id)
				if err != nil {
					t.Fatal(err)
				}
				rec, err := br.ms.ReadAt(off)
				if err != nil {
					t.Fatal(err)
				}
				got[j] = append(got[j], fmt.Sprintf("%s/%d flag %d %s %q", rec.Topic(), rec.QueueID(), rec.Flag(),
					rec.Body(), rec.Properties()))
				rec.Release()
			}
		}
		if !slices.Equal(got[0], got[1]) {
			t.Fatalf("batch %d:\nplain   %q\ngeneral %q", i, got[0], got[1])
		}
	}
}
