package remoting

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
)

// MaxFrameSize is the default limit on a frame's length word: 16 MiB, as Java's NettyDecoder
// (com.rocketmq.remoting.frameMaxLength).
const MaxFrameSize = 16 << 20

// maxHeaderLen is the largest header the 24-bit header length can describe.
const maxHeaderLen = 1<<24 - 1

// AppendFrame appends c as a whole frame (length, header-length word, header, body) in
// c.Serialize and returns the extended slice.
func AppendFrame(dst []byte, c *Command) ([]byte, error) {
	if c.frame != nil {
		return c.frame.appendTo(dst, c.Opaque), nil
	}
	dst, err := appendFrameHead(dst, c, len(c.Body))
	if err != nil {
		return dst, err
	}
	return append(dst, c.Body...), nil
}

// appendFrameHead appends everything of the frame but the body, with a length word that
// accounts for bodyLen more bytes. On error dst is returned unchanged.
func appendFrameHead(dst []byte, c *Command, bodyLen int) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	var err error
	switch c.Serialize {
	case JSON:
		dst = appendJSONHeader(dst, c)
	case RocketMQ:
		dst, err = appendRocketMQHeader(dst, c)
	default:
		err = fmt.Errorf("%w: %d", ErrUnknownSerializeType, c.Serialize)
	}
	if err != nil {
		return dst[:start], err
	}
	headerLen := len(dst) - start - 8
	total := int64(4) + int64(headerLen) + int64(bodyLen)
	if headerLen > maxHeaderLen || total > math.MaxInt32 {
		return dst[:start], fmt.Errorf("%w: header %d bytes, body %d bytes", ErrFrameTooLarge, headerLen, bodyLen)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(total))
	binary.BigEndian.PutUint32(dst[start+4:], uint32(c.Serialize)<<24|uint32(headerLen))
	return dst, nil
}

// splitHeaderWord validates the header-length word of a frame whose length word was
// frameLen and returns the serialize type and header length.
func splitHeaderWord(word uint32, frameLen int) (SerializeType, int, error) {
	st := SerializeType(word >> 24)
	hl := int(word & maxHeaderLen)
	if st != JSON && st != RocketMQ {
		return st, 0, fmt.Errorf("%w: %d", ErrUnknownSerializeType, st)
	}
	if hl > frameLen-4 {
		return st, 0, fmt.Errorf("%w: header length %d exceeds frame length %d", ErrBadLength, hl, frameLen)
	}
	return st, hl, nil
}

func checkFrameLen(n int32, max int) error {
	if n < 4 {
		return fmt.Errorf("%w: %d", ErrBadLength, n)
	}
	if int64(n) > int64(max) {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, max)
	}
	return nil
}

func decodeHeader(st SerializeType, h []byte, c *Command, in *interner) error {
	c.Serialize = st
	if in != nil {
		in.route.set = false // asked again for this frame
	}
	var err error
	if st == JSON {
		err = decodeJSONHeader(h, c, in)
	} else {
		err = decodeRocketMQHeader(h, c, in)
	}
	if c.pairs != nil && (c.IsResponse() || !in.wantsPairs(c.Code)) {
		// Only requests take pairs; a JSON header may name its flag (or its code again)
		// after extFields.
		c.LoadExt()
	}
	if c.pairs != nil {
		// The pairs are built in the interner's slice, reused by the next frame.
		if in.lends(c) {
			c.lentPairs = true
		} else {
			c.pairs = slices.Clone(c.pairs)
		}
	}
	return err
}

// DecodeFrame decodes one frame from b, the bytes that follow the length word (the
// header-length word, the header and the body). The body aliases b.
func DecodeFrame(b []byte) (*Command, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadLength, len(b))
	}
	st, hl, err := splitHeaderWord(binary.BigEndian.Uint32(b), len(b))
	if err != nil {
		return nil, err
	}
	c := new(Command)
	if err := decodeHeader(st, b[4:4+hl], c, nil); err != nil {
		return nil, err
	}
	if body := b[4+hl:]; len(body) > 0 {
		c.Body = body
	}
	return c, nil
}

// FrameReader reads frames from a buffered stream. It checks every length against the
// maximum frame size before it allocates, and it reuses one header buffer.
type FrameReader struct {
	r   *bufio.Reader
	max int
	hdr []byte
	in  interner
	// words holds the frame's length and header-length words (a local would escape to the
	// heap through io.ReadFull).
	words [8]byte

	// reserve, when set, is called before a frame of reserveFrom bytes or more is read
	// past its first 8 bytes; the frame is read only if it succeeds, and release is called
	// once the frame has been read (or failed).
	reserve func(n int) (release func(), err error)
}

