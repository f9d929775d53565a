package remoting

import (
	"syscall"
	"unsafe"
)

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

func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	if e, ok := err.(syscall.Errno); ok {
		return e
	}
	return syscall.EIO
}
