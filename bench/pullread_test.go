package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// storedRecords encodes one stored record per queue offset, each with a size-byte body and
// the UNIQ_KEY "k<offset>".
func storedRecords(t testing.TB, size int, offsets ...int64) []byte {
	t.Helper()
	var b []byte
	for _, off := range offsets {
		m := &message.MessageExt{Message: message.Message{Topic: "BenchT", Body: make([]byte, size),
			Properties: map[string]string{message.PropertyUniqClientMessageIDKeyIndex: "k" + strconv.FormatInt(off, 10)}},
			QueueOffset: off, BornHost: netip.MustParseAddrPort("127.0.0.1:1"), StoreHost: netip.MustParseAddrPort("127.0.0.1:2")}
		var err error
		if b, err = message.EncodeStored(b, m, nil); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// TestWalkRecords checks the walk of a pull's answer: the records are counted and their keys
// logged, and a record that is malformed, truncated, repeated or outside the pulled range
// is an error that stops the count there.
func TestWalkRecords(t *testing.T) {
	ok := storedRecords(t, 16, 32, 33, 35)
	for _, c := range []struct {
		name       string
		body       []byte
		from, next int64
		want       int64
		err        string
	}{
		{"whole", ok, 32, 36, 3, ""},
		{"head gone", storedRecords(t, 16, 40, 41), 32, 42, 2, ""},
		{"empty", nil, 0, 0, 0, ""},
		{"duplicate", storedRecords(t, 16, 32, 33, 33), 32, 34, 2, "queue offset 33 after 33"},
		{"out of order", storedRecords(t, 16, 33, 32), 32, 34, 1, "queue offset 32 after 33"},
		{"below the range", storedRecords(t, 16, 31), 32, 34, 0, "queue offset 31"},
		{"at next", ok, 32, 35, 2, "queue offset 35"},
		{"truncated", ok[:len(ok)-1], 32, 36, 2, message.ErrShort.Error()},
		{"bad magic", append(ok[:len(ok):len(ok)], make([]byte, 100)...), 32, 36, 3, "record 3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys")
			keys, err := openKeyLog(path)
			if err != nil {
				t.Fatal(err)
			}
			n, err := walkRecords(c.body, c.from, c.next, keys)
			if n != c.want || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("walkRecords = %d, %v; want %d, error with %q", n, err, c.want, c.err)
			}
			if err := keys.close(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(strings.Fields(string(b))); int64(got) != c.want {
				t.Fatalf("%d keys logged, want %d: %q", got, c.want, b)
			}
		})
	}
	if n, err := walkRecords(ok, 32, 36, nil); n != 3 || err != nil {
		t.Fatalf("without a key log: %d, %v", n, err)
	}
}

