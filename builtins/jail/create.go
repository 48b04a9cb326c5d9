package jail

// The builtins of create and clone (lifecycle.md §2, §3; layout.md §3):
// resolving a new jail (jail.new) and the host steps that make its
// datasets and initial files. Each step is one meaningful host call and
// journals its inverse on the run's undo log before it (create_undo.go), so a create that fails at any
// step leaves nothing behind.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime"
)

// BaseFilesystems are the datasets of a release's base (base/REL/root/FS)
// that a basejail clones read-only (properties.md §8).
var BaseFilesystems = []string{"bin", "boot", "lib", "libexec", "rescue", "sbin", "usr/bin", "usr/include",
	"usr/lib", "usr/libexec", "usr/sbin", "usr/share", "usr/src", "usr/libdata", "usr/lib32"}

// BaseDS is the dataset holding a release's base filesystems.
func BaseDS(pool, release string) string { return pool + "/iocage/base/" + release + "/root" }

// ReleaseDS is a fetched release's dataset.
func ReleaseDS(pool, release string) string { return pool + "/iocage/releases/" + release }

func init() {
	register("new", "jail.new(props={}, defaults=None, source=None, jails=None, type=\"jail\", uuid=\"\") -> jail.spec\n\n"+
		"Resolves a jail about to be made, without host access: a new UUID (or uuid),\n"+
		"the tag (unique among jails, read narrowly as jail.claims does when jails\n"+
		"is None: call it inside jail.locked; a\n"+
		"default tag gets a _N suffix rather than clash) and every property by the\n"+
		"one precedence rule: props (checked: known, writable, valid), then the\n"+
		"defaults (read when None) or, for clone -P, the source jail, then the\n"+
		"built-in. With source the jail keeps the source's type, is no template,\n"+
		"and takes the host's hostid and fresh MACs. With base (a template; type\n"+
		"must be basejail) the basejail shares the template's base tree: its\n"+
		"basejail_source is the template's UUID, its release the template's. Returns jail.spec(uuid, tag,\n"+
		"pool, dataset, mountpoint, path, release, type, data_dataset, properties,\n"+
		"zfs_properties).", newSpec)
	register("snapshot_tree", "jail.snapshot_tree(snapshot)\n\n"+
		"Takes FS@SNAP of FS and every descendant (`zfs snapshot -r`). Undone by\n"+
		"destroying it (`zfs destroy -r`) when the run fails.", snapshotTree)
	register("receive_copy", "jail.receive_copy(snapshot, spec)\n\n"+
		"Makes spec.dataset a full, independent copy of snapshot's tree: `zfs send\n"+
		"-R SNAPSHOT | zfs receive DATASET`, two processes streamed into each\n"+
		"other. Undone with `zfs destroy -r DATASET`.", receiveCopy)
	register("drop_snapshots", "jail.drop_snapshots(name)\n\n"+
		"Destroys what is transient: the snapshot name (`zfs destroy -r FS@SNAP`),\n"+
		"or, for a dataset, every snapshot of it and its descendants that no\n"+
		"clone uses: one listing, then one `zfs destroy FS@a,b,...` per file\n"+
		"system. A copy received from a\n"+
		"replication stream carries every older snapshot of its source; this\n"+
		"removes them. Missing snapshots are no error. Not undone.", dropSnapshots)
	register("set_properties", "jail.set_properties(spec)\n\n"+
		"Writes spec.zfs_properties on spec.dataset in one `zfs set`, for a jail\n"+
		"received rather than created with its properties. Undone with the\n"+
		"dataset.", setProperties)
	register("create_fs", "jail.create_fs(name, properties={}, parents=True)\n\n"+
		"Creates a filesystem (`zfs create [-p] -o k=v... NAME`, options sorted).\n"+
		"Undone with `zfs destroy -r NAME`.", createFS)
	register("clone_tree", "jail.clone_tree(source, snap, spec, properties=None) -> list of str\n\n"+
		"Clones source@snap and every descendant that has @snap (one `zfs list`,\n"+
		"then one `zfs clone -o k=v... FS@SNAP TARGET` each) under spec.dataset,\n"+
		"parents first. Every clone gets properties (default spec.zfs_properties,\n"+
		"the mountpoint only on the top); a descendant named data (the jail's data\n"+
		"dataset) gets only mountpoint=none and jailed=on. Fails when source@snap\n"+
		"does not exist. Returns the datasets made. Each clone is undone with\n"+
		"`zfs destroy -r`.", cloneTree)
	register("clone_base", "jail.clone_base(spec)\n\n"+
		"Clones the 15 base filesystems of spec.release read-only into the basejail\n"+
		"(`zfs clone -o compression=lz4 -o readonly=on POOL/iocage/base/REL/root/FS@UUID\n"+
		"DATASET/root/FS`), or of the template's base tree base/TEMPLATEUUID when\n"+
		"spec.properties[\"basejail_source\"] names one; the snapshot must have been\n"+
		"taken. Each clone is undone.", cloneBase)
	register("copy_base_files", "jail.copy_base_files(spec)\n\n"+
		"Copies into the basejail's root every entry of the release's (or\n"+
		"template's, see clone_base) base root\n"+
		"and of its usr/ that is not a cloned base filesystem (one `cp -a SRC...\n"+
		"DIR` for the top level, one for usr/): /etc, /var, /root, /COPYRIGHT,\n"+
		"/usr/local ... The shell iocage copied only seven directories. Undone\n"+
		"with the jail's datasets.", copyBaseFiles)
	register("create_data", "jail.create_data(spec) -> str\n\n"+
		"Creates the jail's data dataset (jail_zfs_dataset, DEFAULT/ standing for\n"+
		"the pool) unless it exists: `zfs create -p -o compression=lz4 -o\n"+
		"jailed=on -o mountpoint=none J` in one command. Returns its name. Undone\n"+
		"with `zfs destroy -r J`.", createData)
	register("link_tag", "jail.link_tag(spec)\n\n"+
		"Points /iocage/tags/TAG at the jail's mountpoint (a link of that name is\n"+
		"replaced). Undone by removing it (and putting back the replaced one).", linkTag)
	register("write_fstab_template", "jail.write_fstab_template(spec, keep_old=False)\n\n"+
		"Writes MP/fstab, the jail's fstab template: comments explaining the\n"+
		"format and the %jailroot% placeholder. An fstab already there (a\n"+
		"clone's copy of its source's) is renamed fstab.UUID first, unless\n"+
		"keep_old, which keeps it in place and writes nothing. Undone with the\n"+
		"old contents.", writeFstabTemplate)
	register("write_rc_conf", "jail.write_rc_conf(spec)\n\n"+
		"Writes ROOT/etc/rc.conf of a new jail: hostname=\"<host_hostname>\",\n"+
		"cron_flags=\"$cron_flags -J 15\", sendmail off, syslogd_flags=\"-c -ss\",\n"+
		"ipv6_activate_all_interfaces=\"YES\". Undone with the old contents.", writeRcConf)
	register("rewrite_uuids", "jail.rewrite_uuids(spec) -> int\n\n"+
		"Replaces every UUID in ROOT/etc/rc.conf of a clone by the new jail's\n"+
		"UUID (whole UUIDs only: the shell iocage's greedy pattern ate the rest\n"+
		"of the line). Returns how many it replaced; a missing rc.conf is 0.\n"+
		"Undone with the old contents.", rewriteUUIDs)
}

