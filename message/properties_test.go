package message

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"testing"
)

func TestProperties(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"case=empty", "", map[string]string{}},
		{"case=two", "A\x011\x02B\x012\x02", map[string]string{"A": "1", "B": "2"}},
		{"case=notrailing", "A\x011", map[string]string{"A": "1"}},
		{"case=emptyvalue", "A\x01\x02B\x01x\x02", map[string]string{"B": "x"}},
		{"case=emptykey", "\x01v\x02", map[string]string{}},
		{"case=valuewithsep", "A\x01x\x01y\x02", map[string]string{"A": "x\x01y"}},
		{"case=garbage", "\x02\x02noseparator\x02", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DecodeProperties([]byte(tt.in))
			if !maps.Equal(got, tt.want) {
				t.Fatalf("got %q want %q", got, tt.want)
			}
			if got := DecodePropertiesString(tt.in, 3); !maps.Equal(got, tt.want) {
				t.Fatalf("DecodePropertiesString: got %q want %q", got, tt.want)
			}
			for k, v := range tt.want {
				if pv, ok := PropertyValue([]byte(tt.in), k); !ok || string(pv) != v {
					t.Fatalf("PropertyValue(%q) = %q %v", k, pv, ok)
				}
			}
		})
	}
	m := map[string]string{"KEYS": "k1 k2", "TAGS": "t", "UNIQ_KEY": "X", "": "dropped", "E": ""}
	s := EncodeProperties(m)
	if s != "KEYS\x01k1 k2\x02TAGS\x01t\x02UNIQ_KEY\x01X\x02" || PropertiesLen(m) != len(s) {
		t.Fatalf("encoded %q", s)
	}
	var keys []string
	SplitKeys([]byte(" k1  k2 "), func(k []byte) { keys = append(keys, string(k)) })
	if len(keys) != 2 || keys[0] != "k1" || keys[1] != "k2" || !HasKey("k1 k2", "k2") || HasKey("k1 k2", "") {
		t.Fatalf("keys %q", keys)
	}
}

func FuzzDecodeProperties(f *testing.F) {
	f.Add([]byte("A\x011\x02B\x012\x02"))
	f.Add([]byte("\x01\x02\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := DecodeProperties(b)
		if len(m) > len(b)/3+1 {
			t.Fatalf("%d entries from %d bytes", len(m), len(b))
		}
		for k, v := range m {
			if k == "" || v == "" || bytes.IndexByte([]byte(k), NameValueSeparator) >= 0 {
				t.Fatalf("bad pair %q=%q", k, v)
			}
		}
		re := DecodeProperties([]byte(EncodeProperties(m)))
		if !maps.Equal(m, re) {
			t.Fatalf("round trip %q != %q", re, m)
		}
	})
}

// TestDecodePropertiesStringAllocs: the send path decodes a producer's properties and adds the
// broker's stamps (CLUSTER, MSG_REGION, TRACE_ON, UNIQ_KEY) with no allocation but the map's
// (its header and its group: the map never grows): names and values are substrings of the
// header's string.
func TestDecodePropertiesStringAllocs(t *testing.T) {
	in := "TAGS\x01TagA\x02KEYS\x01k1 k2\x02UNIQ_KEY\x01C000020255F6000000008aa6d3c80001\x02WAIT\x01true\x02"
	var m map[string]string
	allocs := testing.AllocsPerRun(100, func() {
		m = DecodePropertiesString(in, 4)
		m[PropertyCluster], m[PropertyMsgRegion], m[PropertyTraceSwitch], m["X"] = "c", "r", "false", "x"
	})
	if allocs > 2 || len(m) != 8 || m["KEYS"] != "k1 k2" {
		t.Fatalf("%v allocations, map %q", allocs, m)
	}
}

func BenchmarkDecodeProperties(b *testing.B) {
	in := "TAGS\x01TagA\x02KEYS\x01k1 k2\x02UNIQ_KEY\x01C000020255F6000000008aa6d3c80001\x02WAIT\x01true\x02"
	b.Run("from=bytes", func(b *testing.B) {
		bs := []byte(in)
		b.ReportAllocs()
		for b.Loop() {
			DecodeProperties(bs)
		}
	})
	b.Run("from=string/spare=4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m := DecodePropertiesString(in, 4)
			m[PropertyCluster], m[PropertyMsgRegion], m[PropertyTraceSwitch], m["X"] = "c", "r", "false", "x"
		}
	})
}

// TestAppendPropertiesSorted: the properties string lists the pairs with a non-empty name and
// value in ascending name order, for a message's handful and for many.
func TestAppendPropertiesSorted(t *testing.T) {
	for _, n := range []int{0, 1, 7, 12, 13, 200} {
		props := map[string]string{"": "x", "EMPTY": ""}
		for i := range n {
			props[fmt.Sprintf("K%03d", (i*37)%1000)] = fmt.Sprint(i)
		}
		var keys []string
		for k, v := range props {
			if k != "" && v != "" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		var want []byte
		for _, k := range keys {
			want = append(want, k+"\x01"+props[k]+"\x02"...)
		}
		if got := AppendProperties(nil, props); string(got) != string(want) {
			t.Fatalf("%d properties:\n got %q\nwant %q", n, got, want)
		}
	}
}

func BenchmarkAppendProperties(b *testing.B) {
	props := map[string]string{"UNIQ_KEY": "C000020255F6000000008aa6d3c80001", "WAIT": "true", "TAGS": "TagA",
		"KEYS": "k1 k2", "CLUSTER": "DefaultCluster", "MSG_REGION": "DefaultRegion", "TRACE_ON": "true"}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendProperties(buf[:0], props)
	}
}
