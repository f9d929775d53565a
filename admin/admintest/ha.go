package admintest

import "github.com/mq-project/mq/remoting"

// apacheHAStatus is GET_BROKER_HA_STATUS as an Apache 5 ASYNC_MASTER with one slave answers
// it: fastjson, keys sorted, the null masterAddr of its idle HA client left out.
const apacheHAStatus = `{"haClientRuntimeInfo":{"lastReadTimestamp":0,"lastWriteTimestamp":0,"masterFlushOffset":0,` +
	`"maxOffset":0,"transferredByteInSecond":0},"haConnectionInfo":[{"addr":"10.0.0.11:52110","diff":96,` +
	`"inSync":true,"slaveAckOffset":4104,"transferFromWhere":0,"transferredByteInSecond":512}],` +
	`"inSyncSlaveNums":1,"master":true,"masterCommitLogMaxOffset":4200}`

func haStatus(req *remoting.Command) *remoting.Command { return ok(req, apacheHAStatus) }
