package message

import (
	"encoding/binary"
	"hash/crc32"
	"net/netip"
)

// Magic codes of CommitLog records (reference §4.6, §6.2).
const (
	// MagicV1 marks a record with a 1-byte topic length. The Go client only reads V1.
	MagicV1 uint32 = 0xDAA320A7
	// MagicV2 marks a record with a 2-byte topic length (Java uses it for topics over 127 bytes).
	MagicV2 uint32 = 0xDAA320AB
	// BlankMagic marks the filler at the end of a CommitLog segment.
	BlankMagic uint32 = 0xCBD43194
)

// Fixed offsets of the stored record (IPv4 hosts; later fields move with IPv6 hosts).
const (
	OffTotalSize   = 0
	OffMagic       = 4
	OffBodyCRC     = 8
	OffQueueID     = 12
	OffFlag        = 16
	OffQueueOffset = 20
	OffPhysOffset  = 28
	OffSysFlag     = 36
	OffBornTime    = 40
	OffBornHost    = 48
	// StoredFixedLen is the size of a V1 IPv4 record with empty body, topic and properties.
	StoredFixedLen = 91
	// MinStoredLen is the smallest possible record (V1, IPv4, everything empty).
	MinStoredLen = StoredFixedLen
)

// BodyCRC returns CRC32-IEEE of body masked to 31 bits, as stored in BODYCRC.
func BodyCRC(body []byte) int32 { return int32(crc32.ChecksumIEEE(body) & 0x7FFFFFFF) }

func hostLen(a netip.AddrPort) int {
	if isV6(a) {
		return 20
	}
	return 8
}

func isV6(a netip.AddrPort) bool {
	ad := a.Addr()
	return ad.IsValid() && !ad.Is4() && !ad.Is4In6()
}

func putHost(b []byte, a netip.AddrPort) int {
	ad := a.Addr()
	if isV6(a) {
		s := ad.As16()
		copy(b, s[:])
		binary.BigEndian.PutUint32(b[16:], uint32(a.Port()))
		return 20
	}
	var s [4]byte
	if ad.IsValid() {
		s = ad.Unmap().As4()
	}
	copy(b, s[:])
	binary.BigEndian.PutUint32(b[4:], uint32(a.Port()))
	return 8
}

func getHost(b []byte, v6 bool) netip.AddrPort {
	if v6 {
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[:16])), uint16(binary.BigEndian.Uint32(b[16:])))
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[:4])), uint16(binary.BigEndian.Uint32(b[4:])))
}

// StoredLen returns the size of the stored record of m with a properties string of propsLen
// bytes, checking the topic and properties limits.
func StoredLen(m *MessageExt, propsLen int) (int, error) {
	if propsLen > MaxPropertiesLen {
		return 0, ErrPropertiesTooLong
	}
	topicLen := 1
	if len(m.Topic) > MaxTopicLen {
		if len(m.Topic) > 32767 {
			return 0, ErrTopicTooLong
		}
		topicLen = 2
	}
	n := 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + hostLen(m.BornHost) + 8 + hostLen(m.StoreHost) + 4 + 8 +
		4 + len(m.Body) + topicLen + len(m.Topic) + 2 + propsLen
	if n > 1<<31-1 {
		return 0, ErrBadLength
	}
	return n, nil
}

// StoredPropsLen returns the length of the properties string the encoders write for m:
// len(raw) when raw is non-nil, else PropertiesLen(m.Properties).
func StoredPropsLen(m *MessageExt, raw []byte) int {
	if raw != nil {
		return len(raw)
	}
	return PropertiesLen(m.Properties)
}

// PutStored writes the stored record of m into b, which must hold at least size bytes where size
// is StoredLen(m, StoredPropsLen(m, raw)). BODYCRC is m.BodyCRC as given (see BodyCRC); the
// host-address V6 bits of SYSFLAG are set from the hosts. When raw is non-nil it is written
// verbatim as the properties string, else m.Properties is encoded. It returns size.
func PutStored(b []byte, m *MessageExt, raw []byte, size int) int {
	b = b[:size]
	be := binary.BigEndian
	sys := m.SysFlag &^ (SysFlagBornHostV6 | SysFlagStoreHostV6)
	if isV6(m.BornHost) {
		sys |= SysFlagBornHostV6
	}
	if isV6(m.StoreHost) {
		sys |= SysFlagStoreHostV6
	}
	v2 := len(m.Topic) > MaxTopicLen
	be.PutUint32(b[0:], uint32(size))
	if v2 {
		be.PutUint32(b[4:], MagicV2)
	} else {
		be.PutUint32(b[4:], MagicV1)
	}
	be.PutUint32(b[8:], uint32(m.BodyCRC))
	be.PutUint32(b[12:], uint32(m.QueueID))
	be.PutUint32(b[16:], uint32(m.Flag))
	be.PutUint64(b[20:], uint64(m.QueueOffset))
	be.PutUint64(b[28:], uint64(m.CommitLogOffset))
	be.PutUint32(b[36:], uint32(sys))
	be.PutUint64(b[40:], uint64(m.BornTimestamp))
	p := 48 + putHost(b[48:], m.BornHost)
	be.PutUint64(b[p:], uint64(m.StoreTimestamp))
	p += 8
	p += putHost(b[p:], m.StoreHost)
	be.PutUint32(b[p:], uint32(m.ReconsumeTimes))
	be.PutUint64(b[p+4:], uint64(m.PreparedTransactionOffset))
	be.PutUint32(b[p+12:], uint32(len(m.Body)))
	p += 16
	p += copy(b[p:], m.Body)
	if v2 {
		be.PutUint16(b[p:], uint16(len(m.Topic)))
		p += 2
	} else {
		b[p] = byte(len(m.Topic))
		p++
	}
	p += copy(b[p:], m.Topic)
	pl := size - p - 2
	be.PutUint16(b[p:], uint16(pl))
	p += 2
	if raw != nil {
		copy(b[p:], raw)
	} else {
		AppendProperties(b[p:p], m.Properties)
	}
	return size
}

