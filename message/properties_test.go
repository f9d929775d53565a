package message

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
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

// TestDecodePropertiesStringAllocs: the general send path (doSend; plain sends use a
// PropertyList) decodes a producer's properties and adds the broker's stamps (CLUSTER,
// MSG_REGION, TRACE_ON, UNIQ_KEY) with no allocation but the map's (its header and its group:
// the map never grows): names and values are substrings of the header's string.
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

// FuzzPropertyList: a PropertyList parsed from any string, with any names set (an empty value
// included), reads and encodes what DecodePropertiesString's map with the same writes reads
// and encodes (AppendProperties), byte for byte; Parse refuses only strings with more pairs
// than it has room for. The input is the properties string, then after a \x00 the writes as
// name\x01value pairs split on \x02.
func FuzzPropertyList(f *testing.F) {
	for _, s := range []string{
		"",
		"UNIQ_KEY\x01C0A8\x02WAIT\x01true\x02TAGS\x01TagA\x02\x00CLUSTER\x01c\x02MSG_REGION\x01r\x02TRACE_ON\x01true",
		"WAIT\x01false\x02KEYS\x01k1 k2\x02\x00CLUSTER\x01c\x02MSG_REGION\x01\x02TRACE_ON\x01false",
		"A\x011\x02A\x012\x02B\x01\x02\x01x\x02C\x01y\x01z\x00A\x013\x02A\x01",
		"Z\x01z\x02Y\x01y\x02X\x01x\x02W\x01w\x02V\x01v\x02U\x01u\x02T\x01t\x02S\x01s\x02R\x01r\x02Q\x01q\x02" +
			"P\x01p\x02O\x01o\x02N\x01n\x02M\x01m\x02L\x01l\x02K\x01k\x02J\x01j\x02I\x01i\x02H\x01h\x02G\x01g",
		"\x02\x02noseparator\x02A\x01\x00\x01v\x02",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		src, writes, _ := strings.Cut(in, "\x00")
		var sets []property
		if writes != "" {
			for w := range strings.SplitSeq(writes, "\x02") {
				name, value, _ := strings.Cut(w, "\x01")
				sets = append(sets, property{name, value})
			}
		}
		var l PropertyList
		if !l.Parse(src, len(sets)) {
			n := 0 // pairs Parse would keep, repeats included
			for p := range strings.SplitSeq(src, "\x02") {
				if i := strings.IndexByte(p, NameValueSeparator); i > 0 && i < len(p)-1 {
					n++
				}
			}
			if n+len(sets) <= maxListed {
				t.Fatalf("Parse refused %d pairs with %d writes to come", n, len(sets))
			}
			return
		}
		if len(sets) > maxListed {
			return
		}
		m := DecodePropertiesString(src, 0)
		for _, s := range sets {
			if !l.Set(s.name, s.value) {
				t.Fatalf("Set refused after Parse kept room for %d writes", len(sets))
			}
			m[s.name] = s.value
		}
		for _, s := range sets {
			if got := l.Get(s.name); got != m[s.name] {
				t.Fatalf("Get(%q) = %q, map %q", s.name, got, m[s.name])
			}
		}
		for k, v := range m {
			if got := l.Get(k); got != v {
				t.Fatalf("Get(%q) = %q, map %q", k, got, v)
			}
		}
		want := AppendProperties(nil, m)
		n := l.Len()
		got := l.Append([]byte("prefix"))
		if string(got) != "prefix"+string(want) || n != len(want) {
			t.Fatalf("Append %q (Len %d)\nwant %q", got, n, want)
		}
		if got := l.Get("never set"); got != "" {
			t.Fatalf("Get of an absent name = %q", got)
		}
	})
}

// TestPropertyListAllocs: parsing, stamping and encoding a message's properties allocates
// nothing but the caller's buffer.
func TestPropertyListAllocs(t *testing.T) {
	in := "TAGS\x01TagA\x02KEYS\x01k1 k2\x02UNIQ_KEY\x01C000020255F6000000008aa6d3c80001\x02WAIT\x01true\x02"
	buf := make([]byte, 0, 512)
	var out []byte
	allocs := testing.AllocsPerRun(100, func() {
		var l PropertyList
		if !l.Parse(in, 4) {
			t.Fatal("Parse refused")
		}
		l.Set(PropertyCluster, "c")
		l.Set(PropertyMsgRegion, "r")
		l.Set(PropertyTraceSwitch, "false")
		out = l.Append(buf[:0])
	})
	want := "CLUSTER\x01c\x02KEYS\x01k1 k2\x02MSG_REGION\x01r\x02TAGS\x01TagA\x02TRACE_ON\x01false\x02" +
		"UNIQ_KEY\x01C000020255F6000000008aa6d3c80001\x02WAIT\x01true\x02"
	if allocs != 0 || string(out) != want {
		t.Fatalf("%v allocations, %q", allocs, out)
	}
}

func BenchmarkPropertyList(b *testing.B) {
	in := "TAGS\x01TagA\x02KEYS\x01k1 k2\x02UNIQ_KEY\x01C000020255F6000000008aa6d3c80001\x02WAIT\x01true\x02"
	buf := make([]byte, 0, 512)
	b.Run("list", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var l PropertyList
			l.Parse(in, 4)
			_ = l.Get(PropertyDelayTimeLevel) + l.Get(PropertyUniqClientMessageIDKeyIndex)
			l.Set(PropertyCluster, "DefaultCluster")
			l.Set(PropertyMsgRegion, "DefaultRegion")
			l.Set(PropertyTraceSwitch, "true")
			buf = l.Append(buf[:0])
		}
	})
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m := DecodePropertiesString(in, 4)
			_ = m[PropertyDelayTimeLevel] + m[PropertyUniqClientMessageIDKeyIndex]
			m[PropertyCluster], m[PropertyMsgRegion], m[PropertyTraceSwitch] = "DefaultCluster", "DefaultRegion", "true"
			buf = AppendProperties(buf[:0], m)
		}
	})
}
