package remoting

import (
	"context"
	"encoding/binary"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
)

// sendKeys are the keys protocol's send header decoder reads (V1 names and V2 letters) plus
// some that are absent from every frame: the header decoded from a frame depends only on
// Ext of these keys.
var sendKeys = []string{"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums",
	"queueId", "sysFlag", "bornTimestamp", "flag", "properties", "reconsumeTimes", "unitMode",
	"maxReconsumeTimes", "batch", "bname", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k",
	"l", "m", "n", "", "absent", "x"}

// decodeBoth decodes the header h both ways: with extFields as pairs (a RawExt route) and
// as the map (today's path), each with an interner of its own as a connection has.
func decodeBoth(st SerializeType, h []byte, inPairs, inMap *interner) (pc, mc *Command, perr, merr error) {
	pc, mc = new(Command), new(Command)
	perr = decodeHeader(st, h, pc, inPairs)
	merr = decodeHeader(st, h, mc, inMap)
	return pc, mc, perr, merr
}

// checkSame fails unless the pairs decode of h reads exactly what the map decode reads.
func checkSame(t *testing.T, st SerializeType, h []byte, inPairs, inMap *interner) {
	t.Helper()
	pc, mc, perr, merr := decodeBoth(st, h, inPairs, inMap)
	if (perr == nil) != (merr == nil) {
		t.Fatalf("errors differ: pairs %v, map %v", perr, merr)
	}
	if perr != nil {
		if !errors.Is(perr, ErrBadHeader) {
			t.Fatalf("error class: %v", perr)
		}
		return
	}
	if pc.ExtFields != nil && pc.pairs != nil {
		t.Fatal("both ExtFields and pairs are set")
	}
	if pc.pairs != nil && (pc.IsResponse() || !inPairs.wantsPairs(pc.Code)) {
		t.Fatalf("pairs kept for code %d flag %d", pc.Code, pc.Flag)
	}
	seen := map[string]bool{}
	for _, p := range pc.pairs {
		if seen[p.Key] {
			t.Fatalf("duplicate pair %q", p.Key)
		}
		seen[p.Key] = true
	}
	for _, k := range append(sendKeys, mapsKeys(mc.ExtFields)...) {
		pv, pok := pc.LookupExt(k)
		mv, mok := mc.LookupExt(k)
		if pv != mv || pok != mok || pc.Ext(k) != mc.Ext(k) {
			t.Fatalf("key %q: pairs (%q, %v), map (%q, %v)", k, pv, pok, mv, mok)
		}
	}
	all := map[string]string{}
	for k, v := range pc.ExtAll() {
		if _, ok := all[k]; ok {
			t.Fatalf("ExtAll repeats %q", k)
		}
		all[k] = v
	}
	if !maps.Equal(all, mc.ExtFields) {
		t.Fatalf("ExtAll: %q, map path: %q", all, mc.ExtFields)
	}
	if n := len(pc.pairs) + len(pc.ExtFields); n != len(mc.ExtFields) {
		t.Fatalf("%d fields, %d map entries", n, len(mc.ExtFields))
	}
	pc.LoadExt()
	if !maps.Equal(pc.ExtFields, mc.ExtFields) || (pc.ExtFields == nil) != (mc.ExtFields == nil) {
		t.Fatalf("LoadExt: %q, map path: %q", pc.ExtFields, mc.ExtFields)
	}
	pc.pairs, mc.pairs = nil, nil
	if pc.Code != mc.Code || pc.Flag != mc.Flag || pc.Opaque != mc.Opaque || pc.Remark != mc.Remark ||
		pc.Language != mc.Language || pc.Version != mc.Version || pc.Serialize != mc.Serialize {
		t.Fatalf("commands differ: %+v vs %+v", pc, mc)
	}
}

func mapsKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// sendPairs is an interner as a broker's connection has it: codes 10 and 310 are RawExt.
func sendPairs() *interner {
	return &interner{pairsFor: func(code int16) bool { return code == 10 || code == 310 }}
}

