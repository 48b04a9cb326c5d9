package jail

// How the changes of start are taken back, as journaled steps
// (thread.Step) that another iocage can replay after this one died: each
// replayer reads the host again and does only what is still to do, so a
// step replayed twice, or for a change that was never made, succeeds.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"path"
	"strings"

	"github.com/iocage/iocage/builtins/net"
	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

func init() {
	thread.RegisterUndo("jail.remove", undoLaunch)
	thread.RegisterUndo("jail.umount", undoMount)
	thread.RegisterUndo("jail.fstab_restore", undoFstab)
	thread.RegisterUndo("jail.rmdir_if_empty", undoRmdir)
	thread.RegisterUndo("jail.devlog_remove", undoDevlog)
	thread.RegisterUndo("jail.base_clone", undoBaseClone)
	thread.RegisterUndo("jail.base_snapshot", undoBaseSnapshot)
	thread.RegisterUndo("jail.base_destroy", undoBaseDestroy)
	thread.RegisterUndo("jail.mountpoint_restore", undoMountpoint)
	thread.RegisterUndo("jail.tag_link", undoTagLink)
	thread.RegisterUndo("jail.tag_unlink", undoTagUnlink)
	thread.RegisterUndo("jail.jailed_off", undoJailed)
	thread.RegisterUndo("jail.unjail", undoUnjail)
	thread.RegisterUndo("jail.last_started_restore", undoLastStarted)
}

// launchStep is the inverse of `jail -c`: the jail name, its mountpoint
// and UUID (what jail(8) mounted for it is found from them) and the
// ip4.addr/ip6.addr parameters that may have added aliases.
func launchStep(j *Jail, params []string) thread.Step {
	args := []string{j.Name(), j.Mountpoint, j.UUID}
	for _, p := range params {
		if strings.HasPrefix(p, "ip4.addr=") || strings.HasPrefix(p, "ip6.addr=") {
			args = append(args, p)
		}
	}
	return thread.Step{Kind: "jail.remove", Args: args}
}

// undoLaunch removes the jail, unmounts what is still mounted for it and
// removes the aliases jail(8) added (a bare jail -r leaves them). Each
// removal that fails is checked against the host: a jail that is not
// running, an alias that is not there, is gone already.
func undoLaunch(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.remove", args, 3, -1); err != nil {
		return err
	}
	name, j := args[0], &Jail{Mountpoint: args[1], UUID: args[2]}
	var errs []error
	if err := h.Change(ctx, runtime.Jail, "-r", name); err != nil {
		if jid, jerr := JID(ctx, h, name); jerr != nil || jid != 0 {
			errs = append(errs, err)
		}
	}
	_, err := UnmountJail(ctx, h, j)
	errs = append(errs, err)
	for _, argv := range AliasRemovals(args[3:]) {
		if err := h.Change(ctx, runtime.Ifconfig, argv...); err != nil {
			if has, herr := hasAddress(ctx, h, argv[0], argv[2]); herr != nil || has {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// hasAddress reports whether the host interface iface has addr; a
// missing interface has none.
func hasAddress(ctx context.Context, h *runtime.Host, iface, addr string) (bool, error) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false, fmt.Errorf("alias %q of %s: %w", addr, iface, err)
	}
	ifc, err := net.GetInterface(ctx, h, iface)
	if errors.Is(err, runtime.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, p := range append(append([]netip.Prefix(nil), ifc.Inet...), ifc.Inet6...) {
		if p.Addr().WithZone("") == a.WithZone("") {
			return true, nil
		}
	}
	return false, nil
}

// undoMount unmounts a point when it is still mounted: taking the jail
// back may have unmounted it already.
func undoMount(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.umount", args, 1, 1); err != nil {
		return err
	}
	ms, err := Mounts(ctx, h)
	if err != nil || !stMounted(ms, args[0]) {
		return err
	}
	return h.Change(ctx, runtime.Umount, args[0])
}

// fstabStep puts back the generated fstab p as it is now: removed when it
// is missing, else written with its content.
func fstabStep(h *runtime.Host, p string) (thread.Step, error) {
	old, err := stReadGenerated(h, p)
	switch {
	case errors.Is(err, runtime.ErrNotExist):
		return thread.Step{Kind: "jail.fstab_restore", Args: []string{p}}, nil
	case err != nil:
		return thread.Step{}, err
	}
	return fstabContentStep(p, old), nil
}

func fstabContentStep(p string, old []byte) thread.Step {
	return thread.Step{Kind: "jail.fstab_restore", Args: []string{p, base64.StdEncoding.EncodeToString(old)}}
}

func undoFstab(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.fstab_restore", args, 1, 2); err != nil {
		return err
	}
	p := args[0]
	if path.Dir(p) != FstabDir {
		return fmt.Errorf("jail.fstab_restore: %s is not in %s", p, FstabDir)
	}
	if len(args) == 1 {
		if err := h.Remove(p); err != nil && !errors.Is(err, runtime.ErrNotExist) {
			return err
		}
		return nil
	}
	old, err := base64.StdEncoding.DecodeString(args[1])
	if err != nil {
		return fmt.Errorf("jail.fstab_restore %s: %w", p, err)
	}
	return h.WriteFile(p, old, 0o644)
}

