// Package broker is the RocketMQ broker: it serves Apache RocketMQ's remoting protocol to the
// official clients and admin tools, keeps the broker's metadata, and registers with the
// nameservers. New opens the message store (package store) under storePathRootDir; Shutdown
// closes it last.
//
// # Lifecycle
//
//	cfg, err := broker.Load("broker.conf")   // Apache's keys; unknown keys are errors
//	err = cfg.Validate()
//	b, err := broker.New(cfg, logger)         // loads config/*.json, creates system topics
//	go b.Serve(ln)                            // announces brokerIP1:port, starts services
//	...
//	b.Shutdown(ctx)                           // stop loops, UNREGISTER_BROKER, close, persist
//
// Serve starts the background services (Start): the registrar, the consumer-offset flusher
// (every flushConsumerOffsetInterval, 5 s) and the client expiry scan (every 10 s,
// channelExpiredTimeout 120 s). Each is one goroutine owned by the Broker and waited for by
// Shutdown.
//
// # Announced address
//
// brokerIP1 when set; otherwise the listener's IP when the listener is bound to a specific
// address, else 127.0.0.1 (Apache picks the first non-loopback address: a multi-host
// cluster must set brokerIP1). The port is listenPort, or the listener's port when
// listenPort is 0. The HA address is brokerIP2 (default brokerIP1) : haListenPort (default
// listenPort+1).
//
// # VIP channel
//
// Serve also opens listenPort−2 on the main listener's IP with the same handlers (Apache's
// fastRemotingServer, used by Java clients with vipChannelEnabled) when listenPort > 2 and
// the main listener has that port; a busy port is logged, not fatal. VIPAddr reports it.
//
// # Handler table and ACL
//
// Every request code the broker serves is one row of handlers (handlers.go): code, worker
// pool, handler, and the right it needs when aclEnable=true (acl_rights.go: PUB on the
// topic for sends, SUB on group and topic for pulls, offsets and heartbeats, admin for
// anything that changes the broker). Each handler runs behind guard, which checks the
// request against broker/acl's accounts and writes the audit log; a code registered without
// a right (Handle, handleFunc) is refused while ACL is on.
//
// # Nameserver registration
//
//	start ──► REGISTER_BROKER ──► +10 s ──► every registerNameServerPeriod (30 s, 10..60 s)
//	             ▲
//	topic created/updated/deleted (TopicConfigManager change hook) ── at once
//	shutdown ──► UNREGISTER_BROKER
//
// One goroutine sends every registration, to all nameservers in parallel, so they never
// overlap. The body is RegisterBrokerBody with the whole topic table (see protocol), the
// header carries enableActingMaster (enableSlaveActingMaster). Registered (the ready log
// line and ports file of `mq broker`) closes once one nameserver accepted; while some
// refuse, the registration is repeated after 1 s, doubling up to 5 s, and the missing ones
// are logged when the set changes.
//
// # Clients
//
// HEART_BEAT registers each producer group and consumer group of the body under the
// connection it arrived on. A consumer group's subscription group is found or auto-created,
// and its %RETRY%<group> topic created (retryQueueNums queues, perm RW) so consumers find the
// retry route early. A group whose members or subscribed topics change is sent
// NOTIFY_CONSUMER_IDS_CHANGED (flag=2, never awaited) on every member's connection; so is a
// group that loses a member because its connection closed (the Go client never sends
// UNREGISTER_CLIENT) or because it was silent for channelExpiredTimeout (the connection is
// then closed).
//
// # Files
//
// <storePathRootDir>/config/ holds the metadata as Apache names and shapes it. Every write
// is atomic: write <name>.tmp, fsync, rename over <name>, fsync the directory, so a crash
// leaves the old or the new file, never a torn one; a leftover .tmp is ignored.
//
//	topics.json               written on every topic change
//	{"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000},
//	 "topicConfigTable":{"TopicTest":{"attributes":{},"order":false,"perm":6,
//	   "readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest",
//	   "topicSysFlag":0,"writeQueueNums":4}, ...}}
//
//	subscriptionGroup.json    written on every group change
//	{"dataVersion":{...},"forbiddenTable":{},
//	 "subscriptionGroupTable":{"g":{"groupName":"g","retryMaxTimes":16,"retryQueueNums":1,...}}}
//
//	consumerOffset.json       written every 5 s when changed, and at shutdown
//	{"dataVersion":{...},"offsetTable":{"TopicTest@g":{"0":118,"1":120}}}
//
// Apache writes the queue ids of consumerOffset.json bare ({0:118}); both forms are read,
// standard JSON is written. A file that does not decode stops New with ErrCorruptFile.
//
// # System topics (created at start, TopicConfigManager.java#init)
//
//	topic                         queues   perm
//	SELF_TEST_TOPIC               1        6
//	TBW102                        8 (*)    7   only with autoCreateTopicEnable
//	<brokerClusterName>           16       7   (1 with clusterTopicEnable=false)
//	<brokerName>                  1        7   (1 with brokerTopicEnable=false)
//	OFFSET_MOVED_EVENT            1        6
//	SCHEDULE_TOPIC_XXXX           18       6
//	RMQ_SYS_TRACE_TOPIC (**)      1        6   traceTopicEnable, true by default here
//	<brokerClusterName>_REPLY_TOPIC 1      6
//	RMQ_SYS_TRANS_HALF_TOPIC      1        6
//	RMQ_SYS_TRANS_OP_HALF_TOPIC   1        6
//	(*) defaultTopicQueueNums  (**) msgTraceTopicName
//
// # Messages
//
//	SEND ──► checks (topic name/length, no-send system topics, perm, queueId, body size)
//	     ──► auto-create from TBW102 (min(client's defaultTopicQueueNums, TBW102's)) ──► re-register
//	     ──► %RETRY% rule (reconsumeTimes > max ⇒ %DLQ%) ──► UNIQ_KEY, CLUSTER, MSG_REGION, TRACE_ON
//	     ──► TRAN_MSG prepared ⇒ RMQ_SYS_TRANS_HALF_TOPIC/0 (END_TRANSACTION not handled yet)
//	     ──► DELAY=n ⇒ SCHEDULE_TOPIC_XXXX/n-1 + REAL_TOPIC/REAL_QID ──► store.Append
//	store dispatcher ──► listener ──► wakes held pulls of topic@queue (and the schedule service)
//	PULL ──► group/topic/perm/queue checks ──► subscription (request flag or heartbeat)
//	     ──► tag filter on ConsumeQueue tags codes (Java String.hashCode of tagsSet)
//	     ──► store.GetMessages ──► FOUND / 19 / 20 / 21 with next/min/max offsets
//	     ──► 19 + SUSPEND ⇒ held until dispatch or suspendTimeoutMillis (≤ 25 s)
//
// A held pull frees its pull-pool worker: the hold service (two goroutines) evaluates it again
// when a dispatch or its timeout wakes it and answers with Conn.Reply. Bodies are copied out
// of the mapped CommitLog once per response.
//
// # mq's own admin codes
//
// 30001 MQ_GET_DELAY_STATUS, 30002 MQ_GET_TIMER_STATUS, 30003 MQ_GET_TRANSACTION_STATUS
// (protocol/codes_mq.go): above every Apache code, so an Apache broker answers them
// REQUEST_CODE_NOT_SUPPORTED and tools fall back to scheduleMessageOffset_N.
//
// Filters (package broker/filter) are compiled when a heartbeat changes a subscription, or
// per request for pulls that carry one (sysFlag SUBSCRIPTION). TAG: the store skips entries
// whose tags code is not in the set, then each record found is re-checked on its exact TAGS
// value. SQL92 (enablePropertyFilter=true, else SYSTEM_ERROR as Apache) is evaluated on each
// record's properties. A pull whose records all fail is answered PULL_RETRY_IMMEDIATELY with
// nextBeginOffset past them; an expression that does not compile is
// SUBSCRIPTION_PARSE_FAILED (23) with the parse error.
//
// The ConsumeQueue tags code of SCHEDULE_TOPIC_XXXX entries is the delivery time; the
// schedule service (broker/schedule) moves due messages to their real topic and keeps its
// offsets in config/delayOffset.json. The store host written into records and offset message
// ids is brokerIP1 (or 127.0.0.1) and listenPort, so listenPort must be the real port.
//
// Apache's BenchmarkTest (1024 queues) and the 5.x pop revive and broker-member topics are
// not created. Persisted entries of topics.json override these defaults, as in Java.
//
// # Processors
//
// HEART_BEAT (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP (38),
// QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15), UPDATE_AND_CREATE_TOPIC (17),
// DELETE_TOPIC_IN_BROKER (215), GET_ALL_TOPIC_CONFIG (21), GET_TOPIC_CONFIG (351),
// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200), GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201),
// GET_SUBSCRIPTIONGROUP_CONFIG (352), DELETE_SUBSCRIPTIONGROUP (207), GET_BROKER_CONFIG (26),
// GET_ALL_CONSUMER_OFFSET (43), GET_PRODUCER_CONNECTION_LIST (204),
// GET_CONSUMER_CONNECTION_LIST (203); with the store: SEND_MESSAGE (10), SEND_MESSAGE_V2
// (310), SEND_BATCH_MESSAGE (320), PULL_MESSAGE (11, and 361), CONSUMER_SEND_MSG_BACK (36),
// QUERY_MESSAGE (12), VIEW_MESSAGE_BY_ID (33), GET_MAX_OFFSET (30), GET_MIN_OFFSET (31),
// SEARCH_OFFSET_BY_TIMESTAMP (29), GET_EARLIEST_MSG_STORETIME (32), LOCK_BATCH_MQ (41),
// UNLOCK_BATCH_MQ (42, 60 s lock expiry), GET_BROKER_RUNTIME_INFO (28), GET_TOPIC_STATS_INFO
// (202), GET_CONSUME_STATS (208), GET_ALL_DELAY_OFFSET (45), UPDATE_BROKER_CONFIG (25:
// validated and reported by GET_BROKER_CONFIG, effective after a restart),
// SEND_REPLY_MESSAGE (324, 325: pushed to the requester with PUSH_REPLY_MESSAGE_TO_CLIENT
// 326), INVOKE_BROKER_TO_RESET_OFFSET (222: committed offsets moved, members sent
// RESET_CONSUMER_CLIENT_OFFSET 220), GET_CONSUMER_RUNNING_INFO (307) and
// CONSUME_MESSAGE_DIRECTLY (309) relayed to the client's connection,
// QUERY_TOPIC_CONSUME_BY_WHO (300), QUERY_TOPICS_BY_CONSUMER (343), CLONE_GROUP_OFFSET (314),
// GET_BROKER_CONSUME_STATS (317). DELETE_TOPIC_IN_BROKER drops the config, the offsets and
// the topic's ConsumeQueues (a topic created again starts empty at offset 0); its records stay
// in the CommitLog until retention. They run on per-kind worker pools (Pool) sized from
// Apache's *ThreadPoolNums keys, so slow admin work never stalls heartbeats. Unknown codes
// are answered REQUEST_CODE_NOT_SUPPORTED by remoting.
package broker
