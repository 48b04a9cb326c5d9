package zfs_test

import (
	"context"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime"
)

// zfs rename -p -r is refused by OpenZFS: the builtin says so before
// sending anything to the host.
func TestRenameBuiltinRefusesParentsWithRecursive(t *testing.T) {
	sc := &runtime.Scripted{Root: t.TempDir()}
	h := runtime.New(sc, runtime.Options{})
	th := &starlark.Thread{}
	thread.Set(th, &thread.Run{Ctx: context.Background(), Host: h, Undo: thread.NewUndo(h, nil)})
	_, err := starlark.ExecFile(th, "x.star", `zfs.rename("tank/a@s", "tank/b@s", parents = True, recursive = True)`, starlark.StringDict{"zfs": zfs.NewModule(h)})
	if err == nil || !strings.Contains(err.Error(), "zfs.rename: parents=True and recursive=True cannot be combined") {
		t.Fatalf("err = %v; want zfs.rename's refusal", err)
	}
	if calls := sc.Calls(); len(calls) != 0 {
		t.Errorf("host calls = %v; want none", calls)
	}
}
