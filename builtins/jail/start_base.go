package jail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

// The ZFS side of start: the hostid check, the basejail re-clone, the
// mountpoint and tag link, the delegated dataset and last_started.

func init() {
	register("check_hostid", "jail.check_hostid(j)\n\nFails when j's hostid property names another host than this one's\n/etc/hostid (the jail's storage may be shared with, or copied from,\nanother host that runs it). An unset hostid passes. Reads one file.", stCheckHostid)
	register("reclone_base", "jail.reclone_base(j) -> list of str\n\nRefreshes a basejail's base filesystems from its release's base (or its\ntemplate's, POOL/iocage/base/TEMPLATEUUID, when basejail_source names one): each\nROOT/FS clone is destroyed, the snapshot POOL/iocage/base/REL/root@UUID is\ntaken again (recursively, of that release's base only) and every FS is\ncloned from it with the options of creation (readonly=on,\ncompression=lz4). Returns the clones made; nothing for another type.\nUndone (the clones made again from the snapshot) when the run fails.", stRecloneBase)
	register("sync_mountpoint", "jail.sync_mountpoint(j) -> jail.jail\n\nMakes j's mountpoint follow hack88 (/iocage/jails/UUID8 when 1, else\n/iocage/jails/UUID; one `zfs set mountpoint=...`) and its tag link\n/iocage/tags/TAG point at it. Does nothing when both are right. Returns\nj as it is now. Undone when the run fails.", stSyncMountpoint)
	register("delegate", "jail.delegate(j, jid) -> str\n\nDelegates j's jail_zfs_dataset (a leading DEFAULT/ meaning the pool) to\nthe running jail: `zfs set jailed=on` when it is not, then\n`zfs jail ioc-UUID DATASET`. Returns the dataset. Undone (`zfs unjail`)\nwhen the run fails.", stDelegate)
	register("mark_started", "jail.mark_started(j) -> str\n\nRecords the start time in last_started (`zfs set\norg.freebsd.iocage:last_started=YYYY-MM-DD_HH:MM:SS DS`) and returns it.\nThe old value is put back when the run fails.", stMarkStarted)
}

func stCheckHostid(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	want := v.j.Props["hostid"]
	if want == "" || want == "-" || want == "none" {
		return starlark.None, nil
	}
	raw, err := h.ReadFile("/etc/hostid")
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return fail(b, err)
	}
	have := strings.TrimSpace(string(raw))
	if have == "" {
		have = "none"
	}
	if !strings.EqualFold(have, want) {
		return fail(b, fmt.Errorf("jail %s (%s) belongs to the host with hostid %s, and this host's /etc/hostid is %s; "+
			"start it here anyway with --force-hostid, or adopt it with `iocage set hostid=%s %s`", v.j.UUID, v.j.Tag, want, have, have, v.j.Tag))
	}
	return starlark.None, nil
}

func poolOfJail(j *Jail) string {
	pool, _, _ := strings.Cut(j.Dataset, "/")
	return pool
}

func stRecloneBase(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	j := v.j
	if j.Props["type"] != "basejail" {
		return starlark.NewList(nil), nil
	}
	name := BaseName(j.Props)
	if name == "" || name == "-" {
		return fail(b, fmt.Errorf("basejail %s has no release property", j.UUID))
	}
	ctx, u := thread.Context(t), thread.UndoOf(t)
	base := BaseDS(poolOfJail(j), name)
	snap := base + "@" + j.UUID
	reclone := func(ctx context.Context, fs string) error {
		return zfs.Clone(ctx, h, base+"/"+fs+"@"+j.UUID, j.Dataset+"/root/"+fs, false, baseOpts)
	}
	// Destroying a clone loses nothing: it is a read-only copy of the
	// base, and the undo clones it again from the snapshot in place then.
	for _, fs := range BaseFilesystems {
		ds := j.Dataset + "/root/" + fs
		ok, err := zfs.Exists(ctx, h, ds)
		if err != nil {
			return fail(b, err)
		}
		if !ok {
			continue
		}
		step := thread.Step{Kind: "jail.base_clone", Args: []string{base + "/" + fs + "@" + j.UUID, ds}}
		err = u.Do("zfs clone "+ds, step, func() error {
			return zfs.Destroy(ctx, h, ds, zfs.DestroyOptions{Force: true})
		})
		if err != nil {
			return fail(b, err)
		}
	}
	had, err := zfs.Exists(ctx, h, snap)
	if err != nil {
		return fail(b, err)
	}
	if had {
		err := u.Do("zfs snapshot -r "+snap, thread.Step{Kind: "jail.base_snapshot", Args: []string{snap}}, func() error {
			return zfs.Destroy(ctx, h, snap, zfs.DestroyOptions{Recursive: true})
		})
		if err != nil {
			return fail(b, err)
		}
	}
	err = u.Do("zfs destroy -r "+snap, thread.Step{Kind: "jail.base_destroy", Args: []string{snap, "-r"}}, func() error {
		return zfs.Snapshot(ctx, h, snap, true)
	})
	if err != nil {
		return fail(b, err)
	}
	var made []string
	for _, fs := range BaseFilesystems {
		ds := j.Dataset + "/root/" + fs
		err := u.Do("zfs destroy "+ds, thread.Step{Kind: "jail.base_destroy", Args: []string{ds}}, func() error {
			return reclone(ctx, fs)
		})
		if err != nil {
			return fail(b, err)
		}
		made = append(made, ds)
	}
	return strings2list(made), nil
}

