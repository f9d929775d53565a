package tui

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	tea "charm.land/bubbletea/v2"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/tui/render"
)

func init() {
	register(command{names: []string{"brokers", "broker", "b", "cluster", "clusters", "ns"}, usage: ":brokers",
		open: func(m *Model, _ []string) tea.Cmd { return m.switchTo(newBrokersView()) }})
}

// brokersView lists every broker of the cluster with its runtime figures. It remembers the
// brokers it has seen this session: one the nameservers stop listing stays, as GONE.
type brokersView struct {
	tableView
	seen map[string]admin.Broker
	hist map[string][]float64 // TPS-in samples by address
}

func newBrokersView() *brokersView {
	return &brokersView{tableView: newTable(), seen: map[string]admin.Broker{}, hist: map[string][]float64{}}
}

func (v *brokersView) crumb() string { return "Brokers" }

func (v *brokersView) load(ctx context.Context, e env) result {
	ci, err := e.src.ClusterInfo(ctx)
	if err != nil {
		return result{err: err}
	}
	bs, err := admin.Brokers(ci, "")
	if err != nil {
		return result{err: err}
	}
	res := e.src.RuntimeInfos(ctx, bs)
	cfgs := map[string]map[string]string{}
	for i, b := range bs {
		if i < len(res.Items) && res.Items[i].Err == nil {
			if c, err := e.src.BrokerConfig(ctx, b.Addr); err == nil {
				cfgs[b.Addr] = c
			}
		}
	}
	rows := render.BrokerRows(bs, res, cfgs)
	out := result{summary: res.Summary(), partial: !res.Complete(), err: res.Err()}
	out.apply = func() {
		listed := map[string]bool{}
		for i := range rows {
			r := &rows[i]
			listed[r.Broker.Addr] = true
			v.seen[r.Broker.Addr] = r.Broker
			if r.Err == nil {
				v.hist[r.Broker.Addr] = append(v.hist[r.Broker.Addr], r.PutTps)
				if h := v.hist[r.Broker.Addr]; len(h) > 60 {
					v.hist[r.Broker.Addr] = h[len(h)-60:]
				}
			}
			r.PutHist = v.hist[r.Broker.Addr]
		}
		t := render.BrokersTable(rows)
		gone := 0
		for _, addr := range slices.Sorted(maps.Keys(v.seen)) {
			if b := v.seen[addr]; !listed[addr] {
				gone++
				v.err = errors.Join(v.err, errors.New("broker "+b.Name+" "+addr+" seen earlier is no longer listed by the nameservers (GONE)"))
				v.partial = true
				t.Rows = append(t.Rows, []string{b.Cluster, b.Name, "-", "-", addr, "-", "-", "", "-", "-", "-", "-", "GONE"})
				t.Keys = append(t.Keys, addr)
			}
		}
		if gone > 0 {
			v.summary += fmt.Sprintf(", %d gone", gone)
		}
		v.setTable(t)
	}
	return out
}

func (v *brokersView) actions() []action {
	return []action{{key: bind("enter", "describe broker", "enter"), run: func(m *Model) tea.Cmd {
		if id, _ := v.selected(); id != "" {
			return m.push(&brokerView{addr: id})
		}
		return nil
	}}}
}

// brokerView describes one broker: replication state, runtime info and configuration.
type brokerView struct {
	paneView
	addr string
	info map[string]string
	cfg  map[string]string
}

func (v *brokerView) crumb() string { return "Broker(" + v.addr + ")" }

func (v *brokerView) load(ctx context.Context, e env) result {
	info, ierr := e.src.BrokerRuntimeInfo(ctx, v.addr)
	cfg, cerr := e.src.BrokerConfig(ctx, v.addr)
	if ierr != nil && cerr != nil {
		return result{err: ierr}
	}
	ha, herr := e.src.HAStatus(ctx, v.addr)
	return result{err: errors.Join(ierr, cerr), apply: func() {
		v.info, v.cfg = info, cfg
		v.lines = append(render.HAText(ha, herr), "")
		v.lines = append(v.lines, render.KeyValues("runtime info", info)...)
		v.lines = append(append(v.lines, ""), render.KeyValues("configuration", cfg)...)
	}}
}

func (v *brokerView) actions() []action { return nil }

func (v *brokerView) selected() (string, any) {
	return v.addr, map[string]any{"addr": v.addr, "runtimeInfo": v.info, "config": v.cfg}
}
