package protocol

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
)

// goSendV1 is the SEND_MESSAGE extFields GoC wrote (reference Appendix A.3).
func goSendV1() map[string]string {
	return map[string]string{"batch": "false", "bname": "broker-a", "producerGroup": "capProducerGroup",
		"topic": "TopicTest", "queueId": "1", "reconsumeTimes": "0", "unitMode": "false",
		"maxReconsumeTimes": "0", "defaultTopic": "TBW102",
		"properties": "TAGS\x01TagA\x02KEYS\x01k1 k2\x02UNIQ_KEY\x01C000020255F6000000008aa6d3c80001\x02",
		"sysFlag":    "0", "bornTimestamp": "1795817389403", "flag": "0", "defaultTopicQueueNums": "4"}
}

// goSendV2 is the SEND_BATCH_MESSAGE extFields GoC wrote (Appendix A.4).
func goSendV2() map[string]string {
	return map[string]string{"k": "false", "l": "0", "m": "true", "a": "capProducerGroup", "b": "TopicTest",
		"e": "0", "f": "0", "i": "", "n": "broker-a", "c": "TBW102", "d": "4", "g": "1795817389403", "h": "0", "j": "0"}
}

func goPull() map[string]string {
	return map[string]string{"consumerGroup": "capConsumerGroup", "queueId": "0", "queueOffset": "0",
		"maxMsgNums": "32", "subscription": "", "subVersion": "0", "bname": "broker-a",
		"topic": "%RETRY%capConsumerGroup", "sysFlag": "2", "commitOffset": "-1",
		"suspendTimeoutMillis": "20000", "expressionType": "TAG"}
}

func TestSendHeaderGoC(t *testing.T) {
	h, err := DecodeSendMessageRequestHeader(SendMessage, goSendV1())
	if err != nil {
		t.Fatal(err)
	}
	want := SendMessageRequestHeader{ProducerGroup: "capProducerGroup", Topic: "TopicTest", DefaultTopic: "TBW102",
		DefaultTopicQueueNums: 4, QueueID: 1, BornTimestamp: 1795817389403, BrokerName: "broker-a",
		Properties: goSendV1()["properties"]}
	if h != want {
		t.Fatalf("V1 decode:\n got %+v\nwant %+v", h, want)
	}
	// Re-encoding gives back exactly what GoC sent.
	ext := EncodeHeader(&h)
	if !maps.Equal(ext, goSendV1()) {
		t.Fatalf("V1 re-encode:\n got %v\nwant %v", ext, goSendV1())
	}

	h2, err := DecodeSendMessageRequestHeader(SendBatchMessage, goSendV2())
	if err != nil {
		t.Fatal(err)
	}
	if !h2.Batch || h2.Topic != "TopicTest" || h2.BrokerName != "broker-a" || h2.DefaultTopicQueueNums != 4 {
		t.Fatalf("V2 decode: %+v", h2)
	}
	v2 := SendMessageRequestHeaderV2(h2)
	if ext := EncodeHeader(&v2); !maps.Equal(ext, goSendV2()) {
		t.Fatalf("V2 re-encode:\n got %v\nwant %v", ext, goSendV2())
	}
}

// TestHotHeadersMatchReflection checks the hand-written codecs against the tag codec.
func TestHotHeadersMatchReflection(t *testing.T) {
	tests := []struct {
		name string
		ext  map[string]string
		hand Header
		refl any
	}{
		{"header=send", goSendV1(), &SendMessageRequestHeader{}, &SendMessageRequestHeader{}},
		{"header=pull", goPull(), &PullMessageRequestHeader{}, &PullMessageRequestHeader{}},
		{"header=sendResponse", map[string]string{"msgId": "7F00000100002A9F0000000000000000", "queueId": "1",
			"queueOffset": "0", "transactionId": "C0", "MSG_REGION": "DefaultRegion", "TRACE_ON": "true"},
			&SendMessageResponseHeader{}, &SendMessageResponseHeader{}},
		{"header=pullResponse", map[string]string{"nextBeginOffset": "1", "minOffset": "0", "maxOffset": "1",
			"suggestWhichBrokerId": "0"}, &PullMessageResponseHeader{}, &PullMessageResponseHeader{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.hand.Decode(tt.ext); err != nil {
				t.Fatal(err)
			}
			if err := decodeReflect(tt.ext, tt.refl); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tt.hand, tt.refl) {
				t.Fatalf("hand %+v != reflect %+v", tt.hand, tt.refl)
			}
			a, b := map[string]string{}, map[string]string{}
			tt.hand.Encode(a)
			encodeReflect(tt.refl, b)
			if !maps.Equal(a, b) {
				t.Fatalf("encode differs:\nhand    %v\nreflect %v", a, b)
			}
			if !maps.Equal(a, tt.ext) {
				t.Fatalf("round trip:\n got %v\nwant %v", a, tt.ext)
			}
		})
	}
}

