package admin_test

import (
	"testing"

	"github.com/mq-project/mq/admin"
)

func TestClassifyTopic(t *testing.T) {
	system := map[string]bool{"DefaultCluster": true, "broker-a": true}
	for _, tc := range []struct {
		topic string
		want  admin.TopicKind
	}{
		{"Orders", admin.KindNormal},
		{"%RETRY%audit", admin.KindRetry},
		{"%DLQ%audit", admin.KindDLQ},
		{"SCHEDULE_TOPIC_XXXX", admin.KindDelay},
		{"rmq_sys_wheel_timer", admin.KindDelay},
		{"RMQ_SYS_TRANS_HALF_TOPIC", admin.KindTransaction},
		{"RMQ_SYS_TRANS_OP_HALF_TOPIC", admin.KindTransaction},
		{"TRANS_CHECK_MAX_TIME_TOPIC", admin.KindTransaction},
		{"RMQ_SYS_TRACE_TOPIC", admin.KindTrace},
		{"TBW102", admin.KindSystem},
		{"DefaultCluster", admin.KindSystem},
		{"broker-a", admin.KindSystem},
		{"SELF_TEST_TOPIC", admin.KindSystem},
		{"OFFSET_MOVED_EVENT", admin.KindSystem},
		{"DefaultCluster_REPLY_TOPIC", admin.KindSystem},
		{"RMQ_SYS_SOMETHING_NEW", admin.KindSystem},
	} {
		t.Run("topic="+tc.topic, func(t *testing.T) {
			if got := admin.ClassifyTopic(tc.topic, system); got != tc.want {
				t.Errorf("ClassifyTopic(%q) = %s, want %s", tc.topic, got, tc.want)
			}
		})
	}
	if got := admin.ClassifyTopic("DefaultCluster", nil); got != admin.KindNormal {
		t.Errorf("without the system list a cluster-named topic is %s, want normal", got)
	}
}

func TestPermString(t *testing.T) {
	for perm, want := range map[int32]string{0: "---", 2: "-W-", 4: "R--", 6: "RW-", 7: "RWX", 1: "--X"} {
		if got := admin.PermString(perm); got != want {
			t.Errorf("PermString(%d) = %q, want %q", perm, got, want)
		}
		back, err := admin.ParsePerm(want)
		if err != nil || back != perm {
			t.Errorf("ParsePerm(%q) = %d, %v, want %d", want, back, err, perm)
		}
	}
	for in, want := range map[string]int32{"rw": 6, "r": 4, "w": 2, "--": 0, "-w": 2, "r-": 4, "6": 6, " RW ": 6} {
		if got, err := admin.ParsePerm(in); err != nil || got != want {
			t.Errorf("ParsePerm(%q) = %d, %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "rwz", "8", "-1", "read"} {
		if _, err := admin.ParsePerm(bad); err == nil {
			t.Errorf("ParsePerm(%q) accepted", bad)
		}
	}
}

func TestFormatTime(t *testing.T) {
	if got := admin.FormatTime(1700000000000); got != "2023-11-14T22:13:20Z" {
		t.Errorf("FormatTime = %q", got)
	}
	if got := admin.FormatTimeMs(1700000000123); got != "2023-11-14T22:13:20.123Z" {
		t.Errorf("FormatTimeMs = %q", got)
	}
	if admin.FormatTime(0) != "" || admin.FormatTimeMs(-1) != "" || admin.FormatAge(0) != "" {
		t.Error("no time must format as empty")
	}
	if got := admin.FormatAge(1540); got != "1.5s" {
		t.Errorf("FormatAge(1540) = %q", got)
	}
}

func TestIsSystemGroup(t *testing.T) {
	for name, want := range map[string]bool{"TOOLS_CONSUMER": true, "CID_RMQ_SYS_TRANS": true, "CID_ONSAPI_PULL": true,
		"SELF_TEST_C_GROUP": true, "billing": false, "CID_orders": false} {
		if got := admin.IsSystemGroup(name); got != want {
			t.Errorf("IsSystemGroup(%q) = %v", name, got)
		}
	}
}
