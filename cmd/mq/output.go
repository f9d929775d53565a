package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/mq-project/mq/admin"
)

// Output formats of the admin commands (-o).
const (
	formatTable = "table"
	formatWide  = "wide"
	formatJSON  = "json"
	formatYAML  = "yaml"
	formatJSONL = "jsonl"
)

var outputFormats = []string{formatTable, formatWide, formatJSON, formatYAML, formatJSONL}

// adminFlags are the flags every admin command has: where the nameservers are, how to print,
// how long to wait.
type adminFlags struct {
	namesrv string
	output  string
	timeout time.Duration
	context string
	// quiet turns progress bars off (they are drawn only on a terminal anyway).
	quiet bool
	// accessKey and secretKey sign every request (ACL); they override the context's.
	accessKey, secretKey string
	// tls connects with TLS (also when the context says so); tlsCA verifies the servers.
	tls   bool
	tlsCA string
	// lookup, when set, refreshes namesrv and context from the parsed flags (completion).
	lookup func()
}

// addAdminFlags registers -n/--<nsName> (default $NAMESRV_ADDR), -o/--output (or only --output
// when outShort is false, for mqadmin commands that use -o themselves) and --timeout.
func addAdminFlags(cmd *cobra.Command, f *adminFlags, nsName string, outShort bool) {
	fs := cmd.Flags()
	fs.StringVarP(&f.namesrv, nsName, "n", os.Getenv("NAMESRV_ADDR"),
		"nameserver addresses, ';'-separated (default $NAMESRV_ADDR)")
	short := "o"
	if !outShort {
		short = ""
	}
	fs.StringVarP(&f.output, "output", short, formatTable, "output format: "+strings.Join(outputFormats, "|"))
	fs.DurationVar(&f.timeout, "timeout", admin.DefaultTimeout, "timeout of each request to a server")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar on stderr")
	fs.StringVar(&f.accessKey, "access-key", os.Getenv("MQ_ACCESS_KEY"), "ACL access key to sign requests with (default $MQ_ACCESS_KEY, else the context's)")
	fs.StringVar(&f.secretKey, "secret-key", os.Getenv("MQ_SECRET_KEY"), "ACL secret key (default $MQ_SECRET_KEY)")
	fs.BoolVar(&f.tls, "tls", false, "connect with TLS (default: the context's setting)")
	fs.StringVar(&f.tlsCA, "tls-ca", "", "CA file that verifies the servers with --tls (default: not verified)")
	fs.StringVar(&f.context, "context", os.Getenv("MQ_CONTEXT"), "use this context of mq ctx (default: the current one; -n wins)")
	_ = cmd.RegisterFlagCompletionFunc("context", completeContexts)
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return outputFormats, cobra.ShellCompDirectiveNoFileComp
	})
}

// check validates the flags; its errors are usage errors.
func (f *adminFlags) check() error {
	switch f.output {
	case formatTable, formatWide, formatJSON, formatYAML, formatJSONL:
	default:
		return &usageError{fmt.Errorf("-o %q: want one of %s", f.output, strings.Join(outputFormats, ", "))}
	}
	r, err := f.resolve()
	if err != nil {
		return err
	}
	if len(admin.SplitAddrs(r.nameservers)) == 0 {
		return &usageError{errors.New("no nameserver: pass -n host:port, set NAMESRV_ADDR or add a context (mq ctx add)")}
	}
	return nil
}

// open checks the flags and returns an Admin; the caller closes it.
func (f *adminFlags) open() (*admin.Admin, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	r, err := f.resolve()
	if err != nil {
		return nil, err
	}
	return admin.New(admin.Options{NameServers: admin.SplitAddrs(r.nameservers), Timeout: f.timeout, Credentials: r.creds, TLS: r.tls})
}

// table is what a command shows in table form. Wide columns are shown only with -o wide; each
// row has len(header)+len(wide) cells. Rows whose failed flag is set are coloured on a terminal.
type table struct {
	header []string
	wide   []string
	rows   [][]string
	failed []bool
}

func (t *table) add(cells ...string) {
	t.rows = append(t.rows, cells)
	t.failed = append(t.failed, false)
}

func (t *table) addFailed(cells ...string) {
	t.rows = append(t.rows, cells)
	t.failed = append(t.failed, true)
}

// render writes data in the chosen format: JSON and YAML from data's json field names (stable
// across releases), jsonl one object per line when data is a slice, tables from tbl.
func render(streams IOStreams, format string, data any, tbl func() table) error {
	switch format {
	case formatJSON:
		return writeJSON(streams.Out, data, true)
	case formatJSONL:
		return writeJSONL(streams.Out, data)
	case formatYAML:
		return writeYAML(streams.Out, data)
	}
	return writeTable(streams.Out, tbl(), format == formatWide, useColor(streams.Out))
}

func writeJSON(w io.Writer, v any, indent bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}

// writeJSONL writes each element of a slice (after a JSON round trip) as one line; any other
// value is one line.
func writeJSONL(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var items []json.RawMessage
	if len(b) > 0 && b[0] == '[' && json.Unmarshal(b, &items) == nil {
		for _, it := range items {
			if err := writeJSON(w, it, false); err != nil {
				return err
			}
		}
		return nil
	}
	return writeJSON(w, v, false)
}

// writeYAML writes v through its JSON form, so YAML keys are the JSON field names.
func writeYAML(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(numbersToYAML(generic)); err != nil {
		return err
	}
	return enc.Close()
}

// numbersToYAML turns json.Number into int64 or float64 so YAML prints them bare.
func numbersToYAML(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbersToYAML(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbersToYAML(e)
		}
	}
	return v
}

// writeTable renders t without borders, columns separated by three spaces, like kubectl.
func writeTable(w io.Writer, t table, wide, color bool) error {
	n := len(t.header)
	header := t.header
	if wide {
		header = append(append([]string(nil), t.header...), t.wide...)
		n = len(header)
	}
	var buf bytes.Buffer
	pad := tw.CellPadding{Global: tw.Padding{Left: "", Right: "   "}}
	tb := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
				Alignment: tw.CellAlignment{Global: tw.AlignLeft}, Padding: pad},
			Row: tw.CellConfig{Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone},
				Alignment: tw.CellAlignment{Global: tw.AlignLeft}, Padding: pad},
		}),
	)
	tb.Header(toAny(header)...)
	for _, r := range t.rows {
		cells := make([]string, n)
		copy(cells, r)
		for i, c := range cells {
			if c == "" {
				cells[i] = "-"
			}
		}
		if err := tb.Append(cells); err != nil {
			return err
		}
	}
	if err := tb.Render(); err != nil {
		return err
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	var out strings.Builder
	for i, line := range lines {
		line = strings.TrimRight(line, " ")
		switch {
		case color && i == 0:
			line = "\x1b[1m" + line + "\x1b[0m"
		case color && i > 0 && i-1 < len(t.failed) && t.failed[i-1]:
			line = "\x1b[31m" + line + "\x1b[0m"
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	_, err := io.WriteString(w, out.String())
	return err
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// useColor reports whether w is a terminal and NO_COLOR is not set.
func useColor(w io.Writer) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// answerErr turns the error of a fan-out into the command's error: nil when every server
// answered, a partialError (exit 3) when some did, the error itself (exit 1) when none did.
func answerErr(err error) error {
	if err == nil {
		return nil
	}
	if admin.IsPartial(err) {
		return &partialError{err}
	}
	return err
}

// millis formats a millisecond timestamp as RFC 3339 in UTC, "" for 0.
func millis(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// errText is the text of err for an "error" column or field, "" when nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func sortStrings(s []string) { sort.Strings(s) }
