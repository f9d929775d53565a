package message

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestOffsetMsgID(t *testing.T) {
	tests := []struct {
		name string
		host string
		off  int64
		want string
	}{
		{"host=v4", "127.0.0.1:10911", 2028, "7F00000100002A9F00000000000007EC"},
		{"host=v6", "[2001:db8::1]:10911", 1 << 40, "20010DB800000000000000000000000100002A9F0000010000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := netip.MustParseAddrPort(tt.host)
			if got := OffsetMsgID(h, tt.off); got != tt.want {
				t.Fatalf("got %s want %s", got, tt.want)
			}
			gh, goff, err := ParseOffsetMsgID(strings.ToLower(tt.want))
			if err != nil || gh != h || goff != tt.off {
				t.Fatalf("parse: %v %d %v", gh, goff, err)
			}
		})
	}
	for _, bad := range []string{"", "7F", "ZZ00000100002A9F00000000000007EC"} {
		if _, _, err := ParseOffsetMsgID(bad); err == nil {
			t.Fatalf("ParseOffsetMsgID(%q) succeeded", bad)
		}
	}
}

func TestUniqID(t *testing.T) {
	g := NewUniqIDGenerator(netip.MustParseAddr("192.0.2.2"), 0x55F6, 0, time.UTC)
	now := time.Date(2026, 11, 3, 0, 0, 1, 0, time.UTC)
	a, b := g.Next(now), g.Next(now)
	if a == b || len(a) != 32 || !strings.HasPrefix(a, "C000020255F600000000") || a != strings.ToUpper(a) {
		t.Fatalf("ids %s %s", a, b)
	}
	info, err := ParseUniqID(a)
	if err != nil {
		t.Fatal(err)
	}
	wantMs := uint32(2*24*3600*1000 + 1000)
	if info.Addr != netip.MustParseAddr("192.0.2.2") || info.PID != 0x55F6 || info.MonthOffsetMs != wantMs || info.Counter != 1 {
		t.Fatalf("info %+v", info)
	}
	// The Go client's mixed-case capture parses too.
	info, err = ParseUniqID("C000020255F6000000008aa6d3c80001")
	if err != nil || info.Counter != 1 || info.MonthOffsetMs != 0x8aa6d3c8 {
		t.Fatalf("capture: %+v %v", info, err)
	}
	g6 := NewUniqIDGenerator(netip.MustParseAddr("::1"), 1, 7, time.UTC)
	if id := g6.Next(now); len(id) != 56 {
		t.Fatalf("v6 id %s", id)
	}
	// AppendNext appends the id Next would give: the same layout, the next counter.
	c := g.AppendNext([]byte("x"), now)
	info, err = ParseUniqID(string(c[1:]))
	if c[0] != 'x' || len(c) != 33 || string(c[1:21]) != a[:20] || err != nil || info.Counter != 3 || info.MonthOffsetMs != wantMs {
		t.Fatalf("AppendNext %s: %+v %v", c, info, err)
	}
	if n := testing.AllocsPerRun(100, func() { c = g.AppendNext(c[:0], now) }); n != 0 {
		t.Fatalf("AppendNext into room allocates %v times", n)
	}
}

func TestTagsHash(t *testing.T) {
	tests := []struct {
		tag  string
		want int64
	}{
		{"", 0},
		{"TagA", 2598919},   // "TagA".hashCode()
		{"hello", 99162322}, // "hello".hashCode()
		{"é", 233},          // one UTF-16 unit
		{"😀", int64(int32(0xD83D*31 + 0xDE00))}, // surrogate pair
		{"a long tag that overflows", int64(JavaHashString("a long tag that overflows"))},
	}
	for _, tt := range tests {
		t.Run("tag="+tt.tag, func(t *testing.T) {
			if got := TagsHash(tt.tag); got != tt.want {
				t.Fatalf("got %d want %d", got, tt.want)
			}
			if got := JavaHash(0, []byte(tt.tag)); int64(got) != tt.want && tt.tag != "" {
				t.Fatalf("JavaHash = %d", got)
			}
		})
	}
	// Continuing the hash equals hashing the concatenation.
	if JavaHash(JavaHash(JavaHash(0, []byte("Topic")), []byte("#")), []byte("key1")) != JavaHashString("Topic#key1") {
		t.Fatal("continued hash differs")
	}
}
