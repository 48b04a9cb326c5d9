package sysmodel

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// secDevfs is the store section holding the kernel's devfs rulesets.
const secDevfs = "devfs"

type devfsState struct {
	// Loaded says the boot-time rulesets of /etc/defaults/devfs.rules
	// were put in; after that the sets are whatever devfs(8) made them.
	Loaded   bool              `json:"loaded"`
	Rulesets map[int][]devRule `json:"rulesets"`
	// HostRuleset is the ruleset of the sandbox's own /dev, which is the
	// machine's and is never changed for real.
	HostRuleset int `json:"host_ruleset,omitempty"`
}

// devRule is one devfs rule: conditions (type, path) and actions.
type devRule struct {
	Num     int     `json:"num"`
	Type    string  `json:"type,omitempty"`
	Path    string  `json:"path,omitempty"`
	Hide    bool    `json:"hide,omitempty"`
	Unhide  bool    `json:"unhide,omitempty"`
	User    *int    `json:"user,omitempty"`
	Group   *int    `json:"group,omitempty"`
	Mode    *uint32 `json:"mode,omitempty"`
	Include int     `json:"include,omitempty"`
}

// defaultRulesets are FreeBSD 14's /etc/defaults/devfs.rules, as rc.d/devfs
// loads them at boot (rules numbered 100, 200, ...).
func defaultRulesets() map[int][]devRule {
	unhide := func(paths ...string) []devRule {
		var out []devRule
		for _, p := range paths {
			out = append(out, devRule{Path: p, Unhide: true})
		}
		return out
	}
	var login []string
	for _, pre := range []string{"pty", "tty"} {
		for _, c := range "pqrsPQRSlmnoLMNO" {
			login = append(login, pre+string(c)+"*")
		}
	}
	login = append(login, "ptmx", "pts", "pts/*", "fd", "fd/*", "stdin", "stdout", "stderr")
	sets := map[int][]devRule{
		1: {{Hide: true}},
		2: unhide("null", "zero", "crypto", "random", "urandom"),
		3: unhide(login...),
		4: append([]devRule{{Include: 1}, {Include: 2}, {Include: 3}}, unhide("fuse", "zfs")...),
		5: append([]devRule{{Include: 1}, {Include: 2}, {Include: 3}, {Include: 4}}, unhide("pf")...),
	}
	for n := range sets {
		for i := range sets[n] {
			sets[n][i].Num = (i + 1) * 100
		}
	}
	return sets
}

func loadDevfs(tx *model.Tx) (*devfsState, error) {
	st := &devfsState{}
	if err := tx.Get(secDevfs, st); err != nil {
		return nil, err
	}
	if !st.Loaded {
		st.Loaded, st.Rulesets = true, defaultRulesets()
	}
	if st.Rulesets == nil {
		st.Rulesets = map[int][]devRule{}
	}
	return st, nil
}

// devNode is a node the modelled devfs can show. Linux device numbers make
// the character devices work for real inside a jail.
type devNode struct {
	Path         string
	Kind         byte // 'c' device, 'd' directory, 'l' link, 'p' pts (devpts)
	Major, Minor uint32
	Mode         uint32
	Target       string
	Tty          bool
}

var devNodes = []devNode{
	{Path: "null", Kind: 'c', Major: 1, Minor: 3, Mode: 0o666},
	{Path: "zero", Kind: 'c', Major: 1, Minor: 5, Mode: 0o666},
	{Path: "full", Kind: 'c', Major: 1, Minor: 7, Mode: 0o666},
	{Path: "random", Kind: 'c', Major: 1, Minor: 8, Mode: 0o666},
	{Path: "urandom", Kind: 'c', Major: 1, Minor: 9, Mode: 0o666},
	{Path: "tty", Kind: 'c', Major: 5, Minor: 0, Mode: 0o666, Tty: true},
	{Path: "fuse", Kind: 'c', Major: 10, Minor: 229, Mode: 0o666},
	{Path: "fd", Kind: 'd', Mode: 0o555},
	{Path: "fd/0", Kind: 'l', Target: "/proc/self/fd/0"},
	{Path: "fd/1", Kind: 'l', Target: "/proc/self/fd/1"},
	{Path: "fd/2", Kind: 'l', Target: "/proc/self/fd/2"},
	{Path: "stdin", Kind: 'l', Target: "fd/0"},
	{Path: "stdout", Kind: 'l', Target: "fd/1"},
	{Path: "stderr", Kind: 'l', Target: "fd/2"},
	{Path: "pts", Kind: 'p', Mode: 0o755},
	{Path: "ptmx", Kind: 'l', Target: "pts/ptmx", Tty: true},
}

