package namesrv

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/internal/props"
	"github.com/mq-project/mq/protocol"
)

// TestLoadApacheNamesrvConf: Apache's nameserver keys load (the ones mq lacks listed in one
// warning line); a misspelt key is an error with a suggestion; range checks name their line.
func TestLoadApacheNamesrvConf(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "namesrv.conf")
	text := "listenPort=19876\norderMessageEnable=true\nclientWorkerThreads=4\nenableControllerInNamesrv=false\n" +
		"controllerDLegerGroup=group1\nkvConfigPath=" + filepath.ToSlash(filepath.Join(dir, "kv.json")) + "\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	rep, err := LoadFile(path, &cfg)
	if err == nil {
		err = rep.AtLines(cfg.Validate())
	}
	if err != nil {
		t.Fatal(err)
	}
	if w := rep.WarningLines(); len(w) != 1 || !strings.HasSuffix(w[0], "accepted and ignored (mq does not implement them): clientWorkerThreads, enableControllerInNamesrv, controllerDLegerGroup") {
		t.Fatalf("warnings %q", w)
	}
	if cfg.ListenPort != 19876 || !cfg.OrderMessageEnable {
		t.Fatalf("not applied: %+v", cfg)
	}

	if err := os.WriteFile(path, []byte("listenPort=1\nscanNotActiveBrokerInterva=5\nscanNotActiveBrokerInterval=0\nkvConfigPath=kv.json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg = DefaultConfig()
	rep, err = LoadFile(path, &cfg)
	err = errors.Join(err, rep.AtLines(cfg.Validate()))
	for _, want := range []string{
		path + `:2: unknown key "scanNotActiveBrokerInterva" (did you mean scanNotActiveBrokerInterval?)`,
		path + `:3: scanNotActiveBrokerInterval=0: must be > 0 ms`,
		path + `:4: kvConfigPath="kv.json": want an absolute path`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestUpdateNamesrvConfigCannotRedirect: UPDATE_NAMESRV_CONFIG refuses paths, addresses and
// Apache's black list with NO_PERMISSION naming each, refuses bodies over 64 KiB before
// parsing, answers a continuation bomb at once, and applies nothing of a refused request.
func TestUpdateNamesrvConfigCannotRedirect(t *testing.T) {
	cfg := testConfig(t)
	s, addr := startServer(t, cfg)
	c := newClient(t)
	for _, key := range []string{"configStorePath", "kvConfigPath", "configBlackList", "rocketmqHome", "listenPort", "bindAddress", "controllerStorePath", "metricsExporterType"} {
		resp := invoke(t, c, addr, protocol.UpdateNamesrvConfig, nil, []byte("enableAllTopicList=false\n"+key+"=/tmp/evil\n"))
		wantCode(t, resp, protocol.NoPermission)
		if !strings.Contains(resp.Remark, "Can not update config in black list: "+key) {
			t.Errorf("%s: remark %q", key, resp.Remark)
		}
	}
	resp := invoke(t, c, addr, protocol.UpdateNamesrvConfig, nil, []byte("productEnvName="+strings.Repeat("x\\\n", 10<<20/3)))
	wantCode(t, resp, protocol.SystemError)
	if !strings.Contains(resp.Remark, "at most 65536") {
		t.Fatalf("remark %q", resp.Remark)
	}
	start := time.Now()
	resp = invoke(t, c, addr, protocol.UpdateNamesrvConfig, nil, []byte("productEnvName="+strings.Repeat("x\\\n", 60<<10/3)))
	wantCode(t, resp, protocol.SystemError)
	if took := time.Since(start); took > 2*time.Second || len(resp.Remark) > 1000 || !strings.Contains(resp.Remark, "want at most 4096") {
		t.Fatalf("took %v, remark (%d bytes) %.200q", took, len(resp.Remark), resp.Remark)
	}
	resp = invoke(t, c, addr, protocol.UpdateNamesrvConfig, nil, []byte("enableAllTopicList=false\nclientWorkerThreads=2\n"))
	wantCode(t, resp, protocol.SystemError)
	if !strings.Contains(resp.Remark, "clientWorkerThreads: Apache RocketMQ keys mq does not implement") {
		t.Fatalf("remark %q", resp.Remark)
	}
	if !s.Config().EnableAllTopicList {
		t.Fatal("a refused update was applied")
	}
	if _, err := os.Stat(cfg.ConfigStorePath); !os.IsNotExist(err) {
		t.Fatalf("a refused update was persisted: %v", err)
	}
}

// TestInertKeysAreInert keeps inertKeys true: a key is inert exactly when its field is read
// (".FieldName") nowhere in the module's non-test code.
func TestInertKeysAreInert(t *testing.T) {
	var code strings.Builder
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != ".." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			code.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	inert := map[string]bool{}
	for _, k := range strings.Fields(inertKeys) {
		inert[k] = true
	}
	fields := props.FieldNames(&Config{})
	for key, field := range fields {
		read := regexp.MustCompile(`\.` + field + `\b`).MatchString(code.String())
		switch {
		case read && inert[key]:
			t.Errorf("%s (%s) is read by the code: remove it from inertKeys", key, field)
		case !read && !inert[key]:
			t.Errorf("%s (%s) is read nowhere: add it to inertKeys (or use it)", key, field)
		}
	}
	for k := range inert {
		if _, ok := fields[k]; !ok {
			t.Errorf("inert key %s has no field", k)
		}
	}
}
