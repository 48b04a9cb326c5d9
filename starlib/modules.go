package starlib

import (
	"errors"
	"sort"
	"strings"

	"go.starlark.net/lib/json"
	"go.starlark.net/lib/math"
	"go.starlark.net/lib/time"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	jailmod "github.com/iocage/iocage/builtins/jail"
	netmod "github.com/iocage/iocage/builtins/net"
	pfmod "github.com/iocage/iocage/builtins/pf"
	pkgmod "github.com/iocage/iocage/builtins/pkg"
	rctlmod "github.com/iocage/iocage/builtins/rctl"
	releasemod "github.com/iocage/iocage/builtins/release"
	"github.com/iocage/iocage/builtins/thread"
	zfsmod "github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime"
)

// moduleEntry is one predeclared module of the Starlark world. make builds
// it for a run's host; docs holds its docstrings, keyed "NAME" for the
// module and "NAME.member" for each member, the first line of a member's
// doc being its signature.
type moduleEntry struct {
	name string
	make func(h *runtime.Host) *starlarkstruct.Module
	docs map[string]string
}

// modules is the one place the world's modules are registered. The builtin
// packages (zfs, jail, net, ...) are added here as they land.
var modules = []moduleEntry{
	{"json", func(*runtime.Host) *starlarkstruct.Module { return json.Module }, jsonDocs},
	{"math", func(*runtime.Host) *starlarkstruct.Module { return math.Module }, mathDocs},
	{"time", func(*runtime.Host) *starlarkstruct.Module { return time.Module }, timeDocs},
	{"zfs", zfsmod.NewModule, zfsmod.Docs},
	{"jail", jailmod.NewModule, jailmod.Docs},
	{"net", netmod.NewModule, netmod.Docs},
	{"rctl", rctlmod.NewModule, rctlmod.Docs},
	{"pf", pfmod.NewModule, pfmod.Docs},
	{"pkg", pkgmod.NewModule, pkgmod.Docs},
	{"release", releasemod.NewModule, releasemod.Docs},
}

// globalDocs documents the predeclared names that are not modules.
var globalDocs = map[string]string{
	"struct": "struct(**kwargs)\n\nReturns an immutable struct whose fields are the keyword arguments, " +
		"e.g. struct(name = \"web\", jid = 3).name. Verbs render a list of structs as a table, like a list of dicts.",
	"module": "module(name, **kwargs)\n\nReturns a module value named name whose members are the keyword arguments; " +
		"recipes use it to group related functions under one name.",
	"commit": "commit()\n\nKeeps the host changes the run has made so far. When a run fails, iocage undoes its changes " +
		"newest first; a recipe calls commit() once its work must stay even if a later step fails (a jail that is up). " +
		"Returns None.",
	"usage": "usage(msg)\n\nFails the run like fail(msg), as a mistake of the command line rather than a failure: the verb " +
		"exits with status 2 and says to see its --help, and the message carries no recipe position. Recipes call it when " +
		"their arguments make no sense together (clean without -a, -r, -j or --interrupted).",
	"help": "help(x)\n\nIn the REPL only: prints the documentation of x, a module, builtin or function (or its name " +
		"as a string, e.g. help(\"zfs.snapshot\")).",
}

func commit(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	thread.UndoOf(t).Commit()
	return starlark.None, nil
}

// ErrUsage marks an error of the command line a recipe was given: usage()
// raised it.
var ErrUsage = errors.New("usage")

// UsageError is what usage(msg) fails with.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string        { return e.Msg }
func (e *UsageError) Is(target error) bool { return target == ErrUsage }

func usage(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var msg string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "msg", &msg); err != nil {
		return nil, err
	}
	return nil, &UsageError{Msg: msg}
}

// Predeclared returns the names every script sees: the modules built for h
// plus struct, module and commit. h may be nil for documentation-only uses.
func Predeclared(h *runtime.Host) starlark.StringDict {
	d := starlark.StringDict{
		"struct": starlark.NewBuiltin("struct", starlarkstruct.Make),
		"module": starlark.NewBuiltin("module", starlarkstruct.MakeModule),
		"commit": starlark.NewBuiltin("commit", commit),
		"usage":  starlark.NewBuiltin("usage", usage),
	}
	for _, m := range modules {
		mod := m.make(h)
		mod.Freeze()
		d[m.name] = mod
	}
	return d
}

// Docs returns every docstring of the world, keyed as in moduleEntry.docs
// and by the global's name for struct and module.
func Docs() map[string]string {
	out := map[string]string{}
	for k, v := range globalDocs {
		out[k] = v
	}
	for _, m := range modules {
		for k, v := range m.docs {
			out[k] = v
		}
	}
	return out
}

// ModuleNames lists the predeclared modules in sorted order.
func ModuleNames() []string {
	var names []string
	for _, m := range modules {
		names = append(names, m.name)
	}
	sort.Strings(names)
	return names
}

// Signature is the first line of a doc: a builtin's signature.
func Signature(doc string) string {
	first, _, _ := strings.Cut(doc, "\n")
	return strings.TrimSpace(first)
}

// Summary is the first sentence after a builtin's signature, or the first
// line of a module's doc.
func Summary(doc string, isModule bool) string {
	if !isModule {
		_, doc, _ = strings.Cut(doc, "\n")
	}
	doc = strings.TrimSpace(doc)
	para, _, _ := strings.Cut(doc, "\n\n")
	para = strings.Join(strings.Fields(para), " ")
	if i := strings.Index(para, ". "); i >= 0 {
		para = para[:i+1]
	}
	return para
}
