package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// benchBinEnv names a binary BenchmarkStandaloneStart measures instead of this test binary
// (e.g. one built with `go build -o /tmp/mq ./cmd/mq`, to compare two builds side by side).
const benchBinEnv = "MQ_BENCH_BIN"

// BenchmarkStandaloneStart measures `mq standalone` on an empty store in a child process:
//
//   - ready-ms: from just before exec until the nameserver lists the broker in
//     GET_BROKER_CLUSTER_INFO (a client can route to it) and the broker port has answered
//     GET_BROKER_RUNTIME_INFO, polled every millisecond;
//   - cpu-ms: the CPU time the child used until then (sum of its threads' schedstat), a
//     figure less swayed by a loaded machine than ready-ms;
//   - rss-anon-KiB: the child's RssAnon (heap and stacks, no mapped store pages) one second
//     after it is ready, idle.
//
// The child is this test binary running Main (MQ_TEST_RUN_MAIN=1), which links test
// dependencies too, unless $MQ_BENCH_BIN names an mq binary. Process start is included.
func BenchmarkStandaloneStart(b *testing.B) {
	bin, env := os.Args[0], append(os.Environ(), "MQ_TEST_RUN_MAIN=1")
	if p := os.Getenv(benchBinEnv); p != "" {
		bin, env = p, os.Environ()
	}
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	var readyMs, cpuMs, rssKiB float64
	for range b.N {
		dir := b.TempDir()
		ms, cpu, kib := startStandaloneOnce(b, cl, bin, env, dir)
		readyMs += ms
		cpuMs += cpu
		rssKiB += kib
	}
	b.ReportMetric(readyMs/float64(b.N), "ready-ms")
	b.ReportMetric(cpuMs/float64(b.N), "cpu-ms")
	b.ReportMetric(rssKiB/float64(b.N), "rss-anon-KiB")
}

// startStandaloneOnce starts one standalone in dir, waits until it is ready, samples its
// idle RssAnon and stops it (SIGTERM, then waits).
func startStandaloneOnce(b *testing.B, cl *remoting.Client, bin string, env []string, dir string) (readyMs, cpuMs, rssKiB float64) {
	ports := filepath.Join(dir, "ports")
	cmd := exec.Command(bin, "standalone", "--namesrv-port", "0", "--broker-port", "0",
		"--store", filepath.Join(dir, "store"), "--ports-file", ports, "--log-level", "warn")
	cmd.Env = append(env, "HOME="+dir)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_, _ = cmd.Process.Wait()
	}()
	deadline := t0.Add(20 * time.Second)
	var ns, brk string
	for {
		if ns == "" {
			ns, brk = readPortsFile(ports)
		}
		if ns != "" && standaloneReady(cl, ns, brk) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("standalone not ready in 20 s; stderr:\n%s", stderr.String())
		}
		time.Sleep(time.Millisecond)
	}
	readyMs = float64(time.Since(t0).Microseconds()) / 1000
	cpuMs = float64(cpuNs(cmd.Process.Pid)) / 1e6
	time.Sleep(time.Second)
	kib, err := rssAnonKiB(cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	return readyMs, cpuMs, float64(kib)
}

// cpuNs sums the on-CPU time of pid's threads (/proc/<pid>/task/*/schedstat, first field).
func cpuNs(pid int) int64 {
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/schedstat")
	var sum int64
	for _, f := range tasks {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if fs := strings.Fields(string(data)); len(fs) > 0 {
			ns, _ := strconv.ParseInt(fs[0], 10, 64)
			sum += ns
		}
	}
	return sum
}

// readPortsFile returns the addresses of a standalone's ports file ("" until written).
func readPortsFile(path string) (ns, brk string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", ""
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if a, ok := strings.CutPrefix(line, "namesrv "); ok {
			ns = a
		}
		if a, ok := strings.CutPrefix(line, "broker "); ok {
			brk = a
		}
	}
	if ns == "" || brk == "" {
		return "", ""
	}
	return ns, brk
}

// standaloneReady reports whether the nameserver at ns lists brk and brk answers.
func standaloneReady(cl *remoting.Client, ns, brk string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	resp, err := cl.InvokeSync(ctx, ns, remoting.NewRequest(int16(protocol.GetBrokerClusterInfo), nil, nil))
	if err != nil || resp.Code != 0 || !bytes.Contains(resp.Body, []byte(`"`+brk+`"`)) {
		return false
	}
	resp, err = cl.InvokeSync(ctx, brk, remoting.NewRequest(int16(protocol.GetBrokerRuntimeInfo), nil, nil))
	return err == nil && resp.Code == 0
}

// rssAnonKiB reads RssAnon from /proc/<pid>/status.
func rssAnonKiB(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no RssAnon in /proc/" + strconv.Itoa(pid) + "/status")
}
