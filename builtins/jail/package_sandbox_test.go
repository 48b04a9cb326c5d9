package jail_test

// Differential packages (export --incremental, and their import) on the
// sandbox: a release clone's changes travel in a tar stream and come back
// over the release; a missing release, another patch level and hostile
// archives are refused and leave nothing.

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
	"github.com/iocage/iocage/starlib"
)

// pkTree describes every entry of the local directory dir: type, mode,
// owner, size, time (but of the top and of symlinks, whose times are not
// carried), contents' hash or link target, and inode group for hard links.
func pkTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	inodes := map[uint64]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%v %d:%d", fi.Mode(), st.Uid, st.Gid)
		if rel != "." && fi.Mode()&fs.ModeSymlink == 0 {
			desc += " " + fi.ModTime().UTC().Format("2006-01-02T15:04:05.000000000")
		}
		switch {
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %d %x", len(b), sha256.Sum256(b))
			if st.Nlink > 1 {
				if first, ok := inodes[st.Ino]; ok {
					desc += " =" + first
				} else {
					inodes[st.Ino] = rel
				}
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			desc += " -> " + l
		}
		out[rel] = desc
		return nil
	})
	must(t, err)
	return out
}

// pkJail makes the release clone web and changes its root: a 100 KB file
// and a directory added, a file rewritten, one removed, a mode and an
// owner changed, a symlink and a hard link added.
func pkJail(t *testing.T, s *sandboxtest.Sandbox) (uuid, root string) {
	t.Helper()
	uuid = crMake1(t, s.Host, "create", map[string]starlark.Value{"clone": starlark.True,
		"props": crProps("tag", "web", "release", crRel, "notes", "travels")})
	root = s.Host.LocalPath("/iocage/jails/" + uuid + "/root")
	big := bytes.Repeat([]byte("0123456789abcdef"), 100*1024/16)
	must(t, os.WriteFile(root+"/root/big.bin", big, 0o600))
	must(t, os.MkdirAll(root+"/usr/local/etc/app", 0o750))
	must(t, os.WriteFile(root+"/usr/local/etc/app/app.conf", []byte("listen 80\n"), 0o640))
	must(t, os.Chown(root+"/usr/local/etc/app/app.conf", 80, 80))
	must(t, os.WriteFile(root+"/etc/motd", []byte("welcome to web\n"), 0o644))
	must(t, os.Remove(root+"/etc/shells"))
	must(t, os.Chmod(root+"/etc/hosts", 0o600))
	must(t, os.Symlink("/etc/master.passwd", root+"/root/pw"))
	must(t, os.WriteFile(root+"/root/a", []byte("linked\n"), 0o644))
	must(t, os.Link(root+"/root/a", root+"/root/b"))
	return uuid, root
}

func pkExport(t *testing.T, s *sandboxtest.Sandbox, name, file string, incremental bool) (string, error) {
	t.Helper()
	kw := map[string]starlark.Value{"name": str(name), "file": str(file), "force": starlark.True}
	if incremental {
		kw["incremental"] = starlark.True
	}
	_, out, err := stRun(t, s, "export", kw)
	return out, err
}

func pkDestroy(t *testing.T, s *sandboxtest.Sandbox, name string) {
	t.Helper()
	if _, out, err := stRunIn(t, s, "destroy", map[string]starlark.Value{"names": starlark.NewList([]starlark.Value{str(name)}), "force": starlark.True}, ""); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
}

