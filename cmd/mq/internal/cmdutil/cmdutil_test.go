package cmdutil

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestColorEnabled(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tty     bool
		noColor *string
		want    bool
	}{
		{"tty,no-env", true, nil, true},
		{"tty,NO_COLOR=1", true, ptr("1"), false},
		{"tty,NO_COLOR=empty", true, ptr(""), true}, // no-color.org: present and not empty
		{"pipe,no-env", false, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.noColor != nil {
				t.Setenv("NO_COLOR", *tc.noColor)
			} else {
				t.Setenv("NO_COLOR", "")
				os.Unsetenv("NO_COLOR")
			}
			s, _, _ := Test()
			s.SetTTY(false, tc.tty, false)
			if got := s.ColorEnabled(); got != tc.want {
				t.Errorf("ColorEnabled = %v, want %v", got, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestTerminalRule(t *testing.T) {
	s, _, _ := Test()
	if s.IsStdinTTY() || s.IsStdoutTTY() || s.IsStderrTTY() || s.CanPrompt() {
		t.Fatal("buffers are not terminals")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(w) {
		t.Fatal("a pipe is not a terminal")
	}
	s.SetTTY(true, false, true)
	if !s.CanPrompt() {
		t.Fatal("stdin and stderr terminals: can prompt")
	}
	s.SetTTY(true, true, false)
	if s.CanPrompt() {
		t.Fatal("no terminal to ask on (stderr piped): cannot prompt")
	}
}

// guarded builds a command with admin flags and the given guards, runs Enforce on it after
// parsing args, and returns the error and what was asked.
func guarded(t *testing.T, decl func(*cobra.Command), tty bool, answer string, args ...string) (error, string) {
	t.Helper()
	var f AdminFlags
	var topic string
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	f.Register(cmd, Noun)
	cmd.Flags().StringVarP(&topic, "topic", "t", "", "")
	cmd.Flags().Bool("preview", false, "")
	decl(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	s := IOStreams{In: strings.NewReader(answer), Out: &bytes.Buffer{}, ErrOut: &errOut}
	s.SetTTY(tty, false, tty)
	err := Enforce(cmd, cmd.Flags().Args(), s)
	return err, errOut.String()
}

func writeConfig(t *testing.T, c Config) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	t.Setenv("MQ_CONFIG", p)
	t.Setenv("NAMESRV_ADDR", "")
	t.Setenv("MQ_CONTEXT", "")
	if err := SaveConfig(p, c); err != nil {
		t.Fatal(err)
	}
}

func TestEnforce(t *testing.T) {
	writeConfig(t, Config{Current: "prod", Contexts: []ClusterContext{
		{Name: "prod", NameServers: "10.0.0.1:9876", ReadOnly: true},
		{Name: "dev", NameServers: "127.0.0.1:9876"},
	}})
	confirms := func(c *cobra.Command) { Confirms(c, "delete topic {topic} and {0}") }
	isUsage := func(err error) bool { var ue *UsageError; return errors.As(err, &ue) }

	err, _ := guarded(t, confirms, true, "y\n", "-t", "T", "--yes")
	if !isUsage(err) || !strings.Contains(err.Error(), `refusing to delete topic T and {0}: context "prod" is read-only`) {
		t.Errorf("read-only context: %v", err)
	}
	err, _ = guarded(t, func(c *cobra.Command) { Writes(c, "create topic {topic}") }, false, "", "-t", "T")
	if !isUsage(err) {
		t.Errorf("Writes in a read-only context: %v", err)
	}
	err, _ = guarded(t, func(c *cobra.Command) { Writes(c, "create {topic}"); ReadOnlyWhen(c, "preview") }, false, "", "--preview")
	if err != nil {
		t.Errorf("--preview is a read: %v", err)
	}
	err, _ = guarded(t, func(c *cobra.Command) { WritesWhen(c, "topic", "x") }, false, "")
	if err != nil {
		t.Errorf("WritesWhen without the flag: %v", err)
	}
	err, _ = guarded(t, func(c *cobra.Command) { WritesWhen(c, "topic", "x") }, false, "", "-t", "T")
	if !isUsage(err) {
		t.Errorf("WritesWhen with the flag: %v", err)
	}
	// -n leaves the context out: no read-only.
	err, _ = guarded(t, func(c *cobra.Command) { Writes(c, "x") }, false, "", "-n", "h:1")
	if err != nil {
		t.Errorf("-n: %v", err)
	}

	// A writable context: questions.
	for _, tc := range []struct {
		name, answer string
		tty          bool
		args         []string
		want         func(error) bool
	}{
		{"yes-flag", "", false, []string{"--yes"}, func(err error) bool { return err == nil }},
		{"no-terminal", "y\n", false, nil, isUsage},
		{"answer=y", "y\n", true, nil, func(err error) bool { return err == nil }},
		{"answer=yes", "YES\n", true, nil, func(err error) bool { return err == nil }},
		{"answer=n", "n\n", true, nil, func(err error) bool { return errors.Is(err, ErrNotConfirmed) }},
		{"answer=empty", "\n", true, nil, func(err error) bool { return errors.Is(err, ErrNotConfirmed) }},
	} {
		t.Run("dev,"+tc.name, func(t *testing.T) {
			args := append([]string{"--context", "dev", "-t", "T", "extra"}, tc.args...)
			err, asked := guarded(t, confirms, tc.tty, tc.answer, args...)
			if !tc.want(err) {
				t.Fatalf("err %v", err)
			}
			if tc.tty && !strings.Contains(asked, "delete topic T and extra? [y/N]") {
				t.Errorf("asked %q", asked)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	writeConfig(t, Config{Current: "prod", Contexts: []ClusterContext{
		{Name: "prod", NameServers: "10.0.0.1:9876", AccessKey: "ak", SecretKey: "sk", ReadOnly: true}}})
	for _, tc := range []struct {
		name    string
		f       AdminFlags
		ns, ctx string
		ak      string
		ro      bool
		usage   bool
	}{
		{name: "current", f: AdminFlags{}, ns: "10.0.0.1:9876", ctx: "prod", ak: "ak", ro: true},
		{name: "-n-wins", f: AdminFlags{Namesrv: "h:1"}, ns: "h:1"},
		{name: "-n-and-context", f: AdminFlags{Namesrv: "h:1", Context: "prod"}, ns: "h:1", ctx: "prod", ak: "ak", ro: true},
		{name: "flag-credentials", f: AdminFlags{Namesrv: "h:1", AccessKey: "k2", SecretKey: "s2"}, ns: "h:1", ak: "k2"},
		{name: "half-credentials", f: AdminFlags{Namesrv: "h:1", AccessKey: "k2"}, usage: true},
		{name: "unknown-context", f: AdminFlags{Context: "nope"}, usage: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.f.Resolve()
			if tc.usage {
				var ue *UsageError
				if !errors.As(err, &ue) {
					t.Fatalf("err %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ak := ""
			if r.Credentials != nil {
				ak = r.Credentials.AccessKey
			}
			if r.NameServers != tc.ns || r.Context != tc.ctx || ak != tc.ak || r.ReadOnly != tc.ro {
				t.Errorf("resolved %+v (ak %q)", r, ak)
			}
		})
	}
	if _, err := (&AdminFlags{Output: "xml", Namesrv: "h:1"}).Check(); err == nil {
		t.Error("-o xml accepted")
	}
}

// TestEnforceChecksFlagsFirst: a missing required flag is reported as such, before any
// question or read-only refusal.
func TestEnforceChecksFlagsFirst(t *testing.T) {
	writeConfig(t, Config{Current: "dev", Contexts: []ClusterContext{{Name: "dev", NameServers: "h:1"}}})
	err, asked := guarded(t, func(c *cobra.Command) {
		Confirms(c, "delete {topic}")
		_ = c.MarkFlagRequired("topic")
	}, true, "y\n")
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `required flag(s) "topic" not set`) || asked != "" {
		t.Fatalf("err %v, asked %q", err, asked)
	}
}
