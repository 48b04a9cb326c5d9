package main

// iocage pkg and iocage cp on the sandbox: pkg on a stopped jail (pkg -c
// ROOT) and a running one (pkg -j ioc-UUID) from the mirror's repository,
// its exit status, its refusals without a resolver or a repository; cp in
// both directions, trees, and every way a jail could lead a copy out of
// its root.

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// jailRoot is the local path of the root of the jail tagged tag.
func jailRoot(t *testing.T, s *sandboxtest.Sandbox, tag string) string {
	t.Helper()
	r := iocageOn(t, "", "get", "host_hostuuid", tag)
	if r.Code != 0 {
		t.Fatalf("get host_hostuuid %s: %+v", tag, r)
	}
	return s.Path("/iocage/jails/" + strings.TrimSpace(r.Stdout) + "/root")
}

func mustIocage(t *testing.T, args ...string) result {
	t.Helper()
	r := iocageOn(t, "", args...)
	if r.Code != 0 {
		t.Fatalf("iocage %s: %+v", strings.Join(args, " "), r)
	}
	return r
}

func TestPkgVerbOnStoppedAndRunningJails(t *testing.T) {
	s := crashSandbox(t, true)
	mustIocage(t, "create", "-c", "tag=web", "ip4_addr=em0|192.168.1.93/24", "resolver=nameserver 127.0.0.1")
	mustIocage(t, "create", "-c", "tag=nores", "ip4_addr=em0|192.168.1.94/24")
	web := jailRoot(t, s, "web")

	// Stopped: the host's pkg chrooted into the root.
	r := iocageOn(t, "", "--trace", "pkg", "web", "install", "-y", "hello")
	if r.Code != 0 || !strings.Contains(r.Stderr, "/usr/sbin/pkg -c /iocage/jails/") || !strings.Contains(r.Stderr, "/root install -y hello") {
		t.Fatalf("pkg web install -y hello (stopped) = %+v", r)
	}
	if _, err := os.Stat(web + "/usr/local/bin/hello"); err != nil {
		t.Errorf("hello not installed in the stopped jail: %v", err)
	}
	if r := iocageOn(t, "", "pkg", "web", "info"); r.Code != 0 || !strings.HasPrefix(r.Stdout, "hello-") {
		t.Errorf("pkg web info = %+v", r)
	}
	// pkg's exit status is iocage's.
	if r := iocageOn(t, "", "pkg", "web", "info", "-e", "nosuch"); r.Code != 1 {
		t.Errorf("pkg web info -e nosuch = %+v, want exit 1", r)
	}

	// Running: the host's pkg attached to the jail.
	mustIocage(t, "start", "web")
	t.Cleanup(func() { iocageOn(t, "", "stop", "web") })
	r = iocageOn(t, "", "--trace", "pkg", "web", "install", "-y", "tree")
	if r.Code != 0 || !strings.Contains(r.Stderr, "/usr/sbin/pkg -j ioc-") || !strings.Contains(r.Stderr, " install -y tree") {
		t.Fatalf("pkg web install -y tree (running) = %+v", r)
	}
	if _, err := os.Stat(web + "/usr/local/bin/tree"); err != nil {
		t.Errorf("tree not installed in the running jail: %v", err)
	}
	r = iocageOn(t, "", "pkg", "web", "info")
	if r.Code != 0 || !strings.Contains(r.Stdout, "hello-") || !strings.Contains(r.Stdout, "tree-") {
		t.Errorf("pkg web info (running) = %+v, want hello and tree", r)
	}
	if r := iocageOn(t, "", "pkg", "web", "install", "-y", "nosuch"); r.Code != 1 || !strings.Contains(r.Stderr, "nosuch") {
		t.Errorf("pkg web install nosuch = %+v, want pkg's exit 1 and message", r)
	}

	// No resolver: refused before pkg runs, saying why; local commands run.
	r = iocageOn(t, "", "--trace", "pkg", "nores", "install", "-y", "hello")
	if r.Code != 1 || !strings.Contains(r.Stderr, "no working resolver") || !strings.Contains(r.Stderr, "resolver=copy") || strings.Contains(r.Stderr, "/usr/sbin/pkg") {
		t.Errorf("pkg nores install = %+v, want a resolver error and no pkg run", r)
	}
	if r := iocageOn(t, "", "pkg", "nores", "info"); r.Code != 0 || r.Stdout != "" {
		t.Errorf("pkg nores info = %+v, want nothing installed and exit 0", r)
	}
	// resolver=copy: the host's resolv.conf is copied in first, as start
	// does.
	hostResolv := s.Path("/etc/resolv.conf")
	old, err := os.ReadFile(hostResolv)
	if err != nil {
		if err := os.WriteFile(hostResolv, []byte("nameserver 127.0.0.1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(hostResolv) })
	} else if !strings.Contains(string(old), "nameserver") {
		t.Skipf("the sandbox host's resolv.conf names no nameserver: %q", old)
	}
	hostConf, _ := os.ReadFile(hostResolv)
	mustIocage(t, "set", "resolver=copy", "nores")
	if r := iocageOn(t, "", "pkg", "nores", "install", "-y", "hello"); r.Code != 0 {
		t.Errorf("pkg nores install with resolver=copy = %+v", r)
	}
	nores := jailRoot(t, s, "nores")
	if b, err := os.ReadFile(nores + "/etc/resolv.conf"); err != nil || string(b) != string(hostConf) {
		t.Errorf("nores's resolv.conf after pkg with resolver=copy: %q %v, want the host's %q", b, err, hostConf)
	}
	// No repository configuration: refused too.
	if err := os.Remove(nores + "/etc/pkg/FreeBSD.conf"); err != nil {
		t.Fatal(err)
	}
	if r := iocageOn(t, "", "pkg", "nores", "update"); r.Code != 1 || !strings.Contains(r.Stderr, "no pkg repository configured") {
		t.Errorf("pkg nores update without FreeBSD.conf = %+v", r)
	}
	// pkg's global options follow --; its own -c, -j and -r are iocage's
	// to give.
	if r := iocageOn(t, "", "pkg", "web", "--", "-c", "/", "info"); r.Code != 1 || !strings.Contains(r.Stderr, "iocage says where pkg works") {
		t.Errorf("pkg web -- -c / info = %+v", r)
	}
	if r := iocageOn(t, "", "pkg", "nosuchjail", "info"); r.Code == 0 || !strings.Contains(r.Stderr, "nosuchjail") {
		t.Errorf("pkg nosuchjail info = %+v", r)
	}
}

// tree lists the files under dir as "path mode [-> target | content]".
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		line := rel + " " + fi.Mode().String()
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			line += " " + string(b)
		}
		out = append(out, line)
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

func TestCpVerbCopiesInAndOutOfAJail(t *testing.T) {
	s := crashSandbox(t, false)
	mustIocage(t, "create", "-e", "tag=box")
	root := jailRoot(t, s, "box")
	src := s.Path("/tmp/cpsrc")
	t.Cleanup(func() { os.RemoveAll(src); os.RemoveAll(s.Path("/tmp/cpback")) })
	writeFiles(t, src, map[string]string{"a.txt": "alpha\n", "d/x": "x\n", "d/sub/y": "y\n"})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Chmod(src+"/a.txt", 0o640))
	must(os.Chmod(src+"/d/sub/y", 0o4755)) // setuid is dropped
	must(os.Symlink("x", src+"/d/link"))
	must(os.MkdirAll(root+"/etc", 0o755))

	// Host to jail, into a directory and to a new name.
	mustIocage(t, "cp", "/tmp/cpsrc/a.txt", "box:/etc")
	mustIocage(t, "cp", "/tmp/cpsrc/a.txt", "box:/etc/b.txt")
	if d := cmp.Diff([]string{". drwxr-xr-x", "a.txt -rw-r----- alpha\n", "b.txt -rw-r----- alpha\n"}, tree(t, root+"/etc")); d != "" {
		t.Errorf("box:/etc after cp (-want +got):\n%s", d)
	}
	// Replacing a file is atomic and leaves no temporary behind.
	must(os.WriteFile(src+"/a.txt", []byte("alpha2\n"), 0o640))
	mustIocage(t, "cp", "/tmp/cpsrc/a.txt", "box:/etc/b.txt")
	if d := cmp.Diff([]string{". drwxr-xr-x", "a.txt -rw-r----- alpha\n", "b.txt -rw-r----- alpha2\n"}, tree(t, root+"/etc")); d != "" {
		t.Errorf("box:/etc after a replacing cp (-want +got):\n%s", d)
	}

	// A directory needs -r; with it, the tree goes over, links as links.
	if r := iocageOn(t, "", "cp", "/tmp/cpsrc/d", "box:/"); r.Code != 1 || !strings.Contains(r.Stderr, "is a directory") {
		t.Errorf("cp of a directory without -r = %+v", r)
	}
	mustIocage(t, "cp", "-r", "/tmp/cpsrc/d", "box:/")
	want := []string{". drwxr-xr-x", "link Lrwxrwxrwx -> x", "sub drwxr-xr-x", "sub/y -rwxr-xr-x y\n", "x -rw-r--r-- x\n"}
	if d := cmp.Diff(want, tree(t, root+"/d")); d != "" {
		t.Errorf("box:/d after cp -r (-want +got):\n%s", d)
	}
	// Jail to host, a file and a tree.
	mustIocage(t, "cp", "box:/etc/b.txt", "/tmp/cpback.txt")
	if b, err := os.ReadFile(s.Path("/tmp/cpback.txt")); err != nil || string(b) != "alpha2\n" {
		t.Errorf("cp box:/etc/b.txt to the host: %q %v", b, err)
	}
	os.Remove(s.Path("/tmp/cpback.txt"))
	mustIocage(t, "cp", "-r", "box:/d", "/tmp/cpback")
	if d := cmp.Diff(want, tree(t, s.Path("/tmp/cpback"))); d != "" {
		t.Errorf("/tmp/cpback after cp -r box:/d (-want +got):\n%s", d)
	}

	// Dry-run writes nothing.
	r := iocageOn(t, "", "--dry-run", "cp", "-r", "/tmp/cpsrc/d", "box:/dry")
	if r.Code != 0 || !strings.Contains(r.Stderr, "would mkdir") {
		t.Errorf("--dry-run cp = %+v", r)
	}
	if _, err := os.Lstat(root + "/dry"); !os.IsNotExist(err) {
		t.Errorf("--dry-run cp made box:/dry: %v", err)
	}

	// A copy that fails half-way takes back what it made and puts back
	// what it replaced: x is replaced, then the named pipe is refused.
	writeFiles(t, src, map[string]string{"m/d/x": "new x\n", "m/d/new": "new\n"})
	must(syscall.Mkfifo(src+"/m/d/zz-fifo", 0o644))
	before := tree(t, root)
	r = iocageOn(t, "", "cp", "-r", "/tmp/cpsrc/m/d", "box:/")
	if r.Code != 1 || !strings.Contains(r.Stderr, "a named pipe") {
		t.Errorf("cp -r of a tree with a named pipe = %+v", r)
	}
	if d := cmp.Diff(before, tree(t, root)); d != "" {
		t.Errorf("a failed cp changed the jail (-want +got):\n%s", d)
	}

	// Unknown jails, missing sources, no jail at all.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"cp", "/tmp/cpsrc/a.txt", "nosuch:/a"}, 3, `jail "nosuch": does not exist`},
		{[]string{"cp", "box:/nonexistent", "/tmp/x"}, 3, "does not exist"},
		{[]string{"cp", "/tmp/nonexistent", "box:/x"}, 3, "does not exist"},
		{[]string{"cp", "/tmp/a", "/tmp/b"}, 2, "names a jail"},
		{[]string{"cp", "/tmp/cpsrc/a.txt", "box:etc"}, 2, "must be absolute"},
		{[]string{"cp", "relative", "box:/etc"}, 2, "JAIL:PATH"},
	} {
		if r := iocageOn(t, "", tc.args...); r.Code != tc.code || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v = %+v, want exit %d and %q", tc.args, r, tc.code, tc.want)
		}
	}
}

