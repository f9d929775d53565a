package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/mq-project/mq/remoting"
)

// Contexts: named clusters in <user config dir>/mq/config.yaml (or $MQ_CONFIG), chosen with
// `mq ctx use`, --context or $MQ_CONTEXT. -n and $NAMESRV_ADDR win over them: with either,
// no context is used unless --context names one.

// mqContext is one named cluster.
type mqContext struct {
	Name        string `yaml:"name" json:"name"`
	NameServers string `yaml:"nameservers" json:"nameservers"`
	AccessKey   string `yaml:"accessKey,omitempty" json:"accessKey,omitempty"`
	SecretKey   string `yaml:"secretKey,omitempty" json:"-"`
	ReadOnly    bool   `yaml:"readOnly,omitempty" json:"readOnly"`
	// TLS connects with TLS; TLSCAFile verifies the servers (empty: not verified);
	// TLSCertFile and TLSKeyFile are a client certificate.
	TLS         bool   `yaml:"tls,omitempty" json:"tls,omitempty"`
	TLSCAFile   string `yaml:"tlsCAFile,omitempty" json:"tlsCAFile,omitempty"`
	TLSCertFile string `yaml:"tlsCertFile,omitempty" json:"tlsCertFile,omitempty"`
	TLSKeyFile  string `yaml:"tlsKeyFile,omitempty" json:"tlsKeyFile,omitempty"`
}

// mqConfig is config.yaml.
type mqConfig struct {
	Current  string      `yaml:"current,omitempty"`
	Contexts []mqContext `yaml:"contexts"`
}

func configPath() (string, error) {
	if p := os.Getenv("MQ_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("config dir: %w", err)
	}
	return filepath.Join(dir, "mq", "config.yaml"), nil
}

func loadConfig() (mqConfig, string, error) {
	var c mqConfig
	p, err := configPath()
	if err != nil {
		return c, "", err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return c, p, nil
	}
	if err != nil {
		return c, p, err
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		return c, p, fmt.Errorf("%s: %w", p, err)
	}
	return c, p, nil
}

func saveConfig(p string, c mqConfig) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".config-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p) // CreateTemp made it 0600: it may hold a secret key
}

func (c *mqConfig) find(name string) int {
	for i, x := range c.Contexts {
		if x.Name == name {
			return i
		}
	}
	return -1
}

// resolved is where an admin command goes and what it may do.
type resolved struct {
	nameservers string
	creds       *remoting.Credentials
	tls         *tls.Config
	context     string
	readOnly    bool
}

// resolve picks the nameservers: -n/$NAMESRV_ADDR when set (and no --context), else the
// named or current context.
func (f *adminFlags) resolve() (resolved, error) {
	r, x, err := f.resolveContext()
	if err != nil {
		return r, err
	}
	if f.accessKey != "" {
		r.creds = &remoting.Credentials{AccessKey: f.accessKey, SecretKey: f.secretKey}
	}
	if f.tls {
		x.TLS = true
	}
	if f.tlsCA != "" {
		x.TLSCAFile = f.tlsCA
	}
	if x.TLS {
		if r.tls, err = remoting.ClientTLS(x.TLSCAFile, x.TLSCertFile, x.TLSKeyFile); err != nil {
			return r, err
		}
	}
	return r, nil
}

func (f *adminFlags) resolveContext() (resolved, mqContext, error) {
	if f.namesrv != "" && f.context == "" {
		return resolved{nameservers: f.namesrv}, mqContext{}, nil
	}
	c, p, err := loadConfig()
	if err != nil {
		return resolved{}, mqContext{}, err
	}
	name := f.context
	if name == "" {
		name = c.Current
	}
	if name == "" {
		return resolved{}, mqContext{}, nil
	}
	i := c.find(name)
	if i < 0 {
		return resolved{}, mqContext{}, &usageError{fmt.Errorf("context %q is not in %s (see mq ctx list)", name, p)}
	}
	x := c.Contexts[i]
	r := resolved{nameservers: x.NameServers, context: x.Name, readOnly: x.ReadOnly}
	if f.namesrv != "" {
		r.nameservers = f.namesrv
	}
	if x.AccessKey != "" {
		r.creds = &remoting.Credentials{AccessKey: x.AccessKey, SecretKey: x.SecretKey}
	}
	return r, x, nil
}

// confirmFlags is --yes.
type confirmFlags struct{ yes bool }

func addConfirmFlags(cmd *cobra.Command, c *confirmFlags) {
	cmd.Flags().BoolVarP(&c.yes, "yes", "y", false, "do not ask for confirmation")
}

// guard refuses a destructive command in a read-only context and, when ask is set and --yes
// is not, asks on a terminal; without a terminal it refuses (exit 2).
func guard(streams IOStreams, f *adminFlags, c *confirmFlags, ask bool, what string) error {
	r, err := f.resolve()
	if err != nil {
		return err
	}
	if r.readOnly {
		return &usageError{fmt.Errorf("refusing to %s: context %q is read-only", what, r.context)}
	}
	if !ask || (c != nil && c.yes) {
		return nil
	}
	in, ok := streams.In.(*os.File)
	if !ok || !isatty.IsTerminal(in.Fd()) {
		return &usageError{fmt.Errorf("refusing to %s without confirmation: no terminal to ask on; pass --yes", what)}
	}
	fmt.Fprintf(streams.ErrOut, "%s? [y/N] ", what)
	line, _ := bufio.NewReader(streams.In).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errors.New("not confirmed")
}