// EncodeStored appends the stored record of m to dst, computing BODYCRC from the body.
// When raw is non-nil it is the properties string, written verbatim.
func EncodeStored(dst []byte, m *MessageExt, raw []byte) ([]byte, error) {
	size, err := StoredLen(m, StoredPropsLen(m, raw))
	if err != nil {
		return dst, err
	}
	mm := *m
	mm.BodyCRC = BodyCRC(m.Body)
	dst = grow(dst, size)
	PutStored(dst[len(dst):len(dst)+size], &mm, raw, size)
	return dst[:len(dst)+size], nil
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), 2*cap(b)+n)
	copy(nb, b)
	return nb
}

// Stored is a validated view of one stored record: the accessors read fields in place without
// allocating. Make one with ParseStored.
type Stored []byte

// ParseStored checks the record at the start of b (magic, lengths, bounds; not the CRC) and
// returns a view of exactly its bytes. A blank (end-of-segment) record returns ErrBadMagic.
func ParseStored(b []byte) (Stored, error) {
	if len(b) < 8 {
		return nil, ErrShort
	}
	be := binary.BigEndian
	total := int(int32(be.Uint32(b)))
	magic := be.Uint32(b[4:])
	if magic != MagicV1 && magic != MagicV2 {
		return nil, ErrBadMagic
	}
	if total < MinStoredLen {
		return nil, ErrBadLength
	}
	if total > len(b) {
		return nil, ErrShort
	}
	r := b[:total]
	sys := int32(be.Uint32(r[OffSysFlag:]))
	p := 48 + hostSize(sys&SysFlagBornHostV6 != 0) + 8 + hostSize(sys&SysFlagStoreHostV6 != 0) + 12
	if p+4 > total {
		return nil, ErrBadLength
	}
	bodyLen := int(int32(be.Uint32(r[p:])))
	p += 4
	if bodyLen < 0 || bodyLen > total-p {
		return nil, ErrBadLength
	}
	p += bodyLen
	var topicLen int
	if magic == MagicV2 {
		if p+2 > total {
			return nil, ErrBadLength
		}
		topicLen = int(be.Uint16(r[p:]))
		p += 2
	} else {
		if p+1 > total {
			return nil, ErrBadLength
		}
		topicLen = int(r[p])
		p++
	}
	if topicLen > total-p {
		return nil, ErrBadLength
	}
	p += topicLen
	if p+2 > total {
		return nil, ErrBadLength
	}
	propsLen := int(be.Uint16(r[p:]))
	p += 2
	if propsLen > MaxPropertiesLen || p+propsLen != total {
		return nil, ErrBadLength
	}
	return Stored(r), nil
}

func hostSize(v6 bool) int {
	if v6 {
		return 20
	}
	return 8
}

func (s Stored) u32(off int) int32 { return int32(binary.BigEndian.Uint32(s[off:])) }
func (s Stored) u64(off int) int64 { return int64(binary.BigEndian.Uint64(s[off:])) }

// TotalSize returns TOTALSIZE.
func (s Stored) TotalSize() int32 { return s.u32(OffTotalSize) }

// Magic returns MAGICCODE.
func (s Stored) Magic() uint32 { return uint32(s.u32(OffMagic)) }

// BodyCRC returns BODYCRC.
func (s Stored) BodyCRC() int32 { return s.u32(OffBodyCRC) }

// QueueID returns QUEUEID.
func (s Stored) QueueID() int32 { return s.u32(OffQueueID) }

// Flag returns FLAG.
func (s Stored) Flag() int32 { return s.u32(OffFlag) }

