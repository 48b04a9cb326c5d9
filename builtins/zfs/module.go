// Package zfs is the Starlark module `zfs` and the Go operations behind
// it: reading datasets (many properties of many datasets in one zfs
// process), and creating, snapshotting, cloning, promoting, rolling back,
// destroying, renaming, setting, sending and receiving them. Operations
// go-zfs has run through go-zfs (Host.GoZFS); the ones it lacks or gets
// unstable (create -p, sorted -o options, send -R, receive -F, list -o of
// many properties) build their argv here and run through Host.Run. Every
// zfs error keeps zfs's own message; "does not exist" wraps
// runtime.ErrNotExist.
//
// Every changing builtin but rollback and destroy records how to take its
// change back on the run's undo log (undo.go), so a recipe that fails
// after them leaves the datasets as they were; rollback and destroy are
// final.
//
// Starlark signatures:
//
//	zfs.exists(name) -> bool
//	zfs.get(name, props=[]) -> zfs.dataset
//	zfs.list(name="", recursive=False, depth=0, type="", props=[]) -> [zfs.dataset]
//	zfs.create(name, parents=False, properties={})
//	zfs.snapshot(name, recursive=False)
//	zfs.clone(snapshot, name, parents=False, properties={})
//	zfs.promote(name)
//	zfs.rollback(snapshot, destroy_recent=False)
//	zfs.destroy(name, recursive=False, clones=False, force=False)
//	zfs.rename(name, new_name, parents=False, recursive=False)
//	zfs.set(name, properties={}, **props)
//	zfs.inherit(name, property, recursive=False)
//	zfs.send(snapshot, file, base="", intermediates=False, replicate=False)
//	zfs.receive(name, file, force=False, no_mount=False)
//	zfs.transfer(snapshot, target, base="", intermediates=False, replicate=False, force=False, no_mount=False)
//	zfs.mount(name)
//	zfs.unmount(name, force=False)
//	zfs.human(bytes) -> str
package zfs

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// Docs documents the module and every builtin; the first line of each is
// its signature.
var Docs = map[string]string{
	"zfs":          "zfs: ZFS datasets of the host.\n\nReads return zfs.dataset values; changes return None. Errors carry zfs's own message.",
	"zfs.exists":   "zfs.exists(name) -> bool\n\nReports whether the dataset, volume or snapshot exists (one `zfs list`).\nFails only when zfs itself fails for another reason.",
	"zfs.get":      "zfs.get(name, props=[]) -> zfs.dataset\n\nReads one dataset with its base properties and the extra properties\nnamed in props (user properties welcome), in one `zfs list -H -p`.\nFails when the dataset does not exist.",
	"zfs.list":     "zfs.list(name=\"\", recursive=False, depth=0, type=\"\", props=[]) -> list of zfs.dataset\n\nLists name (every pool when empty), its descendants when recursive,\nat most depth levels below it when depth > 0, of the comma separated\ntypes (filesystem, snapshot, volume, all), with the extra properties in\nprops. One zfs process whatever the number of datasets and properties.\nFails when name does not exist.",
	"zfs.create":   "zfs.create(name, parents=False, properties={})\n\nCreates a filesystem (`zfs create [-p] -o k=v... name`, options sorted),\nwith its missing parents when parents is True. Fails when it exists or\nthe parent is missing. Undone with `zfs destroy -r` of name (or of the\noutermost parent it made).",
	"zfs.snapshot": "zfs.snapshot(name, recursive=False)\n\nTakes snapshot FS@SNAP, of every descendant too (atomically) when\nrecursive. Fails when the snapshot exists. Undone with `zfs destroy [-r]`.",
	"zfs.clone":    "zfs.clone(snapshot, name, parents=False, properties={})\n\nCreates filesystem name from snapshot, with properties set on it.\nUndone with `zfs destroy -r` (of the outermost parent made, with parents).",
	"zfs.promote":  "zfs.promote(name)\n\nMakes clone name independent of its origin: the origin's snapshots up to\nthe clone point move to it. Fails when name is not a clone. Undone by promoting the former origin\nback (one `zfs get origin` first).",
	"zfs.rollback": "zfs.rollback(snapshot, destroy_recent=False)\n\nReturns the filesystem to snapshot, discarding later changes. zfs refuses\nwhen later snapshots exist unless destroy_recent, which destroys them. Final: a run that fails\nlater does not bring back what it discarded.",
	"zfs.destroy":  "zfs.destroy(name, recursive=False, clones=False, force=False)\n\nDestroys a dataset or snapshot; recursive: its children and snapshots too;\nclones: also every clone depending on it (zfs destroy -R); force:\nunmount busy file systems. Without clones, a dataset whose snapshots\nhave clones is refused with an error naming them. Final: a run that\nfails later does not bring it back.",
	"zfs.rename":   "zfs.rename(name, new_name, parents=False, recursive=False)\n\nRenames a dataset (parents: create missing parents of new_name) or a\nsnapshot (recursive: the same snapshot of every descendant); not both, as\nzfs rename refuses -p with -r. Undone by renaming back.",
	"zfs.set":      "zfs.set(name, properties={}, **props)\n\nSets properties (user properties as \"org.x:y\" keys of the dict) in one\nzfs process. Fails on an unknown native property or bad value. Undone with the\nvalues and sources read just before (one `zfs get`): local ones set\nback in one `zfs set`, the others inherited again.",
	"zfs.inherit":  "zfs.inherit(name, property, recursive=False)\n\nClears a local property so the inherited value applies again (a user\nproperty with no inherited value becomes unset). Undone by setting\nthe local value read just before back on name.",
	"zfs.send":     "zfs.send(snapshot, file, base=\"\", intermediates=False, replicate=False)\n\nWrites a send stream of snapshot to the host file (replaced): full, or\nincremental from base (\"@snap\" or a full name; intermediates: with the\nsnapshots in between), or with replicate the whole tree with properties\nand snapshots (zfs send -R). Streamed, never held in memory.",
	"zfs.receive":  "zfs.receive(name, file, force=False, no_mount=False)\n\nApplies the send stream in the host file to name; force rolls the target\nback first (zfs receive -F); no_mount leaves it unmounted. Undone by destroying a\nnew target, or rolling an existing one back to its newest snapshot from\nbefore (one `zfs list -r` of the target first).",
	"zfs.transfer": "zfs.transfer(snapshot, target, base=\"\", intermediates=False, replicate=False, force=False, no_mount=False)\n\nPipes zfs send of snapshot straight into zfs receive of target: two\nprocesses, nothing written to disk. Options as zfs.send and zfs.receive.\nIf either side fails, both are stopped and the error names the side.\nUndone like zfs.receive.",
	"zfs.mount":    "zfs.mount(name)\n\nMounts a filesystem at its mountpoint. Fails when already mounted.",
	"zfs.unmount":  "zfs.unmount(name, force=False)\n\nUnmounts a filesystem; force even when busy.",
	"zfs.human":    "zfs.human(bytes)\n\nReturns bytes as zfs prints sizes (1.5K, 20.3M, 2G). No host work; fails on a negative number.",
}

