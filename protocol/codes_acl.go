package protocol

import (
	"strconv"
	"strings"
)

// ACL v1 admin request codes (RequestCode.java).
const (
	// UpdateAndCreateACLConfig (50): header PlainAccessConfigRequestHeader; no body.
	UpdateAndCreateACLConfig RequestCode = 50
	// DeleteACLConfig (51): header accessKey; no body.
	DeleteACLConfig RequestCode = 51
	// GetBrokerClusterACLInfo (52): no header; response header GetBrokerACLInfoResponseHeader.
	GetBrokerClusterACLInfo RequestCode = 52
	// UpdateGlobalWhiteAddrsConfig (53): header globalWhiteAddrs (comma separated).
	UpdateGlobalWhiteAddrsConfig RequestCode = 53
	// GetBrokerClusterACLConfig (54): no header; body ACLConfig.
	GetBrokerClusterACLConfig RequestCode = 54
)

// aclRequestCodeNames names the ACL codes for RequestCode.String.
var aclRequestCodeNames = map[RequestCode]string{
	UpdateAndCreateACLConfig:     "UPDATE_AND_CREATE_ACL_CONFIG",
	DeleteACLConfig:              "DELETE_ACL_CONFIG",
	GetBrokerClusterACLInfo:      "GET_BROKER_CLUSTER_ACL_INFO",
	UpdateGlobalWhiteAddrsConfig: "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG",
	GetBrokerClusterACLConfig:    "GET_BROKER_CLUSTER_ACL_CONFIG",
}

// PlainAccessConfig is one ACL account as the ACL codes carry it (PlainAccessConfig.java).
type PlainAccessConfig struct {
	AccessKey          string   `json:"accessKey"`
	SecretKey          string   `json:"secretKey"`
	WhiteRemoteAddress string   `json:"whiteRemoteAddress,omitempty"`
	Admin              bool     `json:"admin"`
	DefaultTopicPerm   string   `json:"defaultTopicPerm,omitempty"`
	DefaultGroupPerm   string   `json:"defaultGroupPerm,omitempty"`
	TopicPerms         []string `json:"topicPerms"`
	GroupPerms         []string `json:"groupPerms"`
}

// ACLConfig is the body of GET_BROKER_CLUSTER_ACL_CONFIG (AclConfig.java).
type ACLConfig struct {
	GlobalWhiteAddrs   []string            `json:"globalWhiteAddrs"`
	PlainAccessConfigs []PlainAccessConfig `json:"plainAccessConfigs"`
}

// ACLConfigHeader is the extFields of UPDATE_AND_CREATE_ACL_CONFIG
// (CreateAccessConfigRequestHeader): topicPerms and groupPerms are comma separated.
func ACLConfigHeader(a PlainAccessConfig) map[string]string {
	return map[string]string{
		"accessKey":          a.AccessKey,
		"secretKey":          a.SecretKey,
		"whiteRemoteAddress": a.WhiteRemoteAddress,
		"admin":              strconv.FormatBool(a.Admin),
		"defaultTopicPerm":   a.DefaultTopicPerm,
		"defaultGroupPerm":   a.DefaultGroupPerm,
		"topicPerms":         strings.Join(a.TopicPerms, ","),
		"groupPerms":         strings.Join(a.GroupPerms, ","),
	}
}

// ParseACLConfigHeader reads UPDATE_AND_CREATE_ACL_CONFIG's extFields.
func ParseACLConfigHeader(ext map[string]string) PlainAccessConfig {
	split := func(s string) []string {
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	admin, _ := strconv.ParseBool(ext["admin"])
	return PlainAccessConfig{
		AccessKey: ext["accessKey"], SecretKey: ext["secretKey"], WhiteRemoteAddress: ext["whiteRemoteAddress"],
		Admin: admin, DefaultTopicPerm: ext["defaultTopicPerm"], DefaultGroupPerm: ext["defaultGroupPerm"],
		TopicPerms: split(ext["topicPerms"]), GroupPerms: split(ext["groupPerms"]),
	}
}
