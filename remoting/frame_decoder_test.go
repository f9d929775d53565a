package remoting

import (
	"errors"
	"maps"
	"reflect"
	"testing"
)

// TestFrameDecoder checks that one FrameDecoder, reused across frames, decodes every frame
// as DecodeFrame does (extFields read through Ext and LoadExt), in both serialisations and
// in Java's JSON form, without keeping anything of the frame before; and that it rejects
// what DecodeFrame rejects.
func TestFrameDecoder(t *testing.T) {
	var frames [][]byte
	for _, st := range []SerializeType{JSON, RocketMQ} {
		for _, c := range []*Command{
			{Code: 0, Flag: FlagResponse, Opaque: 7, ExtFields: map[string]string{"nextBeginOffset": "64", "minOffset": "0",
				"maxOffset": "123456789012", "suggestWhichBrokerId": "0"}, Body: []byte("records")},
			{Code: 19, Flag: FlagResponse, Opaque: -3, Remark: "no \"new\" message\n", ExtFields: map[string]string{"nextBeginOffset": "9"}},
			{Code: 1, Flag: FlagResponse, Opaque: 8, Remark: "failed"},
			{Code: 11, Opaque: 9, ExtFields: map[string]string{"k": "a longer value with ünïcode", "": ""}},
		} {
			c.Serialize = st
			f, err := AppendFrame(nil, c)
			if err != nil {
				t.Fatal(err)
			}
			frames = append(frames, f[4:])
		}
	}
	java := `{"code":0,"extFields":{"minOffset":"0","gone":null,"nextBeginOffset":"5"},"flag":1,"language":"JAVA",` +
		`"opaque":12,"remark":null,"serializeTypeCurrentRPC":"JSON","version":395}`
	frames = append(frames, append([]byte{0, 0, 0, byte(len(java))}, java...))
	var d FrameDecoder
	var got Command
	for i, f := range frames {
		want, err := DecodeFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Decode(f, &got); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		for k, v := range want.ExtFields {
			if g, ok := got.LookupExt(k); !ok || g != v {
				t.Fatalf("frame %d: Ext(%q) = %q, %v; want %q", i, k, g, ok, v)
			}
		}
		if _, ok := got.LookupExt("gone"); ok {
			t.Fatalf("frame %d: a null extField is present", i)
		}
		got.LoadExt()
		if !maps.Equal(got.ExtFields, want.ExtFields) {
			t.Fatalf("frame %d: extFields %v, want %v", i, got.ExtFields, want.ExtFields)
		}
		if !reflect.DeepEqual(&got, want) {
			t.Fatalf("frame %d:\n got %+v\nwant %+v", i, got, *want)
		}
	}
	for _, f := range [][]byte{{0, 0}, {0, 0, 0, 9, '{', '}'}, {2, 0, 0, 2, '{', '}'}, {0, 0, 0, 2, '{', '"'},
		{1, 0, 0, 3, 0, 1, 9}} {
		_, want := DecodeFrame(f)
		if err := d.Decode(f, &got); err == nil || !errors.Is(err, errors.Unwrap(want)) {
			t.Fatalf("% x: %v, want %v", f, err, want)
		}
	}
}

// TestFrameDecoderSkipExt checks that a FrameDecoder with SkipExt decodes every frame as
// DecodeFrame does but for the extFields, which it drops, in both serialisations, and
// rejects what DecodeFrame rejects, extFields that are no strings included.
func TestFrameDecoderSkipExt(t *testing.T) {
	d := FrameDecoder{SkipExt: true}
	var got Command
	for _, st := range []SerializeType{JSON, RocketMQ} {
		for _, c := range []*Command{
			{Code: 0, Flag: FlagResponse, Opaque: 7, ExtFields: map[string]string{"msgId": "7F0000010000", "queueId": "3",
				"queueOffset": "123456789012", "MSG_REGION": "DefaultRegion", "TRACE_ON": "true"}},
			{Code: 1, Flag: FlagResponse, Opaque: 8, Remark: "failed \"quoted\"", ExtFields: map[string]string{"k": "ünïcode"}},
			{Code: 14, Flag: FlagResponse, Opaque: -9, Body: []byte("body")},
		} {
			c.Serialize = st
			f, err := AppendFrame(nil, c)
			if err != nil {
				t.Fatal(err)
			}
			want, err := DecodeFrame(f[4:])
			if err != nil {
				t.Fatal(err)
			}
			want.ExtFields = nil
			if err := d.Decode(f[4:], &got); err != nil || !reflect.DeepEqual(&got, want) {
				t.Fatalf("%v:\n got %+v (%v)\nwant %+v", st, got, err, *want)
			}
		}
	}
	for _, h := range []string{`{"code":0,"extFields":{"a":1}}`, `{"code":0,"extFields":{"a":"b",}}`, `{"code":0,"extFields":[]}`} {
		f := append([]byte{0, 0, 0, byte(len(h))}, h...)
		_, want := DecodeFrame(f)
		if err := d.Decode(f, &got); want == nil || err == nil {
			t.Fatalf("%s: %v, DecodeFrame %v; want errors", h, err, want)
		}
	}
}

// BenchmarkFrameDecoder is the decoding of a pull's SUCCESS answer header (four extFields):
// DecodeFrame builds a map, FrameDecoder pairs.
func BenchmarkFrameDecoder(b *testing.B) {
	f, err := AppendFrame(nil, &Command{Code: 0, Flag: FlagResponse, Opaque: 7, ExtFields: map[string]string{
		"nextBeginOffset": "1234", "minOffset": "0", "maxOffset": "2000000", "suggestWhichBrokerId": "0"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decoder=DecodeFrame", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if c, err := DecodeFrame(f[4:]); err != nil || c.Ext("nextBeginOffset") != "1234" {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoder=FrameDecoder", func(b *testing.B) {
		b.ReportAllocs()
		var d FrameDecoder
		var c Command
		for b.Loop() {
			if err := d.Decode(f[4:], &c); err != nil || c.Ext("nextBeginOffset") != "1234" {
				b.Fatal(err)
			}
		}
	})
}

// FuzzFrameDecoder checks FrameDecoder against DecodeFrame on any bytes: the same verdict,
// and the same command once extFields are loaded, with one decoder reused across inputs.
func FuzzFrameDecoder(f *testing.F) {
	for _, g := range goldenFiles(f) {
		f.Add(g[4:])
		f.Add(g[4 : len(g)-1])
	}
	for _, c := range seedCommands() {
		for _, st := range []SerializeType{JSON, RocketMQ} {
			f.Add(mustEncode(f, withSerialize(c, st))[4:])
		}
	}
	var d FrameDecoder
	skip := FrameDecoder{SkipExt: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := DecodeFrame(data)
		var got, gotSkip Command
		err := d.Decode(data, &got)
		serr := skip.Decode(data, &gotSkip)
		if (err == nil) != (werr == nil) || (serr == nil) != (werr == nil) {
			t.Fatalf("Decode err %v, with SkipExt %v; DecodeFrame err %v", err, serr, werr)
		}
		if err != nil {
			return
		}
		got.LoadExt()
		if !reflect.DeepEqual(&got, want) {
			t.Fatalf("Decode %+v, DecodeFrame %+v", got, *want)
		}
		want.ExtFields = nil
		if !reflect.DeepEqual(&gotSkip, want) {
			t.Fatalf("Decode with SkipExt %+v, DecodeFrame without extFields %+v", gotSkip, *want)
		}
	})
}
