package thread

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.starlark.net/starlark"
)

// Undo is a run's log of how to take back the changes it made. A builtin
// that changes the host pushes the inverse of its change; when the run
// fails, the runner rolls the log back newest first, so a verb that fails
// half-way leaves the host as it found it. A recipe that reaches a point
// where its work must stay (a jail that is up) calls commit.
type Undo struct {
	mu    sync.Mutex
	steps []undoStep
}

type undoStep struct {
	desc string
	fn   func(ctx context.Context) error
}

// Push records how to undo a change just made. desc names the change for
// messages ("zfs destroy zroot/iocage/jails/x").
func (u *Undo) Push(desc string, fn func(ctx context.Context) error) {
	if u == nil {
		return
	}
	u.mu.Lock()
	u.steps = append(u.steps, undoStep{desc, fn})
	u.mu.Unlock()
}

// Commit forgets every recorded step: the work so far stays.
func (u *Undo) Commit() {
	if u == nil {
		return
	}
	u.mu.Lock()
	u.steps = nil
	u.mu.Unlock()
}

// Len is the number of pending steps.
func (u *Undo) Len() int {
	if u == nil {
		return 0
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.steps)
}

// Rollback runs the pending steps newest first and forgets them. It goes on
// past a failing step and returns all failures. It runs with a context that
// is not cancelled, because rollback usually follows a Ctrl-C.
func (u *Undo) Rollback(ctx context.Context) error {
	if u == nil {
		return nil
	}
	u.mu.Lock()
	steps := u.steps
	u.steps = nil
	u.mu.Unlock()
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for i := len(steps) - 1; i >= 0; i-- {
		if err := steps[i].fn(ctx); err != nil {
			errs = append(errs, fmt.Errorf("undo %s: %w", steps[i].desc, err))
		}
	}
	return errors.Join(errs...)
}

// UndoOf returns the undo log of t's run (nil when the run keeps none; Push
// on nil is a no-op).
func UndoOf(t *starlark.Thread) *Undo { return Get(t).Undo }
