// Package release is the Starlark module `release` and the Go operations
// behind it: the FreeBSD releases jails are made from. It finds the mirror
// and the host's release, reads a release's MANIFEST, downloads
// distribution sets (resuming partial files with HTTP Range requests and
// verifying each against the MANIFEST's SHA-256 before it is used),
// extracts them into the release's dataset, applies binary updates with
// freebsd-update, and builds the shared base that basejails clone. The
// flow of `iocage fetch` composing these is recipes/fetch.star.
//
// Every builtin that changes the host pushes its undo, so a fetch that
// fails half-way leaves no half-made release.
//
// Starlark signatures:
//
//	release.mirror() -> str
//	release.host() -> struct(release, version, machine, machine_arch)
//	release.url(release, mirror="") -> str
//	release.manifest(url) -> [struct(file, sha256, count, component, description, default)]
//	release.select(manifest, files=[]) -> [struct(...)]
//	release.prepare(pool, release) -> struct(release, dataset, root, download, new)
//	release.download(url, dest, sha256="", progress=True) -> struct(path, sha256, size, fetched, resumed)
//	release.extract(archive, dest)
//	release.update(root, release, conf="", workdir="", snapshot="") -> struct(before, after, installed, skipped)
//	release.upgrade(root, current, target, conf="", workdir="", snapshot="") -> struct(before, after, passes)
//	release.merge_etc(root, release, snapshot="") -> struct(ran, skipped)
//	release.compare(a, b) -> int
//	release.version(root) -> str
//	release.base(pool, release) -> [str]
//	release.mark_fetched(pool, release)
//	release.list(pool) -> [struct(release, dataset, version, fetched, base)]
package release

