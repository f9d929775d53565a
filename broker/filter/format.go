package filter

import (
	"slices"
	"strconv"
	"strings"
)

// format writes a compiled expression as a fully parenthesised S-expression; tests use it to
// check the shape the parser built, e.g. (AND (> a 5) (= b 'x')).
func format(n node) string {
	var b strings.Builder
	formatTo(&b, n)
	return b.String()
}

func formatTo(b *strings.Builder, n node) {
	list := func(name string, xs ...node) {
		b.WriteString("(" + name)
		for _, x := range xs {
			b.WriteByte(' ')
			formatTo(b, x)
		}
		b.WriteByte(')')
	}
	switch n := n.(type) {
	case *constNode:
		b.WriteString(formatValue(n.v))
	case *propNode:
		b.WriteString(n.name)
	case *negNode:
		list("-", n.x)
	case *notNode:
		list("NOT", n.x)
	case *boolCastNode:
		list("BOOL", n.x)
	case *andNode:
		list("AND", n.l, n.r)
	case *orNode:
		list("OR", n.l, n.r)
	case *eqNode:
		list("=", n.l, n.r)
	case *cmpNode:
		list(cmpOpNames[n.op], n.l, n.r)
	case *strOpNode:
		name := strOpNames[n.op]
		if n.not {
			name = "NOT-" + name
		}
		list(name, n.x, &constNode{value{k: kString, s: n.search}})
	case *inNode:
		name := "IN"
		if n.not {
			name = "NOT-IN"
		}
		items := n.list
		if n.set != nil {
			items = nil
			for s := range n.set {
				items = append(items, s)
			}
			slices.Sort(items)
		}
		b.WriteString("(" + name + " " + n.x.name)
		for _, s := range items {
			b.WriteString(" " + formatValue(value{k: kString, s: s}))
		}
		b.WriteByte(')')
	default:
		b.WriteString("?")
	}
}

func formatValue(v value) string {
	switch v.k {
	case kNull:
		return "NULL"
	case kBool:
		if v.b {
			return "TRUE"
		}
		return "FALSE"
	case kInt:
		return strconv.FormatInt(v.n, 10)
	case kLong:
		return strconv.FormatInt(v.n, 10) + "L"
	case kDouble:
		return strconv.FormatFloat(v.f, 'g', -1, 64) + "D"
	case kString:
		return "'" + strings.ReplaceAll(v.s, "'", "''") + "'"
	}
	return "ERROR"
}
