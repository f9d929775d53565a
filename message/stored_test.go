package message

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// a9Props is the properties string of reference Appendix A.9 in the captured order.
const a9Props = "TRAN_MSG\x01true\x02PGROUP\x01capTxGroup\x02UNIQ_KEY\x01C000020255F6000000008aa6d3c8000f\x02" +
	"MSG_REGION\x01DefaultRegion\x02TRACE_ON\x01true\x02CLUSTER\x01DefaultCluster\x02"

// a9Record builds the 243 bytes of Appendix A.9 by hand, field by field.
func a9Record(t *testing.T) []byte {
	t.Helper()
	h := strings.Join([]string{
		"000000f3",         // TOTALSIZE 243
		"daa320a7",         // MAGICCODE V1
		"21879bf1",         // BODYCRC
		"00000001",         // QUEUEID 1
		"00000000",         // FLAG
		"0000000000000000", // QUEUEOFFSET
		"00000000000007ec", // PHYSICALOFFSET 2028
		"00000004",         // SYSFLAG prepared
		"000001a21f0ebd60", // BORNTIMESTAMP
		"7f00000100008888", // BORNHOST 127.0.0.1:34952
		"000001a21f0ebd60", // STORETIMESTAMP
		"7f00000100002a9f", // STOREHOST 127.0.0.1:10911
		"00000000",         // RECONSUMETIMES
		"0000000000000000", // PREPARED_TRANSACTION_OFFSET
		"00000007",         // BODYLEN
		hex.EncodeToString([]byte("tx-body")),
		"09", // TOPICLEN
		hex.EncodeToString([]byte("TopicTest")),
		"0088", // PROPERTIESLEN 136
		hex.EncodeToString([]byte(a9Props)),
	}, "")
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 243 {
		t.Fatalf("A.9 record is %d bytes, want 243", len(b))
	}
	return b
}

func a9Ext() MessageExt {
	return MessageExt{
		Message: Message{Topic: "TopicTest", Body: []byte("tx-body"), Properties: map[string]string{
			"TRAN_MSG": "true", "PGROUP": "capTxGroup", "UNIQ_KEY": "C000020255F6000000008aa6d3c8000f",
			"MSG_REGION": "DefaultRegion", "TRACE_ON": "true", "CLUSTER": "DefaultCluster"}},
		QueueID:         1,
		CommitLogOffset: 2028,
		SysFlag:         TransactionPreparedType,
		BornTimestamp:   0x1a21f0ebd60,
		BornHost:        netip.MustParseAddrPort("127.0.0.1:34952"),
		StoreTimestamp:  0x1a21f0ebd60,
		StoreHost:       netip.MustParseAddrPort("127.0.0.1:10911"),
		BodyCRC:         0x21879bf1,
		StoreSize:       243,
	}
}

func TestStoredGoldenA9(t *testing.T) {
	want := a9Record(t)
	m := a9Ext()
	got, err := EncodeStored(nil, &m, []byte(a9Props))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encode mismatch\n got %x\nwant %x", got, want)
	}
	if c := BodyCRC([]byte("tx-body")); c != 0x21879bf1 {
		t.Fatalf("BodyCRC = %#x", c)
	}
	dec, n, err := DecodeStored(want, true)
	if err != nil || n != 243 {
		t.Fatalf("decode: n=%d err=%v", n, err)
	}
	if dec.Topic != m.Topic || !bytes.Equal(dec.Body, m.Body) || dec.QueueID != 1 || dec.CommitLogOffset != 2028 ||
		dec.SysFlag != 4 || dec.BornHost != m.BornHost || dec.StoreHost != m.StoreHost || dec.StoreSize != 243 ||
		dec.BodyCRC != m.BodyCRC || dec.BornTimestamp != m.BornTimestamp || len(dec.Properties) != 6 ||
		dec.Properties["UNIQ_KEY"] != "C000020255F6000000008aa6d3c8000f" {
		t.Fatalf("decoded %+v", dec)
	}
	if id := dec.OffsetMsgID(); id != "7F00000100002A9F00000000000007EC" {
		t.Fatalf("OffsetMsgID = %s", id)
	}
	if id := dec.MsgID(); id != "C000020255F6000000008aa6d3c8000f" {
		t.Fatalf("MsgID = %s", id)
	}
	// Encoding from the map (sorted order) gives the same size and decodes to the same message.
	sorted, err := EncodeStored(nil, &m, nil)
	if err != nil || len(sorted) != 243 || !bytes.Equal(sorted[:107], want[:107]) {
		t.Fatalf("map encoding: len=%d err=%v", len(sorted), err)
	}
	v, err := ParseStored(sorted)
	if err != nil {
		t.Fatal(err)
	}
	if pv, ok := PropertyValue(v.Properties(), "PGROUP"); !ok || string(pv) != "capTxGroup" {
		t.Fatalf("PropertyValue = %q %v", pv, ok)
	}
}

func TestStoredRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		m    MessageExt
	}{
		{"name=empty", MessageExt{}},
		{"name=ipv6", MessageExt{Message: Message{Topic: "T", Body: []byte("b"), Properties: map[string]string{"KEYS": "a b"}},
			BornHost: netip.MustParseAddrPort("[::1]:1"), StoreHost: netip.MustParseAddrPort("[2001:db8::2]:10911"), QueueOffset: 7}},
		{"name=v2topic", MessageExt{Message: Message{Topic: strings.Repeat("x", 200), Body: bytes.Repeat([]byte{1}, 5000)},
			ReconsumeTimes: 3, PreparedTransactionOffset: 99}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := EncodeStored([]byte("prefix"), &tt.m, nil)
			if err != nil {
				t.Fatal(err)
			}
			b = b[len("prefix"):]
			got, n, err := DecodeStored(b, true)
			if err != nil || n != len(b) {
				t.Fatalf("n=%d err=%v", n, err)
			}
			if got.Topic != tt.m.Topic || !bytes.Equal(got.Body, tt.m.Body) || got.QueueOffset != tt.m.QueueOffset ||
				got.ReconsumeTimes != tt.m.ReconsumeTimes || got.PreparedTransactionOffset != tt.m.PreparedTransactionOffset ||
				got.Properties["KEYS"] != tt.m.Properties["KEYS"] {
				t.Fatalf("got %+v", got)
			}
			if tt.m.StoreHost.IsValid() && got.StoreHost != tt.m.StoreHost {
				t.Fatalf("store host %v", got.StoreHost)
			}
			if tt.m.BornHost.IsValid() && got.BornHost != tt.m.BornHost {
				t.Fatalf("born host %v", got.BornHost)
			}
			b[len(b)-len(tt.m.Topic)-3] ^= 0xFF // inside the body or length fields: never a panic
			_, _, _ = DecodeStored(b, true)
		})
	}
}

func TestStoredErrors(t *testing.T) {
	rec := a9Record(t)
	tests := []struct {
		name string
		mut  func(b []byte) []byte
		want error
	}{
		{"case=short", func(b []byte) []byte { return b[:100] }, ErrShort},
		{"case=magic", func(b []byte) []byte { b[5] = 0; return b }, ErrBadMagic},
		{"case=crc", func(b []byte) []byte { b[90] ^= 1; return b }, ErrBodyCRC},
		{"case=bodylen", func(b []byte) []byte { b[87] = 200; return b }, ErrBadLength},
		{"case=totalsmall", func(b []byte) []byte { b[3] = 10; return b }, ErrBadLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.mut(append([]byte(nil), rec...))
			if _, _, err := DecodeStored(b, true); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEncodeStoredNoAllocs(t *testing.T) {
	m := a9Ext()
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		buf, err = EncodeStored(buf[:0], &m, nil)
		if err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("EncodeStored allocates %v times per call", allocs)
	}
}

func FuzzDecodeStored(f *testing.F) {
	f.Add(a9RecordBytes())
	m := MessageExt{Message: Message{Topic: strings.Repeat("t", 130), Body: []byte("x")}, StoreHost: netip.MustParseAddrPort("[::1]:9")}
	b, _ := EncodeStored(nil, &m, nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		// Whole input, then in two chunks (a short first read must fail cleanly).
		mm, n, err := DecodeStored(b, false)
		if err == nil {
			if n > len(b) || n < MinStoredLen {
				t.Fatalf("n=%d len=%d", n, len(b))
			}
			re, err := EncodeStored(nil, &mm, Stored(b[:n]).Properties())
			if err != nil {
				t.Fatal(err)
			}
			// The encoder normalises (V1 magic for topics up to 127 bytes, IPv4-mapped hosts
			// as IPv4), so lengths may differ; the re-encoded record must decode to the same
			// message and be a fixed point of decode+encode.
			back, _, err := DecodeStored(re, false)
			if err != nil || back.Topic != mm.Topic || !bytes.Equal(back.Body, mm.Body) ||
				back.QueueOffset != mm.QueueOffset || back.CommitLogOffset != mm.CommitLogOffset ||
				back.BornHost.Addr().Unmap() != mm.BornHost.Addr().Unmap() || back.BornHost.Port() != mm.BornHost.Port() {
				t.Fatalf("re-encoded record decodes to %+v (%v), want %+v", back, err, mm)
			}
			again, err := EncodeStored(nil, &back, Stored(re).Properties())
			if err != nil || !bytes.Equal(again, re) {
				t.Fatalf("decode+encode is not a fixed point: %x vs %x (%v)", again, re, err)
			}
			if _, _, err := DecodeStored(b[:n/2], false); err == nil {
				t.Fatal("half record decoded")
			}
		}
		_, _ = DecodeStoredAll(b)
	})
}

func a9RecordBytes() []byte {
	m := a9Ext()
	b, _ := EncodeStored(nil, &m, []byte(a9Props))
	return b
}
