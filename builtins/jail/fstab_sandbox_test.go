package jail_test

// The fstab verb on the sandbox: lines added, listed and removed on a
// stopped jail (the file checked byte for byte), mounted and unmounted at
// once on a running one, refusals that leave the host as it was, and edit
// with an editor that writes a bad line.

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// fsArgs are the keyword arguments of fstab.star's main.
func fsArgs(name, action string, args ...string) map[string]starlark.Value {
	l := make([]starlark.Value, len(args))
	for i, a := range args {
		l[i] = starlark.String(a)
	}
	return map[string]starlark.Value{"name": starlark.String(name), "action": starlark.String(action), "args": starlark.NewList(l)}
}

// fsRows renders the rows of the table the verb returned, one line each:
// index source destination type options dump pass, "|"-separated.
func fsRows(t *testing.T, v starlark.Value) []string {
	t.Helper()
	tab, ok := v.(*starlarkstruct.Struct)
	if !ok {
		t.Fatalf("fstab returned %s, want a table struct", v.Type())
	}
	rv, err := tab.Attr("rows")
	must(t, err)
	var out []string
	it := rv.(starlark.Iterable).Iterate()
	defer it.Done()
	var row starlark.Value
	for it.Next(&row) {
		var f []string
		for _, c := range []string{"index", "source", "destination", "type", "options", "dump", "pass"} {
			x, err := row.(starlark.HasAttrs).Attr(c)
			must(t, err)
			if s, ok := starlark.AsString(x); ok {
				f = append(f, s)
			} else {
				f = append(f, x.String())
			}
		}
		out = append(out, strings.Join(f, "|"))
	}
	return out
}

// fsJail is a stopped jail "web" with the fstab template create writes.
func fsJail(t *testing.T) (*sandboxtest.Sandbox, *jail.Jail) {
	t.Helper()
	s := stSetup(t)
	j := stJail(t, s, stUUID, "web", map[string]string{"vnet": "off", "ip4_addr": "none"})
	must(t, s.Host.WriteFile(j.Mountpoint+"/fstab", []byte(jail.FstabTemplate), 0o644))
	return s, j
}

func fsFile(t *testing.T, s *sandboxtest.Sandbox, j *jail.Jail) string {
	t.Helper()
	b, err := s.Host.ReadFile(j.Mountpoint + "/fstab")
	must(t, err)
	return string(b)
}

func fsRun(t *testing.T, s *sandboxtest.Sandbox, action string, args ...string) []string {
	t.Helper()
	v, out, err := stRun(t, s, "fstab", fsArgs("web", action, args...))
	if err != nil {
		t.Fatalf("fstab web %s %v: %v\n%s", action, args, err, out)
	}
	return fsRows(t, v)
}

func TestFstabVerbAddListRemoveOnAStoppedJail(t *testing.T) {
	s, j := fsJail(t)
	root := s.Host.LocalPath(j.Mountpoint + "/root")
	must(t, os.MkdirAll(s.Host.LocalPath("/srv/my ports"), 0o755))
	must(t, os.MkdirAll(s.Host.LocalPath("/srv/www"), 0o755))

	got := fsRun(t, s, "add", "/srv/my ports", "/usr/ports")
	if d := cmp.Diff([]string{"1|/srv/my ports|/usr/ports|nullfs|ro|0|0"}, got); d != "" {
		t.Errorf("add (-want +got):\n%s", d)
	}
	fsRun(t, s, "add", "/srv/www", "/usr/local/www/my site", "nullfs", "rw,noatime")
	line1 := "/srv/my\\040ports\t%jailroot%/usr/ports\tnullfs\tro\t0\t0\n"
	line2 := "/srv/www\t%jailroot%/usr/local/www/my\\040site\tnullfs\trw,noatime\t0\t0\n"
	if d := cmp.Diff(jail.FstabTemplate+line1+line2, fsFile(t, s, j)); d != "" {
		t.Errorf("fstab after two adds (-want +got):\n%s", d)
	}
	for _, p := range []string{"/usr/ports", "/usr/local/www/my site"} {
		if fi, err := os.Lstat(root + p); err != nil || !fi.IsDir() {
			t.Errorf("mount point %s not made in the jail: %v", p, err)
		}
	}
	want := []string{"1|/srv/my ports|/usr/ports|nullfs|ro|0|0", "2|/srv/www|/usr/local/www/my site|nullfs|rw,noatime|0|0"}
	if d := cmp.Diff(want, fsRun(t, s, "list")); d != "" {
		t.Errorf("list (-want +got):\n%s", d)
	}
	// Start reads what add wrote.
	text, err := jail.ExpandFstab(fsFile(t, s, j), j.Mountpoint+"/root", s.Host.InRoot(j.Mountpoint+"/root").Resolve)
	must(t, err)
	if !strings.Contains(text, "\t"+j.Mountpoint+"/root/usr/local/www/my\\040site\t") {
		t.Errorf("start would not mount the added line where it should:\n%s", text)
	}

	if d := cmp.Diff([]string{"1|/srv/my ports|/usr/ports|nullfs|ro|0|0"}, fsRun(t, s, "rm", "1")); d != "" {
		t.Errorf("rm 1 (-want +got):\n%s", d)
	}
	if d := cmp.Diff(jail.FstabTemplate+line2, fsFile(t, s, j)); d != "" {
		t.Errorf("fstab after rm 1 (-want +got):\n%s", d)
	}
	fsRun(t, s, "rm", "/usr/local/www/my site/")
	if d := cmp.Diff(jail.FstabTemplate, fsFile(t, s, j)); d != "" {
		t.Errorf("fstab after rm DST (-want +got):\n%s", d)
	}
	if got := fsRun(t, s, "list"); len(got) != 0 {
		t.Errorf("list after removing both = %v", got)
	}
}

