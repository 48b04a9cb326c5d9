package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// How verbs print what a recipe returns (recipes return data, Go renders
// it; data goes to stdout, errors to stderr):
//
//	None                   nothing
//	string                 the string, with a final newline added if missing
//	int, float, bool       the value
//	list of dicts/structs  a table: columns are the first row's keys in order,
//	                       headers upper-cased, columns two spaces apart;
//	                       -H: no header, tab-separated
//	other list or tuple    one element per line
//	dict, struct           "key: value" lines; -H: "key<TAB>value"
//	--json                 any value as indented JSON (dict keys in insertion
//	                       order, struct fields in the struct's order)
//
// In table cells None is "-", strings are bare, lists are comma-joined.

type renderOpts struct {
	noHeader bool // -H
	json     bool // --json
}

// render prints v to w.
func render(w io.Writer, v starlark.Value, o renderOpts) error {
	if o.json {
		b, err := toJSON(v)
		if err != nil {
			return err
		}
		var out bytes.Buffer
		if err := json.Indent(&out, b, "", "  "); err != nil {
			return fmt.Errorf("render json: %w", err)
		}
		out.WriteByte('\n')
		_, err = w.Write(out.Bytes())
		return err
	}
	switch x := v.(type) {
	case nil, starlark.NoneType:
		return nil
	case starlark.String:
		s := x.GoString()
		if s == "" {
			return nil
		}
		if !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		_, err := io.WriteString(w, s)
		return err
	case *starlark.Dict:
		return renderPairs(w, dictPairs(x), o)
	case *starlark.List, starlark.Tuple:
		elems := listElems(x.(starlark.Indexable))
		if len(elems) == 0 {
			return nil
		}
		if rows, ok := tableRows(elems); ok {
			return renderTable(w, rows, o)
		}
		var b strings.Builder
		for _, e := range elems {
			b.WriteString(cell(e, o.noHeader))
			b.WriteByte('\n')
		}
		_, err := io.WriteString(w, b.String())
		return err
	case starlark.HasAttrs:
		if pairs, ok := attrPairs(x); ok {
			return renderPairs(w, pairs, o)
		}
	}
	_, err := fmt.Fprintln(w, v.String())
	return err
}

type pair struct {
	key string
	val starlark.Value
}

type row []pair

func dictPairs(d *starlark.Dict) []pair {
	items := d.Items()
	out := make([]pair, len(items))
	for i, it := range items {
		out[i] = pair{key: cell(it[0], false), val: it[1]}
	}
	return out
}

// attrPairs lists the data attributes of a struct-like value; methods
// (anything callable) are not data and are left out.
func attrPairs(v starlark.HasAttrs) ([]pair, bool) {
	if _, ok := v.(*starlarkstruct.Module); ok {
		return nil, false
	}
	var out []pair
	for _, n := range v.AttrNames() {
		a, err := v.Attr(n)
		if err != nil || a == nil {
			continue
		}
		if _, ok := a.(starlark.Callable); ok {
			continue
		}
		out = append(out, pair{key: n, val: a})
	}
	return out, len(out) > 0
}

func listElems(x starlark.Indexable) []starlark.Value {
	out := make([]starlark.Value, x.Len())
	for i := range out {
		out[i] = x.Index(i)
	}
	return out
}

// tableRows reports whether every element is a dict or struct, and their
// fields.
func tableRows(elems []starlark.Value) ([]row, bool) {
	rows := make([]row, 0, len(elems))
	for _, e := range elems {
		switch x := e.(type) {
		case *starlark.Dict:
			rows = append(rows, dictPairs(x))
		case starlark.HasAttrs:
			ps, ok := attrPairs(x)
			if !ok {
				return nil, false
			}
			rows = append(rows, ps)
		default:
			return nil, false
		}
	}
	return rows, true
}

