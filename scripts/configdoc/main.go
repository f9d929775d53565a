// Command configdoc prints a Markdown table of a config struct's properties keys from its
// source: key, default and meaning, taken from each field's `prop` tag and doc comment
// (the default is the "(default X)" part of the comment). README tables are made with it:
//
//	go run ./scripts/configdoc namesrv/config.go Config
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"strings"
)

var defaultRE = regexp.MustCompile(`\s*\(default ([^)]*)\)\.?`)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: configdoc FILE.go TYPE")
		os.Exit(2)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, os.Args[1], nil, parser.ParseComments)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != os.Args[2] {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		found = true
		fmt.Println("| Key | Default | Meaning |")
		fmt.Println("|---|---|---|")
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
			def := ""
			if m := defaultRE.FindStringSubmatch(doc); m != nil {
				def = m[1]
				doc = defaultRE.ReplaceAllString(doc, "")
			}
			doc = strings.TrimSuffix(strings.TrimSpace(doc), ".")
			if doc != "" {
				doc = strings.ToUpper(doc[:1]) + doc[1:]
			}
			fmt.Printf("| `%s` | %s | %s |\n", key, def, strings.ReplaceAll(doc, "|", `\|`))
		}
		return false
	})
	if !found {
		fmt.Fprintf(os.Stderr, "configdoc: no struct %s in %s\n", os.Args[2], os.Args[1])
		os.Exit(1)
	}
}