// Each refusal names what is wrong and leaves the fstab, the jail's root
// and the rest of the host as they were.
func TestFstabVerbRefusals(t *testing.T) {
	s, j := fsJail(t)
	root := s.Host.LocalPath(j.Mountpoint + "/root")
	must(t, os.MkdirAll(root+"/mnt", 0o755))
	must(t, os.Symlink("/", root+"/mnt/evil"))
	must(t, os.Symlink("../../../../../../../../..", root+"/mnt/up"))
	must(t, os.WriteFile(root+"/mnt/file", nil, 0o644))
	must(t, os.MkdirAll(s.Host.LocalPath("/srv/data"), 0o755))
	fsRun(t, s, "add", "/srv/data", "/mnt/data")
	fstab := fsFile(t, s, j)
	for _, tc := range []struct {
		name, action string
		args         []string
		want         string
	}{
		{"unknown", "add", []string{"/srv/data", "/x"}, `jail "unknown": does not exist`},
		{"web", "add", []string{"/srv/data", "/mnt/../../etc"}, `destination "/mnt/../../etc": ".." is refused`},
		{"web", "add", []string{"/srv/data", "/mnt/evil/etc"}, "destination /mnt/evil/etc: /mnt/evil is a symbolic link that leads out of the jail's root"},
		{"web", "add", []string{"/srv/data", "/mnt/up/tmp"}, "/mnt/up is a symbolic link that leads out of the jail's root"},
		{"web", "add", []string{"/srv/data", "/mnt/file/x"}, "/mnt/file is a file, not a directory"},
		{"web", "add", []string{"/srv/data", "mnt/rel"}, "want an absolute path inside the jail"},
		{"web", "add", []string{"/srv/data", "/"}, "the jail's root itself cannot be a mount point"},
		{"web", "add", []string{"/srv/data", "/mnt/%jailroot%"}, "may only start it"},
		{"web", "add", []string{"%jailroot%/mnt/evil", "/mnt/x"}, "a path inside the jail (%jailroot%) is refused"},
		{"web", "add", []string{"/srv/missing", "/mnt/x"}, "source /srv/missing does not exist on the host"},
		{"web", "add", []string{"srv/data", "/mnt/x"}, "nullfs mounts a host directory: want an absolute path"},
		{"web", "add", []string{"/srv/data", "/mnt/data/"}, "destination /mnt/data is already in the fstab (line 12)"},
		{"web", "add", []string{"/srv/data", "/mnt/x", "null fs"}, `type "null fs": want a file system type`},
		{"web", "add", []string{"/srv/data"}, "add takes SRC DST [TYPE [OPTIONS]]"},
		{"web", "rm", []string{"5"}, "no entry 5: the fstab has entries 1 to 1"},
		{"web", "rm", []string{"0"}, "no entry 0"},
		{"web", "rm", []string{"/mnt/other"}, "no entry mounts on /mnt/other"},
		{"web", "rm", nil, "rm takes one INDEX"},
		{"web", "mount", nil, `unknown action "mount": want add, rm, list or edit`},
		{"default", "list", nil, "the defaults have no fstab"},
	} {
		t.Run(tc.action+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			before := stState(t, s)
			_, out, err := stRun(t, s, "fstab", fsArgs(tc.name, tc.action, tc.args...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("fstab %s %s %v = %v; want an error with %q\n%s", tc.name, tc.action, tc.args, err, tc.want, out)
			}
			if got := fsFile(t, s, j); got != fstab {
				t.Errorf("the refusal changed the fstab:\n%s", got)
			}
			for _, p := range []string{root + "/etc/etc", root + "/mnt/x", root + "/mnt/rel", s.Host.LocalPath("/tmp/tmp"), s.Host.LocalPath("/etc/etc")} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s made", p)
				}
			}
			if d := cmp.Diff(before, stState(t, s)); d != "" {
				t.Errorf("the refusal changed the host (-before +after):\n%s", d)
			}
		})
	}
}

