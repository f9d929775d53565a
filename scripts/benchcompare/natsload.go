package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATS consume methods.
const (
	natsOrdered = "ordered" // push ordered consumer (nats.OrderedConsumer), flow controlled, no acks
	natsPull    = "pull"    // ephemeral pull consumer, AckNone, Consume with big pull batches
)

// natsCmd: benchcompare nats produce|consume --url URL [shape flags].
func natsCmd(ctx context.Context, args []string) (*Result, error) {
	if len(args) < 1 || (args[0] != "produce" && args[0] != "consume") {
		return nil, errors.New("nats: want produce or consume")
	}
	mode := args[0]
	fs := flag.NewFlagSet("nats "+mode, flag.ContinueOnError)
	var l loadFlags
	l.register(fs)
	url := fs.String("url", nats.DefaultURL, "NATS server URL")
	method := fs.String("method", natsOrdered, "consume: ordered (push ordered consumer) or pull (pull consumer, big batches)")
	batch := fs.Int("batch", 4096, "consume --method pull: messages per pull request")
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	if mode == "consume" {
		return natsConsume(ctx, *url, l.topic, *method, *batch)
	}
	return natsProduce(ctx, *url, &l)
}

func natsConnect(url string) (*nats.Conn, error) {
	return nats.Connect(url, nats.Timeout(5*time.Second), nats.MaxReconnects(0))
}

// natsProduce publishes to stream l.topic (subject l.topic, file storage, created if absent):
// l.conns connections, each with l.window() publishes awaiting their PubAck.
func natsProduce(ctx context.Context, url string, l *loadFlags) (*Result, error) {
	nc, err := natsConnect(url)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: l.topic, Subjects: []string{l.topic},
		Storage: jetstream.FileStorage, Replicas: 1})
	nc.Close()
	if err != nil {
		return nil, fmt.Errorf("nats: create stream %s: %w", l.topic, err)
	}
	conns := make([]*nats.Conn, l.conns)
	for i := range conns {
		if conns[i], err = natsConnect(url); err != nil {
			for _, c := range conns[:i] {
				c.Close()
			}
			return nil, err
		}
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	body := l.body()
	s := newStats()
	runCtx, stop := l.runContext(ctx)
	defer stop()
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			if l.sync {
				natsSyncLoop(runCtx, c, l, body, s)
			} else {
				natsAsyncLoop(runCtx, c, l, body, s)
			}
		})
	}
	wg.Wait()
	return s.result("produce", time.Since(start)), nil
}

// natsSyncLoop publishes one message at a time, each awaiting its PubAck.
func natsSyncLoop(ctx context.Context, nc *nats.Conn, l *loadFlags, body []byte, s *stats) {
	js, err := jetstream.New(nc)
	if err != nil {
		s.fail(err)
		return
	}
	for ctx.Err() == nil && s.take(l.count) {
		began := time.Now()
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		_, err := js.Publish(pctx, l.topic, body)
		cancel()
		if err != nil {
			s.fail(err)
			continue
		}
		s.record(time.Since(began))
	}
}

type pending struct {
	f     jetstream.PubAckFuture
	began time.Time
}

// natsAsyncLoop keeps l.window() PublishAsync in flight; a collector awaits the acks in order.
func natsAsyncLoop(ctx context.Context, nc *nats.Conn, l *loadFlags, body []byte, s *stats) {
	w := l.window()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(w+1))
	if err != nil {
		s.fail(err)
		return
	}
	sem := make(chan struct{}, w)
	q := make(chan pending, w+1)
	var collector sync.WaitGroup
	collector.Go(func() {
		for p := range q {
			select {
			case <-p.f.Ok():
				s.record(time.Since(p.began))
			case err := <-p.f.Err():
				s.fail(err)
			case <-time.After(30 * time.Second):
				s.fail(errors.New("nats: no PubAck within 30 s"))
			}
			<-sem
		}
	})
	defer collector.Wait()
	defer close(q)
	for s.take(l.count) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		began := time.Now()
		f, err := js.PublishAsync(l.topic, body)
		if err != nil {
			<-sem
			s.fail(err)
			if ctx.Err() != nil {
				return
			}
			continue
		}
		q <- pending{f, began}
	}
}

// natsConsume drains stream topic from its first message until every message the stream
// held at the start was delivered; rate = messages / time from subscribe to the last one.
func natsConsume(ctx context.Context, url, topic, method string, batch int) (*Result, error) {
	nc, err := natsConnect(url)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	st, err := js.Stream(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("nats: stream %s: %w", topic, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	total := int64(info.State.Msgs)
	var n atomic.Int64
	done := make(chan struct{})
	onMsg := func() {
		if n.Add(1) == total {
			close(done)
		}
	}
	start := time.Now()
	switch method {
	case natsOrdered:
		ojs, err := nc.JetStream()
		if err != nil {
			return nil, err
		}
		sub, err := ojs.Subscribe(topic, func(*nats.Msg) { onMsg() }, nats.OrderedConsumer(), nats.DeliverAll())
		if err != nil {
			return nil, err
		}
		defer func() { _ = sub.Unsubscribe() }()
		_ = sub.SetPendingLimits(-1, -1)
	case natsPull:
		c, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{AckPolicy: jetstream.AckNonePolicy,
			DeliverPolicy: jetstream.DeliverAllPolicy, InactiveThreshold: time.Minute})
		if err != nil {
			return nil, err
		}
		cc, err := c.Consume(func(jetstream.Msg) { onMsg() }, jetstream.PullMaxMessages(batch))
		if err != nil {
			return nil, err
		}
		defer cc.Stop()
	default:
		return nil, fmt.Errorf("nats: consume method %q: want ordered or pull", method)
	}
	if total > 0 {
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Minute):
			return nil, fmt.Errorf("nats: consumed %d of %d in 10 minutes", n.Load(), total)
		}
	}
	el := time.Since(start)
	return &Result{Mode: "consume-" + method, Messages: n.Load(), Seconds: el.Seconds(),
		MsgsPerSec: float64(n.Load()) / el.Seconds()}, nil
}