// specOnly unpacks the single spec argument most create steps take.
func specOnly(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (*Spec, error) {
	var sv starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "spec", &sv); err != nil {
		return nil, err
	}
	s, err := specArg(sv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return s, nil
}

func specArg(v starlark.Value) (*Spec, error) {
	s, ok := v.(*SpecValue)
	if !ok {
		return nil, fmt.Errorf("spec: got %s, want jail.spec", v.Type())
	}
	return s.s, nil
}

func newSpec(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var props *starlark.Dict
	var dv, sv, jv, bv starlark.Value = starlark.None, starlark.None, starlark.None, starlark.None
	typ, uuid := "jail", ""
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "props?", &props, "defaults?", &dv, "source?", &sv,
		"jails?", &jv, "type?", &typ, "uuid?", &uuid, "base?", &bv); err != nil {
		return nil, err
	}
	var defaults, source, base *Value
	var jl *starlark.List
	for _, a := range []struct {
		name string
		v    starlark.Value
		dst  **Value
	}{{"defaults", dv, &defaults}, {"source", sv, &source}, {"base", bv, &base}} {
		if a.v == starlark.None {
			continue
		}
		x, ok := a.v.(*Value)
		if !ok {
			return fail(b, fmt.Errorf("%s: got %s, want jail.jail or None", a.name, a.v.Type()))
		}
		*a.dst = x
	}
	if jv != starlark.None {
		l, ok := jv.(*starlark.List)
		if !ok {
			return fail(b, fmt.Errorf("jails: got %s, want a list of jail.jail or None", jv.Type()))
		}
		jl = l
	}
	cli := map[string]string{}
	if props != nil {
		for _, it := range props.Items() {
			k, ok1 := starlark.AsString(it[0])
			v, ok2 := starlark.AsString(it[1])
			if !ok1 || !ok2 {
				return fail(b, fmt.Errorf("props: want a dict of strings, got %s: %s", it[0].Type(), it[1].Type()))
			}
			cli[k] = v
		}
	}
	ctx := ctxOf(t)
	var o NewOptions
	o.Type, o.UUID = typ, uuid
	if base != nil {
		o.Base = base.j
	}
	if source != nil {
		if source.j.Default {
			return fail(b, fmt.Errorf("source: the defaults are no jail"))
		}
		o.Source = source.j
	}
	var err error
	if defaults != nil {
		if !defaults.j.Default {
			return fail(b, fmt.Errorf("defaults: %s is a jail, not the defaults", defaults.j.UUID))
		}
		o.Defaults = defaults.j
		o.Pool = strings.TrimSuffix(defaults.j.Dataset, "/iocage/.defaults")
	} else {
		if o.Pool, err = activePoolOf(t, h); err != nil {
			return fail(b, err)
		}
		if o.Defaults, err = Defaults(ctx, h, o.Pool); err != nil {
			return fail(b, err)
		}
	}
	if jl != nil {
		if o.Jails, err = unpackJails(jl); err != nil {
			return fail(b, err)
		}
	} else if o.Jails, err = claimsOf(t, h, o.Pool); err != nil {
		return fail(b, err)
	}
	s, err := NewSpec(cli, o)
	if err != nil {
		return fail(b, err)
	}
	addClaim(t, s)
	return NewSpecValue(s), nil
}

