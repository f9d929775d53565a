package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

// goClientCmd: benchcompare goclient -n NAMESRV [shape flags]. The official client as load:
// --sync: one producer (one connection per broker) with --producers goroutines calling
// SendSync; otherwise --producers producers (distinct instance names, so distinct
// connections), each keeping --inflight SendAsync in flight.
func goClientCmd(ctx context.Context, args []string) (*Result, error) {
	fs := flag.NewFlagSet("goclient", flag.ContinueOnError)
	var l loadFlags
	l.register(fs)
	ns := fs.String("n", "127.0.0.1:9876", "nameserver address")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	rlog.SetLogLevel("error")
	nprod := l.conns
	if l.sync {
		nprod = 1
	}
	prods := make([]rocketmq.Producer, nprod)
	defer func() {
		for _, p := range prods {
			if p != nil {
				_ = p.Shutdown()
			}
		}
	}()
	body := l.body()
	for i := range prods {
		p, err := rocketmq.NewProducer(producer.WithNameServer([]string{*ns}), producer.WithGroupName("cmp_goclient"),
			producer.WithInstanceName(fmt.Sprintf("cmp%d", i)), producer.WithRetry(0),
			producer.WithSendMsgTimeout(30*time.Second))
		if err != nil {
			return nil, err
		}
		if err := p.Start(); err != nil {
			return nil, err
		}
		prods[i] = p
		// Warm the route and the connection; not counted.
		if _, err := p.SendSync(ctx, primitive.NewMessage(l.topic, body)); err != nil {
			return nil, fmt.Errorf("goclient: warm-up send: %w", err)
		}
	}
	s := newStats()
	runCtx, stop := l.runContext(ctx)
	defer stop()
	start := time.Now()
	var wg sync.WaitGroup
	if l.sync {
		for range l.conns {
			wg.Go(func() {
				for runCtx.Err() == nil && s.take(l.count) {
					began := time.Now()
					r, err := prods[0].SendSync(context.WithoutCancel(runCtx), primitive.NewMessage(l.topic, body))
					if err == nil && r.Status != primitive.SendOK {
						err = fmt.Errorf("send status %d", r.Status)
					}
					if err != nil {
						s.fail(err)
						continue
					}
					s.record(time.Since(began))
				}
			})
		}
	} else {
		for _, p := range prods {
			wg.Go(func() { goClientAsyncLoop(runCtx, p, &l, body, s) })
		}
	}
	wg.Wait()
	return s.result("goclient", time.Since(start)), nil
}

func goClientAsyncLoop(ctx context.Context, p rocketmq.Producer, l *loadFlags, body []byte, s *stats) {
	w := l.window()
	sem := make(chan struct{}, w)
	defer func() { // wait for the sends in flight
		for range w {
			sem <- struct{}{}
		}
	}()
	for s.take(l.count) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		began := time.Now()
		err := p.SendAsync(context.WithoutCancel(ctx), func(_ context.Context, r *primitive.SendResult, err error) {
			if err == nil && r.Status != primitive.SendOK {
				err = errors.New("send status not OK")
			}
			if err != nil {
				s.fail(err)
			} else {
				s.record(time.Since(began))
			}
			<-sem
		}, primitive.NewMessage(l.topic, body))
		if err != nil {
			<-sem
			s.fail(err)
		}
	}
}
