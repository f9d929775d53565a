// Package cmdutil is the spine every mq command shares: the IOStreams with one terminal rule
// (IsTTY, ColorEnabled, CanPrompt), the admin flags (-n, --context, --access-key/--secret-key,
// -o, --timeout, -q) declared once, the named contexts of the user's config file, and the
// read-only and confirmation guards, declared as command annotations and enforced once by the
// root command before any RunE.
//
// # Terminal rule
//
// A stream is a terminal when it is an *os.File on a TTY (or a Cygwin pty) and TERM is not
// "dumb". Colour is on when stdout is a terminal and NO_COLOR is absent or empty
// (https://no-color.org). A command may prompt when stdin and stderr are terminals (the
// question goes to stderr, so stdout can be piped).
//
// # Guards
//
//	Writes(cmd, what)    refused in a read-only context (exit 2)
//	Confirms(cmd, what)  Writes, and asks "what? [y/N]" unless --yes; without a terminal to
//	                     ask on it refuses (exit 2)
//	ReadOnlyWhen(cmd, f) the bool flag f (e.g. --preview) makes the command read-only
//
// what may name flags in braces ("delete topic {topic} from cluster {cluster}"), filled in
// from the parsed flags when the question is asked.
package cmdutil
