package remoting

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestPoolQueued: Queued counts the requests waiting for a worker.
func TestPoolQueued(t *testing.T) {
	p := NewPool("t", 1, 4) // no owner yet: nothing takes tasks off the queue
	for i := range 3 {
		if !p.trySubmit(task{}) {
			t.Fatalf("submit %d refused", i)
		}
	}
	if got := p.Queued(); got != 3 {
		t.Fatalf("Queued = %d, want 3", got)
	}
}

// TestPoolQueueGrowsOnDemand: a pool's queue takes no room for its capacity until requests
// wait (a channel of tasks allocated all of it up front), keeps FIFO order across ring
// growth and wrap-around, refuses past its capacity and gives a burst's room back.
func TestPoolQueueGrowsOnDemand(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p := NewPool("t", 1, 1<<20)
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 64<<10 {
		t.Fatalf("NewPool with capacity 1<<20 allocated %d bytes", d)
	}
	p = NewPool("t", 1, 1000)
	next, want := 0, 0
	submit := func(k int) {
		for range k {
			if !p.trySubmit(task{err: fmt.Errorf("%d", next)}) {
				t.Fatalf("submit %d refused with %d queued", next, p.Queued())
			}
			next++
		}
	}
	take := func(k int) {
		for range k {
			<-p.ready
			tk, ok := p.take()
			if !ok || tk.err.Error() != strconv.Itoa(want) {
				t.Fatalf("take: %v %v, want %d", tk.err, ok, want)
			}
			want++
		}
	}
	submit(10)
	take(7) // head moves: the next growth must unwrap the ring
	submit(40)
	take(20)
	submit(977) // 23 queued + 977 = 1000: full
	if p.Queued() != 1000 || p.trySubmit(task{}) {
		t.Fatalf("Queued %d; submit past the capacity accepted", p.Queued())
	}
	take(1000)
	if p.Queued() != 0 || p.q != nil {
		t.Fatalf("drained pool keeps %d queued, ring of %d", p.Queued(), len(p.q))
	}
}

// TestPoolStartsWorkersOnDemand: a registered pool starts one worker; it starts more as
// requests wait, up to its size, so that n blocking handlers still run at once.
func TestPoolStartsWorkersOnDemand(t *testing.T) {
	s, _ := newTestServer(t, ServerConfig{})
	const n = 4
	var barrier sync.WaitGroup
	barrier.Add(n)
	p := NewPool("lazy", n, 64)
	s.Handle(1, HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		if req.Ext("wait") == "1" {
			barrier.Done()
			barrier.Wait() // only returns once n requests run at the same time
		}
		return NewResponse(req, CodeSuccess, "")
	}), WithPool(p))
	if got := p.started(); got != 1 {
		t.Fatalf("registered pool started %d workers, want 1", got)
	}
	addr := startServer(t, s)
	cl := newTestClient(t)
	call := func(wait string) {
		resp, err := cl.InvokeSync(ctxTimeout(t, 5*time.Second), addr, NewRequest(1, map[string]string{"wait": wait}, nil))
		if err != nil || resp.Code != CodeSuccess {
			t.Errorf("resp %v err %v", resp, err)
		}
	}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { call("1") })
	}
	wg.Wait()
	for range 3 * n {
		wg.Go(func() { call("0") })
	}
	wg.Wait()
	if got := p.started(); got != n {
		t.Fatalf("started %d workers, want the pool's %d", got, n)
	}
}
