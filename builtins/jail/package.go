package jail

// The builtins of differential packages (export --incremental, and the
// import of such a file): a clone jail's differences from the release or
// template snapshot it was cloned from, as a tar stream (package_format.go),
// and a new clone jail made from the local copy of that release with the
// differences applied. Both trees are compared read-only through
// temporary clones of their snapshots (zfs-fuse, the sandbox's ZFS, has no
// .zfs/snapshot directory; one way for both hosts). Every host change is
// journaled on the run's undo log, so an export or import that fails or is
// killed leaves nothing.

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

func init() {
	register("package_origin", "jail.package_origin(j) -> struct(snapshot, kind, release, template, template_tag)\n\n"+
		"The snapshot j's root was cloned from (`zfs get origin`, in one zfs list\n"+
		"of j's tree): POOL/iocage/releases/REL/root@UUID (kind \"release\") or\n"+
		"POOL/iocage/jails/TEMPLATE/root@UUID (kind \"template\"). Fails for a jail\n"+
		"that is no clone (an independent copy, a basejail, an empty jail), for a\n"+
		"tree with datasets other than the root and the data dataset (naming\n"+
		"them) and for a jail whose data dataset is delegated (jail_zfs=on): a\n"+
		"package carries neither.", stPackageOrigin)
	register("view_snapshot", "jail.view_snapshot(snapshot) -> struct(dataset, path)\n\n"+
		"Makes a read-only clone of snapshot (`zfs clone -o readonly=on -o\n"+
		"mountpoint=/iocage/.view-RANDOM`), mounted, to read the snapshot's files\n"+
		"at path. Undone (and dropped with jail.drop_view) with `zfs destroy`.", stViewSnapshot)
	register("drop_view", "jail.drop_view(view)\n\n"+
		"Destroys a clone made by jail.view_snapshot. Not undone.", stDropView)
	register("write_package", "jail.write_package(j, origin, old, new, file, force=False) -> struct(size, entries, removed, skipped, userland)\n\n"+
		"Writes the differential package of j: the entries of the tree at new\n"+
		"(a jail.view_snapshot of j's root) that differ from those at old (a view\n"+
		"of origin.snapshot) by type, mode, owner, size, modification or inode\n"+
		"change time or symlink target (rsync's quick check: equal metadata is\n"+
		"taken as equal contents), the paths removed, the regular files of j's directory beside\n"+
		"its root (fstab, hook files), and a manifest with j's properties and the\n"+
		"origin's userland version (old's bin/freebsd-version). Written as the\n"+
		"host file (through FILE.part, renamed when complete; an existing file is\n"+
		"refused unless force) or to standard output for \"-\" (never a terminal).\n"+
		"Sockets and devices are not carried (skipped names them). Undone by\n"+
		"removing the file.", stWritePackage)
	register("receive_package", "jail.receive_package(file, pool=\"\") -> struct(dataset, uuid, new_uuid, format, release, userland, origin)\n\n"+
		"Makes the jail of a differential package (host file, or \"-\": standard\n"+
		"input): the manifest is read and checked, the local release (or\n"+
		"template) must exist at the recorded userland version, then, as create\n"+
		"-c does, SOURCE@UUID is taken and cloned to POOL/iocage/jails/UUID with\n"+
		"the package's properties (a fresh UUID when that one is taken), the\n"+
		"data dataset is made, the removed paths are removed and the members\n"+
		"unpacked inside the jail's directory: no absolute path, no \"..\", no\n"+
		"path through a symlink, no device, hard links only to files of the\n"+
		"package. Every step is undone with the datasets.", stReceivePackage)
}

// PackageOrigin is the snapshot a clone jail's root was made from.
type PackageOrigin struct {
	Snapshot    string // POOL/iocage/releases/REL/root@UUID or POOL/iocage/jails/TPL/root@UUID
	Kind        string // "release" or "template"
	Release     string
	Template    string // the template's UUID
	TemplateTag string
}