// NewModule returns the zfs module driving h.
func NewModule(h *runtime.Host) *starlarkstruct.Module {
	m := &module{h: h}
	fns := map[string]thread.Func{
		"exists": m.exists, "get": m.get, "list": m.list, "create": m.create, "snapshot": m.snapshot,
		"clone": m.clone, "promote": m.promote, "rollback": m.rollback, "destroy": m.destroy,
		"rename": m.rename, "set": m.set, "inherit": m.inherit, "send": m.send, "receive": m.receive,
		"transfer": m.transfer, "mount": m.mount, "unmount": m.unmount, "human": human,
	}
	return thread.Module("zfs", fns)
}

type module struct{ h *runtime.Host }

func (m *module) host(t *starlark.Thread) *runtime.Host { return thread.HostOr(m.h, t) }

func ctxOf(t *starlark.Thread) context.Context { return thread.Context(t) }

func fail(b *starlark.Builtin, err error) (starlark.Value, error) {
	return nil, fmt.Errorf("%s: %w", b.Name(), err)
}

func (m *module) exists(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	ok, err := Exists(ctxOf(t), m.host(t), name)
	if err != nil {
		return fail(b, err)
	}
	return starlark.Bool(ok), nil
}

func (m *module) get(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var props *starlark.List
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "props?", &props); err != nil {
		return nil, err
	}
	ps, err := stringList(props)
	if err != nil {
		return fail(b, err)
	}
	d, err := Get(ctxOf(t), m.host(t), name, ps...)
	if err != nil {
		return fail(b, err)
	}
	return d, nil
}

