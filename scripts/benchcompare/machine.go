package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The two servers write back differently. mq's ASYNC_FLUSH flushes the CommitLog every 500 ms
// in its own process (RocketMQ's flushIntervalCommitLog), so the writeback is in its CPU
// figure and its phase. nats-server's file store leaves its writes dirty in the page cache
// (sync_interval: 2 min by default) for the kernel's flusher threads, whose CPU is in no
// process's figure and which run once the dirty pages are 30 s old or over the background
// threshold: in a later phase, often the other server's. settleWriteback runs sync(2)
// after every produce phase, untimed, so each phase starts with no one's writeback pending,
// and records what each server left behind and what writing it cost the machine.

// settleWriteback syncs every filesystem and returns the dirty and under-writeback page cache
// just before (bytes) and the machine's busy CPU time (all CPUs, every process and kernel
// thread) while the sync ran.
func settleWriteback() (dirty int64, busy time.Duration, err error) {
	mi, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, 0, err
	}
	if dirty, err = dirtyBytes(mi); err != nil {
		return 0, 0, err
	}
	b0, err := machineBusy()
	if err != nil {
		return 0, 0, err
	}
	syscall.Sync()
	b1, err := machineBusy()
	if err != nil {
		return 0, 0, err
	}
	return dirty, b1 - b0, nil
}

// dirtyBytes returns Dirty + Writeback of a /proc/meminfo.
func dirtyBytes(meminfo []byte) (int64, error) {
	var sum int64
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "Dirty" && name != "Writeback") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/meminfo %s: %w", name, err)
		}
		sum += kb << 10
		found++
	}
	if found != 2 {
		return 0, errors.New("no Dirty and Writeback in /proc/meminfo")
	}
	return sum, nil
}

func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return busyTime(b)
}

// busyTime returns the busy time of /proc/stat's "cpu" line: every field but idle and iowait
// (guest time is already in user).
func busyTime(stat []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 6 || f[0] != "cpu" {
		return 0, errors.New("no cpu line in /proc/stat")
	}
	var busy int64
	for i, s := range f[1:min(len(f), 9)] { // user nice system idle iowait irq softirq steal
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		if i != 3 && i != 4 {
			busy += v
		}
	}
	return time.Duration(busy) * time.Second / clockTicks, nil
}
