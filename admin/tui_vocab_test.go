package admin

import "testing"

func TestIsSystemGroup(t *testing.T) {
	for name, want := range map[string]bool{"TOOLS_CONSUMER": true, "CID_RMQ_SYS_TRANS": true, "CID_ONSAPI_PULL": true,
		"SELF_TEST_C_GROUP": true, "billing": false, "CID_orders": false} {
		if got := IsSystemGroup(name); got != want {
			t.Errorf("IsSystemGroup(%q) = %v", name, got)
		}
	}
}
