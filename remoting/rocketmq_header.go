package remoting

import (
	"encoding/binary"
	"fmt"
	"math"
)

// rocketMQFixedLen is the size of the fixed part of a ROCKETMQ header: code, language,
// version, opaque, flag, remarkLen and extLen.
const rocketMQFixedLen = 2 + 1 + 2 + 4 + 4 + 4 + 4

// extFieldsLen is the encoded size of c.ExtFields in the ROCKETMQ layout.
func extFieldsLen(ext map[string]string) (int, error) {
	n := 0
	for k, v := range ext {
		if len(k) > math.MaxInt16 {
			return 0, fmt.Errorf("%w: extFields key of %d bytes", ErrBadHeader, len(k))
		}
		n += 2 + len(k) + 4 + len(v)
	}
	return n, nil
}

// appendRocketMQHeader appends c's header in the ROCKETMQ binary layout
// (RocketMQSerializable.java). extFields are written in sorted key order.
func appendRocketMQHeader(dst []byte, c *Command) ([]byte, error) {
	var arr [16]ExtPair
	var pairs []ExtPair
	var extLen int
	var err error
	if c.pairs != nil {
		pairs = c.sortedPairs(arr[:0])
		for _, p := range pairs {
			if len(p.Key) > math.MaxInt16 {
				return dst, fmt.Errorf("%w: extFields key of %d bytes", ErrBadHeader, len(p.Key))
			}
			extLen += 2 + len(p.Key) + 4 + len(p.Value)
		}
	} else if extLen, err = extFieldsLen(c.ExtFields); err != nil {
		return dst, err
	}
	if len(c.Remark) > math.MaxInt32 || extLen > math.MaxInt32 {
		return dst, ErrFrameTooLarge
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(c.Code))
	dst = append(dst, byte(c.Language))
	dst = binary.BigEndian.AppendUint16(dst, uint16(c.Version))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Opaque))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Flag))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(c.Remark)))
	dst = append(dst, c.Remark...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(extLen))
	if c.pairs != nil {
		for _, p := range pairs {
			dst = binary.BigEndian.AppendUint16(dst, uint16(len(p.Key)))
			dst = append(dst, p.Key...)
			dst = binary.BigEndian.AppendUint32(dst, uint32(len(p.Value)))
			dst = append(dst, p.Value...)
		}
		return dst, nil
	}
	var keys [32]string
	for _, k := range sortedKeys(keys[:0], c.ExtFields) {
		v := c.ExtFields[k]
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(k)))
		dst = append(dst, k...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
		dst = append(dst, v...)
	}
	return dst, nil
}

func truncated(what string, need, have int) error {
	return fmt.Errorf("%w: rocketmq header: %s needs %d bytes, %d left", ErrBadHeader, what, need, have)
}

// decodeRocketMQHeader parses a ROCKETMQ binary header. Every length is checked against
// the bytes that remain before anything is allocated, and the header must be consumed
// exactly.
func decodeRocketMQHeader(b []byte, c *Command, in *interner) error {
	if len(b) < rocketMQFixedLen {
		return truncated("fixed part", rocketMQFixedLen, len(b))
	}
	c.Code = int16(binary.BigEndian.Uint16(b[0:]))
	c.Language = LanguageCode(b[2])
	c.Version = int16(binary.BigEndian.Uint16(b[3:]))
	c.Opaque = int32(binary.BigEndian.Uint32(b[5:]))
	c.Flag = int32(binary.BigEndian.Uint32(b[9:]))
	remarkLen := int64(int32(binary.BigEndian.Uint32(b[13:])))
	b = b[17:]
	if remarkLen < 0 || remarkLen > int64(len(b)-4) {
		return truncated("remark", int(remarkLen)+4, len(b))
	}
	c.Remark = string(b[:remarkLen])
	b = b[remarkLen:]
	extLen := int64(int32(binary.BigEndian.Uint32(b)))
	b = b[4:]
	if extLen < 0 || extLen > int64(len(b)) {
		return truncated("extFields", int(extLen), len(b))
	}
	if extLen != int64(len(b)) {
		return fmt.Errorf("%w: rocketmq header: %d bytes after extFields", ErrBadHeader, int64(len(b))-extLen)
	}
	c.ExtFields, c.pairs = nil, nil
	if len(b) == 0 {
		return nil
	}
	skip := in != nil && in.skipExt
	var ext *extBuilder
	if !skip {
		ext = in.builder()
	}
	for n := 0; len(b) > 0; n++ {
		if len(b) < 2 {
			return truncated("key length", 2, len(b))
		}
		kl := int(int16(binary.BigEndian.Uint16(b)))
		b = b[2:]
		if kl < 0 || kl+4 > len(b) {
			return truncated("key", kl+4, len(b))
		}
		kb := b[:kl]
		b = b[kl:]
		vl := int64(int32(binary.BigEndian.Uint32(b)))
		b = b[4:]
		if vl < 0 || vl > int64(len(b)) {
			return truncated("value", int(vl), len(b))
		}
		if !skip {
			ext.set(in.key(kb, n), b[:vl])
		}
		b = b[vl:]
	}
	if !skip {
		ext.finish(c, in.wantsPairs(c.Code))
	}
	return nil
}
