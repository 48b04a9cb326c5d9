package jail

// The builtins of export and import (lifecycle.md §14's recommendation:
// a jail travels as a `zfs send -R` stream, its properties inside) and of
// the basejail upgrade (§12 fixed: a basejail moves to another release's
// base). Each is one host step and journals its inverse on the run's undo
// log before it (create_undo.go), so an import or upgrade that fails leaves nothing behind.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"golang.org/x/term"

	"github.com/iocage/iocage/builtins/progress"
	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

func init() {
	register("rebase", "jail.rebase(j, release) -> jail.jail\n\n"+
		"Moves the basejail j to release's base: its 15 base clones are destroyed,\n"+
		"POOL/iocage/base/REL/root@UUID is taken (recursively) and every base\n"+
		"filesystem cloned from it (readonly=on, compression=lz4), then\n"+
		"org.freebsd.iocage:release=REL is set. The old release's @UUID snapshot\n"+
		"stays (the undo clones from it; drop it once the run committed). Returns\n"+
		"j as it is now. Undone completely: the old clones and release come back.", stRebase)
	register("send_stream", "jail.send_stream(snapshot, file, force=False) -> int\n\n"+
		"Writes `zfs send -R SNAPSHOT` (the tree with its properties and\n"+
		"snapshots) to the host file (written as FILE.part, renamed when\n"+
		"complete; its directory is made when missing), or to standard output\n"+
		"for \"-\" (refused on a terminal). An existing file is refused unless\n"+
		"force. Returns the bytes written. Undone by removing the file.", stSendStream)
	register("receive_jail", "jail.receive_jail(file, pool=\"\") -> struct(dataset, uuid, new_uuid, format, release, userland, origin)\n\n"+
		"Receives an export from the host file (\"-\": standard input, refused\n"+
		"on a terminal). A differential package (a tar stream, told by its first\n"+
		"bytes) is made as jail.receive_package makes it (format \"package\");\n"+
		"a ZFS stream (format \"zfs\", release, userland and origin \"\") is received\n"+
		"unmounted (`zfs receive -u`) as POOL/iocage/jails/UUID,\n"+
		"UUID being the jail's, read from the stream's first record, or a fresh\n"+
		"one (new_uuid) when a dataset has that name. Fails on a stream that is\n"+
		"not of an iocage jail. Undone with `zfs destroy -r`, also when the stream\n"+
		"breaks off half-way.", stReceiveJail)
	register("inspect_import", "jail.inspect_import(dataset) -> struct(jail, snapshot)\n\n"+
		"Reads the jail received at dataset (one zfs list): jail is it as a\n"+
		"jail.jail whose uuid is its host_hostuuid property, snapshot the newest\n"+
		"export-* snapshot of it (\"\" when none). Fails when dataset holds no\n"+
		"iocage jail.", stInspectImport)
	register("import_spec", "jail.import_spec(received, uuid, props={}, jails=None, keep_hooks=False) -> jail.spec\n\n"+
		"Resolves the identity of the jail received (jail.inspect_import) under\n"+
		"uuid, reading only /etc/hostid, the defaults (unless keep_hooks) and\n"+
		"the jails' claims (jail.claims) when jails is None (call it inside\n"+
		"jail.locked). When uuid is\n"+
		"not the jail's own, host_hostname (when it was the UUID) and\n"+
		"jail_zfs_dataset follow it, and the MACs and addresses, which belong to\n"+
		"the other jail, are cleared. Unless keep_hooks, every host-facing value\n"+
		"(hooks, jail_zfs, jail_zfs_dataset, devfs_ruleset, enforce_statfs,\n"+
		"securelevel, children_max, allow_*) that differs from what a new jail\n"+
		"here gets is replaced by that; spec.dropped holds the stream's values\n"+
		"replaced. Every value kept is checked as by jail.set; one that fails\n"+
		"fails the call, naming it. The tag gets a _N suffix when another jail\n"+
		"has it; hostid becomes this host's; then props apply (checked as by\n"+
		"jail.set). Tag and addresses must be unique among jails.", stImportSpec)
	register("write_import", "jail.write_import(spec, received) -> dict\n\n"+
		"Writes the properties of spec that differ from those the jail received\n"+
		"with the stream (received, from jail.inspect_import) in one `zfs set`;\n"+
		"nothing when none differ. Returns them. Undone with the dataset.", stWriteImport)
	register("mount_tree", "jail.mount_tree(spec) -> list of str\n\n"+
		"Gives spec.dataset the mountpoint spec.mountpoint when it has another\n"+
		"(one that came with a stream: `zfs inherit mountpoint` when the parent's\n"+
		"is right, else `zfs set`), then mounts it and its descendants that are unmounted, have a\n"+
		"mountpoint and canmount=on and are not jailed, parents first (one zfs\n"+
		"list, one `zfs mount` each). Returns what it mounted. Not undone by\n"+
		"itself: destroying the datasets unmounts them.", stMountTree)
}