// QueueOffset returns QUEUEOFFSET.
func (s Stored) QueueOffset() int64 { return s.u64(OffQueueOffset) }

// PhysicalOffset returns PHYSICALOFFSET.
func (s Stored) PhysicalOffset() int64 { return s.u64(OffPhysOffset) }

// SysFlag returns SYSFLAG.
func (s Stored) SysFlag() int32 { return s.u32(OffSysFlag) }

// BornTimestamp returns BORNTIMESTAMP (ms).
func (s Stored) BornTimestamp() int64 { return s.u64(OffBornTime) }

func (s Stored) storeTimeOff() int { return 48 + hostSize(s.SysFlag()&SysFlagBornHostV6 != 0) }

func (s Stored) reconsumeOff() int {
	return s.storeTimeOff() + 8 + hostSize(s.SysFlag()&SysFlagStoreHostV6 != 0)
}

// BornHost returns BORNHOST.
func (s Stored) BornHost() netip.AddrPort {
	return getHost(s[48:], s.SysFlag()&SysFlagBornHostV6 != 0)
}

// StoreTimestamp returns STORETIMESTAMP (ms).
func (s Stored) StoreTimestamp() int64 { return s.u64(s.storeTimeOff()) }

// StoreHost returns STOREHOST.
func (s Stored) StoreHost() netip.AddrPort {
	return getHost(s[s.storeTimeOff()+8:], s.SysFlag()&SysFlagStoreHostV6 != 0)
}

// ReconsumeTimes returns RECONSUMETIMES.
func (s Stored) ReconsumeTimes() int32 { return s.u32(s.reconsumeOff()) }

// PreparedTransactionOffset returns PREPARED_TRANSACTION_OFFSET.
func (s Stored) PreparedTransactionOffset() int64 { return s.u64(s.reconsumeOff() + 4) }

func (s Stored) bodyOff() int { return s.reconsumeOff() + 16 }

// Body returns the stored body (a sub-slice of s).
func (s Stored) Body() []byte {
	p := s.bodyOff()
	return s[p : p+int(s.u32(p-4))]
}

func (s Stored) topicRange() (int, int) {
	p := s.bodyOff() + int(s.u32(s.bodyOff()-4))
	if s.Magic() == MagicV2 {
		return p + 2, p + 2 + int(binary.BigEndian.Uint16(s[p:]))
	}
	return p + 1, p + 1 + int(s[p])
}

// Topic returns the topic bytes (a sub-slice of s).
func (s Stored) Topic() []byte {
	a, b := s.topicRange()
	return s[a:b]
}

// Properties returns the properties string (a sub-slice of s).
func (s Stored) Properties() []byte {
	_, b := s.topicRange()
	return s[b+2:]
}

// CheckCRC reports whether the body matches BODYCRC.
func (s Stored) CheckCRC() bool { return BodyCRC(s.Body()) == s.BodyCRC() }

// Ext decodes the view into a MessageExt. The body is copied when copyBody is true, else it
// aliases s; the topic and properties are always copied into strings.
func (s Stored) Ext(copyBody bool) MessageExt {
	body := s.Body()
	if copyBody {
		body = append([]byte(nil), body...)
	}
	return MessageExt{
		Message: Message{
			Topic:      string(s.Topic()),
			Flag:       s.Flag(),
			Properties: DecodeProperties(s.Properties()),
			Body:       body,
		},
		QueueID:                   s.QueueID(),
		QueueOffset:               s.QueueOffset(),
		CommitLogOffset:           s.PhysicalOffset(),
		SysFlag:                   s.SysFlag(),
		BornTimestamp:             s.BornTimestamp(),
		BornHost:                  s.BornHost(),
		StoreTimestamp:            s.StoreTimestamp(),
		StoreHost:                 s.StoreHost(),
		ReconsumeTimes:            s.ReconsumeTimes(),
		PreparedTransactionOffset: s.PreparedTransactionOffset(),
		BodyCRC:                   s.BodyCRC(),
		StoreSize:                 s.TotalSize(),
	}
}

// DecodeStored decodes the record at the start of b and returns it with its length. With
// checkCRC it returns ErrBodyCRC when the body does not match. The body is copied.
func DecodeStored(b []byte, checkCRC bool) (MessageExt, int, error) {
	s, err := ParseStored(b)
	if err != nil {
		return MessageExt{}, 0, err
	}
	if checkCRC && !s.CheckCRC() {
		return MessageExt{}, 0, ErrBodyCRC
	}
	return s.Ext(true), len(s), nil
}

// DecodeStoredAll decodes back-to-back records (a PULL or QUERY body) as the Go client does.
func DecodeStoredAll(b []byte) ([]MessageExt, error) {
	var out []MessageExt
	for len(b) > 0 {
		m, n, err := DecodeStored(b, false)
		if err != nil {
			return out, err
		}
		out = append(out, m)
		b = b[n:]
	}
	return out, nil
}
