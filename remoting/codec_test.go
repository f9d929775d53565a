package remoting

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readHexFile parses a golden frame file: hex byte pairs with '#' comments, and lines that
// start with "| " holding raw ASCII bytes.
func readHexFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for i, line := range strings.Split(string(data), "\n") {
		if text, ok := strings.CutPrefix(line, "| "); ok {
			out = append(out, text...)
			continue
		}
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		for _, f := range strings.Fields(line) {
			b, err := hex.DecodeString(f)
			if err != nil || len(b) != 1 {
				t.Fatalf("%s:%d: bad hex byte %q", name, i+1, f)
			}
			out = append(out, b...)
		}
	}
	return out
}

// equalCommands compares two commands, treating nil and empty extFields and bodies alike.
func equalCommands(a, b *Command) bool {
	return a.Code == b.Code && a.Language == b.Language && a.Version == b.Version &&
		a.Opaque == b.Opaque && a.Flag == b.Flag && a.Remark == b.Remark &&
		maps.Equal(a.ExtFields, b.ExtFields) && bytes.Equal(a.Body, b.Body) && a.Serialize == b.Serialize
}

func mustDecode(t testing.TB, frame []byte) *Command {
	t.Helper()
	c, err := DecodeFrame(frame[4:])
	if err != nil {
		t.Fatalf("DecodeFrame: %v", err)
	}
	return c
}

func mustEncode(t testing.TB, c *Command) []byte {
	t.Helper()
	b, err := AppendFrame(nil, c)
	if err != nil {
		t.Fatalf("AppendFrame: %v", err)
	}
	return b
}

func withSerialize(c *Command, st SerializeType) *Command {
	cc := *c
	cc.Serialize = st
	return &cc
}

func TestGoldenFrames(t *testing.T) {
	a1 := &Command{Code: 38, Language: Go, Version: 317, Opaque: 4,
		ExtFields: map[string]string{"consumerGroup": "capConsumerGroup"}}
	resp := &Command{Code: 17, Language: Go, Version: 479, Opaque: 7, Flag: FlagResponse,
		Remark:    "topic \"T\" not exist\napply first: \x01\u2028",
		ExtFields: map[string]string{"brokerName": "broker-a", "queueId": "3"},
		Body:      []byte("hello")}
	tests := []struct {
		name      string
		json, rmq string
		want      *Command
	}{
		{name: "frame=A.1_GET_CONSUMER_LIST_BY_GROUP", json: "a1_get_consumer_list_json.hex", rmq: "a1_get_consumer_list_rocketmq.hex", want: a1},
		{name: "frame=response_remark_body", json: "response_remark_body_json.hex", rmq: "response_remark_body_rocketmq.hex", want: resp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jf, rf := readHexFile(t, tt.json), readHexFile(t, tt.rmq)
			jc, rc := mustDecode(t, jf), mustDecode(t, rf)
			if !equalCommands(jc, withSerialize(tt.want, JSON)) {
				t.Errorf("json decoded %+v, want %+v", jc, tt.want)
			}
			if !equalCommands(rc, withSerialize(tt.want, RocketMQ)) {
				t.Errorf("rocketmq decoded %+v, want %+v", rc, tt.want)
			}
			// Byte-identical re-encoding, in the frame's own serialisation and across.
			for _, c := range []struct {
				name string
				cmd  *Command
				want []byte
			}{
				{"json->json", jc, jf},
				{"rocketmq->rocketmq", rc, rf},
				{"json->rocketmq", withSerialize(jc, RocketMQ), rf},
				{"rocketmq->json", withSerialize(rc, JSON), jf},
				{"want->json", withSerialize(tt.want, JSON), jf},
			} {
				if got := mustEncode(t, c.cmd); !bytes.Equal(got, c.want) {
					t.Errorf("%s: re-encoded\n%s\nwant\n%s", c.name, hex.Dump(got), hex.Dump(c.want))
				}
			}
			// Our JSON must be valid JSON for encoding/json too, with the same remark.
			var v struct {
				Remark    string
				ExtFields map[string]string
			}
			if err := json.Unmarshal(jf[8:len(jf)-len(tt.want.Body)], &v); err != nil {
				t.Fatalf("encoding/json rejects our header: %v", err)
			}
			if v.Remark != tt.want.Remark || !maps.Equal(v.ExtFields, tt.want.ExtFields) {
				t.Errorf("encoding/json read remark %q ext %v", v.Remark, v.ExtFields)
			}
		})
	}
}