func TestPackageExportDestroyImport(t *testing.T) {
	s := sandboxtest.New(t)
	crFetched(t, s, false)
	uuid, root := pkJail(t, s)
	want := pkTree(t, root)
	mp := s.Host.LocalPath("/iocage/jails/" + uuid)
	wantFstab, err := os.ReadFile(mp + "/fstab")
	must(t, err)
	before := stState(t, s)
	ctx := context.Background()

	if out, err := pkExport(t, s, "web", "/var/tmp/web.zfs", false); err != nil {
		t.Fatalf("full export: %v\n%s", err, out)
	}
	out, err := pkExport(t, s, "web", "/var/tmp/web.tar", true)
	if err != nil {
		t.Fatalf("export --incremental: %v\n%s", err, out)
	}
	if d := cmp.Diff(before, stState(t, s)); d != "" {
		t.Errorf("export --incremental left (-before +after):\n%s", d)
	}
	full, err := os.Stat(s.Host.LocalPath("/var/tmp/web.zfs"))
	must(t, err)
	diff, err := os.Stat(s.Host.LocalPath("/var/tmp/web.tar"))
	must(t, err)
	refd, err := s.Host.Output(ctx, "/sbin/zfs", "get", "-H", "-p", "-o", "value", "referenced", s.Pool+"/iocage/jails/"+uuid+"/root", s.Pool+"/iocage/releases/"+crRel+"/root")
	must(t, err)
	t.Logf("jail with a 100 KB file added and small changes: full export %d bytes, incremental %d bytes (referenced: jail root, release root %q)", full.Size(), diff.Size(), refd)
	// The 100 KB file, a few small ones, and a header of 512 bytes or
	// more for each.
	if diff.Size() > 128<<10 || diff.Size()*2 > full.Size() {
		t.Errorf("incremental export %d bytes, full %d: want under 128 KiB and half the full one", diff.Size(), full.Size())
	}

	// For scale: the full export of an independent jail with the same
	// changes (a clone's full stream is itself relative to its origin).
	std := crMake1(t, s.Host, "create", map[string]starlark.Value{"props": crProps("tag", "std", "release", crRel)})
	must(t, os.WriteFile(s.Host.LocalPath("/iocage/jails/"+std+"/root/root/big.bin"), bytes.Repeat([]byte("0123456789abcdef"), 100*1024/16), 0o600))
	if out, err := pkExport(t, s, "std", "/var/tmp/std.zfs", false); err != nil {
		t.Fatalf("full export of std: %v\n%s", err, out)
	}
	stdFull, err := os.Stat(s.Host.LocalPath("/var/tmp/std.zfs"))
	must(t, err)
	t.Logf("full export of an independent jail with the 100 KB file: %d bytes", stdFull.Size())
	pkDestroy(t, s, "std")

	// FreeBSD's tar lists it; GNU tar stands in for it here.
	list, err := exec.Command("tar", "-tf", s.Host.LocalPath("/var/tmp/web.tar")).CombinedOutput()
	if err != nil {
		t.Fatalf("tar -t: %v\n%s", err, list)
	}
	names := strings.Fields(string(list))
	if len(names) == 0 || names[0] != jail.PackageManifest {
		t.Errorf("first member: %v", names)
	}
	for _, n := range []string{"root/root/big.bin", "root/usr/local/etc/app/app.conf", "root/etc/motd", "root/root/pw", "fstab"} {
		if !strings.Contains(string(list), n+"\n") {
			t.Errorf("member %s missing from:\n%s", n, list)
		}
	}
	if strings.Contains(string(list), "root/bin/") {
		t.Errorf("unchanged release files in the package:\n%s", list)
	}
	f, err := os.Open(s.Host.LocalPath("/var/tmp/web.tar"))
	must(t, err)
	m, _, err := jail.ScanPackage(f)
	f.Close()
	must(t, err)
	if m.Release != crRel || m.Origin != "release" || m.UUID != uuid || m.Properties["notes"] != "travels" {
		t.Errorf("manifest: %+v", m)
	}
	if d := cmp.Diff([]string{"root/etc/shells"}, m.Removed); d != "" {
		t.Errorf("removed (-want +got):\n%s", d)
	}

	// To standard output: the same package.
	var stdout, stderr bytes.Buffer
	in := starlib.New(starlib.Options{Host: s.Host, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, SiteDir: "/nonexistent"})
	if _, err := in.CallMain(ctx, starlib.ShippedPrefix+"export.star", []starlark.Tuple{{str("name"), str("web")}, {str("file"), str("-")}, {str("incremental"), starlark.True}}); err != nil {
		t.Fatalf("export --incremental web -: %v\n%s", err, stderr.String())
	}
	if sm, _, err := jail.ScanPackage(&stdout); err != nil || sm.UUID != uuid || len(sm.Removed) != len(m.Removed) {
		t.Errorf("package on standard output: %+v, %v", sm, err)
	}

	pkDestroy(t, s, "web")
	v, out, err := stRun(t, s, "import", map[string]starlark.Value{"file": str("/var/tmp/web.tar")})
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if d := cmp.Diff([]map[string]string{{"uuid": uuid, "tag": "web"}}, trRows(t, v)); d != "" {
		t.Errorf("import rows (-want +got):\n%s", d)
	}
	if !strings.Contains(out, "Made from "+crRel) {
		t.Errorf("import output:\n%s", out)
	}
	if d := cmp.Diff(want, pkTree(t, root)); d != "" {
		t.Errorf("imported root (-exported +imported):\n%s", d)
	}
	if b, err := os.ReadFile(mp + "/fstab"); err != nil || !bytes.Equal(b, wantFstab) {
		t.Errorf("fstab: %q, %v", b, err)
	}
	js, err := jail.List(ctx, s.Host, s.Pool)
	must(t, err)
	j, err := jail.Find(js, "web")
	must(t, err)
	if j.Props["notes"] != "travels" || j.Props["release"] != crRel || j.Props["type"] != "jail" {
		t.Errorf("imported properties: notes %q release %q type %q", j.Props["notes"], j.Props["release"], j.Props["type"])
	}
	if sh := crShape(t, s.Host, s.Pool, uuid); len(sh) != 3 || !strings.Contains(sh[2], "POOL/iocage/releases/"+crRel+"/root@UUID") {
		t.Errorf("imported jail's datasets: %q", sh)
	}
	if l, err := s.Host.Readlink("/iocage/tags/web"); err != nil || l != "/iocage/jails/"+uuid {
		t.Errorf("tag link: %q, %v", l, err)
	}

	// Again, from standard input: a second jail, a fresh UUID.
	data, err := os.ReadFile(s.Host.LocalPath("/var/tmp/web.tar"))
	must(t, err)
	v, out, err = stRunIn(t, s, "import", map[string]starlark.Value{"file": str("-")}, string(data))
	if err != nil {
		t.Fatalf("import -: %v\n%s", err, out)
	}
	r := trRows(t, v)
	if len(r) != 1 || r[0]["uuid"] == uuid || r[0]["tag"] != "web_2" {
		t.Fatalf("second import rows: %v", r)
	}
	rc, err := os.ReadFile(s.Host.LocalPath("/iocage/jails/" + r[0]["uuid"] + "/root/etc/rc.conf"))
	if err != nil || !strings.Contains(string(rc), r[0]["uuid"]) || strings.Contains(string(rc), uuid) {
		t.Errorf("rc.conf of the second import: %q, %v", rc, err)
	}
}