// FindPackageOrigin reads the origin of j's root and checks that j's tree
// holds nothing a package does not carry.
func FindPackageOrigin(ctx context.Context, h *runtime.Host, j *Jail) (*PackageOrigin, error) {
	if j.Default {
		return nil, fmt.Errorf("the defaults are no jail")
	}
	rows, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{j.Dataset}, Recursive: true, Types: []string{"filesystem", "volume"}, Props: []string{"origin"}})
	if err != nil {
		return nil, err
	}
	var extra []string
	origin := ""
	for _, d := range rows {
		switch d.Name {
		case j.Dataset, j.Dataset + "/data":
		case j.Dataset + "/root":
			origin, _ = d.Value("origin")
		default:
			extra = append(extra, d.Name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("%s (%s) has datasets a package does not carry: %s", j.UUID, j.Tag, strings.Join(extra, ", "))
	}
	if j.Props["jail_zfs"] == "on" {
		return nil, fmt.Errorf("%s (%s) has its data dataset delegated (jail_zfs=on), whose files a package does not carry", j.UUID, j.Tag)
	}
	fs, _, ok := strings.Cut(origin, "@")
	if origin == "" || origin == "-" || !ok {
		return nil, fmt.Errorf("%s (%s) was not cloned from a release or a template (its root has no origin): there is nothing to differ from", j.UUID, j.Tag)
	}
	pool := poolOfJail(j)
	o := &PackageOrigin{Snapshot: origin, Release: j.Props["release"]}
	if rel, ok := strings.CutPrefix(fs, ReleaseDS(pool, "")); ok && strings.HasSuffix(rel, "/root") {
		o.Kind, o.Release = "release", strings.TrimSuffix(rel, "/root")
		return o, nil
	}
	tpl, ok := strings.CutPrefix(fs, JailsDS(pool)+"/")
	tpl, isRoot := strings.CutSuffix(tpl, "/root")
	if !ok || !isRoot || !jailprops.IsUUID(tpl) {
		return nil, fmt.Errorf("%s (%s) was cloned from %s, neither a release nor a template", j.UUID, j.Tag, origin)
	}
	d, err := zfs.Get(ctx, h, JailsDS(pool)+"/"+tpl, jailprops.Prefix+"template", jailprops.Prefix+"tag")
	if err != nil {
		return nil, err
	}
	if v, _ := d.Value(jailprops.Prefix + "template"); v != "yes" {
		return nil, fmt.Errorf("%s (%s) was cloned from the jail %s, which is not a template", j.UUID, j.Tag, tpl)
	}
	o.Kind, o.Template = "template", tpl
	o.TemplateTag, _ = d.Value(jailprops.Prefix + "tag")
	return o, nil
}

func stPackageOrigin(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	o, err := FindPackageOrigin(thread.Context(t), h, v.j)
	if err != nil {
		return fail(b, err)
	}
	return originValue(o), nil
}

func originValue(o *PackageOrigin) starlark.Value {
	return starlarkstruct.FromStringDict(starlark.String("jail.package_origin"), starlark.StringDict{
		"snapshot": starlark.String(o.Snapshot), "kind": starlark.String(o.Kind), "release": starlark.String(o.Release),
		"template": starlark.String(o.Template), "template_tag": starlark.String(o.TemplateTag)})
}

func originArg(v starlark.Value) (*PackageOrigin, error) {
	s, ok := v.(*starlarkstruct.Struct)
	if !ok {
		return nil, fmt.Errorf("origin: got %s, want jail.package_origin", v.Type())
	}
	o := &PackageOrigin{}
	for name, dst := range map[string]*string{"snapshot": &o.Snapshot, "kind": &o.Kind, "release": &o.Release, "template": &o.Template, "template_tag": &o.TemplateTag} {
		x, err := s.Attr(name)
		if err != nil {
			return nil, fmt.Errorf("origin: %w", err)
		}
		*dst, _ = starlark.AsString(x)
	}
	return o, nil
}

// View is a read-only clone of a snapshot, mounted at Path.
type View struct{ Dataset, Path string }

// ViewSnapshot clones snapshot read-only under the pool's iocage tree
// (undone with its destroy) so that its files can be read.
func ViewSnapshot(ctx context.Context, h *runtime.Host, snapshot string, u *thread.Undo) (View, error) {
	pool, _, _ := strings.Cut(snapshot, "/")
	if !strings.Contains(snapshot, "@") || pool == "" {
		return View{}, fmt.Errorf("snapshot %q: want FS@SNAP", snapshot)
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return View{}, err
	}
	name := ".view-" + hex.EncodeToString(rnd[:])
	v := View{Dataset: pool + "/iocage/" + name, Path: Root + "/" + name}
	err := makeDataset(u, v.Dataset, func() error {
		return zfs.Clone(ctx, h, snapshot, v.Dataset, false, map[string]string{"readonly": "on", "mountpoint": v.Path})
	})
	return v, err
}

func viewValue(v View) starlark.Value {
	return starlarkstruct.FromStringDict(starlark.String("jail.view"), starlark.StringDict{
		"dataset": starlark.String(v.Dataset), "path": starlark.String(v.Path)})
}

func viewArg(x starlark.Value) (View, error) {
	s, ok := x.(*starlarkstruct.Struct)
	if !ok {
		return View{}, fmt.Errorf("view: got %s, want jail.view", x.Type())
	}
	var v View
	for name, dst := range map[string]*string{"dataset": &v.Dataset, "path": &v.Path} {
		a, err := s.Attr(name)
		if err != nil {
			return View{}, fmt.Errorf("view: %w", err)
		}
		*dst, _ = starlark.AsString(a)
	}
	if !strings.Contains(v.Dataset, "/iocage/.view-") {
		return View{}, fmt.Errorf("view: %s is not a view's dataset", v.Dataset)
	}
	return v, nil
}

func stViewSnapshot(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var snap string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "snapshot", &snap); err != nil {
		return nil, err
	}
	v, err := ViewSnapshot(thread.Context(t), h, snap, thread.UndoOf(t))
	if err != nil {
		return fail(b, err)
	}
	return viewValue(v), nil
}

