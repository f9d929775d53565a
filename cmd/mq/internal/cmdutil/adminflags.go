package cmdutil

import (
	"crypto/tls"
	"errors"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/remoting"
)

// Output formats (-o).
const (
	FormatTable = "table"
	FormatWide  = "wide"
	FormatJSON  = "json"
	FormatYAML  = "yaml"
	FormatJSONL = "jsonl"
)

// OutputFormats lists every format, in the order help shows them.
var OutputFormats = []string{FormatTable, FormatWide, FormatJSON, FormatYAML, FormatJSONL}

// Environment variables the admin flags default from.
const (
	EnvNamesrv   = "NAMESRV_ADDR"
	EnvContext   = "MQ_CONTEXT"
	EnvAccessKey = "MQ_ACCESS_KEY"
	EnvSecretKey = "MQ_SECRET_KEY"
)

// Style says how a command spells the admin flags.
type Style int

const (
	// Noun is the style of mq's own commands: -n/--namesrv, -o/--output, -q/--quiet.
	Noun Style = iota
	// Mqadmin is the style of `mq admin <mqadminCommand>`: -n/--namesrvAddr, and --output and
	// --quiet without short letters (mqadmin uses -o and -q for other things).
	Mqadmin
)

// AdminFlags are the flags every command that talks to a cluster has: where the nameservers
// are, who we are, how to print, how long to wait.
type AdminFlags struct {
	Namesrv   string
	Context   string
	AccessKey string
	SecretKey string
	// TLS connects with TLS (also when the context says so); TLSCA verifies the servers.
	TLS     bool
	TLSCA   string
	Output  string
	Timeout time.Duration
	// Quiet turns progress output off (bars are drawn only on a terminal anyway).
	Quiet bool
}

// Register declares every admin flag on cmd: the connection flags, -o and -q.
func (f *AdminFlags) Register(cmd *cobra.Command, style Style) {
	f.RegisterConnection(cmd, style)
	f.RegisterOutput(cmd, style)
	f.RegisterQuiet(cmd, style)
}

// RegisterConnection declares -n, --context, --access-key, --secret-key, --tls, --tls-ca and
// --timeout.
func (f *AdminFlags) RegisterConnection(cmd *cobra.Command, style Style) {
	fs := cmd.Flags()
	ns := "namesrv"
	if style == Mqadmin {
		ns = "namesrvAddr"
	}
	fs.StringVarP(&f.Namesrv, ns, "n", os.Getenv(EnvNamesrv), "nameserver addresses, ';'-separated (default $NAMESRV_ADDR)")
	fs.StringVar(&f.Context, "context", os.Getenv(EnvContext), "use this context of mq ctx (default: the current one; -n wins)")
	fs.StringVar(&f.AccessKey, "access-key", os.Getenv(EnvAccessKey), "ACL access key (default $MQ_ACCESS_KEY, else the context's)")
	fs.StringVar(&f.SecretKey, "secret-key", os.Getenv(EnvSecretKey), "ACL secret key (default $MQ_SECRET_KEY, else the context's)")
	fs.BoolVar(&f.TLS, "tls", false, "connect with TLS (default: the context's setting)")
	fs.StringVar(&f.TLSCA, "tls-ca", "", "CA file that verifies the servers with TLS (default: the context's; none: not verified)")
	fs.DurationVar(&f.Timeout, "timeout", admin.DefaultTimeout, "timeout of each request to a server")
	_ = cmd.RegisterFlagCompletionFunc("context", CompleteContexts)
}

// RegisterOutput declares -o/--output (--output only in the Mqadmin style).
func (f *AdminFlags) RegisterOutput(cmd *cobra.Command, style Style) {
	RegisterOutput(cmd, &f.Output, style)
}

// RegisterOutput declares -o/--output on a command without admin flags (version).
func RegisterOutput(cmd *cobra.Command, p *string, style Style) {
	short := "o"
	if style == Mqadmin {
		short = ""
	}
	cmd.Flags().StringVarP(p, "output", short, FormatTable, "output format: "+strings.Join(OutputFormats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return OutputFormats, cobra.ShellCompDirectiveNoFileComp
	})
}

// RegisterQuiet declares -q/--quiet (--quiet only in the Mqadmin style).
func (f *AdminFlags) RegisterQuiet(cmd *cobra.Command, style Style) {
	short := "q"
	if style == Mqadmin {
		short = ""
	}
	cmd.Flags().BoolVarP(&f.Quiet, "quiet", short, false, "no progress output on stderr")
}

// CheckOutput validates an -o value; its error is a usage error.
func CheckOutput(format string) error {
	if !slices.Contains(OutputFormats, format) {
		return Usagef("-o %q: want one of %s", format, strings.Join(OutputFormats, ", "))
	}
	return nil
}

// Resolved is where an admin command goes and what it may do.
type Resolved struct {
	NameServers string
	Credentials *remoting.Credentials
	// TLS is the client TLS of --tls or the context (nil: plain connections).
	TLS *tls.Config
	// Context is the name of the context used, "" when none.
	Context  string
	ReadOnly bool

	tlsContext ClusterContext // the context's TLS settings
}

