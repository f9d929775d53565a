package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// Literal examples of the reference (§2.2.2, §2.5).
const (
	javaClusterInfo = `{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.10:10911",1:"10.0.0.11:10911"},
                                "brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}},
 "clusterAddrTable":{"DefaultCluster":["broker-a"]}}`
	stdClusterInfo = `{"brokerAddrTable":{"broker-a":{"brokerAddrs":{"0":"10.0.0.10:10911","1":"10.0.0.11:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}`

	javaRoute = `{"brokerDatas":[{"brokerAddrs":{0:"192.168.0.10:10911",1:"192.168.0.11:10911"},
                 "brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],
 "filterServerTable":{},
 "queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`
	stdRoute = `{"brokerDatas":[{"brokerAddrs":{"0":"192.168.0.10:10911","1":"192.168.0.11:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`

	javaConsumeStats = `{"consumeTps":0.0,
 "offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:
                  {"brokerOffset":120,"consumerOffset":118,"lastTimestamp":1700000000000,"pullOffset":120},
                {"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}:{"brokerOffset":7,"consumerOffset":7,"lastTimestamp":0,"pullOffset":7}}}`
	fastConsumeStats = `{"consumeTps":0,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"brokerOffset":120,"consumerOffset":118,"lastTimestamp":1700000000000,"pullOffset":120},{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}:{"brokerOffset":7,"consumerOffset":7,"lastTimestamp":0,"pullOffset":7}}}`

	javaTopicStats  = `{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":1700000000000,"maxOffset":42,"minOffset":0}},"topicPutTps":0.0}`
	javaResetOffset = `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:25}}`
	javaConsumerOff = `{"dataVersion":{"counter":1,"stateVersion":0,"timestamp":5},
 "groupTopicMap":{"g1":["TopicTest","%RETRY%g1"]},
 "offsetTable":{"TopicTest@g1":{0:118,1:120},"%RETRY%g1@g1":{0:0}}}`
	javaDelayOff   = `{"dataVersion":{"counter":1,"stateVersion":0,"timestamp":5},"offsetTable":{1:5,2:0,3:12}}`
	goCHeartbeat   = `{"clientID":"192.0.2.2@22006","producerDataSet":[{"groupName":"capProducerGroup"}],"consumerDataSet":[{"groupName":"capConsumerGroup","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"%RETRY%capConsumerGroup","subString":"*","tagsSet":[],"codeSet":[],"subVersion":1795817389399293862,"expressionType":"TAG"},{"classFilterMode":false,"topic":"TopicTest","subString":"TagA || TagB","tagsSet":["TagA","TagB"],"codeSet":["2598919","2598920"],"subVersion":1795817389399272094,"expressionType":"TAG"}],"unitMode":false}]}`
	goCRunningInfo = `{"properties":{"PROP_CLIENT_VERSION":"v2.1.1","PROP_CONSUME_TYPE":"CONSUME_PASSIVELY"},"statusTable":{"TopicTest":{"pullRT":0,"pullTPS":0}},"subscriptionSet":[],"mqTable":{{"topic":"TopicTest","brokerName":"broker-a","queueId":0}:{"commitOffset":4,"dropped":false}},"jstack":""}`
)

func TestGoldenClusterInfo(t *testing.T) {
	var ci ClusterInfo
	if err := DecodeBody([]byte(javaClusterInfo), &ci); err != nil {
		t.Fatal(err)
	}
	bd := ci.BrokerAddrTable["broker-a"]
	if bd.BrokerAddrs[0] != "10.0.0.10:10911" || bd.BrokerAddrs[1] != "10.0.0.11:10911" || bd.Cluster != "DefaultCluster" ||
		len(ci.ClusterAddrTable["DefaultCluster"]) != 1 {
		t.Fatalf("%+v", ci)
	}
	mustEncode(t, ci, stdClusterInfo)
	mustEncode(t, ClusterInfo{}, `{"brokerAddrTable":{},"clusterAddrTable":{}}`)
}

func TestGoldenRoute(t *testing.T) {
	var r TopicRouteData
	if err := DecodeBody([]byte(javaRoute), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.BrokerDatas) != 1 || r.BrokerDatas[0].MasterAddr() != "192.168.0.10:10911" ||
		len(r.QueueDatas) != 1 || r.QueueDatas[0].WriteQueueNums != 4 || r.QueueDatas[0].Perm != 6 {
		t.Fatalf("%+v", r)
	}
	mustEncode(t, r, stdRoute)
	// The GoC trap: empty collections are present and brokerAddrs is {} not null.
	mustEncode(t, TopicRouteData{BrokerDatas: []BrokerData{{BrokerName: "b", Cluster: "c"}}},
		`{"brokerDatas":[{"brokerAddrs":{},"brokerName":"b","cluster":"c","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[]}`)
}