func stDropView(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "view", &x); err != nil {
		return nil, err
	}
	v, err := viewArg(x)
	if err != nil {
		return fail(b, err)
	}
	if err := zfs.Destroy(thread.Context(t), h, v.Dataset, zfs.DestroyOptions{Force: true}); err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return fail(b, err)
	}
	return starlark.None, nil
}

var packageUserlandRe = regexp.MustCompile(`(?m)^USERLAND_VERSION="([^"]+)"`)

// userlandIn is the userland version of the system at the host path root
// (14.3-RELEASE-p1), read from its bin/freebsd-version inside the tree.
func userlandIn(h *runtime.Host, root string) (string, error) {
	b, err := h.InRoot(root).ReadFile("bin/freebsd-version")
	if err != nil {
		return "", err
	}
	m := packageUserlandRe.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s/bin/freebsd-version: no USERLAND_VERSION", root)
	}
	return string(m[1]), nil
}

// fileStat is what the quick check compares, from a file's lstat.
type fileStat struct {
	uid, gid   int
	dev, ino   uint64
	nlink      uint64
	ctime      time.Time
	haveOwners bool
}

func statOf(fi fs.FileInfo) fileStat {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}
	}
	return fileStat{uid: int(st.Uid), gid: int(st.Gid), dev: uint64(st.Dev), ino: uint64(st.Ino), nlink: uint64(st.Nlink), ctime: ctimeOf(st), haveOwners: true}
}

// treeDiff is what differs between an origin tree and a jail's.
type treeDiff struct {
	entries []diffEntry // added or changed, parents before children
	removed []string    // paths of the origin the jail has not
	skipped []string    // sockets, devices, FIFOs of the jail
}

type diffEntry struct {
	rel string
	fi  fs.FileInfo
}

// supported is a kind of file a package carries.
func supported(m fs.FileMode) bool {
	return m.IsRegular() || m.IsDir() || m&fs.ModeSymlink != 0
}