// pkRewrite writes a package with manifest m and the members of the
// package at src whose names keep says, then extra.
type pkMember struct {
	hdr  tar.Header
	body string
}

func pkWrite(t *testing.T, path string, m *jail.Manifest, members []pkMember) {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	mb, err := json.Marshal(m)
	must(t, err)
	must(t, tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: jail.PackageManifest, Mode: 0o644, Size: int64(len(mb))}))
	_, err = tw.Write(mb)
	must(t, err)
	for _, mem := range members {
		h := mem.hdr
		h.Size = int64(len(mem.body))
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		must(t, tw.WriteHeader(&h))
		_, err := tw.Write([]byte(mem.body))
		must(t, err)
	}
	must(t, tw.Close())
	must(t, os.WriteFile(path, b.Bytes(), 0o600))
}

func TestPackageImportRefusals(t *testing.T) {
	s := sandboxtest.New(t)
	crFetched(t, s, false)
	pkJail(t, s)
	if out, err := pkExport(t, s, "web", "/var/tmp/web.tar", true); err != nil {
		t.Fatalf("export --incremental: %v\n%s", err, out)
	}
	pkDestroy(t, s, "web")
	f, err := os.Open(s.Host.LocalPath("/var/tmp/web.tar"))
	must(t, err)
	genuine, _, err := jail.ScanPackage(f)
	f.Close()
	must(t, err)
	before := stState(t, s)
	pwned := s.Host.LocalPath("/tmp/pwned")
	_ = os.Remove(pwned)
	imp := func(name, file, want string) {
		t.Helper()
		_, out, err := stRun(t, s, "import", map[string]starlark.Value{"file": str(file)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: import = %v, want an error with %q\n%s", name, err, want, out)
		}
		if d := cmp.Diff(before, stState(t, s)); d != "" {
			t.Errorf("%s: the failed import left (-before +after):\n%s", name, d)
		}
		if _, err := os.Lstat(pwned); err == nil {
			t.Errorf("%s: a file was written outside the jail", name)
			_ = os.Remove(pwned)
		}
	}

	// Another release: not fetched here.
	m := *genuine
	m.Release = "13.2-RELEASE"
	m.Userland = "13.2-RELEASE-p4"
	pkWrite(t, s.Host.LocalPath("/var/tmp/rel.tar"), &m, nil)
	imp("missing release", "/var/tmp/rel.tar", "was exported against 13.2-RELEASE (patch 4), which this host has not fetched: `iocage fetch release=13.2-RELEASE`")

	// The same release at another patch level.
	fv := "/iocage/releases/" + crRel + "/root/bin/freebsd-version"
	old, err := s.Host.ReadFile(fv)
	must(t, err)
	must(t, s.Host.WriteFile(fv, bytes.Replace(old, []byte(`USERLAND_VERSION="`+genuine.Userland+`"`), []byte(`USERLAND_VERSION="14.3-RELEASE-p7"`), 1), 0o555))
	imp("patch level", "/var/tmp/web.tar", "was exported against "+crRel+" (patch 0), userland "+genuine.Userland+"; this host's "+crRel+" is at 14.3-RELEASE-p7 (patch 7)")
	must(t, s.Host.WriteFile(fv, old, 0o555))

	// A template origin whose template is not here.
	m = *genuine
	m.Origin, m.Template, m.TemplateTag = "template", "11111111-2222-4333-8444-555555555555", "base"
	pkWrite(t, s.Host.LocalPath("/var/tmp/tpl.tar"), &m, nil)
	imp("missing template", "/var/tmp/tpl.tar", "the template base (11111111-2222-4333-8444-555555555555) at "+genuine.Userland+", which this host does not have")

	reg := func(name, body string) pkMember {
		return pkMember{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name}, body: body}
	}
	for _, c := range []struct {
		name    string
		members []pkMember
		removed []string
		want    string
	}{
		{"dot-dot", []pkMember{reg("root/../../../../tmp/pwned", "x")}, nil, "want a clean relative path"},
		{"absolute", []pkMember{reg("/tmp/pwned", "x")}, nil, "want a clean relative path"},
		{"beside root with a path", []pkMember{reg("sub/pwned", "x")}, nil, "want a clean relative path"},
		{"symlink escape", []pkMember{
			{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "root/esc", Linkname: "/../../../../tmp"}},
			reg("root/esc/pwned", "x")}, nil, "root/esc is a symbolic link, not a directory"},
		{"symlink inside", []pkMember{
			{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "root/e2", Linkname: "etc"}},
			reg("root/e2/pwned", "x")}, nil, "a package's path never goes through one"},
		{"hard link outside", []pkMember{
			{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "root/hl", Linkname: "root/etc/master.passwd"}}}, nil, "which is no regular file before it in the package"},
		{"hard link dot-dot", []pkMember{
			{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "root/hl", Linkname: "root/../../../../etc/passwd"}}}, nil, "want a member below root/"},
		{"device", []pkMember{{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "root/dev/kmem", Devmajor: 1, Devminor: 1}}}, nil, "a character device"},
		{"fifo", []pkMember{{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "root/fifo"}}}, nil, "a FIFO"},
		{"removed dot-dot", nil, []string{"root/../../../tmp"}, "want a clean path below root/"},
		{"removed beside root", nil, []string{"fstab"}, "want a clean path below root/"},
		{"setuid beyond bits", []pkMember{{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "root/x", Mode: 0o170755}}}, nil, "bits beyond permissions"},
	} {
		m := *genuine
		m.Removed = c.removed
		pkWrite(t, s.Host.LocalPath("/var/tmp/bad.tar"), &m, c.members)
		imp(c.name, "/var/tmp/bad.tar", c.want)
	}

	// A hostile property value.
	m = *genuine
	m.Properties = map[string]string{}
	for k, v := range genuine.Properties {
		m.Properties[k] = v
	}
	m.Properties["quota"] = "lots"
	pkWrite(t, s.Host.LocalPath("/var/tmp/bad.tar"), &m, nil)
	imp("bad quota", "/var/tmp/bad.tar", "quota")
	m.Properties["quota"] = "none"
	m.Properties["mountpoint"] = "/"
	pkWrite(t, s.Host.LocalPath("/var/tmp/bad.tar"), &m, nil)
	imp("mountpoint", "/var/tmp/bad.tar", "mountpoint is not one a package sets")

	// A truncated package, and every sampled failed step of an import.
	data, err := os.ReadFile(s.Host.LocalPath("/var/tmp/web.tar"))
	must(t, err)
	must(t, os.WriteFile(s.Host.LocalPath("/var/tmp/cut.tar"), data[:len(data)*2/3], 0o600))
	imp("truncated", "/var/tmp/cut.tar", "breaks off")
	stEachFailure(t, s, "import", 60, 1, func() string { return stState(t, s) }, func() (string, error) {
		_, out, err := stRun(t, s, "import", map[string]starlark.Value{"file": str("/var/tmp/web.tar")})
		return out, err
	})
}