// RebaseBasejail moves the basejail j from its release's base to rel's
// (see jail.rebase) and returns it as it is then.
func RebaseBasejail(ctx context.Context, h *runtime.Host, j *Jail, rel string, u *thread.Undo) (*Jail, error) {
	if j.Default || j.Props["type"] != "basejail" {
		return nil, fmt.Errorf("%s (%s) is not a basejail", j.UUID, j.Tag)
	}
	if !releaseNameOK(rel) {
		return nil, fmt.Errorf("release %q: want a name like 14.3-RELEASE", rel)
	}
	old := j.Props["release"]
	if old == "" || old == "-" {
		return nil, fmt.Errorf("basejail %s has no release property", j.UUID)
	}
	if old == rel {
		return nil, fmt.Errorf("basejail %s is of %s already", j.UUID, rel)
	}
	pool := poolOfJail(j)
	oldBase, newBase := BaseDS(pool, old), BaseDS(pool, rel)
	ok, err := zfs.Exists(ctx, h, newBase+"/bin")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("release %s has no basejail base (%s): `iocage fetch release=%s` makes it", rel, newBase, rel)
	}
	opts := map[string]string{"compression": "lz4", "readonly": "on"}
	// The undo clones the old base again: its snapshot must exist.
	oldSnap := oldBase + "@" + j.UUID
	if ok, err := zfs.Exists(ctx, h, oldSnap); err != nil {
		return nil, err
	} else if !ok {
		if err := u.Do("zfs destroy -r "+oldSnap, zfs.DestroyStep(oldSnap, true, false), func() error {
			return zfs.Snapshot(ctx, h, oldSnap, true)
		}); err != nil {
			return nil, err
		}
	}
	for _, fs := range BaseFilesystems {
		ds := j.Dataset + "/root/" + fs
		ok, err := zfs.Exists(ctx, h, ds)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		src := oldBase + "/" + fs + "@" + j.UUID
		if err := u.Do("zfs clone "+src+" "+ds, zfs.CloneStep(src, ds, opts), func() error {
			return zfs.Destroy(ctx, h, ds, zfs.DestroyOptions{Force: true})
		}); err != nil {
			return nil, err
		}
	}
	newSnap := newBase + "@" + j.UUID
	if ok, err := zfs.Exists(ctx, h, newSnap); err != nil {
		return nil, err
	} else if ok {
		// Named after this jail, so left by an earlier attempt; the
		// clones take the base as it is now.
		if err := u.Do("zfs snapshot -r "+newSnap, zfs.SnapshotStep(newSnap, true), func() error {
			return zfs.Destroy(ctx, h, newSnap, zfs.DestroyOptions{Recursive: true})
		}); err != nil {
			return nil, err
		}
	}
	if err := u.Do("zfs destroy -r "+newSnap, zfs.DestroyStep(newSnap, true, false), func() error {
		return zfs.Snapshot(ctx, h, newSnap, true)
	}); err != nil {
		return nil, err
	}
	for _, fs := range BaseFilesystems {
		ds := j.Dataset + "/root/" + fs
		if err := u.Do("zfs destroy "+ds, zfs.DestroyStep(ds, false, true), func() error {
			return zfs.Clone(ctx, h, newBase+"/"+fs+"@"+j.UUID, ds, false, opts)
		}); err != nil {
			return nil, err
		}
	}
	prop := jailprops.Prefix + "release"
	// Restored as a local value: one `zfs set PROP=OLD`.
	prev := map[string]zfs.PropSource{prop: {Value: old, Source: "local"}}
	if err := u.Do("zfs set "+prop+"="+old+" "+j.Dataset, zfs.RestoreStep(j.Dataset, prev), func() error {
		return zfs.Set(ctx, h, j.Dataset, map[string]string{prop: rel})
	}); err != nil {
		return nil, err
	}
	n := clone(j)
	n.Props["release"] = rel
	return n, nil
}

