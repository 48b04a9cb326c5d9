// Package starlib is the world a Starlark recipe runs in: the predeclared
// modules (iocage's builtins plus json, time, math and struct), load() over
// the shipped recipes, a site directory that can override them and the user
// script's own directory, step limits, timeouts and cancellation, and the
// conventions that let a verb or `iocage run` call a script's main(**kwargs)
// and get a value back to render. It also runs `*_test.star` files and the
// REPL. It knows nothing of the command line.
package starlib

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/recipes"
	"github.com/iocage/iocage/runtime"
)

// DefaultStepLimit bounds a run that sets no limit: far more than any
// recipe needs, small enough that a runaway loop stops within seconds.
const DefaultStepLimit = 100_000_000

// Options configure an interpreter.
type Options struct {
	Host *runtime.Host
	// Journal, when set, keeps the run's undo log on disk, so that a run
	// killed half-way is taken back by the next iocage.
	Journal     *thread.Journal
	Stdin       io.Reader
	Stdout      io.Writer
	Stderr      io.Writer
	Interactive bool          // stdout is a terminal
	SiteDir     string        // site recipes (a host path); default DefaultSiteDir, or $IOCAGE_RECIPES
	StepLimit   uint64        // 0 = DefaultStepLimit
	Timeout     time.Duration // 0 = none

	// StderrTerminal: stderr is a terminal, so progress lines are drawn
	// on it, whatever stdout is (thread.Run.StderrTerminal).
	StderrTerminal bool

	// Recipes replaces the shipped recipes (tests); nil means recipes.FS.
	Recipes fs.FS
	// Site replaces the site directory read through Host (tests).
	Site fs.FS
	// Root is the user's root directory for "//..." modules; nil means
	// the directory of the script CallMain is given. RootDir is how its
	// files are named in errors.
	Root    fs.FS
	RootDir string
}

// Interp runs scripts. Modules load once per Interp, so one Interp is one
// run. It is not safe for concurrent use.
type Interp struct {
	opts        Options
	src         source
	predeclared starlark.StringDict
	extra       starlark.StringDict // names added for tests and the REPL
	cache       map[modKey]*entry
	loading     []modKey
	names       map[string]modKey // display name → key, for positions
}

type entry struct {
	globals starlark.StringDict
	err     error
	done    bool
}

// New returns an interpreter for opts.
func New(opts Options) *Interp {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.StepLimit == 0 {
		opts.StepLimit = DefaultStepLimit
	}
	if opts.SiteDir == "" {
		opts.SiteDir = os.Getenv(EnvSiteDir)
	}
	if opts.SiteDir == "" {
		opts.SiteDir = DefaultSiteDir
	}
	in := &Interp{opts: opts, cache: map[modKey]*entry{}, names: map[string]modKey{}}
	in.src.shipped = opts.Recipes
	if in.src.shipped == nil {
		in.src.shipped = defaultRecipes()
	}
	in.src.siteDir = opts.SiteDir
	in.src.site = opts.Site
	if in.src.site == nil && opts.Host != nil {
		in.src.site = hostFS{h: opts.Host, dir: opts.SiteDir}
	}
	in.src.user, in.src.userDir = opts.Root, opts.RootDir
	in.predeclared = Predeclared(opts.Host)
	return in
}

func defaultRecipes() fs.FS { return recipes.FS }

// Recipes lists the recipes load("@iocage//...") can see and which copy
// of each is in effect.
func (in *Interp) Recipes() ([]Recipe, error) { return in.src.recipes() }

// Globals returns the predeclared names of this interpreter's scripts.
func (in *Interp) Globals() starlark.StringDict {
	d := starlark.StringDict{}
	for k, v := range in.predeclared {
		d[k] = v
	}
	for k, v := range in.extra {
		d[k] = v
	}
	return d
}

// predeclare adds names visible to every module of this run.
func (in *Interp) predeclare(d starlark.StringDict) {
	if in.extra == nil {
		in.extra = starlark.StringDict{}
	}
	for k, v := range d {
		in.extra[k] = v
	}
}

// fileOptions are the dialect: while loops and top-level control flow,
// as recipe authors coming from Python expect; recursion stays off.
var fileOptions = &syntax.FileOptions{Set: true, While: true, TopLevelControl: true}

