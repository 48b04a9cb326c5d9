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
//	table struct           a table whose columns are known even with no rows
//	                       (below)
//	list of table structs  each table in turn
//	pairs struct           "key<SEP>value" lines (below)
//	other list or tuple    one element per line
//	dict, struct           "key: value" lines; -H: "key<TAB>value"
//	--json                 any value as indented JSON (dict keys in insertion
//	                       order, struct fields in the struct's order)
//
// In table cells None is "-", strings are bare, lists are comma-joined.
//
// A table struct is struct(columns=[...], rows=[...]) with optional fields:
//
//	columns    the keys of each row to show, in order (required)
//	rows       list of dicts or structs; a missing key shows "-" (required)
//	headers    header labels, one per column; default: columns upper-cased;
//	           [] prints no header line
//	title      a line printed before the header (a banner)
//	format     printf-style line templates that lay out each row instead of
//	           aligned columns: only %s, %-Ns (left-justified in N) and %Ns
//	           (right-justified) and %%; together they take every column in
//	           order, and one row may span several lines; the header goes
//	           through the same templates; trailing blanks are trimmed
//	name       the table's key in --json when a recipe returns several
//	hide_empty True: with no rows print nothing at all, not even the title
//
// The header (and title) print even when there are no rows, so an admin
// sees "JID  UUID  BOOT  STATE  TAG" on a host without jails. -H drops
// title and header and prints the cells tab-separated, whatever the format
// (scripts get one contract). --json prints the rows as an array of
// objects with exactly the columns as keys, in order; a list of tables
// prints an object whose keys are their names.
//
// A pairs struct is struct(pairs={...}, separator=":"): one "key:value"
// line per item (get all), or with separator "=" "key=value" (defaults);
// -H: key<TAB>value; --json: the dict.

type renderOpts struct {
	noHeader bool // -H
	json     bool // --json
}