func TestDecodeHeaderErrors(t *testing.T) {
	tests := []struct {
		name    string
		ext     map[string]string
		h       any
		missing string
		bad     string
	}{
		{"case=missingTopic", map[string]string{}, &GetRouteInfoRequestHeader{}, "topic", ""},
		{"case=emptyTopic", map[string]string{"topic": ""}, &GetRouteInfoRequestHeader{}, "topic", ""},
		{"case=badBrokerId", map[string]string{"brokerName": "b", "brokerAddr": "a", "clusterName": "c", "brokerId": "x"},
			&RegisterBrokerRequestHeader{}, "", "brokerId"},
		{"case=pullMissingGroup", map[string]string{"topic": "T"}, &PullMessageRequestHeader{}, "consumerGroup", ""},
		{"case=pullBadOffset", map[string]string{"topic": "T", "consumerGroup": "g", "queueOffset": "1.5"},
			&PullMessageRequestHeader{}, "", "queueOffset"},
		{"case=sendV2MissingTopic", map[string]string{"a": "g"}, &SendMessageRequestHeaderV2{}, "b", ""},
		{"case=sendBadQueue", map[string]string{"producerGroup": "g", "topic": "T", "queueId": "99999999999"},
			&SendMessageRequestHeader{}, "", "queueId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := DecodeHeader(tt.ext, tt.h)
			var me *MissingFieldError
			var fe *FieldError
			switch {
			case tt.missing != "":
				if !errors.As(err, &me) || me.Field != tt.missing || !errors.Is(err, ErrMissingField) {
					t.Fatalf("err = %v, want missing %s", err, tt.missing)
				}
			case tt.bad != "":
				if !errors.As(err, &fe) || fe.Field != tt.bad || !errors.Is(err, ErrBadField) {
					t.Fatalf("err = %v, want bad %s", err, tt.bad)
				}
			}
		})
	}
}

func TestDecodeHeaderLenient(t *testing.T) {
	var h RegisterBrokerRequestHeader
	err := DecodeHeader(map[string]string{"brokerName": "broker-a", "brokerAddr": "127.0.0.1:10911",
		"clusterName": "DefaultCluster", "unknownKey": "x", "compressed": "TRUE", "heartbeatTimeoutMillis": "",
		"enableActingMaster": "false", "bodyCrc32": "123"}, &h)
	if err != nil {
		t.Fatal(err)
	}
	if h.BrokerID != 0 || h.HeartbeatTimeoutMillis != 0 || !h.Compressed || h.EnableActingMaster == nil ||
		*h.EnableActingMaster || h.BodyCrc32 != 123 {
		t.Fatalf("%+v", h)
	}
	var r ResetOffsetRequestHeader
	if err := DecodeHeader(map[string]string{"topic": "T", "group": "g", "timestamp": "5", "isForce": "true"}, &r); err != nil {
		t.Fatal(err)
	}
	if r.QueueID != -1 || r.Offset != nil || !r.IsForce || r.Timestamp != 5 {
		t.Fatalf("defaults: %+v", r)
	}
	off := int64(25)
	r.Offset = &off
	ext := EncodeHeader(&r)
	want := map[string]string{"topic": "T", "group": "g", "timestamp": "5", "isForce": "true", "queueId": "-1", "offset": "25"}
	if !maps.Equal(ext, want) {
		t.Fatalf("encode: %v", ext)
	}
	// omitempty and nil pointers stay out.
	ext = EncodeHeader(&DeleteTopicFromNamesrvRequestHeader{Topic: "T"})
	if !maps.Equal(ext, map[string]string{"topic": "T"}) {
		t.Fatalf("encode: %v", ext)
	}
	if err := DecodeHeader(nil, &GetKVConfigRequestHeader{}); !errors.Is(err, ErrMissingField) {
		t.Fatalf("nil ext: %v", err)
	}
	if err := DecodeHeader(nil, GetKVConfigRequestHeader{}); err == nil {
		t.Fatal("non-pointer accepted")
	}
}

func FuzzDecodeHeader(f *testing.F) {
	f.Add("topic", "T", "queueId", "1")
	f.Add("a", "g", "b", "T")
	f.Add("queueOffset", "-1", "sysFlag", "x")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		ext := map[string]string{k1: v1, k2: v2}
		_ = DecodeHeader(ext, &PullMessageRequestHeader{})
		_ = DecodeHeader(ext, &SendMessageRequestHeaderV2{})
		_ = DecodeHeader(ext, &RegisterBrokerRequestHeader{})
		var r ResetOffsetRequestHeader
		if DecodeHeader(ext, &r) == nil {
			var back ResetOffsetRequestHeader
			if err := DecodeHeader(EncodeHeader(&r), &back); err != nil || !reflect.DeepEqual(r, back) {
				t.Fatalf("round trip %+v -> %+v (%v)", r, back, err)
			}
		}
	})
}