// rawExtHeaders are headers of send requests in both serialisations with escapes, missing
// optional fields, unknown keys, null values, repeated keys, and the code or flag after
// extFields.
func rawExtHeaders(t testing.TB) [][2]any {
	var out [][2]any
	add := func(c *Command) {
		for _, st := range []SerializeType{JSON, RocketMQ} {
			c.Serialize = st
			var h []byte
			if st == JSON {
				h = appendJSONHeader(nil, c)
			} else {
				var err error
				if h, err = appendRocketMQHeader(nil, c); err != nil {
					t.Fatal(err)
				}
			}
			out = append(out, [2]any{st, h})
		}
	}
	add(sendMessageLike(JSON))
	add(sendMessageV2Like(JSON))
	esc := sendMessageV2Like(JSON)
	esc.ExtFields["b"] = "Topic\"\\/\u2028\u2029\x00\x1f\té\xff"
	esc.ExtFields["i"] = "TAGS\x01a\"b\x02KEYS\x01\\\x02"
	esc.ExtFields["zz-unknown"] = "1"
	add(esc)
	add(NewRequest(310, map[string]string{"a": "g", "b": "t"}, nil))
	add(NewRequest(10, map[string]string{"producerGroup": "g"}, nil)) // topic missing
	add(NewRequest(10, nil, nil))
	add(&Command{Code: 310, Flag: FlagResponse, ExtFields: map[string]string{"a": "g", "b": "t"}})
	add(NewRequest(11, map[string]string{"topic": "t"}, nil)) // not a RawExt code
	for _, s := range []string{
		// Java's order: extFields before flag, language, opaque, remark.
		`{"code":310,"extFields":{"a":"g","b":"t","i":"TAGS\u0001x\u0002","e":"-1"},"flag":0,"language":"JAVA","opaque":5,"remark":null,"serializeTypeCurrentRPC":"JSON","version":399}`,
		`{"code":310,"extFields":{"a":"g","b":"t"},"flag":1}`,                   // a response
		`{"code":310,"extFields":{"a":"g","b":"t"},"code":11}`,                  // code named again
		`{"extFields":{"a":"g","b":"t"},"code":310}`,                            // code after extFields
		`{"code":310,"extFields":{"a":"g","a":"h","b":null,"b":"t2","c":null}}`, // repeats and nulls
		`{"code":310,"extFields":{"a":null}}`,
		`{"code":310,"extFields":null}`,
		`{"code":310,"extFields":{}}`,
		`{"code":310,"extFields":{"a":"\ud83d\ude00\ud800x\u00e9\/","b":"\"t\""},"extFields":{"b":"again"}}`,
		`{"code":310,"extFields":{"a":"g","b":1}}`, // bad: not a string
		`{"code":10,"extFields":{"producerGroup":"g","topic":"t","queueId":" 3 ","bornTimestamp":"x"}}`,
	} {
		out = append(out, [2]any{JSON, []byte(s)})
	}
	// Keys too long to be interned, once and repeated.
	long := strings.Repeat("k", maxInternLen+6)
	for _, s := range []string{
		`{"code":310,"extFields":{"a":"g","` + long + `":"1","b":"t"}}`,
		`{"code":310,"extFields":{"a":"g","` + long + `":"1","b":"t","` + long + `":"2","` + long + `x":null}}`,
	} {
		out = append(out, [2]any{JSON, []byte(s)})
	}
	// More keys than maxPairs take the map.
	big := NewRequest(310, map[string]string{}, nil)
	for i := range maxPairs + 3 {
		big.ExtFields["k"+string(rune('a'+i%26))+string(rune('a'+i/26))] = "v"
	}
	add(big)
	return out
}

func TestRawExtMatchesMap(t *testing.T) {
	inPairs, inMap := sendPairs(), &interner{}
	hs := rawExtHeaders(t)
	for range 2 { // the second round reuses the interners' buffers
		for _, h := range hs {
			st, b := h[0].(SerializeType), h[1].([]byte)
			t.Run("", func(t *testing.T) { checkSame(t, st, b, inPairs, inMap) })
		}
	}
	// The fast path is taken where it should be: a plain V2 send in both serialisations.
	for _, st := range []SerializeType{JSON, RocketMQ} {
		frame, err := AppendFrame(nil, sendMessageV2Like(st))
		if err != nil {
			t.Fatal(err)
		}
		hl := int(binary.BigEndian.Uint32(frame[4:]) & maxHeaderLen)
		c := new(Command)
		if err := decodeHeader(st, frame[8:8+hl], c, inPairs); err != nil {
			t.Fatal(err)
		}
		if c.ExtFields != nil || len(c.pairs) != 14 || c.Ext("b") != "TopicTest" {
			t.Fatalf("%v: pairs %d, map %d", st, len(c.pairs), len(c.ExtFields))
		}
		c.SetExt("z", "1")
		if c.pairs != nil || c.ExtFields["b"] != "TopicTest" || c.ExtFields["z"] != "1" {
			t.Fatalf("SetExt after pairs: %v", c.ExtFields)
		}
	}
}

