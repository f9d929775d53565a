package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Every byte a server stores lands in a page-cache page the kernel allocates and zeroes on
// first touch. On a VM that hands free memory back to its host, that first touch also has
// the hypervisor back the page again, which can cost several µs a page: a cost per stored
// byte that any broker pays, in its own CPU figure. firstTouchUs measures it, and
// residentPages how many pages a server's store filled, so the server CPU row's floor can
// include them.

// firstTouchUs returns the CPU time per 4 KiB page of MADV_POPULATE_WRITE over a new file
// of n bytes in dir (the kernel allocating and zeroing its page-cache pages, as mq's
// CommitLog warmer does ahead of its writes), measured on the calling thread.
func firstTouchUs(dir string, n int) (float64, error) {
	f, err := os.CreateTemp(dir, "first-touch-")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := f.Truncate(int64(n)); err != nil {
		return 0, err
	}
	b, err := unix.Mmap(int(f.Fd()), 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return 0, err
	}
	defer unix.Munmap(b)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0, err := threadCPU()
	if err != nil {
		return 0, err
	}
	if err := unix.Madvise(b, unix.MADV_POPULATE_WRITE); err != nil {
		return 0, err
	}
	t1, err := threadCPU()
	if err != nil {
		return 0, err
	}
	return float64((t1 - t0).Nanoseconds()) / 1000 / float64(n/4096), nil
}

// threadCPU returns the calling thread's CPU time: CLOCK_THREAD_CPUTIME_ID, which counts
// the running thread's time up to now (getrusage(RUSAGE_THREAD) only up to its last tick or
// switch, so a short populate could measure 0).
func threadCPU() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, err
	}
	return time.Duration(ts.Nano()), nil
}

// residentPages returns how many 4 KiB pages of the regular files under dir are in the page
// cache (mincore), and their total size in bytes.
func residentPages(dir string) (pages, size int64, err error) {
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		p, n, err := fileResident(path)
		pages, size = pages+p, size+n
		return err
	})
	return pages, size, err
}

func fileResident(path string) (pages, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return 0, 0, err
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return 0, 0, err
	}
	defer unix.Munmap(b)
	vec := make([]byte, (len(b)+os.Getpagesize()-1)/os.Getpagesize())
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
		uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		return 0, 0, fmt.Errorf("mincore %s: %w", path, errno)
	}
	for _, v := range vec {
		pages += int64(v & 1)
	}
	return pages * int64(os.Getpagesize()) / 4096, st.Size(), nil
}
