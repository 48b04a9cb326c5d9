package jail

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// files describes the tree under dir: every entry with its mode, and the
// target of a link or the contents of a file.
func files(t *testing.T, h *runtime.Host, dir string) string {
	t.Helper()
	var out []string
	var walk func(p string)
	walk = func(p string) {
		ents, err := h.ReadDir(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			q := p + "/" + e.Name()
			fi, err := h.Lstat(q)
			if err != nil {
				t.Fatal(err)
			}
			line := fmt.Sprintf("%s %v", strings.TrimPrefix(q, dir), fi.Mode())
			switch {
			case fi.Mode()&fs.ModeSymlink != 0:
				l, _ := h.Readlink(q)
				line += " -> " + l
			case fi.IsDir():
				walk(q)
			default:
				b, _ := h.ReadFile(q)
				line += " " + string(b)
			}
			out = append(out, line)
		}
	}
	walk(dir)
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// Every undo step kind of create, import, export and set, replayed as a
// recovering iocage does: once where its change was never made (the run
// died between journaling and changing), then twice after the change.
// Each replay succeeds and the host ends as it was.
func TestCreateUndoStepsReplayIdempotently(t *testing.T) {
	s := sandboxtest.New(t)
	h := s.Host
	ctx := context.Background()
	type tcase struct {
		name  string
		setup func(d string) error // the host before
		step  func(d string) thread.Step
		// change is what the step takes back.
		change func(d string) error
	}
	write := func(p, data string, perm fs.FileMode) error { return h.WriteFile(p, []byte(data), perm) }
	for i, tc := range []tcase{
		{"file.restore of a new file", nil,
			func(d string) thread.Step { return fileRestoreStep(d+"/fstab", nil, false, 0o644) },
			func(d string) error { return write(d+"/fstab", "new", 0o644) }},
		{"file.restore of a replaced file",
			func(d string) error { return write(d+"/fstab", "old", 0o600) },
			func(d string) thread.Step { return fileRestoreStep(d+"/fstab", []byte("old"), true, 0o600) },
			func(d string) error { return write(d+"/fstab", "new", 0o644) }},
		{"file.restore_in_root of a new file",
			func(d string) error { return h.MkdirAll(d+"/root/etc", 0o755) },
			func(d string) thread.Step { return rootFileRestoreStep(d+"/root", "etc/rc.conf", nil, false, 0o644) },
			func(d string) error { return h.InRoot(d+"/root").WriteFile("etc/rc.conf", []byte("new"), 0o644) }},
		{"file.restore_in_root of a replaced file",
			func(d string) error {
				if err := h.MkdirAll(d+"/root/etc", 0o755); err != nil {
					return err
				}
				return write(d+"/root/etc/rc.conf", "old\x00\xff", 0o640)
			},
			func(d string) thread.Step {
				return rootFileRestoreStep(d+"/root", "etc/rc.conf", []byte("old\x00\xff"), true, 0o640)
			},
			func(d string) error { return h.InRoot(d+"/root").WriteFile("etc/rc.conf", []byte("new"), 0o644) }},
		{"file.remove", nil,
			func(d string) thread.Step { return fileRemoveStep(d + "/export.zfs.part") },
			func(d string) error { return write(d+"/export.zfs.part", "stream", 0o600) }},
		{"file.rename",
			func(d string) error { return write(d+"/fstab", "old", 0o644) },
			func(d string) thread.Step { return fileRenameStep(d+"/fstab.x", d+"/fstab") },
			func(d string) error { return h.Rename(d+"/fstab", d+"/fstab.x") }},
		{"file.rmdir", nil,
			func(d string) thread.Step { return fileRmdirStep(d + "/exports") },
			func(d string) error { return h.MkdirAll(d+"/exports", 0o700) }},
		{"jail.taglink of a new link", nil,
			func(d string) thread.Step { return tagLinkStep(d+"/web", "/iocage/jails/new", "") },
			func(d string) error { return h.Symlink("/iocage/jails/new", d+"/web") }},
		{"jail.taglink of a replaced link",
			func(d string) error { return h.Symlink("/iocage/jails/old", d+"/web") },
			func(d string) thread.Step { return tagLinkStep(d+"/web", "/iocage/jails/new", "/iocage/jails/old") },
			func(d string) error {
				if err := h.Remove(d + "/web"); err != nil {
					return err
				}
				return h.Symlink("/iocage/jails/new", d+"/web")
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := fmt.Sprintf("/var/tmp/undo-replay-%s-%d", path.Base(s.Pool), i)
			if err := h.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			if tc.setup != nil {
				if err := tc.setup(d); err != nil {
					t.Fatal(err)
				}
			}
			replayTwiceAround(t, h, tc.step(d), func() error { return tc.change(d) }, func() string { return files(t, h, d) })
		})
	}

	// jail.set_restore: the properties and the tag link come back.
	t.Run("jail.set_restore", func(t *testing.T) {
		ds := s.Pool + "/setrestore"
		mp := "/iocage/jails/" + path.Base(s.Pool) + "-setrestore"
		tagA, tagB := path.Base(s.Pool)+"-a", path.Base(s.Pool)+"-b"
		if err := zfs.Create(ctx, h, ds, false, map[string]string{"mountpoint": "none", jailprops.Prefix + "notes": "old", jailprops.Prefix + "tag": tagA}); err != nil {
			t.Fatal(err)
		}
		j := &Jail{Dataset: ds, Tag: tagA, Mountpoint: mp, Props: map[string]string{"notes": "old", "tag": tagA}}
		if err := relinkTag(h, j, ""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = createRemoveIfExists(h, Root+"/tags/"+tagA)
			_ = createRemoveIfExists(h, Root+"/tags/"+tagB)
			// No pool is mounted on /iocage here: the directories this
			// made would keep the next test's pool from mounting there.
			for _, d := range []string{Root + "/tags", Root + "/jails", Root} {
				_ = os.Remove(h.LocalPath(d))
			}
		})
		st, err := SetUndo(ctx, h, j, []string{"notes", "tag", "quota"})
		if err != nil {
			t.Fatal(err)
		}
		hostState := func() string {
			p, err := zfs.Sources(ctx, h, ds, jailprops.Prefix+"notes", jailprops.Prefix+"tag", "quota")
			if err != nil {
				t.Fatal(err)
			}
			a, _ := h.Readlink(Root + "/tags/" + tagA)
			b, _ := h.Readlink(Root + "/tags/" + tagB)
			// zfs cannot inherit quota: it comes back as a local none.
			return fmt.Sprintf("%v %v %v a=%q b=%q", p[jailprops.Prefix+"notes"], p[jailprops.Prefix+"tag"], p["quota"].Value, a, b)
		}
		replayTwiceAround(t, h, st, func() error {
			return Set(ctx, h, clone(j), map[string]string{"notes": "new", "tag": tagB, "quota": "1G"})
		}, hostState)
	})
}

// replayTwiceAround replays st before change was made, then makes it and
// replays st twice; each replay must succeed and leave state as before.
func replayTwiceAround(t *testing.T, h *runtime.Host, st thread.Step, change func() error, state func() string) {
	t.Helper()
	ctx := context.Background()
	before := state()
	if err := st.Run(ctx, h); err != nil {
		t.Fatalf("replay of %v before its change: %v", st, err)
	}
	if d := cmp.Diff(before, state()); d != "" {
		t.Fatalf("replay before the change changed the host (-before +after):\n%s", d)
	}
	if err := change(); err != nil {
		t.Fatal(err)
	}
	if before == state() {
		t.Fatal("the change changed nothing: the test proves nothing")
	}
	for n := 1; n <= 2; n++ {
		if err := st.Run(ctx, h); err != nil {
			t.Fatalf("replay %d of %v: %v", n, st, err)
		}
		if d := cmp.Diff(before, state()); d != "" {
			t.Errorf("after replay %d (-before +after):\n%s", n, d)
		}
	}
}
