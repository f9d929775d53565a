package admin_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/admin/admintest"
	"github.com/mq-project/mq/internal/mqtest"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

func TestNewNeedsNameServers(t *testing.T) {
	for _, ns := range [][]string{nil, {""}, {" ", ""}} {
		if _, err := admin.New(admin.Options{NameServers: ns}); !errors.Is(err, admin.ErrNoNameServers) {
			t.Errorf("New(%q) = %v, want ErrNoNameServers", ns, err)
		}
	}
}

func TestSplitAddrs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"127.0.0.1:9876", []string{"127.0.0.1:9876"}},
		{"a:1; b:2;", []string{"a:1", "b:2"}},
		{"a:1,b:2", []string{"a:1", "b:2"}},
	} {
		t.Run("in="+tc.in, func(t *testing.T) {
			if got := admin.SplitAddrs(tc.in); !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestClusterAndTopics(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	ba := startBroker(t, ns.Addr, admintest.Config{Cluster: "C1", Name: "broker-a",
		Topics: []protocol.TopicConfig{topic("TopicA", 4, 4), topic("Shared", 2, 2)}})
	deadAddr := registerDead(t, ns.Addr, "C2", "broker-b", topic("TopicB", 8, 8), topic("Shared", 2, 2))
	a := newAdmin(t, ns.Addr)
	ctx := ctxT(t)

	ci, err := a.ClusterInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := admin.Brokers(ci, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []admin.Broker{{Cluster: "C1", Name: "broker-a", Addr: ba.Addr}, {Cluster: "C2", Name: "broker-b", Addr: deadAddr}}
	if !slices.Equal(all, want) {
		t.Fatalf("brokers %+v, want %+v", all, want)
	}
	c2, err := admin.Masters(ci, "C2")
	if err != nil || len(c2) != 1 || c2[0].Addr != deadAddr {
		t.Fatalf("masters of C2: %+v, %v", c2, err)
	}
	if _, err := admin.Brokers(ci, "nope"); !errors.Is(err, admin.ErrClusterNotFound) {
		t.Fatalf("unknown cluster: %v", err)
	}

	topics, err := a.TopicList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TopicA", "TopicB", "Shared"} {
		if !slices.Contains(topics, want) {
			t.Errorf("topic list %v lacks %s", topics, want)
		}
	}
	if !slices.IsSorted(topics) {
		t.Errorf("topic list not sorted: %v", topics)
	}
	c1, err := a.TopicsByCluster(ctx, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c1, "TopicA") || slices.Contains(c1, "TopicB") {
		t.Errorf("topics of C1: %v", c1)
	}
	sys, err := a.SystemTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(sys, "C1") || !slices.Contains(sys, "broker-a") {
		t.Errorf("system topics %v lack cluster and broker names", sys)
	}

	rd, err := a.TopicRoute(ctx, "Shared")
	if err != nil {
		t.Fatal(err)
	}
	ms := admin.RouteMasters(rd)
	if len(ms) != 2 || ms[0].Name != "broker-a" || ms[1].Addr != deadAddr || len(rd.QueueDatas) != 2 {
		t.Fatalf("route %+v, masters %+v", rd, ms)
	}
	_, err = a.TopicRoute(ctx, "NoSuchTopic")
	var re *remoting.ResponseError
	if !errors.As(err, &re) || protocol.ResponseCode(re.Code) != protocol.TopicNotExist || !admin.IsCode(err, protocol.TopicNotExist) {
		t.Fatalf("unknown topic: %v", err)
	}

	// Deleting a topic's route for one cluster leaves the other cluster's queues.
	if err := a.DeleteTopicInNamesrv(ctx, "Shared", "C2").Err(); err != nil {
		t.Fatal(err)
	}
	rd, err = a.TopicRoute(ctx, "Shared")
	if err != nil || len(rd.QueueDatas) != 1 || rd.QueueDatas[0].BrokerName != "broker-a" {
		t.Fatalf("route after delete in C2: %+v %v", rd, err)
	}
}

func TestWritePerm(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	startBroker(t, ns.Addr, admintest.Config{Name: "broker-a", Topics: []protocol.TopicConfig{topic("T1", 4, 4), topic("T2", 4, 4)}})
	a := newAdmin(t, ns.Addr)
	ctx := ctxT(t)

	topics, err := a.TopicsByCluster(ctx, "DefaultCluster")
	if err != nil || len(topics) < 3 {
		t.Fatalf("topics %v %v", topics, err)
	}
	wiped := a.WipeWritePerm(ctx, "broker-a")
	if err := wiped.Err(); err != nil || wiped.Items[0].Value != len(topics) {
		t.Fatalf("wipe: %+v %v", wiped, err)
	}
	rd, err := a.TopicRoute(ctx, "T1")
	if err != nil || rd.QueueDatas[0].Perm&protocol.PermWrite != 0 {
		t.Fatalf("perm after wipe: %+v %v", rd, err)
	}
	added := a.AddWritePerm(ctx, "broker-a")
	if err := added.Err(); err != nil || added.Items[0].Value != len(topics) {
		t.Fatalf("add: %+v %v", added, err)
	}
	rd, err = a.TopicRoute(ctx, "T1")
	if err != nil || rd.QueueDatas[0].Perm&protocol.PermWrite == 0 {
		t.Fatalf("perm after add: %+v %v", rd, err)
	}
}

func TestKV(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	a := newAdmin(t, ns.Addr)
	ctx := ctxT(t)

	if m, err := a.KVList(ctx, "NS"); err != nil || len(m) != 0 {
		t.Fatalf("empty namespace: %v %v", m, err)
	}
	if _, err := a.KV(ctx, "NS", "k"); !admin.IsCode(err, protocol.QueryNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	for k, v := range map[string]string{"k1": "v1", "k2": "a=b;c"} {
		if err := a.PutKV(ctx, "NS", k, v).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := a.KV(ctx, "NS", "k2"); err != nil || v != "a=b;c" {
		t.Fatalf("get: %q %v", v, err)
	}
	m, err := a.KVList(ctx, "NS")
	if err != nil || len(m) != 2 || m["k1"] != "v1" {
		t.Fatalf("list: %v %v", m, err)
	}
	if err := a.DeleteKV(ctx, "NS", "k1").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.KV(ctx, "NS", "k1"); !admin.IsCode(err, protocol.QueryNotFound) {
		t.Fatalf("deleted key: %v", err)
	}
}

func TestNamesrvConfig(t *testing.T) {
	ns1 := mqtest.StartNamesrv(t)
	ns2 := mqtest.StartNamesrv(t)
	a := newAdmin(t, ns1.Addr, ns2.Addr)
	ctx := ctxT(t)

	if err := a.UpdateNamesrvConfig(ctx, map[string]string{"orderMessageEnable": "true"}).Err(); err != nil {
		t.Fatal(err)
	}
	res := a.NamesrvConfig(ctx)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if res.Total() != 2 || res.Summary() != "2/2 nameservers answered" {
		t.Fatalf("results %+v", res)
	}
	for _, it := range res.Items {
		if it.Value["orderMessageEnable"] != "true" || it.Value["listenPort"] == "" {
			t.Errorf("%s config: %v", it.Addr, it.Value)
		}
	}
	// A refused key is a ResponseError from each nameserver.
	err := a.UpdateNamesrvConfig(ctx, map[string]string{"noSuchKey": "1"}).Err()
	var re *remoting.ResponseError
	if !errors.As(err, &re) || admin.IsPartial(err) {
		t.Fatalf("bad key: %v", err)
	}
}

// TestNamesrvFallback: nameservers are asked in order; one that cannot be reached is skipped,
// one that answers with an error is not.
func TestNamesrvFallback(t *testing.T) {
	ns := mqtest.StartNamesrv(t)
	dead, err := admintest.DeadAddr()
	if err != nil {
		t.Fatal(err)
	}
	a := newAdmin(t, dead, ns.Addr)
	ctx := ctxT(t)
	if _, err := a.ClusterInfo(ctx); err != nil {
		t.Fatalf("fallback: %v", err)
	}
	if _, err := a.TopicRoute(ctx, "Nope"); !admin.IsCode(err, protocol.TopicNotExist) {
		t.Fatalf("error answer: %v", err)
	}
	if got := a.NameServers(); !slices.Equal(got, []string{dead, ns.Addr}) {
		t.Fatalf("NameServers %v", got)
	}

	b := newAdmin(t, dead)
	_, err = b.ClusterInfo(ctx)
	if err == nil || !strings.Contains(err.Error(), dead) {
		t.Fatalf("all dead: %v", err)
	}
	var re *remoting.ResponseError
	if errors.As(err, &re) {
		t.Fatalf("network error reported as a response: %v", err)
	}
}

func TestParseProperties(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]string
	}{
		{"name=plain", "a=1\nb=2\n", map[string]string{"a": "1", "b": "2"}},
		{"name=comments", "# c\n! c\n\na=1", map[string]string{"a": "1"}},
		{"name=colon", "a:1\nb=x:y", map[string]string{"a": "1", "b": "x:y"}},
		{"name=escapes", `a\=b=c\:d`, map[string]string{"a=b": "c:d"}},
		{"name=spaces", " a = 1 ", map[string]string{"a": "1"}},
		{"name=nokey", "flag", map[string]string{"flag": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := admin.ParseProperties(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
	kv := map[string]string{"b": "2", "a": "1"}
	if s := admin.FormatProperties(kv); s != "a=1\nb=2\n" {
		t.Fatalf("format %q", s)
	}
}

func FuzzParseProperties(f *testing.F) {
	f.Add("a=1\nb=2\n")
	f.Add(`a\=b=c\:d` + "\n# x\n!y\n")
	f.Add("\\")
	f.Fuzz(func(t *testing.T, s string) {
		m := admin.ParseProperties(s)
		// Values without separators, escapes or spaces survive a round trip.
		back := admin.ParseProperties(admin.FormatProperties(m))
		for k, v := range m {
			if strings.ContainsAny(k+v, "=:\\#! \t\r\n") || k == "" {
				continue
			}
			if back[k] != v {
				t.Fatalf("round trip of %q=%q gave %q", k, v, back[k])
			}
		}
	})
}
