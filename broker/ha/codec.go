package ha

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Sizes of the wire format (see doc.go).
const (
	// HeaderLen is the size of a master -> slave frame header: phyOffset (8) and bodySize (4).
	HeaderLen = 12
	// ReportLen is the size of a slave -> master report: the slave's max CommitLog offset.
	ReportLen = 8
)

// Sentinel errors of the HA service.
var (
	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("ha: closed")
	// ErrBadFrame is returned by ReadFrame for a negative offset or a body over the limit.
	ErrBadFrame = errors.New("ha: bad frame")
	// ErrNoSlave is returned by WaitAck when no slave is connected, or the best one is more
	// than MaxGap bytes behind (Apache's SLAVE_NOT_AVAILABLE).
	ErrNoSlave = errors.New("ha: no slave available")
	// ErrAckTimeout is returned by WaitAck when no slave acked in time (FLUSH_SLAVE_TIMEOUT).
	ErrAckTimeout = errors.New("ha: slave ack timeout")
	// ErrOffsetMismatch is a frame that does not start at the slave's CommitLog end.
	ErrOffsetMismatch = errors.New("ha: master pushed an offset that is not the slave's end")
)

// PutHeader writes a frame header for a body of size bytes at CommitLog offset phys.
func PutHeader(b []byte, phys int64, size int) {
	binary.BigEndian.PutUint64(b[0:], uint64(phys))
	binary.BigEndian.PutUint32(b[8:], uint32(size))
}

// AppendFrame appends a whole frame (header and body) to dst.
func AppendFrame(dst []byte, phys int64, body []byte) []byte {
	var h [HeaderLen]byte
	PutHeader(h[:], phys, len(body))
	return append(append(dst, h[:]...), body...)
}

// DecodeHeader parses a frame header; the body size must be in [0, maxBody].
func DecodeHeader(b []byte, maxBody int) (phys int64, size int, err error) {
	if len(b) < HeaderLen {
		return 0, 0, fmt.Errorf("%w: header of %d bytes", ErrBadFrame, len(b))
	}
	phys = int64(binary.BigEndian.Uint64(b[0:]))
	n := int32(binary.BigEndian.Uint32(b[8:]))
	if phys < 0 || n < 0 || int(n) > maxBody {
		return 0, 0, fmt.Errorf("%w: offset %d, body %d (limit %d)", ErrBadFrame, phys, n, maxBody)
	}
	return phys, int(n), nil
}

// ReadFrame reads one frame from r. The body is read into buf (grown when needed) and is
// valid until the next call with the same buf.
func ReadFrame(r io.Reader, buf []byte, maxBody int) (phys int64, body []byte, err error) {
	var h [HeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, buf[:0], err
	}
	phys, n, err := DecodeHeader(h[:], maxBody)
	if err != nil {
		return 0, buf[:0], err
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	body = buf[:n]
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, body[:0], err
	}
	return phys, body, nil
}

// PutReport writes a slave report.
func PutReport(b []byte, offset int64) { binary.BigEndian.PutUint64(b, uint64(offset)) }

// ReadReport reads one slave report from r.
func ReadReport(r io.Reader) (int64, error) {
	var b [ReportLen]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	off := int64(binary.BigEndian.Uint64(b[:]))
	if off < 0 {
		return 0, fmt.Errorf("%w: reported offset %d", ErrBadFrame, off)
	}
	return off, nil
}