// sameEntry is the quick check: same type, permissions, owner, size,
// modification time and symlink target are taken as the same file, as
// rsync does by default, with the inode change time too: a clone keeps
// its origin's for every file it has not touched, and no one can set it
// back, so a file rewritten with its size and mtime kept is seen. What
// is not seen is a rewrite within the clock's resolution of the origin's
// own last change (zfs-fuse keeps whole seconds; FreeBSD's ZFS keeps
// nanoseconds).
func sameEntry(old, cur *os.Root, rel string, a, b fs.FileInfo) (bool, error) {
	if a.Mode() != b.Mode() || !a.ModTime().Equal(b.ModTime()) {
		return false, nil
	}
	sa, sb := statOf(a), statOf(b)
	if sa.uid != sb.uid || sa.gid != sb.gid || !sa.ctime.Equal(sb.ctime) {
		return false, nil
	}
	if a.Mode().IsRegular() && a.Size() != b.Size() {
		return false, nil
	}
	if a.Mode()&fs.ModeSymlink != 0 {
		ta, err := old.Readlink(rel)
		if err != nil {
			return false, err
		}
		tb, err := cur.Readlink(rel)
		if err != nil {
			return false, err
		}
		return ta == tb, nil
	}
	return true, nil
}

func readDirNames(rt *os.Root, rel string) ([]string, error) {
	f, err := rt.OpenFile(rel, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	sort.Strings(names)
	return names, err
}

// diffTrees walks the jail's tree cur against the origin's old, by
// directory listing, never following a symlink: its cost grows with the
// two trees, not with the pool.
func diffTrees(old, cur *os.Root) (*treeDiff, error) {
	d := &treeDiff{}
	var walk func(rel string, inOld bool) error
	walk = func(rel string, inOld bool) error {
		names, err := readDirNames(cur, rel)
		if err != nil {
			return err
		}
		here := map[string]bool{}
		for _, n := range names {
			here[n] = true
			p := path.Join(rel, n)
			if rel == "." && n == ".zfs" {
				continue
			}
			fi, err := cur.Lstat(p)
			if err != nil {
				return err
			}
			if !supported(fi.Mode()) {
				d.skipped = append(d.skipped, p)
				if inOld {
					if ofi, err := old.Lstat(p); err == nil && ofi.Mode().Type() != fi.Mode().Type() {
						d.removed = append(d.removed, p)
					}
				}
				continue
			}
			childInOld := false
			if inOld {
				ofi, err := old.Lstat(p)
				switch {
				case errors.Is(err, fs.ErrNotExist):
				case err != nil:
					return err
				case ofi.Mode().Type() != fi.Mode().Type():
					d.removed = append(d.removed, p)
				default:
					same, err := sameEntry(old, cur, p, ofi, fi)
					if err != nil {
						return err
					}
					childInOld = fi.IsDir()
					if same {
						if fi.IsDir() {
							if err := walk(p, true); err != nil {
								return err
							}
						}
						continue
					}
				}
			}
			d.entries = append(d.entries, diffEntry{rel: p, fi: fi})
			if fi.IsDir() {
				if err := walk(p, childInOld); err != nil {
					return err
				}
			}
		}
		if !inOld {
			return nil
		}
		onames, err := readDirNames(old, rel)
		if err != nil {
			return err
		}
		for _, n := range onames {
			if !here[n] && !(rel == "." && n == ".zfs") {
				d.removed = append(d.removed, path.Join(rel, n))
			}
		}
		return nil
	}
	return d, walk(".", true)
}

// PackageWritten is what WritePackage wrote.
type PackageWritten struct {
	Size     int64
	Entries  int
	Removed  int
	Skipped  []string
	Userland string
}

// PackageProps are the properties of j a package records: the user
// properties that are set and the settable native ones.
func PackageProps(j *Jail) map[string]string {
	out := map[string]string{}
	for _, p := range jailprops.UserProperties() {
		if v := j.Props[p.Name]; v != "" && v != "-" {
			out[p.Name] = v
		}
	}
	for _, n := range settableNative {
		if v := j.Props[n]; v != "" && v != "-" {
			out[n] = v
		}
	}
	return out
}

// WritePackage writes the differential package of j (see
// jail.write_package): oldRoot and newRoot are the host paths of the
// origin's tree and of j's root, both read-only views of snapshots.
func WritePackage(ctx context.Context, h *runtime.Host, j *Jail, o *PackageOrigin, oldRoot, newRoot, file string, force bool, stdout, prog io.Writer, u *thread.Undo) (PackageWritten, error) {
	var out PackageWritten
	if h.DryRun() {
		// The views were printed, not made: there is nothing to read.
		return out, nil
	}
	userland, err := userlandIn(h, oldRoot)
	if err != nil {
		return out, fmt.Errorf("the userland version of %s: %w", o.Snapshot, err)
	}
	out.Userland = userland
	m := &Manifest{Format: PackageFormat, UUID: j.UUID, Tag: j.Tag, Type: j.Props["type"], Release: o.Release, Userland: userland,
		Origin: o.Kind, Template: o.Template, TemplateTag: o.TemplateTag, Properties: PackageProps(j), Created: time.Now().UTC().Format(time.RFC3339)}
	if m.Type == "" || m.Type == "-" {
		m.Type = "jail"
	}
	// The files beside the root (fstab, hook files) are few and small;
	// the jail is stopped, so its directory is read as it is.
	type side struct {
		name string
		fi   fs.FileInfo
		data []byte
	}
	var sides []side
	err = h.InRoot(j.Mountpoint).View(func(rt *os.Root) error {
		names, err := readDirNames(rt, ".")
		if err != nil {
			return err
		}
		for _, n := range names {
			fi, err := rt.Lstat(n)
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() || n == "root" || n == PackageManifest || fi.Size() > maxJailFile {
				continue
			}
			b, err := rt.ReadFile(n)
			if err != nil {
				return err
			}
			sides = append(sides, side{n, fi, b})
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	err = h.InRoot(oldRoot).View(func(old *os.Root) error {
		return h.InRoot(newRoot).View(func(cur *os.Root) error {
			d, err := diffTrees(old, cur)
			if err != nil {
				return err
			}
			for _, r := range d.removed {
				m.Removed = append(m.Removed, "root/"+r)
			}
			out.Entries, out.Removed, out.Skipped = len(d.entries), len(d.removed), d.skipped
			out.Size, err = writeOut(ctx, h, file, force, stdout, prog, "package", u, func(w io.Writer) error {
				tw := tar.NewWriter(w)
				if err := writeManifest(tw, m); err != nil {
					return err
				}
				for _, s := range sides {
					hdr := &tar.Header{Typeflag: tar.TypeReg, Name: s.name, Mode: tarMode(s.fi.Mode()), Size: int64(len(s.data)), ModTime: s.fi.ModTime(), Format: tar.FormatPAX}
					st := statOf(s.fi)
					hdr.Uid, hdr.Gid = st.uid, st.gid
					if err := tw.WriteHeader(hdr); err != nil {
						return err
					}
					if _, err := tw.Write(s.data); err != nil {
						return err
					}
				}
				if err := writeEntries(tw, cur, d.entries); err != nil {
					return err
				}
				return tw.Close()
			})
			return err
		})
	})
	return out, err
}

// writeEntries writes the jail's changed entries; a file with several
// links is written once, its other names as hard links to it.
func writeEntries(tw *tar.Writer, cur *os.Root, entries []diffEntry) error {
	type key struct{ dev, ino uint64 }
	first := map[key]string{}
	for _, e := range entries {
		st := statOf(e.fi)
		hdr := &tar.Header{Name: "root/" + e.rel, Mode: tarMode(e.fi.Mode()), Uid: st.uid, Gid: st.gid, ModTime: e.fi.ModTime(), Format: tar.FormatPAX}
		if e.rel == "." {
			hdr.Name = "root"
		}
		var body *os.File
		switch {
		case e.fi.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
		case e.fi.Mode()&fs.ModeSymlink != 0:
			t, err := cur.Readlink(e.rel)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, t
		default:
			k := key{st.dev, st.ino}
			if p, ok := first[k]; ok && st.nlink > 1 {
				hdr.Typeflag, hdr.Linkname = tar.TypeLink, p
				break
			}
			if st.nlink > 1 {
				first[k] = hdr.Name
			}
			f, err := cur.OpenFile(e.rel, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
			if err != nil {
				return err
			}
			body = f
			hdr.Typeflag, hdr.Size = tar.TypeReg, e.fi.Size()
		}
		if err := tw.WriteHeader(hdr); err != nil {
			if body != nil {
				body.Close()
			}
			return err
		}
		if body != nil {
			// A file of a snapshot does not change size; a short copy is
			// an error of the tar writer.
			_, err := io.Copy(tw, body)
			body.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", e.rel, err)
			}
		}
	}
	return nil
}

func stWritePackage(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var ov, oldv, newv starlark.Value
	var file string
	var force bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "origin", &ov, "old", &oldv, "new", &newv, "file", &file, "force?", &force); err != nil {
		return nil, err
	}
	o, err := originArg(ov)
	if err != nil {
		return fail(b, err)
	}
	oldView, err := viewArg(oldv)
	if err != nil {
		return fail(b, err)
	}
	newView, err := viewArg(newv)
	if err != nil {
		return fail(b, err)
	}
	run := thread.Get(t)
	var stdout io.Writer = run.Stdout
	if file == "-" && run.Interactive {
		stdout = nil
	}
	w, err := WritePackage(run.Ctx, h, v.j, o, oldView.Path, newView.Path, file, force, stdout, thread.Progress(t), run.Undo)
	if err != nil {
		return fail(b, err)
	}
	return starlarkstruct.FromStringDict(starlark.String("jail.package"), starlark.StringDict{
		"size": starlark.MakeInt64(w.Size), "entries": starlark.MakeInt(w.Entries), "removed": starlark.MakeInt(w.Removed),
		"skipped": strings2list(w.Skipped), "userland": starlark.String(w.Userland)}), nil
}

// IsPackage tells a differential package from a ZFS stream by its first
// bytes: a tar header has "ustar" at offset 257.
func IsPackage(head []byte) bool {
	return len(head) >= 262 && string(head[257:262]) == "ustar"
}

// ReceiveExport receives what `iocage export` wrote, telling the two
// formats apart by content: a ZFS stream (ReceiveJail) or a differential
// package (ReceivePackage, whose manifest it returns; nil for a stream).
func ReceiveExport(ctx context.Context, h *runtime.Host, pool string, r io.Reader, u *thread.Undo) (Received, *Manifest, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Received{}, nil, err
	}
	r = io.MultiReader(bytes.NewReader(head[:n]), r)
	if IsPackage(head[:n]) {
		return ReceivePackage(ctx, h, pool, r, u)
	}
	rec, err := ReceiveJail(ctx, h, pool, r, u)
	return rec, nil, err
}

// ReceivePackage makes the jail of the package read from r (see
// jail.receive_package).
func ReceivePackage(ctx context.Context, h *runtime.Host, pool string, r io.Reader, u *thread.Undo) (Received, *Manifest, error) {
	var rec Received
	tr := tar.NewReader(r)
	m, err := ReadManifest(tr)
	if err != nil {
		return rec, nil, err
	}
	src := ReleaseDS(pool, m.Release)
	if m.Origin == "template" {
		src = JailsDS(pool) + "/" + m.Template
	}
	d, err := zfs.Get(ctx, h, src+"/root", "mountpoint")
	if errors.Is(err, runtime.ErrNotExist) {
		if m.Origin == "template" {
			return rec, m, fmt.Errorf("jail %s (%s) was exported against %s, which this host does not have: import the template first", m.UUID, m.Tag, m.OriginName())
		}
		return rec, m, fmt.Errorf("jail %s (%s) was exported against %s, which this host has not fetched: `iocage fetch release=%s`", m.UUID, m.Tag, m.OriginName(), m.Release)
	}
	if err != nil {
		return rec, m, err
	}
	if m.Origin == "template" {
		t, err := zfs.Get(ctx, h, src, jailprops.Prefix+"template")
		if err != nil {
			return rec, m, err
		}
		if v, _ := t.Value(jailprops.Prefix + "template"); v != "yes" {
			return rec, m, fmt.Errorf("jail %s (%s) was exported against %s, and the jail %s here is no template", m.UUID, m.Tag, m.OriginName(), m.Template)
		}
	}
	mp, _ := d.Value("mountpoint")
	here, err := userlandIn(h, mp)
	if err != nil {
		return rec, m, fmt.Errorf("the userland version of %s: %w", src, err)
	}
	if here != m.Userland {
		return rec, m, fmt.Errorf("jail %s (%s) was exported against %s, userland %s; this host's %s is at %s (patch %s): the package's files would be applied over another base, not imported",
			m.UUID, m.Tag, m.OriginName(), m.Userland, path.Base(src), here, Patch(here))
	}
	rec.UUID, rec.NewUUID = m.UUID, m.UUID
	for {
		rec.Dataset = JailsDS(pool) + "/" + rec.NewUUID
		taken, err := zfs.Exists(ctx, h, rec.Dataset)
		if err == nil && !taken {
			taken, err = zfs.Exists(ctx, h, src+"@"+rec.NewUUID)
		}
		if err != nil {
			return rec, m, err
		}
		if !taken {
			break
		}
		if rec.NewUUID, err = jailprops.NewUUID(); err != nil {
			return rec, m, err
		}
	}
	snap := src + "@" + rec.NewUUID
	if err := makeDataset(u, snap, func() error { return zfs.Snapshot(ctx, h, snap, true) }); err != nil {
		return rec, m, err
	}
	props := map[string]string{}
	for k, v := range m.Properties {
		p, _ := jailprops.Lookup(k)
		props[p.ZFSName()] = v
	}
	if _, err := CloneTree(ctx, h, src, rec.NewUUID, rec.Dataset, props, u); err != nil {
		return rec, m, err
	}
	if err := EnsureDataDataset(ctx, h, rec.Dataset+"/data", u); err != nil {
		return rec, m, err
	}
	if h.DryRun() {
		return rec, m, nil // the clone was printed, not made
	}
	top, err := zfs.Get(ctx, h, rec.Dataset, "mountpoint", "mounted")
	if err != nil {
		return rec, m, err
	}
	dir, _ := top.Value("mountpoint")
	if mounted, _ := top.Value("mounted"); mounted != "yes" || !path.IsAbs(dir) {
		return rec, m, fmt.Errorf("%s is not mounted: nowhere to unpack the package", rec.Dataset)
	}
	// One host change for the whole package, as one tar(1) run would be:
	// undone with the datasets it fills.
	err = h.InRoot(dir).Batch("unpack the package of "+m.UUID, func(rt *os.Root) error {
		_, err := Unpack(rt, tr, m)
		return err
	})
	if err != nil {
		return rec, m, fmt.Errorf("the package of %s (%s): %w", m.UUID, m.Tag, err)
	}
	return rec, m, nil
}

// errNoDir is a member whose directory is neither in the package nor in
// the origin.
var errNoDir = errors.New("its directory is neither in the package nor in the release")

// dirsOnWay checks that every directory on the way to rel is one, not a
// symlink: a package never names a path through a symlink, even one that
// stays inside the tree, as the jail that was exported had none there.
func dirsOnWay(rt *os.Root, rel string) error {
	dir := path.Dir(rel)
	if dir == "." {
		return nil
	}
	cur := ""
	for _, c := range strings.Split(dir, "/") {
		cur = path.Join(cur, c)
		fi, err := rt.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", rel, errNoDir)
		}
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s: %s is %s, not a directory; a package's path never goes through one", rel, cur, runtime.FileKind(fi.Mode()))
		}
	}
	return nil
}

