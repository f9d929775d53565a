// Command configdoc prints a Markdown table of a server's properties keys: key, default (from
// the package's DefaultConfig) and meaning (from the field's doc comment, without its
// "(default …)" part). README tables are made with it:
//
//	go run ./scripts/configdoc namesrv
//	go run ./scripts/configdoc broker
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/props"
	"github.com/mq-project/mq/namesrv"
)

var defaultRE = regexp.MustCompile(`\s*\((default[^)]*|true|false|[0-9][^)]*)\)`)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: configdoc namesrv|broker")
		os.Exit(2)
	}
	var cfg any
	dirs := []string{os.Args[1]}
	switch os.Args[1] {
	case "namesrv":
		cfg = namesrv.DefaultConfig()
	case "broker":
		cfg = broker.DefaultConfig()
		dirs = append(dirs, "store") // broker.Config embeds store.Config
	default:
		fmt.Fprintln(os.Stderr, "configdoc: want namesrv or broker")
		os.Exit(2)
	}
	docs, err := fieldDocs(dirs...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "configdoc:", err)
		os.Exit(1)
	}
	home, _ := os.UserHomeDir()
	host, _ := os.Hostname()
	fmt.Println("| Key | Default | Meaning |")
	fmt.Println("|---|---|---|")
	for _, e := range props.List(cfg) {
		v := e.Value
		if home != "" {
			v = strings.ReplaceAll(v, home, "~")
		}
		switch {
		case host != "" && v == host:
			v = "host name"
		case v != "":
			v = "`" + v + "`"
		}
		doc := docs[e.Key]
		if doc == "" {
			doc = "Apache RocketMQ key, accepted and shown by GET_BROKER_CONFIG"
		}
		fmt.Printf("| `%s` | %s | %s |\n", e.Key, v, strings.ReplaceAll(doc, "|", `\|`))
	}
}

// fieldDocs maps each prop key of the packages' structs to its cleaned doc comment.
func fieldDocs(dirs ...string) (map[string]string, error) {
	fset := token.NewFileSet()
	var files []string
	for _, dir := range dirs {
		m, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	out := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			st, ok := n.(*ast.StructType)
			if !ok {
				return true
			}
			for _, field := range st.Fields.List {
				if field.Tag == nil || len(field.Names) == 0 {
					continue
				}
				key := reflect.StructTag(strings.Trim(field.Tag.Value, "`")).Get("prop")
				if key == "" || key == "-" {
					continue
				}
				doc := strings.Join(strings.Fields(field.Doc.Text()), " ")
				doc = strings.TrimPrefix(doc, field.Names[0].Name+" ")
				doc = strings.TrimPrefix(strings.TrimPrefix(doc, "is "), "are ")
				doc = defaultRE.ReplaceAllString(doc, "")
				doc = strings.TrimSuffix(strings.TrimSpace(doc), ".")
				if doc != "" {
					doc = strings.ToUpper(doc[:1]) + doc[1:]
				}
				out[key] = doc
			}
			return false
		})
	}
	return out, nil
}