// nodeAttr is what user/group/mode rules set on a node.
type nodeAttr struct {
	uid, gid *int
	mode     *uint32
}

func (r devRule) matches(n devNode) bool {
	if r.Type != "" && (r.Type != "tty" || !n.Tty || n.Kind != 'c') {
		return false
	}
	if r.Path != "" {
		ok, err := path.Match(r.Path, n.Path)
		if err != nil || !ok {
			return false
		}
	}
	return true
}

// runRule applies one rule to one node, following includes.
func (st *devfsState) runRule(r devRule, n devNode, hidden map[string]bool, attrs map[string]*nodeAttr, depth int) {
	if !r.matches(n) {
		return
	}
	if r.Hide {
		hidden[n.Path] = true
	}
	if r.Unhide {
		delete(hidden, n.Path)
	}
	if r.User != nil || r.Group != nil || r.Mode != nil {
		a := attrs[n.Path]
		if a == nil {
			a = &nodeAttr{}
			attrs[n.Path] = a
		}
		if r.User != nil {
			a.uid = r.User
		}
		if r.Group != nil {
			a.gid = r.Group
		}
		if r.Mode != nil {
			a.mode = r.Mode
		}
	}
	if r.Include != 0 && depth < 16 {
		for _, ir := range st.Rulesets[r.Include] {
			st.runRule(ir, n, hidden, attrs, depth+1)
		}
	}
}

// apply runs rules over every node of a devfs mount and makes the tmpfs
// match: hidden nodes go, unhidden ones come (back).
func (st *devfsState) apply(sb *model.Sandbox, rec *mountRec, rules []devRule) error {
	hidden := map[string]bool{}
	for _, h := range rec.Hidden {
		hidden[h] = true
	}
	attrs := map[string]*nodeAttr{}
	for _, n := range devNodes {
		for _, r := range rules {
			st.runRule(r, n, hidden, attrs, 0)
		}
	}
	rec.Hidden = rec.Hidden[:0]
	for h := range hidden {
		rec.Hidden = append(rec.Hidden, h)
	}
	sort.Strings(rec.Hidden)
	return realizeDevfs(sb, rec, hidden, attrs)
}

