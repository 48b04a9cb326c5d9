package zfscompat

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// value is one property of one dataset as zfs-fuse reported it.
type value struct{ v, src string }

// dataset is one row of the catalog.
type dataset struct {
	name string
	typ  int
	vals map[string]value // by zfs-fuse property name
	seq  int              // position in zfs-fuse's output: snapshots in creation order
}

// fsPart is the dataset name without its snapshot part.
func (d *dataset) fsPart() string {
	if i := strings.IndexByte(d.name, '@'); i >= 0 {
		return d.name[:i]
	}
	return d.name
}

// catalog is a read of some datasets, made with one zfs-fuse process (and
// a second one for the clones relation, when a caller asks for it).
type catalog struct {
	sb     *model.Sandbox
	sets   []*dataset
	byName map[string]*dataset
	clones map[string][]string // snapshot -> datasets cloned from it; see findClones
	// whole holds the pools read entirely; with origins (origin was
	// read) their rows alone say every dataset's clones.
	whole   map[string]bool
	origins bool
	// partials are the sandbox's partial receives, read when a token is
	// first asked for.
	partials map[string]*partial
}

// typeOf maps zfs-fuse's type word.
func typeOf(s string) int {
	switch s {
	case "filesystem":
		return tFS
	case "volume":
		return tVol
	case "snapshot":
		return tSnap
	}
	return 0
}

// poolOf is the pool part of a dataset name.
func poolOf(name string) string {
	if i := strings.IndexAny(name, "/@"); i >= 0 {
		return name[:i]
	}
	return name
}

// ours reports whether name lies in one of the sandbox's pools.
func ours(sb *model.Sandbox, name string) bool {
	p := poolOf(name)
	for _, q := range sb.Pools {
		if p == q {
			return true
		}
	}
	return false
}

// maxDepth bounds a -d passed on to zfs-fuse, which reads it into a C int:
// no dataset name (at most 255 bytes) is deeper, so a larger depth is -r.
const maxDepth = 256

// loadPools reads fuseProps (plus type) of every dataset of pools. Only
// commands without targets need this: its cost grows with the pools.
func loadPools(e *model.Env, pools []string, fuseProps []string) (*catalog, error) {
	c := newCatalog(e)
	if len(pools) == 0 {
		return c, nil
	}
	for _, p := range pools {
		c.whole[p] = true
	}
	r := c.read(e, fuseProps, append([]string{"-r"}, pools...))
	if r.code != 0 {
		return nil, readError(e, r)
	}
	c.parse(r.stdout)
	return c, nil
}

// loadNamed reads fuseProps (plus type) of the named datasets and, as sel
// says, of their descendants, so that a command costs what its targets
// cost, not what the pool holds. Names outside the sandbox's pools are not
// asked about, and names zfs-fuse cannot open are simply absent: callers
// print OpenZFS's message for them, never zfs-fuse's.
func loadNamed(e *model.Env, names []string, sel selection, fuseProps []string) (*catalog, error) {
	c := newCatalog(e)
	seen := map[string]bool{}
	var asked []string
	for _, n := range names {
		if ours(e.SB, n) && printable(n) && !seen[n] {
			seen[n] = true
			asked = append(asked, n)
		}
	}
	if len(asked) == 0 {
		return c, nil
	}
	var args []string
	switch {
	case !sel.recurse:
	case sel.depth < 0 || sel.depth >= maxDepth:
		args = []string{"-r"}
		for _, n := range asked {
			if n == poolOf(n) {
				c.whole[n] = true
			}
		}
	default:
		args = []string{"-d", strconv.Itoa(sel.depth)}
	}
	r := c.read(e, fuseProps, append(args, asked...))
	if r.code != 0 {
		// zfs-fuse goes on past a target it cannot open, saying so on a
		// line of its own; anything else is a failure of the read.
		for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
			if !strings.HasPrefix(l, "cannot open '") {
				return nil, readError(e, r)
			}
		}
	}
	c.parse(r.stdout)
	return c, nil
}

// printable reports whether name holds no control character. No dataset
// name does, and zfs-fuse would echo one into its error lines and rows,
// which are split at newlines and tabs.
func printable(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 || name[i] == 0x7f {
			return false
		}
	}
	return true
}

// loadFor is the read a listing of targets under sel needs: the targets
// alone, or every dataset of the sandbox's pools when there are none.
func loadFor(e *model.Env, targets []string, sel selection, fuseProps []string) (*catalog, error) {
	if len(targets) == 0 {
		return loadPools(e, e.SB.Pools, fuseProps)
	}
	return loadNamed(e, targets, sel, fuseProps)
}

func newCatalog(e *model.Env) *catalog {
	return &catalog{sb: e.SB, byName: map[string]*dataset{}, whole: map[string]bool{}}
}

// readError is a failed read as zfs-fuse explained it.
func readError(e *model.Env, r fuseResult) error {
	if msg := strings.TrimSpace(unroot(e.SB, r.stderr)); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	return fmt.Errorf("zfs-fuse zfs get: exit %d", r.code)
}

