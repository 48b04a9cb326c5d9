package zfscompat

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

func zfsDestroy(e *model.Env, args []string) int {
	opts, rest, rc := command(e, args, "dfnpRrv", 1)
	if rc != 0 {
		return rc
	}
	target := rest[0]
	dry, verbose, parsable := has(opts, 'n'), has(opts, 'v'), has(opts, 'p')
	fs, spec, isSnap := strings.Cut(target, "@")
	if !isSnap {
		if dry || verbose {
			sel := selection{recurse: has(opts, 'r') || has(opts, 'R'), depth: -1, types: tAll, typesGiven: true}
			cat, err := loadNamed(e, []string{fs}, sel, nil)
			if err != nil {
				fmt.Fprintln(e.Stderr, err)
				return 1
			}
			sets, rc := cat.pick(e, []string{fs}, sel)
			if rc != 0 {
				return rc
			}
			// libzfs destroys children first.
			for i := len(sets) - 1; i >= 0; i-- {
				if sets[i].typ != tSnap || sel.recurse {
					printDestroy(e, sets[i].name, dry, parsable)
				}
			}
		}
		if dry {
			return 0
		}
		return destroyFS(e, fs, opts)
	}

	// Snapshots: zfs-fuse takes one name; OpenZFS takes ranges (a%b) and
	// lists (a,b), each applied to descendants too with -r.
	simple := !strings.ContainsAny(spec, "%,")
	if simple && !dry && !verbose {
		return fuse(e, append(append([]string{"destroy"}, flagArgs(opts, "rRd")...), target)...)
	}
	// fs's own snapshots lie at depth 1; with -r, its descendants' too.
	sel := selection{recurse: true, depth: 1}
	if has(opts, 'r') {
		sel.depth = -1
	}
	cat, err := loadNamed(e, []string{fs}, sel, []string{"used"})
	if err != nil {
		fmt.Fprintln(e.Stderr, err)
		return 1
	}
	if cat.byName[fs] == nil {
		return noDataset(e, fs)
	}
	fss := []string{fs}
	if has(opts, 'r') {
		for _, d := range cat.sets {
			if d.typ != tSnap && strings.HasPrefix(d.name, fs+"/") {
				fss = append(fss, d.name)
			}
		}
	}
	var victims []*dataset
	for _, f := range fss {
		v, ok := expandSnapSpec(cat, f, spec)
		if !ok {
			fmt.Fprintf(e.Stderr, "cannot destroy snapshots in %s: invalid range\n", f)
			return 1
		}
		victims = append(victims, v...)
	}
	if len(victims) == 0 {
		fmt.Fprintln(e.Stderr, "could not find any snapshots to destroy; check snapshot names.")
		return 1
	}
	var reclaim uint64
	for _, v := range victims {
		if verbose {
			printDestroy(e, v.name, dry, parsable)
		}
		n, _ := strconv.ParseUint(v.vals["used"].v, 10, 64)
		reclaim += n
	}
	if verbose {
		switch {
		case parsable:
			fmt.Fprintf(e.Stdout, "reclaim\t%d\n", reclaim)
		case dry:
			fmt.Fprintf(e.Stdout, "would reclaim %s\n", nicenum(reclaim, true))
		default:
			fmt.Fprintf(e.Stdout, "will reclaim %s\n", nicenum(reclaim, true))
		}
	}
	if dry {
		return 0
	}
	for _, v := range victims {
		if rc := fuse(e, append(append([]string{"destroy"}, flagArgs(opts, "Rd")...), v.name)...); rc != 0 {
			return rc
		}
	}
	return 0
}

func printDestroy(e *model.Env, name string, dry, parsable bool) {
	switch {
	case parsable:
		fmt.Fprintf(e.Stdout, "destroy\t%s\n", name)
	case dry:
		fmt.Fprintf(e.Stdout, "would destroy %s\n", name)
	default:
		fmt.Fprintf(e.Stdout, "will destroy %s\n", name)
	}
}

// expandSnapSpec resolves "a", "a%b", "%b", "a%" and comma lists of them
// against the snapshots of fs, in creation order.
func expandSnapSpec(cat *catalog, fs, spec string) ([]*dataset, bool) {
	var snaps []*dataset
	for _, d := range cat.sets {
		if d.typ == tSnap && d.fsPart() == fs {
			snaps = append(snaps, d)
		}
	}
	index := func(name string) int {
		for i, s := range snaps {
			if s.name == fs+"@"+name {
				return i
			}
		}
		return -1
	}
	seen := map[*dataset]bool{}
	var out []*dataset
	for _, part := range strings.Split(spec, ",") {
		from, to, isRange := strings.Cut(part, "%")
		if !isRange {
			if i := index(part); i >= 0 && !seen[snaps[i]] {
				seen[snaps[i]] = true
				out = append(out, snaps[i])
			}
			continue
		}
		lo, hi := 0, len(snaps)-1
		if from != "" {
			if lo = index(from); lo < 0 {
				continue
			}
		}
		if to != "" {
			if hi = index(to); hi < 0 {
				continue
			}
		}
		if lo > hi {
			return nil, false
		}
		for _, s := range snaps[lo : hi+1] {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out, true
}

// destroyFS destroys a file system (and with -r/-R what hangs below it).
// zfs-fuse refuses to destroy a mounted file system ("dataset is busy")
// after unmounting it, one level per attempt, where OpenZFS unmounts and
// destroys in one go: unmount first, then retry while that is the error.
func destroyFS(e *model.Env, fs string, opts []model.Option) int {
	if has(opts, 'r') || has(opts, 'R') {
		if rc := unmountTree(e, fs, has(opts, 'f')); rc != 0 {
			return rc
		}
	}
	argv := append(append([]string{"destroy"}, flagArgs(opts, "rRf")...), fs)
	var r fuseResult
	for try := 0; try < 16; try++ {
		if r = run(e.Ctx, fuseZFS, argv...); r.code == 0 || !strings.Contains(r.stderr, "dataset is busy") {
			break
		}
	}
	fmt.Fprint(e.Stdout, unroot(e.SB, r.stdout))
	fmt.Fprint(e.Stderr, unroot(e.SB, r.stderr))
	return r.code
}