func TestGoldenMessageQueueMaps(t *testing.T) {
	var cs ConsumeStats
	if err := DecodeBody([]byte(javaConsumeStats), &cs); err != nil {
		t.Fatal(err)
	}
	q0 := MessageQueue{BrokerName: "broker-a", QueueID: 0, Topic: "TopicTest"}
	if len(cs.OffsetTable) != 2 || cs.OffsetTable[q0].ConsumerOffset != 118 || cs.OffsetTable[q0].LastTimestamp != 1700000000000 {
		t.Fatalf("%+v", cs)
	}
	got, err := EncodeFastJSON(cs)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != fastConsumeStats {
		t.Fatalf("fastjson encode:\n got %s\nwant %s", got, fastConsumeStats)
	}
	var back ConsumeStats
	if err := DecodeBody(got, &back); err != nil || back.OffsetTable[q0] != cs.OffsetTable[q0] {
		t.Fatalf("round trip: %v %+v", err, back)
	}

	var ts TopicStatsTable
	if err := DecodeBody([]byte(javaTopicStats), &ts); err != nil {
		t.Fatal(err)
	}
	if o := ts.OffsetTable[MessageQueue{"broker-a", 0, "T"}]; o.MaxOffset != 42 || o.LastUpdateTimestamp != 1700000000000 {
		t.Fatalf("%+v", ts)
	}
	var rb ResetOffsetBody
	if err := DecodeBody([]byte(javaResetOffset), &rb); err != nil {
		t.Fatal(err)
	}
	if rb.OffsetTable[MessageQueue{"b", 0, "T"}] != 25 {
		t.Fatalf("%+v", rb)
	}
	got, _ = EncodeFastJSON(rb)
	if string(got) != javaResetOffset {
		t.Fatalf("reset: %s", got)
	}
	var ri ConsumerRunningInfo
	if err := DecodeBody([]byte(goCRunningInfo), &ri); err != nil {
		t.Fatal(err)
	}
	if len(ri.MQTable) != 1 || ri.Properties["PROP_CONSUME_TYPE"] != "CONSUME_PASSIVELY" {
		t.Fatalf("%+v", ri)
	}
}

func TestGoldenOffsetFiles(t *testing.T) {
	var co ConsumerOffsetSerializeWrapper
	if err := DecodeBody([]byte(javaConsumerOff), &co); err != nil {
		t.Fatal(err)
	}
	if co.OffsetTable["TopicTest@g1"][1] != 120 || co.DataVersion.Counter != 1 {
		t.Fatalf("%+v", co)
	}
	mustEncode(t, co, `{"dataVersion":{"counter":1,"stateVersion":0,"timestamp":5},"offsetTable":{"%RETRY%g1@g1":{"0":0},"TopicTest@g1":{"0":118,"1":120}}}`)
	var do DelayOffsetSerializeWrapper
	if err := DecodeBody([]byte(javaDelayOff), &do); err != nil {
		t.Fatal(err)
	}
	if do.OffsetTable[3] != 12 {
		t.Fatalf("%+v", do)
	}
}

func TestHeartbeatCodeSet(t *testing.T) {
	var hb HeartbeatData
	if err := DecodeBody([]byte(goCHeartbeat), &hb); err != nil {
		t.Fatal(err)
	}
	sub := hb.ConsumerDataSet[0].SubscriptionDataSet[1]
	if len(sub.CodeSet) != 2 || sub.CodeSet[0] != 2598919 || sub.SubVersion != 1795817389399272094 {
		t.Fatalf("%+v", sub)
	}
	var java SubscriptionData
	if err := DecodeBody([]byte(`{"codeSet":[2598919],"topic":"T"}`), &java); err != nil || java.CodeSet[0] != 2598919 {
		t.Fatalf("numbers: %v %+v", err, java)
	}
	mustEncode(t, NewTopicConfig("TopicTest"), `{"attributes":{},"order":false,"perm":6,"readQueueNums":16,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":16}`)
	mustEncode(t, NewSubscriptionGroupConfig("g"), `{"attributes":{},"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"consumeMessageOrderly":false,"consumeTimeoutMinute":15,"groupName":"g","groupRetryPolicy":{"type":"CUSTOMIZED"},"groupSysFlag":0,"notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}`)
	mustEncode(t, TopicList{}, `{"topicList":[]}`)
	mustEncode(t, LockBatchResponseBody{}, `{"lockOKMQSet":[]}`)
}

