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
//
// # Message ids
//
// MessageByID tells the two id kinds apart without being told:
//
//	offset id (32 hex)  = store host IPv4 (8) | port (8) | commit-log offset (16)
//	                      7F000001 00002A9F 00000000000007EC
//	offset id (56 hex)  = IPv6 (32) | port (8) | offset (16)
//	unique key          = anything else, or an offset id whose host:port is not a broker the
//	                      nameservers know (UNIQ_KEY ids decode too, to some other address)
//
// An offset id goes straight to its broker (VIEW_MESSAGE_BY_ID); a unique key needs a topic
// and is looked up on its masters' index (QUERY_MESSAGE with _UNIQUE_KEY_QUERY). When no
// nameserver answers, the id cannot be told apart and the nameservers' error is returned.
//
// # Key queries past 64
//
// QUERY_MESSAGE returns at most 64 messages. QueryByKey splits a full time window in halves
// until it is one second wide (the index keeps whole seconds), then reads that second through
// the queues (SEARCH_OFFSET_BY_TIMESTAMP, PULL_MESSAGE) and filters by key:
//
//	[begin ............................ end]   64 back: full
//	[begin ....... mid] [mid+1s ....... end]   each asked again
//	            ...
//	[t, t+999ms]  still full  -> scan queues over [t, t+2s)
//
// # Traces
//
// Clients write trace records to RMQ_SYS_TRACE_TOPIC (or a custom topic) with the traced ids
// in KEYS. A body holds records ended by \x02, fields separated by \x01 (reference A.7):
//
//	Pub|ts|region|group|topic|msgId|tags|keys|storeHost|bodyLen|costMs|msgType|offsetMsgId|success[|clientHost]
//	SubBefore|ts|region|group|requestId|msgId|retryTimes|keys|null?[|clientHost]
//	SubAfter|requestId|msgId|costMs|success|keys|contextCode|ts|group
//	EndTransaction|ts|region|group|topic|msgId|tags|keys|storeHost|msgType|transactionId|state|fromCheck
//
// Timeline turns them into events: a Pub is a send and (if it succeeded) a store; a SubBefore
// and the SubAfter with its request id are one consume attempt (attempt = retryTimes+1).
//
// # Resets
//
// PlanReset reads, per queue of the topic's masters, min, max and the group's offset, and the
// target (earliest = min, latest = max, an offset clamped to [min, max], a time by
// SEARCH_OFFSET_BY_TIMESTAMP). ApplyReset asks each master to reset itself
// (INVOKE_BROKER_TO_RESET_OFFSET, which also tells online consumers) and falls back to
// UPDATE_CONSUMER_OFFSET per queue with the planned targets, so the preview is what happens.
//
// # Statistics and their fallback
//
// StatsAll (mqadmin statsAll) reads VIEW_BROKER_STATS_DATA (TOPIC_PUT_NUMS, GROUP_GET_NUMS).
// A broker without that code (mq's before 2026-11-28) is read through offsets instead, and every row says so:
//
//	source "stats"    inTps, outTps, inMsg24Hour, outMsg24Hour from the broker's counters
//	source "offsets"  tps 0 (unknown), inMsg24Hour = messages the queues hold (202),
//	                  outMsg24Hour = messages the group consumed of them (208)
//
// # Progress
//
// Long calls (QueryByKey's windows and scans, ApplyReset's queues) report Done/Total units to
// the func installed with WithProgress on their ctx; without one they report nothing.
package admin