func (m *module) list(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, typ string
	var recursive bool
	var depth int
	var props *starlark.List
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name?", &name, "recursive?", &recursive, "depth?", &depth, "type?", &typ, "props?", &props); err != nil {
		return nil, err
	}
	ps, err := stringList(props)
	if err != nil {
		return fail(b, err)
	}
	o := ListOptions{Recursive: recursive, Depth: depth, Props: ps}
	if name != "" {
		o.Roots = []string{name}
	}
	if typ != "" {
		o.Types = strings.Split(typ, ",")
	}
	ds, err := List(ctxOf(t), m.host(t), o)
	if err != nil {
		return fail(b, err)
	}
	out := make([]starlark.Value, len(ds))
	for i, d := range ds {
		out[i] = d
	}
	return starlark.NewList(out), nil
}

func (m *module) create(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var parents bool
	var props *starlark.Dict
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "parents?", &parents, "properties?", &props); err != nil {
		return nil, err
	}
	pm, err := stringDict(props)
	if err != nil {
		return fail(b, err)
	}
	h := m.host(t)
	made, err := m.willMake(t, name, parents)
	if err != nil {
		return fail(b, err)
	}
	if err := thread.UndoOf(t).Do(DestroyDesc(made, true), DestroyStep(made, true, true), func() error {
		return Create(ctxOf(t), h, name, parents, pm)
	}); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

// willMake returns the topmost dataset a create or clone of name makes:
// name itself, or with parents its outermost missing ancestor (one zfs
// list per missing level, read only when parents is asked for).
func (m *module) willMake(t *starlark.Thread, name string, parents bool) (string, error) {
	if !parents {
		return name, nil
	}
	missing, err := missingAncestors(ctxOf(t), m.host(t), name)
	if err != nil || len(missing) == 0 {
		return name, err
	}
	return missing[0], nil
}