// Unpack applies the package read from tr (past its manifest m) to the
// jail directory rt: the removed paths first, then every member, checked
// with CheckMember and made without following a symlink; directories get
// their mode, owner and time last. It returns the members made.
func Unpack(rt *os.Root, tr *tar.Reader, m *Manifest) (int, error) {
	for _, p := range m.Removed {
		err := dirsOnWay(rt, p)
		if errors.Is(err, errNoDir) {
			continue // nothing there to remove
		}
		if err != nil {
			return 0, fmt.Errorf("removed path %w", err)
		}
		if err := rt.RemoveAll(p); err != nil {
			return 0, err
		}
	}
	files := map[string]bool{}
	var dirs []*Member
	n := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("the package breaks off: %w", err)
		}
		mem, err := CheckMember(hdr)
		if err != nil {
			return n, err
		}
		if err := dirsOnWay(rt, mem.Rel); err != nil {
			return n, fmt.Errorf("member %w", err)
		}
		if mem.Type == tar.TypeLink && !files[mem.Link] {
			return n, fmt.Errorf("member %q: hard link to %q, which is no regular file before it in the package", mem.Rel, mem.Link)
		}
		delete(files, mem.Rel)
		if fi, err := rt.Lstat(mem.Rel); err == nil {
			switch {
			case fi.IsDir() && mem.Type == tar.TypeDir:
			case fi.IsDir():
				err = rt.RemoveAll(mem.Rel)
			default:
				err = rt.Remove(mem.Rel)
			}
			if err != nil {
				return n, err
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return n, err
		}
		if err := unpackMember(rt, tr, mem); err != nil {
			return n, fmt.Errorf("member %q: %w", mem.Rel, err)
		}
		switch mem.Type {
		case tar.TypeReg:
			files[mem.Rel] = true
		case tar.TypeDir:
			dirs = append(dirs, mem)
		}
		n++
	}
	// Children first, so that a directory's time is the one recorded.
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		fi, err := rt.Lstat(d.Rel)
		if err != nil || !fi.IsDir() {
			continue // replaced by a later member
		}
		if err := setMeta(rt, d); err != nil {
			return n, fmt.Errorf("member %q: %w", d.Rel, err)
		}
	}
	return n, nil
}

