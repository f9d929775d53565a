package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Target kinds.
const (
	atLeast = "≥" // ratio mq / other at least target
	atMost  = "≤" // ratio mq / other at most target
	absMax  = "abs≤"
)

// rowSpec is one line of the table: key.mq against key.<other>.
type rowSpec struct {
	Figure string  `json:"figure"`
	Key    string  `json:"key"`
	Versus string  `json:"versus"` // "nats" or "null"
	Kind   string  `json:"kind"`
	Target float64 `json:"target"`
	Unit   string  `json:"unit"`
}

var rowSpecs = []rowSpec{
	{"sync, 16 conns × 1 in flight (msgs/s)", "sync", "nats", atLeast, 1.5, "msgs/s"},
	{"async, 4 conns × 256 in flight (msgs/s)", "async", "nats", atLeast, 1.6, "msgs/s"},
	{"consume a backlog (msgs/s)", "consume", "nats", atLeast, 3, "msgs/s"},
	{"peak RSS without mapped store pages (MiB)", "peak", "nats", atMost, 0.5, "MiB"},
	{"server CPU per message produced + consumed (µs)", "cpu", "nats", atMost, 0.5, "µs"},
	{"SYNC_FLUSH vs sync_interval: always, 16 × 1 (msgs/s)", "syncflush", "nats", atLeast, 5, "msgs/s"},
	{"idle RSS, empty store (MiB)", "idle", "nats", absMax, 20, "MiB"},
	{"start to ready (ms)", "ready", "nats", absMax, 50, "ms"},
	{"official Go client sync c16 vs its ceiling (msgs/s)", "gocsync", "null", atLeast, 0.9, "msgs/s"},
	{"official Go client async 4 × 256 vs its ceiling (msgs/s)", "gocasync", "null", atLeast, 0.9, "msgs/s"},
}

