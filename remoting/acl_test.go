package remoting

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"testing"
	"time"
)

// TestSignatureMatchesGoClient checks our signature against the Go client's algorithm
// (internal/remote/interceptor.go ACLInterceptor): values of AccessKey and every extField,
// sorted by key, then the body, HMAC-SHA1 with the secret key, standard base64.
func TestSignatureMatchesGoClient(t *testing.T) {
	cmd := NewRequest(10, map[string]string{"topic": "TopicTest", "queueId": "1", "producerGroup": "pg"}, []byte("hello"))
	cr := Credentials{AccessKey: "RocketMQ", SecretKey: "12345678"}
	cr.Sign(cmd)
	// sorted keys: AccessKey, producerGroup, queueId, topic
	mac := hmac.New(sha1.New, []byte("12345678"))
	mac.Write([]byte("RocketMQ" + "pg" + "1" + "TopicTest" + "hello"))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if got := cmd.Ext(ExtSignature); got != want {
		t.Fatalf("Signature = %q, want %q", got, want)
	}
	if !VerifySignature(cmd, "12345678") {
		t.Fatal("VerifySignature rejected a good signature")
	}
	if VerifySignature(cmd, "wrong-secret") {
		t.Fatal("VerifySignature accepted a wrong secret")
	}
	cmd.Body = []byte("tampered")
	if VerifySignature(cmd, "12345678") {
		t.Fatal("VerifySignature accepted a tampered body")
	}
}

func TestClientSignsRequests(t *testing.T) {
	var got *Command
	h := HandlerFunc(func(_ context.Context, _ *Conn, req *Command) *Command {
		got = req
		return NewResponse(req, CodeSuccess, "")
	})
	srv := NewServer(ServerConfig{})
	srv.Handle(105, h)
	addr := startServer(t, srv)
	c := NewClient(ClientConfig{Credentials: &Credentials{AccessKey: "ak-12345", SecretKey: "sk-12345", SecurityToken: "tok"}})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.InvokeSync(ctx, addr, NewRequest(105, map[string]string{"topic": "T"}, nil)); err != nil {
		t.Fatal(err)
	}
	if got.Ext(ExtAccessKey) != "ak-12345" || got.Ext(ExtSecurityToken) != "tok" || !VerifySignature(got, "sk-12345") {
		t.Fatalf("server saw ext %v", got.ExtFields)
	}
}