// NewFrameReader returns a FrameReader over r that rejects frames whose length word exceeds
// maxFrameSize (<= 0 means MaxFrameSize).
func NewFrameReader(r *bufio.Reader, maxFrameSize int) *FrameReader {
	if maxFrameSize <= 0 {
		maxFrameSize = MaxFrameSize
	}
	return &FrameReader{r: r, max: maxFrameSize}
}

// bodyChunk is the largest body allocated up front; larger bodies grow as bytes arrive, so
// a peer that lies about a length costs us no more memory than it sends.
const bodyChunk = 1 << 20

// maxKeptHeader is the largest header buffer kept between frames.
const maxKeptHeader = 64 << 10

// ReadFrame reads and decodes the next frame. It returns io.EOF at a clean end of stream,
// io.ErrUnexpectedEOF when the stream ends inside a frame, and ErrFrameTooLarge,
// ErrBadLength, ErrUnknownSerializeType or ErrBadHeader (wrapped) for malformed frames;
// after an error the stream position is undefined and the connection should be closed.
func (fr *FrameReader) ReadFrame() (*Command, error) {
	words := fr.words[:]
	if _, err := io.ReadFull(fr.r, words[:4]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(words[:4]))
	if err := checkFrameLen(n, fr.max); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(fr.r, words[4:8]); err != nil {
		return nil, unexpected(err)
	}
	st, hl, err := splitHeaderWord(binary.BigEndian.Uint32(words[4:]), int(n))
	if err != nil {
		return nil, err
	}
	if fr.reserve != nil && int(n) >= reserveFrom {
		release, err := fr.reserve(int(n))
		if err != nil {
			return nil, err
		}
		defer release()
	}
	c := new(Command)
	if hl <= fr.r.Size() {
		// Decoded in place: the decode copies what it keeps.
		h, err := fr.r.Peek(hl)
		if err != nil {
			return nil, unexpected(err)
		}
		err = decodeHeader(st, h, c, &fr.in)
		if _, derr := fr.r.Discard(hl); err == nil {
			err = derr
		}
		if err != nil {
			return nil, err
		}
		return fr.body(c, int(n)-4-hl)
	}
	if hl > bodyChunk {
		// Large headers are rare: read them incrementally, like bodies.
		h, err := readGrow(fr.r, hl)
		if err != nil {
			return nil, err
		}
		if err := decodeHeader(st, h, c, &fr.in); err != nil {
			return nil, err
		}
		return fr.body(c, int(n)-4-hl)
	}
	if cap(fr.hdr) < hl {
		fr.hdr = make([]byte, hl)
	}
	h := fr.hdr[:hl]
	if _, err := io.ReadFull(fr.r, h); err != nil {
		return nil, unexpected(err)
	}
	if cap(fr.hdr) > maxKeptHeader {
		fr.hdr = nil
	}
	if err := decodeHeader(st, h, c, &fr.in); err != nil {
		return nil, err
	}
	return fr.body(c, int(n)-4-hl)
}

// body reads the frame's body of n bytes into c. A request the interner lends to (lendFor),
// whose body fits the reader's buffer, gets it lent: in place in the buffer, no copy and no
// allocation.
func (fr *FrameReader) body(c *Command, n int) (*Command, error) {
	if n == 0 {
		return c, nil
	}
	if n <= fr.r.Size() && fr.in.lends(c) {
		b, err := fr.r.Peek(n)
		if err != nil {
			return nil, unexpected(err)
		}
		if _, err := fr.r.Discard(n); err != nil {
			return nil, err
		}
		c.Body, c.lent = b[:n:n], true
		return c, nil
	}
	b, err := readGrow(fr.r, n)
	if err != nil {
		return nil, err
	}
	c.Body = b
	return c, nil
}

// readGrow reads exactly n bytes, allocating at most bodyChunk ahead of what has arrived.
func readGrow(r io.Reader, n int) ([]byte, error) {
	if n <= bodyChunk {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, unexpected(err)
		}
		return b, nil
	}
	b := make([]byte, 0, bodyChunk)
	for len(b) < n {
		if len(b) == cap(b) {
			b = slices.Grow(b, min(n-len(b), cap(b)))
		}
		m, err := io.ReadFull(r, b[len(b):min(n, cap(b))])
		b = b[:len(b)+m]
		if err != nil {
			return nil, unexpected(err)
		}
	}
	return b, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