func realizeDevfs(sb *model.Sandbox, rec *mountRec, hidden map[string]bool, attrs map[string]*nodeAttr) error {
	base := sb.Path(rec.Point)
	visible := map[string]bool{}
	var errs []error
	rec.Sub = nil
	for _, n := range devNodes {
		parent := path.Dir(n.Path)
		vis := !hidden[n.Path] && (parent == "." || visible[parent])
		visible[n.Path] = vis
		p := filepath.Join(base, n.Path)
		if !vis {
			if n.Kind == 'p' && isMountpoint(p) {
				errs = append(errs, unmount(p, true))
			}
			if err := os.RemoveAll(p); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if _, err := os.Lstat(p); err != nil {
			switch n.Kind {
			case 'c':
				err = mknodChar(p, n.Mode, n.Major, n.Minor)
			case 'd':
				if err = os.Mkdir(p, 0o755); err == nil {
					err = os.Chmod(p, os.FileMode(n.Mode))
				}
			case 'l':
				err = os.Symlink(n.Target, p)
			case 'p':
				err = os.Mkdir(p, os.FileMode(n.Mode))
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", n.Path, err))
				continue
			}
		}
		if n.Kind == 'p' {
			// A private pts instance when the kernel allows one;
			// without it the jail just has no pseudo-terminals.
			if isMountpoint(p) || devptsMount(p) == nil {
				rec.Sub = append(rec.Sub, path.Join(rec.Point, n.Path))
			}
		}
		if a := attrs[n.Path]; a != nil && n.Kind != 'l' {
			if a.mode != nil {
				errs = append(errs, os.Chmod(p, os.FileMode(*a.mode&0o777)))
			}
			if a.uid != nil || a.gid != nil {
				uid, gid := -1, -1
				if a.uid != nil {
					uid = *a.uid
				}
				if a.gid != nil {
					gid = *a.gid
				}
				errs = append(errs, os.Lchown(p, uid, gid))
			}
		}
	}
	return errors.Join(errs...)
}

// devfsMountApply fills a fresh devfs mount and applies its ruleset, as
// mounting with -o ruleset=N does.
func devfsMountApply(e *model.Env, tx *model.Tx, rec *mountRec) error {
	st, err := loadDevfs(tx)
	if err != nil {
		return err
	}
	rec.Hidden = nil
	if err := st.apply(e.SB, rec, st.Rulesets[rec.Ruleset]); err != nil {
		return err
	}
	return tx.Put(secDevfs, st)
}

const devfsUsage = "usage: devfs rule|ruleset arguments\n"

// devfsTarget is the devfs mount devfs(8) -m names.
type devfsTarget struct {
	host bool // the sandbox's /dev: rules are kept, nothing changes
	rec  int  // index in recs otherwise; -1 when not a devfs at all
}

func runDevfs(e *model.Env) int {
	opts, args, ok := e.Getopt(e.Args, "m:")
	if !ok {
		fmt.Fprint(e.Stderr, devfsUsage)
		return 1
	}
	mp := "/dev"
	for _, o := range opts {
		mp = o.Arg
	}
	if len(args) < 1 {
		fmt.Fprint(e.Stderr, devfsUsage)
		return 1
	}
	host, err := realpath(e.SB, absHost(e, mp))
	if err == nil {
		_, err = os.Stat(e.SB.Path(host))
	}
	if err != nil {
		return e.Errorf("open: %s: %s", mp, strerror(err))
	}
	code := 0
	err = e.SB.Store.Update(func(tx *model.Tx) error {
		recs, err := loadMounts(tx)
		if err != nil {
			return err
		}
		tab, recs, err := mountTable(e.SB, recs)
		if err != nil {
			return err
		}
		st, err := loadDevfs(tx)
		if err != nil {
			return err
		}
		tgt := devfsTarget{rec: -1}
		for i := len(tab) - 1; i >= 0; i-- {
			if tab[i].Point != host || tab[i].FSType != "devfs" {
				continue
			}
			if tab[i].kind == kindSandbox {
				tgt.host = true
			} else if tab[i].kind == kindOurs {
				tgt.rec = tab[i].rec
			}
			break
		}
		d := &devfsCmd{e: e, st: st, recs: recs, tgt: tgt}
		switch args[0] {
		case "rule":
			code = d.rule(args)
		case "ruleset":
			code = d.ruleset(args)
		default:
			code = e.Errorf("unknown command: %s", args[0])
		}
		if err := tx.Put(secMounts, d.recs); err != nil {
			return err
		}
		return tx.Put(secDevfs, d.st)
	})
	if err != nil {
		return e.Errorf("%v", err)
	}
	return code
}

type devfsCmd struct {
	e     *model.Env
	st    *devfsState
	recs  []mountRec
	tgt   devfsTarget
	rsnum int
}

// warn prints as devfs(8) does after setprogname("devfs rule").
func (d *devfsCmd) warn(sub, format string, a ...any) int {
	fmt.Fprintf(d.e.Stderr, "devfs %s: %s\n", sub, fmt.Sprintf(format, a...))
	return 1
}

// ioctl fails like the kernel when the target is no devfs.
func (d *devfsCmd) ioctl(sub, name string) bool {
	if d.tgt.host || d.tgt.rec >= 0 {
		return true
	}
	d.warn(sub, "ioctl %s: %s", name, errnoText[syscall.ENOTTY])
	return false
}

// mountRuleset is the ruleset the kernel uses when -s is 0: the mount's.
func (d *devfsCmd) mountRuleset() int {
	if d.tgt.host {
		return d.st.HostRuleset
	}
	if d.tgt.rec >= 0 {
		return d.recs[d.tgt.rec].Ruleset
	}
	return 0
}

func (d *devfsCmd) set() int {
	if d.rsnum != 0 {
		return d.rsnum
	}
	return d.mountRuleset()
}

func atonum(s string) (int, bool) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > 65535 {
		return 0, false
	}
	return int(n), true
}