// pullAnswer is the frame of a SUCCESS answer to a pull, as a broker writes it.
func pullAnswer(t testing.TB, opaque int32, next int64, body []byte) []byte {
	t.Helper()
	h := protocol.PullMessageResponseHeader{NextBeginOffset: next, MinOffset: 0, MaxOffset: next + 1000}
	ext := map[string]string{}
	h.Encode(ext)
	b, err := remoting.AppendFrame(nil, &remoting.Command{Code: int16(protocol.Success), Flag: remoting.FlagResponse,
		Language: remoting.Java, Version: remoting.Version, Opaque: opaque, ExtFields: ext, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFrameReader checks that frames come out whole, in place when they fit the buffer and
// copied when they do not, that frameBuffered tells a whole buffered frame from one still to
// arrive, and that a stream ending inside a frame or a bad length is an error.
func TestFrameReader(t *testing.T) {
	small := pullAnswer(t, 1, 3, storedRecords(t, 100, 0, 1, 2))
	big := pullAnswer(t, 2, 4, storedRecords(t, pullReadBuffer, 3)) // larger than the buffer
	stream := bytes.Join([][]byte{small, big, small}, nil)
	var f frameReader
	f.reset(bytes.NewReader(stream), false)
	if f.frameBuffered() {
		t.Fatal("frameBuffered before anything was read")
	}
	for i, want := range []struct {
		opaque int32
		msgs   int64
	}{{1, 3}, {2, 1}, {1, 3}} {
		fr, err := f.next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		c, err := remoting.DecodeFrame(fr)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		var h protocol.PullMessageResponseHeader
		if err := h.Decode(c.ExtFields); err != nil {
			t.Fatal(err)
		}
		n, err := walkRecords(c.Body, h.NextBeginOffset-want.msgs, h.NextBeginOffset, nil)
		if c.Opaque != want.opaque || n != want.msgs || err != nil {
			t.Fatalf("frame %d: opaque %d, %d records (%v); want %d, %d", i, c.Opaque, n, err, want.opaque, want.msgs)
		}
		if i == 1 && !f.frameBuffered() {
			t.Fatal("the small frame after the big one is buffered whole, frameBuffered says not")
		}
	}
	if _, err := f.next(); err != io.EOF {
		t.Fatalf("at the end: %v, want EOF", err)
	}

	f.reset(io.MultiReader(bytes.NewReader(small), bytes.NewReader(small[:len(small)-1])), false)
	if _, err := f.next(); err != nil {
		t.Fatal(err)
	}
	if f.frameBuffered() {
		t.Fatal("frameBuffered with a frame short of a byte")
	}
	if _, err := f.next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated frame: %v, want ErrUnexpectedEOF", err)
	}
	for _, n := range []uint32{0, 3, remoting.MaxFrameSize + 1, 1 << 31} {
		f.reset(bytes.NewReader([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n), 0, 0, 0, 0}), false)
		if _, err := f.next(); !errors.Is(err, remoting.ErrBadLength) {
			t.Fatalf("length %d: %v, want ErrBadLength", n, err)
		}
	}
}

// BenchmarkPullAnswer measures what a consumer spends on one answer to a 32-message pull of
// 1 KiB messages once its bytes are in memory: reading the frame, decoding the header and
// walking the records (count and queue offsets), per message. read=inplace is bench
// consume's path (frameReader, remoting.FrameDecoder); read=FrameReader is what the
// remoting client does (the body copied into a fresh buffer, the header into a map)
// followed by the same walk.
func BenchmarkPullAnswer(b *testing.B) {
	const batch = 32
	offs := make([]int64, batch)
	for i := range offs {
		offs[i] = int64(i)
	}
	frame := pullAnswer(b, 7, batch, storedRecords(b, 1024, offs...))
	stream := bytes.Repeat(frame, 64)
	run := func(b *testing.B, read func() (*remoting.Command, int64, error)) {
		b.ReportAllocs()
		b.SetBytes(int64(len(frame)))
		for b.Loop() {
			c, nb, err := read()
			if err != nil {
				b.Fatal(err)
			}
			if n, err := walkRecords(c.Body, 0, nb, nil); n != batch || err != nil {
				b.Fatal(n, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/batch, "ns/msg")
	}
	b.Run("read=inplace", func(b *testing.B) {
		var f frameReader
		var d remoting.FrameDecoder
		var c remoting.Command
		r := bytes.NewReader(stream)
		f.reset(r, false)
		run(b, func() (*remoting.Command, int64, error) {
			fr, err := f.next()
			if err == io.EOF {
				r.Reset(stream)
				f.reset(r, false)
				fr, err = f.next()
			}
			if err != nil {
				return nil, 0, err
			}
			if err := d.Decode(fr, &c); err != nil {
				return nil, 0, err
			}
			nb, err := nextBeginOffset(&c)
			return &c, nb, err
		})
	})
	b.Run("read=FrameReader", func(b *testing.B) {
		r := bytes.NewReader(stream)
		fr := remoting.NewFrameReader(bufio.NewReaderSize(r, 16<<10), 0)
		run(b, func() (*remoting.Command, int64, error) {
			c, err := fr.ReadFrame()
			if err == io.EOF {
				r.Reset(stream)
				fr = remoting.NewFrameReader(bufio.NewReaderSize(r, 16<<10), 0)
				c, err = fr.ReadFrame()
			}
			if err != nil {
				return nil, 0, err
			}
			var h protocol.PullMessageResponseHeader
			err = h.Decode(c.ExtFields)
			return c, h.NextBeginOffset, err
		})
	})
}

// BenchmarkPullRequest is the encoding of one pull's request: templated (bench consume's
// path) and through the header map and remoting.AppendFrame (signed pulls).
func BenchmarkPullRequest(b *testing.B) {
	o := &Options{Group: "bench-c", Topic: "BenchT"}
	q := &pullQueue{t: admin.WriteQueue{BrokerName: "broker-a", QueueID: 3}}
	tpl := newPullTemplate(o, q)
	var out []byte
	b.Run("encode=template", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			out = tpl.append(out[:0], int32(i), int64(i)*32, 32)
		}
	})
	b.Run("encode=AppendFrame", func(b *testing.B) {
		b.ReportAllocs()
		ext := map[string]string{}
		for i := 0; b.Loop(); i++ {
			req := pullRequest(o, q, span{int64(i) * 32, int64(i)*32 + 32}, ext)
			req.Opaque = int32(i)
			var err error
			if out, err = remoting.AppendFrame(out[:0], req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestPullTemplate checks that a templated pull is byte for byte the frame the encoder
// writes for the same request, for every width of the varying values, and that signed pulls
// (whose signature covers the values) are not templated.
func TestPullTemplate(t *testing.T) {
	o := &Options{Group: "bench-c", Topic: "BenchT"}
	q := &pullQueue{t: admin.WriteQueue{BrokerName: "broker-a", QueueID: 3}}
	tpl := newPullTemplate(o, q)
	if tpl == nil {
		t.Fatal("no template")
	}
	ext := map[string]string{}
	var got []byte
	for _, c := range []struct {
		opaque int32
		from   int64
		count  int32
	}{{1, 0, 32}, {-7, 1, 1}, {math.MaxInt32, math.MaxInt64 - 40, 32}, {math.MinInt32, 123456789, 1000}, {42, 9, 0}} {
		req := pullRequest(o, q, span{c.from, c.from + int64(c.count)}, ext)
		req.Opaque = c.opaque
		want, err := remoting.AppendFrame(nil, req)
		if err != nil {
			t.Fatal(err)
		}
		got = tpl.append(got[:0], c.opaque, c.from, c.count)
		if !bytes.Equal(got, want) {
			t.Fatalf("%+v:\n got %q\nwant %q", c, got, want)
		}
	}
	o.Credentials = &remoting.Credentials{AccessKey: "ak", SecretKey: "sk"}
	if newPullTemplate(o, q) != nil {
		t.Fatal("a signed pull was templated")
	}
}

// TestDrainBrokerConnectionLost checks that when a broker's connection fails (here: it is
// closed as soon as it is accepted) every one of its queues is reported drained and the
// failure counted, so a run with other brokers still ends when those are drained rather than
// at its duration.
func TestDrainBrokerConnectionLost(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	o := &Options{Mode: ModeConsume, NameServers: []string{"unused:1"}, Topic: "T", Group: "g"}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	qs := []admin.WriteQueue{{Addr: ln.Addr().String(), BrokerName: "b", QueueID: 0}, {Addr: ln.Addr().String(), BrokerName: "b", QueueID: 1}}
	s := newStats()
	var drained int
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	drainBroker(ctx, o, s, nil, ln.Addr().String(), qs, func() { drained++ })
	if drained != len(qs) || s.errs.Load() != 1 || ctx.Err() != nil {
		t.Fatalf("%d queues drained, %d errors (%v); want %d, 1", drained, s.errs.Load(), ctx.Err(), len(qs))
	}
}

// TestDrainBrokerStops checks that the end of the run (ctx) ends a connection whose broker
// never answers without counting an error, every queue reported drained.
func TestDrainBrokerStops(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	held := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			held <- c // accepted, never answered
		}
	}()
	t.Cleanup(func() {
		select {
		case c := <-held:
			c.Close()
		default:
		}
	})
	o := &Options{Mode: ModeConsume, NameServers: []string{"unused:1"}, Topic: "T", Group: "g"}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	qs := []admin.WriteQueue{{Addr: ln.Addr().String(), BrokerName: "b", QueueID: 0}}
	s := newStats()
	var drained int
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	drainBroker(ctx, o, s, nil, ln.Addr().String(), qs, func() { drained++ })
	if drained != 1 || s.errs.Load() != 0 {
		t.Fatalf("%d queues drained, %d errors; want 1, 0", drained, s.errs.Load())
	}
}
