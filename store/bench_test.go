package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mq-project/mq/message"
)

// Benchmarks. Run, for example:
//
//	go test ./store/ -run '^$' -bench . -benchtime 1s
//	MQ_BENCH_BIG=1 go test ./store/ -run '^$' -bench 'Recovery|Heap' -benchtime 1x
//
// BenchmarkPlainAppend writes the same record sizes with write(2) to a plain file in the same
// directory, so store append throughput can be quoted as a ratio of it.

func benchBig() bool { return os.Getenv("MQ_BENCH_BIG") == "1" }

func benchConfig(b *testing.B, flush FlushDiskType) Config {
	cfg := DefaultConfig()
	cfg.StorePathRootDir = b.TempDir()
	cfg.MappedFileSizeCommitLog = 256 << 20
	cfg.FlushDiskType = flush
	return cfg
}

func benchMsg(size int) *message.MessageExt {
	return &message.MessageExt{
		Message: message.Message{Topic: "BenchTopic", Body: make([]byte, size),
			Properties: map[string]string{"KEYS": "bench-key", "TAGS": "TagA", "UNIQ_KEY": "C000020255F6000000008AA6D3C8000F"}},
		BornHost: benchHost,
	}
}

var benchHost = DefaultConfig().StoreHost

func reportRate(b *testing.B, n int64, bytes int64, start time.Time) {
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(n)/el, "msgs/s")
	b.ReportMetric(float64(bytes)/el/1e6, "MB/s")
}