// An fstab that is a symlink (it may have come with an import stream) is
// refused, not followed, and what it names is left alone.
func TestFstabVerbRefusesASymlinkedFstab(t *testing.T) {
	s, j := fsJail(t)
	must(t, os.MkdirAll(s.Host.LocalPath("/srv/data"), 0o755))
	must(t, os.WriteFile(s.Host.LocalPath("/etc/host.conf"), []byte("host's\n"), 0o644))
	fstab := s.Host.LocalPath(j.Mountpoint + "/fstab")
	must(t, os.Remove(fstab))
	must(t, os.Symlink("/etc/host.conf", fstab))
	for _, args := range [][]string{{"list"}, {"add", "/srv/data", "/mnt/data"}, {"rm", "1"}, {"edit"}} {
		t.Setenv("EDITOR", "/usr/bin/true")
		_, out, err := stRun(t, s, "fstab", fsArgs("web", args[0], args[1:]...))
		if err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("fstab web %v = %v; want a refusal of the symlink\n%s", args, err, out)
		}
	}
	if b, _ := os.ReadFile(s.Host.LocalPath("/etc/host.conf")); string(b) != "host's\n" {
		t.Errorf("the file the symlink names = %q; written through", b)
	}
	if fi, err := os.Lstat(fstab); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlinked fstab was replaced: %v", err)
	}
}

