package main

import (
	"fmt"
	"io/fs"
	goruntime "runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	startime "go.starlark.net/lib/time"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/recipes"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/starlib"
	"github.com/iocage/iocage/starlib/verb"
)

// command is one row of the command table: a verb's face and what runs it.
// A recipe's verb has its face read from the recipe (starlib/verb) and is
// run by calling its main(); the verbs built into iocage (run, repl, doc,
// ...) declare their face here in the same form, so that parsing, --help,
// completion and the manual page treat every verb alike.
type command struct {
	spec   *verb.Verb
	action func(c *cli.Context, cmd *command) error // nil: the recipe's main()
	hidden bool                                     // not in help, completion or the manual (iocage __complete)
	// linuxOnly verbs need the Linux sandbox (iocage test): FreeBSD's
	// iocage and its manual page have none of them.
	linuxOnly bool
}

// builtinCommands are the verbs built into iocage, registered by the file
// that owns each.
var builtinCommands []*command

func register(cmds ...*command) { builtinCommands = append(builtinCommands, cmds...) }

// The categories of the verbs built into iocage; the recipes name theirs.
const (
	catScripting = "Scripting"
	catHelp      = "Help"
)

// Global flags: every verb takes them, before or after its name.
var globalFlags = []verb.Flag{
	{Long: "trace", Type: verb.Bool, EnvVars: []string{"IOCAGE_TRACE"},
		Help: "print every host command with its duration and exit status to stderr"},
	{Long: "dry-run", Type: verb.Bool, EnvVars: []string{"IOCAGE_DRY_RUN"},
		Help: "run reads, print every change instead of making it"},
	{Long: "debug", Type: verb.Bool,
		Help: "print full Starlark backtraces, with the recipes' positions, on errors"},
	{Long: "recipes", Type: verb.String, Meta: "DIR", Default: starlib.DefaultSiteDir, EnvVars: []string{starlib.EnvSiteDir},
		Help: "site recipe directory: its recipes override the shipped ones by name, and each with a main() is a verb"},
	{Long: "version", Type: verb.Bool, Help: "print the version and exit"},
	{Long: "help", Short: "h", Type: verb.Bool, Help: "print help (after a verb: the verb's) and exit"},
}

// The flags of a verb whose output is a table.
var tableFlags = []verb.Flag{
	{Long: "H", Type: verb.Bool, Help: "scripting mode: no header, tab-separated fields"},
	{Long: "json", Type: verb.Bool, Help: "print the result as JSON"},
}

// cmdTable is the command table of one run. A recipe's face is read only
// when the verb is looked up: a run reads one recipe, not all of them
// (parsing every shipped recipe costs milliseconds); help, the manual and
// completion read them all.
type cmdTable struct {
	builtin map[string]*command
	recipes map[string]recipeFile // verb name → the copy in effect
	loaded  map[string]*command   // faces read so far; nil: no verb
	broken  map[string]error      // recipes whose face does not parse
}

// recipeFile is the copy of a recipe a verb runs.
type recipeFile struct {
	fsys fs.FS
	file string
	site bool
}

// loadTable builds the command table: the verbs built into iocage, then
// the shipped recipes and the site directory's (site may be nil), whose
// copy of a recipe overrides the shipped one. A recipe cannot take the
// name of a built-in verb.
func loadTable(site *siteDir) *cmdTable {
	t := &cmdTable{builtin: map[string]*command{}, recipes: map[string]recipeFile{},
		loaded: map[string]*command{}, broken: map[string]error{}}
	for _, c := range builtinCommands {
		if !(c.linuxOnly && goruntime.GOOS == "freebsd") {
			t.builtin[c.spec.Name] = c
		}
	}
	add := func(fsys fs.FS, isSite bool) {
		names, _ := fs.Glob(fsys, "*.star")
		for _, n := range names {
			if name := strings.TrimSuffix(n, ".star"); !strings.HasSuffix(n, "_test.star") && t.builtin[name] == nil {
				t.recipes[name] = recipeFile{fsys: fsys, file: n, site: isSite}
			}
		}
	}
	add(recipes.FS, false)
	if site != nil {
		add(site.fs, true)
	}
	return t
}