func BenchmarkAppend(b *testing.B) {
	cases := []struct {
		flush   FlushDiskType
		size    int
		writers int
	}{
		{AsyncFlush, 128, 1}, {AsyncFlush, 1024, 1}, {AsyncFlush, 4096, 1},
		{AsyncFlush, 128, 4}, {AsyncFlush, 1024, 4}, {AsyncFlush, 4096, 4},
		{SyncFlush, 1024, 1}, {SyncFlush, 1024, 16},
	}
	for _, c := range cases {
		name := fmt.Sprintf("flush=%s/size=%d/writers=%d", map[FlushDiskType]string{AsyncFlush: "async", SyncFlush: "sync"}[c.flush], c.size, c.writers)
		b.Run(name, func(b *testing.B) {
			s, err := Open(benchConfig(b, c.flush), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			recSize, _ := message.StoredLen(benchMsg(c.size), message.PropertiesLen(benchMsg(c.size).Properties))
			b.SetBytes(int64(recSize))
			b.ReportAllocs()
			ctx := context.Background()
			var n atomic.Int64
			start := time.Now()
			if c.writers == 1 {
				m := benchMsg(c.size)
				for b.Loop() {
					if _, err := s.Append(ctx, m); err != nil {
						b.Fatal(err)
					}
					n.Add(1)
				}
			} else {
				b.SetParallelism((c.writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
				b.RunParallel(func(pb *testing.PB) {
					m := benchMsg(c.size)
					for pb.Next() {
						if _, err := s.Append(ctx, m); err != nil {
							b.Error(err)
							return
						}
						n.Add(1)
					}
				})
			}
			reportRate(b, n.Load(), n.Load()*int64(recSize), start)
		})
	}
}

// BenchmarkPlainAppend is the baseline: write(2) of the same record size to a plain file.
func BenchmarkPlainAppend(b *testing.B) {
	for _, size := range []int{128, 1024, 4096} {
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			recSize, _ := message.StoredLen(benchMsg(size), message.PropertiesLen(benchMsg(size).Properties))
			f, err := os.Create(filepath.Join(b.TempDir(), "plain"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			buf := make([]byte, recSize)
			b.SetBytes(int64(recSize))
			b.ReportAllocs()
			var n, written int64
			start := time.Now()
			for b.Loop() {
				if _, err := f.Write(buf); err != nil {
					b.Fatal(err)
				}
				n++
				if written += int64(recSize); written > 1<<30 { // stay within 1 GiB of disk
					_, _ = f.Seek(0, 0)
					written = 0
				}
			}
			reportRate(b, n, n*int64(recSize), start)
		})
	}
}

// BenchmarkPlainSyncAppend is the SYNC_FLUSH baseline on a plain preallocated file:
//   - batch=1: write(2) plus fdatasync of one 1 KiB record at a time;
//   - batch=16: 16 records written together, then one fdatasync (the disk's own ceiling);
//   - writers=16: a minimal group commit: 16 goroutines pwrite under a mutex and wait for one
//     flusher goroutine's fdatasync, which serves everyone written before it started.
//
// The store's flush=sync writers=16 / writers=1 ratio is best read against writers=16 /
// batch=1 of this benchmark in the same run.
func BenchmarkPlainSyncAppend(b *testing.B) {
	recSize, _ := message.StoredLen(benchMsg(1024), message.PropertiesLen(benchMsg(1024).Properties))
	open := func(b *testing.B) *os.File {
		f, err := os.Create(filepath.Join(b.TempDir(), "plain"))
		if err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fallocate(int(f.Fd()), 0, 0, 1<<30); err != nil {
			b.Fatal(err)
		}
		return f
	}
	for _, batch := range []int{1, 16} {
		b.Run("batch="+strconv.Itoa(batch), func(b *testing.B) {
			f := open(b)
			defer f.Close()
			buf := make([]byte, recSize*batch)
			b.SetBytes(int64(len(buf)))
			var n, off int64
			start := time.Now()
			for b.Loop() {
				if _, err := f.WriteAt(buf, off%(1<<30-int64(len(buf)))); err != nil {
					b.Fatal(err)
				}
				off += int64(len(buf))
				if err := syscall.Fdatasync(int(f.Fd())); err != nil {
					b.Fatal(err)
				}
				n += int64(batch)
			}
			reportRate(b, n, n*int64(recSize), start)
		})
	}
	b.Run("writers=16", func(b *testing.B) {
		f := open(b)
		defer f.Close()
		b.SetBytes(int64(recSize))
		var (
			mu      sync.Mutex // the append lock
			off     int64
			flushed atomic.Int64
			cmu     sync.Mutex
			cond    = sync.NewCond(&cmu)
			wake    = make(chan struct{}, 1)
			quit    = make(chan struct{})
			n       atomic.Int64
			fwg     sync.WaitGroup
		)
		fwg.Go(func() {
			for {
				select {
				case <-quit:
					return
				case <-wake:
				}
				mu.Lock()
				target := off
				mu.Unlock()
				if err := syscall.Fdatasync(int(f.Fd())); err != nil {
					b.Error(err)
				}
				flushed.Store(target)
				cmu.Lock()
				cond.Broadcast()
				cmu.Unlock()
			}
		})
		b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			buf := make([]byte, recSize)
			for pb.Next() {
				mu.Lock()
				pos := off % (1<<30 - int64(recSize))
				if _, err := f.WriteAt(buf, pos); err != nil {
					mu.Unlock()
					b.Error(err)
					return
				}
				off += int64(recSize)
				end := off
				mu.Unlock()
				cmu.Lock()
				for flushed.Load() < end {
					select {
					case wake <- struct{}{}:
					default:
					}
					cond.Wait()
				}
				cmu.Unlock()
				n.Add(1)
			}
		})
		reportRate(b, n.Load(), n.Load()*int64(recSize), start)
		close(quit)
		fwg.Wait()
	})
}

// BenchmarkSyncFlushScaling measures the SYNC_FLUSH group commit as the ratio of 16
// concurrent writers' rate to one writer's, on one store and with the two alternating in
// short phases (MQ_BENCH_PHASE, default 250ms; 8 of each), so that both see the same disk:
// this machine's fsync latency drifts by 2× over minutes, which made the ratio of two
// separately run sub-benchmarks swing with it. It reports each side's msgs/s and the ratio.
// Run with -benchtime 1x.
func BenchmarkSyncFlushScaling(b *testing.B) {
	phase := 250 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("MQ_BENCH_PHASE")); err == nil && d > 0 {
		phase = d
	}
	s, err := Open(benchConfig(b, SyncFlush), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	run := func(writers int) (n int64, el time.Duration) {
		var count atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		stop := start.Add(phase)
		for range writers {
			wg.Go(func() {
				m := benchMsg(1024)
				for time.Now().Before(stop) {
					if _, err := s.Append(ctx, m); err != nil {
						b.Error(err)
						return
					}
					count.Add(1)
				}
			})
		}
		wg.Wait()
		return count.Load(), time.Since(start)
	}
	var n1, n16 int64
	var t1, t16 time.Duration
	for range b.N {
		for range 8 {
			n, el := run(1)
			n1, t1 = n1+n, t1+el
			n, el = run(16)
			n16, t16 = n16+n, t16+el
		}
	}
	r1, r16 := float64(n1)/t1.Seconds(), float64(n16)/t16.Seconds()
	b.ReportMetric(r1, "w1-msgs/s")
	b.ReportMetric(r16, "w16-msgs/s")
	b.ReportMetric(r16/r1, "x16/1")
}

func filledStore(b *testing.B, n, size int) *Store {
	cfg := benchConfig(b, AsyncFlush)
	s, err := Open(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		m := benchMsg(size)
		m.Properties = map[string]string{"KEYS": "key-" + strconv.Itoa(i%1000)}
		if _, err := s.Append(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
	for s.DispatchLag() != 0 {
		time.Sleep(time.Millisecond)
	}
	return s
}

func BenchmarkGetMessages(b *testing.B) {
	const n = 20000
	s := filledStore(b, n, 1024)
	defer s.Close()
	b.ReportAllocs()
	i := int64(0)
	start := time.Now()
	var got int64
	for b.Loop() {
		r, err := s.GetMessages("BenchTopic", 0, i%(n-32), 32, nil)
		if err != nil || len(r.Messages) != 32 {
			b.Fatal(err, r.Status)
		}
		got += int64(len(r.Messages))
		r.Release()
		i += 32
	}
	reportRate(b, got, got*1024, start)
}

// BenchmarkGetMessagesFiltered reads 32 messages per call through a tags-code filter that
// keeps every other ConsumeQueue entry (a TAG subscription to one of two tags).
func BenchmarkGetMessagesFiltered(b *testing.B) {
	const n = 8192
	cfg := benchConfig(b, AsyncFlush)
	cfg.TagsCode = func(rec message.Stored) int64 {
		tags, _ := message.PropertyValue(rec.Properties(), message.PropertyTags)
		return int64(message.JavaHash(0, tags))
	}
	s, err := Open(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := range n {
		m := benchMsg(1024)
		m.Properties = map[string]string{message.PropertyTags: "tag" + strconv.Itoa(i%2)}
		if _, err := s.Append(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
	for s.DispatchLag() != 0 {
		time.Sleep(time.Millisecond)
	}
	want := int64(message.JavaHash(0, []byte("tag1")))
	keep := func(code int64) bool { return code == want }
	var off, got int64
	start := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		r, err := s.GetMessages("BenchTopic", 0, off, 32, keep)
		if err != nil || len(r.Messages) != 32 {
			b.Fatal(err, r.Status, len(r.Messages))
		}
		got += int64(len(r.Messages))
		if off = r.NextBeginOffset; off >= n-128 {
			off = 0
		}
		r.Release()
	}
	reportRate(b, got, got*1024, start)
}

func BenchmarkReadAt(b *testing.B) {
	s := filledStore(b, 1000, 1024)
	defer s.Close()
	r, _ := s.GetMessages("BenchTopic", 0, 500, 1, nil)
	phys := r.Messages[0].PhysicalOffset()
	r.Release()
	b.ReportAllocs()
	for b.Loop() {
		rec, err := s.ReadAt(phys)
		if err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
}

func BenchmarkQueryByKey(b *testing.B) {
	s := filledStore(b, 20000, 256)
	defer s.Close()
	b.ReportAllocs()
	i := 0
	end := time.Now().UnixMilli() + 1000
	for b.Loop() {
		q, err := s.QueryByKey("BenchTopic", "key-"+strconv.Itoa(i%1000), 32, 0, end)
		if err != nil || len(q.Messages) != 20 {
			b.Fatal(err, len(q.Messages))
		}
		q.Release()
		i++
	}
}

// BenchmarkRecovery measures an abnormal open (abort marker, no checkpoint) of a CommitLog of
// 128 MiB (1 GiB with MQ_BENCH_BIG=1): every record is validated with its CRC and dispatched
// again (ConsumeQueue and index writes are skipped as already present).
func BenchmarkRecovery(b *testing.B) {
	total := int64(128 << 20)
	if benchBig() {
		total = 1 << 30
	}
	s := filledStore(b, int(total/1200), 1024)
	cfg := s.cfg
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	for b.Loop() {
		_ = os.Remove(cfg.checkpointPath())
		if err := os.WriteFile(cfg.abortPath(), nil, 0o644); err != nil {
			b.Fatal(err)
		}
		s, err := Open(cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		if !s.Recovery().Abnormal || s.Recovery().RedispatchedBytes < total*9/10 {
			b.Fatalf("recovery %+v", s.Recovery())
		}
		s.Close()
	}
}

// BenchmarkAppendHeap appends 256 MiB (2 GiB with MQ_BENCH_BIG=1) of 1 KiB messages with 4
// writers and reports the largest Go heap seen.
func BenchmarkAppendHeap(b *testing.B) {
	total := int64(256 << 20)
	if benchBig() {
		total = 2 << 30
	}
	for b.Loop() {
		s, err := Open(benchConfig(b, AsyncFlush), nil)
		if err != nil {
			b.Fatal(err)
		}
		var maxHeap atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			var ms runtime.MemStats
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > maxHeap.Load() {
					maxHeap.Store(ms.HeapAlloc)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		})
		per := total / 4 / 1200
		for range 4 {
			wg.Go(func() {
				m := benchMsg(1024)
				for range per {
					if _, err := s.Append(context.Background(), m); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		for s.CommitLogMaxOffset() < total*9/10 && !b.Failed() {
			time.Sleep(10 * time.Millisecond)
		}
		close(stop)
		wg.Wait()
		b.ReportMetric(float64(maxHeap.Load())/(1<<20), "maxheap-MiB")
		b.ReportMetric(float64(s.CommitLogMaxOffset())/(1<<20), "appended-MiB")
		s.Close()
	}
}