// render prints v to w.
func render(w io.Writer, v starlark.Value, o renderOpts) error {
	if t, err := asTable(v); err != nil {
		return err
	} else if t != nil {
		if o.json {
			return writeIndentedJSON(w, func(b *bytes.Buffer) error { return t.writeJSON(b) })
		}
		return t.render(w, o)
	}
	if ts, err := asTables(v); err != nil {
		return err
	} else if ts != nil {
		if o.json {
			return writeIndentedJSON(w, func(b *bytes.Buffer) error { return writeTablesJSON(b, ts) })
		}
		for _, t := range ts {
			if err := t.render(w, o); err != nil {
				return err
			}
		}
		return nil
	}
	if p, err := asPairs(v); err != nil {
		return err
	} else if p != nil {
		if o.json {
			return writeIndentedJSON(w, func(b *bytes.Buffer) error { return writeJSON(b, p.dict, 0) })
		}
		return p.render(w, o)
	}
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

// The table and pairs structs of render.go's doc comment: how a recipe
// states the columns of a table that may have no rows, and lays out a
// table or a list of pairs the way the original iocage printed it.

// table is a recipe's struct(columns=..., rows=..., ...).
type table struct {
	columns   []string
	headers   []string // nil: the columns upper-cased
	noHeader  bool     // headers=[]
	title     string
	format    []lineFormat
	name      string
	hideEmpty bool
	rows      []map[string]starlark.Value
}

var tableFields = map[string]bool{"columns": true, "rows": true, "headers": true, "title": true, "format": true, "name": true, "hide_empty": true}

// structFields returns the fields of a struct() value, or nil for any
// other value.
func structFields(v starlark.Value) map[string]starlark.Value {
	st, ok := v.(*starlarkstruct.Struct)
	if !ok || st.Constructor() != starlarkstruct.Default {
		return nil
	}
	out := map[string]starlark.Value{}
	for _, n := range st.AttrNames() {
		a, err := st.Attr(n)
		if err == nil && a != nil {
			out[n] = a
		}
	}
	return out
}

// asTable recognises a table struct: a struct with columns and rows and no
// field the convention does not know (anything else is an ordinary
// struct). A table struct with badly typed fields is an error naming the
// field, so a recipe author sees the mistake.
func asTable(v starlark.Value) (*table, error) {
	f := structFields(v)
	if f == nil || f["columns"] == nil || f["rows"] == nil {
		return nil, nil
	}
	for k := range f {
		if !tableFields[k] {
			return nil, nil
		}
	}
	t := &table{}
	var err error
	if t.columns, err = stringsOf(f["columns"], "columns"); err != nil {
		return nil, err
	}
	if len(t.columns) == 0 {
		return nil, fmt.Errorf("render: table columns: empty list, want at least one column")
	}
	if h, ok := f["headers"]; ok {
		if t.headers, err = stringsOf(h, "headers"); err != nil {
			return nil, err
		}
		switch {
		case len(t.headers) == 0:
			t.noHeader = true
		case len(t.headers) != len(t.columns):
			return nil, fmt.Errorf("render: table headers: %d labels for %d columns", len(t.headers), len(t.columns))
		}
	}
	if t.title, err = stringOf(f["title"], "title"); err != nil {
		return nil, err
	}
	if t.name, err = stringOf(f["name"], "name"); err != nil {
		return nil, err
	}
	if he, ok := f["hide_empty"]; ok {
		b, ok := he.(starlark.Bool)
		if !ok {
			return nil, fmt.Errorf("render: table hide_empty: got %s, want bool", he.Type())
		}
		t.hideEmpty = bool(b)
	}
	if fv, ok := f["format"]; ok {
		lines, err := stringsOf(fv, "format")
		if err != nil {
			return nil, err
		}
		n := 0
		for _, l := range lines {
			lf, err := parseLineFormat(l)
			if err != nil {
				return nil, err
			}
			t.format = append(t.format, lf)
			n += len(lf.fields)
		}
		if n != len(t.columns) {
			return nil, fmt.Errorf("render: table format has %d fields for %d columns", n, len(t.columns))
		}
	}
	rows, ok := f["rows"].(starlark.Indexable)
	if !ok {
		return nil, fmt.Errorf("render: table rows: got %s, want a list", f["rows"].Type())
	}
	for _, e := range listElems(rows) {
		var ps []pair
		switch x := e.(type) {
		case *starlark.Dict:
			ps = dictPairs(x)
		case starlark.HasAttrs:
			ps, _ = attrPairs(x)
		default:
			return nil, fmt.Errorf("render: table row: got %s, want a dict or struct", e.Type())
		}
		r := map[string]starlark.Value{}
		for _, p := range ps {
			r[p.key] = p.val
		}
		t.rows = append(t.rows, r)
	}
	return t, nil
}

// asTables recognises a non-empty list whose every element is a table
// struct.
func asTables(v starlark.Value) ([]*table, error) {
	l, ok := v.(*starlark.List)
	if !ok || l.Len() == 0 {
		return nil, nil
	}
	var out []*table
	for _, e := range listElems(l) {
		t, err := asTable(e)
		if err != nil || t == nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func stringsOf(v starlark.Value, field string) ([]string, error) {
	l, ok := v.(starlark.Indexable)
	if !ok || v.Type() == "string" {
		return nil, fmt.Errorf("render: table %s: got %s, want a list of strings", field, v.Type())
	}
	var out []string
	for i, e := range listElems(l) {
		s, ok := starlark.AsString(e)
		if !ok {
			return nil, fmt.Errorf("render: table %s[%d]: got %s, want a string", field, i, e.Type())
		}
		out = append(out, s)
	}
	return out, nil
}

func stringOf(v starlark.Value, field string) (string, error) {
	if v == nil {
		return "", nil
	}
	s, ok := starlark.AsString(v)
	if !ok {
		return "", fmt.Errorf("render: table %s: got %s, want a string", field, v.Type())
	}
	return s, nil
}

func (t *table) labels() []string {
	if t.headers != nil {
		return t.headers
	}
	out := make([]string, len(t.columns))
	for i, c := range t.columns {
		out[i] = strings.ToUpper(c)
	}
	return out
}

func (t *table) cells(r map[string]starlark.Value, script bool) []string {
	out := make([]string, len(t.columns))
	for i, c := range t.columns {
		if v, ok := r[c]; ok {
			out[i] = cell(v, script)
		} else {
			out[i] = "-"
		}
	}
	return out
}

func (t *table) render(w io.Writer, o renderOpts) error {
	if len(t.rows) == 0 && t.hideEmpty {
		return nil
	}
	var b strings.Builder
	if o.noHeader {
		for _, r := range t.rows {
			b.WriteString(strings.Join(t.cells(r, true), "\t"))
			b.WriteByte('\n')
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	if t.title != "" {
		b.WriteString(t.title + "\n")
	}
	var lines [][]string
	if !t.noHeader {
		lines = append(lines, t.labels())
	}
	for _, r := range t.rows {
		lines = append(lines, t.cells(r, false))
	}
	if t.format == nil {
		writeAligned(&b, lines)
	} else {
		for _, l := range lines {
			for _, f := range t.format {
				b.WriteString(strings.TrimRight(f.apply(l[:len(f.fields)]), " "))
				b.WriteByte('\n')
				l = l[len(f.fields):]
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeJSON writes the rows as objects with exactly the columns as keys.
func (t *table) writeJSON(b *bytes.Buffer) error {
	b.WriteByte('[')
	for i, r := range t.rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for j, c := range t.columns {
			if j > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(c)
			b.Write(k)
			b.WriteByte(':')
			v, ok := r[c]
			if !ok {
				v = starlark.None
			}
			if err := writeJSON(b, v, 1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return nil
}

func writeTablesJSON(b *bytes.Buffer, ts []*table) error {
	b.WriteByte('{')
	seen := map[string]bool{}
	for i, t := range ts {
		name := t.name
		if name == "" {
			name = "table" + strconv.Itoa(i+1)
		}
		if seen[name] {
			return fmt.Errorf("render json: two tables named %q", name)
		}
		seen[name] = true
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		if err := t.writeJSON(b); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func writeIndentedJSON(w io.Writer, write func(*bytes.Buffer) error) error {
	var raw, out bytes.Buffer
	if err := write(&raw); err != nil {
		return err
	}
	if err := json.Indent(&out, raw.Bytes(), "", "  "); err != nil {
		return fmt.Errorf("render json: %w", err)
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}

// lineFormat is one parsed format template: literal text around fields.
type lineFormat struct {
	text   []string // len(fields)+1 pieces of literal text
	fields []fieldFormat
}

type fieldFormat struct {
	width int
	left  bool
}

// parseLineFormat accepts the printf subset of the table convention. It
// does not hand the template to fmt, so a recipe's %d or %v is an error,
// not a "%!d(string=...)" in the output.
func parseLineFormat(s string) (lineFormat, error) {
	var lf lineFormat
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			lit.WriteByte(s[i])
			continue
		}
		j := i + 1
		if j < len(s) && s[j] == '%' {
			lit.WriteByte('%')
			i = j
			continue
		}
		f := fieldFormat{}
		if j < len(s) && s[j] == '-' {
			f.left = true
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			n, err := strconv.Atoi(s[j:k])
			if err != nil || n > 1000 {
				return lf, fmt.Errorf("render: table format %q: width %q out of range 0-1000", s, s[j:k])
			}
			f.width = n
		}
		if k >= len(s) || s[k] != 's' {
			return lf, fmt.Errorf("render: table format %q: only %%s, %%-Ns, %%Ns and %%%% are accepted", s)
		}
		lf.text = append(lf.text, lit.String())
		lit.Reset()
		lf.fields = append(lf.fields, f)
		i = k
	}
	lf.text = append(lf.text, lit.String())
	return lf, nil
}

func (lf lineFormat) apply(vals []string) string {
	var b strings.Builder
	for i, f := range lf.fields {
		b.WriteString(lf.text[i])
		v := vals[i]
		pad := strings.Repeat(" ", max(0, f.width-utf8.RuneCountInString(v)))
		if f.left {
			b.WriteString(v + pad)
		} else {
			b.WriteString(pad + v)
		}
	}
	b.WriteString(lf.text[len(lf.fields)])
	return b.String()
}

// pairs is a recipe's struct(pairs={...}, separator="...").
type pairs struct {
	dict *starlark.Dict
	sep  string
}

func asPairs(v starlark.Value) (*pairs, error) {
	f := structFields(v)
	if f == nil || len(f) != 2 || f["pairs"] == nil || f["separator"] == nil {
		return nil, nil
	}
	d, ok := f["pairs"].(*starlark.Dict)
	if !ok {
		return nil, fmt.Errorf("render: pairs: got %s, want a dict", f["pairs"].Type())
	}
	sep, ok := starlark.AsString(f["separator"])
	if !ok {
		return nil, fmt.Errorf("render: pairs separator: got %s, want a string", f["separator"].Type())
	}
	return &pairs{dict: d, sep: sep}, nil
}

func (p *pairs) render(w io.Writer, o renderOpts) error {
	var b strings.Builder
	for _, kv := range dictPairs(p.dict) {
		if o.noHeader {
			fmt.Fprintf(&b, "%s\t%s\n", kv.key, cell(kv.val, true))
		} else {
			fmt.Fprintf(&b, "%s%s%s\n", kv.key, p.sep, cell(kv.val, false))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