// releaseNameOK accepts what can be part of a dataset name as a release.
func releaseNameOK(rel string) bool {
	return rel != "" && !strings.ContainsAny(rel, "/@ \t\n") && !strings.HasPrefix(rel, "-") && rel != "." && rel != ".."
}

func stRebase(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var rel string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "release", &rel); err != nil {
		return nil, err
	}
	j, err := RebaseBasejail(thread.Context(t), h, v.j, rel, thread.UndoOf(t))
	if err != nil {
		return fail(b, err)
	}
	return NewValue(j), nil
}

// countWriter counts what passes through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func isTerminal(x any) bool {
	f, ok := x.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// SendStream writes the replication stream of snapshot to the host file
// (through FILE.part, renamed when complete) or, for "-", to stdout. With
// a terminal as prog, the bytes sent and the rate are drawn on it; not
// the percent, as no size is asked of zfs beforehand (the sandbox's
// zfs-fuse has no `zfs send -nP` estimate to test it against).
func SendStream(ctx context.Context, h *runtime.Host, snapshot, file string, force bool, stdout, prog io.Writer, u *thread.Undo) (int64, error) {
	o := zfs.SendOptions{Replicate: true}
	if _, err := zfs.SendArgs(snapshot, o); err != nil {
		return 0, err
	}
	return writeOut(ctx, h, file, force, stdout, prog, "ZFS stream", u, func(w io.Writer) error {
		return zfs.Send(ctx, h, snapshot, o, w)
	})
}

// writeOut runs write on the host file (through FILE.part, renamed when
// complete; an existing file is refused unless force) or, for "-", on
// stdout, never a terminal; what names the data for that refusal. It
// returns the bytes written, drawn on prog when it is a terminal.
func writeOut(ctx context.Context, h *runtime.Host, file string, force bool, stdout, prog io.Writer, what string, u *thread.Undo, write func(w io.Writer) error) (int64, error) {
	if file == "-" {
		if stdout == nil || isTerminal(stdout) {
			return 0, fmt.Errorf("refusing to write a %s to a terminal: redirect standard output, or name a file", what)
		}
		m := progress.New(prog, progress.Options{Name: "stdout"})
		cw := &countWriter{w: io.MultiWriter(stdout, m)}
		err := write(cw)
		m.Finish(err == nil)
		return cw.n, err
	}
	if !path.IsAbs(file) || path.Clean(file) != file || file == "/" {
		return 0, fmt.Errorf("file %q: want an absolute, clean host path, or - for standard output", file)
	}
	if _, err := h.Lstat(file); err == nil && !force {
		return 0, fmt.Errorf("%s exists: remove it, name another file, or replace it with --force", file)
	} else if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return 0, err
	}
	dir := path.Dir(file)
	if _, err := h.Stat(dir); errors.Is(err, runtime.ErrNotExist) {
		if err := u.Do("rmdir "+dir, fileRmdirStep(dir), func() error { return h.MkdirAll(dir, 0o700) }); err != nil {
			return 0, err
		}
	} else if err != nil {
		return 0, err
	}
	part := file + ".part"
	var f io.WriteCloser
	err := u.Do("rm "+part, fileRemoveStep(part), func() (err error) {
		f, err = h.Create(part, 0o600)
		return err
	})
	if err != nil {
		return 0, err
	}
	m := progress.New(prog, progress.Options{Name: path.Base(file)})
	cw := &countWriter{w: io.MultiWriter(f, m)}
	err = write(cw)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%s: %w", part, cerr)
	}
	m.Finish(err == nil)
	if err != nil {
		return cw.n, err
	}
	rename := func() error { return h.Rename(part, file) }
	if _, err := h.Lstat(file); err == nil {
		// Replaced (force): journaled after the rename, so that a run
		// that dies before it does not take the old file with it.
		if err := rename(); err != nil {
			return cw.n, err
		}
		return cw.n, u.Record("rm "+file, fileRemoveStep(file))
	}
	if err := u.Do("rm "+file, fileRemoveStep(file), rename); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

