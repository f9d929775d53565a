package admintest

import (
	"github.com/mq-project/mq/remoting"
)

// apacheACLConfig is GET_BROKER_CLUSTER_ACL_CONFIG's body as Apache 5.x's broker writes it
// (fastjson, keys sorted, resourcePerms and namespacePerms present).
const apacheACLConfig = `{"globalWhiteAddrs":["10.10.103.*","192.168.0.*"],"plainAccessConfigs":[` +
	`{"accessKey":"RocketMQ","admin":false,"defaultGroupPerm":"SUB","defaultTopicPerm":"DENY",` +
	`"groupPerms":["groupA=DENY","groupB=PUB|SUB"],"namespacePerms":[],"resourcePerms":[],"secretKey":"12345678",` +
	`"topicPerms":["topicA=DENY","topicB=PUB|SUB"],"whiteRemoteAddress":""},` +
	`{"accessKey":"rocketmq2","admin":true,"secretKey":"12345678","whiteRemoteAddress":"192.168.1.*"}]}`

// aclConfig answers GET_BROKER_CLUSTER_ACL_CONFIG as an Apache broker with aclEnable does.
func (b *Broker) aclConfig(req *remoting.Command) *remoting.Command { return ok(req, apacheACLConfig) }

// aclOK answers the ACL changes (UPDATE_AND_CREATE_ACL_CONFIG, DELETE_ACL_CONFIG,
// UPDATE_GLOBAL_WHITE_ADDRS_CONFIG) with SUCCESS; Requests shows their headers.
func (b *Broker) aclOK(req *remoting.Command) *remoting.Command { return ok(req, "") }
