package zfscompat_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gozfs "github.com/mistifyio/go-zfs/v3"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
	"github.com/iocage/iocage/runtime/sandbox/zfscompat"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// newSandbox is sandboxtest.New plus a cleanup that destroys the test's
// datasets through the layer under test, which unmounts before destroying:
// the sandbox's own reset hits zfs-fuse's "dataset is busy" on file
// systems it has only lazily unmounted.
func newSandbox(t *testing.T) *sandboxtest.Sandbox {
	s := sandboxtest.New(t)
	t.Cleanup(func() {
		out, _ := exec.Command("/usr/sbin/zfs", "list", "-H", "-o", "name", "-d", "1", s.Pool).Output()
		for _, ds := range strings.Fields(string(out)) {
			if ds != s.Pool {
				if r := zfs(t, s, "destroy", "-rRf", ds); r.code != 0 {
					t.Logf("cleanup: %s", r.err)
				}
			}
		}
	})
	return s
}

// result is one run of a modelled program.
type result struct {
	out, err string
	code     int
}

func run(t *testing.T, s *sandboxtest.Sandbox, prog string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	_, err := s.Host.Run(context.Background(), &runtime.Cmd{Path: prog, Args: args, Stdout: &out, Stderr: &errb})
	code := 0
	if ee, ok := err.(*runtime.ExitError); ok {
		code = ee.ExitCode
	} else if err != nil {
		t.Fatalf("%s %v: %v", prog, args, err)
	}
	return result{out.String(), errb.String(), code}
}

func zfs(t *testing.T, s *sandboxtest.Sandbox, args ...string) result {
	t.Helper()
	return run(t, s, runtime.ZFS, args...)
}

// mustZFS runs zfs and fails the test unless it succeeds.
func mustZFS(t *testing.T, s *sandboxtest.Sandbox, args ...string) string {
	t.Helper()
	r := zfs(t, s, args...)
	if r.code != 0 {
		t.Fatalf("zfs %s: exit %d: %s", strings.Join(args, " "), r.code, r.err)
	}
	return r.out
}

// fuseOut asks zfs-fuse itself, bypassing the layer under test.
func fuseOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("/usr/sbin/zfs", args...).Output()
	if err != nil {
		t.Fatalf("zfs-fuse zfs %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// tree makes the iocage skeleton: POOL/iocage mounted at /iocage, a release
// with an lz4 root, a snapshot of it and a jail cloned from it.
func tree(t *testing.T, s *sandboxtest.Sandbox) (rel, jail string) {
	t.Helper()
	p := s.Pool
	rel = p + "/iocage/releases/14.3-RELEASE"
	jail = p + "/iocage/jails/j1"
	mustZFS(t, s, "create", "-p", p+"/iocage/jails")
	mustZFS(t, s, "set", "mountpoint=/iocage", p+"/iocage")
	mustZFS(t, s, "create", "-o", "compression=lz4", "-p", rel+"/root")
	mustZFS(t, s, "snapshot", "-r", rel+"@j1")
	mustZFS(t, s, "clone", "-o", "org.freebsd.iocage:tag=web", rel+"@j1", jail)
	mustZFS(t, s, "clone", rel+"/root@j1", jail+"/root")
	return rel, jail
}

// fuseBytes is what zfs-fuse reports, exactly, for one property.
func fuseBytes(t *testing.T, prop, ds string) string {
	return fuseOut(t, "get", "-Hp", "-o", "value", prop, ds)
}

// goZFSProps is the property list go-zfs v3 asks for on FreeBSD.
const goZFSProps = "name,origin,used,available,mountpoint,compression,type,volsize,quota,referenced,written,logicalused,usedbydataset"

func TestListParsableIsExactBytes(t *testing.T) {
	s := newSandbox(t)
	rel, jail := tree(t, s)
	got := mustZFS(t, s, "list", "-Hp", "-o", goZFSProps, jail)
	b := func(p string) string { return fuseBytes(t, p, jail) }
	want := strings.Join([]string{jail, rel + "@j1", b("used"), b("available"), "/iocage/jails/j1", "off",
		"filesystem", "-", "0", b("referenced"), b("usedbydataset"), b("used"), b("usedbydataset")}, "\t") + "\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("zfs list -Hp (-want +got):\n%s", diff)
	}
	// Snapshots: sizes exact, file-system-only columns "-".
	got = mustZFS(t, s, "list", "-Hp", "-o", "name,used,referenced,mountpoint,creation,compressratio", rel+"@j1")
	want = strings.Join([]string{rel + "@j1", fuseBytes(t, "used", rel+"@j1"), fuseBytes(t, "referenced", rel+"@j1"),
		"-", fuseBytes(t, "creation", rel+"@j1"), "1.00"}, "\t") + "\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("zfs list -Hp of a snapshot (-want +got):\n%s", diff)
	}
}