func BenchmarkHeader(b *testing.B) {
	b.Run("header=sendV1/op=decode", func(b *testing.B) {
		ext := goSendV1()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeSendMessageRequestHeader(SendMessage, ext); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("header=sendV2/op=decode", func(b *testing.B) {
		ext := goSendV2()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeSendMessageRequestHeader(SendBatchMessage, ext); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("header=sendV1/op=encode", func(b *testing.B) {
		h, _ := DecodeSendMessageRequestHeader(SendMessage, goSendV1())
		b.ReportAllocs()
		for b.Loop() {
			ext := make(map[string]string, 16)
			h.Encode(ext)
		}
	})
	b.Run("header=pull/op=decode", func(b *testing.B) {
		ext := goPull()
		b.ReportAllocs()
		var h PullMessageRequestHeader
		for b.Loop() {
			if err := h.Decode(ext); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("header=pull/op=decodeReflect", func(b *testing.B) {
		ext := goPull()
		b.ReportAllocs()
		var h PullMessageRequestHeader
		for b.Loop() {
			if err := decodeReflect(ext, &h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("header=pullResponse/op=encode", func(b *testing.B) {
		h := PullMessageResponseHeader{NextBeginOffset: 1234, MaxOffset: 99999, MinOffset: 0}
		b.ReportAllocs()
		for b.Loop() {
			ext := make(map[string]string, 4)
			h.Encode(ext)
		}
	})
	b.Run("header=sendResponse/op=encode", func(b *testing.B) {
		h := SendMessageResponseHeader{MsgID: "7F00000100002A9F0000000000000000", QueueID: 1, QueueOffset: 77,
			TransactionID: "C000020255F6000000008aa6d3c80001", MsgRegion: "DefaultRegion", TraceOn: "true"}
		b.ReportAllocs()
		for b.Loop() {
			ext := make(map[string]string, 8)
			h.Encode(ext)
		}
	})
}

// TestSendResponseEncodeTo: EncodeTo yields what Encode writes, in sorted key order.
func TestSendResponseEncodeTo(t *testing.T) {
	for _, h := range []SendMessageResponseHeader{
		{MsgID: "m", QueueID: 3, QueueOffset: 1 << 40},
		{MsgID: "m", QueueID: -1, TransactionID: "t", BatchUniqID: "b", MsgRegion: "r", TraceOn: "false"},
	} {
		m := map[string]string{}
		h.Encode(m)
		var keys []string
		n := 0
		h.EncodeTo(func(k, v string) {
			keys = append(keys, k)
			if m[k] != v {
				t.Fatalf("%s: %q, Encode wrote %q", k, v, m[k])
			}
			n++
		})
		if n != len(m) || !slices.IsSorted(keys) {
			t.Fatalf("EncodeTo keys %v, Encode wrote %v", keys, m)
		}
	}
}

// TestSendHeaderDecoder checks the one-pass decode of a send header from key/value pairs
// against the map decode, for both name sets, missing and malformed fields; repeated keys
// take the last value and unknown keys are ignored.
func TestSendHeaderDecoder(t *testing.T) {
	del := func(m map[string]string, k string) map[string]string { delete(m, k); return m }
	set := func(m map[string]string, k, v string) map[string]string { m[k] = v; return m }
	for _, tc := range []struct {
		code RequestCode
		ext  map[string]string
	}{
		{SendMessage, goSendV1()},
		{SendMessageV2, goSendV2()},
		{SendBatchMessage, goSendV2()},
		{SendMessage, goSendV2()}, // letters under a V1 code: no producerGroup
		{SendMessageV2, goSendV1()},
		{SendMessage, del(goSendV1(), "topic")},
		{SendMessageV2, del(goSendV2(), "a")},
		{SendMessage, set(goSendV1(), "queueId", "x")},
		{SendMessageV2, set(goSendV2(), "g", "12y")},
		{SendMessageV2, set(goSendV2(), "e", " 3 ")},
		{SendMessageV2, set(goSendV2(), "o", "unknown")},
		{SendMessage, set(goSendV1(), "unitMode", "TRUE")},
		{SendMessage, map[string]string{}},
	} {
		want, werr := DecodeSendMessageRequestHeader(tc.code, tc.ext)
		d := NewSendHeaderDecoder(tc.code)
		for k, v := range tc.ext {
			d.Set(k, v)
		}
		got, gerr := d.Header()
		if got != want || (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Errorf("code %d %v:\n got %+v, %v\nwant %+v, %v", tc.code, tc.ext, got, gerr, want, werr)
		}
	}
	d := NewSendHeaderDecoder(SendMessageV2)
	for _, p := range [][2]string{{"a", "g1"}, {"b", "first"}, {"zz", "1"}, {"b", "second"}} {
		d.Set(p[0], p[1])
	}
	h, err := d.Header()
	if err != nil || h.ProducerGroup != "g1" || h.Topic != "second" {
		t.Fatalf("repeated keys: %+v, %v", h, err)
	}
}