// read runs one `zfs get -Hp` of fuseProps (plus type; "all" reads every
// property) with the given selecting arguments and operands.
func (c *catalog) read(e *model.Env, fuseProps []string, operands []string) fuseResult {
	want := map[string]bool{"type": true}
	all := false
	for _, p := range fuseProps {
		if p == "all" {
			all = true
		}
		want[p] = true
	}
	list := "all"
	if !all {
		var names []string
		for p := range want {
			names = append(names, p)
		}
		sort.Strings(names)
		list = strings.Join(names, ",")
	}
	c.origins = all || want["origin"]
	args := append([]string{"get", "-Hp", "-o", "name,property,value,source", list}, operands...)
	return run(e.Ctx, fuseZFS, args...)
}

// parse adds the rows of a `zfs get -Hp -o name,property,value,source`.
// zfs-fuse prints a file system once per target that reaches it; seq is
// its first place, so snapshots keep their creation order.
func (c *catalog) parse(out string) {
	first := len(c.sets)
	for _, line := range strings.Split(out, "\n") {
		f := strings.SplitN(line, "\t", 4)
		if len(f) != 4 {
			continue
		}
		d := c.byName[f[0]]
		if d == nil {
			d = &dataset{name: f[0], vals: map[string]value{}, seq: len(c.sets)}
			c.byName[f[0]] = d
			c.sets = append(c.sets, d)
		}
		d.vals[f[1]] = value{f[2], f[3]}
		if f[1] == "type" {
			d.typ = typeOf(f[2])
		}
	}
	datasetsRead.Add(int64(len(c.sets) - first))
}

// findClones fills the clones relation for the snapshots among sets. Only
// a pool-wide read of origin can say it, so it is made only here, for the
// commands that show clones, and not for pools c read whole with origin.
func (c *catalog) findClones(e *model.Env, sets []*dataset) error {
	if c.clones != nil {
		return nil
	}
	c.clones = map[string][]string{}
	seen := map[string]bool{}
	var pools []string
	for _, d := range sets {
		if p := poolOf(d.name); d.typ == tSnap && !seen[p] {
			seen[p] = true
			pools = append(pools, p)
		}
	}
	var rows []*dataset
	var unread []string
	for _, p := range pools {
		if !c.whole[p] || !c.origins {
			unread = append(unread, p)
		}
	}
	for _, d := range c.sets {
		if p := poolOf(d.name); seen[p] && c.whole[p] && c.origins {
			rows = append(rows, d)
		}
	}
	if len(unread) > 0 {
		oc, err := loadPools(e, unread, []string{"origin"})
		if err != nil {
			return err
		}
		rows = append(rows, oc.sets...)
	}
	for _, d := range rows {
		if o := d.vals["origin"].v; o != "" && o != "-" {
			c.clones[o] = append(c.clones[o], d.name)
		}
	}
	for _, cl := range c.clones {
		sort.Strings(cl)
	}
	return nil
}

// wantsClones reports whether showing or sorting by cols needs the clones
// relation.
func wantsClones(cols ...column) bool {
	for _, c := range cols {
		if c.name == "clones" {
			return true
		}
	}
	return false
}

// fuseNeeds lists the zfs-fuse properties an OpenZFS property is made from.
func fuseNeeds(name string, p *prop) []string {
	if p == nil {
		return []string{name}
	}
	switch name {
	case "compression":
		return []string{"compression", ShadowCompression}
	case "refcompressratio":
		return []string{"compressratio"}
	case "written":
		return []string{"usedbydataset", "used"}
	case "logicalused":
		return []string{"used"}
	case "logicalreferenced":
		return []string{"referenced"}
	case "receive_resume_token":
		return []string{"guid"}
	}
	if p.fuse != "" {
		return []string{p.fuse}
	}
	return nil
}

