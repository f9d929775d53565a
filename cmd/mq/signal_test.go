package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNamesrvSIGTERM runs `mq namesrv` as a child process and checks SIGTERM stops it with
// exit code 0 after a clean shutdown.
func TestNamesrvSIGTERM(t *testing.T) {
	dir := t.TempDir()
	ports := filepath.Join(dir, "ports")
	cmd := exec.Command(os.Args[0], "namesrv", "--listen", "127.0.0.1:0", "--ports-file", ports)
	cmd.Env = append(os.Environ(), "MQ_TEST_RUN_MAIN=1", "HOME="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(ports); err == nil && len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("namesrv did not write its ports file; stderr:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopWithSIGTERM(t, cmd, &stderr)
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("no clean-stop log line:\n%s", stderr.String())
	}
}

// stopWithSIGTERM sends SIGTERM to a child mq and fails unless it exits 0 within 15 s.
func stopWithSIGTERM(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("mq did not stop within 15 s of SIGTERM; stderr:\n%s", stderr.String())
	}
}
