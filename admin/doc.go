// Package admin is the operator client library for RocketMQ clusters: ours and Apache
// RocketMQ 4.x/5.x alike, because it speaks only the classic remoting protocol. Methods take a
// ctx and return typed results; nothing here prints (cmd/mq and the TUI render).
//
// # Model
//
// An Admin holds one remoting.Client and a list of nameservers. Nameserver questions go to
// the nameservers in order, starting with the one that answered last, and move on only when a
// nameserver cannot be reached; an answer with an error code ends the search and comes back
// as a *remoting.ResponseError (errors.As reads Code and Remark).
//
// Broker questions first learn the brokers from a nameserver (cluster info for a cluster's
// masters, a topic route for a topic's masters, the route of %RETRY%group for a group) and
// then fan out, at most Options.Concurrency requests at once:
//
//	           +-------------+  106 / 105
//	caller --> |    Admin    | ----------> nameserver 1 (then 2, 3 ... on network errors)
//	           +-------------+
//	              |  |  |   28, 202, 208 ... (bounded fan-out)
//	              v  v  v
//	        broker-a broker-b broker-c
//	              \  |  /
//	           Results[T]{Kind: "broker", Items: [{Name, Addr, Value, Err} ...]}
//	               "2/3 brokers answered"   Err() = *FanoutError when any failed
//
// A broker that does not answer is reported in Results (Answered, Summary, Err), never shown
// as zeros. Calls that change every nameserver (KV put/delete, write permission, namesrv
// config, topic route deletion) fan out to all nameservers the same way.
//
// # Wire dialects
//
// Requests carry language GO and version 479 (remoting.NewRequest), so Apache nameservers
// answer routes in standard JSON, and route requests ask for it explicitly
// (acceptStandardJsonOnly). Other Apache bodies are still fastjson, with bare numeric keys and
// JSON-object keys:
//
//	ClusterInfo      {"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.10:10911"},...}},...}
//	TopicStatsTable  {"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"maxOffset":42,...}},...}
//
// Every body is decoded with protocol.DecodeBody, which accepts both.
package admin
