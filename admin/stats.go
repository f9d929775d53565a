package admin

import (
	"context"
	"errors"
	"sort"
	"strconv"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// Broker configuration updates, broker-wide consume stats, producer connections and the
// traffic statistics of mqadmin statsAll.

// Stats item names of VIEW_BROKER_STATS_DATA (Apache's BrokerStatsManager).
const (
	StatsTopicPutNums = "TOPIC_PUT_NUMS"
	StatsGroupGetNums = "GROUP_GET_NUMS"
)

// Sources of a StatsRow.
const (
	// StatsSourceBroker: TPS and day counts from VIEW_BROKER_STATS_DATA (315).
	StatsSourceBroker = "stats"
	// StatsSourceOffsets: the broker does not answer 315; counts are what the queues hold
	// (GET_TOPIC_STATS_INFO 202) and what the group consumed of it (GET_CONSUME_STATS 208),
	// and TPS is unknown (0).
	StatsSourceOffsets = "offsets"
)

// UpdateBrokerConfig changes keys of one broker's configuration (UPDATE_BROKER_CONFIG, body
// in properties form). The broker refuses unknown keys and bad values with an error code.
func (a *Admin) UpdateBrokerConfig(ctx context.Context, addr string, kv map[string]string) error {
	if len(kv) == 0 {
		return wrapf("update broker config: no keys")
	}
	_, err := a.invoke(ctx, addr, protocol.UpdateBrokerConfig, nil, []byte(FormatProperties(kv)))
	return err
}

// UpdateBrokersConfig sends UPDATE_BROKER_CONFIG to every broker of bs.
func (a *Admin) UpdateBrokersConfig(ctx context.Context, bs []Broker, kv map[string]string) Results[struct{}] {
	return ForEachBroker(ctx, a, bs, func(ctx context.Context, addr string) (struct{}, error) {
		return struct{}{}, a.UpdateBrokerConfig(ctx, addr, kv)
	})
}

// SetBrokerPermission sets brokerPermission on every broker of bs (UPDATE_BROKER_CONFIG): 6
// read-write, 4 read-only, 2 write-only, 0 none. The brokers re-register their topics with it.
func (a *Admin) SetBrokerPermission(ctx context.Context, bs []Broker, perm int32) Results[struct{}] {
	return a.UpdateBrokersConfig(ctx, bs, map[string]string{"brokerPermission": strconv.Itoa(int(perm))})
}

// BrokerConsumeStats returns, for every group online on one broker, the consume stats of each
// topic it consumes (GET_BROKER_CONSUME_STATS); isOrder keeps only ordered topics.
func (a *Admin) BrokerConsumeStats(ctx context.Context, addr string, isOrder bool) (protocol.ConsumeStatsList, error) {
	var cl protocol.ConsumeStatsList
	resp, err := a.invoke(ctx, addr, protocol.GetBrokerConsumeStats,
		&protocol.GetBrokerConsumeStatsRequestHeader{IsOrder: isOrder}, nil)
	if err != nil {
		return cl, err
	}
	err = decode(protocol.GetBrokerConsumeStats, resp, &cl)
	return cl, err
}

// BrokerStats returns one stats item of one broker (VIEW_BROKER_STATS_DATA): statsName is
// StatsTopicPutNums (key: topic) or StatsGroupGetNums (key: topic@group), among others.
// Brokers without the code answer REQUEST_CODE_NOT_SUPPORTED (3); Apache answers
// SYSTEM_ERROR when the item has no data yet.
func (a *Admin) BrokerStats(ctx context.Context, addr, statsName, statsKey string) (protocol.BrokerStatsData, error) {
	var d protocol.BrokerStatsData
	resp, err := a.invoke(ctx, addr, protocol.ViewBrokerStatsData,
		&protocol.ViewBrokerStatsDataRequestHeader{StatsName: statsName, StatsKey: statsKey}, nil)
	if err != nil {
		return d, err
	}
	err = decode(protocol.ViewBrokerStatsData, resp, &d)
	return d, err
}

// TopicConsumers returns the groups that consume topic on one broker
// (QUERY_TOPIC_CONSUME_BY_WHO): online subscribers and groups with offsets.
func (a *Admin) TopicConsumers(ctx context.Context, addr, topic string) ([]string, error) {
	resp, err := a.invoke(ctx, addr, protocol.QueryTopicConsumeByWho,
		&protocol.QueryTopicConsumeByWhoRequestHeader{Topic: topic}, nil)
	if err != nil {
		return nil, err
	}
	var gl protocol.GroupList
	err = decode(protocol.QueryTopicConsumeByWho, resp, &gl)
	return gl.GroupList, err
}

// ProducerClients is a producer group's connections on the masters of a topic (mqadmin
// producerConnection).
type ProducerClients struct {
	Group string
	Topic string
	// Clients are unique by client id (first broker wins), sorted by client id.
	Clients []Client
	Brokers Results[protocol.ProducerConnection]
}

// ProducerClients asks every master of topic's route for the connections of producer group
// (GET_PRODUCER_CONNECTION_LIST). A broker that does not know the group (SYSTEM_ERROR "not
// exist") counts as an answer with no clients.
func (a *Admin) ProducerClients(ctx context.Context, group, topic string) (ProducerClients, error) {
	pc := ProducerClients{Group: group, Topic: topic}
	rd, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return pc, err
	}
	ms := RouteMasters(rd)
	if len(ms) == 0 {
		return pc, wrapf("%w: route of %s names no master", ErrNoBrokers, topic)
	}
	pc.Brokers = ForEachBroker(ctx, a, ms, func(ctx context.Context, addr string) (protocol.ProducerConnection, error) {
		c, err := a.ProducerConnections(ctx, addr, group)
		if IsCode(err, protocol.SystemError) {
			return protocol.ProducerConnection{}, nil
		}
		return c, err
	})
	seen := map[string]bool{}
	for _, it := range pc.Brokers.Items {
		if it.Err != nil {
			continue
		}
		for _, c := range it.Value.ConnectionSet {
			if !seen[c.ClientID] {
				seen[c.ClientID] = true
				pc.Clients = append(pc.Clients, Client{BrokerName: it.Name, Connection: c})
			}
		}
	}
	sort.Slice(pc.Clients, func(i, j int) bool { return pc.Clients[i].ClientID < pc.Clients[j].ClientID })
	return pc, nil
}