import (
	"context"
	"fmt"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// Docs documents the module and every builtin; the first line of each is
// its signature.
var Docs = map[string]string{
	"release": "release: FreeBSD releases, the systems jails are made from.\n\n" +
		"A release lives in POOL/iocage/releases/REL/root (extracted distribution\nsets, patched by freebsd-update), " +
		"its downloads in /iocage/download/REL, and\nthe base basejails share in POOL/iocage/base/REL/root. " +
		"Changes are undone\nwhen the run fails.",
	"release.mirror": "release.mirror() -> str\n\nThe default mirror's base URL: the mirror the host names, if any (a\n" +
		"local one, as on a test host), else https://download.freebsd.org. No host command.",
	"release.host": "release.host() -> struct(release, version, machine, machine_arch)\n\nThe host's release (uname -r without " +
		"the patch level), full version, machine\n(uname -m) and machine_arch (uname -p), in one uname.",
	"release.url": "release.url(release, mirror=\"\") -> str\n\nThe directory of release's distribution sets on mirror (default\n" +
		"release.mirror()): MIRROR/releases/MACHINE/MACHINE_ARCH/RELEASE, the\nhost's architecture from one uname. " +
		"Fails on a malformed release or URL.",
	"release.manifest": "release.manifest(url) -> list of struct(file, sha256, count, component, description, default)\n\n" +
		"Downloads URL/MANIFEST (url is a distribution directory) into memory and\nparses it. Fails naming the URL when it " +
		"cannot be fetched or read.",
	"release.select": "release.select(manifest, files=[]) -> list of struct\n\nThe MANIFEST entries of files (default: base.txz " +
		"and lib32.txz, those the\nrelease has). Fails on a file the release lacks, naming what it has, and\nwhen base.txz " +
		"is not among them. No host access.",
	"release.prepare": "release.prepare(pool, release) -> struct(release, dataset, root, download, new)\n\nCreates, when missing, " +
		"POOL/iocage/download/REL and POOL/iocage/releases/REL/root\n(zfs create -o compression=lz4 -p). new is True " +
		"unless a fetch of the\nrelease finished before (release.mark_fetched). Undone by destroying what\nit created.",
	"release.download": "release.download(url, dest, sha256=\"\", progress=True) -> struct(path, sha256, size, fetched, resumed)\n\n" +
		"Downloads url to the host file dest through dest.part, resuming a partial\nfile with an HTTP Range request. " +
		"With sha256, a dest that has it already\nis kept (fetched=False) and a download that does not match is removed " +
		"and\nfails (\"sha256 mismatch\"). A progress line goes to stderr when progress\nand stderr is a terminal. " +
		"Undone by removing a file it created.",
	"release.extract": "release.extract(archive, dest)\n\nUnpacks the host file archive into directory dest: `chflags -R noschg " +
		"DEST`,\nthen `tar -C DEST -xf ARCHIVE`. Not undone by itself: extract into a\ndataset whose creation is undone.",
	"release.update": "release.update(root, release, conf=\"\", workdir=\"\", snapshot=\"\") -> struct(before, after, installed, skipped)\n\n" +
		"Applies release's binary updates to the system in root: freebsd-update\nfetch, updatesready, install (UNAME_r=RELEASE " +
		"PAGER=/bin/cat, -b ROOT -f\nCONF -d WORKDIR; conf defaults to ROOT/etc/freebsd-update.conf, workdir\nto " +
		"ROOT/var/db/freebsd-update/). The cron flag (--not-running-from-cron, with\nfetch) is passed when the host's " +
		"uname -U is at least 1002000. With\nsnapshot (DATASET@NAME), that recursive snapshot is taken before\ninstalling; " +
		"undone by rolling back to it. before and after are the\nuserland versions; skipped says why nothing was tried " +
		"(no\nfreebsd-update.conf).",
	"release.upgrade": "release.upgrade(root, current, target, conf=\"\", workdir=\"\", snapshot=\"\") -> struct(before, after, passes)\n\n" +
		"Upgrades the system in root from release current to the newer target:\nfreebsd-update upgrade, then install while " +
		"updatesready says something is\nleft (at most 5 passes); UNAME_r=CURRENT PAGER=/bin/cat, -b ROOT -f CONF\n-d WORKDIR " +
		"-r TARGET (conf and workdir default as for release.update).\nWith snapshot (DATASET@NAME) that recursive snapshot " +
		"is taken first;\nundone by rolling back to it. Fails unless the userland version is of\ntarget afterwards. " +
		"freebsd-update's questions are answered from the run's\nstandard input on a terminal.",
	"release.merge_etc": "release.merge_etc(root, release, snapshot=\"\") -> struct(ran, skipped)\n\n" +
		"Merges /etc of the basejail in root with release's changes: `etcupdate -D\nROOT -F -s SRC` with the sources of " +
		"release's base (/iocage/base/REL/root/\nusr/src), then `etcupdate status -D ROOT`; fails when etcupdate fails " +
		"or\nleaves conflicts. Without those sources nothing runs and skipped says why.\nWith snapshot (DATASET@NAME) " +
		"that snapshot (of that dataset only) is taken\nfirst; undone by rolling back to it.",
	"release.compare": "release.compare(a, b) -> int\n\n-1, 0 or 1 as release or patch level a is older than, the same as or " +
		"newer\nthan b (14.2-RELEASE < 14.3-RC1 < 14.3-RELEASE < 14.3-RELEASE-p1). No host\naccess; fails on a malformed name.",
	"release.version": "release.version(root) -> str\n\nThe userland version of the system in root (14.3-RELEASE-p1), as\n" +
		"freebsd-version -u prints it, read from ROOT/bin/freebsd-version.",
	"release.base": "release.base(pool, release) -> list of str\n\nMakes or refreshes the base basejails of release clone: one lz4 " +
		"dataset\nper base filesystem under POOL/iocage/base/REL/root (bin boot lib libexec\nrescue sbin usr/bin usr/include " +
		"usr/lib usr/libexec usr/sbin usr/share\nusr/src usr/libdata usr/lib32) and the whole release tree copied in " +
		"(tar\npipe). Returns the base datasets. Undone by destroying the datasets it\ncreated.",
	"release.mark_fetched": "release.mark_fetched(pool, release)\n\nRecords that the fetch of release finished " +
		"(org.freebsd.iocage:fetched=yes\non POOL/iocage/releases/REL), the last step of a fetch. Undone by clearing\nthe mark.",
	"release.list": "release.list(pool) -> list of struct(release, dataset, version, fetched, base)\n\nThe releases on pool, " +
		"sorted: version is the userland patch level, fetched\nwhether its fetch finished, base whether basejails can be " +
		"made from it.\nOne zfs process.",
}

// NewModule returns the release module driving h.
func NewModule(h *runtime.Host) *starlarkstruct.Module {
	m := &module{h: h}
	fns := map[string]thread.Func{
		"mirror": m.mirror, "host": m.host, "url": m.url, "manifest": m.manifest, "select": m.selectFiles,
		"prepare": m.prepare, "download": m.download, "extract": m.extract, "update": m.update,
		"version": m.version, "base": m.base, "mark_fetched": m.markFetched, "list": m.list,
		"upgrade": m.upgrade, "merge_etc": m.mergeEtc, "compare": compare,
	}
	return thread.Module("release", fns)
}

type module struct{ h *runtime.Host }

func (m *module) hostOf(t *starlark.Thread) (*runtime.Host, error) {
	h := m.h
	if h == nil {
		h = thread.Host(t)
	}
	if h == nil {
		return nil, fmt.Errorf("no host")
	}
	return h, nil
}

func ctxOf(t *starlark.Thread) context.Context { return thread.Context(t) }

func fail(b *starlark.Builtin, err error) (starlark.Value, error) {
	return nil, fmt.Errorf("%s: %w", b.Name(), err)
}

func mkstruct(name string, d starlark.StringDict) *starlarkstruct.Struct {
	return starlarkstruct.FromStringDict(starlark.String(name), d)
}

func (m *module) mirror(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	h, err := m.hostOf(t)
	if err != nil {
		return fail(b, err)
	}
	u, err := Mirror(h)
	if err != nil {
		return fail(b, err)
	}
	return starlark.String(u), nil
}

func (m *module) host(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	h, err := m.hostOf(t)
	if err != nil {
		return fail(b, err)
	}
	hi, err := Host(ctxOf(t), h)
	if err != nil {
		return fail(b, err)
	}
	return mkstruct("release.hostinfo", starlark.StringDict{
		"release": starlark.String(hi.Release), "version": starlark.String(hi.Version),
		"machine": starlark.String(hi.Machine), "machine_arch": starlark.String(hi.MachineArch),
	}), nil
}

func (m *module) url(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var rel, mirror string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "release", &rel, "mirror?", &mirror); err != nil {
		return nil, err
	}
	if err := CheckRelease(rel); err != nil {
		return fail(b, err)
	}
	h, err := m.hostOf(t)
	if err != nil {
		return fail(b, err)
	}
	if mirror == "" {
		if mirror, err = Mirror(h); err != nil {
			return fail(b, err)
		}
	}
	if _, err := CheckURL("mirror", mirror); err != nil {
		return fail(b, err)
	}
	hi, err := Host(ctxOf(t), h)
	if err != nil {
		return fail(b, err)
	}
	u, err := DistURL(mirror, hi.Machine, hi.MachineArch, rel)
	if err != nil {
		return fail(b, err)
	}
	return starlark.String(u), nil
}