func snapshotTree(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var snap string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "snapshot", &snap); err != nil {
		return nil, err
	}
	if err := makeDataset(thread.UndoOf(t), snap, func() error { return zfs.Snapshot(ctxOf(t), h, snap, true) }); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func receiveCopy(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var snap string
	var sv starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "snapshot", &snap, "spec", &sv); err != nil {
		return nil, err
	}
	s, err := specArg(sv)
	if err != nil {
		return fail(b, err)
	}
	// Kept when it fails: a receive that fails half-way may leave a
	// partial dataset behind.
	if err := makeDatasetKeep(thread.UndoOf(t), s.Dataset, func() error {
		return zfs.Transfer(ctxOf(t), h, snap, s.Dataset, zfs.SendOptions{Replicate: true}, zfs.ReceiveOptions{})
	}); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func dropSnapshots(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	if err := DropSnapshots(ctxOf(t), h, name); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

// DropSnapshots destroys the snapshot name (recursively), or every
// clone-free snapshot of the dataset name and its descendants: one listing,
// then one destroy of a comma list per file system that has any.
func DropSnapshots(ctx context.Context, h *runtime.Host, name string) error {
	if strings.Contains(name, "@") {
		err := zfs.Destroy(ctx, h, name, zfs.DestroyOptions{Recursive: true})
		if errors.Is(err, runtime.ErrNotExist) {
			return nil
		}
		return err
	}
	ds, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{name}, Recursive: true, Types: []string{"snapshot"}, Props: []string{"clones"}})
	if err != nil {
		return err
	}
	byFS := map[string][]string{}
	var fss []string
	for _, d := range ds {
		if c, _ := d.Value("clones"); c != "" {
			continue
		}
		fs, snap, ok := strings.Cut(d.Name, "@")
		if !ok {
			continue
		}
		if byFS[fs] == nil {
			fss = append(fss, fs)
		}
		byFS[fs] = append(byFS[fs], snap)
	}
	sort.Strings(fss)
	for _, fs := range fss {
		if err := zfs.Destroy(ctx, h, fs+"@"+strings.Join(byFS[fs], ","), zfs.DestroyOptions{}); err != nil && !errors.Is(err, runtime.ErrNotExist) {
			return err
		}
	}
	return nil
}

