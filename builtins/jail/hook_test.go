package jail_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/runtime"
)

// jail(8) forgets exec.prestop, exec.stop and exec.clean once the jail is
// made (stop runs them itself), and allow.dying does nothing on a create
// since FreeBSD 14: none of them is passed to jail -c.
func TestStartParamsLeaveOutWhatJailForgets(t *testing.T) {
	j := stPlainJail(nil)
	hooks := map[string]string{"prestart": "/usr/bin/true", "poststart": "/usr/bin/true", "prestop": "/usr/bin/true"}
	ps, err := jail.StartParams(j, jail.ParamOptions{Hooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		k, _, _ := strings.Cut(p, "=")
		switch k {
		case "exec.prestop", "exec.stop", "exec.clean", "allow.dying":
			t.Errorf("params hold %q", p)
		}
	}
	if !strings.Contains(strings.Join(ps, " "), "mount.fstab="+jail.FstabDir+"/fstab."+stUUID) || jail.FstabDir != "/var/run/iocage" {
		t.Errorf("mount.fstab is not in /var/run/iocage: %v", ps)
	}
}

// A hook file that is a symlink (an import stream may bring one) is
// refused: root would run whatever host file it names.
func TestHookFileSymlinkRefused(t *testing.T) {
	root := t.TempDir()
	h := runtime.New(&runtime.Scripted{Root: root}, runtime.Options{})
	j := stPlainJail(map[string]string{"exec_prestart": "/usr/bin/true"})
	mp := filepath.Join(root, j.Mountpoint)
	must(t, os.MkdirAll(mp, 0o755))
	must(t, os.WriteFile(filepath.Join(root, "evil"), []byte("#!/bin/sh\n"), 0o755))
	must(t, os.Symlink("/evil", filepath.Join(mp, "prestart")))
	if c, err := jail.HookCommand(h, j, "prestart"); !errors.Is(err, runtime.ErrUnsafe) || !strings.Contains(err.Error(), j.Mountpoint+"/prestart is a symbolic link") {
		t.Errorf("HookCommand = %q, %v; want a refusal naming the link", c, err)
	}
	must(t, os.Remove(filepath.Join(mp, "prestart")))
	must(t, os.WriteFile(filepath.Join(mp, "prestart"), []byte("#!/bin/sh\n"), 0o755))
	if c, err := jail.HookCommand(h, j, "prestart"); err != nil || c != j.Mountpoint+"/prestart" {
		t.Errorf("HookCommand = %q, %v; want the executable file", c, err)
	}
}

// jail.exec's clean=True is jexec -l.
func TestJexecCleanCmd(t *testing.T) {
	c, err := jail.JexecCleanCmd(stPlainJail(nil), []string{"/bin/sh", "/etc/rc"}, "", "", true)
	if err != nil {
		t.Fatal(err)
	}
	if want := runtime.Jexec + " -l ioc-" + stUUID + " /bin/sh /etc/rc"; c.String() != want {
		t.Errorf("cmd = %q, want %q", c.String(), want)
	}
}