func unpackMember(rt *os.Root, tr *tar.Reader, mem *Member) error {
	switch mem.Type {
	case tar.TypeDir:
		if _, err := rt.Lstat(mem.Rel); errors.Is(err, fs.ErrNotExist) {
			return rt.Mkdir(mem.Rel, 0o700)
		}
		return nil
	case tar.TypeSymlink:
		if err := rt.Symlink(mem.Link, mem.Rel); err != nil {
			return err
		}
		return rt.Lchown(mem.Rel, mem.UID, mem.GID)
	case tar.TypeLink:
		return rt.Link(mem.Link, mem.Rel)
	}
	f, err := rt.OpenFile(mem.Rel, os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, tr)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("the package breaks off: %w", err)
	}
	if err == nil {
		// Owner before mode: chown clears the setuid and setgid bits.
		err = f.Chown(mem.UID, mem.GID)
	}
	if err == nil {
		err = f.Chmod(mem.Mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return rt.Chtimes(mem.Rel, mem.hdr.ModTime, mem.hdr.ModTime)
}

// setMeta gives the directory d its owner, mode and time.
func setMeta(rt *os.Root, d *Member) error {
	if err := rt.Lchown(d.Rel, d.UID, d.GID); err != nil {
		return err
	}
	if err := rt.Chmod(d.Rel, d.Mode); err != nil {
		return err
	}
	return rt.Chtimes(d.Rel, d.hdr.ModTime, d.hdr.ModTime)
}

func stReceivePackage(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return receiveBuiltin(h, t, b, args, kwargs, true)
}

// receivedValue is what jail.receive_jail and jail.receive_package return.
func receivedValue(rec Received, m *Manifest) starlark.Value {
	d := starlark.StringDict{"dataset": starlark.String(rec.Dataset), "uuid": starlark.String(rec.UUID), "new_uuid": starlark.String(rec.NewUUID),
		"format": starlark.String("zfs"), "release": starlark.String(""), "userland": starlark.String(""), "origin": starlark.String("")}
	if m != nil {
		d["format"], d["release"], d["userland"], d["origin"] = starlark.String("package"), starlark.String(m.Release), starlark.String(m.Userland), starlark.String(m.OriginName())
	}
	return starlarkstruct.FromStringDict(starlark.String("jail.stream"), d)
}