func setProperties(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := specOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	if err := zfs.Set(ctxOf(t), h, s.Dataset, s.ZFSProps()); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func createFS(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var props *starlark.Dict
	parents := true
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "properties?", &props, "parents?", &parents); err != nil {
		return nil, err
	}
	pm, err := createStringMap(props)
	if err != nil {
		return fail(b, err)
	}
	if err := makeDataset(thread.UndoOf(t), name, func() error { return zfs.Create(ctxOf(t), h, name, parents, pm) }); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func createStringMap(d *starlark.Dict) (map[string]string, error) {
	out := map[string]string{}
	if d == nil {
		return out, nil
	}
	for _, it := range d.Items() {
		k, ok1 := starlark.AsString(it[0])
		v, ok2 := starlark.AsString(it[1])
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("properties: want a dict of strings, got %s: %s", it[0].Type(), it[1].Type())
		}
		out[k] = v
	}
	return out, nil
}

func cloneTree(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var source, snap string
	var sv starlark.Value
	var props *starlark.Dict
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "source", &source, "snap", &snap, "spec", &sv, "properties?", &props); err != nil {
		return nil, err
	}
	s, err := specArg(sv)
	if err != nil {
		return fail(b, err)
	}
	pm := s.ZFSProps()
	if props != nil {
		if pm, err = createStringMap(props); err != nil {
			return fail(b, err)
		}
	}
	made, err := CloneTree(ctxOf(t), h, source, snap, s.Dataset, pm, thread.UndoOf(t))
	if err != nil {
		return fail(b, err)
	}
	return strings2list(made), nil
}

// CloneTree clones source@snap and each descendant having @snap to the
// same place under target, each undone on u with `zfs destroy -r`.
// Descendants without the snapshot were made after it, so the snapshot's
// state has none: they are skipped, where the shell iocage failed half-way.
func CloneTree(ctx context.Context, h *runtime.Host, source, snap, target string, props map[string]string, u *thread.Undo) ([]string, error) {
	ds, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{source}, Recursive: true, Types: []string{"filesystem", "snapshot"}})
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	var fss []string
	for _, d := range ds {
		if fs, sn, ok := strings.Cut(d.Name, "@"); ok {
			if sn == snap {
				have[fs] = true
			}
			continue
		}
		fss = append(fss, d.Name)
	}
	if !have[source] {
		return nil, fmt.Errorf("snapshot %s@%s: %w", source, snap, runtime.ErrNotExist)
	}
	sort.Strings(fss)
	top := map[string]string{}
	child := map[string]string{}
	for k, v := range props {
		top[k] = v
		if k != "mountpoint" {
			child[k] = v
		}
	}
	var out []string
	for _, fs := range fss {
		if !have[fs] {
			continue
		}
		rel := strings.TrimPrefix(fs, source)
		dst := target + rel
		opts := child
		switch rel {
		case "":
			opts = top
		case "/data":
			opts = map[string]string{"mountpoint": "none", "jailed": "on"}
		}
		if err := makeDataset(u, dst, func() error { return zfs.Clone(ctx, h, fs+"@"+snap, dst, false, opts) }); err != nil {
			return out, err
		}
		out = append(out, dst)
	}
	return out, nil
}

func cloneBase(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := specOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	base := BaseDS(s.Pool, BaseName(s.Props))
	for _, fs := range BaseFilesystems {
		dst := s.Dataset + "/root/" + fs
		err := makeDataset(thread.UndoOf(t), dst, func() error {
			return zfs.Clone(ctxOf(t), h, base+"/"+fs+"@"+s.UUID, dst, false, map[string]string{"compression": "lz4", "readonly": "on"})
		})
		if err != nil {
			return fail(b, err)
		}
	}
	return starlark.None, nil
}