func undoRmdir(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.rmdir_if_empty", args, 1, 1); err != nil {
		return err
	}
	return stRemoveIfEmpty(h, args[0])
}

// undoDevlog removes the dev/log link made in the jail root args[0]; what
// is there and not a symlink was not made by jail.devlog.
func undoDevlog(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.devlog_remove", args, 1, 1); err != nil {
		return err
	}
	r := h.InRoot(args[0])
	fi, err := r.Lstat("dev/log")
	if errors.Is(err, runtime.ErrNotExist) {
		return nil
	}
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return err
	}
	if err := r.Remove("dev/log"); err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	return nil
}

// baseOpts are the options of a basejail's base clones.
var baseOpts = map[string]string{"compression": "lz4", "readonly": "on"}

// undoBaseClone clones a base filesystem again from its snapshot
// (args: snapshot, clone) unless the clone is there.
func undoBaseClone(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.base_clone", args, 2, 2); err != nil {
		return err
	}
	ok, err := zfs.Exists(ctx, h, args[1])
	if err != nil || ok {
		return err
	}
	return zfs.Clone(ctx, h, args[0], args[1], false, baseOpts)
}

// undoBaseSnapshot takes the recursive snapshot args[0] again unless it is
// there.
func undoBaseSnapshot(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.base_snapshot", args, 1, 1); err != nil {
		return err
	}
	ok, err := zfs.Exists(ctx, h, args[0])
	if err != nil || ok {
		return err
	}
	return zfs.Snapshot(ctx, h, args[0], true)
}

// undoBaseDestroy destroys a base snapshot (recursively, args[1] "-r") or
// a base clone (forced); one that is gone is fine.
func undoBaseDestroy(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.base_destroy", args, 1, 2); err != nil {
		return err
	}
	o := zfs.DestroyOptions{Force: true}
	if len(args) == 2 && args[1] == "-r" {
		o = zfs.DestroyOptions{Recursive: true}
	}
	if err := zfs.Destroy(ctx, h, args[0], o); err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	return nil
}

func undoMountpoint(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.mountpoint_restore", args, 2, 2); err != nil {
		return err
	}
	return zfsSetGone(ctx, h, args[0], "mountpoint", args[1])
}

// zfsSetGone sets a property; a dataset that is gone has nothing to put
// back.
func zfsSetGone(ctx context.Context, h *runtime.Host, ds, prop, value string) error {
	if err := zfs.Set(ctx, h, ds, map[string]string{prop: value}); err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	return nil
}

// undoTagLink makes the tag link args[1] point at args[0] again unless it
// does.
func undoTagLink(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.tag_link", args, 2, 2); err != nil {
		return err
	}
	if cur, err := h.Readlink(args[1]); err == nil && cur == args[0] {
		return nil
	}
	return h.Symlink(args[0], args[1])
}

// undoTagUnlink removes the tag link args[0] when it points at args[1]:
// a link that names something else is not the one made.
func undoTagUnlink(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.tag_unlink", args, 2, 2); err != nil {
		return err
	}
	if cur, err := h.Readlink(args[0]); err != nil || cur != args[1] {
		return nil
	}
	return h.Remove(args[0])
}

func undoJailed(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.jailed_off", args, 1, 1); err != nil {
		return err
	}
	return zfsSetGone(ctx, h, args[0], "jailed", "off")
}

// undoUnjail takes the dataset args[1] from the jail args[0]; a jail that
// is gone took its datasets with it.
func undoUnjail(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.unjail", args, 2, 2); err != nil {
		return err
	}
	err := h.Change(ctx, runtime.ZFS, "unjail", args[0], args[1])
	if err == nil {
		return nil
	}
	if jid, jerr := JID(ctx, h, args[0]); jerr == nil && jid == 0 {
		return nil
	}
	return err
}

// undoLastStarted puts back last_started of args[0]: args[1] the old
// value, none (inherit) when absent.
func undoLastStarted(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.last_started_restore", args, 1, 2); err != nil {
		return err
	}
	name := jailprops.Prefix + "last_started"
	if len(args) == 1 {
		err := h.Change(ctx, runtime.ZFS, "inherit", name, args[0])
		if err != nil {
			if ok, xerr := zfs.Exists(ctx, h, args[0]); xerr == nil && !ok {
				return nil
			}
		}
		return err
	}
	return zfsSetGone(ctx, h, args[0], name, args[1])
}
