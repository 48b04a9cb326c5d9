package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime"
)

// Root is iocage's mountpoint; the datasets below POOL/iocage mount under it.
const Root = "/iocage"

// FetchedProp marks a release whose fetch finished. A release dataset
// without it was left by a fetch that was killed before it could undo
// itself, and is fetched again from the start.
const FetchedProp = "org.freebsd.iocage:fetched"

// Dataset and directory names of a release on pool.
func ReleaseDS(pool, rel string) string  { return pool + "/iocage/releases/" + rel }
func DownloadDS(pool, rel string) string { return pool + "/iocage/download/" + rel }
func BaseDS(pool, rel string) string     { return pool + "/iocage/base/" + rel }
func ReleaseRoot(rel string) string      { return Root + "/releases/" + rel + "/root" }
func DownloadDir(rel string) string      { return Root + "/download/" + rel }
func BaseRoot(rel string) string         { return Root + "/base/" + rel + "/root" }

// BaseFilesystems are the directories of a release that basejails share:
// fetch makes each a dataset under POOL/iocage/base/REL/root, and a
// basejail clones them read-only.
var BaseFilesystems = []string{"bin", "boot", "lib", "libexec", "rescue", "sbin", "usr/bin", "usr/include",
	"usr/lib", "usr/libexec", "usr/sbin", "usr/share", "usr/src", "usr/libdata", "usr/lib32"}

// lz4 is the compression iocage gives the datasets it fills with a release.
var lz4 = map[string]string{"compression": "lz4"}

// Datasets describes a release's datasets on a pool.
type Datasets struct {
	Release  string
	Dataset  string // POOL/iocage/releases/REL
	Root     string // its mountpoint's root directory, /iocage/releases/REL/root
	Download string // /iocage/download/REL
	New      bool   // no finished fetch of it exists: extract from scratch
}

// Prepare makes the datasets a fetch of rel fills, when missing:
// POOL/iocage/download/REL and POOL/iocage/releases/REL/root, both lz4
// (zfs create -o compression=lz4 -p). What it creates is destroyed again
// on undo. New reports whether the release still has to be extracted.
func Prepare(ctx context.Context, h *runtime.Host, pool, rel string, u *thread.Undo) (Datasets, error) {
	d := Datasets{Release: rel, Dataset: ReleaseDS(pool, rel), Root: ReleaseRoot(rel), Download: DownloadDir(rel)}
	if err := CheckRelease(rel); err != nil {
		return d, err
	}
	have, err := existing(ctx, h, pool+"/iocage", FetchedProp)
	if err != nil {
		return d, err
	}
	d.New = have[d.Dataset] != "yes"
	for _, name := range []string{DownloadDS(pool, rel), d.Dataset + "/root"} {
		if err := create(ctx, h, name, have, u); err != nil {
			return d, err
		}
	}
	return d, nil
}

// existing maps every filesystem under top (to the depth of a base
// filesystem) to the value of prop, "" when it is not set locally or
// inherited.
func existing(ctx context.Context, h *runtime.Host, top, prop string) (map[string]string, error) {
	ds, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{top}, Recursive: true, Types: []string{"filesystem"}, Props: []string{prop}})
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return nil, err
	}
	have := map[string]string{}
	for _, d := range ds {
		v, _ := d.Value(prop)
		if v == "-" {
			v = ""
		}
		have[d.Name] = v
	}
	return have, nil
}

// create makes name with its missing parents, lz4, unless it exists, and
// pushes the destruction of the topmost dataset it made.
func create(ctx context.Context, h *runtime.Host, name string, have map[string]string, u *thread.Undo) error {
	if _, ok := have[name]; ok {
		return nil
	}
	top := name
	for p := path.Dir(name); strings.Contains(p, "/"); p = path.Dir(p) {
		if _, ok := have[p]; ok {
			break
		}
		top = p
	}
	err := u.Do("zfs destroy -r "+top, thread.Step{Kind: "release.destroy", Args: []string{top}}, func() error {
		return zfs.Create(ctx, h, name, true, lz4)
	})
	if err != nil {
		return err
	}
	for p := name; p != path.Dir(top); p = path.Dir(p) {
		have[p] = ""
	}
	return nil
}

// MarkFetched records that the fetch of rel finished (the last step of a
// fetch); undone by clearing the mark.
func MarkFetched(ctx context.Context, h *runtime.Host, pool, rel string, u *thread.Undo) error {
	ds := ReleaseDS(pool, rel)
	return u.Do("zfs inherit "+FetchedProp+" "+ds, thread.Step{Kind: "release.unmark_fetched", Args: []string{ds}}, func() error {
		return zfs.Set(ctx, h, ds, map[string]string{FetchedProp: "yes"})
	})
}

