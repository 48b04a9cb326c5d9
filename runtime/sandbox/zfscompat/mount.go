package zfscompat

import (
	"fmt"
	"sort"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

func zfsMount(e *model.Env, args []string) int {
	opts, rest, rc := options(e, args, "Oaflvo:", zfsUsage)
	if rc != 0 {
		return rc
	}
	flags := flagArgs(opts, "Oo")
	if len(rest) == 0 && !has(opts, 'a') {
		return listMounts(e)
	}
	if has(opts, 'a') {
		if len(rest) > 0 {
			return argCount(e, false)
		}
		// Only this sandbox's pools: zfs-fuse's -a reaches every pool the
		// shared daemon has imported.
		cat, err := loadPools(e, e.SB.Pools, []string{"canmount", "mountpoint", "zoned", "mounted"})
		if err != nil {
			fmt.Fprintln(e.Stderr, err)
			return 1
		}
		rc := 0
		for _, d := range cat.sets {
			mp := d.vals["mountpoint"].v
			if d.typ != tFS || d.vals["canmount"].v != "on" || d.vals["zoned"].v == "on" ||
				d.vals["mounted"].v == "yes" || !strings.HasPrefix(mp, "/") {
				continue
			}
			if r := fuse(e, append(append([]string{"mount"}, flags...), d.name)...); r != 0 {
				rc = 1
			}
		}
		return rc
	}
	if len(rest) != 1 {
		return argCount(e, false)
	}
	if rc := checkOurs(e, rest[0]); rc != 0 {
		return rc
	}
	return fuse(e, append(append([]string{"mount"}, flags...), rest[0])...)
}

// listMounts is `zfs mount` without arguments: this sandbox's mounted file
// systems and where the host sees them.
func listMounts(e *model.Env) int {
	cat, err := loadPools(e, e.SB.Pools, []string{"mounted", "mountpoint"})
	if err != nil {
		fmt.Fprintln(e.Stderr, err)
		return 1
	}
	for _, d := range cat.sets {
		if d.typ == tFS && d.vals["mounted"].v == "yes" {
			fmt.Fprintf(e.Stdout, "%-30s  %s\n", d.name, unrootPath(e.SB, d.vals["mountpoint"].v))
		}
	}
	return 0
}

func zfsUnmount(e *model.Env, args []string) int {
	opts, rest, rc := options(e, args, "afu", zfsUsage)
	if rc != 0 {
		return rc
	}
	flags := flagArgs(opts, "f")
	if has(opts, 'a') {
		if len(rest) > 0 {
			return argCount(e, false)
		}
		cat, err := loadPools(e, e.SB.Pools, []string{"mounted"})
		if err != nil {
			fmt.Fprintln(e.Stderr, err)
			return 1
		}
		var names []string
		for _, d := range cat.sets {
			if d.typ == tFS && d.vals["mounted"].v == "yes" {
				names = append(names, d.name)
			}
		}
		sort.Sort(sort.Reverse(sort.StringSlice(names)))
		rc := 0
		for _, n := range names {
			if r := fuse(e, append(append([]string{"unmount"}, flags...), n)...); r != 0 {
				rc = 1
			}
		}
		return rc
	}
	if len(rest) != 1 {
		return argCount(e, len(rest) == 0)
	}
	arg := rest[0]
	if strings.HasPrefix(arg, "/") {
		// A mountpoint is a host path; zfs-fuse knows the local one.
		arg = e.SB.Path(arg)
	} else if rc := checkOurs(e, arg); rc != 0 {
		return rc
	}
	return fuse(e, append(append([]string{"unmount"}, flags...), arg)...)
}
