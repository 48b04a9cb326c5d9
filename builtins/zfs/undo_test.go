package zfs_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// state is what the undo tests compare: every dataset and snapshot with
// the properties the builtins change, and their sources.
func state(t *testing.T, h *runtime.Host, root string) string {
	t.Helper()
	out, err := h.Output(context.Background(), runtime.ZFS, "get", "-H", "-r", "-t", "all", "-o", "name,property,value,source",
		"origin,quota,compression,org.freebsd.iocage:notes,org.freebsd.iocage:tag", root)
	mustZ(t, err)
	// zfs cannot inherit quota: its default comes back set to none, which
	// is the same limit with another source.
	return strings.ReplaceAll(out, "\tquota\tnone\tlocal\n", "\tquota\tnone\tdefault\n")
}

// runUndone runs src with the zfs module and an undo log, then rolls the
// log back, as starlib does when a run fails.
func runUndone(t *testing.T, h *runtime.Host, src string) {
	t.Helper()
	undo := thread.NewUndo(h, nil)
	th := &starlark.Thread{Name: "undo-test"}
	thread.Set(th, &thread.Run{Ctx: context.Background(), Host: h, Undo: undo})
	if _, err := starlark.ExecFile(th, "undo_test.star", src, starlark.StringDict{"zfs": zfs.NewModule(h)}); err != nil {
		t.Fatalf("script: %v", err)
	}
	if undo.Len() == 0 {
		t.Fatal("the script's changes pushed no undo")
	}
	mustZ(t, undo.Rollback(context.Background()))
}

// undoFixture makes, under root, a tree with local, inherited and unset
// properties, snapshots and a clone, and returns root.
func undoFixture(t *testing.T, h *runtime.Host, root string) string {
	t.Helper()
	ctx := context.Background()
	mustZ(t, zfs.Create(ctx, h, root, true, map[string]string{"mountpoint": "/iocage/utest/" + root[strings.LastIndex(root, "/")+1:]}))
	mustZ(t, zfs.Create(ctx, h, root+"/a/b", true, map[string]string{"org.freebsd.iocage:tag": "a-tag"}))
	mustZ(t, zfs.Set(ctx, h, root+"/a", map[string]string{"compression": "lz4", "org.freebsd.iocage:notes": "kept"}))
	mustZ(t, zfs.Snapshot(ctx, h, root+"/a@s1", true))
	mustZ(t, zfs.Clone(ctx, h, root+"/a@s1", root+"/c", false, nil))
	mustZ(t, zfs.Create(ctx, h, root+"/un", false, map[string]string{"mountpoint": "none"}))
	writeIn(t, h, root+"/a", "f", "one")
	mustZ(t, zfs.Snapshot(ctx, h, root+"/a@s2", true))
	return root
}

func TestZFSBuiltinsUndoTheirChanges(t *testing.T) {
	s := sandboxtest.New(t)
	h := s.Host
	for i, tc := range []struct{ name, src string }{
		{"create with parents", `zfs.create(R + "/new/deep", parents = True, properties = {"quota": "1G"})`},
		{"create", `zfs.create(R + "/a/new")`},
		{"snapshot -r", `zfs.snapshot(R + "/a@s3", recursive = True)`},
		{"clone", `zfs.clone(R + "/a@s2", R + "/c2")`},
		{"clone with parents", `zfs.clone(R + "/a@s2", R + "/p/q/c2", parents = True)`},
		// Unmounted: zfs-fuse says "dataset is busy" at random when one
		// renames a file system it has just mounted.
		{"rename", `zfs.rename(R + "/un", R + "/un-renamed")`},
		{"rename snapshot -r", `zfs.rename(R + "/a@s1", R + "/a@s1-renamed", recursive = True)`},
		{"set local, new and default", `zfs.set(R + "/a", compression = "off", quota = "2G", **{"org.freebsd.iocage:notes": "changed", "org.freebsd.iocage:tag": "new"})`},
		{"set inherited", `zfs.set(R + "/a/b", compression = "gzip")`},
		{"inherit", `zfs.inherit(R + "/a", "compression")`},
		{"inherit user prop", `zfs.inherit(R + "/a", "org.freebsd.iocage:notes")`},
		{"promote", `zfs.promote(R + "/c")`},
		{"transfer to a new dataset", `zfs.transfer(R + "/a@s2", R + "/copy", replicate = True)`},
		{"several", `zfs.snapshot(R + "/a@x"); zfs.clone(R + "/a@x", R + "/y"); zfs.set(R + "/y", quota = "1G")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := undoFixture(t, h, fmt.Sprintf("%s/u%d", s.Pool, i))
			before := state(t, h, root)
			runUndone(t, h, "R = "+strconv.Quote(root)+"\n"+tc.src)
			if d := cmp.Diff(before, state(t, h, root)); d != "" {
				t.Errorf("after undo (-before +after):\n%s", d)
			}
		})
	}

	// An incremental receive into an existing dataset is taken back to
	// its last snapshot from before, content included.
	t.Run("incremental receive", func(t *testing.T) {
		ctx := context.Background()
		root := undoFixture(t, h, s.Pool+"/ur")
		mustZ(t, zfs.Transfer(ctx, h, root+"/a@s1", root+"/dst", zfs.SendOptions{}, zfs.ReceiveOptions{}))
		before := state(t, h, root)
		file := "/tmp/incr.zstream"
		f, err := h.Create(file, 0o600)
		mustZ(t, err)
		mustZ(t, zfs.Send(ctx, h, root+"/a@s2", zfs.SendOptions{Base: "@s1"}, f))
		mustZ(t, f.Close())
		undo := thread.NewUndo(h, nil)
		th := &starlark.Thread{}
		thread.Set(th, &thread.Run{Ctx: ctx, Host: h, Undo: undo})
		if _, err := starlark.ExecFile(th, "x.star", `zfs.receive("`+root+`/dst", "`+file+`")`, starlark.StringDict{"zfs": zfs.NewModule(h)}); err != nil {
			t.Fatal(err)
		}
		if got := readIn(t, h, root+"/dst", "f"); got != "one" {
			t.Fatalf("received file = %q, want one", got)
		}
		mustZ(t, undo.Rollback(ctx))
		if d := cmp.Diff(before, state(t, h, root)); d != "" {
			t.Errorf("after undo (-before +after):\n%s", d)
		}
		if got := readIn(t, h, root+"/dst", "f"); !strings.Contains(got, "does not exist") {
			t.Errorf("file of the undone increment: %q, want it gone", got)
		}
	})
}

// A builtin that fails pushes nothing: there is nothing to take back.
func TestZFSBuiltinThatFailsPushesNoUndo(t *testing.T) {
	s := sandboxtest.New(t)
	undo := thread.NewUndo(s.Host, nil)
	th := &starlark.Thread{}
	thread.Set(th, &thread.Run{Ctx: context.Background(), Host: s.Host, Undo: undo})
	_, err := starlark.ExecFile(th, "x.star", `zfs.snapshot("`+s.Pool+`/nope@s")`, starlark.StringDict{"zfs": zfs.NewModule(s.Host)})
	if err == nil || undo.Len() != 0 {
		t.Errorf("err = %v, undo steps = %d; want an error and none", err, undo.Len())
	}
}