func copyBaseFiles(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := specOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	name := BaseName(s.Props)
	src := Root + "/base/" + name + "/root"
	cloned := map[string]bool{"usr": true}
	for _, fs := range BaseFilesystems {
		cloned[fs] = true
	}
	for _, dir := range []string{"", "usr"} {
		from, to := path.Join(src, dir), path.Join(s.Root(), dir)
		ents, err := h.ReadDir(from)
		if err != nil {
			if name != s.Release {
				return fail(b, fmt.Errorf("base of template %s: %w (`iocage update` of the template makes it again)", name, err))
			}
			return fail(b, fmt.Errorf("base of release %s: %w (fetch the release again to make it)", s.Release, err))
		}
		var cpArgs []string
		for _, e := range ents {
			rel := path.Join(dir, e.Name())
			if cloned[rel] || e.Name() == ".zfs" {
				continue
			}
			cpArgs = append(cpArgs, from+"/"+e.Name())
		}
		if len(cpArgs) == 0 {
			continue
		}
		// cp(1) follows a destination that is a symlink; the root is
		// fresh here, but were usr/ a link the copy would land on the host.
		if fi, err := h.InRoot(s.Root()).Lstat(dir); err != nil || !fi.IsDir() {
			if err == nil {
				err = fmt.Errorf("%s is not a directory (a symlink is refused)", to)
			}
			return fail(b, err)
		}
		cpArgs = append(append([]string{"-a"}, cpArgs...), to+"/")
		if err := h.Change(ctxOf(t), runtime.Cp, cpArgs...); err != nil {
			return fail(b, err)
		}
	}
	return starlark.None, nil
}

func createData(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := specOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	name := DataDataset(s.Props["jail_zfs_dataset"], s.Pool)
	if err := EnsureDataDataset(ctxOf(t), h, name, thread.UndoOf(t)); err != nil {
		return fail(b, err)
	}
	return starlark.String(name), nil
}

// EnsureDataDataset makes a jail's delegated dataset name as create does
// (`zfs create -p`, lz4, jailed=on, mountpoint=none) unless it exists.
// Undone with `zfs destroy -r`.
func EnsureDataDataset(ctx context.Context, h *runtime.Host, name string, u *thread.Undo) error {
	ok, err := zfs.Exists(ctx, h, name)
	if err != nil || ok {
		return err
	}
	return makeDataset(u, name, func() error {
		return zfs.Create(ctx, h, name, true, map[string]string{"compression": "lz4", "jailed": "on", "mountpoint": "none"})
	})
}