func TestPackageExportRefusals(t *testing.T) {
	s := sandboxtest.New(t)
	crFetched(t, s, false)
	ctx := context.Background()
	std := crMake1(t, s.Host, "create", map[string]starlark.Value{"props": crProps("tag", "std", "release", crRel)})
	cl := crMake1(t, s.Host, "create", map[string]starlark.Value{"clone": starlark.True, "props": crProps("tag", "cl", "release", crRel)})
	must(t, s.Host.Change(ctx, "/sbin/zfs", "create", s.Pool+"/iocage/jails/"+cl+"/root/home"))
	before := stState(t, s)
	for _, c := range []struct{ name, want string }{
		{"std", std + " (std) was not cloned from a release or a template (its root has no origin): there is nothing to differ from; `iocage export std` (without --incremental) writes all of it"},
		{"cl", "has datasets a package does not carry: " + s.Pool + "/iocage/jails/" + cl + "/root/home"},
	} {
		out, err := pkExport(t, s, c.name, "/var/tmp/x.tar", true)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("export --incremental %s = %v, want %q\n%s", c.name, err, c.want, out)
		}
		if d := cmp.Diff(before, stState(t, s)); d != "" {
			t.Errorf("%s: the failed export left (-before +after):\n%s", c.name, d)
		}
	}
	// Every sampled failed step of an incremental export leaves nothing.
	must(t, s.Host.Change(ctx, "/sbin/zfs", "destroy", s.Pool+"/iocage/jails/"+cl+"/root/home"))
	// Nothing of a failed export stays: neither the datasets nor FILE or
	// FILE.part.
	exportState := func() string {
		st := stState(t, s)
		ents, _ := os.ReadDir(s.Host.LocalPath("/var/tmp"))
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "f.tar") {
				st += "file " + e.Name() + "\n"
			}
		}
		return st
	}
	stEachFailure(t, s, "incremental export", 40, 1, exportState, func() (string, error) {
		return pkExport(t, s, "cl", "/var/tmp/f.tar", true)
	})
}

