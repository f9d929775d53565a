package acl

import "testing"

// BenchmarkCheckSend is the ACL cost of one signed 1 KiB send: signature and permission.
func BenchmarkCheckSend(b *testing.B) {
	tb, err := Parse("f", []byte(sample))
	if err != nil {
		b.Fatal(err)
	}
	cmd := signed(10, map[string]string{"producerGroup": "pg", "topic": "topicB", "queueId": "0", "sysFlag": "0",
		"bornTimestamp": "1700000000000", "flag": "0", "properties": "UNIQ_KEY\x01ABC\x02WAIT\x01true\x02"}, make([]byte, 1024), "RocketMQ", "12345678")
	need := Need{Resources: []Resource{Topic("topicB", Pub)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tb.Check(cmd, lo, need); err != nil {
			b.Fatal(err)
		}
	}
}
