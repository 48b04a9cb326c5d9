// Package pkg is the Starlark module `pkg`: installing, removing and
// updating packages in a jail with pkg(8). A running jail's own pkg runs
// inside it (`jexec ioc-UUID /usr/sbin/pkg ...`); for a stopped jail, or a
// jail root given as a path, the host's pkg works on the root
// (`pkg -c ROOT ...`). pkg needs the jail's resolver to reach its
// repository, so installs and updates refuse a root whose
// /etc/resolv.conf names no nameserver, saying how to give it one.
//
// Starlark signatures:
//
//	pkg.install(target, names)
//	pkg.remove(target, names)
//	pkg.update(target)
//	pkg.installed(target) -> [str]
//	pkg.read_list(path) -> [str]
//	pkg.run(target, args) -> int
//	pkg.local(args) -> bool
//	pkg.check_remote(target)
//
// target is a jail.jail, a jail.spec (a jail being created) or the host
// path of a jail root.
package pkg

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// Docs documents the module and every builtin; the first line of each is
// its signature.
var Docs = map[string]string{
	"pkg":              "pkg: packages in jails (pkg(8)).\n\nA target is a jail.jail, a jail.spec or a jail root's host path. A running\njail runs its own pkg through jexec; otherwise the host's `pkg -c ROOT`.",
	"pkg.install":      "pkg.install(target, names)\n\nInstalls the packages names (a list of str, or one str) and their\ndependencies: `pkg -c ROOT install -qy NAMES` or `jexec ioc-UUID\n/usr/sbin/pkg install -qy NAMES`. Fails before running pkg when the root\nhas no working resolver (no nameserver line in ROOT/etc/resolv.conf),\nand with pkg's message when pkg fails. When the run fails, the packages\nthat were not installed before are removed again.",
	"pkg.remove":       "pkg.remove(target, names)\n\nRemoves the packages names and those depending on them (`pkg ... delete\n-qy NAMES`). Not undone.",
	"pkg.update":       "pkg.update(target)\n\nRefreshes the repository catalogue (`pkg ... update -q`). Fails when the\nroot has no working resolver.",
	"pkg.installed":    "pkg.installed(target) -> list of str\n\nThe names of the installed packages, sorted (`pkg ... info`).",
	"pkg.run":          "pkg.run(target, args) -> int\n\nRuns the host's pkg with args (a list of str, passed untouched) on target,\nwith the run's standard files: `pkg -j ioc-UUID ARGS...` when the jail runs\n(pkg attaches to it), else `pkg -c ROOT ARGS...`. Returns pkg's exit\nstatus. pkg's -j, -c and -r among args are refused. info, query, which,\nconfig, help and shlib run in dry-run too; other commands are printed.",
	"pkg.local":        "pkg.local(args) -> bool\n\nWhether pkg with args needs no repository: no command (-v, -l) or one of\nannotate, autoremove, check, clean, config, delete, help, info, lock, query,\nremove, set, shlib, unlock, which (pkg's global options skipped). No host\naccess.",
	"pkg.check_remote": "pkg.check_remote(target)\n\nFails, saying what is missing, when pkg on target could not reach a\nrepository: no nameserver in ROOT/etc/resolv.conf, or no *.conf file in\nROOT/etc/pkg or ROOT/usr/local/etc/pkg/repos (read inside the root).",
	"pkg.read_list":    "pkg.read_list(path) -> list of str\n\nReads a package list file on the host (create's pkglist=FILE): one name\nper line, blank lines and lines starting with # ignored, each name\nchecked. Fails when the file is missing or names nothing.",
}

// NewModule returns the pkg module driving h.
func NewModule(h *runtime.Host) *starlarkstruct.Module {
	m := &module{h: h}
	fns := map[string]thread.Func{
		"install": m.install, "remove": m.remove, "update": m.update, "installed": m.installed, "read_list": m.readList,
		"run": m.run, "local": m.local, "check_remote": m.checkRemote,
	}
	return thread.Module("pkg", fns)
}

type module struct{ h *runtime.Host }

func (m *module) host(t *starlark.Thread) *runtime.Host { return thread.HostOr(m.h, t) }

func fail(b *starlark.Builtin, err error) (starlark.Value, error) {
	return nil, fmt.Errorf("%s: %w", b.Name(), err)
}

// Target is where pkg works: a root on the host and, when the jail runs,
// its kernel name (pkg then runs inside it).
type Target struct {
	Root string
	Jail string // "ioc-UUID" when running, else ""
}

// Argv is the command line of pkg args... on the target.
func (tg Target) Argv(args ...string) (string, []string) {
	if tg.Jail != "" {
		return runtime.Jexec, append([]string{tg.Jail, runtime.Pkg}, args...)
	}
	return runtime.Pkg, append([]string{"-c", tg.Root}, args...)
}

func targetOf(v starlark.Value) (Target, error) {
	switch x := v.(type) {
	case *jail.Value:
		j := x.Jail()
		if j.Default || j.Mountpoint == "" {
			return Target{}, fmt.Errorf("target %s has no root", x)
		}
		tg := Target{Root: j.Mountpoint + "/root"}
		if j.JID > 0 {
			tg.Jail = j.Name()
		}
		return tg, nil
	case *jail.SpecValue:
		return Target{Root: x.Spec().Root()}, nil
	case starlark.String:
		p := string(x)
		if !strings.HasPrefix(p, "/") || strings.Contains("/"+p+"/", "/../") {
			return Target{}, fmt.Errorf("target %q: want an absolute path without ..", p)
		}
		return Target{Root: p}, nil
	}
	return Target{}, fmt.Errorf("target: got %s, want jail.jail, jail.spec or a root path", v.Type())
}

var pkgNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+@/-]*$`)

func namesOf(v starlark.Value) ([]string, error) {
	if s, ok := v.(starlark.String); ok {
		v = starlark.Tuple{s}
	}
	names, err := strs("names", v)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("names: no package named")
	}
	for _, n := range names {
		if !pkgNameRE.MatchString(n) {
			return nil, fmt.Errorf("names: %q is not a package name (letters, digits and _.+@/- , not starting with -)", n)
		}
	}
	return names, nil
}

// CheckResolver refuses a root whose resolv.conf names no nameserver: pkg
// there cannot resolve its repository.
func CheckResolver(h *runtime.Host, root string) error {
	// Read inside the root: the jail's file may be a symlink to the host.
	r := h.InRoot(root)
	p := r.Path("etc/resolv.conf")
	b, err := r.ReadFile("etc/resolv.conf")
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	if namesNameserver(b) {
		return nil
	}
	why := "is missing"
	if err == nil {
		why = "names no nameserver"
	}
	return fmt.Errorf("the jail has no working resolver: %s %s, so pkg cannot reach its repository "+
		"(set resolver=copy to use the host's, or resolver=\"nameserver ADDRESS\")", p, why)
}

// namesNameserver reports whether resolv.conf content b has a nameserver
// line.
func namesNameserver(b []byte) bool {
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			return true
		}
	}
	return false
}

func run(ctx context.Context, h *runtime.Host, tg Target, args ...string) (string, error) {
	path, argv := tg.Argv(args...)
	res, err := h.Run(ctx, &runtime.Cmd{Path: path, Args: argv, Change: args[0] != "info"})
	if err != nil {
		return "", err
	}
	return string(res.Stdout), nil
}

// Installed lists the names of the packages installed on tg.
func Installed(ctx context.Context, h *runtime.Host, tg Target) ([]string, error) {
	out, err := run(ctx, h, tg, "info")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		// "name-version comment...": the version follows the last dash.
		nv := f[0]
		if i := strings.LastIndexByte(nv, '-'); i > 0 {
			nv = nv[:i]
		}
		names = append(names, nv)
	}
	sort.Strings(names)
	return names, nil
}

func (m *module) install(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var tv, nv starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "target", &tv, "names", &nv); err != nil {
		return nil, err
	}
	tg, err := targetOf(tv)
	if err != nil {
		return fail(b, err)
	}
	names, err := namesOf(nv)
	if err != nil {
		return fail(b, err)
	}
	h, ctx := m.host(t), thread.Context(t)
	if err := CheckResolver(h, tg.Root); err != nil {
		return fail(b, err)
	}
	before, err := Installed(ctx, h, tg)
	if err != nil {
		return fail(b, err)
	}
	had := map[string]bool{}
	for _, n := range before {
		had[n] = true
	}
	var added []string
	for _, n := range names {
		if !had[n] {
			added = append(added, n)
		}
	}
	install := func() error {
		_, err := run(ctx, h, tg, append([]string{"install", "-qy"}, names...)...)
		return err
	}
	if len(added) > 0 {
		err = thread.UndoOf(t).Do("pkg delete "+strings.Join(added, " "), deleteStep(tg, added), install)
	} else {
		err = install()
	}
	if err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) remove(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var tv, nv starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "target", &tv, "names", &nv); err != nil {
		return nil, err
	}
	tg, err := targetOf(tv)
	if err != nil {
		return fail(b, err)
	}
	names, err := namesOf(nv)
	if err != nil {
		return fail(b, err)
	}
	if _, err := run(thread.Context(t), m.host(t), tg, append([]string{"delete", "-qy"}, names...)...); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) update(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var tv starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "target", &tv); err != nil {
		return nil, err
	}
	tg, err := targetOf(tv)
	if err != nil {
		return fail(b, err)
	}
	h := m.host(t)
	if err := CheckResolver(h, tg.Root); err != nil {
		return fail(b, err)
	}
	if _, err := run(thread.Context(t), h, tg, "update", "-q"); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) installed(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var tv starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "target", &tv); err != nil {
		return nil, err
	}
	tg, err := targetOf(tv)
	if err != nil {
		return fail(b, err)
	}
	names, err := Installed(thread.Context(t), m.host(t), tg)
	if err != nil {
		return fail(b, err)
	}
	out := make([]starlark.Value, len(names))
	for i, n := range names {
		out[i] = starlark.String(n)
	}
	return starlark.NewList(out), nil
}

func (m *module) readList(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var p string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &p); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(p, "/") {
		return fail(b, fmt.Errorf("package list %q: want an absolute path", p))
	}
	data, err := m.host(t).ReadFile(p)
	if err != nil {
		return fail(b, fmt.Errorf("package list: %w", err))
	}
	var out []starlark.Value
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !pkgNameRE.MatchString(line) {
			return fail(b, fmt.Errorf("package list %s line %d: %q is not a package name", p, i+1, line))
		}
		out = append(out, starlark.String(line))
	}
	if len(out) == 0 {
		return fail(b, fmt.Errorf("package list %s names no package", p))
	}
	return starlark.NewList(out), nil
}
