package rctl

// How the rctl module's changes are taken back, as journaled steps
// (thread.Step) that another iocage can replay after this one died. Each
// does what the living run did and, when that fails, reads the host and
// succeeds when there is nothing left to undo.

import (
	"context"
	"fmt"
	"strconv"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

func init() {
	thread.RegisterUndo("rctl.remove", undoAdd)
	thread.RegisterUndo("rctl.add", undoRemove)
	thread.RegisterUndo("rctl.cpuset", undoCpuset)
}

// undoAdd removes the rule args[0] unless no rule matches it (rctl -r
// fails when nothing matches).
func undoAdd(ctx context.Context, h *runtime.Host, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("rctl.remove: %d arguments, want a rule", len(args))
	}
	if err := checkRule(args[0], true); err != nil {
		return fmt.Errorf("rctl.remove: %w", err)
	}
	err := h.Change(ctx, runtime.Rctl, "-r", args[0])
	if err != nil {
		if rs, lerr := List(ctx, h, args[0]); lerr == nil && len(rs) == 0 {
			return nil
		}
	}
	return err
}

// undoRemove adds the removed rules back. Adding a rule the kernel has
// already changes nothing: rctl_rule_add in kern_rctl.c removes a
// duplicate (for deny, one differing only in amount) before adding.
func undoRemove(ctx context.Context, h *runtime.Host, args []string) error {
	if len(args) == 0 {
		return nil
	}
	for _, r := range args {
		if err := checkRule(r, true); err != nil {
			return fmt.Errorf("rctl.add: %w", err)
		}
	}
	return h.Change(ctx, runtime.Rctl, append([]string{"-a"}, args...)...)
}

// undoCpuset gives jail args[0] the CPU list args[1] again; a jail that
// is gone has no set to restore.
func undoCpuset(ctx context.Context, h *runtime.Host, args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("rctl.cpuset: %d arguments, want a jid and a CPU list", len(args))
	}
	jid, err := strconv.Atoi(args[0])
	if err != nil || jid <= 0 {
		return fmt.Errorf("rctl.cpuset: jid %q is not a running jail's id", args[0])
	}
	if err := CheckCPUList(args[1]); err != nil {
		return fmt.Errorf("rctl.cpuset: %w", err)
	}
	err = h.Change(ctx, runtime.Cpuset, "-l", args[1], "-j", args[0])
	if err != nil {
		if _, gerr := CPUs(ctx, h, jid); gerr != nil {
			return nil
		}
	}
	return err
}