func stSyncMountpoint(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	j := clone(v.j)
	if j.Default {
		return fail(b, fmt.Errorf("the defaults are not a jail"))
	}
	ctx, u := thread.Context(t), thread.UndoOf(t)
	want := Root + "/jails/" + j.UUID
	if j.Props["hack88"] == "1" {
		want = Root + "/jails/" + strings.SplitN(j.UUID, "-", 2)[0]
	}
	if j.Mountpoint != want {
		if j.Props["hack88"] == "1" {
			// Two jails sharing the first 8 characters of their UUID
			// would share the short mountpoint.
			if _, err := h.Lstat(want); err == nil {
				if ents, _ := h.ReadDir(want); len(ents) > 0 {
					return fail(b, fmt.Errorf("hack88: %s is in use; another jail's UUID starts with %s", want, want[len(Root+"/jails/"):]))
				}
			}
		}
		old := j.Mountpoint
		step := thread.Step{Kind: "jail.mountpoint_restore", Args: []string{j.Dataset, old}}
		err := u.Do("zfs set mountpoint="+old+" "+j.Dataset, step, func() error {
			return zfs.Set(ctx, h, j.Dataset, map[string]string{"mountpoint": want})
		})
		if err != nil {
			return fail(b, err)
		}
		j.Mountpoint = want
	}
	if j.Tag != "" && j.Tag != "-" && !strings.Contains(j.Tag, "/") {
		link := Root + "/tags/" + j.Tag
		cur, err := h.Readlink(link)
		if err != nil || cur != j.Mountpoint {
			if err := h.MkdirAll(Root+"/tags", 0o755); err != nil {
				return fail(b, err)
			}
			if err == nil {
				step := thread.Step{Kind: "jail.tag_link", Args: []string{cur, link}}
				if err := u.Do("ln -s "+cur+" "+link, step, func() error { return h.Remove(link) }); err != nil {
					return fail(b, err)
				}
			}
			step := thread.Step{Kind: "jail.tag_unlink", Args: []string{link, j.Mountpoint}}
			if err := u.Do("rm "+link, step, func() error { return h.Symlink(j.Mountpoint, link) }); err != nil {
				return fail(b, err)
			}
		}
	}
	return NewValue(j), nil
}

// DataDatasetOf is the jail's jail_zfs_dataset with a leading DEFAULT/
// standing for the pool; any other value is used as it is.
func DataDatasetOf(j *Jail) string {
	v := j.Props["jail_zfs_dataset"]
	if rest, ok := strings.CutPrefix(v, "DEFAULT/"); ok {
		return poolOfJail(j) + "/" + rest
	}
	return v
}

func stDelegate(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var jid int
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "jid", &jid); err != nil {
		return nil, err
	}
	ds := DataDatasetOf(v.j)
	if ds == "" || ds == "-" || ds == "none" {
		return fail(b, fmt.Errorf("jail %s has jail_zfs=on but no jail_zfs_dataset", v.j.UUID))
	}
	if err := zfs.CheckName(ds); err != nil {
		return fail(b, fmt.Errorf("jail_zfs_dataset: %w", err))
	}
	ctx, u := thread.Context(t), thread.UndoOf(t)
	d, err := zfs.Get(ctx, h, ds, "jailed")
	if err != nil {
		return fail(b, fmt.Errorf("jail_zfs_dataset %s: %w", ds, err))
	}
	if jailed, _ := d.Value("jailed"); jailed != "on" {
		err := u.Do("zfs set jailed=off "+ds, thread.Step{Kind: "jail.jailed_off", Args: []string{ds}}, func() error {
			return zfs.Set(ctx, h, ds, map[string]string{"jailed": "on"})
		})
		if err != nil {
			return fail(b, err)
		}
	}
	name := v.j.Name()
	err = u.Do("zfs unjail "+name+" "+ds, thread.Step{Kind: "jail.unjail", Args: []string{name, ds}}, func() error {
		return h.Change(ctx, runtime.ZFS, "jail", name, ds)
	})
	if err != nil {
		return fail(b, err)
	}
	return starlark.String(ds), nil
}

// now is the clock of last_started; tests fix it.
var now = time.Now

func stMarkStarted(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	name := jailprops.Prefix + "last_started"
	stamp := now().Format("2006-01-02_15:04:05")
	old := v.j.Props["last_started"]
	ctx := thread.Context(t)
	step := thread.Step{Kind: "jail.last_started_restore", Args: []string{v.j.Dataset}}
	if old != "" && old != "-" {
		step.Args = append(step.Args, old)
	}
	err := thread.UndoOf(t).Do("restore last_started of "+v.j.Dataset, step, func() error {
		return zfs.Set(ctx, h, v.j.Dataset, map[string]string{name: stamp})
	})
	if err != nil {
		return fail(b, err)
	}
	return starlark.String(stamp), nil
}