func (d *devfsCmd) rule(args []string) int {
	e := d.e
	sub := &model.Env{Ctx: e.Ctx, Prog: "devfs rule", Stdin: e.Stdin, Stdout: e.Stdout, Stderr: e.Stderr, SB: e.SB}
	opts, rest, ok := sub.Getopt(args[1:], "s:")
	if !ok {
		fmt.Fprint(e.Stderr, devfsUsage)
		return 1
	}
	for _, o := range opts {
		n, ok := atonum(o.Arg)
		if !ok {
			return d.warn("rule", "error converting to number: %s", o.Arg)
		}
		d.rsnum = n
	}
	if len(rest) < 1 {
		fmt.Fprint(e.Stderr, devfsUsage)
		return 1
	}
	switch rest[0] {
	case "add":
		if len(rest) < 2 {
			fmt.Fprint(e.Stderr, devfsUsage)
			return 1
		}
		if rest[1] == "-" {
			sc := bufio.NewScanner(e.Stdin)
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) == 0 {
					return d.warn("rule", "unexpected end of rulespec")
				}
				if code := d.add(f); code != 0 {
					return code
				}
			}
			return 0
		}
		return d.add(rest[1:])
	case "apply":
		if len(rest) < 2 {
			fmt.Fprint(e.Stderr, devfsUsage)
			return 1
		}
		var rules []devRule
		if n, ok := atonum(rest[1]); ok {
			if !d.ioctl("rule", "DEVFSIO_RAPPLYID") {
				return 1
			}
			r, found := d.find(d.set(), n)
			if !found {
				return d.warn("rule", "ioctl DEVFSIO_RAPPLYID: %s", errnoText[syscall.ESRCH])
			}
			rules = []devRule{r}
		} else {
			r, code := d.parse(rest[1:])
			if code != 0 {
				return code
			}
			if !d.ioctl("rule", "DEVFSIO_RAPPLY") {
				return 1
			}
			rules = []devRule{r}
		}
		return d.applyRules("DEVFSIO_RAPPLY", rules)
	case "applyset":
		if len(rest) != 1 {
			fmt.Fprint(e.Stderr, devfsUsage)
			return 1
		}
		if !d.ioctl("rule", "DEVFSIO_SAPPLY") {
			return 1
		}
		rs := d.set()
		if _, ok := d.st.Rulesets[rs]; !ok && rs != 0 {
			return d.warn("rule", "ioctl DEVFSIO_SAPPLY: %s", errnoText[syscall.ESRCH])
		}
		return d.applyRules("DEVFSIO_SAPPLY", d.st.Rulesets[rs])
	case "del":
		if len(rest) < 2 {
			fmt.Fprint(e.Stderr, devfsUsage)
			return 1
		}
		n, err := strconv.Atoi(rest[1])
		if err != nil {
			return d.warn("rule", "error converting to integer: %s", rest[1])
		}
		if !d.ioctl("rule", "DEVFSIO_RDEL") {
			return 1
		}
		rs := d.set()
		if _, found := d.find(rs, n); !found {
			return d.warn("rule", "ioctl DEVFSIO_RDEL: %s", errnoText[syscall.ESRCH])
		}
		d.remove(rs, n)
		return 0
	case "delset":
		if len(rest) != 1 {
			fmt.Fprint(e.Stderr, devfsUsage)
			return 1
		}
		if !d.ioctl("rule", "DEVFSIO_RGETNEXT") {
			return 1
		}
		delete(d.st.Rulesets, d.set())
		return 0
	case "show":
		if !d.ioctl("rule", "DEVFSIO_RGETNEXT") {
			return 1
		}
		rs := d.set()
		if len(rest) > 1 {
			n, err := strconv.Atoi(rest[1])
			if err != nil {
				return d.warn("rule", "error converting to integer: %s", rest[1])
			}
			if r, found := d.find(rs, n); found {
				fmt.Fprintln(e.Stdout, d.format(r))
			}
			return 0
		}
		for _, r := range d.st.Rulesets[rs] {
			fmt.Fprintln(e.Stdout, d.format(r))
		}
		return 0
	case "showsets":
		if len(rest) != 1 {
			fmt.Fprint(e.Stderr, devfsUsage)
			return 1
		}
		if !d.ioctl("rule", "DEVFSIO_SGETNEXT") {
			return 1
		}
		inUse := map[int]bool{}
		for n, rules := range d.st.Rulesets {
			if len(rules) > 0 {
				inUse[n] = true
			}
		}
		for _, r := range d.recs {
			if r.FSType == "devfs" && r.Ruleset != 0 {
				inUse[r.Ruleset] = true
			}
		}
		if d.st.HostRuleset != 0 {
			inUse[d.st.HostRuleset] = true
		}
		var sets []int
		for n := range inUse {
			sets = append(sets, n)
		}
		sort.Ints(sets)
		for _, n := range sets {
			fmt.Fprintln(e.Stdout, n)
		}
		return 0
	}
	return d.warn("rule", "unknown command: %s", rest[0])
}

