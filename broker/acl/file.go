package acl

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MinKeyLength is the shortest accessKey and secretKey Apache accepts (longer than 6,
// AclConstants.ACCESS_KEY_MIN_LENGTH and SECRET_KEY_MIN_LENGTH).
const MinKeyLength = 7

// maxFileSize bounds an accounts file.
const maxFileSize = 4 << 20

// ErrConfig is wrapped by every problem found in an accounts file or account.
var ErrConfig = errors.New("acl: bad config")

// Account is one entry of accounts in plain_acl.yml. The JSON names are those of Apache's
// PlainAccessConfig, which the ACL admin codes carry.
type Account struct {
	AccessKey          string   `yaml:"accessKey" json:"accessKey"`
	SecretKey          string   `yaml:"secretKey" json:"secretKey"`
	WhiteRemoteAddress string   `yaml:"whiteRemoteAddress,omitempty" json:"whiteRemoteAddress,omitempty"`
	Admin              bool     `yaml:"admin" json:"admin"`
	DefaultTopicPerm   string   `yaml:"defaultTopicPerm,omitempty" json:"defaultTopicPerm,omitempty"`
	DefaultGroupPerm   string   `yaml:"defaultGroupPerm,omitempty" json:"defaultGroupPerm,omitempty"`
	TopicPerms         []string `yaml:"topicPerms,omitempty" json:"topicPerms,omitempty"`
	GroupPerms         []string `yaml:"groupPerms,omitempty" json:"groupPerms,omitempty"`
}

// File is the content of plain_acl.yml.
type File struct {
	GlobalWhiteRemoteAddresses []string  `yaml:"globalWhiteRemoteAddresses,omitempty"`
	Accounts                   []Account `yaml:"accounts"`
}

// accountKeys are the keys an account may have (the rest are errors, with their line).
var accountKeys = map[string]bool{
	"accessKey": true, "secretKey": true, "whiteRemoteAddress": true, "admin": true,
	"defaultTopicPerm": true, "defaultGroupPerm": true, "topicPerms": true, "groupPerms": true,
}

// fileKeys are the top-level keys; dataVersion is what Apache's admin codes write.
var fileKeys = map[string]bool{"globalWhiteRemoteAddresses": true, "accounts": true, "dataVersion": true}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// Parse reads an accounts file. name prefixes every error as name:line, and every problem
// is reported (joined), each wrapping ErrConfig.
func Parse(name string, data []byte) (*Table, error) {
	f, err := parseFile(name, data)
	if err != nil {
		return nil, err
	}
	return Compile(f)
}

func parseFile(name string, data []byte) (File, error) {
	var f File
	if len(data) > maxFileSize {
		return f, fmt.Errorf("%w: %s: larger than %d bytes", ErrConfig, name, maxFileSize)
	}
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		if err.Error() == "EOF" {
			return f, nil // an empty file: no accounts
		}
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			return f, fmt.Errorf("%w: %s:%s: %s", ErrConfig, name, m[1], msg[len(m[0]):])
		}
		return f, fmt.Errorf("%w: %s: %s", ErrConfig, name, strings.TrimPrefix(msg, "yaml: "))
	}
	var errs []error
	bad := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s:%d: %s", ErrConfig, name, line, fmt.Sprintf(format, args...)))
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		return f, nil
	}
	if doc.Kind != yaml.MappingNode {
		bad(doc.Line, "want a mapping with globalWhiteRemoteAddresses and accounts")
		return f, errors.Join(errs...)
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if !fileKeys[k.Value] {
			bad(k.Line, "unknown key %q", k.Value)
			continue
		}
		switch k.Value {
		case "globalWhiteRemoteAddresses":
			if err := v.Decode(&f.GlobalWhiteRemoteAddresses); err != nil {
				bad(v.Line, "globalWhiteRemoteAddresses: want a list of address patterns")
				continue
			}
			for j, a := range f.GlobalWhiteRemoteAddresses {
				if _, err := compileAddr(a); err != nil {
					bad(lineOf(v, j), "globalWhiteRemoteAddresses: %v", err)
				}
			}
		case "accounts":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				continue
			}
			if v.Kind != yaml.SequenceNode {
				bad(v.Line, "accounts: want a list")
				continue
			}
			seen := map[string]int{}
			for _, an := range v.Content {
				a, ok := decodeAccount(an, bad)
				if !ok {
					continue
				}
				if first, dup := seen[a.AccessKey]; dup {
					bad(an.Line, "accessKey %q is already defined at line %d", a.AccessKey, first)
					continue
				}
				seen[a.AccessKey] = an.Line
				for _, msg := range CheckAccount(a) {
					bad(an.Line, "account %q: %s", a.AccessKey, msg)
				}
				f.Accounts = append(f.Accounts, a)
			}
		}
	}
	return f, errors.Join(errs...)
}

func lineOf(seq *yaml.Node, i int) int {
	if i < len(seq.Content) {
		return seq.Content[i].Line
	}
	return seq.Line
}

func decodeAccount(n *yaml.Node, bad func(int, string, ...any)) (Account, bool) {
	var a Account
	if n.Kind != yaml.MappingNode {
		bad(n.Line, "an account must be a mapping")
		return a, false
	}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !accountKeys[k.Value] {
			bad(k.Line, "unknown account key %q", k.Value)
			ok = false
		}
	}
	if err := n.Decode(&a); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n")
		bad(n.Line, "%s", strings.TrimSpace(msg))
		return a, false
	}
	return a, ok
}

// CheckAccount returns what is wrong with a (Apache's checkPlainAccessConfig and
// Permission.checkResourcePerms), or nothing.
func CheckAccount(a Account) []string {
	var out []string
	if len(a.AccessKey) < MinKeyLength {
		out = append(out, "accessKey "+strconv.Quote(a.AccessKey)+" must be at least 7 characters")
	}
	if len(a.SecretKey) < MinKeyLength {
		out = append(out, "secretKey must be at least 7 characters")
	}
	if _, err := compileAddr(a.WhiteRemoteAddress); err != nil {
		out = append(out, "whiteRemoteAddress: "+err.Error())
	}
	for _, p := range []struct{ key, v string }{{"defaultTopicPerm", a.DefaultTopicPerm}, {"defaultGroupPerm", a.DefaultGroupPerm}} {
		if _, ok := ParsePerm(p.v); !ok && p.v != "" {
			out = append(out, p.key+" "+strconv.Quote(p.v)+": want PUB, SUB, PUB|SUB or DENY")
		}
	}
	for _, list := range []struct {
		key   string
		perms []string
	}{{"topicPerms", a.TopicPerms}, {"groupPerms", a.GroupPerms}} {
		for _, e := range list.perms {
			if _, _, err := splitResourcePerm(e); err != nil {
				out = append(out, list.key+": "+err.Error())
			}
		}
	}
	return out
}

// splitResourcePerm reads "name=PERM".
func splitResourcePerm(s string) (string, Perm, error) {
	name, perm, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.Contains(perm, "=") {
		return "", 0, fmt.Errorf("%q: want name=PUB|SUB|PUB|SUB|DENY", s)
	}
	p, ok := ParsePerm(perm)
	if !ok {
		return "", 0, fmt.Errorf("%q: permission %q: want PUB, SUB, PUB|SUB or DENY", s, strings.TrimSpace(perm))
	}
	return name, p, nil
}

// Marshal writes f in plain_acl.yml form.
func Marshal(f File) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
