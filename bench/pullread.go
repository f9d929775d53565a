package bench

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/remoting"
)

// pullReadBuffer is the read buffer of a pull connection: answers up to this size are
// handed out in place; it also lets one read system call take many answers at once.
const pullReadBuffer = 512 << 10

// frameReader reads remoting frames and hands each out without copying it when it fits in
// its buffer: the frame is valid until the next call.
type frameReader struct {
	br   *bufio.Reader
	skip int    // bytes of the frame handed out last, still to discard
	big  []byte // frames larger than br's buffer
	// ahead, when set (a connection with one request in flight, over RawIO), is the reader's
	// AheadWriter: roundTrip hands it the request when nothing is buffered, so the read that
	// follows waits for the answer without first trying a read(2) that would fail.
	ahead remoting.AheadWriter
}

// reset makes f read r; oneInFlight asks for r's AheadWriter, if it has one.
func (f *frameReader) reset(r io.Reader, oneInFlight bool) {
	if f.br == nil {
		f.br = bufio.NewReaderSize(r, pullReadBuffer)
	} else {
		f.br.Reset(r)
	}
	f.skip = 0
	f.ahead = nil
	if aw, ok := r.(remoting.AheadWriter); ok && oneInFlight {
		f.ahead = aw
	}
}

func (f *frameReader) discard() {
	if f.skip > 0 {
		_, _ = f.br.Discard(f.skip) // buffered bytes: cannot fail
		f.skip = 0
	}
}

// frameBuffered reports whether the next frame is already whole in the buffer, so that
// reading it will not wait for the network.
func (f *frameReader) frameBuffered() bool {
	f.discard()
	n := f.br.Buffered()
	if n < 4 {
		return false
	}
	h, _ := f.br.Peek(4)
	return int64(n-4) >= int64(binary.BigEndian.Uint32(h))
}

// roundTrip writes the requests out holds when no answer is already buffered (so requests
// queued while answers wait to be read go out in one write) and returns the next frame.
func (f *frameReader) roundTrip(w io.Writer, out *[]byte) ([]byte, error) {
	if len(*out) > 0 && !f.frameBuffered() {
		if f.ahead != nil && f.br.Buffered() == 0 {
			f.ahead.WriteAhead(*out) // written by the read next makes, before it waits
			*out = (*out)[:0]        // not appended to before next returns
			return f.next()
		}
		if _, err := w.Write(*out); err != nil {
			return nil, err
		}
		*out = (*out)[:0]
	}
	return f.next()
}

// next returns the next frame past its length word (as remoting.DecodeFrame takes it).
func (f *frameReader) next() ([]byte, error) {
	f.discard()
	h, err := f.br.Peek(4)
	if err != nil {
		return nil, err
	}
	n := int(int32(binary.BigEndian.Uint32(h)))
	if n < 4 || n > remoting.MaxFrameSize {
		return nil, fmt.Errorf("%w: frame length %d", remoting.ErrBadLength, n)
	}
	if 4+n <= f.br.Size() {
		b, err := f.br.Peek(4 + n)
		if err != nil {
			return nil, unexpectedEOF(err)
		}
		f.skip = 4 + n
		return b[4:], nil
	}
	_, _ = f.br.Discard(4)
	if cap(f.big) < n {
		f.big = make([]byte, n)
	}
	b := f.big[:n]
	if _, err := io.ReadFull(f.br, b); err != nil {
		return nil, unexpectedEOF(err)
	}
	return b, nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// walkRecords counts the stored records of the body of a pull's answer (the pull of the
// range from from, answered with nextBeginOffset next) and logs their UNIQ_KEYs to keys
// when set, without allocating. Every record must be well-formed and whole, with a queue
// offset in [from, next) above the one before it (no duplicate, nothing from another
// range); otherwise it returns an error with the count of the records before.
func walkRecords(b []byte, from, next int64, keys *keyLog) (int64, error) {
	if keys != nil {
		keys.mu.Lock()
		defer keys.mu.Unlock()
	}
	var n int64
	last := from - 1
	for len(b) > 0 {
		rec, err := message.ParseStored(b)
		if err != nil {
			return n, fmt.Errorf("record %d of a pull's answer: %w", n, err)
		}
		off := rec.QueueOffset()
		if off <= last || off >= next {
			return n, fmt.Errorf("record %d of the pull from offset %d (next %d) has queue offset %d after %d",
				n, from, next, off, last)
		}
		last = off
		if keys != nil {
			keys.addStoredLocked(rec)
		}
		n++
		b = b[len(rec):]
	}
	return n, nil
}
