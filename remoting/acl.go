package remoting

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"sort"
)

// ACL v1 extFields (AclClientRPCHook.java, SessionCredentials.java).
const (
	ExtAccessKey     = "AccessKey"
	ExtSecurityToken = "SecurityToken"
	ExtSignature     = "Signature"
)

// Credentials sign requests for brokers and nameservers that have aclEnable=true.
type Credentials struct {
	AccessKey     string
	SecretKey     string
	SecurityToken string // optional
}

// Sign adds AccessKey, SecurityToken (when set) and Signature to cmd's extFields.
func (cr Credentials) Sign(cmd *Command) {
	cmd.SetExt(ExtAccessKey, cr.AccessKey)
	if cr.SecurityToken != "" {
		cmd.SetExt(ExtSecurityToken, cr.SecurityToken)
	}
	cmd.SetExt(ExtSignature, Signature(cmd, cr.SecretKey))
}

// Signature is Base64(HMAC-SHA1(secretKey, the values of every extField but Signature in key
// order, then the body)), as Apache's AclUtils.combineRequestContent and AclSigner compute
// it. The Go client computes the same when it sends no SecurityToken.
func Signature(cmd *Command, secretKey string) string {
	keys := make([]string, 0, len(cmd.ExtFields))
	for k := range cmd.ExtFields {
		if k != ExtSignature {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	mac := hmac.New(sha1.New, []byte(secretKey))
	for _, k := range keys {
		mac.Write([]byte(cmd.ExtFields[k]))
	}
	mac.Write(cmd.Body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports whether cmd carries a valid Signature for secretKey.
func VerifySignature(cmd *Command, secretKey string) bool {
	got := cmd.Ext(ExtSignature)
	if got == "" {
		return false
	}
	want := Signature(cmd, secretKey)
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
