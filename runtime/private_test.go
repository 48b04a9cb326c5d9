package runtime

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPrivateDirMakesA0700Directory(t *testing.T) {
	root := t.TempDir()
	h := New(&Scripted{Root: root}, Options{})
	if err := h.PrivateDir("/var/run/iocage"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(filepath.Join(root, "var/run/iocage"))
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("made %v, %v; want a 0700 directory", fi, err)
	}
	if err := h.PrivateDir("/var/run/iocage"); err != nil {
		t.Errorf("second call: %v", err)
	}
}

func TestPrivateDirRefusesWhatOthersControl(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, local string)
		want  string
	}{
		{"symlink", func(t *testing.T, local string) {
			os.MkdirAll(filepath.Dir(local)+"/elsewhere", 0o700)
			if err := os.Symlink("elsewhere", local); err != nil {
				t.Fatal(err)
			}
		}, "is a symbolic link"},
		{"world-writable", func(t *testing.T, local string) {
			os.MkdirAll(local, 0o700)
			os.Chmod(local, 0o777)
		}, "chmod 0700 /var/run/iocage"},
		{"file", func(t *testing.T, local string) {
			os.MkdirAll(filepath.Dir(local), 0o755)
			os.WriteFile(local, nil, 0o600)
		}, "is not a directory"},
		{"other owner", func(t *testing.T, local string) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give the directory away")
			}
			os.MkdirAll(local, 0o700)
			if err := os.Chown(local, 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, "chown root:wheel /var/run/iocage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			local := filepath.Join(root, "var/run/iocage")
			tc.setup(t, local)
			h := New(&Scripted{Root: root}, Options{})
			err := h.PrivateDir("/var/run/iocage")
			if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "/var/run/iocage") {
				t.Fatalf("PrivateDir = %v; want ErrUnsafe naming the path and %q", err, tc.want)
			}
			if _, err := h.OpenLock("/var/run/iocage/x.lock"); !errors.Is(err, ErrUnsafe) {
				t.Errorf("OpenLock = %v; want ErrUnsafe", err)
			}
			if _, err := os.Lstat(filepath.Join(root, "var/run/elsewhere/x.lock")); err == nil {
				t.Errorf("a lock file was made through the symlink")
			}
		})
	}
}

func TestPrivateDirDryRunPrints(t *testing.T) {
	root := t.TempDir()
	var out bytes.Buffer
	h := New(&Scripted{Root: root}, Options{DryRun: true, Out: &out})
	if err := h.PrivateDir("/var/run/iocage"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(root, "var/run/iocage")); err == nil {
		t.Errorf("dry-run made the directory")
	}
	if diff := cmp.Diff("would mkdir -m 0700 -p /var/run/iocage\n", out.String()); diff != "" {
		t.Errorf("dry-run output (-want +got):\n%s", diff)
	}
}

func TestOpenLockRefusesASymlink(t *testing.T) {
	root := t.TempDir()
	h := New(&Scripted{Root: root}, Options{})
	if err := h.PrivateDir("/run"); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(root, "target")
	os.WriteFile(target, []byte("keep"), 0o644)
	os.Symlink(target, filepath.Join(root, "run/a.lock"))
	if _, err := h.OpenLock("/run/a.lock"); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("OpenLock = %v; want ErrUnsafe", err)
	}
}

func TestWriteFileReplacesASymlinkAndRemoveRemovesIt(t *testing.T) {
	root := t.TempDir()
	h := New(&Scripted{Root: root}, Options{})
	target := filepath.Join(root, "target")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := filepath.Join(root, "f")
	os.Symlink(target, link)
	if err := h.WriteFile("/f", []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("target = %q; written through the symlink", b)
	}
	if fi, _ := os.Lstat(link); fi == nil || !fi.Mode().IsRegular() {
		t.Errorf("f is not a regular file after WriteFile")
	}
	os.Remove(link)
	os.Symlink(target, link)
	if err := h.Remove("/f"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("Remove removed the symlink's target: %v", err)
	}
}

func TestReadRegularRefusesASymlink(t *testing.T) {
	root := t.TempDir()
	h := New(&Scripted{Root: root}, Options{})
	os.WriteFile(filepath.Join(root, "secret"), []byte("x"), 0o600)
	os.Symlink("/secret", filepath.Join(root, "fstab"))
	if _, err := h.ReadRegular("/fstab"); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "/fstab is a symbolic link") {
		t.Fatalf("ReadRegular = %v; want a refusal naming /fstab", err)
	}
	os.WriteFile(filepath.Join(root, "ok"), []byte("y"), 0o600)
	if b, err := h.ReadRegular("/ok"); err != nil || string(b) != "y" {
		t.Errorf("ReadRegular(/ok) = %q, %v", b, err)
	}
}

// jailTree makes a jail root at /j/root with etc/resolv.conf a symlink to
// the host's /etc/resolv.conf, dev a symlink to the host's /dev and a
// host file that must stay as it is.
func jailTree(t *testing.T) (string, *Host) {
	root := t.TempDir()
	for _, d := range []string{"j/root/etc", "etc", "dev", "j/root/usr/local"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "etc/resolv.conf"), []byte("host\n"), 0o644)
	os.Symlink("/etc/resolv.conf", filepath.Join(root, "j/root/etc/resolv.conf"))
	os.Symlink("../../../etc", filepath.Join(root, "j/root/etc2"))
	os.Symlink("/usr/local", filepath.Join(root, "j/root/abs"))
	return root, New(&Scripted{Root: root}, Options{})
}

func TestInRootNeverLeavesTheTree(t *testing.T) {
	root, h := jailTree(t)
	r := h.InRoot("/j/root")
	// A final symlink is replaced, not written through.
	if err := r.WriteFile("/etc/resolv.conf", []byte("jail\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/resolv.conf")); string(b) != "host\n" {
		t.Errorf("host file = %q; written through the jail's symlink", b)
	}
	// A directory symlink leading out is an error.
	for _, op := range []func() error{
		func() error { return r.WriteFile("etc2/resolv.conf", []byte("x"), 0o644) },
		func() error { return r.Symlink("../var/run/log", "etc2/log") },
		func() error { return r.MkdirAll("etc2/sub", 0o755) },
		func() error { return r.Remove("etc2/resolv.conf") },
		func() error { _, err := r.ReadFile("etc2/resolv.conf"); return err },
	} {
		if err := op(); !errors.Is(err, ErrUnsafe) {
			t.Errorf("op through etc2 = %v; want ErrUnsafe", err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/resolv.conf")); string(b) != "host\n" {
		t.Errorf("host file = %q after the refused operations", b)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/log")); err == nil {
		t.Errorf("a symlink was made outside the tree")
	}
}

func TestInRootResolve(t *testing.T) {
	_, h := jailTree(t)
	r := h.InRoot("/j/root")
	for rel, want := range map[string]string{
		"usr/local/www": "/j/root/usr/local/www",
		"abs/www":       "/j/root/usr/local/www",
		"proc":          "/j/root/proc",
		"a/../proc":     "/j/root/proc",
	} {
		got, err := r.Resolve(rel)
		if err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", rel, got, err, want)
		}
	}
	for _, rel := range []string{"../../etc", "etc2/x", "usr/../../x"} {
		if got, err := r.Resolve(rel); !errors.Is(err, ErrUnsafe) {
			t.Errorf("Resolve(%q) = %q, %v; want ErrUnsafe", rel, got, err)
		}
	}
}
