// Package threadtest holds what the tests of the packages that journal
// undo steps share.
package threadtest

import (
	"context"
	"testing"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// ReplayTwice replays the step kind(args) twice on h, as a recovery that
// died half way is run again: the second replay finds the work done and
// must succeed as well.
func ReplayTwice(t testing.TB, h *runtime.Host, kind string, args ...string) {
	t.Helper()
	s := thread.Step{Kind: kind, Args: args}
	for i := 1; i <= 2; i++ {
		if err := s.Run(context.Background(), h); err != nil {
			t.Fatalf("%s %q, replay %d: %v", kind, args, i, err)
		}
	}
}
