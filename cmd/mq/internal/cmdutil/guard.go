package cmdutil

import (
	"bufio"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// Annotation keys of the guards (see the package doc).
const (
	AnnotWrites       = "mq.writes"
	AnnotConfirm      = "mq.confirm"
	AnnotReadOnlyWhen = "mq.readOnlyWhen"
	AnnotWritesWhen   = "mq.writesWhen"
)

// ErrNotConfirmed is returned when the user answers anything but yes.
var ErrNotConfirmed = errors.New("not confirmed")

func annotate(cmd *cobra.Command, key, value string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[key] = value
}

// Writes marks cmd as changing the cluster: a read-only context refuses it. what describes
// the change ("create topic {topic}").
func Writes(cmd *cobra.Command, what string) { annotate(cmd, AnnotWrites, what) }

// Confirms marks cmd as destructive: Writes, plus a question unless --yes, which it declares.
func Confirms(cmd *cobra.Command, what string) {
	Writes(cmd, what)
	annotate(cmd, AnnotConfirm, what)
	cmd.Flags().BoolP("yes", "y", false, "do not ask for confirmation")
}

// ReadOnlyWhen names a bool flag that makes cmd read-only when set (--preview): the guards
// then let it run.
func ReadOnlyWhen(cmd *cobra.Command, flag string) { annotate(cmd, AnnotReadOnlyWhen, flag) }

// WritesWhen marks cmd as changing the cluster only when flag is set (consume --group
// commits offsets; without it, it only reads).
func WritesWhen(cmd *cobra.Command, flag, what string) {
	Writes(cmd, what)
	annotate(cmd, AnnotWritesWhen, flag)
}

// IsWriter reports whether cmd carries the Writes annotation.
func IsWriter(cmd *cobra.Command) bool {
	_, ok := cmd.Annotations[AnnotWrites]
	return ok
}

var flagRef = regexp.MustCompile(`\{([A-Za-z0-9][A-Za-z0-9-]*)\}`)

// Describe fills in what: {name} with the value of cmd's flag name, {0}, {1} … with the
// positional arguments.
func Describe(cmd *cobra.Command, args []string, what string) string {
	return flagRef.ReplaceAllStringFunc(what, func(m string) string {
		name := m[1 : len(m)-1]
		if i, err := strconv.Atoi(name); err == nil {
			if i < len(args) {
				return args[i]
			}
			return m
		}
		if fl := cmd.Flags().Lookup(name); fl != nil {
			return fl.Value.String()
		}
		return m
	})
}

// Enforce runs the guards cmd declares, before its RunE: a write in a read-only context is
// refused (exit 2); a destructive command asks unless --yes, and refuses (exit 2) when it
// cannot ask. The root command calls it from its PersistentPreRunE, so no command can skip it.
func Enforce(cmd *cobra.Command, args []string, streams IOStreams) error {
	what, writes := cmd.Annotations[AnnotWrites]
	if !writes {
		return nil
	}
	if flag, ok := cmd.Annotations[AnnotWritesWhen]; ok && !cmd.Flags().Changed(flag) {
		return nil
	}
	// Cobra checks required flags and flag groups after the pre-run hooks: check them first,
	// so a missing flag is reported as such rather than asked about.
	if err := cmd.ValidateRequiredFlags(); err != nil {
		return &UsageError{err}
	}
	if err := cmd.ValidateFlagGroups(); err != nil {
		return &UsageError{err}
	}
	if flag, ok := cmd.Annotations[AnnotReadOnlyWhen]; ok {
		if on, err := cmd.Flags().GetBool(flag); err == nil && on {
			return nil
		}
	}
	what = Describe(cmd, args, what)
	if f := FromCommand(cmd); f != nil {
		r, err := f.Resolve()
		if err != nil {
			return err
		}
		if r.ReadOnly {
			return Usagef("refusing to %s: context %q is read-only", what, r.Context)
		}
	}
	if _, ask := cmd.Annotations[AnnotConfirm]; !ask {
		return nil
	}
	if yes, _ := cmd.Flags().GetBool("yes"); yes {
		return nil
	}
	return Confirm(streams, what)
}

// Confirm asks "what? [y/N]" on stderr and reads the answer from stdin; without a terminal
// to ask on it refuses with a usage error.
func Confirm(streams IOStreams, what string) error {
	if !streams.CanPrompt() {
		return Usagef("refusing to %s without confirmation: no terminal to ask on; pass --yes", what)
	}
	fmt.Fprintf(streams.ErrOut, "%s? [y/N] ", what)
	line, _ := bufio.NewReader(streams.In).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return ErrNotConfirmed
}
