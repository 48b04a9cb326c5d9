package zfscompat

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// poolProp is one OpenZFS pool property.
type poolProp struct {
	name, col string
	kind      kind   // kBytes, kNum (a percentage), kRatio, kString
	right     bool   // printed right-aligned (a number inside libzfs)
	fuse      string // zfs-fuse pool property; empty for a constant
	def       string // the constant, or the value when zfs-fuse says 0
	src       string // source of a constant
}

var poolProps = []poolProp{
	{name: "name", col: "NAME", kind: kString},
	{name: "size", col: "SIZE", kind: kBytes, right: true, fuse: "size"},
	{name: "capacity", col: "CAP", kind: kNum, right: true, fuse: "capacity"},
	{name: "altroot", col: "ALTROOT", kind: kString, def: "-", src: "default"},
	{name: "health", col: "HEALTH", kind: kString, right: true, fuse: "health"},
	{name: "guid", col: "GUID", kind: kString, right: true, fuse: "guid"},
	{name: "version", col: "VERSION", kind: kString, right: true, def: "-", src: "default"},
	{name: "bootfs", col: "BOOTFS", kind: kString, fuse: "bootfs"},
	{name: "delegation", col: "DELEGATION", kind: kString, fuse: "delegation"},
	{name: "autoreplace", col: "REPLACE", kind: kString, fuse: "autoreplace"},
	{name: "cachefile", col: "CACHEFILE", kind: kString, def: "-", src: "default"},
	{name: "failmode", col: "FAILMODE", kind: kString, fuse: "failmode"},
	{name: "listsnapshots", col: "LISTSNAPS", kind: kString, fuse: "listsnapshots"},
	{name: "autoexpand", col: "EXPAND", kind: kString, fuse: "autoexpand"},
	{name: "dedupratio", col: "DEDUP", kind: kRatio, right: true, fuse: "dedupratio"},
	{name: "free", col: "FREE", kind: kBytes, right: true, fuse: "free"},
	{name: "allocated", col: "ALLOC", kind: kBytes, right: true, fuse: "allocated"},
	{name: "readonly", col: "RDONLY", kind: kString, def: "off", src: "-"},
	{name: "ashift", col: "ASHIFT", kind: kString, right: true, fuse: "ashift"},
	{name: "comment", col: "COMMENT", kind: kString, def: "-", src: "default"},
	{name: "expandsize", col: "EXPANDSZ", kind: kBytes, right: true, def: "-", src: "-"},
	{name: "freeing", col: "FREEING", kind: kBytes, right: true, def: "0", src: "-"},
	{name: "fragmentation", col: "FRAG", kind: kNum, right: true, def: "0", src: "-"},
	{name: "leaked", col: "LEAKED", kind: kBytes, right: true, def: "0", src: "-"},
	{name: "multihost", col: "MULTIHOST", kind: kString, def: "off", src: "default"},
	{name: "checkpoint", col: "CKPOINT", kind: kBytes, right: true, def: "-", src: "-"},
	{name: "autotrim", col: "AUTOTRIM", kind: kString, def: "off", src: "default"},
	{name: "compatibility", col: "COMPATIBILITY", kind: kString, def: "off", src: "default"},
}

func lookupPoolProp(name string) (*poolProp, bool) {
	for i := range poolProps {
		p := &poolProps[i]
		if p.name == name || strings.ToLower(p.col) == name {
			return p, true
		}
	}
	return nil, false
}

// poolValues reads every property of the named pools with one zfs-fuse
// `zpool get all` (it has no -H or -p; its table is parsed instead).
func poolValues(e *model.Env, pools []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	r := run(e.Ctx, fuseZpool, append([]string{"get", "all"}, pools...)...)
	if r.code != 0 {
		return nil, fmt.Errorf("%s", strings.TrimSpace(unroot(e.SB, r.stderr)))
	}
	for i, line := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 3 {
			continue
		}
		if out[f[0]] == nil {
			out[f[0]] = map[string]string{}
		}
		out[f[0]][f[1]] = f[2]
	}
	return out, nil
}