func TestGoldenJavaStyle(t *testing.T) {
	tests := []struct {
		file string
		want *Command
	}{
		{"jrm_response_json.hex", &Command{Code: 0, Language: Java, Version: 479, Opaque: 31, Flag: 1, Remark: "FOUND",
			ExtFields: map[string]string{"queueId": "1", "msgId": "7F00000100002A9F0000000000000000"}}},
		{"jrm_request_no_ext_json.hex", &Command{Code: 105, Language: Java, Version: 479}},
	}
	for _, tt := range tests {
		t.Run("file="+tt.file, func(t *testing.T) {
			c := mustDecode(t, readHexFile(t, tt.file))
			if !equalCommands(c, tt.want) {
				t.Fatalf("decoded %+v, want %+v", c, tt.want)
			}
			for _, st := range []SerializeType{JSON, RocketMQ} {
				back := mustDecode(t, mustEncode(t, withSerialize(c, st)))
				if !equalCommands(back, withSerialize(tt.want, st)) {
					t.Errorf("%v round trip: %+v", st, back)
				}
			}
		})
	}
}

func TestDecodeJSONHeaderForms(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   Command
	}{
		{"form=whitespace", " {\n \"code\" : 10 , \"opaque\":-5,\"extFields\" : { \"a\" : \"b\" } }\t", Command{Code: 10, Opaque: -5, ExtFields: map[string]string{"a": "b"}}},
		{"form=unknown_keys", `{"x":{"y":[1,2,{"z":"}"}]},"code":1,"n":null,"t":true,"f":-1.5e3}`, Command{Code: 1}},
		{"form=nulls", `{"remark":null,"extFields":null,"language":null}`, Command{Language: Other}},
		{"form=null_ext_value", `{"extFields":{"a":null,"b":"c"}}`, Command{ExtFields: map[string]string{"b": "c"}}},
		{"form=escapes", `{"remark":"\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00\ud800x"}`, Command{Remark: "\"\\/\b\f\n\r\tAé😀\uFFFDx"}},
		{"form=unknown_language", `{"language":"COBOL"}`, Command{Language: Other}},
		{"form=empty", `{}`, Command{}},
		{"form=duplicate_key", `{"code":1,"code":2}`, Command{Code: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Command
			if err := decodeJSONHeader([]byte(tt.header), &c, nil); err != nil {
				t.Fatal(err)
			}
			if !equalCommands(&c, &tt.want) {
				t.Fatalf("got %+v, want %+v", c, tt.want)
			}
		})
	}
}

func TestDecodeJSONHeaderErrors(t *testing.T) {
	for _, h := range []string{
		``, `{`, `[]`, `{"code":"38"}`, `{"code":40000}`, `{"code":1.0}`, `{"code":1e2}`, `{"opaque":2147483648}`,
		`{"extFields":{"a":1}}`, `{"extFields":{"a":true}}`, `{"extFields":{"a":{}}}`, `{"extFields":[]}`,
		`{"remark":"a` + "\n" + `"}`, `{"remark":"\x"}`, `{"remark":"\u12"}`, `{"code":1}x`, `{"code":1,}`,
		`{"code" 1}`, `{"x":}`, `{"x":]}`, `{"x":[1,}`, `{"language":5}`, `{"remark":"abc`,
	} {
		t.Run("header="+h, func(t *testing.T) {
			var c Command
			err := decodeJSONHeader([]byte(h), &c, nil)
			if !errors.Is(err, ErrBadHeader) {
				t.Fatalf("err = %v, want ErrBadHeader", err)
			}
		})
	}
}

func TestJSONStringEscaping(t *testing.T) {
	inputs := []string{"", "plain", "q\"b\\s", "\x00\x01\x1f\x7f", "line\u2028para\u2029", "\xe2\x80", "\xe2", "é😀", "\xff\xfe", "</script>&"}
	for _, s := range inputs {
		enc := appendJSONString(nil, s)
		sc := jsonScanner{b: enc}
		got, err := sc.rawString()
		if err != nil || string(got) != s {
			t.Errorf("%q: encoded %s, decoded %q, %v", s, enc, got, err)
		}
		if !bytes.Contains([]byte(s), []byte{0xff}) && !strings.HasPrefix(s, "\xe2") {
			var std string
			if err := json.Unmarshal(enc, &std); err != nil || std != s {
				t.Errorf("%q: encoding/json reads %q, %v", s, std, err)
			}
		}
		for _, r := range enc {
			if r < 0x20 {
				t.Errorf("%q: raw control byte in %q", s, enc)
			}
		}
	}
}