// humanOld turns zfs-fuse's human size into OpenZFS 2's, which adds a "B"
// to sizes under 1K ("0" becomes "0B").
func humanOld(s string) string {
	if s != "" && s[len(s)-1] >= '0' && s[len(s)-1] <= '9' {
		return s + "B"
	}
	return s
}

func TestListHumanLooksLikeOpenZFS(t *testing.T) {
	s := newSandbox(t)
	rel, _ := tree(t, s)
	h := func(p, ds string) string { return humanOld(fuseOut(t, "get", "-H", "-o", "value", p, ds)) }
	root := rel + "/root"
	got := mustZFS(t, s, "list", "-r", "-o", "name,used,avail,refer,mountpoint,compression,quota", rel)
	w := len(root)
	row := func(name, mp, comp string) string {
		return fmt.Sprintf("%-*s  %5s  %5s  %5s  %-*s  %-14s  %5s\n", w, name, h("used", name), h("available", name),
			h("referenced", name), len("/iocage/releases/14.3-RELEASE/root"), mp, comp, "none")
	}
	want := fmt.Sprintf("%-*s  %5s  %5s  %5s  %-*s  %-14s  %5s\n", w, "NAME", "USED", "AVAIL", "REFER",
		len("/iocage/releases/14.3-RELEASE/root"), "MOUNTPOINT", "COMPRESS", "QUOTA") +
		row(rel, "/iocage/releases/14.3-RELEASE", "off") +
		row(root, "/iocage/releases/14.3-RELEASE/root", "lz4")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("zfs list (-want +got):\n%s", diff)
	}
	if got := mustZFS(t, s, "list", "-H", "-o", "name", "-t", "volume"); got != "" {
		t.Errorf("zfs list -H of nothing = %q, want empty", got)
	}
	if got := mustZFS(t, s, "list", "-t", "volume"); got != "no datasets available\n" {
		t.Errorf("zfs list of nothing = %q, want the OpenZFS notice", got)
	}
}

func TestAltrootIsHidden(t *testing.T) {
	s := newSandbox(t)
	tree(t, s)
	p := s.Pool
	if got := fuseOut(t, "get", "-H", "-o", "value", "mountpoint", p+"/iocage"); !strings.HasPrefix(got, s.Backend.Sandbox().Root) {
		t.Fatalf("zfs-fuse mountpoint %q does not carry the altroot; the test premise is wrong", got)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"get", "-H", "-o", "value", "mountpoint", p + "/iocage"}, "/iocage\n"},
		{[]string{"get", "-H", "-o", "name,value,source", "mountpoint", p + "/iocage/jails"}, p + "/iocage/jails\t/iocage/jails\tinherited from " + p + "/iocage\n"},
		{[]string{"list", "-Ho", "mountpoint", p + "/iocage/jails/j1/root"}, "/iocage/jails/j1/root\n"},
		{[]string{"list", "-Ho", "mountpoint", p}, "none\n"},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, mustZFS(t, s, c.args...)); diff != "" {
			t.Errorf("zfs %v (-want +got):\n%s", c.args, diff)
		}
	}
	if _, err := s.Host.Stat("/iocage/jails/j1/root"); err != nil {
		t.Errorf("mountpoint=/iocage is not mounted under the sandbox root: %v", err)
	}
	zp := run(t, s, runtime.Zpool, "get", "-Ho", "value", "altroot", p)
	if zp.out != "-\n" {
		t.Errorf("zpool get altroot = %q, want \"-\\n\"", zp.out)
	}
}