// Extract unpacks the host file archive into the directory dest as
// FreeBSD's installer does: `chflags -R noschg DEST` first (files of an
// earlier extraction may be immutable), then `tar -C DEST -xf ARCHIVE`.
// It is not undone by itself: extract into a dataset whose creation is
// undone, as fetch does.
func Extract(ctx context.Context, h *runtime.Host, archive, dest string) error {
	for _, p := range []string{archive, dest} {
		if !path.IsAbs(p) || p == "/" {
			return fmt.Errorf("%q is not an absolute host path below /", p)
		}
	}
	if _, err := h.Stat(archive); err != nil {
		return err
	}
	if err := h.Change(ctx, runtime.Chflags, "-R", "noschg", dest); err != nil {
		return err
	}
	return h.Change(ctx, runtime.Tar, "-C", dest, "-xf", archive)
}

var userlandRe = regexp.MustCompile(`(?m)^USERLAND_VERSION="([^"]+)"`)

// Version is the userland version of the system in root (14.3-RELEASE-p1),
// read from root/bin/freebsd-version as freebsd-version -u prints it
// (the script carries it in USERLAND_VERSION), without running it.
func Version(h *runtime.Host, root string) (string, error) {
	b, err := h.ReadFile(strings.TrimRight(root, "/") + "/bin/freebsd-version")
	if err != nil {
		return "", err
	}
	m := userlandRe.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s/bin/freebsd-version: no USERLAND_VERSION", root)
	}
	return string(m[1]), nil
}

// UpdateOptions shape an Update.
type UpdateOptions struct {
	Conf    string // freebsd-update.conf; ROOT/etc/freebsd-update.conf when empty
	Workdir string // ROOT/var/db/freebsd-update/ when empty
	// Snapshot, when set (DATASET@NAME), is taken recursively right before
	// the updates are installed, as a back-out point; on undo the datasets
	// are rolled back to it and it is destroyed.
	Snapshot string
	Output   io.Writer // freebsd-update's output; captured when nil
	Undo     *thread.Undo
	// OSRelDate is the host's __FreeBSD_version, which decides the cron
	// flag; read with `uname -U` when 0.
	OSRelDate int
}

// Updated is what an Update did.
type Updated struct {
	Before, After string // userland versions
	Installed     bool   // updates were installed
	Skipped       string // why nothing was tried, when so
}

// UpdateCmd is one freebsd-update run on the system in root, as iocage
// sends it (lifecycle §1 step 5, §11, with the configuration path fixed):
// UNAME_r=REL PAGER=/bin/cat freebsd-update [--not-running-from-cron]
// -b ROOT -f CONF -d WORKDIR COMMAND. The cron flag goes with fetch only
// (fetch refuses to run without a terminal otherwise), and only when cron
// says the host's freebsd-update knows it (see CronFlagSince).
func UpdateCmd(root, rel, conf, workdir, command string, cron bool) *runtime.Cmd {
	args := []string{}
	if command == "fetch" && cron {
		args = append(args, "--not-running-from-cron")
	}
	args = append(args, "-b", root, "-f", conf, "-d", workdir, command)
	return &runtime.Cmd{Path: runtime.FreebsdUpdate, Env: []string{"UNAME_r=" + rel, "PAGER=/bin/cat"}, Args: args, Change: command != "updatesready"}
}

