package broker

import (
	"sync"
	"sync/atomic"
	"time"
)

// statWindow is how many one-second samples brokerStats keeps (600 s for the slowest TPS).
const statWindow = 601

type statSample struct {
	at       time.Time
	put, get int64
}

// brokerStats counts stored and delivered messages for GET_BROKER_RUNTIME_INFO: totals,
// today's and yesterday's morning totals, and TPS over 10 s, 60 s and 600 s from one sample
// a second.
type brokerStats struct {
	putTotal, getTotal atomic.Int64

	mu               sync.Mutex
	ring             [statWindow]statSample
	n, head          int
	day              int // day of the year of the last sample
	todayMorning     [2]int64
	yesterdayMorning [2]int64
}

func newBrokerStats(boot time.Time) *brokerStats {
	s := &brokerStats{day: boot.YearDay()}
	s.ring[0] = statSample{at: boot}
	s.n = 1
	return s
}

func (s *brokerStats) put(n int) { s.putTotal.Add(int64(n)) }
func (s *brokerStats) get(n int) { s.getTotal.Add(int64(n)) }

// sample records the counters; called every second.
func (s *brokerStats) sample() { s.sampleAt(time.Now()) }

func (s *brokerStats) sampleAt(now time.Time) {
	p, g := s.putTotal.Load(), s.getTotal.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := now.YearDay(); d != s.day {
		s.day = d
		s.yesterdayMorning = s.todayMorning
		s.todayMorning = [2]int64{p, g}
	}
	s.head = (s.head + 1) % statWindow
	s.ring[s.head] = statSample{at: now, put: p, get: g}
	s.n = min(s.n+1, statWindow)
}

// tps returns the put and get rates over the last window.
func (s *brokerStats) tps(window time.Duration) (put, get float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	last := s.ring[s.head]
	first := last
	for i := 1; i < s.n; i++ {
		x := s.ring[(s.head-i+statWindow)%statWindow]
		if last.at.Sub(x.at) > window {
			break
		}
		first = x
	}
	secs := last.at.Sub(first.at).Seconds()
	if secs <= 0 {
		return 0, 0
	}
	return float64(last.put-first.put) / secs, float64(last.get-first.get) / secs
}

func (s *brokerStats) mornings() (today, yesterday [2]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.todayMorning, s.yesterdayMorning
}
