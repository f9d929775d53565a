package acl

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/mq-project/mq/remoting"
)

// uniqueKeyQuery is MixAll.UNIQUE_MSG_QUERY_FLAG, which Apache leaves out of the signature.
const uniqueKeyQuery = "_UNIQUE_KEY_QUERY"

// Table is a compiled accounts file: what Check consults.
type Table struct {
	file     File
	global   []matcher
	accounts map[string]*account
}

type account struct {
	Account
	white     matcher
	topicPerm Perm
	groupPerm Perm
	perms     map[string]Perm // topics by name, groups as %RETRY%<group>
	hasPerms  bool
}

// Compile checks f and builds its Table.
func Compile(f File) (*Table, error) {
	t := &Table{file: f, accounts: make(map[string]*account, len(f.Accounts))}
	var errs []error
	for _, a := range f.GlobalWhiteRemoteAddresses {
		m, err := compileAddr(a)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: globalWhiteRemoteAddresses: %v", ErrConfig, err))
			continue
		}
		t.global = append(t.global, m)
	}
	for _, a := range f.Accounts {
		if msgs := CheckAccount(a); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%w: account %q: %s", ErrConfig, a.AccessKey, strings.Join(msgs, "; ")))
			continue
		}
		if _, dup := t.accounts[a.AccessKey]; dup {
			errs = append(errs, fmt.Errorf("%w: accessKey %q is defined twice", ErrConfig, a.AccessKey))
			continue
		}
		white, _ := compileAddr(a.WhiteRemoteAddress)
		ac := &account{Account: a, white: white, topicPerm: Deny, groupPerm: Deny, perms: map[string]Perm{}}
		if a.DefaultTopicPerm != "" {
			ac.topicPerm, _ = ParsePerm(a.DefaultTopicPerm)
		}
		if a.DefaultGroupPerm != "" {
			ac.groupPerm, _ = ParsePerm(a.DefaultGroupPerm)
		}
		for _, e := range a.TopicPerms {
			name, p, _ := splitResourcePerm(e)
			ac.perms[name] = p
		}
		for _, e := range a.GroupPerms {
			name, p, _ := splitResourcePerm(e)
			ac.perms[RetryGroupPrefix+name] = p
		}
		ac.hasPerms = len(a.TopicPerms)+len(a.GroupPerms) > 0
		t.accounts[a.AccessKey] = ac
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

// File returns the accounts the table was built from.
func (t *Table) File() File {
	f := t.file
	f.GlobalWhiteRemoteAddresses = append([]string(nil), f.GlobalWhiteRemoteAddresses...)
	f.Accounts = append([]Account(nil), f.Accounts...)
	return f
}

// Need is what a request needs: an admin account, and permissions on resources.
type Need struct {
	Admin     bool
	Resources []Resource
}

// Refusal kinds.
var (
	// ErrAuthentication is wrapped when a request has no valid account or signature.
	ErrAuthentication = errors.New("acl: authentication failed")
	// ErrPermission is wrapped when a signed request lacks a right.
	ErrPermission = errors.New("acl: no permission")
)

// Decision is who Check found and why it allowed the request.
type Decision struct {
	AccessKey string // "" when a global white address allowed it without a key
	Admin     bool
}

// Check decides req from remote (PlainPermissionManager.validate). The error wraps
// ErrAuthentication or ErrPermission and names the missing right.
func (t *Table) Check(req *remoting.Command, remote netip.Addr, need Need) (Decision, error) {
	remote = remote.Unmap()
	ak := req.Ext(remoting.ExtAccessKey)
	for _, m := range t.global {
		if m.match(remote) {
			return Decision{AccessKey: ak}, nil
		}
	}
	if ak == "" {
		return Decision{}, fmt.Errorf("%w: no accessKey is configured", ErrAuthentication)
	}
	ac, ok := t.accounts[ak]
	if !ok {
		return Decision{}, fmt.Errorf("%w: no acl config for %s", ErrAuthentication, ak)
	}
	d := Decision{AccessKey: ak, Admin: ac.Admin}
	if ac.white.match(remote) {
		return d, nil
	}
	if !VerifySignature(req, ac.SecretKey) {
		return Decision{}, fmt.Errorf("%w: check signature failed for accessKey=%s", ErrAuthentication, ak)
	}
	if need.Admin && !ac.Admin {
		return d, fmt.Errorf("%w: request code %d needs an admin account, but accessKey=%s is not admin", ErrPermission, req.Code, ak)
	}
	if !ac.hasPerms && ac.Admin {
		return d, nil
	}
	for _, r := range need.Resources {
		owned, listed := ac.perms[r.Name]
		if !listed {
			owned = ac.topicPerm
			if r.IsGroup() {
				owned = ac.groupPerm
			}
		}
		if !allows(r.Perm, owned) {
			return d, fmt.Errorf("%w: accessKey=%s lacks %s", ErrPermission, ak, r)
		}
	}
	return d, nil
}

// content is what Apache signs: the values of every extField but Signature (and, unless
// withUniq, _UNIQUE_KEY_QUERY) in key order, then the body.
func signature(req *remoting.Command, secretKey string, withUniq bool) string {
	keys := make([]string, 0, len(req.ExtFields))
	for k := range req.ExtFields {
		if k == remoting.ExtSignature || (k == uniqueKeyQuery && !withUniq) {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	mac := hmac.New(sha1.New, []byte(secretKey))
	for _, k := range keys {
		mac.Write([]byte(req.ExtFields[k]))
	}
	mac.Write(req.Body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports whether req's Signature is Apache's signature for secretKey. The
// Go client also signs _UNIQUE_KEY_QUERY when it sends it; that form is accepted too.
func VerifySignature(req *remoting.Command, secretKey string) bool {
	got := req.Ext(remoting.ExtSignature)
	if got == "" {
		return false
	}
	eq := func(want string) bool { return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 }
	if eq(signature(req, secretKey, false)) {
		return true
	}
	_, uniq := req.ExtFields[uniqueKeyQuery]
	return uniq && eq(signature(req, secretKey, true))
}
