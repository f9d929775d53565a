package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// Garbage collector settings of the server commands (standalone, broker, namesrv).
//
// GOGC, when unset, is tuned to give the heap gcHeadroom of room (gctune.go).
//
// GOMEMLIMIT, when unset, becomes 3/4 of the memory limit of the process's cgroup (a
// container's limit) when there is one, so the collector works harder before the kernel
// kills the process; the mapped store pages are page cache, which the kernel reclaims
// first. Without a cgroup limit Go's default (no limit) stays. Set GOGC or GOMEMLIMIT in the
// environment to choose otherwise.
func tuneServerMemory(logger *slog.Logger) {
	if os.Getenv("GOGC") == "" {
		startServerGCTuner()
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if limit, ok := cgroupMemoryLimit("/"); ok {
		soft := limit / 4 * 3
		debug.SetMemoryLimit(soft)
		logger.Debug("soft memory limit from the cgroup", "cgroupLimit", limit, "GOMEMLIMIT", soft)
	}
}

// cgroupMemoryLimit reads the memory limit of the cgroup mounted under root: cgroup v2's
// memory.max, else v1's memory.limit_in_bytes. No limit ("max", or v1's near-2^63 value)
// and unreadable files report false.
func cgroupMemoryLimit(root string) (int64, bool) {
	for _, p := range []string{"sys/fs/cgroup/memory.max", "sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 || n >= 1<<60 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}
