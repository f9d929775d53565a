package main

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"go.yaml.in/yaml/v3"

	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// Output formats of the admin commands (-o).
const (
	formatTable = cmdutil.FormatTable
	formatWide  = cmdutil.FormatWide
	formatJSON  = cmdutil.FormatJSON
	formatYAML  = cmdutil.FormatYAML
	formatJSONL = cmdutil.FormatJSONL
)

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
	if err := cmdutil.CheckOutput(format); err != nil {
		return err
	}
	switch format {
	case formatJSON:
		return writeJSON(streams.Out, data, true)
	case formatJSONL:
		return writeJSONL(streams.Out, data)
	case formatYAML:
		return writeYAML(streams.Out, data)
	}
	return writeTable(streams.Out, tbl(), format == formatWide, streams.ColorEnabled())
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

// answerErr turns the error of a fan-out into the command's error (cmdutil.AnswerErr).
func answerErr(err error) error { return cmdutil.AnswerErr(err) }

// errText is the text of err for an "error" column or field, "" when nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func sortStrings(s []string) { sort.Strings(s) }
