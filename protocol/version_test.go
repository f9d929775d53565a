package protocol

import (
	"os"
	"strings"
	"testing"
)

// TestVersionName pins ordinals of Java's MQVersion.Version seen on the wire: the Go client
// (317), Java 4.9.x clients, mq itself (479) and the ends of the enum.
func TestVersionName(t *testing.T) {
	for _, tc := range []struct {
		v    int
		want string
	}{
		{0, "V3_0_0_SNAPSHOT"}, {15, "V3_0_0_FINAL"}, {16, "V3_0_1_SNAPSHOT"}, {17, "V3_0_1"},
		{317, "V4_5_2"}, {318, "V4_5_3_SNAPSHOT"}, {401, "V4_9_4"}, {408, "V4_9_8_SNAPSHOT"}, {409, "V4_9_8"},
		{479, "V5_3_3"}, {611, "V5_9_9"}, {612, "HIGHER_VERSION"}, {9999, "HIGHER_VERSION"}, {-1, "-1"},
	} {
		if got := VersionName(tc.v); got != tc.want {
			t.Errorf("VersionName(%d) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// TestVersionNameTable compares every ordinal with a list of the enum's names when one is
// given (MQ_VERSION_NAMES=file, one name per line in ordinal order).
func TestVersionNameTable(t *testing.T) {
	path := os.Getenv("MQ_VERSION_NAMES")
	if path == "" {
		t.Skip("MQ_VERSION_NAMES not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range strings.Fields(string(data)) {
		if got := VersionName(i); got != name {
			t.Fatalf("VersionName(%d) = %q, want %q", i, got, name)
		}
	}
}