func TestClones(t *testing.T) {
	s := newSandbox(t)
	rel, jail := tree(t, s)
	mustZFS(t, s, "clone", rel+"@j1", s.Pool+"/iocage/jails/j2")
	mustZFS(t, s, "snapshot", rel+"@lonely")
	got := mustZFS(t, s, "list", "-H", "-d", "1", "-t", "snapshot", "-o", "name,clones", rel)
	want := rel + "@j1\t" + jail + "," + s.Pool + "/iocage/jails/j2\n" + rel + "@lonely\t-\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("clones (-want +got):\n%s", diff)
	}
	// `-t snapshot FS` alone lists FS's snapshots, as OpenZFS does.
	if diff := cmp.Diff(want, mustZFS(t, s, "list", "-H", "-t", "snap", "-o", "name,clones", rel)); diff != "" {
		t.Errorf("list -t snapshot FS (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(jail+"\tclones\t-\t-\n", mustZFS(t, s, "get", "-H", "clones", jail)); diff != "" {
		t.Errorf("clones of a file system (-want +got):\n%s", diff)
	}
}

func TestCompressionAndJailedRoundTrip(t *testing.T) {
	s := newSandbox(t)
	p := s.Pool
	mustZFS(t, s, "create", "-o", "compression=lz4", "-o", "jailed=on", "-o", "mountpoint=none", p+"/d")
	mustZFS(t, s, "create", p+"/d/child")
	get := func(ds string) string {
		return mustZFS(t, s, "get", "-H", "-o", "property,value,source", "compression,jailed", ds)
	}
	if diff := cmp.Diff("compression\tlz4\tlocal\njailed\ton\tlocal\n", get(p+"/d")); diff != "" {
		t.Errorf("after create (-want +got):\n%s", diff)
	}
	inh := "inherited from " + p + "/d"
	if diff := cmp.Diff("compression\tlz4\t"+inh+"\njailed\ton\t"+inh+"\n", get(p+"/d/child")); diff != "" {
		t.Errorf("child (-want +got):\n%s", diff)
	}
	// What zfs-fuse really stores: lzjb and zoned.
	if got := fuseOut(t, "get", "-H", "-o", "value", "compression,zoned", p+"/d"); got != "lzjb\non" {
		t.Errorf("zfs-fuse stores %q, want lzjb and zoned=on", got)
	}
	// An explicit lzjb on the child must not read back as the parent's lz4.
	mustZFS(t, s, "set", "compression=lzjb", "jailed=off", p+"/d/child")
	if diff := cmp.Diff("compression\tlzjb\tlocal\njailed\toff\tlocal\n", get(p+"/d/child")); diff != "" {
		t.Errorf("after set (-want +got):\n%s", diff)
	}
	mustZFS(t, s, "inherit", "compression", p+"/d/child")
	mustZFS(t, s, "inherit", "jailed", p+"/d/child")
	if diff := cmp.Diff("compression\tlz4\t"+inh+"\njailed\ton\t"+inh+"\n", get(p+"/d/child")); diff != "" {
		t.Errorf("after inherit (-want +got):\n%s", diff)
	}
	if got := mustZFS(t, s, "get", "all", p+"/d"); strings.Contains(got, "zfscompat") || strings.Contains(got, "zoned") {
		t.Errorf("get all shows the layer's own properties:\n%s", got)
	}
	if r := zfs(t, s, "set", "compression=lz5", p+"/d"); r.code != 1 || !strings.Contains(r.err, "'compression' must be one of") {
		t.Errorf("set compression=lz5 = exit %d %q, want exit 1 naming the accepted values", r.code, r.err)
	}
}

