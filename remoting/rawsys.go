package remoting

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// RawIO returns a reader and a writer for a plain TCP connection that behave as its Read and
// Write (waiting for the poller, honouring deadlines) but make each read(2) and write(2) a
// raw system call (see readFD); ok is false, and nc itself should be used, for anything else.
// One goroutine may read and one write at a time, as with nc.
func RawIO(nc net.Conn) (r io.Reader, w io.Writer, ok bool) {
	tc, isTCP := nc.(*net.TCPConn)
	if !isTCP {
		return nc, nc, false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nc, nc, false
	}
	return &rawReader{rawCall: rawCall{raw: rc, nc: nc}}, &rawWriter{rawCall: rawCall{raw: rc, nc: nc}}, true
}

// readFD and writeFD are read(2) and write(2) on a non-blocking socket as raw system calls:
// the call never blocks, so the runtime's syscall entry (which wakes its monitor thread when
// the process was idle) is skipped. Under the race detector they are syscall.Read and Write,
// whose annotations let it see the data pass between a process's own connections.

func readFD(fd uintptr, p []byte) (int, syscall.Errno) {
	if raceEnabled {
		n, err := syscall.Read(int(fd), p)
		return n, errnoOf(err)
	}
	n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	return int(n), errno
}

func writeFD(fd uintptr, p []byte) (int, syscall.Errno) {
	if raceEnabled {
		n, err := syscall.Write(int(fd), p)
		return n, errnoOf(err)
	}
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	return int(n), errno
}

// writevFD is writev(2) of iov (the buffers of bufs) as a raw system call, like writeFD; under
// the race detector an ordinary one (the write loop keeps net.Conn's writev there, and tests
// order their reads through channels).
func writevFD(fd uintptr, iov []syscall.Iovec) (int, syscall.Errno) {
	if raceEnabled {
		n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(unsafe.SliceData(iov))), uintptr(len(iov)))
		return int(n), errno
	}
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(unsafe.SliceData(iov))), uintptr(len(iov)))
	return int(n), errno
}

// opError is the error net.Conn's Read or Write returns for a failed system call.
func opError(op string, nc net.Conn, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Source: nc.LocalAddr(), Addr: nc.RemoteAddr(), Err: os.NewSyscallError(op, errno)}
}

func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	if e, ok := err.(syscall.Errno); ok {
		return e
	}
	return syscall.EIO
}

// rawCall is what a RawConn callback reads and leaves: the buffer, how much of it was done
// and the error of the system call.
type rawCall struct {
	raw syscall.RawConn
	nc  net.Conn // for the errors' addresses
	p   []byte
	n   int
	err syscall.Errno
}

// run calls do (the RawConn's Read or Write) with try over p, and returns what try did.
func (c *rawCall) run(do func(func(uintptr) bool) error, try func(uintptr) bool, p []byte) (int, syscall.Errno, error) {
	c.p, c.n, c.err = p, 0, 0
	err := do(try)
	n, errno := c.n, c.err
	c.p = nil
	return n, errno, err
}

// rawReader reads a plain TCP connection as net.Conn.Read does (try, and wait for the poller
// on EAGAIN, honouring the read deadline), but makes the read(2) a raw system call: the
// socket is non-blocking, so the call never blocks, and the runtime's syscall entry is
// skipped. That entry wakes the runtime's monitor thread whenever the process was wholly
// idle, and the monitor then polls every 20 µs until the process is idle again: under a
// client that leaves the broker idle between its bursts, that was a third of the broker's
// context switches.
type rawReader struct {
	rawCall
	read func(fd uintptr) bool // r.try, bound once

	ahead     []byte                // WriteAhead's request, not yet written
	aheadErr  syscall.Errno         // the write(2) error of ahead
	readAhead func(fd uintptr) bool // r.tryAhead, bound once
}

// AheadWriter is implemented by the reader RawIO returns for a TCP connection.
type AheadWriter interface {
	// WriteAhead makes the reader's next Read write p first, inside the same wait for the
	// poller, and then wait for the answer without trying a read(2) that would fail with
	// EAGAIN: the poller's readiness is reset only when a wait begins, before p is written,
	// so an answer to p is never missed. p must ask for an answer, and the reader's buffer
	// must be empty when Read runs; if the socket takes only part of p, Read writes the rest
	// waiting for room and then reads as usual. A write error is Read's error; a Read that
	// fails (closed, the deadline passed) drops what it had not written of p.
	WriteAhead(p []byte)
}

// WriteAhead implements AheadWriter.
func (r *rawReader) WriteAhead(p []byte) { r.ahead = p }

