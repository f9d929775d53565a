package render

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/protocol"
)

// BrokerRow is one broker with the runtime numbers the brokers view shows.
type BrokerRow struct {
	Broker  admin.Broker
	Role    string // brokerRole of the broker's config (ASYNC_MASTER, SYNC_MASTER, SLAVE), or by id
	Version string
	PutTps  float64
	GetTps  float64
	// PutHist and GetHist hold the session's TPS-in and TPS-out samples, oldest first (for
	// the sparklines).
	PutHist, GetHist []float64
	// Disk is commitLogDiskRatio (0..1), -1 when unknown.
	Disk float64
	// ReplLag is, for a slave, the bytes its CommitLog is behind its master's (-1: unknown).
	ReplLag     int64
	DispatchLag int64
	Err         error
}

// BrokerRows pairs brokers with their runtime-info answers (res.Items[i] belongs to bs[i]) and
// configs (cfgs by address; missing is fine).
func BrokerRows(bs []admin.Broker, res admin.Results[map[string]string], cfgs map[string]map[string]string) []BrokerRow {
	out := make([]BrokerRow, len(bs))
	masterMax := map[string]int64{}
	for i, b := range bs {
		r := BrokerRow{Broker: b, Disk: -1, ReplLag: -1, Role: cfgs[b.Addr]["brokerRole"]}
		if r.Role == "" {
			r.Role = "SLAVE"
			if b.IsMaster() {
				r.Role = "MASTER"
			}
		}
		if i >= len(res.Items) {
			r.Err = fmt.Errorf("no answer")
		} else if it := res.Items[i]; it.Err != nil {
			r.Err = it.Err
		} else {
			rt := it.Value
			r.Version = rt["brokerVersionDesc"]
			r.PutTps = firstFloat(rt["putTps"])
			r.GetTps = firstFloat(rt["getTransferredTps"])
			r.DispatchLag = atoi(rt["dispatchBehindBytes"])
			if d, err := strconv.ParseFloat(strings.TrimSpace(rt["commitLogDiskRatio"]), 64); err == nil {
				r.Disk = d
			}
			if b.IsMaster() {
				masterMax[b.Name] = atoi(rt["commitLogMaxOffset"])
			}
		}
		out[i] = r
	}
	for i, r := range out {
		if r.Err == nil && !r.Broker.IsMaster() && i < len(res.Items) {
			if mm, ok := masterMax[r.Broker.Name]; ok {
				out[i].ReplLag = max(mm-atoi(res.Items[i].Value["commitLogMaxOffset"]), 0)
			}
		}
	}
	return out
}

// BrokersTable is the brokers view.
func BrokersTable(rows []BrokerRow) Table {
	t := Table{Header: []string{"CLUSTER", "BROKER", "ID", "ROLE", "ADDR", "STATUS", "VERSION", "TPS-IN", "", "TPS-OUT", "", "DISK", "REPL-LAG", "DISP-LAG"}}
	for _, r := range rows {
		b := r.Broker
		cells := []string{b.Cluster, b.Name, strconv.FormatInt(b.ID, 10), r.Role, b.Addr}
		if r.Err != nil {
			cells = append(cells, "DOWN", "-", "-", "", "-", "", "-", "-", "-")
		} else {
			disk, repl := "-", "-"
			if r.Disk >= 0 {
				disk = strconv.FormatFloat(r.Disk*100, 'f', 0, 64) + "%"
			}
			if r.ReplLag >= 0 {
				repl = itoa(r.ReplLag) + "B"
			}
			cells = append(cells, "up", r.Version, f2(r.PutTps), Sparkline(r.PutHist, 10), f2(r.GetTps), Sparkline(r.GetHist, 10), disk, repl, itoa(r.DispatchLag)+"B")
		}
		t.Rows = append(t.Rows, cells)
		t.Keys = append(t.Keys, b.Addr)
	}
	return t
}

// Sparkline draws the last width samples of xs with block characters, scaled to their max.
func Sparkline(xs []float64, width int) string {
	if len(xs) > width {
		xs = xs[len(xs)-width:]
	}
	const bars = "▁▂▃▄▅▆▇█"
	hi := 0.0
	for _, x := range xs {
		hi = max(hi, x)
	}
	var b strings.Builder
	for _, x := range xs {
		i := 0
		if hi > 0 {
			i = min(int(x/hi*7+0.5), 7)
		}
		b.WriteRune([]rune(bars)[i])
	}
	return b.String()
}

// KeyValues writes a map as "key = value" lines sorted by key, under a title.
func KeyValues(title string, kv map[string]string) []string {
	out := []string{title + ":"}
	if len(kv) == 0 {
		return append(out, "  (none)")
	}
	w := 0
	for k := range kv {
		w = max(w, len(k))
	}
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		out = append(out, fmt.Sprintf("  %-*s = %s", w, k, kv[k]))
	}
	return out
}

// HAText describes a broker's replication state (GET_BROKER_HA_STATUS); err says why there is
// none (an Apache 4 broker does not know the code).
func HAText(info protocol.HARuntimeInfo, err error) []string {
	if err != nil {
		return []string{"replication: not reported (" + oneLine(err.Error()) + ")"}
	}
	if !info.Master {
		c := info.HAClientRuntimeInfo
		behind := ""
		if c.MasterMaxOffset > 0 { // mq reports the master's end and the gap
			behind = fmt.Sprintf(", behind %dB", c.Diff)
		}
		return []string{fmt.Sprintf("replication: slave of %s, CommitLog end %d%s, %d B/s, last read %s",
			dash(c.MasterAddr), c.MaxOffset, behind, c.TransferredByteInSecond, Millis(c.LastReadTimestamp))}
	}
	out := []string{fmt.Sprintf("replication: master, CommitLog end %d, %d slave(s) in sync", info.MasterCommitLogMaxOffset, info.InSyncSlaveNums)}
	for _, c := range info.HAConnectionInfo {
		sync := "behind"
		if c.InSync {
			sync = "in sync"
		}
		out = append(out, fmt.Sprintf("  slave %s  acked %d  behind %dB  %s  %d B/s", c.Addr, c.SlaveAckOffset, c.Diff, sync, c.TransferredByteInSecond))
	}
	return out
}