func TestErrorsLikeOpenZFS(t *testing.T) {
	s := newSandbox(t)
	p := s.Pool
	cases := []struct {
		args    []string
		code    int
		errHead string
	}{
		{[]string{"list", "-o", "name,bogus", p}, 2, "bad property list: invalid property 'bogus'\nusage:"},
		{[]string{"get", "bogus", p}, 2, "bad property list: invalid property 'bogus'\nusage:"},
		{[]string{"list", p + "/nope"}, 1, "cannot open '" + p + "/nope': dataset does not exist\n"},
		{[]string{"get", "-H", "creation", p + "/nope"}, 1, "cannot open '" + p + "/nope': dataset does not exist\n"},
		{[]string{"list", "otherpool/x"}, 1, "cannot open 'otherpool/x': dataset does not exist\n"},
		{[]string{"create", "otherpool/x"}, 1, "cannot open 'otherpool/x': dataset does not exist\n"},
		{[]string{"list", "-Q"}, 2, "invalid option 'Q'\nusage:"},
		{[]string{"list", "-t", "disk"}, 2, "invalid type 'disk'\nusage:"},
		{[]string{"get", "-t", "disk", "name"}, 2, "invalid type 'disk'\nusage:\n\tget "},
		{[]string{"list", "-d", "x"}, 2, "invalid depth 'x'\nusage:\n\tlist "},
		{[]string{"get", "-d", "-1", "name"}, 2, "invalid depth '-1'\nusage:\n\tget "},
		{[]string{"get", "-o"}, 2, "missing argument for 'o' option\nusage:"},
		{[]string{"set", "used=1", p}, 1, "cannot set property for '" + p + "': 'used' is readonly\n"},
	}
	for _, c := range cases {
		r := zfs(t, s, c.args...)
		if r.code != c.code || !strings.HasPrefix(r.err, c.errHead) {
			t.Errorf("zfs %v = exit %d, stderr %q; want exit %d, stderr starting %q", c.args, r.code, r.err, c.code, c.errHead)
		}
	}
}

func TestUserPropertiesListAndSort(t *testing.T) {
	s := newSandbox(t)
	p := s.Pool
	for _, n := range []string{"b", "a", "c"} {
		mustZFS(t, s, "create", p+"/"+n)
	}
	mustZFS(t, s, "set", "org.freebsd.iocage:tag=zz", p+"/a")
	mustZFS(t, s, "set", "org.freebsd.iocage:tag=mm", p+"/c")
	got := mustZFS(t, s, "list", "-H", "-d", "1", "-o", "name,org.freebsd.iocage:tag", "-s", "org.freebsd.iocage:tag", p)
	want := p + "/c\tmm\n" + p + "/a\tzz\n" + p + "\t-\n" + p + "/b\t-\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("-s user property (-want +got):\n%s", diff)
	}
	got = mustZFS(t, s, "list", "-H", "-d", "1", "-o", "name", "-S", "name", p)
	if diff := cmp.Diff(p+"/c\n"+p+"/b\n"+p+"/a\n"+p+"\n", got); diff != "" {
		t.Errorf("-S name (-want +got):\n%s", diff)
	}
	got = mustZFS(t, s, "get", "-H", "-t", "filesystem", "-s", "local", "-o", "name,value", "-r", "org.freebsd.iocage:tag", p)
	if diff := cmp.Diff(p+"/a\tzz\n"+p+"/c\tmm\n", got); diff != "" {
		t.Errorf("get -s local (-want +got):\n%s", diff)
	}
}

func TestDestroySnapshotRangesAndLists(t *testing.T) {
	s := newSandbox(t)
	fs := s.Pool + "/fs"
	mustZFS(t, s, "create", fs)
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		mustZFS(t, s, "snapshot", fs+"@"+n)
	}
	got := mustZFS(t, s, "destroy", "-nv", fs+"@b%d")
	want := "would destroy " + fs + "@b\nwould destroy " + fs + "@c\nwould destroy " + fs + "@d\nwould reclaim 0B\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("destroy -nv (-want +got):\n%s", diff)
	}
	mustZFS(t, s, "destroy", fs+"@b%c,e")
	if diff := cmp.Diff(fs+"@a\n"+fs+"@d\n", mustZFS(t, s, "list", "-H", "-o", "name", "-t", "snapshot", fs)); diff != "" {
		t.Errorf("after destroy @b%%c,e (-want +got):\n%s", diff)
	}
	if r := zfs(t, s, "destroy", fs+"@x%y"); r.code != 1 {
		t.Errorf("destroy of no snapshots = exit %d, want 1", r.code)
	}
}