func stSendStream(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var snap, file string
	var force bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "snapshot", &snap, "file", &file, "force?", &force); err != nil {
		return nil, err
	}
	run := thread.Get(t)
	var stdout io.Writer = run.Stdout
	if file == "-" && run.Interactive {
		stdout = nil
	}
	n, err := SendStream(run.Ctx, h, snap, file, force, stdout, thread.Progress(t), run.Undo)
	if err != nil {
		return fail(b, err)
	}
	return starlark.MakeInt64(n), nil
}

// streamMagic is DMU_BACKUP_MAGIC, the magic number of a send stream's
// BEGIN record.
const streamMagic = 0x2F5bacbac

// StreamTop reads the BEGIN record at the start of a send stream: the
// name of the snapshot it was made of (for a -R stream the top one,
// POOL/iocage/jails/UUID@SNAP for an export). It returns a reader that
// yields the whole stream again.
func StreamTop(r io.Reader) (string, io.Reader, error) {
	// drr_type, drr_payloadlen, then drr_begin: magic, versioninfo,
	// creation_time, type+flags, toguid, fromguid, toname[256].
	head := make([]byte, 8+48+256)
	n, err := io.ReadFull(r, head)
	rest := io.MultiReader(bytes.NewReader(head[:n]), r)
	if err != nil {
		return "", rest, fmt.Errorf("not a ZFS send stream: it ends after %d bytes", n)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if order.Uint64(head[8:]) != streamMagic {
		order = binary.BigEndian
	}
	if order.Uint64(head[8:]) != streamMagic || order.Uint32(head[0:]) != 0 {
		return "", rest, fmt.Errorf("not a ZFS send stream: no BEGIN record")
	}
	name := head[56:]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return string(name), rest, nil
}

// Received is where ReceiveJail put a jail.
type Received struct {
	Dataset string // POOL/iocage/jails/UUID
	UUID    string // the jail's UUID in the stream
	NewUUID string // the UUID it was received under: UUID unless taken
}

// ReceiveJail receives the export stream read from r unmounted (`zfs
// receive -u`) as POOL/iocage/jails/UUID, UUID being the jail's in the
// stream (the last component of the stream's top dataset), or a fresh
// one when a dataset of that name exists. The undo, journaled before
// receiving and kept when it fails (a stream that breaks off may leave
// part of a tree), destroys what was received.
func ReceiveJail(ctx context.Context, h *runtime.Host, pool string, r io.Reader, u *thread.Undo) (Received, error) {
	var rec Received
	top, r, err := StreamTop(r)
	if err != nil {
		return rec, err
	}
	fs, _, _ := strings.Cut(top, "@")
	rec.UUID = path.Base(fs)
	if !jailprops.IsUUID(rec.UUID) {
		return rec, fmt.Errorf("the stream is of %s, which is no iocage jail (its name is not a UUID)", top)
	}
	rec.NewUUID = rec.UUID
	for {
		rec.Dataset = JailsDS(pool) + "/" + rec.NewUUID
		taken, err := zfs.Exists(ctx, h, rec.Dataset)
		if err != nil {
			return rec, err
		}
		if !taken {
			break
		}
		if rec.NewUUID, err = jailprops.NewUUID(); err != nil {
			return rec, err
		}
	}
	ds := rec.Dataset
	// Kept when the receive fails: a stream that breaks off may leave
	// part of a tree.
	if err := makeDatasetKeep(u, ds, func() error { return zfs.Receive(ctx, h, ds, zfs.ReceiveOptions{NoMount: true}, r) }); err != nil {
		return rec, fmt.Errorf("the stream is not a complete ZFS send stream of a jail: %w", err)
	}
	return rec, nil
}

func stReceiveJail(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return receiveBuiltin(h, t, b, args, kwargs, false)
}

// receiveBuiltin opens the file of jail.receive_jail (either format) or
// jail.receive_package (packageOnly) and receives it.
func receiveBuiltin(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, packageOnly bool) (starlark.Value, error) {
	var file, pool string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "file", &file, "pool?", &pool); err != nil {
		return nil, err
	}
	run := thread.Get(t)
	var err error
	if pool == "" {
		if pool, err = activePoolOf(t, h); err != nil {
			return fail(b, err)
		}
	}
	var r io.Reader
	prog := thread.Progress(t)
	po := progress.Options{Name: "stdin"}
	if file == "-" {
		if run.Stdin == nil || isTerminal(run.Stdin) {
			return fail(b, fmt.Errorf("standard input is a terminal, not an export: redirect it from one, or name a file"))
		}
		r = run.Stdin
	} else {
		if !path.IsAbs(file) {
			return fail(b, fmt.Errorf("file %q: want an absolute host path, or - for standard input", file))
		}
		f, err := h.Open(file)
		if err != nil {
			return fail(b, err)
		}
		defer f.Close()
		r = f
		po.Name = path.Base(file)
		// A FIFO or a device has no size to count down.
		if fi, err := f.Stat(); prog != nil && err == nil && fi.Mode().IsRegular() {
			po.Total = fi.Size()
		}
	}
	m := progress.New(prog, po)
	var rec Received
	var man *Manifest
	if packageOnly {
		rec, man, err = ReceivePackage(run.Ctx, h, pool, io.TeeReader(r, m), run.Undo)
	} else {
		rec, man, err = ReceiveExport(run.Ctx, h, pool, io.TeeReader(r, m), run.Undo)
	}
	m.Finish(err == nil)
	if err != nil {
		return fail(b, err)
	}
	return receivedValue(rec, man), nil
}

