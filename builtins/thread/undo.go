package thread

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/runtime"
)

// Undo is a run's log of how to take back the changes it made. A builtin
// that changes the host records the inverse of its change; when the run
// fails, the runner rolls the log back newest first, so a verb that fails
// half-way leaves the host as it found it. A recipe that reaches a point
// where its work must stay (a jail that is up) calls commit.
//
// With a Journal the log is also on disk: Do writes the step before the
// change is made, so that a run that dies (kill -9) is taken back by the
// next iocage (InterruptedRuns).
type Undo struct {
	mu    sync.Mutex
	steps []undoStep
	// Host replays journaled steps; Journal, when not nil, gets every step.
	Host    *runtime.Host
	Journal *Journal
}

type undoStep struct {
	id   int // in the journal; 0 when there is none
	desc string
	step *Step                           // a journaled step
	fn   func(ctx context.Context) error // a step only this process can take
}

// NewUndo returns an empty log whose steps are journaled in j (nil: none).
func NewUndo(h *runtime.Host, j *Journal) *Undo { return &Undo{Host: h, Journal: j} }

// Child returns an empty log sharing u's host and journal, for a call that
// rolls back on its own (jail.attempt, jail.parallel); Adopt hands its
// steps back.
func (u *Undo) Child() *Undo {
	if u == nil {
		return &Undo{}
	}
	return &Undo{Host: u.Host, Journal: u.Journal}
}

// Do makes a change whose inverse is s: s is journaled first, then change
// runs; when it fails, s is forgotten (the change was not made). desc
// names the inverse for messages ("zfs destroy zroot/iocage/jails/x").
func (u *Undo) Do(desc string, s Step, change func() error) error {
	return u.do(desc, s, change, false)
}

// DoKeep is Do for a change that can fail half-made (a receive that
// breaks off): its inverse stays when it fails.
func (u *Undo) DoKeep(desc string, s Step, change func() error) error {
	return u.do(desc, s, change, true)
}

func (u *Undo) do(desc string, s Step, change func() error, keep bool) error {
	if u == nil {
		return change()
	}
	id, err := u.Journal.push(desc, &s)
	if err != nil {
		return err
	}
	st := undoStep{id: id, desc: desc, step: &s}
	u.mu.Lock()
	u.steps = append(u.steps, st)
	u.mu.Unlock()
	if err := change(); err != nil {
		if !keep {
			u.forget(id, st)
		}
		return err
	}
	return nil
}

// forget drops the newest step equal to st (its change was not made).
func (u *Undo) forget(id int, st undoStep) {
	u.mu.Lock()
	for i := len(u.steps) - 1; i >= 0; i-- {
		if u.steps[i].id == id && u.steps[i].step == st.step {
			u.steps = append(u.steps[:i], u.steps[i+1:]...)
			break
		}
	}
	u.mu.Unlock()
	u.Journal.mark("cancel", []int{id}, "")
}

// Amend replaces the step of the newest change with s (desc naming it), once the change's
// result makes a more precise inverse possible (the name an interface
// got). The journal keeps the step as it was until the amendment is on
// disk; both must undo the change.
func (u *Undo) Amend(desc string, s Step) error {
	if u == nil {
		return nil
	}
	u.mu.Lock()
	if len(u.steps) == 0 || u.steps[len(u.steps)-1].step == nil {
		u.mu.Unlock()
		return fmt.Errorf("undo: no journaled step to amend")
	}
	last := &u.steps[len(u.steps)-1]
	id := last.id
	last.step, last.desc = &s, desc
	u.mu.Unlock()
	return u.Journal.amend(id, desc, &s)
}

// Record journals s as the inverse of a change just made, for a change
// whose inverse depends on its result. Prefer Do: a process that dies
// between the change and Record leaves it behind.
func (u *Undo) Record(desc string, s Step) error {
	return u.Do(desc, s, func() error { return nil })
}

// Push records how to undo a change just made, as a function only this
// process can run: a journal keeps its description for the administrator
// but cannot replay it. desc names the change for messages.
func (u *Undo) Push(desc string, fn func(ctx context.Context) error) {
	if u == nil {
		return
	}
	id, _ := u.Journal.push(desc, nil)
	u.mu.Lock()
	u.steps = append(u.steps, undoStep{id: id, desc: desc, fn: fn})
	u.mu.Unlock()
}

// Adopt moves the steps of child (a Child of u) to the end of u's log.
func (u *Undo) Adopt(child *Undo) {
	if u == nil || child == nil {
		return
	}
	child.mu.Lock()
	steps := child.steps
	child.steps = nil
	child.mu.Unlock()
	u.mu.Lock()
	u.steps = append(u.steps, steps...)
	u.mu.Unlock()
}

// Commit forgets every recorded step: the work so far stays.
func (u *Undo) Commit() {
	if u == nil {
		return
	}
	u.mu.Lock()
	steps := u.steps
	u.steps = nil
	u.mu.Unlock()
	u.Journal.mark("commit", ids(steps), "")
}

func ids(steps []undoStep) []int {
	var out []int
	for _, s := range steps {
		if s.id != 0 {
			out = append(out, s.id)
		}
	}
	return out
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
// past a failing step and returns all failures; the journal keeps those.
// It runs with a context that is not cancelled, because rollback usually
// follows a Ctrl-C.
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
		s := steps[i]
		var err error
		if s.step != nil {
			err = s.step.Run(ctx, u.Host)
		} else {
			err = s.fn(ctx)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("undo %s: %w", s.desc, err))
			u.Journal.mark("failed", []int{s.id}, err.Error())
			continue
		}
		u.Journal.mark("undone", []int{s.id}, "")
	}
	return errors.Join(errs...)
}

// UndoOf returns the undo log of t's run (nil when the run keeps none; Push
// on nil is a no-op).
func UndoOf(t *starlark.Thread) *Undo { return Get(t).Undo }
