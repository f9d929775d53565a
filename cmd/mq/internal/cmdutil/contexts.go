package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// Contexts: named clusters in <user config dir>/mq/config.yaml (or $MQ_CONFIG), chosen with
// `mq ctx use`, --context or $MQ_CONTEXT. -n and $NAMESRV_ADDR win over them: with either,
// no context is used unless --context names one.

// ClusterContext is one named cluster.
type ClusterContext struct {
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

// Config is config.yaml.
type Config struct {
	Current  string           `yaml:"current,omitempty"`
	Contexts []ClusterContext `yaml:"contexts"`
}

// ConfigPath is $MQ_CONFIG, else <user config dir>/mq/config.yaml.
func ConfigPath() (string, error) {
	if p := os.Getenv("MQ_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("config dir: %w", err)
	}
	return filepath.Join(dir, "mq", "config.yaml"), nil
}

// LoadConfig reads the config file; a missing file is an empty config. It returns the path.
func LoadConfig() (Config, string, error) {
	var c Config
	p, err := ConfigPath()
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

// SaveConfig writes c to p atomically, readable by the user only (it may hold a secret key).
func SaveConfig(p string, c Config) error {
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
	return os.Rename(tmp.Name(), p) // CreateTemp made it 0600
}

// Find returns the index of the named context, or -1.
func (c *Config) Find(name string) int {
	for i, x := range c.Contexts {
		if x.Name == name {
			return i
		}
	}
	return -1
}
