package main

import (
	"slices"
	"testing"

	"github.com/spf13/cobra"
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
