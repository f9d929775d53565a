package message

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const upperHex = "0123456789ABCDEF"

func appendUpperHex(dst, src []byte) []byte {
	for _, c := range src {
		dst = append(dst, upperHex[c>>4], upperHex[c&0xF])
	}
	return dst
}

// AppendOffsetMsgID appends the offset message id of (storeHost, commitLogOffset) to dst:
// uppercase hex of IP (4 or 16 bytes), port (int32) and offset (int64).
func AppendOffsetMsgID(dst []byte, storeHost netip.AddrPort, commitLogOffset int64) []byte {
	var b [28]byte
	n := putHost(b[:], storeHost)
	binary.BigEndian.PutUint64(b[n:], uint64(commitLogOffset))
	return appendUpperHex(dst, b[:n+8])
}

// OffsetMsgID returns the offset message id of (storeHost, commitLogOffset), e.g.
// 7F00000100002A9F00000000000007EC for 127.0.0.1:10911 at offset 2028.
func OffsetMsgID(storeHost netip.AddrPort, commitLogOffset int64) string {
	var buf [56]byte
	return string(AppendOffsetMsgID(buf[:0], storeHost, commitLogOffset))
}

// ParseOffsetMsgID decodes an offset message id (32 hex chars for IPv4, 56 for IPv6, any case).
func ParseOffsetMsgID(id string) (storeHost netip.AddrPort, commitLogOffset int64, err error) {
	var b [28]byte
	switch len(id) {
	case 32, 56:
	default:
		return netip.AddrPort{}, 0, ErrBadMsgID
	}
	n, err := hex.Decode(b[:], []byte(id))
	if err != nil {
		return netip.AddrPort{}, 0, ErrBadMsgID
	}
	host := getHost(b[:], n == 28)
	return host, int64(binary.BigEndian.Uint64(b[n-8:])), nil
}

// UniqIDGenerator makes UNIQ_KEY values in the layout of Java's MessageClientIDSetter:
// client IP (4 or 16 bytes), pid (int16), class-loader hash (int32), milliseconds since the
// start of the current month (int32) and a counter (int16), written as uppercase hex.
// It is safe for concurrent use.
type UniqIDGenerator struct {
	mu      sync.Mutex
	prefix  []byte // uppercase hex of ip, pid, class-loader hash
	loc     *time.Location
	start   int64 // ms, start of the current month
	next    int64 // ms, start of the next month
	counter uint16
}

// NewUniqIDGenerator returns a generator for the client ip, pid and classLoaderHash (the Go
// client uses 0). Months begin in loc (nil means time.Local).
func NewUniqIDGenerator(ip netip.Addr, pid int, classLoaderHash int32, loc *time.Location) *UniqIDGenerator {
	if loc == nil {
		loc = time.Local
	}
	var b [22]byte
	n := 4
	if ip.IsValid() && !ip.Is4() && !ip.Is4In6() {
		a := ip.As16()
		copy(b[:], a[:])
		n = 16
	} else if ip.IsValid() {
		a := ip.Unmap().As4()
		copy(b[:], a[:])
	}
	binary.BigEndian.PutUint16(b[n:], uint16(pid))
	binary.BigEndian.PutUint32(b[n+2:], uint32(classLoaderHash))
	return &UniqIDGenerator{prefix: appendUpperHex(nil, b[:n+6]), loc: loc}
}

// Next returns a new unique id for time now.
func (g *UniqIDGenerator) Next(now time.Time) string {
	return string(g.AppendNext(make([]byte, 0, len(g.prefix)+12), now))
}

// AppendNext appends a new unique id for time now to dst, the id Next would return.
func (g *UniqIDGenerator) AppendNext(dst []byte, now time.Time) []byte {
	ms := now.UnixMilli()
	g.mu.Lock()
	if ms >= g.next || ms < g.start {
		t := now.In(g.loc)
		s := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, g.loc)
		g.start, g.next = s.UnixMilli(), s.AddDate(0, 1, 0).UnixMilli()
	}
	g.counter++
	var tail [6]byte
	binary.BigEndian.PutUint32(tail[:], uint32(ms-g.start))
	binary.BigEndian.PutUint16(tail[4:], g.counter)
	g.mu.Unlock()
	dst = append(dst, g.prefix...) // set once by NewUniqIDGenerator
	return appendUpperHex(dst, tail[:])
}

// UniqIDInfo is what a unique id says about its producer.
type UniqIDInfo struct {
	Addr            netip.Addr
	PID             uint16
	ClassLoaderHash int32
	MonthOffsetMs   uint32 // ms since the start of the month it was made in
	Counter         uint16
}

// ParseUniqID decodes a unique id of 32 (IPv4) or 56 (IPv6) hex chars in any case.
func ParseUniqID(id string) (UniqIDInfo, error) {
	var b [28]byte
	if len(id) != 32 && len(id) != 56 {
		return UniqIDInfo{}, ErrBadMsgID
	}
	n, err := hex.Decode(b[:], []byte(strings.ToUpper(id)))
	if err != nil {
		return UniqIDInfo{}, ErrBadMsgID
	}
	ipLen := n - 12
	var info UniqIDInfo
	if ipLen == 16 {
		info.Addr = netip.AddrFrom16([16]byte(b[:16]))
	} else {
		info.Addr = netip.AddrFrom4([4]byte(b[:4]))
	}
	info.PID = binary.BigEndian.Uint16(b[ipLen:])
	info.ClassLoaderHash = int32(binary.BigEndian.Uint32(b[ipLen+2:]))
	info.MonthOffsetMs = binary.BigEndian.Uint32(b[ipLen+6:])
	info.Counter = binary.BigEndian.Uint16(b[ipLen+10:])
	return info, nil
}

// JavaHash continues Java's String.hashCode over the UTF-16 code units of the UTF-8 bytes b,
// starting from h (0 for a fresh string). Invalid UTF-8 bytes count as U+FFFD, as Java's decoder
// would replace them.
func JavaHash(h int32, b []byte) int32 {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			h = 31*h + int32(c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if r > 0xFFFF {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// JavaHashString is Java's String.hashCode of s.
func JavaHashString(s string) int32 {
	var h int32
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			h = 31*h + int32(c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r > 0xFFFF {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// TagsHash returns the ConsumeQueue tags code of a TAGS value: Java String.hashCode
// sign-extended to int64; 0 for no tag.
func TagsHash(tags string) int64 {
	if tags == "" {
		return 0
	}
	return int64(JavaHashString(tags))
}
