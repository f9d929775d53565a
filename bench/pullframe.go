package bench

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strconv"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// pullRequest is the PULL_MESSAGE request of the range r of queue q; ext is reused.
func pullRequest(o *Options, q *pullQueue, r span, ext map[string]string) *remoting.Command {
	h := protocol.PullMessageRequestHeader{ConsumerGroup: o.Group, Topic: o.Topic, QueueID: q.t.QueueID,
		QueueOffset: r.from, MaxMsgNums: int32(r.to - r.from), SysFlag: pullFlagSubscription,
		Subscription: "*", ExpressionType: "TAG", BrokerName: q.t.BrokerName}
	clear(ext)
	h.Encode(ext)
	req := remoting.NewRequest(int16(protocol.PullMessage), ext, nil)
	if o.Credentials != nil {
		o.Credentials.Sign(req)
	}
	return req
}

// pullTemplate writes a queue's PULL_MESSAGE frames without encoding a header: the frame
// is encoded once with sentinel values in the three fields that vary from pull to pull
// (opaque, queue offset, message count), and each pull writes the bytes between them with
// its own values spliced in. Those are decimal numbers, in JSON strings or bare, so the
// frame is byte for byte the one remoting.AppendFrame writes for the same request.
type pullTemplate struct {
	pieces [4][]byte // the header around the varying fields, in order
	fields [3]int    // the field of each gap: fieldOpaque, fieldOffset or fieldCount
}

const (
	fieldOpaque = iota
	fieldOffset
	fieldCount
)

// Sentinels of the varying fields, each found exactly once in a template's header.
const (
	opaqueSentinel = math.MinInt32
	offsetSentinel = 9_111_111_111_111_111_111
	countSentinel  = 2_111_111_111
)

// newPullTemplate returns q's template, or nil when its pulls cannot be templated (signed
// requests: the signature covers the values; a sentinel not found exactly once).
func newPullTemplate(o *Options, q *pullQueue) *pullTemplate {
	if o.Credentials != nil {
		return nil
	}
	req := pullRequest(o, q, span{offsetSentinel, offsetSentinel + countSentinel}, map[string]string{})
	req.Opaque = opaqueSentinel
	frame, err := remoting.AppendFrame(nil, req)
	if err != nil || req.Serialize != remoting.JSON || len(frame) < 8 {
		return nil
	}
	hdr := frame[8:]
	marks := [3][]byte{
		fieldOpaque: []byte(`"opaque":` + strconv.Itoa(opaqueSentinel)),
		fieldOffset: []byte(`"` + strconv.Itoa(offsetSentinel) + `"`),
		fieldCount:  []byte(`"` + strconv.Itoa(countSentinel) + `"`),
	}
	type gap struct{ field, at, end int }
	var gaps [3]gap
	for f, m := range marks {
		if bytes.Count(hdr, m) != 1 {
			return nil
		}
		i := bytes.Index(hdr, m)
		end := i + len(m)
		if f == fieldOpaque {
			i = end - len(strconv.Itoa(opaqueSentinel))
		} else {
			i, end = i+1, end-1 // inside the quotes
		}
		gaps[f] = gap{f, i, end}
	}
	slices.SortFunc(gaps[:], func(a, b gap) int { return a.at - b.at })
	t := &pullTemplate{}
	last := 0
	for i, g := range gaps {
		t.pieces[i], t.fields[i] = hdr[last:g.at], g.field
		last = g.end
	}
	t.pieces[3] = hdr[last:]
	return t
}

// append appends the frame of the pull of count messages from offset with opaque.
func (t *pullTemplate) append(dst []byte, opaque int32, offset int64, count int32) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0) // length, header length (JSON is serialize type 0)
	for i, f := range t.fields {
		dst = append(dst, t.pieces[i]...)
		switch f {
		case fieldOpaque:
			dst = strconv.AppendInt(dst, int64(opaque), 10)
		case fieldOffset:
			dst = strconv.AppendInt(dst, offset, 10)
		default:
			dst = strconv.AppendInt(dst, int64(count), 10)
		}
	}
	dst = append(dst, t.pieces[3]...)
	n := len(dst) - start
	binary.BigEndian.PutUint32(dst[start:], uint32(n-4))
	binary.BigEndian.PutUint32(dst[start+4:], uint32(n-8))
	return dst
}