// Resolve picks the nameservers: -n/$NAMESRV_ADDR when set (and no --context), else the
// named or current context. --access-key/--secret-key win over the context's credentials.
func (f *AdminFlags) Resolve() (Resolved, error) {
	r, err := f.resolveContext()
	if err != nil {
		return r, err
	}
	if f.AccessKey != "" || f.SecretKey != "" {
		if f.AccessKey == "" || f.SecretKey == "" {
			return r, Usagef("--access-key and --secret-key go together")
		}
		r.Credentials = &remoting.Credentials{AccessKey: f.AccessKey, SecretKey: f.SecretKey}
	}
	x := r.tlsContext
	if f.TLS {
		x.TLS = true
	}
	if f.TLSCA != "" {
		x.TLSCAFile = f.TLSCA
	}
	if x.TLS {
		if r.TLS, err = remoting.ClientTLS(x.TLSCAFile, x.TLSCertFile, x.TLSKeyFile); err != nil {
			return r, err
		}
	}
	return r, nil
}

func (f *AdminFlags) resolveContext() (Resolved, error) {
	if f.Namesrv != "" && f.Context == "" {
		return Resolved{NameServers: f.Namesrv}, nil
	}
	c, p, err := LoadConfig()
	if err != nil {
		return Resolved{}, err
	}
	name := f.Context
	if name == "" {
		name = c.Current
	}
	if name == "" {
		return Resolved{NameServers: f.Namesrv}, nil
	}
	i := c.Find(name)
	if i < 0 {
		return Resolved{}, Usagef("context %q is not in %s (see mq ctx list)", name, p)
	}
	x := c.Contexts[i]
	r := Resolved{NameServers: x.NameServers, Context: x.Name, ReadOnly: x.ReadOnly, tlsContext: x}
	if f.Namesrv != "" {
		r.NameServers = f.Namesrv
	}
	if x.AccessKey != "" {
		r.Credentials = &remoting.Credentials{AccessKey: x.AccessKey, SecretKey: x.SecretKey}
	}
	return r, nil
}

// ErrNoNameserver is the usage error of a command that has nowhere to go.
var ErrNoNameserver = errors.New("no nameserver: pass -n host:port, set NAMESRV_ADDR or add a context (mq ctx add)")

// Check validates the flags (an -o value, when the command has -o) and resolves them, with
// at least one nameserver; its errors are usage errors.
func (f *AdminFlags) Check() (Resolved, error) { return f.check(true) }

func (f *AdminFlags) check(needNamesrv bool) (Resolved, error) {
	if f.Output != "" {
		if err := CheckOutput(f.Output); err != nil {
			return Resolved{}, err
		}
	}
	r, err := f.Resolve()
	if err != nil {
		return r, err
	}
	if needNamesrv && len(admin.SplitAddrs(r.NameServers)) == 0 {
		return r, &UsageError{ErrNoNameserver}
	}
	return r, nil
}

// AdminOptions checks the flags and returns the options of an admin.Admin for them.
func (f *AdminFlags) AdminOptions() (admin.Options, error) { return f.adminOptions(true) }

func (f *AdminFlags) adminOptions(needNamesrv bool) (admin.Options, error) {
	r, err := f.check(needNamesrv)
	if err != nil {
		return admin.Options{}, err
	}
	ns := admin.SplitAddrs(r.NameServers)
	return admin.Options{NameServers: ns, Timeout: f.Timeout, Credentials: r.Credentials, TLS: r.TLS, BrokersOnly: len(ns) == 0}, nil
}

// Open checks the flags and returns an Admin; the caller closes it.
func (f *AdminFlags) Open() (*admin.Admin, error) {
	o, err := f.AdminOptions()
	if err != nil {
		return nil, err
	}
	return admin.New(o)
}

// OpenDirect is Open for a command aimed at a broker address (-b): nameservers are used when
// given (to name the broker) but not needed.
func (f *AdminFlags) OpenDirect() (*admin.Admin, error) {
	o, err := f.adminOptions(false)
	if err != nil {
		return nil, err
	}
	return admin.New(o)
}

// FromCommand reads the admin flags cmd has parsed (for the guards and shell completion,
// which run outside the command's own options). It returns nil when cmd has no -n flag.
func FromCommand(cmd *cobra.Command) *AdminFlags {
	fs := cmd.Flags()
	ns := fs.ShorthandLookup("n")
	if ns == nil {
		return nil
	}
	f := &AdminFlags{Namesrv: ns.Value.String(), Timeout: admin.DefaultTimeout}
	str := func(name string) string {
		if fl := fs.Lookup(name); fl != nil {
			return fl.Value.String()
		}
		return ""
	}
	f.Context, f.AccessKey, f.SecretKey = str("context"), str("access-key"), str("secret-key")
	f.TLS, f.TLSCA = str("tls") == "true", str("tls-ca")
	if d, err := time.ParseDuration(str("timeout")); err == nil {
		f.Timeout = d
	}
	return f
}

// CompleteContexts completes context names.
func CompleteContexts(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	c, _, err := LoadConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, x := range c.Contexts {
		out = append(out, x.Name)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
