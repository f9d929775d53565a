package message

import "encoding/binary"

// batchFixedLen is the size of a batch member with empty body and properties.
const batchFixedLen = 4 + 4 + 4 + 4 + 4 + 2

// BatchMember is one message of a SEND_BATCH_MESSAGE body, its properties string undecoded;
// Body and Properties alias the body it was split from.
type BatchMember struct {
	Flag       int32
	Body       []byte
	Properties []byte
}

// SplitBatch splits a SEND_BATCH_MESSAGE body into its members (reference §4.5). It returns at
// most maxCount members (ErrBadLength when there are more) and checks every length against the
// remaining input before using it.
func SplitBatch(body []byte, maxCount int) ([]BatchMember, error) {
	var out []BatchMember
	be := binary.BigEndian
	for len(body) > 0 {
		if len(out) >= maxCount {
			return nil, ErrBadLength
		}
		if len(body) < batchFixedLen {
			return nil, ErrShort
		}
		total := int(int32(be.Uint32(body)))
		if total < batchFixedLen || total > len(body) {
			return nil, ErrBadLength
		}
		rec := body[:total]
		bodyLen := int(int32(be.Uint32(rec[16:])))
		if bodyLen < 0 || bodyLen > total-batchFixedLen {
			return nil, ErrBadLength
		}
		p := 20 + bodyLen
		propsLen := int(be.Uint16(rec[p:]))
		if p+2+propsLen != total {
			return nil, ErrBadLength
		}
		out = append(out, BatchMember{Flag: int32(be.Uint32(rec[12:])), Body: rec[20:p:p], Properties: rec[p+2 : total : total]})
		body = body[total:]
	}
	return out, nil
}

// DecodeBatch splits a SEND_BATCH_MESSAGE body into messages as SplitBatch does and decodes
// their properties. Every message gets topic; bodies alias the input.
func DecodeBatch(body []byte, topic string, maxCount int) ([]Message, error) {
	members, err := SplitBatch(body, maxCount)
	if err != nil || len(members) == 0 {
		return nil, err
	}
	out := make([]Message, len(members))
	for i, bm := range members {
		out[i] = Message{Topic: topic, Flag: bm.Flag, Body: bm.Body}
		if len(bm.Properties) > 0 {
			out[i].Properties = DecodeProperties(bm.Properties)
		}
	}
	return out, nil
}

// AppendBatch appends the batch encoding of msgs to dst (MAGICCODE and BODYCRC are 0, as the
// clients send them).
func AppendBatch(dst []byte, msgs []Message) ([]byte, error) {
	be := binary.BigEndian
	for i := range msgs {
		m := &msgs[i]
		pl := PropertiesLen(m.Properties)
		if pl > MaxPropertiesLen {
			return dst, ErrPropertiesTooLong
		}
		total := batchFixedLen + len(m.Body) + pl
		dst = grow(dst, total)
		b := dst[len(dst) : len(dst)+total]
		be.PutUint32(b, uint32(total))
		be.PutUint32(b[4:], 0)
		be.PutUint32(b[8:], 0)
		be.PutUint32(b[12:], uint32(m.Flag))
		be.PutUint32(b[16:], uint32(len(m.Body)))
		p := 20 + copy(b[20:], m.Body)
		be.PutUint16(b[p:], uint16(pl))
		AppendProperties(b[p+2:p+2], m.Properties)
		dst = dst[:len(dst)+total]
	}
	return dst, nil
}