// lookup finds a verb by name; nil when there is none.
func (t *cmdTable) lookup(name string) *command {
	if c := t.builtin[name]; c != nil {
		return c
	}
	if c, ok := t.loaded[name]; ok {
		return c
	}
	rf, ok := t.recipes[name]
	if !ok {
		return nil
	}
	t.loaded[name] = nil
	src, err := fs.ReadFile(rf.fsys, rf.file)
	if err != nil {
		t.broken[name] = err
		return nil
	}
	v, err := verb.Parse(rf.file, src)
	if err != nil {
		t.broken[name] = err
		return nil
	}
	if v == nil {
		return nil
	}
	v.Site = rf.site
	if v.Output == "table" {
		v.Flags = append(v.Flags, tableFlags...)
	}
	c := &command{spec: v}
	t.loaded[name] = c
	return c
}

// all lists every verb, sorted by name.
func (t *cmdTable) all() []*command {
	var out []*command
	for _, c := range t.builtin {
		out = append(out, c)
	}
	for name := range t.recipes {
		if c := t.lookup(name); c != nil {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].spec.Name < out[j].spec.Name })
	return out
}

// visible lists the verbs help, completion and the manual show.
func (t *cmdTable) visible() []*command {
	var out []*command
	for _, c := range t.all() {
		if !c.hidden {
			out = append(out, c)
		}
	}
	return out
}

// cliCommand is the urfave/cli command of the row.
func (c *command) cliCommand() *cli.Command {
	cc := &cli.Command{
		Name:     c.spec.Name,
		Usage:    c.spec.Summary,
		Category: c.spec.Category,
		HideHelp: true,
		Hidden:   c.hidden,
	}
	for i := range c.spec.Flags {
		cc.Flags = append(cc.Flags, cliFlag(&c.spec.Flags[i]))
	}
	run := c.action
	if run == nil {
		run = recipeAction
	}
	cc.Action = func(ctx *cli.Context) error { return run(ctx, c) }
	return cc
}

// cliFlag is the urfave/cli flag of f; its default is main's, so a flag not
// given is left out of main's arguments (see kwargs).
func cliFlag(f *verb.Flag) cli.Flag {
	var aliases []string
	if f.Short != "" {
		aliases = []string{f.Short}
	}
	switch f.Type {
	case verb.Bool:
		return &cli.BoolFlag{Name: f.Long, Aliases: aliases, Usage: f.Help, EnvVars: f.EnvVars}
	case verb.Int:
		n, _ := strconv.ParseInt(f.Default, 10, 64)
		return &cli.Int64Flag{Name: f.Long, Aliases: aliases, Usage: f.Help, EnvVars: f.EnvVars, Value: n}
	case verb.Float:
		x, _ := strconv.ParseFloat(f.Default, 64)
		return &cli.Float64Flag{Name: f.Long, Aliases: aliases, Usage: f.Help, EnvVars: f.EnvVars, Value: x}
	case verb.List:
		return &cli.StringSliceFlag{Name: f.Long, Aliases: aliases, Usage: f.Help, EnvVars: f.EnvVars}
	case verb.Duration:
		d, _ := time.ParseDuration(f.Default)
		return &cli.DurationFlag{Name: f.Long, Aliases: aliases, Usage: f.Help, EnvVars: f.EnvVars, Value: d}
	}
	return &cli.StringFlag{Name: f.Long, Aliases: aliases, Usage: f.Help, EnvVars: f.EnvVars, Value: f.Default}
}

// recipeAction runs a recipe's verb: its command line becomes keyword
// arguments of main(), and what main returns is rendered (or, for an
// "exit status" verb, becomes iocage's exit status).
func recipeAction(c *cli.Context, cmd *command) error {
	kwargs, err := kwargs(c, cmd.spec)
	if err != nil {
		return usageError(cmd.spec.Name, err)
	}
	h, err := hostOf(c)
	if err != nil {
		return err
	}
	val, err := newInterp(c, h, starlib.Options{}).CallMain(c.Context, starlib.ShippedPrefix+cmd.spec.File, kwargs)
	if err != nil {
		return runError(cmd.spec.Name, err)
	}
	if cmd.spec.Output == "exit status" {
		return exitStatus(cmd.spec, val)
	}
	return render(ioOf(c).stdout, val, renderOpts{noHeader: c.Bool("H"), json: c.Bool("json")})
}