// Row is an evaluated line of the table.
type Row struct {
	rowSpec
	MQ    float64 `json:"mq"`
	Other float64 `json:"other"`
	// Ratio is the median of the per-repeat ratios mq / other (each repeat measured both
	// side by side).
	Ratio float64 `json:"ratio"`
	Pass  bool    `json:"pass"`
	// Skipped rows were not measured (--only); they neither pass nor fail.
	Skipped bool `json:"skipped,omitempty"`
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func evaluate(reps []figures) []Row {
	var rows []Row
	for _, sp := range rowSpecs {
		var mq, other, ratio []float64
		measured := false
		for _, f := range reps {
			_, ok := f[sp.Key+".mq"]
			measured = measured || ok
			a, b := f[sp.Key+".mq"], f[sp.Key+"."+sp.Versus]
			mq, other = append(mq, a), append(other, b)
			if b > 0 {
				ratio = append(ratio, a/b)
			}
		}
		r := Row{rowSpec: sp, MQ: median(mq), Other: median(other), Ratio: median(ratio), Skipped: !measured}
		switch sp.Kind {
		case atLeast:
			r.Pass = r.Ratio >= sp.Target
		case atMost:
			r.Pass = r.Ratio > 0 && r.Ratio <= sp.Target
		case absMax:
			r.Pass = r.MQ > 0 && r.MQ <= sp.Target
		}
		rows = append(rows, r)
	}
	return rows
}

func num(v float64, unit string) string {
	switch {
	case unit == "msgs/s" || v >= 1000:
		return commas(int64(v + 0.5))
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && c != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// printTable writes the markdown table and the summary; it returns the rows failed.
func printTable(w io.Writer, o *runOptions, rows []Row, reps []figures, took time.Duration) int {
	host, _ := os.Hostname()
	mode := "full"
	if o.quick {
		mode = "quick"
	}
	fmt.Fprintf(w, "\nbench-compare %s, %s, %d repeat(s), %s phases, backlog %s, %d CPUs (%s), host %s, took %s\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), mode, len(reps), o.dur, commas(o.backlog), runtime.NumCPU(),
		runtime.GOARCH, host, took.Round(time.Second))
	fmt.Fprintln(w, "| figure | mq | compared with | ratio | target | result |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	failed, skipped := 0, 0
	for _, r := range rows {
		if r.Skipped {
			skipped++
			fmt.Fprintf(w, "| %s | – | – | – | – | skipped |\n", r.Figure)
			continue
		}
		res := "PASS"
		if !r.Pass {
			res = "FAIL"
			failed++
		}
		other := "NATS " + num(r.Other, r.Unit)
		if r.Versus == "null" {
			other = "null broker " + num(r.Other, r.Unit)
		}
		ratio := fmt.Sprintf("%.3f×", r.Ratio)
		target := fmt.Sprintf("%s %.4g×", r.Kind, r.Target)
		if r.Kind == absMax {
			ratio = "–"
			target = fmt.Sprintf("≤ %g %s", r.Target, r.Unit)
			other += " (context)"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.Figure, num(r.MQ, r.Unit), other, ratio, target, res)
	}
	if o.has(groupMain) {
		var sync, async, p50, p50n []float64
		for _, f := range reps {
			if f["sync.null"] > 0 && f["async.null"] > 0 {
				sync = append(sync, f["sync.mq"]/f["sync.null"])
				async = append(async, f["async.mq"]/f["async.null"])
			}
			p50, p50n = append(p50, f["syncp50.mq"]), append(p50n, f["syncp50.null"])
		}
		fmt.Fprintf(w, "\nGenerator ceiling (`mq bench` against the null broker): sync %s, async %s msgs/s; mq at %.0f%% and %.0f%% of it "+
			"(sync p50 %.3f ms vs %.3f ms on the null broker). NATS consumer: %s.\n",
			commas(int64(med(reps, "sync.null"))), commas(int64(med(reps, "async.null"))), median(sync)*100, median(async)*100,
			median(p50), median(p50n), natsConsumerName(o.natsConsume))
		for _, l := range outOfReach(reps) {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintf(w, "Load generator CPU per message (µs, utime + stime of its process): sync mq bench %.1f (%.1f against "+
			"the null broker), nats.go %.1f; async %.1f (%.1f), %.1f; drain mq bench %.1f, nats.go %.1f.\n",
			med(reps, "syncclient.mq"), med(reps, "syncclient.null"), med(reps, "syncclient.nats"),
			med(reps, "asyncclient.mq"), med(reps, "asyncclient.null"), med(reps, "asyncclient.nats"),
			med(reps, "consumeclient.mq"), med(reps, "consumeclient.nats"))
		fmt.Fprintf(w, "Server CPU per message by phase (µs; a phase's background work can spill into the next): sync mq %.1f, "+
			"NATS %.1f; async %.1f, %.1f; drain %.1f, %.1f.\n",
			med(reps, "syncserver.mq"), med(reps, "syncserver.nats"), med(reps, "asyncserver.mq"), med(reps, "asyncserver.nats"),
			med(reps, "consumeserver.mq"), med(reps, "consumeserver.nats"))
		fmt.Fprintf(w, "Page cache left dirty after the produce phases (written back with sync(2) after each, untimed; "+
			"mq flushes every 500 ms in its own process, in its CPU figure): mq %.0f B/msg, NATS %.0f B/msg; "+
			"the machine's CPU while writing it back: mq %.2f µs/msg, NATS %.2f µs/msg.\n",
			med(reps, "dirty.mq"), med(reps, "dirty.nats"), med(reps, "wbcpu.mq"), med(reps, "wbcpu.nats"))
	}
	fmt.Fprintf(w, "Values are medians over the repeats; ratio is the median of the per-repeat ratios.\n")
	if n := loadErrors.Load(); n > 0 {
		fmt.Fprintf(w, "Load generators counted %d failed requests (not in the figures); the first: %s\n", n, *firstLoadError.Load())
	}
	if skipped > 0 {
		fmt.Fprintf(w, "\n%d passed, %d failed (%d skipped)\n", len(rows)-failed-skipped, failed, skipped)
	} else {
		fmt.Fprintf(w, "\n%d passed, %d failed\n", len(rows)-failed, failed)
	}
	return failed
}

func med(reps []figures, key string) float64 {
	var v []float64
	for _, f := range reps {
		v = append(v, f[key])
	}
	return median(v)
}

func natsConsumerName(m string) string {
	if m == natsPull {
		return "pull consumer (AckNone, Consume with 4096-message pulls)"
	}
	return "ordered push consumer (nats.OrderedConsumer, flow control, no acks)"
}

func writeJSON(o *runOptions, rows []Row, reps []figures) error {
	host, _ := os.Hostname()
	failed, skipped := 0, 0
	for _, r := range rows {
		switch {
		case r.Skipped:
			skipped++
		case !r.Pass:
			failed++
		}
	}
	doc := map[string]any{"skipped": skipped, "date": time.Now().UTC().Format(time.RFC3339), "host": host, "cpus": runtime.NumCPU(),
		"quick": o.quick, "phase": o.dur.String(), "backlog": o.backlog, "natsConsumer": o.natsConsume,
		"rows": rows, "repeats": reps, "passed": len(rows) - failed - skipped, "failed": failed}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(o.jsonOut, append(b, '\n'), 0o644)
}

// outOfReach says, for the produce shapes measured against both NATS and the null broker,
// when the target (its ratio times NATS' median) is above what `mq bench` reached against a
// broker that answers at once: no broker can pass that row in that run, whatever it does.
func outOfReach(reps []figures) []string {
	var out []string
	for _, r := range rowSpecs {
		if r.Key != "sync" && r.Key != "async" {
			continue
		}
		nats, ceiling := med(reps, r.Key+".nats"), med(reps, r.Key+".null")
		if nats <= 0 || ceiling <= 0 || r.Target*nats <= ceiling {
			continue
		}
		out = append(out, fmt.Sprintf("Out of reach in this run: the %s target needs %s msgs/s (%.4g × NATS), above the "+
			"load generator's own ceiling of %s (%.2f × NATS).", r.Key, commas(int64(r.Target*nats)), r.Target,
			commas(int64(ceiling)), ceiling/nats))
	}
	if l := cpuFloor(reps); l != "" {
		out = append(out, l)
	}
	return out
}

// cpuFloor describes the server CPU row's floor: what the null broker (mq's remoting path,
// no store) used per message at mq's own phases, the sync and async ones at its measured
// cost and the drain counted free, plus the first touch of the page-cache pages mq's store
// filled (its Apache record layout's bytes) at the run's measured cost per page. Neither
// part does any store work, so mq cannot measure below their sum on this machine without a
// leaner remoting path. It returns "" without the figures.
func cpuFloor(reps []figures) string {
	var floors, ratios, touched, touchedRatios, stored []float64
	for _, f := range reps {
		syncN, asyncN := f["syncmsgs.mq"], f["asyncmsgs.mq"]+f["fillmsgs.mq"]
		all := syncN + asyncN + f["drained.mq"]
		if f["syncserver.null"] <= 0 || f["asyncserver.null"] <= 0 || all <= 0 || f["cpu.nats"] <= 0 {
			continue
		}
		floor := (f["syncserver.null"]*syncN + f["asyncserver.null"]*asyncN) / all
		floors, ratios = append(floors, floor), append(ratios, floor/f["cpu.nats"])
		if f["pages.mq"] > 0 && f["touchus"] > 0 {
			t := floor + f["pages.mq"]*f["touchus"]/all
			touched, touchedRatios = append(touched, t), append(touchedRatios, t/f["cpu.nats"])
			stored = append(stored, f["pages.mq"]*4096/(syncN+asyncN))
		}
	}
	if len(floors) == 0 {
		return ""
	}
	var target float64
	for _, r := range rowSpecs {
		if r.Key == "cpu" {
			target = r.Target
		}
	}
	worst := median(ratios)
	l := fmt.Sprintf("the null broker (mq's remoting path, nothing stored) used %.1f µs/msg sync and %.1f async; "+
		"at mq's phases, the drain counted free, that is %.2f µs/msg, %.3f × NATS (target %.4g ×)",
		med(reps, "syncserver.null"), med(reps, "asyncserver.null"), median(floors), worst, target)
	if len(touched) > 0 {
		worst = median(touchedRatios)
		l += fmt.Sprintf("; with the first touch of the page-cache pages mq's store filled (%.0f B/msg stored, %.2f µs a "+
			"4 KiB page): %.2f µs/msg, %.3f × NATS", median(stored), med(reps, "touchus"),
			median(touched), worst)
	}
	verdict := "Floor of the server CPU row: "
	if worst > target {
		verdict = "Out of reach in this run: the server CPU row's floor: "
	}
	return verdict + l + "; no store work in either."
}
