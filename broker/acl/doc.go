// Package acl is Apache RocketMQ's plain ACL (v1): accounts from a plain_acl.yml file, the
// request signature the official clients compute, white-listed addresses and the
// topic/group permissions each request needs.
//
// # Accounts file (plain_acl.yml, Apache's format)
//
//	globalWhiteRemoteAddresses:      # requests from these addresses skip every check
//	  - 10.10.103.*
//	accounts:
//	  - accessKey: RocketMQ          # at least 7 characters, as Apache requires
//	    secretKey: 12345678          # at least 7 characters
//	    whiteRemoteAddress: 192.168.0.*   # requests from here skip the signature and perms
//	    admin: false                 # admin request codes need admin: true
//	    defaultTopicPerm: DENY       # for topics not listed in topicPerms
//	    defaultGroupPerm: SUB        # for groups not listed in groupPerms
//	    topicPerms: [topicA=DENY, topicB=PUB|SUB, topicC=SUB]
//	    groupPerms: [groupA=DENY, groupB=PUB|SUB]
//
// Address patterns (RemoteAddressStrategyFactory): "*" (or *.*.*.*) matches everything;
// a single address; a comma list (a,b,c); a last-part set (192.168.1.{1,2,3}); a range
// in one part with "*" after it (192.168.*.*, 192.168.1.1-100, 192.168.1-10.*). An empty
// pattern matches nothing.
//
// # Signature (AclUtils.calSignature, AclClientRPCHook)
//
//	Signature = Base64(HMAC-SHA1(secretKey,
//	            values of every extField except Signature and _UNIQUE_KEY_QUERY,
//	            in key order, concatenated ++ body))
//
// # Decisions (PlainPermissionManager.validate)
//
// A request from a global white address is allowed. Otherwise it needs an AccessKey that
// names an account; a request from the account's whiteRemoteAddress is then allowed; else
// the Signature must verify, an admin request code needs an admin account, and each
// resource the request names needs its permission: the listed one, or the account's
// default topic/group permission (an admin account with no perms listed owns everything).
// Groups are resources named %RETRY%<group>, as Apache stores them.
package acl
