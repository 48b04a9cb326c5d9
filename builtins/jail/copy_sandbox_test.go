package jail_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// cpState lists every name under dir with its mode and content.
func cpState(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		line := p[len(dir):] + " " + fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			line += " " + string(b)
		} else if fi.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			line += " -> " + target
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestCopyFaultsLeaveEverythingAsItWas fails every change of a copy in
// turn, in both directions, merging into a tree where a file is replaced:
// rolled back, the destination is as before, no temporary left.
func TestCopyFaultsLeaveEverythingAsItWas(t *testing.T) {
	s := sandboxtest.New(t)
	h := s.Host
	top := s.Path("/tmp/cpf")
	t.Cleanup(func() { os.RemoveAll(top) })
	files := map[string]string{
		"src/d/x": "new x\n", "src/d/sub/y": "y\n", "src/d/z": "z\n",
		"root/d/x": "old x\n", "root/d/keep": "keep\n",
		"host/d/x": "host x\n",
	}
	for name, content := range files {
		p := filepath.Join(top, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("x", top+"/src/d/link"); err != nil {
		t.Fatal(err)
	}
	const root = "/tmp/cpf/root"
	for _, tc := range []struct {
		name     string
		src, dst jail.Place
	}{
		{"in", jail.Place{Path: "/tmp/cpf/src/d"}, jail.Place{Root: root, Path: "/", Name: "j"}},
		{"out", jail.Place{Root: root, Path: "/d", Name: "j"}, jail.Place{Path: "/tmp/cpf/host"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := cpState(t, top)
			for n := 1; ; n++ {
				undo := thread.NewUndo(h, nil)
				h.InjectFailure(n)
				_, err := jail.Copy(context.Background(), h, undo, tc.src, tc.dst, true)
				h.InjectFailure(0)
				if err == nil {
					if n == 1 {
						t.Fatal("the copy made no change to fail")
					}
					break
				}
				if !errors.Is(err, runtime.ErrInjected) {
					t.Fatalf("change %d: %v", n, err)
				}
				if err := undo.Rollback(context.Background()); err != nil {
					t.Fatalf("change %d: rollback: %v", n, err)
				}
				if d := cmp.Diff(before, cpState(t, top)); d != "" {
					t.Fatalf("copy failed at change %d, rolled back (-before +after):\n%s", n, d)
				}
			}
			after := cpState(t, top)
			if d := cmp.Diff(before, after); d == "" {
				t.Fatal("the copy changed nothing")
			}
		})
	}
	want := []string{"/host/d/x -rw-r--r-- new x\n", "/host/d/link Lrwxrwxrwx -> x", "/root/d/keep -rw-r--r-- keep\n", "/root/d/link Lrwxrwxrwx -> x", "/root/d/sub/y -rw-r--r-- y\n",
		"/root/d/x -rw-r--r-- new x\n", "/root/d/z -rw-r--r-- z\n"}
	got := cpState(t, top)
	for _, w := range want {
		found := false
		for _, g := range got {
			if g == w {
				found = true
			}
		}
		if !found {
			t.Errorf("after the copies, %q missing from:\n%v", w, got)
		}
	}
}