// newThread makes the thread of one run (one per goroutine), wired to ctx:
// cancelling ctx or reaching the timeout cancels the thread, and the run's
// builtins see ctx through builtins/thread. stop must be called when done.
func (in *Interp) newThread(ctx context.Context, name string) (t *starlark.Thread, runCtx context.Context, stop func()) {
	var cancel context.CancelFunc
	if in.opts.Timeout > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, in.opts.Timeout, fmt.Errorf("timeout after %s (raise it with --timeout)", in.opts.Timeout))
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	t = &starlark.Thread{
		Name:  name,
		Load:  in.load,
		Print: func(_ *starlark.Thread, msg string) { fmt.Fprintln(in.opts.Stdout, msg) },
	}
	t.SetMaxExecutionSteps(in.opts.StepLimit)
	t.OnMaxSteps = func(t *starlark.Thread) {
		t.Cancel(fmt.Sprintf("step limit of %d reached (raise it with --step-limit)", in.opts.StepLimit))
	}
	thread.Set(t, &thread.Run{
		Ctx:            ctx,
		Host:           in.opts.Host,
		Stdout:         in.opts.Stdout,
		Stderr:         in.opts.Stderr,
		Interactive:    in.opts.Interactive,
		StderrTerminal: in.opts.StderrTerminal,
		Stdin:          in.opts.Stdin,
		Undo:           thread.NewUndo(in.opts.Host, in.opts.Journal),
	})
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			reason := "interrupted"
			if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
				reason = c.Error()
			}
			t.Cancel(reason)
		case <-done:
		}
	}()
	return t, ctx, func() { close(done); cancel() }
}

// load is the thread's load(): it resolves the key against the module
// being executed and runs each module once.
func (in *Interp) load(t *starlark.Thread, module string) (starlark.StringDict, error) {
	var from modKey
	if n := len(in.loading); n > 0 {
		from = in.loading[n-1]
	}
	k, err := parseKey(from, module)
	if err != nil {
		return nil, err
	}
	return in.exec(t, k)
}

// exec runs the module k on t (or returns its cached globals).
func (in *Interp) exec(t *starlark.Thread, k modKey) (starlark.StringDict, error) {
	if e, ok := in.cache[k]; ok {
		if !e.done {
			return nil, in.cycleError(k)
		}
		return e.globals, e.err
	}
	e := &entry{}
	in.cache[k] = e
	in.loading = append(in.loading, k)
	defer func() { in.loading = in.loading[:len(in.loading)-1] }()
	src, name, err := in.src.read(k)
	if err == nil {
		in.names[name] = k
		e.globals, err = starlark.ExecFileOptions(fileOptions, t, name, src, in.Globals())
	}
	if err != nil {
		err = &ModuleError{Module: k.String(), Err: err}
	}
	e.err, e.done = err, true
	return e.globals, e.err
}

func (in *Interp) cycleError(k modKey) error {
	var chain []string
	start := 0
	for i, l := range in.loading {
		if l == k {
			start = i
		}
	}
	for _, l := range in.loading[start:] {
		chain = append(chain, l.String())
	}
	chain = append(chain, k.String())
	return fmt.Errorf("load cycle: %s", strings.Join(chain, " -> "))
}

// ModuleError is a module that failed to load or run; Err keeps the
// Starlark error with its positions.
type ModuleError struct {
	Module string
	Err    error
}

func (e *ModuleError) Error() string {
	var se syntax.Error
	var ee *starlark.EvalError
	switch {
	case errors.As(e.Err, &ee):
		// The innermost frame says where; the outer ones are in the backtrace.
		return PositionText(e.Err)
	case errors.As(e.Err, &se):
		return se.Error()
	}
	return e.Err.Error()
}

func (e *ModuleError) Unwrap() error { return e.Err }

// ParseKey checks a module name as a top-level run would resolve it:
// "@iocage//NAME.star" or "//PATH.star" under the user root.
func ParseKey(module string) (string, error) {
	k, err := parseKey(modKey{}, module)
	if err != nil {
		return "", err
	}
	return k.String(), nil
}