// On a running jail add mounts at once and rm unmounts; a mount that
// fails takes the line and the mount point back.
func TestFstabVerbMountsOnARunningJail(t *testing.T) {
	s, j := fsJail(t)
	point := j.Mountpoint + "/root/mnt/shared"
	must(t, os.MkdirAll(s.Host.LocalPath("/srv/shared"), 0o755))
	if _, out, err := stRun(t, s, "start", names("web")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	mounted := func() string {
		ms, err := jail.Mounts(t.Context(), s.Host)
		must(t, err)
		for _, m := range ms {
			if m.Point == point {
				return m.Device + " " + m.FSType
			}
		}
		return ""
	}

	s.Host.Record()
	fsRun(t, s, "add", "/srv/shared", "/mnt/shared", "nullfs", "ro")
	if got := mounted(); got != "/srv/shared nullfs" {
		t.Errorf("after add, %s has %q; want /srv/shared nullfs", point, got)
	}
	var mountCmd string
	for _, ev := range s.Host.Events() {
		if strings.HasPrefix(ev.Cmd, "/sbin/mount -t") {
			mountCmd = ev.Cmd
		}
	}
	if want := "/sbin/mount -t nullfs -o ro /srv/shared " + point; mountCmd != want {
		t.Errorf("mount command = %q; want %q", mountCmd, want)
	}

	fsRun(t, s, "rm", "/mnt/shared")
	if got := mounted(); got != "" {
		t.Errorf("after rm, %s still has %q", point, got)
	}
	if d := cmp.Diff(jail.FstabTemplate, fsFile(t, s, j)); d != "" {
		t.Errorf("fstab after rm (-want +got):\n%s", d)
	}

	// nmount(2) refuses an option nullfs does not know.
	before := stState(t, s)
	_, out, err := stRun(t, s, "fstab", fsArgs("web", "add", "/srv/shared", "/mnt/new/deep", "nullfs", "ro,bogus"))
	if err == nil || !strings.Contains(err.Error(), "jail.fstab_mount") {
		t.Fatalf("add with a bad option = %v; want the mount to fail\n%s", err, out)
	}
	if d := cmp.Diff(jail.FstabTemplate, fsFile(t, s, j)); d != "" {
		t.Errorf("fstab after the failed mount (-want +got):\n%s", d)
	}
	if _, err := os.Lstat(s.Host.LocalPath(j.Mountpoint + "/root/mnt/new")); err == nil {
		t.Errorf("the mount point made for the failed add is still there")
	}
	if d := cmp.Diff(before, stState(t, s)); d != "" {
		t.Errorf("the failed add changed the host (-before +after):\n%s", d)
	}

	// A failure at any change of add or rm leaves the host as it was.
	for _, args := range [][]string{{"add", "/srv/shared", "/mnt/a/b"}, {"rm", "/mnt/a/b"}} {
		before, fstab := stState(t, s), fsFile(t, s, j)
		for n := 1; ; n++ {
			if n > 10 {
				t.Fatalf("fstab %v still fails after 10 injected failures", args)
			}
			s.Host.InjectFailure(n)
			_, out, err := stRun(t, s, "fstab", fsArgs("web", args[0], args[1:]...))
			s.Host.InjectFailure(0)
			if err == nil {
				t.Logf("fstab %v succeeded with the failure injected at change %d", args, n)
				break
			}
			if !strings.Contains(err.Error(), "injected failure") {
				t.Fatalf("n=%d: %v\n%s", n, err, out)
			}
			if d := cmp.Diff(before, stState(t, s)); d != "" {
				t.Fatalf("n=%d: fstab %v failed and changed the host (-before +after):\n%s", n, args, d)
			}
			if got := fsFile(t, s, j); got != fstab {
				t.Fatalf("n=%d: fstab %v failed and changed the fstab:\n%s", n, args, got)
			}
			if _, err := os.Lstat(s.Host.LocalPath(j.Mountpoint + "/root/mnt/a")); args[0] == "add" && err == nil {
				t.Fatalf("n=%d: the failed add left its mount point", n)
			}
		}
	}
	if got := mounted(); got != "" {
		t.Errorf("after add and rm, %s has %q", point, got)
	}

	if _, out, err := stRun(t, s, "stop", names("web")); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
}

// The undo step of a mount point add made can be replayed twice (another
// iocage after this one died), and removes only a directory, resolved
// inside the root.
func TestFstabRmdirStepReplays(t *testing.T) {
	s, j := fsJail(t)
	root := j.Mountpoint + "/root"
	local := s.Host.LocalPath(root)
	must(t, os.MkdirAll(local+"/mnt/made", 0o755))
	must(t, os.MkdirAll(s.Host.LocalPath("/srv/keep"), 0o755))
	must(t, os.Symlink("/srv/keep", local+"/mnt/link"))
	for _, rel := range []string{"mnt/made", "mnt/made", "mnt/link/x", "mnt/link"} {
		if err := (thread.Step{Kind: "jail.fstab_rmdir", Args: []string{root, rel}}).Run(t.Context(), s.Host); err != nil && rel != "mnt/link/x" {
			t.Errorf("replay of %s: %v", rel, err)
		}
	}
	if _, err := os.Lstat(local + "/mnt/made"); err == nil {
		t.Errorf("mnt/made is still there")
	}
	if _, err := os.Lstat(local + "/mnt/link"); err != nil {
		t.Errorf("the symlink mnt/link was removed: %v", err)
	}
	if _, err := os.Stat(s.Host.LocalPath("/srv/keep")); err != nil {
		t.Errorf("the host directory a link named was removed: %v", err)
	}
}

// edit keeps the editor's result only when start would accept it.
func TestFstabVerbEdit(t *testing.T) {
	s, j := fsJail(t)
	must(t, os.MkdirAll(s.Host.LocalPath("/srv/data"), 0o755))
	editor := func(line string) {
		// Programs the sandbox does not model run on this machine with
		// host paths: the script finds the copy under the sandbox's root.
		script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' '%s' >> '%s'\"$1\"\n", line, s.Host.LocalPath("/"))
		must(t, os.WriteFile(s.Host.LocalPath("/tmp/ed.sh"), []byte(script), 0o755))
		t.Setenv("EDITOR", "/tmp/ed.sh")
	}
	for _, tc := range []struct{ line, want string }{
		{"only three fields", "fstab line 12: 3 fields, want 4 to 6"},
		{"/srv/data /etc nullfs ro 0 0", `fstab line 12: mount point "/etc" is outside the jail's root`},
		{"/srv/data %jailroot%/../x nullfs ro 0 0", "is outside the jail's root"},
	} {
		editor(tc.line)
		_, out, err := stRun(t, s, "fstab", fsArgs("web", "edit"))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "the edited fstab is refused") {
			t.Fatalf("edit adding %q = %v; want a refusal with %q\n%s", tc.line, err, tc.want, out)
		}
		if d := cmp.Diff(jail.FstabTemplate, fsFile(t, s, j)); d != "" {
			t.Errorf("fstab after a refused edit (-want +got):\n%s", d)
		}
	}
	editor("/srv/data %jailroot%/mnt nullfs rw 0 0")
	v, out, err := stRun(t, s, "fstab", fsArgs("web", "edit"))
	if err != nil {
		t.Fatalf("edit: %v\n%s", err, out)
	}
	if d := cmp.Diff([]string{"1|/srv/data|/mnt|nullfs|rw|0|0"}, fsRows(t, v)); d != "" {
		t.Errorf("edit (-want +got):\n%s", d)
	}
	if d := cmp.Diff(jail.FstabTemplate+"/srv/data %jailroot%/mnt nullfs rw 0 0\n", fsFile(t, s, j)); d != "" {
		t.Errorf("fstab after the edit (-want +got):\n%s", d)
	}
	if _, err := os.Lstat(s.Host.LocalPath(jail.EditPath(stUUID))); err == nil {
		t.Errorf("the edited copy %s is left after a good edit", jail.EditPath(stUUID))
	}
}