func (m *module) snapshot(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var recursive bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "recursive?", &recursive); err != nil {
		return nil, err
	}
	h := m.host(t)
	if err := thread.UndoOf(t).Do(DestroyDesc(name, recursive), DestroyStep(name, recursive, true), func() error {
		return Snapshot(ctxOf(t), h, name, recursive)
	}); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) clone(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var snap, name string
	var parents bool
	var props *starlark.Dict
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "snapshot", &snap, "name", &name, "parents?", &parents, "properties?", &props); err != nil {
		return nil, err
	}
	pm, err := stringDict(props)
	if err != nil {
		return fail(b, err)
	}
	h := m.host(t)
	made, err := m.willMake(t, name, parents)
	if err != nil {
		return fail(b, err)
	}
	if err := thread.UndoOf(t).Do(DestroyDesc(made, true), DestroyStep(made, true, true), func() error {
		return Clone(ctxOf(t), h, snap, name, parents, pm)
	}); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) promote(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	h := m.host(t)
	origin, err := promoteOrigin(ctxOf(t), h, name)
	if err != nil {
		return fail(b, err)
	}
	if err := thread.UndoOf(t).Do("zfs promote "+origin, PromoteStep(origin), func() error { return Promote(ctxOf(t), h, name) }); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) rollback(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var snap string
	var recent bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "snapshot", &snap, "destroy_recent?", &recent); err != nil {
		return nil, err
	}
	if err := Rollback(ctxOf(t), m.host(t), snap, recent); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) destroy(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var o DestroyOptions
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "recursive?", &o.Recursive, "clones?", &o.Clones, "force?", &o.Force); err != nil {
		return nil, err
	}
	if err := Destroy(ctxOf(t), m.host(t), name, o); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) rename(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, to string
	var parents, recursive bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "new_name", &to, "parents?", &parents, "recursive?", &recursive); err != nil {
		return nil, err
	}
	if parents && recursive {
		return fail(b, fmt.Errorf("parents=True and recursive=True cannot be combined: zfs rename refuses -p with -r (parents is for a dataset, recursive for a snapshot)"))
	}
	h := m.host(t)
	// Parents made with parents=True stay; the dataset (or, recursive,
	// the snapshot of every descendant) goes back to its name.
	if err := thread.UndoOf(t).Do("zfs rename "+to+" "+name, RenameStep(name, to, recursive), func() error {
		return Rename(ctxOf(t), h, name, to, parents, recursive)
	}); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) set(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var props *starlark.Dict
	// Keyword arguments beyond name/properties are properties themselves.
	var rest []starlark.Tuple
	var known []starlark.Tuple
	for _, kv := range kwargs {
		k := string(kv[0].(starlark.String))
		if k == "name" || k == "properties" {
			known = append(known, kv)
		} else {
			rest = append(rest, kv)
		}
	}
	if err := starlark.UnpackArgs(b.Name(), args, known, "name", &name, "properties?", &props); err != nil {
		return nil, err
	}
	pm, err := stringDict(props)
	if err != nil {
		return fail(b, err)
	}
	for _, kv := range rest {
		s, ok := starlark.AsString(kv[1])
		if !ok {
			return fail(b, fmt.Errorf("property %s: got %s, want string", kv[0], kv[1].Type()))
		}
		pm[string(kv[0].(starlark.String))] = s
	}
	h := m.host(t)
	if len(pm) == 0 {
		return fail(b, fmt.Errorf("no property to set on %s", name))
	}
	keys := make([]string, 0, len(pm))
	for k := range pm {
		keys = append(keys, k)
	}
	prev, err := Sources(ctxOf(t), h, name, keys...)
	if err != nil {
		return fail(b, err)
	}
	if err := thread.UndoOf(t).Do("restore "+strings.Join(sortedKeys(prev), ",")+" of "+name, RestoreStep(name, prev), func() error {
		return Set(ctxOf(t), h, name, pm)
	}); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) inherit(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, prop string
	var recursive bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "property", &prop, "recursive?", &recursive); err != nil {
		return nil, err
	}
	h := m.host(t)
	prev, err := Sources(ctxOf(t), h, name, prop)
	if err != nil {
		return fail(b, err)
	}
	inherit := func() error { return Inherit(ctxOf(t), h, name, prop, recursive) }
	if !prev[prop].Local() {
		err = inherit()
	} else {
		// Only the dataset's own value comes back; with recursive, the
		// local values of descendants that were cleared too are not.
		err = thread.UndoOf(t).Do("restore "+prop+" of "+name, RestoreStep(name, prev), inherit)
	}
	if err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) send(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var snap, file string
	var o SendOptions
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "snapshot", &snap, "file", &file, "base?", &o.Base, "intermediates?", &o.Intermediates, "replicate?", &o.Replicate); err != nil {
		return nil, err
	}
	h := m.host(t)
	if _, err := SendArgs(snap, o); err != nil {
		return fail(b, err)
	}
	f, err := h.Create(file, 0o600)
	if err != nil {
		return fail(b, err)
	}
	err = Send(ctxOf(t), h, snap, o, f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%s: %w", file, cerr)
	}
	if err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) receive(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, file string
	var o ReceiveOptions
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "file", &file, "force?", &o.Force, "no_mount?", &o.NoMount); err != nil {
		return nil, err
	}
	h := m.host(t)
	f, err := h.Open(file)
	if err != nil {
		return fail(b, err)
	}
	defer f.Close()
	undo, err := receiveUndo(ctxOf(t), h, name)
	if err != nil {
		return fail(b, err)
	}
	if err := thread.UndoOf(t).Do("take back zfs receive "+name, undo, func() error { return Receive(ctxOf(t), h, name, o, f) }); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) transfer(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var snap, target string
	var so SendOptions
	var ro ReceiveOptions
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "snapshot", &snap, "target", &target, "base?", &so.Base,
		"intermediates?", &so.Intermediates, "replicate?", &so.Replicate, "force?", &ro.Force, "no_mount?", &ro.NoMount); err != nil {
		return nil, err
	}
	h := m.host(t)
	undo, err := receiveUndo(ctxOf(t), h, target)
	if err != nil {
		return fail(b, err)
	}
	if err := thread.UndoOf(t).Do("take back zfs receive "+target, undo, func() error { return Transfer(ctxOf(t), h, snap, target, so, ro) }); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) mount(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	if err := Mount(ctxOf(t), m.host(t), name); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) unmount(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var force bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "force?", &force); err != nil {
		return nil, err
	}
	if err := Unmount(ctxOf(t), m.host(t), name, force); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func human(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var n uint64
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "bytes", &n); err != nil {
		return nil, err
	}
	return starlark.String(HumanSize(n)), nil
}

