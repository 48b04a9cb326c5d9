// Package thread carries the per-run values of a Starlark run — the host, the
// context, output writers, dry-run — on the starlark.Thread, so builtins read
// them through typed getters instead of package globals. It is a leaf: the
// builtins and starlib both import it, it imports neither.
package thread

import (
	"context"
	"io"
	"os"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/runtime"
)

const key = "iocage.run"

// Run holds what one run of a script shares with every builtin it calls.
type Run struct {
	Ctx    context.Context
	Host   *runtime.Host
	Stdout io.Writer // data the script prints
	Stderr io.Writer // progress and messages
	// Interactive is true when standard output is a terminal (prompts,
	// and no stream is written to it).
	Interactive bool
	// StderrTerminal is true when Stderr is a terminal: only then are
	// progress lines, rewritten in place, drawn on it (see Progress).
	// Apart from Interactive because `iocage export web - | ssh ...`
	// has its progress on a terminal and its stdout in a pipe.
	// jail.parallel's calls leave it false: in-place lines of several
	// calls would overwrite one another.
	StderrTerminal bool
	// Stdin is where prompts read answers; nil means none can be asked.
	Stdin io.Reader
	// Undo collects the inverse of every change, rolled back when the run
	// fails.
	Undo *Undo
	// HoldsIdentityLock is true while the run holds the host's identity
	// lock (jail.locked, net.autoip4_locked): a nested call must not take
	// the flock again, which would wait for itself.
	HoldsIdentityLock bool
	// Claims is what the jails claim (tags, addresses: package jail's
	// narrow read), kept while the identity lock is held, when no other
	// iocage can change it: creating many jails under one lock reads it
	// once. The holder of the lock keeps it current; unlocking drops it.
	Claims any
}

// Set attaches r to t.
func Set(t *starlark.Thread, r *Run) { t.SetLocal(key, r) }

// Get returns the run of t; a thread without one gets a background run on
// no host, so misuse shows up as a clear error from Host rather than a panic.
func Get(t *starlark.Thread) *Run {
	if r, ok := t.Local(key).(*Run); ok && r != nil {
		return r
	}
	return &Run{Ctx: context.Background(), Stdout: os.Stdout, Stderr: os.Stderr}
}

// Context is the run's context; cancelled on Ctrl-C or timeout.
func Context(t *starlark.Thread) context.Context { return Get(t).Ctx }

// Host is the host the run drives.
func Host(t *starlark.Thread) *runtime.Host { return Get(t).Host }

// Stdout is where data goes.
func Stdout(t *starlark.Thread) io.Writer { return Get(t).Stdout }

// Stderr is where messages go.
func Stderr(t *starlark.Thread) io.Writer { return Get(t).Stderr }

// Progress is where progress lines go: Stderr when it is a terminal, nil
// (draw nothing) when it is a file, a pipe or a log.
func Progress(t *starlark.Thread) io.Writer {
	if r := Get(t); r.StderrTerminal {
		return r.Stderr
	}
	return nil
}

// Func is the Go side of a builtin.
type Func = func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// Module makes the Starlark module name of fns, each member a builtin
// called "name.KEY" so that errors and backtraces name it.
func Module(name string, fns map[string]Func) *starlarkstruct.Module {
	members := starlark.StringDict{}
	for k, fn := range fns {
		members[k] = starlark.NewBuiltin(name+"."+k, fn)
	}
	return &starlarkstruct.Module{Name: name, Members: members}
}

// HostOr is h, or the run's host when h is nil: a module made for one
// host, or for whichever host the run drives.
func HostOr(h *runtime.Host, t *starlark.Thread) *runtime.Host {
	if h != nil {
		return h
	}
	return Host(t)
}
