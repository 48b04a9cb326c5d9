package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

// linuxProgram follows links itself and keeps /usr targets under the
// root's copy of Linux's /usr: inside the root, /usr/bin is the multi-call
// binary again, and a link resolved there would run it forever.
func TestLinuxProgramStaysUnderUsr(t *testing.T) {
	d := t.TempDir()
	usr := filepath.Join(d, ".linux", "usr")
	for _, dir := range []string{"bin", "sbin"} {
		if err := os.MkdirAll(filepath.Join(usr, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(usr, p), []byte("#!/bin/true\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	link := func(p, target string) {
		if err := os.Symlink(target, filepath.Join(usr, p)); err != nil {
			t.Fatal(err)
		}
	}
	write("bin/mawk", 0o755)
	write("bin/notes", 0o644)
	write("sbin/zpool", 0o755)
	link("bin/awk", "/usr/bin/mawk") // absolute, as /etc/alternatives leaves them
	link("bin/nawk", "awk")
	link("bin/loop", "/usr/bin/loop")
	link("bin/away", "/etc/passwd")
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"awk", usr + "/bin/mawk", true},
		{"/usr/bin/nawk", usr + "/bin/mawk", true},
		{"/bin/awk", usr + "/bin/mawk", true},
		{"zpool", usr + "/sbin/zpool", true},
		{"/sbin/zpool", usr + "/sbin/zpool", true},
		{"/usr/bin/zpool", "", false}, // not in bin
		{"loop", "", false},
		{"away", "", false},  // leaves /usr
		{"notes", "", false}, // not executable
		{"/opt/x/awk", "", false},
		{"missing", "", false},
	} {
		got, ok := linuxProgram(usr, tc.name)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("linuxProgram(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
