package acl

import (
	"errors"
	"testing"

	"github.com/mq-project/mq/remoting"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("accounts:\n  - {accessKey: abcdefg, secretKey: 1234567, topicPerms: [a=PUB]}\n"))
	f.Add([]byte("globalWhiteRemoteAddresses: ['192.168.1.1-9', '::1', 'a:b:c:d:e:f:1:*']\n"))
	f.Add([]byte("accounts: [[], {}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := Parse("fuzz.yml", data)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error does not wrap ErrConfig: %v", err)
			}
			return
		}
		// Whatever loaded: an unsigned request from outside every white list is refused.
		cmd := remoting.NewRequest(10, nil, nil)
		cmd.SetExt("topic", "t")
		if _, err := tb.Check(cmd, lo, Need{}); err == nil && len(tb.global) == 0 {
			t.Fatal("unsigned request accepted")
		}
		out, err := Marshal(tb.File())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse("again", out); err != nil {
			t.Fatalf("marshalled accounts do not parse: %v\n%s", err, out)
		}
	})
}

func FuzzCheckSignature(f *testing.F) {
	tb, err := Parse("f", []byte("accounts:\n  - {accessKey: account1, secretKey: secret01, admin: true}\n"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("topic", "T", []byte("body"), "", false)
	f.Add("a", "b", []byte{}, "sig", true)
	f.Fuzz(func(t *testing.T, k, v string, body []byte, sig string, tamper bool) {
		cmd := remoting.NewRequest(10, nil, nil)
		cmd.SetExt(k, v)
		cmd.Body = body
		cmd.SetExt(remoting.ExtAccessKey, "account1")
		if sig != "" {
			cmd.SetExt(remoting.ExtSignature, sig)
		}
		// Forged or missing signatures never pass.
		if _, err := tb.Check(cmd, lo, Need{}); err == nil && sig != signature(cmd, "secret01", false) && sig != signature(cmd, "secret01", true) {
			t.Fatalf("accepted signature %q", sig)
		}
		remoting.Credentials{AccessKey: "account1", SecretKey: "secret01"}.Sign(cmd)
		if _, err := tb.Check(cmd, lo, Need{Admin: true}); err != nil && k != remoting.ExtSignature && k != remoting.ExtAccessKey {
			t.Fatalf("signed request refused: %v", err)
		}
		if tamper {
			cmd.Body = append(cmd.Body, 'x')
			if _, err := tb.Check(cmd, lo, Need{}); err == nil {
				t.Fatal("tampered body accepted")
			}
		}
	})
}