// A template's clone travels against the template, found by UUID.
func TestPackageTemplateOrigin(t *testing.T) {
	s := sandboxtest.New(t)
	crFetched(t, s, false)
	tpl := crMake1(t, s.Host, "create", map[string]starlark.Value{"props": crProps("tag", "tpl", "release", crRel)})
	_, _, err := crCall(t, s.Host, "set", map[string]starlark.Value{"args": starlark.NewList([]starlark.Value{str("template=yes"), str("tpl")})})
	must(t, err)
	// The clone's rc.conf (its UUIDs rewritten: same size) must differ
	// from the template's in time: zfs-fuse keeps whole seconds.
	time.Sleep(1100 * time.Millisecond)
	uuid := crMake1(t, s.Host, "create", map[string]starlark.Value{"template": str("tpl"), "props": crProps("tag", "web")})
	root := s.Host.LocalPath("/iocage/jails/" + uuid + "/root")
	must(t, os.WriteFile(root+"/etc/motd", []byte("from the template's clone\n"), 0o644))
	want := pkTree(t, root)
	if out, err := pkExport(t, s, "web", "/var/tmp/web.tar", true); err != nil {
		t.Fatalf("export --incremental: %v\n%s", err, out)
	}
	f, err := os.Open(s.Host.LocalPath("/var/tmp/web.tar"))
	must(t, err)
	m, _, err := jail.ScanPackage(f)
	f.Close()
	must(t, err)
	if m.Origin != "template" || m.Template != tpl || m.TemplateTag != "tpl" || m.Release != crRel {
		t.Errorf("manifest origin %q template %q (%q) release %q", m.Origin, m.Template, m.TemplateTag, m.Release)
	}
	pkDestroy(t, s, "web")
	if _, out, err := stRun(t, s, "import", map[string]starlark.Value{"file": str("/var/tmp/web.tar")}); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if d := cmp.Diff(want, pkTree(t, root)); d != "" {
		t.Errorf("imported root (-exported +imported):\n%s", d)
	}
	if sh := crShape(t, s.Host, s.Pool, uuid); len(sh) < 3 || !strings.Contains(sh[len(sh)-1], "POOL/iocage/jails/"+tpl+"/root@UUID") {
		t.Errorf("imported jail's datasets: %q", sh)
	}

	// Without the template, the import says what is missing.
	pkDestroy(t, s, "web")
	must(t, s.Host.Change(context.Background(), "/sbin/zfs", "set", "org.freebsd.iocage:template=no", s.Pool+"/iocage/jails/"+tpl))
	_, out, err := stRun(t, s, "import", map[string]starlark.Value{"file": str("/var/tmp/web.tar")})
	if err == nil || !strings.Contains(err.Error(), "the jail "+tpl+" here is no template") {
		t.Errorf("import without the template = %v\n%s", err, out)
	}
}