// TestRawExtServer: a handler of a RawExt route on a real server reads the fields of a
// SEND_MESSAGE_V2 without the map, in both serialisations; a route without RawExt gets its
// map as before.
func TestRawExtServer(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	type seen struct {
		mapNil bool
		b, i   string
	}
	got := make(chan seen, 4)
	h := HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		got <- seen{req.ExtFields == nil, req.Ext("b"), req.Ext("i")}
		return NewResponse(req, CodeSuccess, "")
	})
	s.Handle(310, h, RawExt())
	s.Handle(311, h)
	addr := startServer(t, s)
	cl := newTestClient(t)
	for _, tc := range []struct {
		code   int16
		mapNil bool
	}{{310, true}, {311, false}} {
		for _, st := range []SerializeType{JSON, RocketMQ} {
			req := sendMessageV2Like(st)
			req.Code = tc.code
			want := seen{tc.mapNil, req.ExtFields["b"], req.ExtFields["i"]}
			resp, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, req)
			if err != nil || resp.Code != CodeSuccess {
				t.Fatalf("code %d %v: %v %+v", tc.code, st, err, resp)
			}
			if g := <-got; g != want {
				t.Fatalf("code %d %v: handler saw %+v, want %+v", tc.code, st, g, want)
			}
		}
	}
}

// FuzzRawExt: for any header in either serialisation, the pairs decode of a RawExt route
// reads exactly what the map decode reads (or both fail).
func FuzzRawExt(f *testing.F) {
	for _, h := range rawExtHeaders(f) {
		f.Add(byte(h[0].(SerializeType)), h[1].([]byte))
	}
	f.Fuzz(func(t *testing.T, st byte, h []byte) {
		checkSame(t, SerializeType(st&1), h, sendPairs(), &interner{})
	})
}

// TestExtPairsEncode: a command whose extFields are pairs (SetExtPairs) is written byte for
// byte as the same command with the map, in both serialisations, whatever the pairs' order
// and with repeated keys (the last wins, as in the map).
func TestExtPairsEncode(t *testing.T) {
	for _, ps := range [][]ExtPair{
		{},
		{{"queueOffset", "12"}, {"msgId", "7F00000100002A9F0000000000000000"}, {"queueId", "3"},
			{"MSG_REGION", "DefaultRegion"}, {"TRACE_ON", "true"}, {"transactionId", "C0\"\\\u2028\x01"}},
		{{"b", "1"}, {"a", "2"}, {"b", "3"}, {"", ""}},
		{{"MSG_REGION", "DefaultRegion"}, {"TRACE_ON", "true"}, {"msgId", "7F00000100002A9F0000000000000000"},
			{"queueId", "3"}, {"queueOffset", "12"}}, // already sorted: written as they are
		{{"a", "1"}, {"a", "2"}, {"b", "3"}}, // sorted with a repeat
	} {
		m := map[string]string{}
		for _, p := range ps {
			m[p.Key] = p.Value
		}
		for _, st := range []SerializeType{JSON, RocketMQ} {
			want := &Command{Code: 0, Language: Go, Version: Version, Opaque: 9, Flag: FlagResponse, Serialize: st, ExtFields: m}
			got := *want
			got.SetExtPairs(ps)
			wf, err := AppendFrame(nil, want)
			if err != nil {
				t.Fatal(err)
			}
			gf, err := AppendFrame(nil, &got)
			if err != nil {
				t.Fatal(err)
			}
			if string(wf) != string(gf) {
				t.Fatalf("%v %v:\npairs %q\nmap   %q", st, ps, gf, wf)
			}
			got.LoadExt()
			if !maps.Equal(got.ExtFields, m) {
				t.Fatalf("LoadExt %v, want %v", got.ExtFields, m)
			}
		}
	}
}