func entryValue(e ManifestEntry) starlark.Value {
	return mkstruct("release.file", starlark.StringDict{
		"file": starlark.String(e.File), "sha256": starlark.String(e.SHA256), "count": starlark.MakeInt(e.Count),
		"component": starlark.String(e.Component), "description": starlark.String(e.Description), "default": starlark.Bool(e.Default),
	})
}

func (m *module) manifest(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var u string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "url", &u); err != nil {
		return nil, err
	}
	es, err := FetchManifest(ctxOf(t), nil, u)
	if err != nil {
		return fail(b, err)
	}
	out := make([]starlark.Value, len(es))
	for i, e := range es {
		out[i] = entryValue(e)
	}
	return starlark.NewList(out), nil
}

// entryOf converts a release.file struct back.
func entryOf(v starlark.Value) (ManifestEntry, error) {
	s, ok := v.(*starlarkstruct.Struct)
	if !ok {
		return ManifestEntry{}, fmt.Errorf("got %s, want a release.file from release.manifest", v.Type())
	}
	var e ManifestEntry
	str := func(name string) string {
		x, _ := s.Attr(name)
		if sv, ok := x.(starlark.String); ok {
			return string(sv)
		}
		return ""
	}
	e.File, e.SHA256, e.Component, e.Description = str("file"), str("sha256"), str("component"), str("description")
	if x, _ := s.Attr("count"); x != nil {
		_ = starlark.AsInt(x, &e.Count)
	}
	if x, _ := s.Attr("default"); x != nil {
		e.Default = bool(x.Truth())
	}
	if e.File == "" || !sha256Re.MatchString(e.SHA256) {
		return e, fmt.Errorf("%s is not a release.file from release.manifest", v)
	}
	return e, nil
}