func TestDecodeFrameErrors(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte // bytes after the length word
		want  error
	}{
		{"case=short", []byte{0, 0}, ErrBadLength},
		{"case=header_longer_than_frame", []byte{0, 0, 0, 9, '{', '}'}, ErrBadLength},
		{"case=serialize_type_2", []byte{2, 0, 0, 2, '{', '}'}, ErrUnknownSerializeType},
		{"case=bad_json", []byte{0, 0, 0, 2, '{', '"'}, ErrBadHeader},
		{"case=truncated_rocketmq", []byte{1, 0, 0, 3, 0, 1, 9}, ErrBadHeader},
		{"case=rocketmq_remark_too_long", append([]byte{1, 0, 0, 21, 0, 1, 9, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}, 0, 0, 0, 0), ErrBadHeader},
		{"case=rocketmq_negative_remark", append([]byte{1, 0, 0, 21, 0, 1, 9, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, 0, 0, 0, 0), ErrBadHeader},
		{"case=rocketmq_ext_too_long", append([]byte{1, 0, 0, 21, 0, 1, 9, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 0, 0, 9), ErrBadHeader},
		{"case=rocketmq_key_too_long", append([]byte{1, 0, 0, 23, 0, 1, 9, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 0, 0, 2, 0x7f, 0xff), ErrBadHeader},
		{"case=rocketmq_negative_key", append([]byte{1, 0, 0, 23, 0, 1, 9, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 0, 0, 2, 0xff, 0xff), ErrBadHeader},
		{"case=rocketmq_value_too_long", append([]byte{1, 0, 0, 28, 0, 1, 9, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 0, 0, 7, 0, 1, 'k', 0, 0, 1, 0), ErrBadHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeFrame(tt.frame)
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecodeFrame err = %v, want %v", err, tt.want)
			}
			// The stream reader must agree.
			stream := append([]byte{0, 0, 0, byte(len(tt.frame))}, tt.frame...)
			_, err = NewFrameReader(bufio.NewReader(bytes.NewReader(stream)), 0).ReadFrame()
			if !errors.Is(err, tt.want) {
				t.Fatalf("ReadFrame err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestFrameReaderLimits(t *testing.T) {
	tests := []struct {
		name   string
		stream []byte
		max    int
		want   error
	}{
		{"case=17MiB", []byte{0x01, 0x10, 0, 0, 0, 0, 0, 2}, 0, ErrFrameTooLarge},
		{"case=over_custom_limit", []byte{0, 0, 1, 0, 0, 0, 0, 2}, 255, ErrFrameTooLarge},
		{"case=negative", []byte{0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 2}, 0, ErrBadLength},
		{"case=length_3", []byte{0, 0, 0, 3, 0, 0, 0}, 0, ErrBadLength},
		{"case=truncated_stream", []byte{0, 0, 0, 10, 0, 0, 0, 2, '{'}, 0, io.ErrUnexpectedEOF},
		{"case=truncated_body", []byte{0, 0, 0, 0x10, 0, 0, 0, 2, '{', '}', 1, 2}, 0, io.ErrUnexpectedEOF},
		{"case=empty", nil, 0, io.EOF},
		{"case=large_lying_body", []byte{0, 0xf0, 0, 0, 0, 0, 0, 2, '{', '}', 1, 2}, 0, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewFrameReader(bufio.NewReader(bytes.NewReader(tt.stream)), tt.max).ReadFrame()
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestFrameReaderStream(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 200_000) // 3.2 MB, read in chunks
	cmds := []*Command{
		{Code: 1, Language: Go, Opaque: 1, ExtFields: map[string]string{"a": "b"}},
		{Code: 2, Language: Java, Opaque: 2, Body: []byte("xyz"), Serialize: RocketMQ},
		{Code: 3, Opaque: 3, Remark: strings.Repeat("r", 70_000), Body: big},
		{Code: 4, Opaque: 4, Remark: "small again", Serialize: RocketMQ, ExtFields: map[string]string{"k": strings.Repeat("v", 2_000_000)}},
	}
	var stream []byte
	for _, c := range cmds {
		stream = mustAppend(t, stream, c)
	}
	fr := NewFrameReader(bufio.NewReaderSize(bytes.NewReader(stream), 4096), 0)
	for i, want := range cmds {
		got, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !equalCommands(got, want) {
			t.Fatalf("frame %d mismatch", i)
		}
	}
	if _, err := fr.ReadFrame(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

func mustAppend(t testing.TB, dst []byte, c *Command) []byte {
	t.Helper()
	b, err := AppendFrame(dst, c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppendFrameErrors(t *testing.T) {
	if _, err := AppendFrame(nil, &Command{Serialize: 3}); !errors.Is(err, ErrUnknownSerializeType) {
		t.Errorf("serialize 3: %v", err)
	}
	long := &Command{Serialize: RocketMQ, ExtFields: map[string]string{strings.Repeat("k", 40000): "v"}}
	if b, err := AppendFrame([]byte("keep"), long); !errors.Is(err, ErrBadHeader) || string(b) != "keep" {
		t.Errorf("long key: %v %q", err, b)
	}
	huge := &Command{Remark: strings.Repeat("x", 1<<24)}
	if _, err := AppendFrame(nil, huge); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("huge header: %v", err)
	}
}

func TestResponseError(t *testing.T) {
	c := &Command{Code: 17, Remark: "No topic route info in name server for the topic: T"}
	var re *ResponseError
	if !errors.As(c.Err(), &re) || re.Code != 17 {
		t.Fatalf("Err() = %v", c.Err())
	}
	if got := c.Err().Error(); got != "remoting: response code 17: No topic route info in name server for the topic: T" {
		t.Errorf("Error() = %q", got)
	}
	if (&Command{}).Err() != nil {
		t.Error("SUCCESS must give nil")
	}
}

// TestJSONDecodeAllocs: reading a SEND_MESSAGE_V2 frame with the JSON header (whose properties
// value is always escaped) allocates no more than with the ROCKETMQ header: the scanner's
// unescaping scratch is kept between frames.
func TestJSONDecodeAllocs(t *testing.T) {
	allocs := map[SerializeType]float64{}
	for _, st := range []SerializeType{JSON, RocketMQ} {
		frame, err := AppendFrame(nil, sendMessageV2Like(st))
		if err != nil {
			t.Fatal(err)
		}
		fr := NewFrameReader(bufio.NewReaderSize(&loopReader{b: frame}, 64<<10), 0)
		allocs[st] = testing.AllocsPerRun(200, func() {
			if _, err := fr.ReadFrame(); err != nil {
				t.Fatal(err)
			}
		})
	}
	if allocs[JSON] > allocs[RocketMQ] {
		t.Fatalf("allocations per frame: JSON %v, ROCKETMQ %v", allocs[JSON], allocs[RocketMQ])
	}
}

// A command given its pairs as JSON members writes them as they are in a JSON header, the
// pairs in a ROCKETMQ one, and forgets the JSON once its fields change.
func TestSetExtPairsJSON(t *testing.T) {
	ps := []ExtPair{{"a", "1"}, {"b", "x y"}}
	for _, st := range []SerializeType{JSON, RocketMQ} {
		c := &Command{Code: 0, Flag: FlagResponse, Opaque: 9, Serialize: st}
		c.SetExtPairs(ps)
		want, _ := AppendFrame(nil, c)
		c.SetExtPairsJSON(ps, `"a":"1","b":"x y"`)
		got, _ := AppendFrame(nil, c)
		if !bytes.Equal(got, want) {
			t.Fatalf("%v: %q, want %q", st, got, want)
		}
	}
	c := &Command{Flag: FlagResponse, Serialize: JSON}
	c.SetExtPairsJSON(ps, `"a":"stale"`) // what a JSON header writes while it is set
	if f, _ := AppendFrame(nil, c); !bytes.Contains(f, []byte(`{"a":"stale"}`)) {
		t.Fatalf("members not written as they are: %q", f)
	}
	c.SetExtPairs([]ExtPair{{"c", "3"}})
	if f, _ := AppendFrame(nil, c); !bytes.Contains(f, []byte(`"extFields":{"c":"3"}`)) {
		t.Fatalf("after SetExtPairs: %q", f)
	}
	c.SetExtPairsJSON(ps, `"a":"stale"`)
	c.SetExt("d", "4")
	if f, _ := AppendFrame(nil, c); !bytes.Contains(f, []byte(`"extFields":{"a":"1","b":"x y","d":"4"}`)) {
		t.Fatalf("after SetExt: %q", f)
	}
}

func TestJSONPlain(t *testing.T) {
	for s, want := range map[string]bool{"": true, "DefaultRegion": true, "région": true, "a\"b": false, `a\b`: false,
		"a\x1fb": false, "\u2028": false, "\u2029": false, "\u2020": false} {
		if got := JSONPlain(s); got != want {
			t.Errorf("JSONPlain(%q) = %v, want %v", s, got, want)
		}
	}
}