// exitStatus takes the int main returned as iocage's exit status: the
// command's own output already went to the terminal.
func exitStatus(v *verb.Verb, val starlark.Value) error {
	n, ok := val.(starlark.Int)
	if !ok {
		return fmt.Errorf("recipe %s returned %s, want the exit status (int)", v.File, val.Type())
	}
	code, ok := n.Int64()
	if !ok || code < 0 || code > 255 {
		code = exitFailure
	}
	if code == 0 {
		return nil
	}
	return &exitError{code: int(code)}
}

// usageError is a mistake on the command line of a verb: exit status 2.
func usageError(verbName string, err error) error {
	return &exitError{code: exitUsage, err: &usageErr{verb: verbName, err: err}}
}

// usageErr says which verb was misused and where its help is. A recipe's
// usage() is a Starlark error: its message is shown without the recipe's
// position, and --debug still finds the backtrace below.
type usageErr struct {
	verb string
	err  error
}

func (e *usageErr) Error() string {
	return fmt.Sprintf("%s: %s (see `iocage %s --help`)", e.verb, starlib.MessageText(e.err), e.verb)
}

func (e *usageErr) Unwrap() error { return e.err }

// kwargs turns positional arguments and the flags given into keyword
// arguments of main.
func kwargs(c *cli.Context, v *verb.Verb) ([]starlark.Tuple, error) {
	args := c.Args().Slice()
	var kw []starlark.Tuple
	add := func(name string, val starlark.Value) {
		kw = append(kw, starlark.Tuple{starlark.String(name), val})
	}
	i := 0
	for _, a := range v.Args {
		rest := args[min(i, len(args)):]
		switch a.Kind {
		case verb.Rest, verb.Verbatim:
			if len(rest) == 0 && !a.Optional {
				return nil, fmt.Errorf("missing %s", a.Meta)
			}
			if len(rest) > 0 || !a.Optional {
				add(a.Param, stringList(rest))
			}
			i = len(args)
		case verb.Props:
			if len(rest) == 0 && !a.Optional {
				return nil, fmt.Errorf("missing %s", a.Meta)
			}
			d := starlark.NewDict(len(rest))
			for _, s := range rest {
				k, val, ok := strings.Cut(s, "=")
				if !ok || k == "" {
					return nil, fmt.Errorf("%q is not %s", s, strings.TrimSuffix(a.Meta, "..."))
				}
				if err := d.SetKey(starlark.String(k), starlark.String(val)); err != nil {
					return nil, err
				}
			}
			if len(rest) > 0 || !a.Optional {
				add(a.Param, d)
			}
			i = len(args)
		default:
			if i >= len(args) {
				if !a.Optional {
					return nil, fmt.Errorf("missing %s", a.Meta)
				}
				continue
			}
			add(a.Param, starlark.String(args[i]))
			i++
		}
	}
	if i < len(args) {
		return nil, fmt.Errorf("unexpected argument %q", args[i])
	}
	for _, f := range v.Flags {
		if f.Param == "" || !c.IsSet(f.Long) {
			continue
		}
		add(f.Param, flagValue(c, &f))
	}
	return kw, nil
}

func flagValue(c *cli.Context, f *verb.Flag) starlark.Value {
	switch f.Type {
	case verb.Bool:
		return starlark.Bool(c.Bool(f.Long))
	case verb.Int:
		return starlark.MakeInt64(c.Int64(f.Long))
	case verb.Float:
		return starlark.Float(c.Float64(f.Long))
	case verb.List:
		return stringList(c.StringSlice(f.Long))
	case verb.Duration:
		return startime.Duration(c.Duration(f.Long))
	}
	return starlark.String(c.String(f.Long))
}

func stringList(ss []string) *starlark.List {
	elems := make([]starlark.Value, len(ss))
	for i, s := range ss {
		elems[i] = starlark.String(s)
	}
	return starlark.NewList(elems)
}

// siteDir is the site recipe directory of a run, read through the host:
// on the sandbox, the sandbox root's.
type siteDir struct {
	path string
	fs   fs.FS
}

// openSite opens the site directory; nil when there is no host to read it
// on (Linux without a sandbox), where only the shipped verbs exist.
func openSite(path string) *siteDir {
	b, err := hostBackend()
	if err != nil {
		return nil
	}
	return &siteDir{path: path, fs: starlib.SiteFS(runtime.New(b, runtime.Options{}), path)}
}
