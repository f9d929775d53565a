package broker

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/protocol"
)

// Stats items of VIEW_BROKER_STATS_DATA (BrokerStatsManager.java) that mq keeps: a topic's
// stored messages and bytes (key: topic), a group's pulled messages and bytes (key:
// topic@group), and the broker's totals (key: the cluster name).
const (
	statsTopicPutNums  = "TOPIC_PUT_NUMS"
	statsTopicPutSize  = "TOPIC_PUT_SIZE"
	statsGroupGetNums  = "GROUP_GET_NUMS"
	statsGroupGetSize  = "GROUP_GET_SIZE"
	statsBrokerPutNums = "BROKER_PUT_NUMS"
	statsBrokerGetNums = "BROKER_GET_NUMS"
)

// Java's StatsItem snapshots: every 10 s for the minute (7 kept), every 10 min for the hour
// (7 kept), every hour for the day (25 kept).
var statsWindows = [3]struct {
	every time.Duration
	keep  int
}{{10 * time.Second, 7}, {10 * time.Minute, 7}, {time.Hour, 25}}

type statsSnap struct {
	at           time.Time
	value, times int64
}

// statsItem counts one key: value is what was added (messages, bytes), times how many adds.
type statsItem struct {
	value, times atomic.Int64

	mu    sync.Mutex
	snaps [3][]statsSnap // per window, oldest first
}

// statsItems is BrokerStatsManager's table. Sends and pulls look items up without a lock.
type statsItems struct {
	items sync.Map // statsKey → *statsItem
	ticks atomic.Int64

	// Every send counts three items: a topic's two, found together by topic (one string
	// lookup instead of two by name and key), and the broker's, kept with its cluster name.
	// Items are never removed, so the pointers stay valid.
	puts      sync.Map // topic → *topicPutItems
	brokerPut atomic.Pointer[brokerPutItem]
}

type topicPutItems struct{ nums, size *statsItem }

type brokerPutItem struct {
	cluster string
	nums    *statsItem
}

type statsKey struct{ name, key string }

func newStatsItems() *statsItems { return &statsItems{} }

// add counts value (and one operation) under name/key.
func (s *statsItems) add(name, key string, value int64) { s.item(name, key).add(value) }

// item returns the item of name/key, created on first use.
func (s *statsItems) item(name, key string) *statsItem {
	v, ok := s.items.Load(statsKey{name, key})
	if !ok {
		it := &statsItem{}
		at := time.Now()
		for w := range it.snaps { // a first snapshot, so the first window has a base
			it.snaps[w] = []statsSnap{{at: at}}
		}
		v, _ = s.items.LoadOrStore(statsKey{name, key}, it)
	}
	return v.(*statsItem)
}

// addPut counts n messages of size bytes stored in topic: TOPIC_PUT_NUMS and TOPIC_PUT_SIZE
// under the topic, BROKER_PUT_NUMS under cluster.
func (s *statsItems) addPut(topic, cluster string, n, size int64) {
	v, ok := s.puts.Load(topic)
	if !ok {
		v, _ = s.puts.LoadOrStore(topic, &topicPutItems{s.item(statsTopicPutNums, topic), s.item(statsTopicPutSize, topic)})
	}
	p := v.(*topicPutItems)
	p.nums.add(n)
	p.size.add(size)
	bp := s.brokerPut.Load()
	if bp == nil || bp.cluster != cluster { // the first send, or the cluster was renamed
		bp = &brokerPutItem{cluster: cluster, nums: s.item(statsBrokerPutNums, cluster)}
		s.brokerPut.Store(bp)
	}
	bp.nums.add(n)
}

func (it *statsItem) add(value int64) {
	it.value.Add(value)
	it.times.Add(1)
}

// sample takes the 10-second snapshot, and the 10-minute and hourly ones when due.
func (s *statsItems) sample() { s.sampleAt(time.Now()) }

func (s *statsItems) sampleAt(now time.Time) {
	tick := s.ticks.Add(1)
	s.items.Range(func(_, v any) bool {
		it := v.(*statsItem)
		snap := statsSnap{at: now, value: it.value.Load(), times: it.times.Load()}
		it.mu.Lock()
		for w, win := range statsWindows {
			if tick%int64(win.every/statsWindows[0].every) != 0 {
				continue
			}
			it.snaps[w] = append(it.snaps[w], snap)
			if n := len(it.snaps[w]); n > win.keep {
				it.snaps[w] = append(it.snaps[w][:0], it.snaps[w][n-win.keep:]...)
			}
		}
		it.mu.Unlock()
		return true
	})
}

// data is the minute, hour and day of name/key (StatsItem#getStatsDataInMinute/Hour/Day):
// sum over the window, per-second rate and the average added per operation. Unlike Java,
// which ends each window at its last 10-second snapshot, the window ends now (the live
// counters), so what was just sent shows at once.
func (s *statsItems) data(name, key string) (protocol.BrokerStatsData, bool) {
	return s.dataAt(name, key, time.Now())
}

func (s *statsItems) dataAt(name, key string, now time.Time) (protocol.BrokerStatsData, bool) {
	v, ok := s.items.Load(statsKey{name, key})
	if !ok {
		return protocol.BrokerStatsData{}, false
	}
	it := v.(*statsItem)
	it.mu.Lock()
	defer it.mu.Unlock()
	live := statsSnap{at: now, value: it.value.Load(), times: it.times.Load()}
	window := func(ss []statsSnap) protocol.BrokerStatsItem {
		if len(ss) == 0 {
			return protocol.BrokerStatsItem{}
		}
		first, last := ss[0], live
		var r protocol.BrokerStatsItem
		r.Sum = last.value - first.value
		if ms := last.at.Sub(first.at).Milliseconds(); ms > 0 {
			r.Tps = float64(r.Sum) * 1000 / float64(ms)
		}
		if t := last.times - first.times; t > 0 {
			r.Avgpt = float64(r.Sum) / float64(t)
		}
		return r
	}
	return protocol.BrokerStatsData{
		StatsMinute: window(it.snaps[0]),
		StatsHour:   window(it.snaps[1]),
		StatsDay:    window(it.snaps[2]),
	}, true
}