func renderTable(w io.Writer, rows []row, o renderOpts) error {
	var cols []string
	for _, p := range rows[0] {
		cols = append(cols, p.key)
	}
	var lines [][]string
	if !o.noHeader {
		h := make([]string, len(cols))
		for i, c := range cols {
			h[i] = strings.ToUpper(c)
		}
		lines = append(lines, h)
	}
	for _, r := range rows {
		vals := map[string]starlark.Value{}
		for _, p := range r {
			vals[p.key] = p.val
		}
		line := make([]string, len(cols))
		for i, c := range cols {
			if v, ok := vals[c]; ok {
				line[i] = cell(v, o.noHeader)
			} else {
				line[i] = "-"
			}
		}
		lines = append(lines, line)
	}
	var b strings.Builder
	if o.noHeader {
		for _, l := range lines {
			b.WriteString(strings.Join(l, "\t"))
			b.WriteByte('\n')
		}
	} else {
		writeAligned(&b, lines)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeAligned pads every column but the last to its widest cell plus two
// spaces, as column -t does.
func writeAligned(b *strings.Builder, lines [][]string) {
	widths := map[int]int{}
	for _, l := range lines {
		for i, c := range l {
			if n := utf8.RuneCountInString(c); n > widths[i] {
				widths[i] = n
			}
		}
	}
	for _, l := range lines {
		for i, c := range l {
			if i == len(l)-1 {
				b.WriteString(c)
				break
			}
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
		}
		b.WriteByte('\n')
	}
}

func renderPairs(w io.Writer, pairs []pair, o renderOpts) error {
	var b strings.Builder
	for _, p := range pairs {
		if o.noHeader {
			fmt.Fprintf(&b, "%s\t%s\n", p.key, cell(p.val, true))
		} else {
			fmt.Fprintf(&b, "%s: %s\n", p.key, cell(p.val, false))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell is a value as one table cell; for scripts (-H) whitespace that
// would break the columns is flattened.
func cell(v starlark.Value, script bool) string {
	var s string
	switch x := v.(type) {
	case starlark.NoneType:
		s = "-"
	case starlark.String:
		s = x.GoString()
	case starlark.Bool:
		s = strconv.FormatBool(bool(x))
	case *starlark.List, starlark.Tuple:
		elems := listElems(x.(starlark.Indexable))
		parts := make([]string, len(elems))
		for i, e := range elems {
			parts[i] = cell(e, script)
		}
		s = strings.Join(parts, ",")
	case *starlark.Dict:
		var parts []string
		for _, p := range dictPairs(x) {
			parts = append(parts, p.key+"="+cell(p.val, script))
		}
		s = strings.Join(parts, ",")
	default:
		s = v.String()
	}
	if script {
		s = strings.NewReplacer("\t", " ", "\n", " ").Replace(s)
	}
	return s
}

// toJSON encodes v keeping dict insertion order, which recipes choose
// deliberately (it is also the table's column order).
func toJSON(v starlark.Value) ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, v, 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, v starlark.Value, depth int) error {
	if depth > 100 {
		return fmt.Errorf("render json: value nested too deeply (a cycle?)")
	}
	str := func(s string) {
		enc, _ := json.Marshal(s)
		b.Write(enc)
	}
	switch x := v.(type) {
	case nil, starlark.NoneType:
		b.WriteString("null")
	case starlark.Bool:
		b.WriteString(strconv.FormatBool(bool(x)))
	case starlark.Int:
		b.WriteString(x.BigInt().Text(10))
	case starlark.Float:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("render json: %s has no JSON form", x)
		}
		b.WriteString(new(big.Float).SetFloat64(f).Text('g', -1))
	case starlark.String:
		str(x.GoString())
	case *starlark.Dict:
		b.WriteByte('{')
		for i, it := range x.Items() {
			if i > 0 {
				b.WriteByte(',')
			}
			k, ok := it[0].(starlark.String)
			if !ok {
				return fmt.Errorf("render json: dict key %s is a %s, want a string", it[0], it[0].Type())
			}
			str(k.GoString())
			b.WriteByte(':')
			if err := writeJSON(b, it[1], depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case starlark.Iterable:
		if ha, ok := v.(starlark.HasAttrs); ok && !isSequence(v) {
			return writeAttrs(b, ha, depth)
		}
		b.WriteByte('[')
		it := x.Iterate()
		defer it.Done()
		var e starlark.Value
		for i := 0; it.Next(&e); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, e, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case starlark.HasAttrs:
		return writeAttrs(b, x, depth)
	default:
		str(v.String())
	}
	return nil
}

func isSequence(v starlark.Value) bool {
	switch v.(type) {
	case *starlark.List, starlark.Tuple, *starlark.Set:
		return true
	}
	return false
}

func writeAttrs(b *bytes.Buffer, v starlark.HasAttrs, depth int) error {
	pairs, _ := attrPairs(v)
	b.WriteByte('{')
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte(',')
		}
		enc, _ := json.Marshal(p.key)
		b.Write(enc)
		b.WriteByte(':')
		if err := writeJSON(b, p.val, depth+1); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}