// value returns a property of d as OpenZFS prints it; ok is false where the
// property does not apply (OpenZFS prints "-").
func (c *catalog) value(d *dataset, name string, p *prop, literal bool) (v, src string, ok bool) {
	if p == nil { // a user property
		uv, found := d.vals[name]
		if !found {
			return "-", "-", true
		}
		return uv.v, uv.src, true
	}
	if p.types&d.typ == 0 {
		return "-", "-", false
	}
	var raw value
	switch name {
	case "name":
		return d.name, "-", true
	case "clones":
		cl := c.clones[d.name]
		if len(cl) == 0 {
			return "-", "-", false
		}
		return strings.Join(cl, ","), "-", true
	case "compression":
		raw = d.vals["compression"]
		if sh := d.vals[ShadowCompression].v; raw.v == "lzjb" && sh != "" && sh != "-" && sh != noShadow {
			raw.v = sh
		}
	case "receive_resume_token":
		if c.partials == nil {
			c.partials = partials(c.sb)
		}
		if tok := quietToken(c.sb, c.partials[d.name], d.vals["guid"].v); tok != "" {
			return tok, "-", true
		}
		return "-", "-", true
	case "refcompressratio":
		raw = value{d.vals["compressratio"].v, "-"}
	case "written":
		// zfs-fuse has no written: the space the dataset itself holds
		// (for a snapshot, what only it holds) stands in for it.
		if d.typ == tSnap {
			raw = value{d.vals["used"].v, "-"}
		} else {
			raw = value{d.vals["usedbydataset"].v, "-"}
		}
	case "logicalused":
		// Logical (uncompressed) sizes are approximated by physical ones.
		raw = value{d.vals["used"].v, "-"}
	case "logicalreferenced":
		raw = value{d.vals["referenced"].v, "-"}
	case "mountpoint":
		raw = d.vals["mountpoint"]
		raw.v = unrootPath(c.sb, raw.v)
		raw.src = unroot(c.sb, raw.src)
	default:
		if p.fuse == "" {
			return p.def, "default", true
		}
		var found bool
		raw, found = d.vals[p.fuse]
		if !found {
			return "-", "-", false
		}
	}
	if raw.v == "" {
		return "-", "-", false
	}
	return formatValue(p, raw.v, literal), raw.src, true
}

// selection says which datasets a list or get visits.
type selection struct {
	recurse    bool
	depth      int // with recurse; -1 for unlimited
	types      int
	typesGiven bool
}

// option applies o when it is one of the selecting options zfs list and
// zfs get share (-r, -d DEPTH, -t TYPES); ok is false for any other. An
// invalid value is reported with usage, and rc is then 2.
func (sel *selection) option(e *model.Env, o model.Option, usage string) (ok bool, rc int) {
	switch o.Flag {
	case 'r':
		sel.recurse = true
	case 'd':
		n, err := strconv.Atoi(o.Arg)
		if err != nil || n < 0 {
			fmt.Fprintf(e.Stderr, "invalid depth '%s'\n", o.Arg)
			fmt.Fprint(e.Stderr, usage)
			return true, 2
		}
		sel.recurse, sel.depth = true, n
	case 't':
		t, ok := parseTypes(o.Arg)
		if !ok {
			fmt.Fprintf(e.Stderr, "invalid type '%s'\n", o.Arg)
			fmt.Fprint(e.Stderr, usage)
			return true, 2
		}
		sel.types, sel.typesGiven = t, true
	default:
		return false, 0
	}
	return true, 0
}

// pick returns the datasets targets name under sel, sorted as libzfs sorts
// by default, and prints "cannot open" for targets that do not exist.
func (c *catalog) pick(e *model.Env, targets []string, sel selection) ([]*dataset, int) {
	rc := 0
	seen := map[*dataset]bool{}
	var out []*dataset
	add := func(d *dataset) {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	if len(targets) == 0 {
		for _, d := range c.sets {
			depth := strings.Count(d.fsPart(), "/")
			if d.typ == tSnap {
				depth++
			}
			if d.typ&sel.types != 0 && (!sel.recurse || sel.depth < 0 || depth <= sel.depth) {
				add(d)
			}
		}
	}
	for _, t := range targets {
		d := c.byName[t]
		if d == nil || !ours(e.SB, t) {
			fmt.Fprintf(e.Stderr, "cannot open '%s': dataset does not exist\n", t)
			rc = 1
			continue
		}
		if d.typ&sel.types != 0 || (!sel.typesGiven && d.typ == tSnap) {
			add(d)
		}
		if !sel.recurse || d.typ == tSnap {
			continue
		}
		base := strings.Count(t, "/")
		for _, x := range c.sets {
			fs := x.fsPart()
			if !(fs == t && x.typ == tSnap || strings.HasPrefix(fs, t+"/")) {
				continue
			}
			depth := strings.Count(fs, "/") - base
			if x.typ == tSnap {
				depth++
			}
			if x.typ&sel.types != 0 && (sel.depth < 0 || depth <= sel.depth) {
				add(x)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return lessByName(out[i], out[j]) })
	return out, rc
}

// lessByName is libzfs's default order: by file system name, a file system
// before its snapshots, snapshots in creation order.
func lessByName(a, b *dataset) bool {
	af, bf := a.fsPart(), b.fsPart()
	if af != bf {
		return af < bf
	}
	as, bs := a.typ == tSnap, b.typ == tSnap
	if as != bs {
		return !as
	}
	return a.seq < b.seq
}

// parseTypes reads a -t list.
func parseTypes(s string) (int, bool) {
	t := 0
	for _, w := range strings.Split(s, ",") {
		switch w {
		case "filesystem", "fs":
			t |= tFS
		case "volume", "vol":
			t |= tVol
		case "snapshot", "snap":
			t |= tSnap
		case "bookmark":
			// zfs-fuse has no bookmarks: there are never any to show.
		case "all":
			t |= tAll
		default:
			return 0, false
		}
	}
	return t, true
}
