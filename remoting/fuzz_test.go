package remoting

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// goldenFiles lists the hex frames in testdata.
func goldenFiles(f *testing.F) [][]byte {
	names, err := filepath.Glob(filepath.Join("testdata", "*.hex"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no golden frames: %v", err)
	}
	var out [][]byte
	for _, n := range names {
		out = append(out, readHexFile(f, filepath.Base(n)))
	}
	return out
}

// seedCommands are extra commands for the seed corpora.
func seedCommands() []*Command {
	return []*Command{
		{},
		{Code: 10, Language: Go, Version: 317, Opaque: 31, ExtFields: map[string]string{
			"properties": "TAGS\x01TagA\x02KEYS\x01k1 k2\x02", "topic": "TopicTest", "queueId": "1"}, Body: []byte("hello-sync")},
		{Code: -1, Language: 200, Version: -5, Opaque: -1, Flag: 3, Remark: "\u2028\"\\\x00é", ExtFields: map[string]string{"": ""}},
	}
}

// twoChunks returns a reader that yields b in two reads split at cut.
type twoChunks struct {
	parts [2][]byte
}

func (r *twoChunks) Read(p []byte) (int, error) {
	for i := range r.parts {
		if len(r.parts[i]) > 0 {
			n := copy(p, r.parts[i])
			r.parts[i] = r.parts[i][n:]
			return n, nil
		}
	}
	return 0, io.EOF
}

func FuzzDecodeFrame(f *testing.F) {
	for _, g := range goldenFiles(f) {
		f.Add(g[4:], uint16(3))
		f.Add(g[4:len(g)-1], uint16(9)) // truncated
		v := append([]byte(nil), g[4:]...)
		v[0] = 2 // unknown serialize type
		f.Add(v, uint16(0))
	}
	for _, c := range seedCommands() {
		for _, st := range []SerializeType{JSON, RocketMQ} {
			b := mustEncode(f, withSerialize(c, st))
			f.Add(b[4:], uint16(len(b)/2))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		c, err := DecodeFrame(data)

		// The stream reader, fed in two chunks through a tiny buffer, must agree.
		stream := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		stream = append(stream, data...)
		k := int(cut) % (len(stream) + 1)
		fr := NewFrameReader(bufio.NewReaderSize(&twoChunks{parts: [2][]byte{stream[:k], stream[k:]}}, 16), 0)
		sc, serr := fr.ReadFrame()
		if (err == nil) != (serr == nil) {
			t.Fatalf("DecodeFrame err %v, ReadFrame err %v", err, serr)
		}
		if err != nil {
			if !isCodecError(err) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if !equalCommands(c, sc) {
			t.Fatalf("DecodeFrame %+v != ReadFrame %+v", c, sc)
		}
		if _, err := fr.ReadFrame(); err != io.EOF {
			t.Fatalf("after the frame: %v", err)
		}
		checkReencode(t, c)
	})
}

// checkReencode encodes c in its own serialisation and decodes it back to an equal command.
func checkReencode(t *testing.T, c *Command) {
	t.Helper()
	b, err := AppendFrame(nil, c)
	if err != nil {
		if errors.Is(err, ErrFrameTooLarge) || errors.Is(err, ErrBadHeader) {
			return // e.g. a JSON key longer than a ROCKETMQ key can be
		}
		t.Fatalf("re-encode: %v", err)
	}
	if got := int(binary.BigEndian.Uint32(b)); got != len(b)-4 {
		t.Fatalf("length word %d for %d bytes", got, len(b)-4)
	}
	back, err := DecodeFrame(b[4:])
	if err != nil {
		t.Fatalf("re-decode: %v\n%q", err, b)
	}
	if !equalCommands(c, back) {
		t.Fatalf("round trip changed the command:\n%+v\n%+v", c, back)
	}
}

func FuzzRocketMQHeader(f *testing.F) {
	for _, g := range goldenFiles(f) {
		if g[4] == byte(RocketMQ) {
			f.Add(g[8:])
		}
	}
	for _, c := range seedCommands() {
		h, err := appendRocketMQHeader(nil, c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(h)
		f.Add(h[:len(h)-1])
	}
	f.Fuzz(func(t *testing.T, h []byte) {
		var c Command
		if err := decodeRocketMQHeader(h, &c, nil); err != nil {
			if !errors.Is(err, ErrBadHeader) {
				t.Fatalf("error class: %v", err)
			}
			return
		}
		c.Serialize = RocketMQ
		checkReencode(t, &c)
		// Interning must not change results.
		var in interner
		var c2 Command
		if err := decodeRocketMQHeader(h, &c2, &in); err != nil {
			t.Fatal(err)
		}
		c2.Serialize = RocketMQ
		if !equalCommands(&c, &c2) {
			t.Fatal("interned decode differs")
		}
	})
}

func FuzzJSONHeader(f *testing.F) {
	for _, g := range goldenFiles(f) {
		if g[4] == byte(JSON) {
			hl := int(binary.BigEndian.Uint32(g[4:]) & maxHeaderLen)
			f.Add(g[8 : 8+hl])
		}
	}
	for _, c := range seedCommands() {
		f.Add(appendJSONHeader(nil, c))
	}
	for _, s := range []string{`{"x":[{"y":"}"},1e5,null,true]}`, `{"remark":"\ud83d\ude00\ud800\u00"}`, `{"code":-0}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, h []byte) {
		var c Command
		if err := decodeJSONHeader(h, &c, nil); err != nil {
			if !errors.Is(err, ErrBadHeader) {
				t.Fatalf("error class: %v", err)
			}
			return
		}
		checkReencode(t, &c)
		c.Serialize = RocketMQ
		checkReencode(t, &c)
	})
}

func FuzzExtFields(f *testing.F) {
	for _, s := range []string{
		`{}`, `null`, `{"a":"b"}`, `{"consumerGroup":"capConsumerGroup"}`, `{"a":1}`, `{"a":"\u0001\u2028"}`,
		`{"properties":"TAGS\u0001TagA\u0002KEYS\u0001k1 k2\u0002","bname":"broker-a","queueId":"1"}`,
		`{"a":null,"a":"x","b":"y"}`, `{"":"", "\"":"\\"}`, `{"a":"b",}`, `{"a":{"b":"c"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, ext []byte) {
		h := append([]byte(`{"code":1,"extFields":`), ext...)
		h = append(h, '}')
		var c Command
		in := new(interner)
		if err := decodeJSONHeader(h, &c, in); err != nil {
			if !errors.Is(err, ErrBadHeader) {
				t.Fatalf("error class: %v", err)
			}
			return
		}
		checkReencode(t, &c)
		c.Serialize = RocketMQ
		checkReencode(t, &c)
	})
}

func TestGoldenFilesParse(t *testing.T) {
	// Every golden file must decode: guards against a malformed file silently shrinking the
	// fuzz seed corpus.
	names, _ := filepath.Glob(filepath.Join("testdata", "*.hex"))
	for _, n := range names {
		if _, err := os.Stat(n); err != nil {
			t.Fatal(err)
		}
		mustDecode(t, readHexFile(t, filepath.Base(n)))
	}
}

// FuzzExtFieldsStdlib decodes an extFields object as a broker's send route does (an
// interner, pairs) and as a map, and checks both against encoding/json: for valid UTF-8 the
// same inputs are accepted and the same fields read, a null deleting the key and the last of
// repeated keys winning. The seeds cover the escapes plainMembers and slowString take fast
// (\u00XX below 0x80) and those they leave to the general path.
func FuzzExtFieldsStdlib(f *testing.F) {
	for _, s := range []string{
		`{}`, `null`, `{"a":"b"}`, `{"a":"b","c":"d"}`, `{ "a" : "b" , "c":"d" }`, `{"a":"b" ,"c":"d"}`,
		`{"i":"TAGS\u0001TagA\u0002KEYS\u0001k1 k2\u0002UNIQ_KEY\u0001C0A8\u0002WAIT\u0001true\u0002"}`,
		`{"a":"\u007F\u007f\u0080\u00e9\u00E9\u00ff\u0000\u001F"}`, `{"a":"\u00G1"}`, `{"a":"\u00"}`,
		`{"a":"\u0","b":"c"}`, `{"a":"x\"y\\z\/\b\f\n\r\t"}`, `{"a":"\ud83d\ude00\ud800\u0041"}`,
		`{"a\u0062":"c"}`, `{"a":null,"a":"x"}`, `{"a":"x","a":null}`, `{"a":"b",}`, `{"a":"b"`,
		`{"a":"b"}}`, `{"a":1}`, `{"a":"b","c":nul}`, `{"a":"` + "\x01" + `"}`, `{"a":"b"  }`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, ext []byte) {
		h := append([]byte(`{"code":310,"extFields":`), ext...)
		h = append(h, '}')
		var pc, mc Command
		perr := decodeJSONHeader(h, &pc, sendPairs())
		merr := decodeJSONHeader(h, &mc, new(interner))
		if (perr == nil) != (merr == nil) {
			t.Fatalf("pairs %v, map %v", perr, merr)
		}
		if !utf8.Valid(ext) {
			return
		}
		var std map[string]*string
		serr := json.Unmarshal(ext, &std)
		if (serr == nil) != (perr == nil) {
			t.Fatalf("encoding/json %v, ours %v", serr, perr)
		}
		if serr != nil {
			return
		}
		want := map[string]string{}
		for k, v := range std {
			if v != nil {
				want[k] = *v
			}
		}
		got := map[string]string{}
		for k, v := range pc.ExtAll() {
			got[k] = v
		}
		if !maps.Equal(got, want) || !maps.Equal(mc.ExtFields, want) {
			t.Fatalf("pairs %q, map %q, encoding/json %q", got, mc.ExtFields, want)
		}
	})
}