// InspectImport reads the jail received at ds: the jail (its UUID from
// host_hostuuid) and the newest export-* snapshot of its top dataset.
func InspectImport(ctx context.Context, h *runtime.Host, ds string) (*Jail, string, error) {
	rows, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{ds}, Depth: 1, Types: []string{"filesystem", "snapshot"}, Props: jailColumns()})
	if err != nil {
		return nil, "", err
	}
	var j *Jail
	var snaps []string
	for _, d := range rows {
		switch {
		case d.Name == ds:
			j = fromDataset(d)
		case strings.HasPrefix(d.Name, ds+"@"+"export-"):
			snaps = append(snaps, strings.TrimPrefix(d.Name, ds+"@"))
		}
	}
	if j == nil {
		return nil, "", fmt.Errorf("%s: %w", ds, runtime.ErrNotExist)
	}
	j.UUID = j.Props["host_hostuuid"]
	if !jailprops.IsUUID(j.UUID) {
		return nil, "", fmt.Errorf("the stream holds no iocage jail: its top dataset's %shost_hostuuid is %q", jailprops.Prefix, j.UUID)
	}
	sort.Strings(snaps)
	snap := ""
	if len(snaps) > 0 {
		snap = snaps[len(snaps)-1]
	}
	return j, snap, nil
}