// Update brings the system in root (a release or a jail of release rel)
// to rel's newest patch level: freebsd-update fetch, then updatesready
// (exit 2: nothing to install), then install. Every exit status is
// checked. A root without a freebsd-update.conf is skipped, with the
// reason in the result.
func Update(ctx context.Context, h *runtime.Host, root, rel string, o UpdateOptions) (Updated, error) {
	var res Updated
	if err := CheckRelease(rel); err != nil {
		return res, err
	}
	if !path.IsAbs(root) || path.Clean(root) == "/" {
		return res, fmt.Errorf("root %q: want the absolute path of a release or jail root, not /", root)
	}
	root = path.Clean(root)
	if o.Conf == "" {
		o.Conf = root + "/etc/freebsd-update.conf"
	}
	if o.Workdir == "" {
		o.Workdir = root + "/var/db/freebsd-update/"
	}
	before, err := Version(h, root)
	if err != nil {
		return res, err
	}
	res.Before, res.After = before, before
	if _, err := h.Stat(o.Conf); errors.Is(err, runtime.ErrNotExist) {
		res.Skipped = o.Conf + " is missing"
		return res, nil
	}
	if o.OSRelDate == 0 {
		if o.OSRelDate, err = OSRelDate(ctx, h); err != nil {
			return res, err
		}
	}
	run := func(command string) error {
		c := UpdateCmd(root, rel, o.Conf, o.Workdir, command, o.OSRelDate >= CronFlagSince)
		c.Stdout, c.Stderr = o.Output, o.Output
		_, err := h.Run(ctx, c)
		return err
	}
	if err := run("fetch"); err != nil {
		return res, err
	}
	err = run("updatesready")
	var ee *runtime.ExitError
	if errors.As(err, &ee) && ee.ExitCode == 2 {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	if o.Snapshot != "" {
		if err := backout(ctx, h, o.Snapshot, o.Undo); err != nil {
			return res, err
		}
	}
	if err := run("install"); err != nil {
		return res, err
	}
	res.Installed = true
	if res.After, err = Version(h, root); err != nil {
		return res, err
	}
	return res, nil
}

// backout takes the recursive snapshot snap and pushes its undo: every
// filesystem that has it is rolled back to it, then it is destroyed.
func backout(ctx context.Context, h *runtime.Host, snap string, u *thread.Undo) error {
	return backoutSnapshot(ctx, h, snap, true, u)
}

// snapshotOnly is backout for the one file system of snap, without its
// descendants (a basejail's base clones are replaced, not rolled back).
func snapshotOnly(ctx context.Context, h *runtime.Host, snap string, u *thread.Undo) error {
	return backoutSnapshot(ctx, h, snap, false, u)
}

func backoutSnapshot(ctx context.Context, h *runtime.Host, snap string, recursive bool, u *thread.Undo) error {
	step := thread.Step{Kind: "release.backout", Args: []string{snap}}
	if recursive {
		step.Args = append(step.Args, "-r")
	}
	return u.Do("zfs rollback "+snap, step, func() error { return zfs.Snapshot(ctx, h, snap, recursive) })
}

// MakeBase makes (or refreshes) the shared base of basejails of rel
// (lifecycle §1 steps 7-10): one lz4 dataset per BaseFilesystems entry
// under POOL/iocage/base/REL/root, then the whole release tree copied in
// (`chflags -R noschg`, then tar from the release root piped into tar in
// the base, skipping .zfs and usr/sbin/chown, a hard link that cannot
// cross the dataset boundary and is remade as a symlink), and, when the
// release has its sources, `etcupdate extract` to seed what basejail
// upgrades merge against. Datasets it creates are destroyed on undo.
// It returns the base datasets.
func MakeBase(ctx context.Context, h *runtime.Host, pool, rel string, u *thread.Undo) ([]string, error) {
	if err := CheckRelease(rel); err != nil {
		return nil, err
	}
	src, dst := ReleaseRoot(rel), BaseRoot(rel)
	if _, err := h.Stat(src + "/bin"); err != nil {
		return nil, fmt.Errorf("release %s is not extracted in %s: %w", rel, src, err)
	}
	made, err := fillBase(ctx, h, pool, rel, src, false, u)
	if err != nil {
		return made, err
	}
	if ents, err := h.ReadDir(src + "/usr/src"); err == nil && len(ents) > 0 {
		if err := h.Change(ctx, runtime.Etcupdate, "extract", "-D", dst, "-s", dst+"/usr/src"); err != nil {
			return made, err
		}
	}
	sort.Strings(made)
	return made, nil
}

// fillBase makes the datasets of the base tree POOL/iocage/base/NAME/root
// that are missing and copies the tree src into it. With clear the base
// filesystems are emptied first, so that what src no longer has goes
// from the base too (none of them has a file system mounted below it).
func fillBase(ctx context.Context, h *runtime.Host, pool, name, src string, clear bool, u *thread.Undo) ([]string, error) {
	dst := BaseRoot(name)
	have, err := existing(ctx, h, pool+"/iocage", "name")
	if err != nil {
		return nil, err
	}
	var made []string
	for _, fs := range BaseFilesystems {
		ds := BaseDS(pool, name) + "/root/" + fs
		if err := create(ctx, h, ds, have, u); err != nil {
			return made, err
		}
		made = append(made, ds)
	}
	if err := h.Change(ctx, runtime.Chflags, "-R", "noschg", dst); err != nil {
		return made, err
	}
	if clear {
		for _, fs := range BaseFilesystems {
			ents, err := h.ReadDir(dst + "/" + fs)
			if err != nil {
				return made, err
			}
			for _, e := range ents {
				if e.Name() == ".zfs" {
					continue
				}
				if err := h.RemoveAll(dst + "/" + fs + "/" + e.Name()); err != nil {
					return made, err
				}
			}
		}
	}
	if err := copyTree(ctx, h, src, dst); err != nil {
		return made, err
	}
	if _, err := h.Lstat(src + "/usr/sbin/chown"); err == nil {
		if _, err := h.Lstat(dst + "/usr/sbin/chown"); errors.Is(err, runtime.ErrNotExist) {
			if err := h.Symlink("../bin/chgrp", dst+"/usr/sbin/chown"); err != nil {
				return made, err
			}
		}
	}
	return made, nil
}

// MakeTemplateBase makes (or refreshes) the base tree of a template, the
// one its basejails share: POOL/iocage/base/UUID/root with one lz4 dataset
// per BaseFilesystems entry, filled with a copy of the template's root
// (tar pipe, as for a release). A tree that exists is refreshed behind the
// back-out snapshot BASE@snap (taken recursively, rolled back when the run
// fails, destroyed when the refresh is done): its base filesystems are
// emptied and filled again, so that what the template no longer has goes
// too. The basejails built on it are unaffected until their next start,
// when they clone the refreshed tree. root must hold no symbolic link
// where a base filesystem or usr is: the copy would not be the template's.
// It returns the base datasets.
func MakeTemplateBase(ctx context.Context, h *runtime.Host, pool, uuid, root, snap string, u *thread.Undo) ([]string, error) {
	for _, dir := range append([]string{"usr"}, BaseFilesystems...) {
		fi, err := h.Lstat(root + "/" + dir)
		if errors.Is(err, runtime.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("template root %s: %s is not a directory (a symbolic link is refused): a basejail's %s is a file system of its own", root, dir, dir)
		}
	}
	top := BaseDS(pool, uuid)
	ok, err := zfs.Exists(ctx, h, top+"/root")
	if err != nil {
		return nil, err
	}
	if ok && snap != "" {
		if err := backout(ctx, h, top+"/root@"+snap, u); err != nil {
			return nil, err
		}
	}
	made, err := fillBase(ctx, h, pool, uuid, root, ok, u)
	if err != nil {
		return made, err
	}
	if ok && snap != "" {
		if err := zfs.Destroy(ctx, h, top+"/root@"+snap, zfs.DestroyOptions{Recursive: true}); err != nil {
			return made, err
		}
	}
	sort.Strings(made)
	return made, nil
}

// tarExcludes are left out of the copy into the base.
var tarExcludes = []string{"--exclude", ".zfs", "--exclude", "usr/sbin/chown"}

// copyTree pipes `tar -cf - .` in src into `tar -xf -` in dst: two host
// processes, nothing staged on disk. If either side fails both stop and
// the error names the side.
func copyTree(ctx context.Context, h *runtime.Host, src, dst string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	packErr := make(chan error, 1)
	go func() {
		_, err := h.Run(ctx, &runtime.Cmd{Path: runtime.Tar, Args: append(append([]string{}, tarExcludes...), "-C", src, "-cf", "-", "."), Stdout: pw})
		pw.CloseWithError(err)
		packErr <- err
	}()
	_, uerr := h.Run(ctx, &runtime.Cmd{Path: runtime.Tar, Args: append(append([]string{}, tarExcludes...), "-C", dst, "-xf", "-"), Stdin: pr, Change: true})
	pr.CloseWithError(errors.New("unpacking ended"))
	if uerr != nil {
		cancel()
	}
	perr := <-packErr
	switch {
	case uerr != nil:
		return fmt.Errorf("copy %s to %s: unpacking: %w", src, dst, uerr)
	case perr != nil:
		return fmt.Errorf("copy %s to %s: packing: %w", src, dst, perr)
	}
	return nil
}

// Info is a downloaded release as List reports it.
type Info struct {
	Release string
	Dataset string
	Version string // userland version of its root ("-" when unreadable)
	Fetched bool   // its fetch finished
	Base    bool   // basejail base exists
}

// List reads the releases on pool: one zfs process plus one file read each.
func List(ctx context.Context, h *runtime.Host, pool string) ([]Info, error) {
	have, err := existing(ctx, h, pool+"/iocage", FetchedProp)
	if err != nil {
		return nil, err
	}
	prefix := pool + "/iocage/releases/"
	var out []Info
	for name, fetched := range have {
		rel, ok := strings.CutPrefix(name, prefix)
		if !ok || strings.Contains(rel, "/") || CheckRelease(rel) != nil {
			continue
		}
		i := Info{Release: rel, Dataset: name, Fetched: fetched == "yes", Version: "-"}
		if v, err := Version(h, ReleaseRoot(rel)); err == nil {
			i.Version = v
		}
		_, i.Base = have[BaseDS(pool, rel)+"/root/bin"]
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Release < out[b].Release })
	return out, nil
}