func (d *devfsCmd) ruleset(args []string) int {
	if len(args) < 2 {
		fmt.Fprint(d.e.Stderr, devfsUsage)
		return 1
	}
	n, ok := atonum(args[1])
	if !ok {
		return d.warn("ruleset", "error converting to number: %s", args[1])
	}
	if !d.ioctl("ruleset", "DEVFSIO_SUSE") {
		return 1
	}
	if d.tgt.host {
		d.st.HostRuleset = n
	} else {
		d.recs[d.tgt.rec].Ruleset = n
	}
	return 0
}

func (d *devfsCmd) find(rs, num int) (devRule, bool) {
	for _, r := range d.st.Rulesets[rs] {
		if r.Num == num {
			return r, true
		}
	}
	return devRule{}, false
}

func (d *devfsCmd) remove(rs, num int) {
	var keep []devRule
	for _, r := range d.st.Rulesets[rs] {
		if r.Num != num {
			keep = append(keep, r)
		}
	}
	if len(keep) == 0 {
		delete(d.st.Rulesets, rs)
		return
	}
	d.st.Rulesets[rs] = keep
}

// applyRules applies rules to the target mount; the machine's own /dev is
// left as it is.
func (d *devfsCmd) applyRules(name string, rules []devRule) int {
	if d.tgt.host {
		return 0
	}
	rec := &d.recs[d.tgt.rec]
	if err := d.st.apply(d.e.SB, rec, rules); err != nil {
		return d.warn("rule", "ioctl %s: %v", name, err)
	}
	return 0
}

// add is DEVFSIO_RADD: into the set given by -s, or the mount's set.
func (d *devfsCmd) add(spec []string) int {
	r, code := d.parse(spec)
	if code != 0 {
		return code
	}
	if !d.ioctl("rule", "DEVFSIO_RADD") {
		return 1
	}
	rs := d.set()
	if rs == 0 {
		return d.warn("rule", "ioctl DEVFSIO_RADD: %s", errnoText[syscall.EIO])
	}
	if r.Include != 0 {
		if r.Include == rs {
			return d.warn("rule", "ioctl DEVFSIO_RADD: %s", errnoText[syscall.EDEADLK])
		}
		if _, ok := d.st.Rulesets[r.Include]; !ok {
			return d.warn("rule", "ioctl DEVFSIO_RADD: %s", errnoText[syscall.ESRCH])
		}
	}
	rules := d.st.Rulesets[rs]
	if r.Num == 0 {
		r.Num = 100
		if len(rules) > 0 {
			r.Num = rules[len(rules)-1].Num + 100
		}
		if r.Num > 65535 {
			return d.warn("rule", "ioctl DEVFSIO_RADD: Result too large")
		}
	} else if _, dup := d.find(rs, r.Num); dup {
		return d.warn("rule", "ioctl DEVFSIO_RADD: %s", errnoText[syscall.EEXIST])
	}
	rules = append(rules, r)
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].Num < rules[j].Num })
	d.st.Rulesets[rs] = rules
	return 0
}