func stInspectImport(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ds string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "dataset", &ds); err != nil {
		return nil, err
	}
	j, snap, err := InspectImport(thread.Context(t), h, ds)
	if err != nil {
		return fail(b, err)
	}
	return starlarkstruct.FromStringDict(starlark.String("jail.received"), starlark.StringDict{
		"jail": NewValue(j), "snapshot": starlark.String(snap)}), nil
}

// ImportOptions shape ImportSpec.
type ImportOptions struct {
	Pool   string
	Jails  []*Jail // the jails of the pool
	HostID string  // this host's
	UUID   string  // the UUID the jail was received under
	// Defaults is this host's defaults pseudo-jail: host-facing values
	// that are not kept become what a new jail here would get. Nil means
	// the built-in defaults.
	Defaults *Jail
	// KeepHooks keeps the stream's host-facing values (hooks, delegated
	// dataset, jail privileges).
	KeepHooks bool
	// RefuseTagClash fails on a tag another jail has instead of giving
	// the jail a _N suffixed one: a copy kept in sync keeps its name.
	RefuseTagClash bool
}

// ImportSpec resolves the identity of the received jail src on this
// host (see jail.import_spec). cli holds assignments from the command
// line, checked like `iocage set`'s. The stream is another host's text:
// unless o.KeepHooks, its host-facing values that differ from this
// host's defaults are replaced by them (Spec.Dropped says which), and
// every value it keeps must pass the checks of `iocage set`.
func ImportSpec(src *Jail, cli map[string]string, o ImportOptions) (*Spec, error) {
	if err := jailprops.CheckOverrides(cli); err != nil {
		return nil, err
	}
	vals := map[string]string{}
	for _, p := range jailprops.UserProperties() {
		if v := src.Props[p.Name]; v != "" && v != "-" {
			vals[p.Name] = v
		}
	}
	uuid := o.UUID
	if !jailprops.IsUUID(uuid) {
		return nil, fmt.Errorf("uuid %q is not a UUID", uuid)
	}
	if uuid != src.UUID {
		if vals["host_hostname"] == src.UUID {
			vals["host_hostname"] = uuid
		}
		if v, ok := vals["jail_zfs_dataset"]; ok {
			vals["jail_zfs_dataset"] = strings.ReplaceAll(v, src.UUID, uuid)
		}
		// They are the other jail's: two jails must not share them.
		for _, n := range []string{"vnet0_mac", "vnet1_mac", "vnet2_mac", "vnet3_mac", "ip4_addr", "ip6_addr"} {
			if _, ok := vals[n]; ok {
				vals[n] = "none"
			}
		}
		if _, ok := vals["last_started"]; ok {
			vals["last_started"] = "none"
		}
	}
	vals["host_hostuuid"] = uuid
	if o.HostID != "" {
		vals["hostid"] = o.HostID
	}
	var dropped map[string]string
	if !o.KeepHooks {
		dropped = dropHostFacing(vals, cli, uuid, o)
	}
	if err := checkReceived(vals, cli); err != nil {
		return nil, err
	}
	tags := map[string]string{}
	for _, j := range o.Jails {
		if j.UUID != uuid {
			tags[j.Tag] = j.UUID
		}
	}
	if _, ok := cli["tag"]; !ok {
		tag := vals["tag"]
		if tag == "" {
			tag = uuid
		}
		if other, taken := tags[tag]; taken && o.RefuseTagClash {
			return nil, fmt.Errorf("tag %q is jail %s's on this host; rename one of them (iocage rename)", tag, other)
		} else if taken {
			base := tag
			for i := 2; tags[tag] != ""; i++ {
				tag = base + "_" + strconv.Itoa(i)
			}
		}
		vals["tag"] = tag
	}
	for k, v := range cli {
		vals[k] = v
	}
	if err := CheckUnique(uuid, map[string]string{"tag": vals["tag"], "ip4_addr": vals["ip4_addr"], "ip6_addr": vals["ip6_addr"]}, o.Jails); err != nil {
		return nil, fmt.Errorf("%w; give the imported jail another on the command line (tag=, ip4_addr=, ip6_addr=)", err)
	}
	typ := vals["type"]
	if typ == "" {
		typ = "jail"
	}
	s := &Spec{UUID: uuid, Tag: vals["tag"], Pool: o.Pool, Dataset: JailsDS(o.Pool) + "/" + uuid,
		Release: vals["release"], Type: typ, Props: vals, Mountpoint: Root + "/jails/" + uuid, Dropped: dropped}
	if vals["hack88"] == "1" {
		s.Mountpoint = Root + "/jails/" + uuid[:8]
		for _, j := range o.Jails {
			if j.Mountpoint == s.Mountpoint {
				return nil, fmt.Errorf("hack88: mountpoint %s is already used by jail %s (UUIDs share their first 8 characters); import with hack88=0", s.Mountpoint, j.UUID)
			}
		}
	}
	return s, nil
}