func (m *module) selectFiles(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var man, files *starlark.List
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "manifest", &man, "files?", &files); err != nil {
		return nil, err
	}
	var es []ManifestEntry
	for i := 0; i < man.Len(); i++ {
		e, err := entryOf(man.Index(i))
		if err != nil {
			return fail(b, err)
		}
		es = append(es, e)
	}
	var want []string
	if files != nil {
		for i := 0; i < files.Len(); i++ {
			s, ok := starlark.AsString(files.Index(i))
			if !ok {
				return nil, fmt.Errorf("%s: files: got %s, want str", b.Name(), files.Index(i).Type())
			}
			want = append(want, s)
		}
	}
	sel, err := SelectFiles(es, want)
	if err != nil {
		return fail(b, err)
	}
	out := make([]starlark.Value, len(sel))
	for i, e := range sel {
		out[i] = entryValue(e)
	}
	return starlark.NewList(out), nil
}

// poolRelease unpacks the (pool, release) arguments of the release-tree
// builtins and gets the run's host.
func (m *module) poolRelease(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (string, string, *runtime.Host, error) {
	var pool, rel string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "pool", &pool, "release", &rel); err != nil {
		return "", "", nil, err
	}
	h, err := m.hostOf(t)
	if err != nil {
		return "", "", nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return pool, rel, h, nil
}

func (m *module) prepare(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	pool, rel, h, err := m.poolRelease(t, b, args, kwargs)
	if err != nil {
		return nil, err
	}
	d, err := Prepare(ctxOf(t), h, pool, rel, thread.UndoOf(t))
	if err != nil {
		return fail(b, err)
	}
	return mkstruct("release.datasets", starlark.StringDict{
		"release": starlark.String(d.Release), "dataset": starlark.String(d.Dataset), "root": starlark.String(d.Root),
		"download": starlark.String(d.Download), "new": starlark.Bool(d.New),
	}), nil
}

func (m *module) download(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var u, dest, sum string
	progress := true
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "url", &u, "dest", &dest, "sha256?", &sum, "progress?", &progress); err != nil {
		return nil, err
	}
	h, err := m.hostOf(t)
	if err != nil {
		return fail(b, err)
	}
	o := DownloadOptions{SHA256: strings.ToLower(sum), Undo: thread.UndoOf(t)}
	if progress {
		o.Progress = thread.Progress(t)
	}
	d, err := Download(ctxOf(t), h, u, dest, o)
	if err != nil {
		return fail(b, err)
	}
	return mkstruct("release.download", starlark.StringDict{
		"path": starlark.String(d.Path), "sha256": starlark.String(d.SHA256), "size": starlark.MakeInt64(d.Size),
		"fetched": starlark.Bool(d.Fetched), "resumed": starlark.Bool(d.Resumed),
	}), nil
}

func (m *module) extract(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var archive, dest string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "archive", &archive, "dest", &dest); err != nil {
		return nil, err
	}
	h, err := m.hostOf(t)
	if err != nil {
		return fail(b, err)
	}
	if err := Extract(ctxOf(t), h, archive, dest); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) update(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var root, rel string
	var o UpdateOptions
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "root", &root, "release", &rel, "conf?", &o.Conf,
		"workdir?", &o.Workdir, "snapshot?", &o.Snapshot); err != nil {
		return nil, err
	}
	if o.Snapshot != "" && !strings.Contains(o.Snapshot, "@") {
		return nil, fmt.Errorf("%s: snapshot %q: want DATASET@NAME", b.Name(), o.Snapshot)
	}
	h, err := m.hostOf(t)
	if err != nil {
		return fail(b, err)
	}
	o.Undo = thread.UndoOf(t)
	r, err := Update(ctxOf(t), h, root, rel, o)
	if err != nil {
		return fail(b, err)
	}
	return mkstruct("release.updated", starlark.StringDict{
		"before": starlark.String(r.Before), "after": starlark.String(r.After),
		"installed": starlark.Bool(r.Installed), "skipped": starlark.String(r.Skipped),
	}), nil
}