func stringList(l *starlark.List) ([]string, error) {
	if l == nil {
		return nil, nil
	}
	out := make([]string, 0, l.Len())
	for i := 0; i < l.Len(); i++ {
		s, ok := starlark.AsString(l.Index(i))
		if !ok {
			return nil, fmt.Errorf("props[%d]: got %s, want string", i, l.Index(i).Type())
		}
		out = append(out, s)
	}
	return out, nil
}

func stringDict(d *starlark.Dict) (map[string]string, error) {
	out := map[string]string{}
	if d == nil {
		return out, nil
	}
	for _, it := range d.Items() {
		k, ok := starlark.AsString(it[0])
		if !ok {
			return nil, fmt.Errorf("property name %s: want string", it[0])
		}
		v, ok := starlark.AsString(it[1])
		if !ok {
			return nil, fmt.Errorf("property %s: got %s, want string", k, it[1].Type())
		}
		out[k] = v
	}
	return out, nil
}

// The dataset value. Attributes are data read by the list that made it.

var _ starlark.HasAttrs = (*Dataset)(nil)

// String implements starlark.Value.
func (d *Dataset) String() string { return fmt.Sprintf("zfs.dataset(%q)", d.Name) }

// Type implements starlark.Value.
func (d *Dataset) Type() string { return "zfs.dataset" }

// Freeze implements starlark.Value; a dataset is immutable.
func (d *Dataset) Freeze() {}

// Truth implements starlark.Value.
func (d *Dataset) Truth() starlark.Bool { return true }

// Hash implements starlark.Value.
func (d *Dataset) Hash() (uint32, error) { return starlark.String(d.Name).Hash() }

var numeric = map[string]bool{"used": true, "available": true, "referenced": true, "quota": true, "reservation": true, "creation": true}

// AttrNames implements starlark.HasAttrs.
func (d *Dataset) AttrNames() []string {
	names := append([]string{"properties"}, BaseColumns...)
	sort.Strings(names)
	return names
}

// Attr implements starlark.HasAttrs: the base columns (sizes and creation
// as ints, "-" as None) and properties, a dict of the extra columns read
// (unset user properties left out).
func (d *Dataset) Attr(name string) (starlark.Value, error) {
	if name == "properties" {
		dict := starlark.NewDict(len(d.Props))
		keys := make([]string, 0, len(d.Props))
		for k := range d.Props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if isBase(k) {
				continue
			}
			if v, ok := d.Value(k); ok {
				_ = dict.SetKey(starlark.String(k), starlark.String(v))
			}
		}
		dict.Freeze()
		return dict, nil
	}
	if !isBase(name) {
		return nil, nil
	}
	v, ok := d.Value(name)
	if !ok {
		return starlark.None, nil
	}
	if numeric[name] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("zfs.dataset %s: %s = %q is not a number (zfs list -p)", d.Name, name, v)
		}
		return starlark.MakeUint64(n), nil
	}
	return starlark.String(v), nil
}

func isBase(name string) bool {
	for _, c := range BaseColumns {
		if c == name {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