// StatsRow is one line of statsAll: a topic's put traffic (Group "") or one group's consumption
// of it. Field names are stable.
type StatsRow struct {
	Topic string `json:"topic"`
	Group string `json:"group,omitempty"`
	// Accumulation is the group's lag (0 for a put row).
	Accumulation int64   `json:"accumulation"`
	InTPS        float64 `json:"inTps"`
	OutTPS       float64 `json:"outTps"`
	// InMsg24Hour is the messages put in the last day, or with StatsSourceOffsets the messages
	// the queues hold.
	InMsg24Hour int64 `json:"inMsg24Hour"`
	// OutMsg24Hour is the messages the group got in the last day, or with StatsSourceOffsets
	// the messages it consumed of what the queues hold.
	OutMsg24Hour int64 `json:"outMsg24Hour"`
	// Source is StatsSourceBroker, or StatsSourceOffsets when a broker did not answer 315.
	Source string `json:"source"`
}

// StatsAll is the traffic of some topics across their masters.
type StatsAll struct {
	// Rows are sorted by topic, then group ("" first).
	Rows []StatsRow
	// Fallback is set when some broker does not answer VIEW_BROKER_STATS_DATA and its counts
	// come from offsets instead (StatsSourceOffsets).
	Fallback bool
	// Brokers has one item per (topic, master) asked.
	Brokers Results[struct{}]
}

// brokerTopicStats is one master's share of one topic.
type brokerTopicStats struct {
	put      StatsRow
	groups   []StatsRow
	fallback bool
}

// dayCount is Apache's compute24HourSum: the day's sum, else the hour's, else the minute's.
func dayCount(d protocol.BrokerStatsData) int64 {
	switch {
	case d.StatsDay.Sum != 0:
		return d.StatsDay.Sum
	case d.StatsHour.Sum != 0:
		return d.StatsHour.Sum
	}
	return d.StatsMinute.Sum
}

