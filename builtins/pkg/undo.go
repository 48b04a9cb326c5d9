package pkg

// How pkg.install is taken back, as a journaled step (thread.Step) that
// another iocage can replay after this one died: the packages it added
// are deleted, those of them that are still installed when some are not.

import (
	"context"
	"errors"
	"fmt"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

func init() {
	thread.RegisterUndo("pkg.delete", undoInstall)
}

// deleteStep deletes names from tg: args are the root, the jail ("" for
// pkg -c ROOT) and the names.
func deleteStep(tg Target, names []string) thread.Step {
	return thread.Step{Kind: "pkg.delete", Args: append([]string{tg.Root, tg.Jail}, names...)}
}

func undoInstall(ctx context.Context, h *runtime.Host, args []string) error {
	if len(args) < 3 {
		return fmt.Errorf("pkg.delete: %d arguments, want a root, a jail and names", len(args))
	}
	tg := Target{Root: args[0], Jail: args[1]}
	names := args[2:]
	for _, n := range names {
		if !pkgNameRE.MatchString(n) {
			return fmt.Errorf("pkg.delete: %q is not a package name", n)
		}
	}
	_, err := run(ctx, h, tg, append([]string{"delete", "-qy"}, names...)...)
	if err == nil {
		return nil
	}
	// Some of them are not installed (pkg delete fails on a name it does
	// not match), or the jail stopped since: delete what is there.
	have, ierr := Installed(ctx, h, tg)
	if ierr != nil && tg.Jail != "" {
		tg.Jail = ""
		have, ierr = Installed(ctx, h, tg)
	}
	if ierr != nil {
		return errors.Join(err, ierr)
	}
	installed := map[string]bool{}
	for _, n := range have {
		installed[n] = true
	}
	var del []string
	for _, n := range names {
		if installed[n] {
			del = append(del, n)
		}
	}
	if len(del) == 0 {
		return nil
	}
	_, err = run(ctx, h, tg, append([]string{"delete", "-qy"}, del...)...)
	return err
}
