package jail_test

// What another local user or a jail's own root user controls must not be
// turned against the host by start: the directory of the generated fstab,
// symlinks inside the jail's root, and the mount points of its fstab.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/runtime"
)

// A /var/run/iocage prepared by someone else (a symlink, another owner,
// writable by others) makes start refuse, naming the path and the fix, and
// nothing is written through it.
func TestStartRefusesAnUnsafeFstabDir(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, local, elsewhere string)
		want  string
	}{
		{"symlink", func(t *testing.T, local, elsewhere string) {
			must(t, os.Symlink(elsewhere, local))
		}, jail.FstabDir + " is a symbolic link"},
		{"mode 0777", func(t *testing.T, local, elsewhere string) {
			must(t, os.Mkdir(local, 0o700))
			must(t, os.Chmod(local, 0o777))
		}, "chmod 0700 " + jail.FstabDir},
		{"other owner", func(t *testing.T, local, elsewhere string) {
			must(t, os.Mkdir(local, 0o700))
			must(t, os.Chown(local, 4242, 4242))
		}, "chown root:wheel " + jail.FstabDir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := stSetup(t)
			stJail(t, s, stUUID, "web", map[string]string{"vnet": "off", "ip4_addr": "none"})
			local := s.Host.LocalPath(jail.FstabDir)
			elsewhere := s.Host.LocalPath("/var/tmp/planted")
			must(t, os.MkdirAll(elsewhere, 0o777))
			must(t, os.MkdirAll(filepath.Dir(local), 0o755))
			t.Cleanup(func() { os.RemoveAll(local); os.RemoveAll(elsewhere) })
			tc.setup(t, local, elsewhere)
			before := stState(t, s)
			_, out, err := stRun(t, s, "start", names("web"))
			if err == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("start = %v; want a refusal with %q:\n%s", err, tc.want, out)
			}
			ents, _ := os.ReadDir(elsewhere)
			if len(ents) != 0 {
				t.Errorf("written through the planted directory: %v", ents)
			}
			if d := cmp.Diff(before, stripTagLinks(stState(t, s))); d != "" {
				t.Errorf("the refused start changed the host (-before +after):\n%s", d)
			}
		})
	}
}

// The jail's root user made etc/resolv.conf, etc and proc symlinks to host
// paths: start refuses to write or mount through them, and the host's
// files stay as they were.
func TestStartNeverWritesThroughTheJailsSymlinks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]string
		plant func(t *testing.T, root, outside string)
		want  string
	}{
		{"resolv.conf", map[string]string{"resolver": "nameserver 192.0.2.1"}, func(t *testing.T, root, outside string) {
			os.Remove(root + "/etc/resolv.conf")
			must(t, os.Symlink("../../../../../../../../var/tmp/outside/resolv.conf", root+"/etc/resolv.conf"))
		}, "is not a regular file"},
		{"etc", map[string]string{"resolver": "nameserver 192.0.2.1"}, func(t *testing.T, root, outside string) {
			must(t, os.Rename(root+"/etc", root+"/etc.real"))
			must(t, os.Symlink("../../../../../../../../var/tmp/outside", root+"/etc"))
		}, "is not a directory"},
		{"proc", map[string]string{"mount_procfs": "1"}, func(t *testing.T, root, outside string) {
			os.Remove(root + "/proc")
			must(t, os.Symlink("../../../../../../../../var/tmp/outside", root+"/proc"))
		}, "climbs above"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := stSetup(t)
			props := map[string]string{"vnet": "off", "ip4_addr": "none", "exec_start": "/usr/bin/true"}
			for k, v := range tc.props {
				props[k] = v
			}
			j := stJail(t, s, stUUID, "web", props)
			outside := s.Host.LocalPath("/var/tmp/outside")
			must(t, os.MkdirAll(outside, 0o755))
			t.Cleanup(func() { os.RemoveAll(outside) })
			must(t, os.WriteFile(outside+"/resolv.conf", []byte("host's\n"), 0o644))
			tc.plant(t, s.Host.LocalPath(j.Mountpoint+"/root"), outside)
			before := stState(t, s)
			_, out, err := stRun(t, s, "start", names("web"))
			if err == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("start = %v; want a refusal with %q:\n%s", err, tc.want, out)
			}
			ents, _ := os.ReadDir(outside)
			if len(ents) != 1 {
				t.Errorf("outside the root now holds %v", ents)
			}
			if b, _ := os.ReadFile(outside + "/resolv.conf"); string(b) != "host's\n" {
				t.Errorf("host file = %q; written through the jail's symlink", b)
			}
			if d := cmp.Diff(before, stripTagLinks(stState(t, s))); d != "" {
				t.Errorf("the refused start changed the host (-before +after):\n%s", d)
			}
		})
	}
}

