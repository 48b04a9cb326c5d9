package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// With a root, FreeBSD runs ROOT+path as a process that sees its FreeBSD
// path as argv[0], in ROOT+dir: what a sandbox's programs rely on.
func TestFreeBSDRunsProgramsUnderItsRoot(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"bin", "var/db"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Skip("no /bin/sh")
	}
	if err := os.Symlink(sh, filepath.Join(root, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	h := New(FreeBSD{Root: root}, Options{})
	var out []byte
	res, err := h.Run(context.Background(), &Cmd{Path: "/bin/sh", Args: []string{"-c", "echo \"$0\"; pwd"}, Dir: "/var/db"})
	if err == nil {
		out = res.Stdout
	}
	if d := cmp.Diff("/bin/sh\n"+filepath.Join(root, "var/db")+"\n", string(out)); d != "" || err != nil {
		t.Errorf("run under the root (%v) (-want +got):\n%s", err, d)
	}
	if got := h.LocalPath("/iocage/../etc/rc.conf"); got != filepath.Join(root, "etc/rc.conf") {
		t.Errorf("LocalPath = %q", got)
	}
	if got := (FreeBSD{}).LocalPath("/etc/rc.conf"); got != "/etc/rc.conf" {
		t.Errorf("FreeBSD's own LocalPath = %q", got)
	}
	if u, own := (FreeBSD{}).MirrorURL(); u != "" || own {
		t.Errorf("FreeBSD itself brings a mirror: %q %v", u, own)
	}
}

func TestSandboxRootNeedsInstalledPrograms(t *testing.T) {
	dir := t.TempDir()
	if _, err := SandboxRoot(dir); !errors.Is(err, ErrNotExist) {
		t.Fatalf("SandboxRoot of an empty directory: %v, want ErrNotExist", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "root/sbin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../.sandbox/iocage-sandbox", filepath.Join(dir, "root/sbin/zfs")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sandbox.json"), []byte(`{"mirror": "127.0.0.1:8180"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := SandboxRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := FreeBSD{Root: filepath.Join(dir, "root"), Mirror: "http://127.0.0.1:8180"}
	if d := cmp.Diff(want, f); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if u, own := f.MirrorURL(); u != want.Mirror || !own {
		t.Errorf("a sandbox's mirror: %q %v", u, own)
	}
}