// parseHuman turns zfs-fuse's "1016M" back into bytes. zfs-fuse prints pool
// sizes rounded to three digits, so -p values are exact only to that.
func parseHuman(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	mult := 1.0
	switch s[len(s)-1] {
	case 'K':
		mult = 1 << 10
	case 'M':
		mult = 1 << 20
	case 'G':
		mult = 1 << 30
	case 'T':
		mult = 1 << 40
	case 'P':
		mult = 1 << 50
	}
	if mult != 1 {
		s = s[:len(s)-1]
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return uint64(f * mult), true
}

// poolValue renders one pool property as OpenZFS does.
func poolValue(e *model.Env, pool string, vals map[string]string, p *poolProp, literal bool) (string, string) {
	if p.name == "name" {
		return pool, "-"
	}
	if p.fuse == "" {
		v := p.def
		switch {
		case literal && v == "-" && p.kind == kBytes:
			v = "0"
		case !literal && p.kind == kNum:
			v += "%"
		}
		return v, p.src
	}
	v := vals[p.fuse]
	src := "-"
	switch p.kind {
	case kBytes:
		if literal {
			if n, ok := parseHuman(v); ok {
				v = strconv.FormatUint(n, 10)
			}
		}
	case kNum:
		if literal {
			v = strings.TrimSuffix(v, "%")
		}
	case kRatio:
		if literal {
			v = strings.TrimSuffix(v, "x")
		}
	default:
		src = "default"
	}
	if p.fuse == "guid" || p.fuse == "health" {
		src = "-"
	}
	return v, src
}

const zpoolUsage = `usage: zpool command args ...
where 'command' is one of the following:

	list [-gHLpPv] [-o property[,...]] [-T d|u] [pool] ... [interval [count]]
	get [-Hp] [-o "all" | field[,...]] <"all" | property[,...]> <pool> ...
	status [-DegiLpPstvx] [-T d|u] [pool] ... [interval [count]]
`

// zpoolMain is /sbin/zpool.
func zpoolMain(e *model.Env) int {
	if len(e.Args) == 0 {
		fmt.Fprintln(e.Stderr, "missing command")
		fmt.Fprint(e.Stderr, zpoolUsage)
		return 2
	}
	args := e.Args[1:]
	switch e.Args[0] {
	case "list":
		return zpoolList(e, args)
	case "get":
		return zpoolGet(e, args)
	case "status":
		return zpoolStatus(e, args)
	}
	for _, a := range args {
		if !strings.HasPrefix(a, "-") && !strings.Contains(a, "=") && !strings.Contains(a, "/") && !ours(e.SB, a) {
			fmt.Fprintf(e.Stderr, "cannot open '%s': no such pool\n", a)
			return 1
		}
	}
	r := run(e.Ctx, fuseZpool, e.Args...)
	io.WriteString(e.Stdout, unroot(e.SB, r.stdout))
	io.WriteString(e.Stderr, unroot(e.SB, r.stderr))
	return r.code
}

// poolArgs checks named pools, defaulting to all of the sandbox's.
func poolArgs(e *model.Env, names []string) ([]string, int) {
	if len(names) == 0 {
		return e.SB.Pools, 0
	}
	var out []string
	rc := 0
	for _, n := range names {
		if !ours(e.SB, n) || strings.ContainsAny(n, "/@") {
			fmt.Fprintf(e.Stderr, "cannot open '%s': no such pool\n", n)
			rc = 1
			continue
		}
		out = append(out, n)
	}
	return out, rc
}

func zpoolList(e *model.Env, args []string) int {
	opts, rest, rc := options(e, args, "gHLpPvo:T:", zpoolUsage)
	if rc != 0 {
		return rc
	}
	names := "name,size,allocated,free,checkpoint,expandsize,fragmentation,capacity,dedupratio,health,altroot"
	var scripted, literal bool
	for _, o := range opts {
		switch o.Flag {
		case 'H':
			scripted = true
		case 'p':
			literal = true
		case 'o':
			names = o.Arg
		}
	}
	var cols []*poolProp
	for _, n := range strings.Split(names, ",") {
		p, ok := lookupPoolProp(n)
		if !ok {
			fmt.Fprintf(e.Stderr, "property '%s' is not a valid pool or vdev property\n", n)
			return 2
		}
		cols = append(cols, p)
	}
	pools, rc := poolArgs(e, rest)
	if len(pools) == 0 {
		if rc == 0 {
			fmt.Fprintln(e.Stdout, "no pools available")
		}
		return rc
	}
	vals, err := poolValues(e, pools)
	if err != nil {
		fmt.Fprintln(e.Stderr, err)
		return 1
	}
	var rows [][]string
	for _, pool := range pools {
		var row []string
		for _, p := range cols {
			v, _ := poolValue(e, pool, vals[pool], p, literal)
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	var b strings.Builder
	widths := make([]int, len(cols))
	for i, p := range cols {
		widths[i] = len(p.col)
		if p.right {
			widths[i] = max(widths[i], 5)
		}
		if p.name == "health" {
			widths[i] = max(widths[i], 8)
		}
		for _, r := range rows {
			widths[i] = max(widths[i], len(r[i]))
		}
	}
	line := func(cells []string) {
		for i, s := range cells {
			switch {
			case scripted && i > 0:
				b.WriteByte('\t')
			case i > 0:
				b.WriteString("  ")
			}
			switch {
			case scripted:
				b.WriteString(s)
			case cols[i].right:
				fmt.Fprintf(&b, "%*s", widths[i], s)
			case i == len(cells)-1:
				b.WriteString(s)
			default:
				fmt.Fprintf(&b, "%-*s", widths[i], s)
			}
		}
		b.WriteByte('\n')
	}
	if !scripted {
		var hdr []string
		for _, p := range cols {
			hdr = append(hdr, p.col)
		}
		line(hdr)
	}
	for _, r := range rows {
		line(r)
	}
	fmt.Fprint(e.Stdout, b.String())
	return rc
}

func zpoolGet(e *model.Env, args []string) int {
	opts, rest, rc := options(e, args, "Hpo:", zpoolUsage)
	if rc != 0 {
		return rc
	}
	fields := []string{"name", "property", "value", "source"}
	var scripted, literal bool
	for _, o := range opts {
		switch o.Flag {
		case 'H':
			scripted = true
		case 'p':
			literal = true
		case 'o':
			fields = nil
			for _, f := range strings.Split(o.Arg, ",") {
				switch f {
				case "name", "property", "value", "source":
					fields = append(fields, f)
				case "all":
					fields = append(fields, "name", "property", "value", "source")
				default:
					fmt.Fprintf(e.Stderr, "invalid column name '%s'\n", f)
					fmt.Fprint(e.Stderr, zpoolUsage)
					return 2
				}
			}
		}
	}
	if len(rest) == 0 {
		fmt.Fprintln(e.Stderr, "missing property argument")
		fmt.Fprint(e.Stderr, zpoolUsage)
		return 2
	}
	var cols []*poolProp
	if rest[0] == "all" {
		for i := range poolProps {
			if poolProps[i].name != "name" {
				cols = append(cols, &poolProps[i])
			}
		}
	} else {
		for _, n := range strings.Split(rest[0], ",") {
			p, ok := lookupPoolProp(n)
			if !ok {
				fmt.Fprintf(e.Stderr, "bad property list: invalid property '%s'\n", n)
				fmt.Fprint(e.Stderr, zpoolUsage)
				return 2
			}
			cols = append(cols, p)
		}
	}
	pools, rc := poolArgs(e, rest[1:])
	if len(pools) == 0 {
		return rc
	}
	vals, err := poolValues(e, pools)
	if err != nil {
		fmt.Fprintln(e.Stderr, err)
		return 1
	}
	var rows [][]string
	for _, pool := range pools {
		for _, p := range cols {
			v, src := poolValue(e, pool, vals[pool], p, literal)
			rows = append(rows, []string{pool, p.name, v, "-", src})
		}
	}
	index := map[string]int{"name": 0, "property": 1, "value": 2, "source": 4}
	widths := map[string]int{"name": 4, "property": 8, "value": 5, "source": 6}
	for _, r := range rows {
		widths["name"] = max(widths["name"], len(r[0]))
		widths["property"] = max(widths["property"], len(r[1]))
		widths["value"] = max(widths["value"], len(r[2]))
	}
	var b strings.Builder
	if !scripted {
		hdr := []string{"NAME", "PROPERTY", "VALUE", "RECEIVED", "SOURCE"}
		writeGetLine(&b, fields, widths, func(f string) string { return hdr[index[f]] }, false)
	}
	for _, r := range rows {
		writeGetLine(&b, fields, widths, func(f string) string { return r[index[f]] }, scripted)
	}
	fmt.Fprint(e.Stdout, b.String())
	return rc
}

func zpoolStatus(e *model.Env, args []string) int {
	opts, rest, rc := options(e, args, "DegiLpPstvxT:", zpoolUsage)
	if rc != 0 {
		return rc
	}
	pools, rc := poolArgs(e, rest)
	if len(pools) == 0 {
		return rc
	}
	r := run(e.Ctx, fuseZpool, append(append([]string{"status"}, flagArgs(opts, "vx")...), pools...)...)
	io.WriteString(e.Stdout, unroot(e.SB, r.stdout))
	io.WriteString(e.Stderr, unroot(e.SB, r.stderr))
	if r.code != 0 {
		return r.code
	}
	return rc
}