// resolveMain turns CallMain's module argument into a key, making the
// directory of a plain file path the user root.
func (in *Interp) resolveMain(module string) (modKey, error) {
	if module == "-" {
		// The script is standard input; it loads files relative to the
		// working directory.
		src, err := io.ReadAll(in.opts.Stdin)
		if err != nil {
			return modKey{}, fmt.Errorf("reading the script from standard input: %w", err)
		}
		if in.src.user == nil {
			in.src.user, in.src.userDir = os.DirFS("."), "."
		}
		in.src.stdin = src
		return modKey{rel: stdinName}, nil
	}
	if strings.HasPrefix(module, "@") || strings.HasPrefix(module, "//") {
		return parseKey(modKey{}, module)
	}
	if in.opts.Root != nil {
		return parseKey(modKey{}, filepath.ToSlash(module))
	}
	if !strings.HasSuffix(module, ".star") {
		return modKey{}, fmt.Errorf("%s: scripts end in .star", module)
	}
	dir, base := filepath.Split(module)
	if dir == "" {
		dir = "."
	}
	in.src.user = os.DirFS(dir)
	in.src.userDir = filepath.Clean(dir)
	return modKey{rel: base}, nil
}

// Exec runs a module and returns its globals.
func (in *Interp) Exec(ctx context.Context, module string) (starlark.StringDict, error) {
	k, err := in.resolveMain(module)
	if err != nil {
		return nil, err
	}
	t, _, stop := in.newThread(ctx, module)
	defer stop()
	return in.exec(t, k)
}

// CallMain loads module ("@iocage//list.star", "//x.star" under
// Options.Root, a script's file path, or "-" for a script on Stdin) and calls its main(**kwargs).
func (in *Interp) CallMain(ctx context.Context, module string, kwargs []starlark.Tuple) (starlark.Value, error) {
	k, err := in.resolveMain(module)
	if err != nil {
		return nil, err
	}
	t, _, stop := in.newThread(ctx, module)
	defer stop()
	globals, err := in.exec(t, k)
	if err != nil {
		return nil, err
	}
	main, err := mainOf(globals, in.displayName(k))
	if err != nil {
		return nil, err
	}
	return in.call(t, main, kwargs)
}

// RunMain is CallMain for command-line arguments NAME=VALUE, each value
// converted by the default of main's parameter NAME.
func (in *Interp) RunMain(ctx context.Context, module string, args []string) (starlark.Value, error) {
	k, err := in.resolveMain(module)
	if err != nil {
		return nil, err
	}
	t, _, stop := in.newThread(ctx, module)
	defer stop()
	globals, err := in.exec(t, k)
	if err != nil {
		return nil, err
	}
	main, err := mainOf(globals, in.displayName(k))
	if err != nil {
		return nil, err
	}
	kwargs, err := ConvertArgs(main, args)
	if err != nil {
		return nil, err
	}
	return in.call(t, main, kwargs)
}

// call calls fn on t; when it fails, the changes the run made (and did not
// commit) are undone, newest first.
func (in *Interp) call(t *starlark.Thread, fn starlark.Callable, kwargs []starlark.Tuple) (starlark.Value, error) {
	r := thread.Get(t)
	defer r.Undo.Journal.Close()
	v, err := callRecovering(t, fn, kwargs)
	if err == nil {
		return v, nil
	}
	if n := r.Undo.Len(); n > 0 {
		fmt.Fprintf(in.opts.Stderr, "iocage: undoing %d change(s) of the failed run\n", n)
		if uerr := r.Undo.Rollback(r.Ctx); uerr != nil {
			err = errors.Join(err, uerr)
		}
	}
	return nil, err
}

// callRecovering is starlark.Call with a panic (a bug in a builtin) made
// the run's failure, so that its changes are still taken back.
func callRecovering(t *starlark.Thread, fn starlark.Callable, kwargs []starlark.Tuple) (v starlark.Value, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, fmt.Errorf("internal error, a bug in iocage (please report it with this text): %v\n%s", p, debug.Stack())
		}
	}()
	return starlark.Call(t, fn, nil, kwargs)
}

func (in *Interp) displayName(k modKey) string {
	for n, kk := range in.names {
		if kk == k {
			return n
		}
	}
	return k.String()
}

func mainOf(globals starlark.StringDict, name string) (*starlark.Function, error) {
	v, ok := globals["main"]
	if !ok {
		return nil, fmt.Errorf("%s: no main function (a script's entry point is def main(...))", name)
	}
	fn, ok := v.(*starlark.Function)
	if !ok {
		return nil, fmt.Errorf("%s: main is a %s, want a function", name, v.Type())
	}
	return fn, nil
}
