package bench

import (
	"maps"
	"net/netip"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// slowRequest is the request as produceLoop built it before sendTemplate: the whole header
// encoded into ext (cleared first), the properties from props (UNIQ_KEY set in it).
func slowRequest(o *Options, props, ext map[string]string, t admin.WriteQueue, uniq string, born time.Time, body []byte) *remoting.Command {
	props[message.PropertyUniqClientMessageIDKeyIndex] = uniq
	h := protocol.SendMessageRequestHeaderV2{ProducerGroup: o.Group, Topic: o.Topic, DefaultTopic: admin.AutoCreateTopic,
		DefaultTopicQueueNums: 4, QueueID: t.QueueID, BornTimestamp: born.UnixMilli(),
		Properties: message.EncodeProperties(props), BrokerName: t.BrokerName}
	if o.Transaction {
		h.SysFlag = message.TransactionPreparedType
	}
	clear(ext)
	h.Encode(ext)
	return remoting.NewRequest(int16(protocol.SendMessageV2), ext, body)
}

var templateTargets = []admin.WriteQueue{
	{BrokerName: "broker-a", Addr: "127.0.0.1:1", QueueID: 0},
	{BrokerName: "broker-a", Addr: "127.0.0.1:1", QueueID: 3},
	{BrokerName: "broker-b", Addr: "127.0.0.1:2", QueueID: 17},
}

// TestSendTemplate: every request the template builds carries exactly the extFields the
// per-message encoding gave (its own queue, broker, born timestamp and UNIQ_KEY), in plain,
// delayed and transactional runs, and encodes to the same frame.
func TestSendTemplate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		o     Options
		props map[string]string
	}{
		{"plain", Options{Topic: "T", Group: "g"}, map[string]string{}},
		{"delay", Options{Topic: "T", Group: "g", DelayLevel: 3}, map[string]string{message.PropertyDelayTimeLevel: "3"}},
		{"transaction", Options{Topic: "T", Group: "g", Transaction: true}, map[string]string{
			message.PropertyTransactionPrepared: "true", message.PropertyProducerGroup: "g"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl := newSendTemplate(&tc.o, tc.props, templateTargets)
			gen := message.NewUniqIDGenerator(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 1, 0, nil)
			body := []byte("body")
			seen := map[string]bool{}
			for i := range 7 {
				ti := i % len(templateTargets)
				born := time.UnixMilli(1_700_000_000_000 + int64(i)*1234)
				uniq := gen.Next(born)
				want := slowRequest(&tc.o, maps.Clone(tc.props), map[string]string{}, templateTargets[ti], uniq, born, body)
				f := tpl.frame(ti, []byte(uniq), born, body)
				if f == nil {
					t.Fatalf("message %d: no frame", i)
				}
				dec, err := remoting.DecodeFrame(f.Bytes()[4:])
				if err != nil || dec.Code != want.Code || !maps.Equal(dec.ExtFields, want.ExtFields) || string(dec.Body) != string(body) {
					t.Fatalf("message %d: frame decodes to %+v (%v), want %q", i, dec, err, want.ExtFields)
				}
				got := tpl.request(ti, uniq, born, body)
				if !maps.Equal(got.ExtFields, want.ExtFields) {
					t.Fatalf("message %d: extFields\n got %q\nwant %q", i, got.ExtFields, want.ExtFields)
				}
				gf, err1 := remoting.AppendFrame(nil, got)
				wf, err2 := remoting.AppendFrame(nil, want)
				if err1 != nil || err2 != nil || string(gf) != string(wf) {
					t.Fatalf("message %d: frames differ (%v, %v)", i, err1, err2)
				}
				var h protocol.SendMessageRequestHeaderV2
				if err := h.Decode(got.ExtFields); err != nil {
					t.Fatal(err)
				}
				p := message.DecodePropertiesString(h.Properties, 0)
				if p[message.PropertyUniqClientMessageIDKeyIndex] != uniq || seen[uniq] ||
					h.QueueID != templateTargets[ti].QueueID || h.BornTimestamp != born.UnixMilli() {
					t.Fatalf("message %d: header %+v, uniq %s", i, h, uniq)
				}
				seen[uniq] = true
			}
		})
	}
}

// BenchmarkSendRequest is the generator's per-message cost of a send request, built and
// encoded to its frame: "slow" is the former per-message header encoding, "template" the
// sendTemplate's extFields, "frame" its patched frame (copied as the connection does),
// "lean" what bench produce's lean path does (sendConn.appendSend without its pending map):
// the UNIQ_KEY appended, the frame patched and appended with its opaque.
func BenchmarkSendRequest(b *testing.B) {
	o := &Options{Topic: "BenchmarkTopic", Group: "mq_bench_producer"}
	props := map[string]string{}
	body := make([]byte, 1024)
	gen := message.NewUniqIDGenerator(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 1, 0, nil)
	for _, mode := range []string{"slow", "template", "frame", "lean"} {
		b.Run(mode, func(b *testing.B) {
			tpl := newSendTemplate(o, props, templateTargets)
			ext := make(map[string]string, 16)
			var buf []byte
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				ti := i % len(templateTargets)
				now := time.Now()
				if mode == "lean" {
					var u [maxUniqKey]byte
					buf = tpl.frame(ti, gen.AppendNext(u[:0], now), now, body).AppendTo(buf[:0], int32(i))
					continue
				}
				uniq := gen.Next(now)
				var req *remoting.Command
				switch mode {
				case "slow":
					req = slowRequest(o, props, ext, templateTargets[ti], uniq, now, body)
				case "template":
					req = tpl.request(ti, uniq, now, body)
				default:
					buf = append(buf[:0], tpl.frame(ti, []byte(uniq), now, body).Bytes()...)
					continue
				}
				buf, _ = remoting.AppendFrame(buf[:0], req)
			}
		})
	}
}