func linkTag(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := specOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	link, err := TagLink(h, s.Tag)
	if err != nil {
		return fail(b, err)
	}
	old, err := h.Readlink(link)
	replaced := err == nil
	desc := "rm " + link
	if replaced {
		desc += "; ln -s " + old + " " + link
	}
	// One step for both changes, kept when the second fails: the link
	// replaced comes back then too.
	err = thread.UndoOf(t).DoKeep(desc, tagLinkStep(link, s.Mountpoint, old), func() error {
		if replaced {
			if err := h.Remove(link); err != nil {
				return err
			}
		}
		return h.Symlink(s.Mountpoint, link)
	})
	if err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func createRemoveIfExists(h *runtime.Host, p string) error {
	if _, err := h.Lstat(p); errors.Is(err, runtime.ErrNotExist) {
		return nil
	}
	return h.Remove(p)
}

// createWriteUndoable writes a host file, undone by restoring what was
// there (its old contents, or nothing).
func createWriteUndoable(t *starlark.Thread, h *runtime.Host, p string, data []byte, perm fs.FileMode) error {
	old, rerr := h.ReadFile(p)
	if rerr != nil && !errors.Is(rerr, runtime.ErrNotExist) {
		return rerr
	}
	desc := "restore " + p
	if rerr != nil {
		desc = "rm " + p
	}
	return thread.UndoOf(t).Do(desc, fileRestoreStep(p, old, rerr == nil, perm), func() error { return h.WriteFile(p, data, perm) })
}

// FstabTemplate is the fstab a new jail gets: comments only.
const FstabTemplate = `# fstab(5) of this jail, mounted when it starts and unmounted when it stops.
#
# %jailroot% stands for the jail's root directory on the host; iocage
# replaces it when the jail starts, so the lines survive a mountpoint change
# (hack88). Mount points must lie inside the jail's root.
#
# Examples (nullfs mounts of host directories into the jail):
# /usr/ports          %jailroot%/usr/ports     nullfs  ro  0  0
# /data/www           %jailroot%/usr/local/www nullfs  rw  0  0
#
# Device            Mountpoint               FStype  Options  Dump  Pass#
`

func writeFstabTemplate(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sv starlark.Value
	var keep bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "spec", &sv, "keep_old?", &keep); err != nil {
		return nil, err
	}
	s, err := specArg(sv)
	if err != nil {
		return fail(b, err)
	}
	p := s.Mountpoint + "/fstab"
	if _, err := h.Lstat(p); err == nil {
		if keep {
			return starlark.None, nil
		}
		backup := p + "." + s.UUID
		if err := thread.UndoOf(t).Do("mv "+backup+" "+p, fileRenameStep(backup, p), func() error { return h.Rename(p, backup) }); err != nil {
			return fail(b, err)
		}
	}
	if err := createWriteUndoable(t, h, p, []byte(FstabTemplate), 0o644); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

// RcConf is the rc.conf of a new jail (lifecycle.md §2.2 with the
// hostname fixed and $cron_flags kept literal, so the jail extends its
// own value).
func RcConf(hostname string) string {
	return `hostname="` + hostname + `"

# cron: wait up to 15 s before running jobs, so jails do not all run at once
cron_flags="$cron_flags -J 15"

# no sendmail daemons in jails
sendmail_enable="NONE"
sendmail_submit_enable="NO"
sendmail_outbound_enable="NO"
sendmail_msp_queue_enable="NO"

# syslogd: no network socket
syslogd_flags="-c -ss"

# IPv6: configure every interface
ipv6_activate_all_interfaces="YES"
`
}

func writeRcConf(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := specOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	r := h.InRoot(s.Root())
	if err := createRefuseSymlink(r, "etc"); err != nil {
		return fail(b, err)
	}
	if err := createRefuseSymlink(r, "etc/rc.conf"); err != nil {
		return fail(b, err)
	}
	if err := rootWriteUndoable(t, r, "etc/rc.conf", []byte(RcConf(s.Props["host_hostname"])), 0o644); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

// createRefuseSymlink refuses to write through a link inside a jail's root: the
// link is the jail's to set and could point anywhere on the host.
func createRefuseSymlink(r *runtime.RootDir, rel string) error {
	fi, err := r.Lstat(rel)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link; refusing to write through it", r.Path(rel))
	}
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	return nil
}

// rootWriteUndoable is createWriteUndoable inside a jail's root: every
// read and write resolves rel without leaving it.
func rootWriteUndoable(t *starlark.Thread, r *runtime.RootDir, rel string, data []byte, perm fs.FileMode) error {
	old, rerr := r.ReadFile(rel)
	if rerr != nil && !errors.Is(rerr, runtime.ErrNotExist) {
		return rerr
	}
	p := r.Path(rel)
	desc := "restore " + p
	if rerr != nil {
		desc = "rm " + p
	}
	return thread.UndoOf(t).Do(desc, rootFileRestoreStep(r.Path(""), rel, old, rerr == nil, perm), func() error { return r.WriteFile(rel, data, perm) })
}

var uuidInText = regexp.MustCompile(`\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b`)

// RewriteUUIDs replaces every whole UUID in text by uuid.
func RewriteUUIDs(text, uuid string) (string, int) {
	n := 0
	out := uuidInText.ReplaceAllStringFunc(text, func(string) string { n++; return uuid })
	return out, n
}

func rewriteUUIDs(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := specOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	// A clone's or an import's rc.conf is the jail's: read and rewritten
	// inside its root only.
	r := h.InRoot(s.Root())
	const rel = "etc/rc.conf"
	if err := createRefuseSymlink(r, rel); err != nil {
		return fail(b, err)
	}
	old, err := r.ReadFile(rel)
	if errors.Is(err, runtime.ErrNotExist) {
		return starlark.MakeInt(0), nil
	}
	if err != nil {
		return fail(b, err)
	}
	text, n := RewriteUUIDs(string(old), s.UUID)
	if n == 0 || text == string(old) {
		return starlark.MakeInt(n), nil
	}
	if err := rootWriteUndoable(t, r, rel, []byte(text), 0o644); err != nil {
		return fail(b, err)
	}
	return starlark.MakeInt(n), nil
}