func TestStandardJSON(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            bool
	}{
		{"case=plain", `{"a": [1, 2.5, true, null, "x y"]}`, `{"a":[1,2.5,true,null,"x y"]}`, false},
		{"case=bareKeys", `{0:"a",-1:"b"}`, `{"0":"a","-1":"b"}`, false},
		{"case=objectKey", `{{"b":1}:2}`, `{"{\"b\":1}":2}`, false},
		{"case=arrayKey", `{[1,2]:3}`, `{"[1,2]":3}`, false},
		{"case=singleQuote", `{'k':'it''s'}`, ``, true},
		{"case=singleQuoteOK", `{'k':'v"w'}`, `{"k":"v\"w"}`, false},
		{"case=escapes", `{"a\"b":"\u003e"}`, `{"a\"b":"\u003e"}`, false},
		{"case=unterminated", `{"a":1`, ``, true},
		{"case=trailing", `{} x`, ``, true},
		{"case=missingColon", `{"a" 1}`, ``, true},
		{"case=deepKeys", `{{{{"a":1}:1}:1}:1}`, ``, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := StandardJSON([]byte(tt.in))
			if tt.err {
				if err == nil || !errors.Is(err, ErrFastJSON) {
					t.Fatalf("want error, got %s %v", got, err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %s %v, want %s", got, err, tt.want)
			}
		})
	}
}

func FuzzStandardJSON(f *testing.F) {
	for _, s := range []string{javaClusterInfo, javaRoute, javaConsumeStats, javaTopicStats, javaResetOffset,
		javaConsumerOff, javaDelayOff, goCHeartbeat, goCRunningInfo, `{'a':'b'}`, `[{0:1}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := StandardJSON(in)
		if err != nil {
			return
		}
		if len(out) > 8*len(in)+16 {
			t.Fatalf("output %d bytes from %d", len(out), len(in))
		}
		// Standard JSON input must come back as the same value.
		var a, b any
		if json.Unmarshal(in, &a) == nil {
			if err := json.Unmarshal(out, &b); err != nil {
				t.Fatalf("valid input became invalid: %s -> %s", in, out)
			}
			ab, _ := json.Marshal(a)
			bb, _ := json.Marshal(b)
			if !bytes.Equal(ab, bb) {
				t.Fatalf("value changed: %s -> %s", in, out)
			}
		}
		var cs ConsumeStats
		_ = DecodeBody(in, &cs)
		var ci ClusterInfo
		_ = DecodeBody(in, &ci)
	})
}

func TestRegisterBrokerBody(t *testing.T) {
	body := RegisterBrokerBody{
		FilterServerList: []string{"10.0.0.1:1"},
		TopicConfigSerializeWrapper: TopicConfigSerializeWrapper{
			DataVersion: DataVersion{Counter: 7, Timestamp: 1700000000000},
			TopicConfigTable: map[string]TopicConfig{
				"TopicTest": {Attributes: map[string]string{"+message.type": "NORMAL"}, Perm: 6, ReadQueueNums: 4,
					WriteQueueNums: 4, TopicFilterType: "SINGLE_TAG", TopicName: "TopicTest"},
				"TBW102": NewTopicConfig("TBW102"),
			},
		},
	}
	for _, compressed := range []bool{false, true} {
		enc, err := EncodeRegisterBrokerBody(body, compressed)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeRegisterBrokerBody(enc, compressed)
		if err != nil {
			t.Fatalf("compressed=%v: %v", compressed, err)
		}
		w := got.TopicConfigSerializeWrapper
		tc := w.TopicConfigTable["TopicTest"]
		if w.DataVersion.Counter != 7 || len(w.TopicConfigTable) != 2 || tc.WriteQueueNums != 4 || tc.Perm != 6 ||
			tc.Attributes["+message.type"] != "NORMAL" || len(got.FilterServerList) != 1 {
			t.Fatalf("compressed=%v: %+v", compressed, got)
		}
	}
	plain, _ := EncodeRegisterBrokerBody(RegisterBrokerBody{}, false)
	if string(plain) != `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":0,"stateVersion":0,"timestamp":0},"topicConfigTable":{}}}` {
		t.Fatalf("empty: %s", plain)
	}
	if _, err := DecodeRegisterBrokerBody([]byte("not zlib"), true); !errors.Is(err, ErrRegisterBody) {
		t.Fatalf("garbage: %v", err)
	}
	if BodyCRC32([]byte("hello")) != int32(0x3610a686&0x7FFFFFFF) {
		t.Fatalf("crc %x", BodyCRC32([]byte("hello")))
	}
}

func FuzzDecodeRegisterBrokerBody(f *testing.F) {
	body := RegisterBrokerBody{TopicConfigSerializeWrapper: TopicConfigSerializeWrapper{
		TopicConfigTable: map[string]TopicConfig{"T": NewTopicConfig("T")}}}
	c, _ := EncodeRegisterBrokerBody(body, true)
	p, _ := EncodeRegisterBrokerBody(body, false)
	f.Add(c, true)
	f.Add(p, false)
	f.Fuzz(func(t *testing.T, data []byte, compressed bool) {
		_, _ = DecodeRegisterBrokerBody(data, compressed)
	})
}

func mustEncode(t *testing.T, v any, want string) {
	t.Helper()
	got, err := EncodeBody(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("encode %T:\n got %s\nwant %s", v, got, want)
	}
}

func BenchmarkStandardJSON(b *testing.B) {
	in := []byte(javaConsumeStats)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := StandardJSON(in); err != nil {
			b.Fatal(err)
		}
	}
}
