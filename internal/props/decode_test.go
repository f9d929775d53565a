package props

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// continuationBomb is size bytes of one logical line continued over and over: "a=x\<LF>" then
// "x\<LF>" lines, the body that took 6 s of CPU per 585 KB when continuations were joined by
// copying.
func continuationBomb(size int) string {
	return "a=" + strings.Repeat("x\\\n", size/3)
}

// backslashBomb is lines made only of an odd run of backslashes: each continues the line, and
// counting the trailing run of the joined text (not of the physical line) is quadratic.
func backslashBomb(size int) string {
	return "a=" + strings.Repeat(strings.Repeat(`\`, 63)+"\n", size/64)
}

// TestParseIsLinear: 1 MiB of continuation lines parses in well under a second (it was
// quadratic: a 585 KB body took 6 s, 16 MiB ~45 min).
func TestParseIsLinear(t *testing.T) {
	for name, text := range map[string]string{
		"continuations": continuationBomb(1 << 20),
		"backslashes":   backslashBomb(1 << 20),
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			entries, err := Parse("f", text)
			took := time.Since(start)
			if err != nil || len(entries) != 1 || entries[0].Key != "a" {
				t.Fatalf("entries %d err %v", len(entries), err)
			}
			if name == "continuations" && len(entries[0].Value) != (1<<20)/3 {
				t.Errorf("value of %d bytes, want %d", len(entries[0].Value), (1<<20)/3)
			}
			if took > 2*time.Second { // linear takes a few ms; the old join took minutes
				t.Fatalf("1 MiB parsed in %v", took)
			}
			t.Logf("1 MiB of %s parsed in %v", name, took)
		})
	}
}

func BenchmarkParseContinuations(b *testing.B) {
	text := continuationBomb(1 << 20)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := Parse("f", text); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDecode(t *testing.T) {
	text := strings.Join([]string{
		"# comment",
		"brokerName=broker-a",  // 2
		"storeCheckpoint=/x/c", // 3: ignorable
		"fileReserveTime=48",   // 4: typo
		"brokerName=broker-b",  // 5: duplicate
		"BROKERID=1",           // 6: other case
		"abortFile=/x/a",       // 7: ignorable
		"storeCheckpoint=/y",   // 8: ignorable again, listed once
		"zzzzzzzzzzzz=1",       // 9: nothing close
		"brokerId=x",           // 10: bad value
	}, "\n")
	ignorable := map[string]bool{"storeCheckpoint": true, "abortFile": true, "fileReservedTime": true}
	var c testConfig
	rep, err := Decode("broker.conf", text, &c, ignorable)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		`broker.conf:4: unknown key "fileReserveTime" (did you mean fileReservedTime?)`,
		`broker.conf:6: unknown key "BROKERID" (did you mean brokerId?)`,
		`broker.conf:9: unknown key "zzzzzzzzzzzz"` + "\n",
		`broker.conf:10: brokerId: bad value "x"`,
	} {
		if !strings.Contains(err.Error()+"\n", want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "zzzzzzzzzzzz\" (did") {
		t.Errorf("far key got a suggestion: %v", err)
	}
	if c.Name != "broker-b" {
		t.Errorf("last duplicate should win, got %q", c.Name)
	}
	if got := strings.Join(rep.Ignored, ","); got != "storeCheckpoint,abortFile" {
		t.Errorf("Ignored = %q", got)
	}
	if len(rep.Warnings) != 2 || rep.Warnings[0] != "broker.conf:5: key brokerName repeats line 2; the value of line 5 is used" ||
		!strings.HasPrefix(rep.Warnings[1], "broker.conf:8: key storeCheckpoint repeats line 3") {
		t.Errorf("Warnings = %q", rep.Warnings)
	}
	if rep.Lines["brokerName"] != 5 || rep.Lines["abortFile"] != 7 {
		t.Errorf("Lines = %v", rep.Lines)
	}
}

func TestDecodeBoundsValuesAndEchoes(t *testing.T) {
	huge := strings.Repeat("n", 10<<20)
	var c testConfig
	_, err := Decode("f", "brokerName="+huge+"\nbrokerId="+huge+"\n"+huge+"=1\n", &c, map[string]bool{})
	if err == nil || !errors.Is(err, ErrBadValue) || !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("err = %v", err)
	}
	if len(err.Error()) > 1000 {
		t.Errorf("error echoes the value: %d bytes", len(err.Error()))
	}
	if !strings.Contains(err.Error(), "f:1: brokerName: value of 10485760 bytes: want at most 4096") {
		t.Errorf("err = %v", err)
	}
	if c.Name != "" {
		t.Errorf("oversized value applied")
	}
}

func TestAtLines(t *testing.T) {
	kind := errors.New("cfg: bad")
	rep := Report{File: "b.conf", Lines: map[string]int{"deleteWhen": 7}}
	err := rep.AtLines(errors.Join(
		&KeyError{Key: "deleteWhen", Kind: kind, Msg: `deleteWhen "4am": want hours`},
		&KeyError{Key: "listenPort", Kind: kind, Msg: "listenPort 0: want 1..65535"},
	))
	want := "b.conf:7: deleteWhen \"4am\": want hours\ncfg: bad: listenPort 0: want 1..65535"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	if !errors.Is(err, kind) {
		t.Error("kind lost")
	}
	var le *LineError
	if !errors.As(err, &le) || le.Line != 7 {
		t.Errorf("no line error: %#v", le)
	}
}

func TestSuggest(t *testing.T) {
	known := map[string]int{"fileReservedTime": 0, "flushDiskType": 0, "brokerIP1": 0, "listenPort": 0}
	for key, want := range map[string]string{
		"fileReserveTime":   "fileReservedTime",
		"fileReserverdTime": "fileReservedTime",
		"flushDiskTyp":      "flushDiskType",
		"brokerIp1":         "brokerIP1",
		"listenPrt":         "listenPort",
		"port":              "",
		"x":                 "",
	} {
		if got := Suggest(key, known, nil); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestRewrite(t *testing.T) {
	text := "# Apache broker-a\n" +
		"brokerName=broker-a\n" +
		"\n" +
		"brokerPermission = 6\n" +
		"! old value below\n" +
		"messageDelayLevel=1s \\\n   5s\n" +
		"brokerPermission=6\n" + // the winning duplicate is the one replaced
		"deleteWhen=04"
	got := Rewrite(text, []Entry{
		{Key: "brokerPermission", Value: "4"},
		{Key: "messageDelayLevel", Value: "1s 2s"},
		{Key: "traceOn", Value: "false"},
		{Key: "regionId", Value: "a b\\c"},
		{Key: "traceOn", Value: "true"},
	})
	want := "# Apache broker-a\n" +
		"brokerName=broker-a\n" +
		"\n" +
		"brokerPermission = 6\n" +
		"! old value below\n" +
		"messageDelayLevel=1s 2s\n" +
		"brokerPermission=4\n" +
		"deleteWhen=04\n" +
		"regionId=a b\\\\c\n" +
		"traceOn=true\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	entries, err := Parse("f", got)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range entries {
		m[e.Key] = e.Value
	}
	if m["brokerPermission"] != "4" || m["regionId"] != `a b\c` || m["messageDelayLevel"] != "1s 2s" {
		t.Errorf("re-parsed: %v", m)
	}
	if got := Rewrite("a=1\r\nb=2\r\n", []Entry{{Key: "b", Value: "3"}, {Key: "c", Value: "4"}}); got != "a=1\r\nb=3\r\nc=4\r\n" {
		t.Errorf("crlf: %q", got)
	}
	if got := Rewrite("", []Entry{{Key: "c", Value: "4"}}); got != "c=4\n" {
		t.Errorf("empty: %q", got)
	}
}

// FuzzRewrite checks that Rewrite sets the updated keys and leaves every other key's value as
// it was, whatever the text (comments, continuations, escapes, duplicates, CRLF).
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{
		"a=1\nb=2\n", "# c\nb=x\\\n  y\na=1", "a=1\r\nb=2", "b=1\nb=2\n", "a\\=b=c\nb:9", "", "b=\\\n",
	} {
		f.Add(s, "v", "w")
	}
	f.Fuzz(func(t *testing.T, text, v1, v2 string) {
		before, err := Parse("f", text)
		if err != nil {
			return
		}
		updates := []Entry{{Key: "b", Value: v1}, {Key: "new.key", Value: v2}}
		out := Rewrite(text, updates)
		after, err := Parse("f", out)
		if err != nil {
			t.Fatalf("rewritten text does not parse: %v\n%q", err, out)
		}
		final := func(es []Entry) map[string]string {
			m := map[string]string{}
			for _, e := range es {
				m[e.Key] = e.Value
			}
			return m
		}
		b, a := final(before), final(after)
		for _, u := range updates {
			if a[u.Key] != strings.TrimSpace(u.Value) {
				t.Fatalf("key %s = %q, want %q\n%q", u.Key, a[u.Key], u.Value, out)
			}
		}
		for k, v := range b {
			if k != "b" && k != "new.key" && a[k] != v {
				t.Fatalf("key %s changed from %q to %q\n%q", k, v, a[k], out)
			}
		}
		if len(a) != len(b)+1 && len(a) != len(b)+2 {
			t.Fatalf("%d keys before, %d after\n%q", len(b), len(a), out)
		}
	})
}

func TestBrief(t *testing.T) {
	var c testConfig
	_, err := Decode("f", strings.Repeat("x=1\n", 5000), &c, nil)
	got := Brief(err, 3)
	want := "f:1: unknown key \"x\"\nf:2: unknown key \"x\"\nf:3: unknown key \"x\"\n… and 4997 more problems"
	if got != want {
		t.Fatalf("got %q", got)
	}
	if Brief(errors.New("one"), 3) != "one" || Brief(nil, 3) != "" {
		t.Fatal("single or nil")
	}
}
