package zfscompat

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// zfs-fuse keeps a filesystem whose readonly is on read-only inside (writes
// fail with EROFS) but mounts every filesystem read-write, and libzfs,
// seeing "rw" among the mount's options, then reports readonly as "off"
// with source "temporary", as if an administrator had mounted it with
// -o rw. OpenZFS mounts such a filesystem read-only. syncReadonly gives
// the FUSE mount the read-only flag its property asks for, after every
// command that mounts a filesystem or changes readonly, so that `zfs get
// readonly` and the mount table say what FreeBSD's would.

// syncReadonly makes the mounts of the mounted filesystems at and below
// names agree with their readonly property. A mismatch shows as source
// "temporary": the stored value is then the opposite of the one shown. A
// writable mount of a readonly=on filesystem becomes read-only; with both
// (after zfs set or inherit of readonly, which on OpenZFS change a mounted
// filesystem at once) a read-only mount of a readonly=off filesystem
// becomes writable again. Without both, a read-only mount an administrator
// asked for with `zfs mount -o ro` stays, as it does on OpenZFS.
func syncReadonly(e *model.Env, both bool, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	cat, err := loadCatalog(e, names, []string{"readonly", "mounted", "mountpoint"})
	if err != nil {
		return fmt.Errorf("read readonly: %w", err)
	}
	root := filepath.Clean(e.SB.Root)
	for _, d := range cat.sets {
		ro := d.vals["readonly"]
		if d.typ != tFS || d.vals["mounted"].v != "yes" || ro.src != "temporary" {
			continue
		}
		stored := ro.v == "off"
		if !stored && !both {
			continue
		}
		mp := filepath.Clean(d.vals["mountpoint"].v)
		if mp != root && !strings.HasPrefix(mp, root+"/") {
			// Never touch a mount outside the sandbox, whatever zfs-fuse says.
			return fmt.Errorf("cannot set the read-only flag of '%s': mountpoint %s is outside the sandbox root %s", d.name, mp, root)
		}
		if err := remountReadonly(mp, stored); err != nil {
			return fmt.Errorf("cannot set the read-only flag of '%s' to %v: %w", d.name, stored, err)
		}
	}
	return nil
}

// SyncReadonly makes the mounts of every filesystem in the sandbox's pools
// agree with their readonly property; the sandbox calls it after importing
// its pools, which zfs-fuse mounts read-write (see syncReadonly).
func SyncReadonly(ctx context.Context, sb *model.Sandbox) error {
	var errb strings.Builder
	e := &model.Env{Ctx: ctx, Prog: "/sbin/zfs", SB: sb, Stderr: &errb}
	return syncReadonly(e, false, sb.Pools...)
}

// readonlyChanged runs syncReadonly after a command that changed or
// mounted the filesystems names, reporting a failure as zfs reports one.
func readonlyChanged(e *model.Env, both bool, names ...string) int {
	if err := syncReadonly(e, both, names...); err != nil {
		fmt.Fprintln(e.Stderr, unroot(e.SB, err.Error()))
		return 1
	}
	return 0
}

// mountsChanged follows a zfs set or inherit of the zfs-fuse properties
// props on datasets: readonly changes the mounts' flag both ways; a new
// mountpoint or canmount remounts, read-write, what zfs-fuse mounts.
func mountsChanged(e *model.Env, props, datasets []string) int {
	var both, remounted bool
	for _, p := range props {
		switch p {
		case "readonly":
			both = true
		case "mountpoint", "canmount":
			remounted = true
		}
	}
	if !both && !remounted {
		return 0
	}
	var fs []string
	for _, d := range datasets {
		if !strings.Contains(d, "@") {
			fs = append(fs, d)
		}
	}
	return readonlyChanged(e, both, fs...)
}
