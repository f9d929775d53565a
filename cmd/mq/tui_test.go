package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTUIFlags(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		args    []string
		want    tuiOptions
		wantErr string
	}{
		{name: "flags=defaults", args: []string{"-n", "127.0.0.1:9876"},
			want: tuiOptions{adminFlags: adminFlags{Namesrv: "127.0.0.1:9876"}, refresh: 2 * time.Second, browseN: 50}},
		{name: "flags=all", args: []string{"-n", "a:1;b:2", "--refresh", "5s", "--log-file", "/tmp/x.log", "--browse", "7"},
			want: tuiOptions{adminFlags: adminFlags{Namesrv: "a:1;b:2"}, refresh: 5 * time.Second, logFile: "/tmp/x.log", browseN: 7}},
		{name: "flags=env", env: "10.0.0.1:9876", args: nil,
			want: tuiOptions{adminFlags: adminFlags{Namesrv: "10.0.0.1:9876"}, refresh: 2 * time.Second, browseN: 50}},
		{name: "flags=readonly", args: []string{"-n", "x:1", "--readonly"},
			want: tuiOptions{adminFlags: adminFlags{Namesrv: "x:1"}, refresh: 2 * time.Second, browseN: 50, readOnly: true}},
		{name: "flags=read-only-spelling", args: []string{"-n", "x:1", "--read-only"},
			want: tuiOptions{adminFlags: adminFlags{Namesrv: "x:1"}, refresh: 2 * time.Second, browseN: 50, readOnly: true}},
		{name: "flags=negative-refresh", args: []string{"-n", "x:1", "--refresh", "-1s"}, wantErr: "--refresh"},
		{name: "flags=extra-arg", args: []string{"-n", "x:1", "topics"}, wantErr: "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NAMESRV_ADDR", tt.env)
			t.Setenv("MQ_CONTEXT", "")
			t.Setenv("HOME", t.TempDir())
			t.Setenv("XDG_CONFIG_HOME", t.TempDir())
			var got *tuiOptions
			var out bytes.Buffer
			cmd := newTUICmd(IOStreams{Out: &out, ErrOut: &out}, func(_ context.Context, o *tuiOptions, _ IOStreams) error {
				got = o
				return nil
			})
			cmd.SetArgs(tt.args)
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.adminFlags.Timeout = 0
			if got.Namesrv != tt.want.Namesrv || got.refresh != tt.want.refresh || got.logFile != tt.want.logFile || got.browseN != tt.want.browseN ||
				got.readOnly != tt.want.readOnly {
				t.Errorf("options %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestTUINoNameserverIsUsageError(t *testing.T) {
	t.Setenv("NAMESRV_ADDR", "")
	t.Setenv("MQ_CONTEXT", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	cmd := newTUICmd(IOStreams{}, func(context.Context, *tuiOptions, IOStreams) error { t.Fatal("ran"); return nil })
	cmd.SetArgs(nil)
	err := cmd.Execute()
	var ue *usageError
	if !errors.As(err, &ue) {
		t.Fatalf("err %v, want a usage error", err)
	}
}

func TestTUILogPath(t *testing.T) {
	if p, _ := tuiLogPath("/x/y.log"); p != "/x/y.log" {
		t.Errorf("flag path: %s", p)
	}
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if p, err := tuiLogPath(""); err != nil || p != filepath.Join("/cache", "mq", "tui.log") {
		t.Errorf("default path %s, %v", p, err)
	}
}

// TestTUIReadOnlyContext: a read-only context reaches the TUI (which then refuses changes).
func TestTUIReadOnlyContext(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("current: prod\ncontexts:\n- name: prod\n  nameservers: 10.0.0.1:9876\n  readOnly: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MQ_CONFIG", cfg)
	t.Setenv("NAMESRV_ADDR", "")
	t.Setenv("MQ_CONTEXT", "")
	var got *tuiOptions
	cmd := newTUICmd(IOStreams{}, func(_ context.Context, o *tuiOptions, _ IOStreams) error { got = o; return nil })
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if r := got.resolved; r.Context != "prod" || !r.ReadOnly || r.NameServers != "10.0.0.1:9876" {
		t.Errorf("resolved %+v, want the read-only context prod", r)
	}
}