// dropHostFacing replaces in vals each host-facing value of the stream
// that differs from what a new jail of this host would get, unless the
// command line sets it; it returns the stream's values it replaced.
func dropHostFacing(vals, cli map[string]string, uuid string, o ImportOptions) map[string]string {
	var defs map[string]string
	g := jailprops.Generated{UUID: uuid, Tag: vals["tag"], HostID: o.HostID, Release: vals["release"]}
	if o.Defaults != nil {
		defs = o.Defaults.Props
		g.VNET = defs["vnet"] == "on"
	}
	local := jailprops.Resolve(nil, defs, jailprops.Builtins(g))
	dropped := map[string]string{}
	for _, p := range jailprops.HostFacingProperties() {
		if _, over := cli[p.Name]; over {
			continue
		}
		v, had := vals[p.Name]
		want, ok := local[p.Name]
		if !had || v == want {
			continue
		}
		dropped[p.Name] = v
		if ok && want != "" && want != "-" {
			vals[p.Name] = want
		} else {
			delete(vals, p.Name)
		}
	}
	return dropped
}

// checkReceived refuses received values `iocage set` would refuse,
// naming each; a value the command line replaces is not checked.
func checkReceived(vals, cli map[string]string) error {
	if errs := invalidValues(vals, cli); len(errs) > 0 {
		return fmt.Errorf("the stream's properties are not valid here, nothing imported: %s; give PROPERTY=VALUE on the command line to replace them", strings.Join(errs, "; "))
	}
	return nil
}

func stImportSpec(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var uuid string
	var props *starlark.Dict
	var jv starlark.Value = starlark.None
	var keep bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "received", &v, "uuid", &uuid, "props?", &props, "jails?", &jv, "keep_hooks?", &keep); err != nil {
		return nil, err
	}
	cli, err := createStringMap(props)
	if err != nil {
		return fail(b, err)
	}
	ctx := thread.Context(t)
	o := ImportOptions{Pool: poolOfJail(v.j), UUID: uuid, KeepHooks: keep}
	if !keep {
		if o.Defaults, err = Defaults(ctx, h, o.Pool); err != nil {
			return fail(b, err)
		}
	}
	if jv != starlark.None {
		l, ok := jv.(*starlark.List)
		if !ok {
			return fail(b, fmt.Errorf("jails: got %s, want a list of jail.jail or None", jv.Type()))
		}
		if o.Jails, err = unpackJails(l); err != nil {
			return fail(b, err)
		}
	} else if o.Jails, err = claimsOf(t, h, o.Pool); err != nil {
		return fail(b, err)
	}
	raw, err := h.ReadFile("/etc/hostid")
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return fail(b, err)
	}
	o.HostID = strings.TrimSpace(string(raw))
	s, err := ImportSpec(v.j, cli, o)
	if err != nil {
		return fail(b, err)
	}
	addClaim(t, s)
	return NewSpecValue(s), nil
}