// StatsAll computes mqadmin statsAll for topics: per topic the put TPS and day count, and per
// consuming group its lag, get TPS and day count, summed over the topic's masters. A broker
// that does not answer VIEW_BROKER_STATS_DATA (mq's before 2026-11-28) is read through offsets instead
// (see StatsSourceOffsets). A topic without a route is skipped.
func (a *Admin) StatsAll(ctx context.Context, topics []string) (StatsAll, error) {
	var out StatsAll
	out.Brokers.Kind = KindBroker
	for _, topic := range topics {
		rd, err := a.TopicRoute(ctx, topic)
		if IsCode(err, protocol.TopicNotExist) {
			continue
		}
		if err != nil {
			return out, err
		}
		ms := RouteMasters(rd)
		res := ForEachBroker(ctx, a, ms, func(ctx context.Context, addr string) (brokerTopicStats, error) {
			return a.topicStatsOn(ctx, addr, topic)
		})
		put := StatsRow{Topic: topic, Source: StatsSourceBroker}
		groups := map[string]*StatsRow{}
		for _, it := range res.Items {
			out.Brokers.Items = append(out.Brokers.Items, Result[struct{}]{Cluster: it.Cluster, Name: it.Name, ID: it.ID, Addr: it.Addr, Err: it.Err})
			if it.Err != nil {
				continue
			}
			v := it.Value
			if v.fallback {
				out.Fallback = true
				put.Source = StatsSourceOffsets
			}
			addRow(&put, v.put)
			for _, g := range v.groups {
				r := groups[g.Group]
				if r == nil {
					r = &StatsRow{Topic: topic, Group: g.Group, Source: StatsSourceBroker}
					groups[g.Group] = r
				}
				if v.fallback {
					r.Source = StatsSourceOffsets
				}
				addRow(r, g)
			}
		}
		out.Rows = append(out.Rows, put)
		names := make([]string, 0, len(groups))
		for g := range groups {
			names = append(names, g)
		}
		sort.Strings(names)
		for _, g := range names {
			out.Rows = append(out.Rows, *groups[g])
		}
	}
	sort.SliceStable(out.Rows, func(i, j int) bool {
		if out.Rows[i].Topic != out.Rows[j].Topic {
			return out.Rows[i].Topic < out.Rows[j].Topic
		}
		return out.Rows[i].Group < out.Rows[j].Group
	})
	return out, nil
}

func addRow(dst *StatsRow, src StatsRow) {
	dst.Accumulation += src.Accumulation
	dst.InTPS += src.InTPS
	dst.OutTPS += src.OutTPS
	dst.InMsg24Hour += src.InMsg24Hour
	dst.OutMsg24Hour += src.OutMsg24Hour
}

// topicStatsOn is one master's statsAll share of topic.
func (a *Admin) topicStatsOn(ctx context.Context, addr, topic string) (brokerTopicStats, error) {
	var bs brokerTopicStats
	d, err := a.BrokerStats(ctx, addr, StatsTopicPutNums, topic)
	var minOffsets map[int32]int64
	switch {
	case IsCode(err, protocol.RequestCodeNotSupported):
		bs.fallback = true
		st, err := a.TopicStats(ctx, addr, topic)
		if err != nil {
			return bs, err
		}
		minOffsets = map[int32]int64{}
		for q, off := range st.OffsetTable {
			bs.put.InMsg24Hour += off.MaxOffset - off.MinOffset
			minOffsets[q.QueueID] = off.MinOffset
		}
	case err == nil:
		bs.put.InTPS, bs.put.InMsg24Hour = d.StatsMinute.Tps, dayCount(d)
	default:
		// Apache answers SYSTEM_ERROR for an item without data: no traffic. A network error
		// is the broker not answering.
		if !isResponse(err) {
			return bs, err
		}
	}
	groups, err := a.TopicConsumers(ctx, addr, topic)
	if err != nil {
		return bs, err
	}
	for _, g := range groups {
		row := StatsRow{Group: g}
		cs, err := a.ConsumeStats(ctx, addr, g, topic)
		if err != nil && !isResponse(err) {
			return bs, err
		}
		for q, ow := range cs.OffsetTable {
			row.Accumulation += max(ow.BrokerOffset-ow.ConsumerOffset, 0)
			if bs.fallback {
				row.OutMsg24Hour += max(ow.ConsumerOffset-minOffsets[q.QueueID], 0)
			}
		}
		if !bs.fallback {
			d, err := a.BrokerStats(ctx, addr, StatsGroupGetNums, topic+"@"+g)
			if err != nil && !isResponse(err) {
				return bs, err
			}
			if err == nil {
				row.OutTPS, row.OutMsg24Hour = d.StatsMinute.Tps, dayCount(d)
			}
		}
		bs.groups = append(bs.groups, row)
	}
	return bs, nil
}

// isResponse reports whether err is the server's refusal (it answered), not a network error.
func isResponse(err error) bool {
	var re *remoting.ResponseError
	return errors.As(err, &re)
}
