package zfscompat

import (
	"fmt"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// readOnly are the properties `zfs set` refuses.
var readOnly = map[string]bool{
	"type": true, "creation": true, "used": true, "available": true, "referenced": true,
	"compressratio": true, "mounted": true, "origin": true, "usedbysnapshots": true,
	"usedbydataset": true, "usedbychildren": true, "usedbyrefreservation": true,
	"refcompressratio": true, "written": true, "logicalused": true, "logicalreferenced": true,
	"userrefs": true, "defer_destroy": true, "clones": true, "name": true, "encryption": true,
	"keyformat": true, "keylocation": true,
}

const compressionWords = "on | off | lzjb | gzip | gzip-[1-9] | zle | lz4 | zstd | zstd-[1-19] | zstd-fast | zstd-fast-[1-10,20,30,40,50,60,70,80,90,100,500,1000]"

// fuseAssignments turns one OpenZFS property=value into the zfs-fuse
// assignments that store it. what names the failing operation in errors,
// e.g. "cannot set property for 'zroot/a'".
func fuseAssignments(e *model.Env, what, pair string) ([]string, bool) {
	name, val, ok := strings.Cut(pair, "=")
	if !ok || name == "" {
		fmt.Fprintf(e.Stderr, "missing '=' for property=value argument\n")
		return nil, false
	}
	full, p, ok := lookupProp(name)
	if !ok {
		fmt.Fprintf(e.Stderr, "%s: invalid property '%s'\n", what, name)
		return nil, false
	}
	if p == nil {
		return []string{full + "=" + val}, true
	}
	if readOnly[full] {
		fmt.Fprintf(e.Stderr, "%s: '%s' is readonly\n", what, full)
		return nil, false
	}
	switch {
	case full == "compression":
		fv, shadow, ok := fuseCompression(val)
		if !ok {
			fmt.Fprintf(e.Stderr, "%s: 'compression' must be one of '%s'\n", what, compressionWords)
			return nil, false
		}
		return []string{"compression=" + fv, ShadowCompression + "=" + shadow}, true
	case p.fuse == "":
		if val == p.def {
			// The one value this host has: setting it changes nothing.
			return nil, true
		}
		fmt.Fprintf(e.Stderr, "%s: property '%s' cannot be changed on the sandbox host (always '%s')\n", what, full, p.def)
		return nil, false
	}
	return []string{p.fuse + "=" + val}, true
}

func zfsSet(e *model.Env, args []string) int {
	var pairs, sets []string
	for i, a := range args {
		if !strings.Contains(a, "=") {
			pairs, sets = args[:i], args[i:]
			break
		}
	}
	if len(pairs) == 0 || len(sets) == 0 {
		if len(args) == 0 {
			fmt.Fprintln(e.Stderr, "missing arguments")
		} else {
			fmt.Fprintln(e.Stderr, "missing dataset name(s)")
		}
		fmt.Fprint(e.Stderr, zfsUsage)
		return 2
	}
	if rc := checkOurs(e, sets...); rc != 0 {
		return rc
	}
	var assign []string
	for _, p := range pairs {
		a, ok := fuseAssignments(e, fmt.Sprintf("cannot set property for '%s'", sets[0]), p)
		if !ok {
			return 1
		}
		assign = append(assign, a...)
	}
	// zfs-fuse sets one property per run.
	for _, a := range assign {
		if rc := fuse(e, append([]string{"set", a}, sets...)...); rc != 0 {
			return rc
		}
	}
	return 0
}

func zfsInherit(e *model.Env, args []string) int {
	opts, rest, rc := options(e, args, "rS", zfsUsage)
	if rc != 0 {
		return rc
	}
	if len(rest) < 2 {
		return argCount(e, true)
	}
	if rc := checkOurs(e, rest[1:]...); rc != 0 {
		return rc
	}
	full, p, ok := lookupProp(rest[0])
	if !ok {
		fmt.Fprintf(e.Stderr, "invalid property '%s'\n", rest[0])
		fmt.Fprint(e.Stderr, zfsUsage)
		return 2
	}
	if readOnly[full] {
		fmt.Fprintf(e.Stderr, "'%s' property is read-only\n", full)
		fmt.Fprint(e.Stderr, zfsUsage)
		return 2
	}
	names := []string{full}
	switch {
	case full == "compression":
		names = append(names, ShadowCompression)
	case p != nil && p.fuse == "":
		return 0 // a constant: nothing was ever set
	case p != nil:
		names = []string{p.fuse}
	}
	flags := flagArgs(opts, "rS")
	for _, n := range names {
		if rc := fuse(e, append(append(append([]string{"inherit"}, flags...), n), rest[1:]...)...); rc != 0 {
			return rc
		}
	}
	return 0
}

// createOptions translates -o options for create, clone and snapshot.
func createOptions(e *model.Env, what string, opts []model.Option) ([]string, bool) {
	var out []string
	for _, o := range opts {
		if o.Flag != 'o' {
			continue
		}
		a, ok := fuseAssignments(e, what, o.Arg)
		if !ok {
			return nil, false
		}
		for _, x := range a {
			out = append(out, "-o", x)
		}
	}
	return out, true
}

func zfsCreate(e *model.Env, args []string) int {
	opts, rest, rc := command(e, args, "PnpuvsV:b:o:", 1)
	if rc != 0 {
		return rc
	}
	ds := rest[0]
	o, ok := createOptions(e, fmt.Sprintf("cannot create '%s'", ds), opts)
	if !ok {
		return 1
	}
	if has(opts, 'n') {
		return 0 // dry run: the arguments were valid
	}
	argv := append(append(append([]string{"create"}, flagArgs(opts, "psVb")...), o...), ds)
	if rc := fuse(e, argv...); rc != 0 {
		return rc
	}
	if has(opts, 'u') {
		// zfs-fuse has no create -u: undo the mount it made.
		r := run(e.Ctx, fuseZFS, "unmount", ds)
		_ = r // a dataset that was not mounted (mountpoint=none) is fine
	}
	return 0
}

func zfsClone(e *model.Env, args []string) int {
	opts, rest, rc := command(e, args, "puo:", 2)
	if rc != 0 {
		return rc
	}
	o, ok := createOptions(e, fmt.Sprintf("cannot create '%s'", rest[1]), opts)
	if !ok {
		return 1
	}
	argv := append(append(append([]string{"clone"}, flagArgs(opts, "p")...), o...), rest...)
	if rc := fuse(e, argv...); rc != 0 {
		return rc
	}
	if has(opts, 'u') {
		_ = run(e.Ctx, fuseZFS, "unmount", rest[1])
	}
	return 0
}

func zfsSnapshot(e *model.Env, args []string) int {
	opts, rest, rc := options(e, args, "ro:", zfsUsage)
	if rc != 0 {
		return rc
	}
	if len(rest) == 0 {
		return argCount(e, true)
	}
	for _, s := range rest {
		if !strings.Contains(s, "@") {
			fmt.Fprintf(e.Stderr, "cannot create snapshot '%s': empty component or misplaced '@' or '#' delimiter in name\n", s)
			return 1
		}
	}
	if rc := checkOurs(e, rest...); rc != 0 {
		return rc
	}
	o, ok := createOptions(e, fmt.Sprintf("cannot create snapshot '%s'", rest[0]), opts)
	if !ok {
		return 1
	}
	// OpenZFS takes several snapshots at once; zfs-fuse one per run.
	for _, s := range rest {
		argv := append(append(append([]string{"snapshot"}, flagArgs(opts, "r")...), o...), s)
		if rc := fuse(e, argv...); rc != 0 {
			return rc
		}
	}
	return 0
}