// ImportChanges are the properties of s, as zfs names them, whose values
// differ from what the jail received with the stream.
func ImportChanges(s *Spec, received *Jail) map[string]string {
	out := map[string]string{}
	for k, v := range s.Props {
		p, err := jailprops.Lookup(k)
		if err != nil || (p.Native && p.ReadOnly) || received.Props[k] == v {
			continue
		}
		out[p.ZFSName()] = v
	}
	return out
}

func stWriteImport(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sv starlark.Value
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "spec", &sv, "received", &v); err != nil {
		return nil, err
	}
	s, err := specArg(sv)
	if err != nil {
		return fail(b, err)
	}
	changes := ImportChanges(s, v.j)
	if len(changes) > 0 {
		if err := zfs.Set(thread.Context(t), h, s.Dataset, changes); err != nil {
			return fail(b, err)
		}
	}
	return frozenDict(changes), nil
}

// MountTree mounts top and its unmounted descendants that can be mounted
// on the host, parents first; it returns what it mounted. The tree came
// from a stream (another host's data), so before anything is mounted
// every dataset the host could mount, now or at boot (`zfs mount -a`),
// must mount inside dir, top's own directory, and none may be shared over
// NFS or SMB; otherwise nothing is mounted and the error names the
// dataset.
func MountTree(ctx context.Context, h *runtime.Host, top, dir string) ([]string, error) {
	rows, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{top}, Recursive: true, Types: []string{"filesystem"},
		Props: []string{"canmount", "mounted", "jailed", "sharenfs", "sharesmb"}})
	if err != nil {
		return nil, err
	}
	sort.Slice(rows, func(a, b int) bool { return rows[a].Name < rows[b].Name })
	if err := checkTreeMounts(rows, dir); err != nil {
		return nil, err
	}
	var done []string
	for _, d := range rows {
		mp, _ := d.Value("mountpoint")
		can, _ := d.Value("canmount")
		mounted, _ := d.Value("mounted")
		jailed, _ := d.Value("jailed")
		if !path.IsAbs(mp) || can != "on" || mounted == "yes" || jailed == "on" {
			continue
		}
		if err := zfs.Mount(ctx, h, d.Name); err != nil {
			return done, err
		}
		done = append(done, d.Name)
	}
	return done, nil
}

// checkTreeMounts refuses a received tree with a dataset the host would
// mount outside dir, or would share. Jailed datasets are the jail's to
// mount, inside it; "none" and "legacy" are never mounted by zfs.
func checkTreeMounts(rows []*zfs.Dataset, dir string) error {
	for _, d := range rows {
		for _, share := range []string{"sharenfs", "sharesmb"} {
			if v, _ := d.Value(share); v != "" && v != "off" && v != "-" {
				return fmt.Errorf("dataset %s of the stream has %s=%s: an imported jail is not shared; not imported", d.Name, share, v)
			}
		}
		mp, _ := d.Value("mountpoint")
		can, _ := d.Value("canmount")
		jailed, _ := d.Value("jailed")
		if jailed == "on" || can == "off" || !path.IsAbs(mp) {
			continue
		}
		if c := path.Clean(mp); c != dir && !strings.HasPrefix(c, dir+"/") {
			return fmt.Errorf("dataset %s of the stream would mount on %s, outside the jail's directory %s; not imported", d.Name, mp, dir)
		}
	}
	return nil
}

func stMountTree(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := specOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	ctx := thread.Context(t)
	d, err := zfs.Get(ctx, h, s.Dataset)
	if err != nil {
		return fail(b, err)
	}
	if mp, _ := d.Value("mountpoint"); mp != s.Mountpoint {
		if s.Mountpoint == Root+"/jails/"+s.UUID {
			err = zfs.Inherit(ctx, h, s.Dataset, "mountpoint", false)
		} else {
			err = zfs.Set(ctx, h, s.Dataset, map[string]string{"mountpoint": s.Mountpoint})
		}
		if err != nil {
			return fail(b, err)
		}
	}
	done, err := MountTree(ctx, h, s.Dataset, s.Mountpoint)
	if err != nil {
		return fail(b, err)
	}
	return strings2list(done), nil
}
