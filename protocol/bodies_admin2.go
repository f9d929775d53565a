package protocol

// Bodies and headers of admin requests added for the statistics commands (mqadmin statsAll,
// brokerConsumeStats).

// ViewBrokerStatsDataRequestHeader is the header of VIEW_BROKER_STATS_DATA (315). StatsName is
// one of Apache's stats items (TOPIC_PUT_NUMS, GROUP_GET_NUMS ...); StatsKey is the topic, or
// "topic@group" for group items.
type ViewBrokerStatsDataRequestHeader struct {
	StatsName string `ext:"statsName,required"`
	StatsKey  string `ext:"statsKey,required"`
}

// BrokerStatsItem is one window of a broker stats item (BrokerStatsItem.java): the sum over
// the window, the rate per second and the average time per operation.
type BrokerStatsItem struct {
	Sum   int64   `json:"sum"`
	Tps   float64 `json:"tps"`
	Avgpt float64 `json:"avgpt"`
}

// BrokerStatsData is the body of a VIEW_BROKER_STATS_DATA answer (BrokerStatsData.java): the
// last minute, hour and day of one stats item.
type BrokerStatsData struct {
	StatsMinute BrokerStatsItem `json:"statsMinute"`
	StatsHour   BrokerStatsItem `json:"statsHour"`
	StatsDay    BrokerStatsItem `json:"statsDay"`
}

// ConsumeStatsList is the body of GET_BROKER_CONSUME_STATS (ConsumeStatsList.java): per group,
// the consume stats of each topic it consumes, and the total lag.
type ConsumeStatsList struct {
	BrokerAddr       string                      `json:"brokerAddr"`
	ConsumeStatsList []map[string][]ConsumeStats `json:"consumeStatsList"`
	TotalDiff        int64                       `json:"totalDiff"`
}
