package pf

// How the pf module's changes are taken back, as journaled steps
// (thread.Step) that another iocage can replay after this one died.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

func init() {
	thread.RegisterUndo("pf.flush", undoLoad)
	thread.RegisterUndo("pf.conf_restore", undoInstall)
}

func isNotExist(err error) bool {
	return errors.Is(err, runtime.ErrNotExist) || errors.Is(err, fs.ErrNotExist)
}

// undoLoad flushes the anchor args[0]; flushing an empty or unknown
// anchor succeeds, so a replay is harmless.
func undoLoad(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("pf.flush", args, 1, 1); err != nil {
		return err
	}
	if err := Flush(ctx, h, args[0]); err != nil {
		return fmt.Errorf("pf.flush: %w", err)
	}
	return nil
}

// undoInstall puts the pf.conf args[0] back: its old content args[1]
// (base64), or no file when there is no args[1].
func undoInstall(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("pf.conf_restore", args, 1, 2); err != nil {
		return err
	}
	p := args[0]
	if err := checkConfPath(p); err != nil {
		return fmt.Errorf("pf.conf_restore: %w", err)
	}
	if len(args) == 1 {
		if err := h.Remove(p); err != nil && !isNotExist(err) {
			return fmt.Errorf("pf.conf_restore: %w", err)
		}
		return nil
	}
	old, err := base64.StdEncoding.DecodeString(args[1])
	if err != nil {
		return fmt.Errorf("pf.conf_restore: content of %s: %w", p, err)
	}
	perm := os.FileMode(0o644)
	if fi, err := h.Stat(p); err == nil {
		perm = fi.Mode().Perm()
	}
	return h.WriteFile(p, old, perm)
}