func TestIncrementalSendReceive(t *testing.T) {
	s := newSandbox(t)
	p := s.Pool
	mustZFS(t, s, "create", "-o", "compression=lz4", "-o", "mountpoint=/iocage/src", p+"/src")
	if err := s.Host.WriteFile("/iocage/src/one", []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustZFS(t, s, "snapshot", p+"/src@s1")
	if err := s.Host.WriteFile("/iocage/src/two", []byte("2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustZFS(t, s, "snapshot", p+"/src@s2")
	ctx := context.Background()
	pipe := func(send []string, recv []string) {
		t.Helper()
		var stream, errb bytes.Buffer
		if _, err := s.Host.Run(ctx, &runtime.Cmd{Path: runtime.ZFS, Args: send, Stdout: &stream}); err != nil {
			t.Fatalf("zfs %v: %v", send, err)
		}
		if _, err := s.Host.Run(ctx, &runtime.Cmd{Path: runtime.ZFS, Args: recv, Stdin: &stream, Stderr: &errb}); err != nil {
			t.Fatalf("zfs %v: %v: %s", recv, err, errb.String())
		}
	}
	pipe([]string{"send", "-p", p + "/src@s1"}, []string{"receive", "-u", p + "/dst"})
	if got := mustZFS(t, s, "get", "-H", "-o", "value", "mounted,compression", p+"/dst"); got != "no\nlz4\n" {
		t.Errorf("after recv -u of a -p stream: mounted,compression = %q, want no and lz4", got)
	}
	pipe([]string{"send", "-i", "@s1", p + "/src@s2"}, []string{"recv", "-F", p + "/dst"})
	got := mustZFS(t, s, "list", "-H", "-o", "name", "-t", "snapshot", p+"/dst")
	if diff := cmp.Diff(p+"/dst@s1\n"+p+"/dst@s2\n", got); diff != "" {
		t.Errorf("snapshots after the incremental (-want +got):\n%s", diff)
	}
	mustZFS(t, s, "set", "mountpoint=/iocage/dst", p+"/dst")
	mustZFS(t, s, "mount", p+"/dst")
	if b, err := s.Host.ReadFile("/iocage/dst/two"); err != nil || string(b) != "2\n" {
		t.Errorf("/dst/two after the incremental = %q, %v", b, err)
	}
	// -e names the new file system after the last part of the sent one.
	pipe([]string{"send", p + "/src@s1"}, []string{"recv", "-e", p + "/dst"})
	if r := zfs(t, s, "list", "-H", "-o", "name", p+"/dst/src"); r.code != 0 {
		t.Errorf("recv -e did not make %s/dst/src: %s", p, r.err)
	}
}

func TestGoZFSEndToEnd(t *testing.T) {
	s := newSandbox(t)
	ctx := context.Background()
	p := s.Pool
	var ds, clone *gozfs.Dataset
	var snap *gozfs.Dataset
	steps := []struct {
		name string
		fn   func() error
	}{
		{"CreateFilesystem", func() (err error) {
			ds, err = gozfs.CreateFilesystem(p+"/gz", map[string]string{"compression": "lz4", "mountpoint": "/iocage/gz"})
			return err
		}},
		{"GetDataset", func() (err error) { ds, err = gozfs.GetDataset(p + "/gz"); return err }},
		{"Snapshot", func() (err error) { snap, err = ds.Snapshot("s1", false); return err }},
		{"Clone", func() (err error) { clone, err = snap.Clone(p+"/gzc", nil); return err }},
		{"Children", func() error {
			kids, err := ds.Children(0)
			if err == nil && (len(kids) != 1 || kids[0].Name != p+"/gz@s1") {
				return fmt.Errorf("children = %v, want the snapshot", kids)
			}
			return err
		}},
		{"SendReceive", func() error {
			var buf bytes.Buffer
			if err := snap.SendSnapshot(&buf); err != nil {
				return err
			}
			_, err := gozfs.ReceiveSnapshot(&buf, p+"/gzr")
			return err
		}},
		{"DestroyClone", func() error { return clone.Destroy(gozfs.DestroyDefault) }},
		{"Destroy", func() error { return ds.Destroy(gozfs.DestroyRecursive) }},
	}
	for _, st := range steps {
		if err := s.Host.GoZFS(ctx, true, []string{runtime.ZFS}, st.fn); err != nil {
			t.Fatalf("go-zfs %s: %v", st.name, err)
		}
	}
	if ds.Compression != "lz4" || ds.Mountpoint != "/iocage/gz" || ds.Type != "filesystem" {
		t.Errorf("GetDataset = compression %q, mountpoint %q, type %q; want lz4, /iocage/gz, filesystem", ds.Compression, ds.Mountpoint, ds.Type)
	}
	if clone.Origin != p+"/gz@s1" {
		t.Errorf("clone origin = %q, want %s/gz@s1", clone.Origin, p)
	}
	if r := zfs(t, s, "list", "-H", "-o", "name", p+"/gzr"); r.code != 0 {
		t.Errorf("received dataset missing: %s", r.err)
	}
	if r := zfs(t, s, "list", p+"/gz"); r.code != 1 {
		t.Errorf("destroyed dataset still listed")
	}
}

func TestListOfFiftyIsOneProcess(t *testing.T) {
	s := newSandbox(t)
	p := s.Pool
	mustZFS(t, s, "create", "-o", "mountpoint=none", p+"/many")
	for i := 0; i < 49; i++ {
		mustZFS(t, s, "create", fmt.Sprintf("%s/many/d%02d", p, i))
	}
	before, start := zfscompat.FuseRuns(), time.Now()
	out := mustZFS(t, s, "list", "-rHp", "-t", "all", "-o", goZFSProps, p+"/many")
	t.Logf("zfs list -rHp of 50 datasets took %v", time.Since(start))
	if runs := zfscompat.FuseRuns() - before; runs != 1 {
		t.Errorf("zfs list of 50 datasets started %d zfs-fuse processes, want 1", runs)
	}
	if n := strings.Count(out, "\n"); n != 50 {
		t.Errorf("listed %d datasets, want 50", n)
	}
}

func TestPoolsAreScoped(t *testing.T) {
	s := newSandbox(t)
	// A pool of the shared zfs-fuse daemon that is not this sandbox's.
	dir := t.TempDir()
	other := "zcxother" + s.Pool[4:]
	img := dir + "/o.img"
	if out, err := exec.Command("truncate", "-s", "128M", img).CombinedOutput(); err != nil {
		t.Fatalf("truncate: %v %s", err, out)
	}
	if out, err := exec.Command("/usr/sbin/zpool", "create", "-m", "none", other, img).CombinedOutput(); err != nil {
		t.Fatalf("zpool create: %v %s", err, out)
	}
	defer exec.Command("/usr/sbin/zpool", "destroy", "-f", other).Run()
	if got := run(t, s, runtime.Zpool, "list", "-Ho", "name"); got.out != s.Pool+"\n" {
		t.Errorf("zpool list -Ho name = %q, want only %s", got.out, s.Pool)
	}
	if got := mustZFS(t, s, "list", "-H", "-o", "name"); got != s.Pool+"\n" {
		t.Errorf("zfs list = %q, want only %s", got, s.Pool)
	}
	if r := run(t, s, runtime.Zpool, "get", "-H", "health", other); r.code != 1 || r.err != "cannot open '"+other+"': no such pool\n" {
		t.Errorf("zpool get of another pool = %d %q", r.code, r.err)
	}
	if r := zfs(t, s, "get", "-H", "name", other); r.code != 1 {
		t.Errorf("zfs get of another pool = exit %d, want 1", r.code)
	}
	got := run(t, s, runtime.Zpool, "list", "-Hp", "-o", "name,health,altroot,fragmentation,dedupratio")
	if diff := cmp.Diff(s.Pool+"\tONLINE\t-\t0\t1.00\n", got.out); diff != "" {
		t.Errorf("zpool list -Hp (-want +got):\n%s", diff)
	}
}

func TestJailAttachments(t *testing.T) {
	s := newSandbox(t)
	ds := s.Pool + "/data"
	mustZFS(t, s, "create", "-o", "jailed=on", "-o", "mountpoint=none", ds)
	mustZFS(t, s, "snapshot", ds+"@x")
	if r := zfs(t, s, "jail", "ioc-j1", ds); r.code != 2 || !strings.HasPrefix(r.err, "invalid jail id or name\n") {
		t.Errorf("zfs jail to a jail that does not run = %d %q, want exit 2 invalid jail", r.code, r.err)
	}
	if r := run(t, s, runtime.Jail, "-c", "name=ioc-j1", "path=/tmp", "persist"); r.code != 0 {
		t.Fatalf("jail -c: %d %s", r.code, r.err)
	}
	mustZFS(t, s, "jail", "ioc-j1", ds)
	if r := zfs(t, s, "jail", "ioc-j1", ds); r.code != 1 || r.err != "cannot jail '"+ds+"': dataset already exists\n" {
		t.Errorf("second jail = %d %q", r.code, r.err)
	}
	if r := zfs(t, s, "jail", "ioc-j1", ds+"@x"); r.code != 1 || r.err != "cannot jail '"+ds+"@x': snapshots can not be jailed\n" {
		t.Errorf("jail of a snapshot = %d %q", r.code, r.err)
	}
	sb := s.Backend.Sandbox()
	var got []zfscompat.Attachment
	view := func() {
		t.Helper()
		if err := sb.Store.View(func(tx *model.Tx) (err error) { got, err = zfscompat.Attachments(tx); return err }); err != nil {
			t.Fatal(err)
		}
	}
	view()
	if diff := cmp.Diff([]zfscompat.Attachment{{Dataset: ds, Jail: "ioc-j1", JID: 1}}, got); diff != "" {
		t.Errorf("attachments (-want +got):\n%s", diff)
	}
	if r := run(t, s, runtime.Jail, "-r", "ioc-j1"); r.code != 0 {
		t.Fatalf("jail -r: %d %s", r.code, r.err)
	}
	view()
	if len(got) != 0 {
		t.Errorf("attachments after the jail went = %v, want none", got)
	}
	if r := zfs(t, s, "unjail", "ioc-j1", ds); r.code != 2 {
		t.Errorf("unjail from a jail that is gone = exit %d, want 2 (invalid jail)", r.code)
	}
	if got := mustZFS(t, s, "version"); !strings.HasPrefix(got, "zfs-2.2.7-FreeBSD") {
		t.Errorf("zfs version = %q", got)
	}
}

func TestDestroyMountedTree(t *testing.T) {
	s := newSandbox(t)
	p := s.Pool
	mustZFS(t, s, "create", "-o", "mountpoint=/iocage/t", p+"/t")
	mustZFS(t, s, "create", "-p", p+"/t/x/y")
	if _, err := s.Host.Stat("/iocage/t/x/y"); err != nil {
		t.Fatalf("tree not mounted: %v", err)
	}
	if r := zfs(t, s, "destroy", p+"/t"); r.code != 1 || !strings.Contains(r.err, "has children") {
		t.Errorf("destroy without -r = exit %d %q, want a refusal naming the children", r.code, r.err)
	}
	if got := mustZFS(t, s, "get", "-H", "-o", "value", "mounted", p+"/t"); got != "yes\n" {
		t.Errorf("a refused destroy left %s/t mounted=%q, want yes", p, got)
	}
	mustZFS(t, s, "destroy", "-r", p+"/t")
	if r := zfs(t, s, "list", p+"/t"); r.code != 1 {
		t.Errorf("%s/t still exists after destroy -r", p)
	}
}
