package broker

import (
	"errors"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/broker/schedule"
	"github.com/mq-project/mq/broker/timer"
	"github.com/mq-project/mq/broker/txn"
)

// services owns the broker's message services: replication (HA), the delay-level schedule,
// the timer wheel and transaction checks. New builds them once the store is open (init);
// Start starts them in that order (start); Shutdown, once the broker's context has ended
// their loops, halts them in reverse order before the server drains its requests (halt:
// replication stops, so that sends waiting for a slave are answered) and closes them in
// reverse order once requests are drained (close: the timer's checkpoint, the delay
// offsets). dispatch is the store's one dispatch listener; it fans out to the held pulls,
// the timer and the HA server.
type services struct {
	b     *Broker // set by New before the store opens
	ha    haState // ha_wiring.go
	sched *schedule.Service
	timer *timer.Timer
	// timerPtr is timer for dispatch, which runs from store.Open on, before init ends.
	timerPtr atomic.Pointer[timer.Timer]
	txn      *txn.Service
	order    []service // init's order: ha, schedule, timer, transactions
}

// service is one entry of services.order; nil funcs do nothing.
type service struct {
	name  string
	start func()       // launches its loops under the broker's WaitGroup
	halt  func()       // stops what the broker's context does not
	close func() error // writes its state
}

// init builds the schedule, the timer wheel (storePathRootDir/timer, when timerWheelEnable)
// and the transaction service, and fixes the order of all four.
func (s *services) init() error {
	b := s.b
	cfg := b.conf()
	sched, err := schedule.New(schedule.Config{
		Store:      b.ms,
		Levels:     b.delays,
		OffsetPath: filepath.Join(cfg.ConfigDir(), "delayOffset.json"),
		Logger:     b.log,
		Route:      b.routeDelivery,
	})
	if err != nil {
		return err
	}
	s.sched = sched
	if cfg.TimerWheelEnable {
		t, err := timer.New(timer.Config{
			Store:     b.ms,
			Dir:       filepath.Join(cfg.StorePathRootDir, "timer"),
			Precision: time.Duration(cfg.TimerPrecisionMs) * time.Millisecond,
			MaxDelay:  time.Duration(cfg.TimerMaxDelaySec) * time.Second,
			Logger:    b.log,
			Route:     b.routeDelivery,
		})
		if err != nil {
			return err
		}
		s.timer = t
		s.timerPtr.Store(t)
	}
	if s.txn, err = b.newTxn(); err != nil {
		return err
	}
	// A slave runs no schedule, timer or transaction check: it copies what its master does.
	master := !b.isSlave()
	s.order = []service{
		{name: "ha", start: b.startHA, halt: b.closeHA}, // a master's HA server starts with Serve (listenHA)
		{name: "schedule", start: func() {
			if master {
				b.wg.Go(func() { sched.Run(b.ctx) })
			}
		}, close: sched.Persist},
		{name: "timer", start: func() {
			if t := s.timer; t != nil && master {
				b.wg.Go(func() { t.Run(b.ctx) })
				t.Notify() // enqueue what arrived before the start
			}
		}, close: func() error {
			if t := s.timer; t != nil {
				return t.Close()
			}
			return nil
		}},
		{name: "transactions", start: func() {
			if master {
				b.wg.Go(func() { s.txn.Run(b.ctx) })
			}
		}},
	}
	return nil
}

// start starts the services in order (Start calls it).
func (s *services) start() {
	for _, sv := range s.order {
		if sv.start != nil {
			sv.start()
		}
	}
}

// halt stops the services in reverse order; call it once the broker's loops have ended.
func (s *services) halt() {
	for i := len(s.order) - 1; i >= 0; i-- {
		if h := s.order[i].halt; h != nil {
			h()
		}
	}
}

// close writes the services' state in reverse order; call it once requests are drained,
// before the store closes.
func (s *services) close() error {
	var errs []error
	for i := len(s.order) - 1; i >= 0; i-- {
		if c := s.order[i].close; c != nil {
			errs = append(errs, c())
		}
	}
	return errors.Join(errs...)
}

// appended is the store's append hook (ASYNC_FLUSH; the appender's goroutine, must not
// block): the HA writers ship new CommitLog bytes without waiting for the dispatcher's next
// round, so an ASYNC slave lags the master by as little as it did before the dispatcher
// paused between rounds.
func (s *services) appended() {
	if srv := s.ha.server.Load(); srv != nil {
		srv.Notify()
	}
}

// dispatch is the store's dispatch listener (it runs on the dispatcher goroutine and must not
// block): held pulls of the queue, the timer for its topic, the HA writers, and on a slave
// the metadata sync when the topic is new to it.
func (s *services) dispatch(topic string, queueID int32, offset int64) {
	s.b.hold.notify(topic, queueID, offset)
	if topic == timer.Topic {
		if t := s.timerPtr.Load(); t != nil {
			t.Notify()
		}
	}
	if srv := s.ha.server.Load(); srv != nil {
		srv.Notify()
	}
	if s.ha.learning.Load() { // a slave: a topic it has no config for wakes the metadata sync
		s.b.learnTopic(topic)
	}
}
