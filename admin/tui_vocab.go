package admin

import "strings"

// systemGroups are the consumer groups brokers create for themselves (Apache MixAll and
// TopicValidator): no user consumes through them.
var systemGroups = map[string]bool{
	ToolsGroup: true, "FILTERSRV_CONSUMER": true, "SELF_TEST_C_GROUP": true, "CID_ONS-HTTP-PROXY": true,
	"CID_ONSAPI_OWNER": true, "CID_ONSAPI_PERMISSION": true, "CID_ONSAPI_PULL": true, "CID_SYS_RMQ_TRANS": true,
	"CID_RMQ_SYS_TRANS": true, "CID_DefaultHeartBeatSyncerTopic": true,
}

// IsSystemGroup reports whether a consumer group is one of the broker's own (TOOLS_CONSUMER,
// CID_RMQ_SYS_*, CID_ONSAPI_*, …) rather than an application's. (Part of the shared
// vocabulary next to ClassifyTopic; the TUI hides these unless asked.)
func IsSystemGroup(name string) bool {
	return systemGroups[name] || strings.HasPrefix(name, "CID_RMQ_SYS_") || strings.HasPrefix(name, "CID_SYS_RMQ_")
}
