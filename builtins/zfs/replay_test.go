package zfs_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// Every undo step of the package, replayed as a recovering iocage does:
// once where its change was never made (the run died between journaling
// and changing), then twice after the change (a recovery that died half
// way is run again). Each replay succeeds and the tree ends as it was.
func TestZFSUndoStepsReplayIdempotently(t *testing.T) {
	s := sandboxtest.New(t)
	h := s.Host
	ctx := context.Background()
	for i, tc := range []struct {
		name string
		// step reads what it needs and returns the inverse of change.
		step   func(t *testing.T, r string) thread.Step
		change func(r string) error
	}{
		{"zfs.destroy of a create",
			func(t *testing.T, r string) thread.Step { return zfs.DestroyStep(r+"/new", true, true) },
			func(r string) error { return zfs.Create(ctx, h, r+"/new/deep", true, nil) }},
		{"zfs.destroy of a snapshot",
			func(t *testing.T, r string) thread.Step { return zfs.DestroyStep(r+"/a@s3", true, false) },
			func(r string) error { return zfs.Snapshot(ctx, h, r+"/a@s3", true) }},
		{"zfs.rename",
			func(t *testing.T, r string) thread.Step { return zfs.RenameStep(r+"/un", r+"/un2", false) },
			func(r string) error { return zfs.Rename(ctx, h, r+"/un", r+"/un2", false, false) }},
		{"zfs.rename of a snapshot -r",
			func(t *testing.T, r string) thread.Step { return zfs.RenameStep(r+"/a@s1", r+"/a@s9", true) },
			func(r string) error { return zfs.Rename(ctx, h, r+"/a@s1", r+"/a@s9", false, true) }},
		{"zfs.restore",
			func(t *testing.T, r string) thread.Step {
				prev, err := zfs.Sources(ctx, h, r+"/a", "compression", "quota", "org.freebsd.iocage:notes", "org.freebsd.iocage:tag")
				mustZ(t, err)
				return zfs.RestoreStep(r+"/a", prev)
			},
			func(r string) error {
				return zfs.Set(ctx, h, r+"/a", map[string]string{"compression": "off", "quota": "2G",
					"org.freebsd.iocage:notes": "changed", "org.freebsd.iocage:tag": "new"})
			}},
		{"zfs.promote",
			func(t *testing.T, r string) thread.Step { return zfs.PromoteStep(r + "/a") },
			func(r string) error { return zfs.Promote(ctx, h, r+"/c") }},
		{"zfs.snapshot",
			func(t *testing.T, r string) thread.Step { return zfs.SnapshotStep(r+"/a@s2", true) },
			func(r string) error { return zfs.Destroy(ctx, h, r+"/a@s2", zfs.DestroyOptions{Recursive: true}) }},
		{"zfs.clone",
			func(t *testing.T, r string) thread.Step { return zfs.CloneStep(r+"/a@s1", r+"/c", map[string]string{}) },
			func(r string) error { return zfs.Destroy(ctx, h, r+"/c", zfs.DestroyOptions{Force: true}) }},
		{"zfs.receive into a new dataset",
			func(t *testing.T, r string) thread.Step {
				st, err := zfs.ReceiveUndo(ctx, h, r+"/copy")
				mustZ(t, err)
				return st
			},
			func(r string) error {
				return zfs.Transfer(ctx, h, r+"/a@s2", r+"/copy", zfs.SendOptions{Replicate: true}, zfs.ReceiveOptions{})
			}},
		{"zfs.receive of an increment",
			func(t *testing.T, r string) thread.Step {
				st, err := zfs.ReceiveUndo(ctx, h, r+"/dst")
				mustZ(t, err)
				return st
			},
			func(r string) error {
				return zfs.Transfer(ctx, h, r+"/a@s2", r+"/dst", zfs.SendOptions{Base: "@s1"}, zfs.ReceiveOptions{})
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := undoFixture(t, h, fmt.Sprintf("%s/rp%d", s.Pool, i))
			mustZ(t, zfs.Transfer(ctx, h, root+"/a@s1", root+"/dst", zfs.SendOptions{}, zfs.ReceiveOptions{}))
			before := state(t, h, root)
			st := tc.step(t, root)
			if err := st.Run(ctx, h); err != nil {
				t.Fatalf("replay of %v before its change: %v", st, err)
			}
			if d := cmp.Diff(before, state(t, h, root)); d != "" {
				t.Fatalf("replay before the change changed the tree (-before +after):\n%s", d)
			}
			mustZ(t, tc.change(root))
			if d := cmp.Diff(before, state(t, h, root)); d == "" {
				t.Fatal("the change changed nothing: the test proves nothing")
			}
			for n := 1; n <= 2; n++ {
				if err := st.Run(ctx, h); err != nil {
					t.Fatalf("replay %d of %v: %v", n, st, err)
				}
				if d := cmp.Diff(before, state(t, h, root)); d != "" {
					t.Errorf("after replay %d (-before +after):\n%s", n, d)
				}
			}
		})
	}
}
