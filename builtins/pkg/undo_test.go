package pkg

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// TestDeleteStepReplaysTwice replays pkg.delete on a root where both
// packages are installed, then again where the first replay deleted
// them (pkg delete fails on a name it does not match): the second finds
// nothing to delete and succeeds.
func TestDeleteStepReplaysTwice(t *testing.T) {
	step := deleteStep(Target{Root: "/j/root"}, []string{"curl", "git"})
	del := runtime.Pkg + " -c /j/root delete -qy curl git"
	info := runtime.Pkg + " -c /j/root info"
	for _, tc := range []struct {
		name    string
		replies map[string]runtime.Reply
		want    []string
	}{
		{"first", map[string]runtime.Reply{}, []string{del}},
		{"second", map[string]runtime.Reply{
			del:  {Stderr: "No packages matched for pattern 'curl'\n", ExitCode: 1},
			info: {Stdout: "pkg-2.0.6 Package manager\n"},
		}, []string{del, info}},
		{"half", map[string]runtime.Reply{
			del:  {Stderr: "No packages matched for pattern 'curl'\n", ExitCode: 1},
			info: {Stdout: "git-2.45.1 Distributed source code management tool\n"},
		}, []string{del, info, runtime.Pkg + " -c /j/root delete -qy git"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := &runtime.Scripted{Root: t.TempDir(), Replies: tc.replies}
			if err := step.Run(context.Background(), runtime.New(sc, runtime.Options{})); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, sc.Calls()); d != "" {
				t.Errorf("commands (-want +got):\n%s", d)
			}
		})
	}
	bad := thread.Step{Kind: "pkg.delete", Args: []string{"/j/root", "", "-rf"}}
	if err := bad.Run(context.Background(), nil); err == nil {
		t.Error("a name starting with - was accepted")
	}
}