func (r *rawReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.read == nil {
		r.read, r.readAhead = r.try, r.tryAhead
	}
	try := r.read
	if len(r.ahead) > 0 {
		try = r.readAhead
	}
	n, errno, err := r.run(r.raw.Read, try, p)
	if err != nil { // closed, or the deadline passed, perhaps before the request was written:
		r.ahead, r.aheadErr = nil, 0 // it is dropped, not sent by a later Read
	}
	if err == nil && (len(r.ahead) > 0 || r.aheadErr != 0) {
		if err = r.finishAhead(); err == nil {
			n, errno, err = r.run(r.raw.Read, r.read, p)
		}
	}
	switch {
	case err != nil: // closed, or the read deadline passed while waiting
		return 0, err
	case errno != 0:
		return 0, opError("read", r.nc, errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// try is the RawConn callback: false asks the poller to wait for data.
func (r *rawReader) try(fd uintptr) bool {
	for {
		n, errno := readFD(fd, r.p)
		switch errno {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		case 0:
			r.n = n
		default:
			r.err = errno
		}
		return true
	}
}

// tryAhead is Read's RawConn callback after WriteAhead: it writes the request, then asks the
// poller to wait for the answer (false); called again when data arrives, it reads (try). On a
// full socket or an error it stops (true) with the request's rest left for finishAhead.
func (r *rawReader) tryAhead(fd uintptr) bool {
	if len(r.ahead) == 0 {
		return r.try(fd)
	}
	n, errno := writeSome(fd, r.ahead)
	r.ahead = r.ahead[n:]
	if errno != syscall.EAGAIN {
		r.aheadErr = errno
	}
	if len(r.ahead) > 0 || errno != 0 {
		return true // a full socket, no progress (finishAhead's Write reports it) or an error
	}
	r.ahead = nil
	return false
}

// finishAhead writes what tryAhead left of the request, waiting for room, or reports its error.
func (r *rawReader) finishAhead() error {
	rest, errno := r.ahead, r.aheadErr
	r.ahead, r.aheadErr = nil, 0
	if errno != 0 {
		return opError("write", r.nc, errno)
	}
	w := rawWriter{rawCall: rawCall{raw: r.raw, nc: r.nc}}
	_, err := w.Write(rest)
	return err
}

// rawWriter writes all of p as net.Conn.Write does, waiting for the poller while the socket
// buffer is full, with raw write(2) calls.
type rawWriter struct {
	rawCall
	write func(fd uintptr) bool // w.try, bound once
	// writeBuffers' state: what is left to write, what was written, the iovecs (reused) and
	// w.tryv, bound once.
	bufs   [][]byte
	total  int64
	iov    []syscall.Iovec
	writev func(fd uintptr) bool
}

func (w *rawWriter) Write(p []byte) (int, error) {
	if w.write == nil {
		w.write = w.try
	}
	n, errno, err := w.run(w.raw.Write, w.write, p)
	switch {
	case err != nil: // closed, or the write deadline passed while waiting
	case errno != 0:
		err = opError("write", w.nc, errno)
	case n < len(p): // write(2) took nothing and said nothing, as net.Conn's Write reports it
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// try is the RawConn callback: false asks the poller to wait for room.
func (w *rawWriter) try(fd uintptr) bool {
	n, errno := writeSome(fd, w.p[w.n:])
	w.n += n
	if errno == syscall.EAGAIN {
		return false
	}
	w.err = errno // 0 when all is written, or when write(2) took nothing and said nothing
	return true
}

// writeSome writes p with write(2) until all of it is written, the socket is full (EAGAIN),
// a call takes nothing without an error (0 with n < len(p)) or fails, and returns what was
// written and how it stopped.
func writeSome(fd uintptr, p []byte) (written int, errno syscall.Errno) {
	for written < len(p) {
		n, errno := writeFD(fd, p[written:])
		switch {
		case errno == syscall.EINTR:
		case errno != 0:
			return written, errno
		case n <= 0:
			return written, 0
		default:
			written += n
		}
	}
	return written, 0
}

// maxIovecs is the most buffers one writev(2) takes (IOV_MAX).
const maxIovecs = 1024

// writeBuffers writes all of bufs with writev(2), as net.Buffers.WriteTo does, waiting for
// the poller while the socket buffer is full. It consumes bufs (the slice's elements are
// resliced as they are written).
func (w *rawWriter) writeBuffers(bufs [][]byte) (int64, error) {
	if w.writev == nil {
		w.writev = w.tryv
	}
	w.bufs, w.total, w.err = bufs, 0, 0
	err := w.raw.Write(w.writev)
	total, errno, left := w.total, w.err, len(w.bufs) > 0
	clear(w.iov)
	w.bufs = nil
	switch {
	case err != nil:
	case errno != 0:
		err = opError("writev", w.nc, errno)
	case left: // writev(2) took nothing and said nothing
		err = io.ErrUnexpectedEOF
	}
	return total, err
}

// tryv is writeBuffers' RawConn callback: false asks the poller to wait for room.
func (w *rawWriter) tryv(fd uintptr) bool {
	for len(w.bufs) > 0 {
		if len(w.bufs[0]) == 0 {
			w.bufs = w.bufs[1:]
			continue
		}
		batch := w.bufs[:min(len(w.bufs), maxIovecs)]
		w.iov = w.iov[:0]
		for _, b := range batch {
			var v syscall.Iovec
			v.Base = unsafe.SliceData(b)
			v.SetLen(len(b))
			w.iov = append(w.iov, v)
		}
		n, errno := writevFD(fd, w.iov)
		switch errno {
		case 0:
			if n <= 0 {
				return true // no progress and no error: writeBuffers reports it
			}
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			w.err = errno
			return true
		}
		w.total += int64(n)
		for n > 0 {
			k := min(n, len(w.bufs[0]))
			w.bufs[0] = w.bufs[0][k:]
			n -= k
			if len(w.bufs[0]) == 0 {
				w.bufs = w.bufs[1:]
			}
		}
	}
	return true
}
