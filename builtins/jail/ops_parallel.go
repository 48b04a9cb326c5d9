package jail

import (
	"context"
	"fmt"
	"io"
	"sync"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// jail.parallel is jail.attempt for many items at once: rcboot starts the
// jails of one priority together, clean stops every running jail together
// (lifecycle.md §8, §9). A Starlark thread must not be shared between
// goroutines, so each item gets a thread of its own; what the threads
// share must be frozen, and what they write (progress lines, print) goes
// through one lock so lines stay whole.

func init() {
	register("parallel", "jail.parallel(fn, items, limit=0) -> list of struct(ok, value, error)\n\n"+
		"Calls fn(item) for every item of items concurrently, each call in a\n"+
		"Starlark thread of its own with an undo log of its own, as jail.attempt\n"+
		"does for one call: when a call fails, the changes it made (and did not\n"+
		"commit()) are undone at once, and its result is struct(ok=False,\n"+
		"value=None, error=MESSAGE); a call that succeeds gives struct(ok=True,\n"+
		"value=RESULT, error=\"\") and its uncommitted changes join the caller's\n"+
		"undo log. Returns when every call has returned, the results in the\n"+
		"order of items. limit > 0 runs at most limit calls at a time.\n\n"+
		"fn and the items are frozen first (threads may share only frozen\n"+
		"values). In the calls, load() is not available, prompts (jail.confirm)\n"+
		"fail, and standard output and error are shared line by line; their\n"+
		"steps count against the run's step limit once they return. An\n"+
		"interrupt (Ctrl-C) ends every call and fails the caller, whose rollback\n"+
		"then takes back what all the calls did.", stParallel)
}

func stParallel(_ *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Callable
	var items starlark.Iterable
	limit := 0
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "fn", &fn, "items", &items, "limit?", &limit); err != nil {
		return nil, err
	}
	if limit < 0 {
		return fail(b, fmt.Errorf("limit %d: want 0 (no limit) or a positive number of calls at a time", limit))
	}
	var elems []starlark.Value
	it := items.Iterate()
	for {
		var x starlark.Value
		if !it.Next(&x) {
			break
		}
		elems = append(elems, x)
	}
	it.Done()
	fn.Freeze()
	for _, x := range elems {
		x.Freeze()
	}

	parent := thread.Get(t)
	ctx, cancel := context.WithCancel(parent.Ctx)
	defer cancel()
	// One lock for both streams and print: they are often the same
	// terminal.
	var mu sync.Mutex
	out := &lockedWriter{w: orDiscard(parent.Stdout), mu: &mu}
	errw := &lockedWriter{w: orDiscard(parent.Stderr), mu: &mu}
	print := t.Print

	type outcome struct {
		val   starlark.Value
		err   error
		undo  *thread.Undo
		steps uint64
	}
	results := make([]outcome, len(elems))
	slots := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i, x := range elems {
		if limit > 0 {
			slots <- struct{}{}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if limit > 0 {
				defer func() { <-slots }()
			}
			undo := parent.Undo.Child()
			ct := &starlark.Thread{
				Name: fmt.Sprintf("%s parallel[%d]", t.Name, i),
				Load: func(*starlark.Thread, string) (starlark.StringDict, error) {
					return nil, fmt.Errorf("load() is not available in the calls of jail.parallel; load at the top of the file")
				},
			}
			if print != nil {
				ct.Print = func(ct *starlark.Thread, msg string) {
					mu.Lock()
					defer mu.Unlock()
					print(ct, msg)
				}
			}
			thread.Set(ct, &thread.Run{Ctx: ctx, Host: parent.Host, Stdout: out, Stderr: errw, Undo: undo})
			// The run's active pool, read once, serves its calls too.
			ct.SetLocal(poolKey, t.Local(poolKey))
			stop := context.AfterFunc(ctx, func() { ct.Cancel("interrupted") })
			defer stop()
			v, err := callGuarded(ct, fn, x)
			results[i] = outcome{v, err, undo, ct.Steps}
		}()
	}
	wg.Wait()
	// The calls' steps count against the run's --step-limit, which the
	// caller's thread enforces (a thread's limit cannot be read to give
	// each call its share).
	for _, r := range results {
		t.Steps += r.steps
	}

	if err := parent.Ctx.Err(); err != nil {
		// Interrupted: give up on the whole run; its rollback runs
		// every call's log, the failed ones' too.
		for _, r := range results {
			parent.Undo.Adopt(r.undo)
		}
		return nil, fmt.Errorf("%s: %w", b.Name(), context.Cause(parent.Ctx))
	}
	list := make([]starlark.Value, len(results))
	for i, r := range results {
		if r.err != nil {
			msg := r.err.Error()
			if ee, ok := r.err.(*starlark.EvalError); ok {
				msg = ee.Msg
			}
			if uerr := r.undo.Rollback(parent.Ctx); uerr != nil {
				msg += "; " + uerr.Error()
			}
			list[i] = stResult(false, starlark.None, msg)
			continue
		}
		parent.Undo.Adopt(r.undo)
		list[i] = stResult(true, r.val, "")
	}
	return starlark.NewList(list), nil
}

// callGuarded calls fn(x) on ct; a panic in a builtin becomes the call's
// error instead of ending the process with the other calls' changes made
// and not undone.
func callGuarded(ct *starlark.Thread, fn starlark.Callable, x starlark.Value) (v starlark.Value, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, fmt.Errorf("%s: panic: %v", fn.Name(), p)
		}
	}()
	return starlark.Call(ct, fn, starlark.Tuple{x}, nil)
}

// lockedWriter serialises the writes of the parallel calls to one
// writer; a progress line is one Write, so lines do not mix.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
