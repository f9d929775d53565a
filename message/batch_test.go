package message

import (
	"bytes"
	"errors"
	"testing"
)

func TestBatch(t *testing.T) {
	in := []Message{
		{Flag: 1, Body: []byte("one"), Properties: map[string]string{"KEYS": "a"}},
		{Body: nil},
		{Flag: -1, Body: bytes.Repeat([]byte("z"), 300), Properties: map[string]string{"TAGS": "t", "UNIQ_KEY": "U"}},
	}
	b, err := AppendBatch(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeBatch(b, "T", 10)
	if err != nil || len(out) != 3 {
		t.Fatalf("decode: %d %v", len(out), err)
	}
	for i := range in {
		if out[i].Topic != "T" || out[i].Flag != in[i].Flag || !bytes.Equal(out[i].Body, in[i].Body) ||
			len(out[i].Properties) != len(in[i].Properties) {
			t.Fatalf("msg %d: %+v", i, out[i])
		}
	}
	if _, err := DecodeBatch(b, "T", 2); !errors.Is(err, ErrBadLength) {
		t.Fatalf("maxCount: %v", err)
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"case=short", b[:10]},
		{"case=truncated", b[:len(b)-1]},
		{"case=hugebody", append([]byte{0, 0, 0, 22, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 0}, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeBatch(tt.b, "T", 10); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func FuzzDecodeBatch(f *testing.F) {
	b, _ := AppendBatch(nil, []Message{{Body: []byte("x"), Properties: map[string]string{"A": "b"}}, {Body: []byte("yy")}})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := DecodeBatch(b, "T", 1000)
		if err != nil {
			return
		}
		re, err := AppendBatch(nil, msgs)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeBatch(re, "T", 1000)
		if err != nil || len(again) != len(msgs) {
			t.Fatalf("re-decode: %d %v", len(again), err)
		}
		if len(b) > 0 {
			_, _ = DecodeBatch(b[:len(b)/2], "T", 1000)
		}
	})
}