// A mount point of the jail's fstab that lies outside its root, by ".."
// or through a symlink inside the root, makes start refuse, naming the
// line, before anything is mounted. One inside, reached through the
// jail's absolute symlink, is written resolved into the generated fstab.
func TestStartRefusesFstabMountPointsOutsideTheRoot(t *testing.T) {
	for _, tc := range []struct {
		name, line, want string
		plant            func(t *testing.T, root string)
	}{
		{"dotdot", "/var/tmp %jailroot%/../../../../var/tmp/x nullfs ro 0 0", "fstab line 2: mount point", nil},
		{"outside", "/var/tmp /mnt nullfs ro 0 0", `fstab line 2: mount point "/mnt" is outside the jail's root`, nil},
		{"symlink", "/var/tmp %jailroot%/mnt/esc nullfs ro 0 0", "fstab line 2: mount point", func(t *testing.T, root string) {
			must(t, os.Symlink("../../../../../../../../../var/tmp", root+"/mnt/esc"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := stSetup(t)
			j := stJail(t, s, stUUID, "web", map[string]string{"vnet": "off", "ip4_addr": "none"})
			root := s.Host.LocalPath(j.Mountpoint + "/root")
			must(t, os.MkdirAll(root+"/mnt", 0o755))
			if tc.plant != nil {
				tc.plant(t, root)
			}
			must(t, s.Host.WriteFile(j.Mountpoint+"/fstab", []byte("# x\n"+tc.line+"\n"), 0o644))
			before := stState(t, s)
			_, out, err := stRun(t, s, "start", names("web"))
			if err == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("start = %v; want a refusal with %q:\n%s", err, tc.want, out)
			}
			if d := cmp.Diff(before, stripTagLinks(stState(t, s))); d != "" {
				t.Errorf("the refused start changed the host (-before +after):\n%s", d)
			}
		})
	}

	t.Run("inside through an absolute link", func(t *testing.T) {
		s := stSetup(t)
		j := stJail(t, s, stUUID, "web", map[string]string{"vnet": "off", "ip4_addr": "none"})
		root := s.Host.LocalPath(j.Mountpoint + "/root")
		must(t, os.MkdirAll(root+"/srv/www", 0o755))
		must(t, os.Symlink("/srv", root+"/web"))
		must(t, s.Host.WriteFile(j.Mountpoint+"/fstab", []byte("/var/tmp %jailroot%/web/www nullfs ro 0 0\n"), 0o644))
		if _, out, err := stRun(t, s, "start", names("web")); err != nil {
			t.Fatalf("start: %v\n%s", err, out)
		}
		b, err := s.Host.ReadFile(jail.FstabPath(stUUID))
		must(t, err)
		if want := "/var/tmp\t" + j.Mountpoint + "/root/srv/www\tnullfs\tro\t0\t0\n"; !strings.HasSuffix(string(b), want) {
			t.Errorf("generated fstab = %q; want it to end with %q", b, want)
		}
		ms, err := jail.Mounts(t.Context(), s.Host)
		must(t, err)
		found := false
		for _, m := range ms {
			found = found || m.Point == j.Mountpoint+"/root/srv/www"
		}
		if !found {
			t.Errorf("nothing mounted at the resolved point: %v", ms)
		}
		fi, err := os.Stat(s.Host.LocalPath(jail.FstabDir))
		must(t, err)
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s has mode %o, want 0700", jail.FstabDir, fi.Mode().Perm())
		}
	})
}

// exec_clean=1 (the default) runs exec_start with `jexec -l`; 0 without.
func TestStartExecCleanUsesJexecL(t *testing.T) {
	for clean, want := range map[string]bool{"1": true, "0": false} {
		t.Run("exec_clean="+clean, func(t *testing.T) {
			s := stSetup(t)
			stJail(t, s, stUUID, "web", map[string]string{"vnet": "off", "ip4_addr": "none", "exec_clean": clean, "exec_start": "/usr/bin/true"})
			s.Host.Record()
			if _, out, err := stRun(t, s, "start", names("web")); err != nil {
				t.Fatalf("start: %v\n%s", err, out)
			}
			var got bool
			for _, ev := range s.Host.Events() {
				if strings.HasPrefix(ev.Cmd, runtime.Jexec+" ") && strings.HasSuffix(ev.Cmd, " /usr/bin/true") {
					got = strings.HasPrefix(ev.Cmd, runtime.Jexec+" -l ioc-")
				}
			}
			if got != want {
				t.Errorf("exec_clean=%s: jexec -l = %v, want %v", clean, got, want)
			}
		})
	}
}
