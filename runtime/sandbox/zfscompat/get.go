package zfscompat

import (
	"fmt"
	"sort"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

const getUsage = `usage:
	get [-rHp] [-d max] [-o "all" | field[,...]]
	    [-t type[,...]] [-s source[,...]]
	    <"all" | property[,...]> [filesystem|volume|snapshot|bookmark] ...
`

// sourceClass maps a source column to a -s word.
func sourceClass(src string) string {
	switch {
	case src == "-":
		return "none"
	case strings.HasPrefix(src, "inherited"):
		return "inherited"
	}
	return src
}

func zfsGet(e *model.Env, args []string) int {
	opts, rest, rc := options(e, args, "Hpd:o:rs:t:", getUsage)
	if rc != 0 {
		return rc
	}
	sel := selection{depth: -1, types: tAll}
	fields := []string{"name", "property", "value", "source"}
	var scripted, literal bool
	var sources map[string]bool
	for _, o := range opts {
		if ok, rc := sel.option(e, o, getUsage); ok {
			if rc != 0 {
				return rc
			}
			continue
		}
		switch o.Flag {
		case 'H':
			scripted = true
		case 'p':
			literal = true
		case 'o':
			fields = nil
			for _, f := range strings.Split(o.Arg, ",") {
				switch f {
				case "name", "property", "value", "received", "source":
					fields = append(fields, f)
				case "all":
					fields = append(fields, "name", "property", "value", "received", "source")
				default:
					fmt.Fprintf(e.Stderr, "invalid column name '%s'\n", f)
					fmt.Fprint(e.Stderr, getUsage)
					return 2
				}
			}
		case 's':
			sources = map[string]bool{}
			for _, s := range strings.Split(o.Arg, ",") {
				switch s {
				case "local", "default", "inherited", "temporary", "received", "none":
					sources[s] = true
				default:
					fmt.Fprintf(e.Stderr, "invalid source '%s'\n", s)
					fmt.Fprint(e.Stderr, getUsage)
					return 2
				}
			}
		}
	}
	if len(rest) == 0 {
		fmt.Fprintln(e.Stderr, "missing property argument")
		fmt.Fprint(e.Stderr, getUsage)
		return 2
	}
	all := rest[0] == "all"
	var cols []column
	if !all {
		c, badProp, ok := parseColumns(rest[0])
		if !ok {
			return badProperty(e, getUsage, badProp)
		}
		cols = c
	}
	targets := rest[1:]
	if len(targets) == 0 {
		sel.recurse = true
	}
	need := []string{"all"}
	if !all {
		need = fuseList(cols)
	}
	clones := all || wantsClones(cols...)
	if clones {
		need = append(need, "origin")
	}
	cat, err := loadFor(e, targets, sel, need)
	if err != nil {
		fmt.Fprintln(e.Stderr, err)
		return 1
	}
	sets, rc := cat.pick(e, targets, sel)
	if clones {
		if err := cat.findClones(e, sets); err != nil {
			fmt.Fprintln(e.Stderr, err)
			return 1
		}
	}
	var rows [][]string // name, property, value, received, source
	for _, d := range sets {
		dcols := cols
		if all {
			dcols = allColumns(d)
		}
		for _, c := range dcols {
			v, src, ok := cat.value(d, c.name, c.p, literal)
			if !ok && all {
				continue
			}
			if sources != nil && !sources[sourceClass(src)] {
				continue
			}
			rows = append(rows, []string{d.name, c.name, v, "-", src})
		}
	}
	printGet(e, fields, cols, rows, scripted, literal)
	return rc
}

// allColumns is what `get all` shows of d: every property that applies,
// then its user properties in name order.
func allColumns(d *dataset) []column {
	var out []column
	for i := range props {
		p := &props[i]
		if p.name == "name" || p.types&d.typ == 0 {
			continue
		}
		out = append(out, column{p.name, p})
	}
	var user []string
	for n := range d.vals {
		if isUserProp(n) && !strings.HasPrefix(n, shadowPrefix) && d.vals[n].src != "-" {
			user = append(user, n)
		}
	}
	sort.Strings(user)
	for _, n := range user {
		out = append(out, column{n, nil})
	}
	return out
}

// printGet prints rows like zprop_print_one_property.
func printGet(e *model.Env, fields []string, cols []column, rows [][]string, scripted, literal bool) {
	index := map[string]int{"name": 0, "property": 1, "value": 2, "received": 3, "source": 4}
	var b strings.Builder
	widths := map[string]int{"name": 4, "property": 8, "value": 5, "received": 8, "source": 6}
	if !scripted {
		for _, c := range cols {
			widths["property"] = max(widths["property"], len(c.name))
			w := len(c.header())
			if c.p != nil && (numeric(c.p) && c.p.kind != kTime || c.p.kind == kRatio) {
				w = max(w, 5)
			}
			if c.p != nil && c.p.kind == kIndex {
				w = max(w, c.p.width)
			}
			widths["value"] = max(widths["value"], w)
		}
		for _, r := range rows {
			widths["name"] = max(widths["name"], len(r[0]))
			widths["property"] = max(widths["property"], len(r[1]))
			widths["value"] = max(widths["value"], len(r[2]))
		}
		hdr := []string{"NAME", "PROPERTY", "VALUE", "RECEIVED", "SOURCE"}
		writeGetLine(&b, fields, widths, func(f string) string { return hdr[index[f]] }, false)
	}
	for _, r := range rows {
		writeGetLine(&b, fields, widths, func(f string) string { return r[index[f]] }, scripted)
	}
	fmt.Fprint(e.Stdout, b.String())
}

func writeGetLine(b *strings.Builder, fields []string, widths map[string]int, cell func(string) string, scripted bool) {
	for i, f := range fields {
		s := cell(f)
		switch {
		case i == len(fields)-1:
			b.WriteString(s)
		case scripted:
			b.WriteString(s + "\t")
		default:
			fmt.Fprintf(b, "%-*s  ", widths[f], s)
		}
	}
	b.WriteByte('\n')
}
