package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// noOutputCommands print no data: servers, the TUI, shell completion and the context edits
// (each prints one confirmation line).
var noOutputCommands = []string{"namesrv", "broker", "standalone", "tui", "ctx add", "ctx use", "ctx remove",
	"completion", "completion bash", "completion zsh", "completion fish", "completion powershell", "help"}

// TestFlagsMeanOneThing: every command that prints data has -o table|wide|json|yaml|jsonl
// (--output only under `mq admin`, where -o is mqadmin's), and -q is --quiet wherever it
// exists.
func TestFlagsMeanOneThing(t *testing.T) {
	root := newRootCmd(IOStreams{})
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	walkCommands(root, func(c *cobra.Command) {
		if !c.Runnable() || c == root {
			return
		}
		name := commandName(c)
		mqadmin := c.Parent() != nil && c.Parent().Name() == "admin"
		out := c.Flags().Lookup("output")
		switch {
		case slices.Contains(noOutputCommands, name):
		case out == nil:
			t.Errorf("%s has no --output", name)
		case mqadmin && out.Shorthand != "":
			t.Errorf("%s: --output has the short flag -%s; under mq admin short flags are mqadmin's", name, out.Shorthand)
		case !mqadmin && out.Shorthand != "o":
			t.Errorf("%s: --output is not -o", name)
		}
		if q := c.Flags().ShorthandLookup("q"); q != nil && !mqadmin && q.Name != "quiet" {
			t.Errorf("%s: -q is --%s, want --quiet", name, q.Name)
		}
		if f := c.Flags().Lookup("quiet"); f != nil && !mqadmin && f.Shorthand != "q" {
			t.Errorf("%s: --quiet has no -q", name)
		}
	})
}

// TestRenderColour: tables are coloured only on a terminal, and not when NO_COLOR is set and
// not empty (no-color.org).
func TestRenderColour(t *testing.T) {
	tbl := func() table { t := table{header: []string{"A"}}; t.add("x"); return t }
	for _, tc := range []struct {
		name    string
		tty     bool
		noColor string
		want    bool
	}{
		{"tty", true, "", true},
		{"tty,NO_COLOR=1", true, "1", false},
		{"pipe", false, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", tc.noColor)
			s, out, _ := cmdutil.Test()
			s.SetTTY(false, tc.tty, false)
			if err := render(s, formatTable, nil, tbl); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(out.String(), "\x1b["); got != tc.want {
				t.Fatalf("colour %v, want %v: %q", got, tc.want, out.String())
			}
		})
	}
}