// parse is rulespec_intok: [number] [type T] [path P] action ...
func (d *devfsCmd) parse(av []string) (devRule, int) {
	var r devRule
	if len(av) == 0 {
		return r, d.warn("rule", "unexpected end of rulespec")
	}
	if n, ok := atonum(av[0]); ok {
		r.Num = n
		av = av[1:]
	}
	need := func(what string) bool {
		if len(av) < 2 {
			d.warn("rule", "expecting argument for %s", what)
			return false
		}
		return true
	}
conds:
	for len(av) > 0 {
		switch av[0] {
		case "type":
			if !need("type") {
				return r, 1
			}
			switch av[1] {
			case "disk", "mem", "tape", "tty":
				r.Type = av[1]
			default:
				return r, d.warn("rule", "unknown type: %s", av[1])
			}
			av = av[2:]
		case "path":
			if !need("path") {
				return r, 1
			}
			r.Path = av[1]
			av = av[2:]
		default:
			break conds
		}
	}
	for len(av) > 0 {
		switch av[0] {
		case "hide":
			r.Hide = true
			av = av[1:]
		case "unhide":
			r.Unhide = true
			av = av[1:]
		case "user", "group":
			if !need(av[0]) {
				return r, 1
			}
			id, ok := lookupID(d.e.SB, av[0], av[1])
			if !ok {
				return r, d.warn("rule", "error converting to integer: %s", av[1])
			}
			if av[0] == "user" {
				r.User = &id
			} else {
				r.Group = &id
			}
			av = av[2:]
		case "mode":
			if !need("mode") {
				return r, 1
			}
			m, err := strconv.ParseUint(av[1], 8, 32)
			if err != nil {
				return r, d.warn("rule", "invalid mode: %s", av[1])
			}
			mode := uint32(m) & 0o7777
			r.Mode = &mode
			av = av[2:]
		case "include":
			if !need("include") {
				return r, 1
			}
			n, ok := atonum(av[1])
			if !ok {
				return r, d.warn("rule", "error converting to number: %s", av[1])
			}
			r.Include = n
			av = av[2:]
		default:
			return r, d.warn("rule", "unknown argument: %s", av[0])
		}
	}
	return r, 0
}

// format is rulespec_outfp.
func (d *devfsCmd) format(r devRule) string {
	s := strconv.Itoa(r.Num)
	if r.Type != "" {
		s += " type " + r.Type
	}
	if r.Path != "" {
		s += " path " + r.Path
	}
	if r.Hide {
		s += " hide"
	}
	if r.Unhide {
		s += " unhide"
	}
	if r.User != nil {
		s += " user " + idName(d.e.SB, "user", *r.User)
	}
	if r.Group != nil {
		s += " group " + idName(d.e.SB, "group", *r.Group)
	}
	if r.Mode != nil {
		s += fmt.Sprintf(" mode %o", *r.Mode)
	}
	if r.Include != 0 {
		s += fmt.Sprintf(" include %d", r.Include)
	}
	return s
}

// lookupID resolves a user or group name through the sandbox's
// /etc/passwd or /etc/group, falling back to a number.
func lookupID(sb *model.Sandbox, kind, name string) (int, bool) {
	for _, ent := range dbEntries(sb, kind) {
		if ent[0] == name {
			return atoiOK(ent[1])
		}
	}
	n, err := strconv.Atoi(name)
	return n, err == nil
}

// idName is the reverse of lookupID.
func idName(sb *model.Sandbox, kind string, id int) string {
	for _, ent := range dbEntries(sb, kind) {
		if ent[1] == strconv.Itoa(id) {
			return ent[0]
		}
	}
	return strconv.Itoa(id)
}

func dbEntries(sb *model.Sandbox, kind string) [][2]string {
	file := "/etc/passwd"
	if kind == "group" {
		file = "/etc/group"
	}
	b, err := os.ReadFile(sb.Path(file))
	if err != nil {
		return nil
	}
	var out [][2]string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 && !strings.HasPrefix(f[0], "#") {
			out = append(out, [2]string{f[0], f[2]})
		}
	}
	return out
}

func atoiOK(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil
}
