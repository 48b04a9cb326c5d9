package zfscompat

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// column is one requested property.
type column struct {
	name string // canonical name
	p    *prop  // nil for a user property
}

// header is the column title zfs list prints.
func (c column) header() string {
	if c.p == nil {
		return strings.ToUpper(c.name)
	}
	return c.p.col
}

// rightAligned is zfs_prop_align_right: numbers are right-aligned.
func (c column) rightAligned() bool {
	return c.p != nil && (numeric(c.p) || c.p.kind == kRatio)
}

// parseColumns reads a property list, rejecting unknown names as OpenZFS
// does.
func parseColumns(s string) ([]column, string, bool) {
	var cols []column
	for _, w := range strings.Split(s, ",") {
		name, p, ok := lookupProp(w)
		if !ok {
			return nil, w, false
		}
		cols = append(cols, column{name, p})
	}
	return cols, "", true
}

// fuseList collects the zfs-fuse properties behind cols.
func fuseList(cols []column) []string {
	var out []string
	for _, c := range cols {
		out = append(out, fuseNeeds(c.name, c.p)...)
	}
	return out
}

const listUsage = `usage:
	list [-Hp] [-r|-d max] [-o property[,...]] [-s property]...
	    [-S property]... [-t type[,...]] [filesystem|volume|snapshot] ...
`

// sortKey is one -s/-S column.
type sortKey struct {
	col  column
	desc bool
}

func zfsList(e *model.Env, args []string) int {
	opts, rest, rc := options(e, args, "Hpd:o:rs:S:t:", listUsage)
	if rc != 0 {
		return rc
	}
	cols := []column{{"name", propByName["name"]}, {"used", propByName["used"]}, {"available", propByName["available"]},
		{"referenced", propByName["referenced"]}, {"mountpoint", propByName["mountpoint"]}}
	sel := selection{depth: -1, types: tFS | tVol}
	var scripted, literal bool
	var keys []sortKey
	for _, o := range opts {
		if ok, rc := sel.option(e, o, listUsage); ok {
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
			c, badProp, ok := parseColumns(o.Arg)
			if !ok {
				return badProperty(e, listUsage, badProp)
			}
			cols = c
		case 's', 'S':
			c, badProp, ok := parseColumns(o.Arg)
			if !ok || len(c) != 1 {
				return badProperty(e, listUsage, badProp)
			}
			keys = append(keys, sortKey{c[0], o.Flag == 'S'})
		}
	}
	// OpenZFS lists a file system's snapshots for `-t snapshot fs`.
	if sel.typesGiven && sel.types == tSnap && len(rest) > 0 && !sel.recurse {
		sel.recurse, sel.depth = true, 1
	}
	if len(rest) == 0 {
		sel.recurse = true
	}
	need := fuseList(cols)
	clones := wantsClones(cols...)
	for _, k := range keys {
		need = append(need, fuseNeeds(k.col.name, k.col.p)...)
		clones = clones || wantsClones(k.col)
	}
	if clones {
		need = append(need, "origin")
	}
	cat, err := loadFor(e, rest, sel, need)
	if err != nil {
		fmt.Fprintln(e.Stderr, err)
		return 1
	}
	sets, rc := cat.pick(e, rest, sel)
	if clones {
		if err := cat.findClones(e, sets); err != nil {
			fmt.Fprintln(e.Stderr, err)
			return 1
		}
	}
	if len(keys) > 0 {
		sort.SliceStable(sets, func(i, j int) bool { return cat.less(sets[i], sets[j], keys) })
	}
	rows := make([][]string, len(sets))
	for i, d := range sets {
		for _, c := range cols {
			v, _, _ := cat.value(d, c.name, c.p, literal)
			rows[i] = append(rows[i], v)
		}
	}
	if len(rows) == 0 {
		if !scripted && rc == 0 {
			fmt.Fprintln(e.Stdout, "no datasets available")
		}
		return rc
	}
	printTable(e, cols, rows, scripted, literal)
	return rc
}

// printTable prints zfs list rows: tab-separated for -H, otherwise in
// columns two spaces apart, numbers right-aligned, the last left-aligned
// column unpadded.
func printTable(e *model.Env, cols []column, rows [][]string, scripted, literal bool) {
	var b strings.Builder
	if scripted {
		for _, r := range rows {
			b.WriteString(strings.Join(r, "\t"))
			b.WriteByte('\n')
		}
		fmt.Fprint(e.Stdout, b.String())
		return
	}
	widths := make([]int, len(cols))
	for i, c := range cols {
		w := len(c.header())
		fixed := false
		if c.p != nil {
			switch {
			case numeric(c.p) && c.p.kind != kTime || c.p.kind == kRatio:
				w, fixed = max(w, 5), !literal
			case c.p.kind == kIndex:
				w, fixed = max(w, c.p.width), !literal
			}
		}
		for _, r := range rows {
			if !fixed || len(r[i]) > w {
				w = max(w, len(r[i]))
			}
		}
		widths[i] = w
	}
	line := func(cells []string) {
		for i, s := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			switch {
			case cols[i].rightAligned():
				fmt.Fprintf(&b, "%*s", widths[i], s)
			case i == len(cells)-1:
				b.WriteString(s)
			default:
				fmt.Fprintf(&b, "%-*s", widths[i], s)
			}
		}
		b.WriteByte('\n')
	}
	hdr := make([]string, len(cols))
	for i, c := range cols {
		hdr[i] = c.header()
	}
	line(hdr)
	for _, r := range rows {
		line(r)
	}
	fmt.Fprint(e.Stdout, b.String())
}

// less orders by the -s/-S keys, then by name as libzfs does.
func (c *catalog) less(a, b *dataset, keys []sortKey) bool {
	for _, k := range keys {
		av, _, aok := c.value(a, k.col.name, k.col.p, true)
		bv, _, bok := c.value(b, k.col.name, k.col.p, true)
		if k.col.p == nil {
			aok, bok = av != "-", bv != "-"
		}
		// A dataset lacking the property sorts after those having it,
		// whatever the direction.
		if aok != bok {
			return aok
		}
		if !aok || av == bv {
			continue
		}
		var lt bool
		if numeric(k.col.p) || k.col.p != nil && k.col.p.kind == kRatio {
			an, _ := strconv.ParseFloat(av, 64)
			bn, _ := strconv.ParseFloat(bv, 64)
			if an == bn {
				continue
			}
			lt = an < bn
		} else {
			lt = av < bv
		}
		if k.desc {
			return !lt
		}
		return lt
	}
	return lessByName(a, b)
}

// options parses a zfs or zpool subcommand's options with getopt(3). On
// an error it prints OpenZFS's wording of it and the subcommand's usage,
// and rc is zfs's usage status, 2.
func options(e *model.Env, args []string, spec, usage string) (opts []model.Option, rest []string, rc int) {
	opts, rest, bad, missing := model.Getopt(args, spec)
	if bad == 0 {
		return opts, rest, 0
	}
	if missing {
		fmt.Fprintf(e.Stderr, "missing argument for '%c' option\n", bad)
	} else {
		fmt.Fprintf(e.Stderr, "invalid option '%c'\n", bad)
	}
	fmt.Fprint(e.Stderr, usage)
	return nil, nil, 2
}

func badProperty(e *model.Env, usage, name string) int {
	fmt.Fprintf(e.Stderr, "bad property list: invalid property '%s'\n", name)
	fmt.Fprint(e.Stderr, usage)
	return 2
}