func TestCpVerbNeverLeavesTheJailRoot(t *testing.T) {
	s := crashSandbox(t, false)
	mustIocage(t, "create", "-e", "tag=box")
	root := jailRoot(t, s, "box")
	writeFiles(t, s.Path("/tmp/cpsrc"), map[string]string{"a.txt": "alpha\n"})
	t.Cleanup(func() { os.RemoveAll(s.Path("/tmp/cpsrc")) })
	hostEtc := s.Path("/etc")
	if err := os.MkdirAll(hostEtc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hostEtc+"/secret", []byte("host secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(hostEtc + "/secret") })
	// The jail's root user plants links to the host.
	for name, target := range map[string]string{
		"evil":   "/etc",
		"up":     "../../../../../../../../etc",
		"secret": "/etc/secret",
	} {
		if err := os.Symlink(target, root+"/"+name); err != nil {
			t.Fatal(err)
		}
	}
	hostBefore := tree(t, hostEtc)
	for _, args := range [][]string{
		// reading
		{"cp", "box:/evil/secret", "/tmp/leak1"},
		{"cp", "box:/up/secret", "/tmp/leak2"},
		{"cp", "box:/secret", "/tmp/leak3"},
		{"cp", "-r", "box:/evil", "/tmp/leak4"},
		{"cp", "box:/../../../etc/secret", "/tmp/leak5"},
		// writing
		{"cp", "/tmp/cpsrc/a.txt", "box:/evil/planted"},
		{"cp", "/tmp/cpsrc/a.txt", "box:/up/planted"},
		{"cp", "/tmp/cpsrc/a.txt", "box:/../planted"},
		{"cp", "-r", "/tmp/cpsrc", "box:/evil"},
		{"cp", "/tmp/cpsrc/a.txt", "box:/secret"},
	} {
		r := iocageOn(t, "", args...)
		if r.Code != 1 || !(strings.Contains(r.Stderr, "leads out of") || strings.Contains(r.Stderr, "'..'") ||
			strings.Contains(r.Stderr, "which is a symbolic link")) {
			t.Errorf("%v = %+v, want a refusal", args, r)
		}
	}
	for i := 1; i <= 5; i++ {
		if _, err := os.Lstat(s.Path("/tmp/leak" + string(rune('0'+i)))); !os.IsNotExist(err) {
			t.Errorf("/tmp/leak%d exists: %v", i, err)
		}
	}
	if d := cmp.Diff(hostBefore, tree(t, hostEtc)); d != "" {
		t.Errorf("host /etc changed (-want +got):\n%s", d)
	}
	if fi, err := os.Lstat(root + "/secret"); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("box:/secret after a refused cp: %v %v, want the link as it was", fi, err)
	}

	// Inside the root, a link to a directory is followed as cp does; a
	// link where a file goes is replaced, never written through.
	writeFiles(t, root, map[string]string{"usr/home/.keep": "", "etc/motd": "motd\n"})
	for name, target := range map[string]string{"home": "usr/home", "motdlink": "etc/motd"} {
		if err := os.Symlink(target, root+"/"+name); err != nil {
			t.Fatal(err)
		}
	}
	mustIocage(t, "cp", "/tmp/cpsrc/a.txt", "box:/home")
	if b, err := os.ReadFile(root + "/usr/home/a.txt"); err != nil || string(b) != "alpha\n" {
		t.Errorf("cp into box:/home (a link to usr/home): %q %v", b, err)
	}
	mustIocage(t, "cp", "/tmp/cpsrc/a.txt", "box:/motdlink")
	if fi, err := os.Lstat(root + "/motdlink"); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("box:/motdlink after cp: %v %v, want a regular file", fi, err)
	}
	if b, _ := os.ReadFile(root + "/etc/motd"); string(b) != "motd\n" {
		t.Errorf("cp onto box:/motdlink wrote through it: etc/motd is %q", b)
	}

	// Jail to jail.
	mustIocage(t, "create", "-e", "tag=box2")
	mustIocage(t, "cp", "box:/etc/motd", "box2:/motd")
	if b, err := os.ReadFile(jailRoot(t, s, "box2") + "/motd"); err != nil || string(b) != "motd\n" {
		t.Errorf("cp box:/etc/motd box2:/motd: %q %v", b, err)
	}
}