// confirm is guard for the noun-verb commands: it asks.
func confirm(streams IOStreams, f *adminFlags, c *confirmFlags, what string) error {
	return guard(streams, f, c, true, what)
}

// --- mq ctx

func newCtxCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ctx",
		Short: "Named clusters (nameservers, credentials, read-only) in the user's config",
		Long: `Contexts name clusters: nameserver list, ACL credentials and a read-only flag, kept in
<user config dir>/mq/config.yaml ($MQ_CONFIG overrides the path). Admin commands use the
current context (mq ctx use), or --context / $MQ_CONTEXT; -n and $NAMESRV_ADDR win over it.
In a read-only context destructive commands refuse to run.`,
		Args: cobra.NoArgs,
	}
	var ro bool
	var ak, sk string
	var tlsCtx mqContext
	add := &cobra.Command{
		Use:     "add NAME NAMESRV",
		Short:   "Add or replace a context",
		Example: `  mq ctx add prod "10.0.0.1:9876;10.0.0.2:9876" --read-only`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, p, err := loadConfig()
			if err != nil {
				return err
			}
			x := mqContext{Name: args[0], NameServers: args[1], AccessKey: ak, SecretKey: sk, ReadOnly: ro,
				TLS: tlsCtx.TLS, TLSCAFile: tlsCtx.TLSCAFile, TLSCertFile: tlsCtx.TLSCertFile, TLSKeyFile: tlsCtx.TLSKeyFile}
			if i := c.find(args[0]); i >= 0 {
				c.Contexts[i] = x
			} else {
				c.Contexts = append(c.Contexts, x)
			}
			if c.Current == "" {
				c.Current = x.Name
			}
			if err := saveConfig(p, c); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "context %s saved in %s\n", x.Name, p)
			return nil
		},
	}
	add.Flags().BoolVar(&ro, "read-only", false, "refuse destructive commands in this context")
	add.Flags().StringVar(&ak, "access-key", "", "ACL access key")
	add.Flags().StringVar(&sk, "secret-key", "", "ACL secret key")
	add.Flags().BoolVar(&tlsCtx.TLS, "tls", false, "connect with TLS")
	add.Flags().StringVar(&tlsCtx.TLSCAFile, "tls-ca", "", "CA file that verifies the servers (default: not verified)")
	add.Flags().StringVar(&tlsCtx.TLSCertFile, "tls-cert", "", "client certificate (PEM), for servers that require one")
	add.Flags().StringVar(&tlsCtx.TLSKeyFile, "tls-key", "", "client key (PEM)")
	use := &cobra.Command{
		Use:   "use NAME",
		Short: "Make a context the current one",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, p, err := loadConfig()
			if err != nil {
				return err
			}
			if c.find(args[0]) < 0 {
				return fmt.Errorf("no context %q (see mq ctx list)", args[0])
			}
			c.Current = args[0]
			if err := saveConfig(p, c); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "current context: %s\n", args[0])
			return nil
		},
		ValidArgsFunction: completeContexts,
	}
	var output string
	list := &cobra.Command{
		Use:   "list",
		Short: "List contexts; * marks the current one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := loadConfig()
			if err != nil {
				return err
			}
			type row struct {
				mqContext
				Current bool `json:"current"`
			}
			rows := []row{}
			for _, x := range c.Contexts {
				rows = append(rows, row{x, x.Name == c.Current})
			}
			return render(streams, output, rows, func() table {
				t := table{header: []string{"CURRENT", "NAME", "NAMESERVERS", "READ-ONLY", "ACCESS-KEY"}}
				for _, r := range rows {
					cur := ""
					if r.Current {
						cur = "*"
					}
					t.add(cur, r.Name, r.NameServers, strconv.FormatBool(r.ReadOnly), r.AccessKey)
				}
				return t
			})
		},
	}
	list.Flags().StringVarP(&output, "output", "o", formatTable, "output format: "+strings.Join(outputFormats, "|"))
	remove := &cobra.Command{
		Use:     "remove NAME",
		Aliases: []string{"rm"},
		Short:   "Remove a context",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, p, err := loadConfig()
			if err != nil {
				return err
			}
			i := c.find(args[0])
			if i < 0 {
				return fmt.Errorf("no context %q", args[0])
			}
			c.Contexts = append(c.Contexts[:i], c.Contexts[i+1:]...)
			if c.Current == args[0] {
				c.Current = ""
			}
			return saveConfig(p, c)
		},
		ValidArgsFunction: completeContexts,
	}
	cmd.AddCommand(add, use, list, remove)
	return cmd
}

func completeContexts(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	c, _, err := loadConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, x := range c.Contexts {
		out = append(out, x.Name)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