func (m *module) version(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var root string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "root", &root); err != nil {
		return nil, err
	}
	h, err := m.hostOf(t)
	if err != nil {
		return fail(b, err)
	}
	v, err := Version(h, root)
	if err != nil {
		return fail(b, err)
	}
	return starlark.String(v), nil
}

func (m *module) base(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	pool, rel, h, err := m.poolRelease(t, b, args, kwargs)
	if err != nil {
		return nil, err
	}
	made, err := MakeBase(ctxOf(t), h, pool, rel, thread.UndoOf(t))
	if err != nil {
		return fail(b, err)
	}
	out := make([]starlark.Value, len(made))
	for i, s := range made {
		out[i] = starlark.String(s)
	}
	return starlark.NewList(out), nil
}

func (m *module) markFetched(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pool, rel string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "pool", &pool, "release", &rel); err != nil {
		return nil, err
	}
	if err := CheckRelease(rel); err != nil {
		return fail(b, err)
	}
	h, err := m.hostOf(t)
	if err != nil {
		return fail(b, err)
	}
	if err := MarkFetched(ctxOf(t), h, pool, rel, thread.UndoOf(t)); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) list(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pool string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "pool", &pool); err != nil {
		return nil, err
	}
	h, err := m.hostOf(t)
	if err != nil {
		return fail(b, err)
	}
	rs, err := List(ctxOf(t), h, pool)
	if err != nil {
		return fail(b, err)
	}
	out := make([]starlark.Value, len(rs))
	for i, r := range rs {
		out[i] = mkstruct("release.info", starlark.StringDict{
			"release": starlark.String(r.Release), "dataset": starlark.String(r.Dataset), "version": starlark.String(r.Version),
			"fetched": starlark.Bool(r.Fetched), "base": starlark.Bool(r.Base),
		})
	}
	return starlark.NewList(out), nil
}

func (m *module) upgrade(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var root, current, target string
	var o UpgradeOptions
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "root", &root, "current", &current, "target", &target, "conf?", &o.Conf,
		"workdir?", &o.Workdir, "snapshot?", &o.Snapshot); err != nil {
		return nil, err
	}
	if o.Snapshot != "" && !strings.Contains(o.Snapshot, "@") {
		return nil, fmt.Errorf("%s: snapshot %q: want DATASET@NAME", b.Name(), o.Snapshot)
	}
	h, err := m.hostOf(t)
	if err != nil {
		return fail(b, err)
	}
	run := thread.Get(t)
	o.Undo = run.Undo
	if run.Interactive {
		o.Stdin, o.Output = run.Stdin, run.Stderr
	}
	r, err := Upgrade(ctxOf(t), h, root, current, target, o)
	if err != nil {
		return fail(b, err)
	}
	return mkstruct("release.upgraded", starlark.StringDict{
		"before": starlark.String(r.Before), "after": starlark.String(r.After), "passes": starlark.MakeInt(r.Passes),
	}), nil
}

func (m *module) mergeEtc(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var root, rel, snap string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "root", &root, "release", &rel, "snapshot?", &snap); err != nil {
		return nil, err
	}
	if snap != "" && !strings.Contains(snap, "@") {
		return nil, fmt.Errorf("%s: snapshot %q: want DATASET@NAME", b.Name(), snap)
	}
	h, err := m.hostOf(t)
	if err != nil {
		return fail(b, err)
	}
	r, err := MergeEtc(ctxOf(t), h, root, rel, snap, thread.UndoOf(t))
	if err != nil {
		return fail(b, err)
	}
	return mkstruct("release.merged", starlark.StringDict{"ran": starlark.Bool(r.Ran), "skipped": starlark.String(r.Skipped)}), nil
}

func compare(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a, c string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "a", &a, "b", &c); err != nil {
		return nil, err
	}
	n, err := Compare(a, c)
	if err != nil {
		return fail(b, err)
	}
	return starlark.MakeInt(n), nil
}
