package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// server is a broker process under measurement: its start, readiness and /proc samples.
type server struct {
	name    string
	cmd     *exec.Cmd
	started time.Time
	ready   time.Duration // exec to the first answered request
	exited  chan struct{}
	waitErr error

	peakKB   atomic.Int64 // max RssAnon seen by the sampler
	stopOnce sync.Once
	stopSamp chan struct{}
	sampDone chan struct{}
}

// startServer execs argv (output to logPath) and polls ready until it succeeds; ready
// is the time from just before exec to that first success.
func startServer(ctx context.Context, name string, argv []string, logPath string,
	ready func(context.Context) error) (*server, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = lf, lf
	// The server dies with us, whatever kills us.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s := &server{name: name, cmd: cmd, exited: make(chan struct{}), stopSamp: make(chan struct{}),
		sampDone: make(chan struct{})}
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	go func() { s.waitErr = cmd.Wait(); close(s.exited) }()
	go s.sample()
	deadline := time.Now().Add(30 * time.Second)
	for {
		actx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		err := ready(actx)
		cancel()
		if err == nil {
			s.ready = time.Since(s.started)
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("%s exited before it was ready (%v)\n%s", name, s.waitErr, tail(logPath))
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s not ready in 30 s: %v\n%s", name, err, tail(logPath))
		}
		time.Sleep(time.Millisecond)
	}
}

// sample records the peak RssAnon every 100 ms until stopSampling.
func (s *server) sample() {
	defer close(s.sampDone)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		if kb, err := rssAnonKB(s.cmd.Process.Pid); err == nil && kb > s.peakKB.Load() {
			s.peakKB.Store(kb)
		}
		select {
		case <-s.stopSamp:
			return
		case <-s.exited:
			return
		case <-t.C:
		}
	}
}

// stopSampling ends the peak window (one last sample first).
func (s *server) stopSampling() {
	s.stopOnce.Do(func() {
		if kb, err := rssAnonKB(s.cmd.Process.Pid); err == nil && kb > s.peakKB.Load() {
			s.peakKB.Store(kb)
		}
		close(s.stopSamp)
	})
	<-s.sampDone
}

func (s *server) rssAnonMiB() (float64, error) {
	kb, err := rssAnonKB(s.cmd.Process.Pid)
	return float64(kb) / 1024, err
}

// cpu returns the server's user + system CPU time so far.
func (s *server) cpu() (time.Duration, error) { return cpuTime(s.cmd.Process.Pid) }

// stop sends SIGTERM, then SIGKILL after 10 s, and waits for the exit.
func (s *server) stop() {
	s.stopSampling()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// rssAnonKB reads RssAnon (resident anonymous memory: heap, stacks; not the mapped store
// files, not the binary's text) from /proc/PID/status.
func rssAnonKB(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no RssAnon in /proc/PID/status")
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times (100 on every Linux ABI Go runs on).
const clockTicks = 100

// cpuTime reads utime + stime from /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// Fields after the ")" closing comm start at field 3 (state); utime is 14, stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("bad /proc/PID/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc/PID/stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// loadGOGC is the GOGC of every load generator, mq bench and the nats.go and official-client
// ones alike: their heaps are small and they allocate per message, so at Go's default their
// collectors spend CPU the servers share. The servers keep their own defaults.
const loadGOGC = "400"

// runLoad runs a load generator that prints one JSON Result and returns it; its stderr goes
// to logPath (appended).
func runLoad(ctx context.Context, argv []string, logPath string) (*Result, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	fmt.Fprintf(lf, "\n$ %s\n", strings.Join(argv, " "))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "GOGC="+loadGOGC)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w (stdout %q)\n%s", strings.Join(argv, " "), err, out.String(), tail(logPath))
	}
	var r Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("%s: output %q: %w", strings.Join(argv, " "), out.String(), err)
	}
	if r.Messages > 0 {
		cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		r.ClientCPUUs = float64(cpu.Microseconds()) / float64(r.Messages)
	}
	if r.Errors > 0 {
		loadErrors.Add(r.Errors)
		first := fmt.Sprintf("%s %s: %s", filepath.Base(argv[0]), strings.Join(argv[1:3], " "), r.FirstError)
		firstLoadError.CompareAndSwap(nil, &first)
		logf("  ! %d errors: %s", r.Errors, first)
	}
	if r.Messages == 0 {
		return nil, fmt.Errorf("%s: no message acknowledged (errors %d, first %q)", strings.Join(argv, " "), r.Errors, r.FirstError)
	}
	return &r, nil
}

// Errors the load generators counted (requests that failed; the figures count only answered
// ones), for the summary.
var (
	loadErrors     atomic.Int64
	firstLoadError atomic.Pointer[string]
)

// freePorts returns n distinct ports free on 127.0.0.1 right now.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// tail returns the last lines of a log, for an error message (the logs are removed at exit).
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "--- end of " + path + " ---\n" + string(b)
}
