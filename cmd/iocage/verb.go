package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	startime "go.starlark.net/lib/time"
	"go.starlark.net/starlark"
	"golang.org/x/term"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/starlib"
)

// verb is one row of the command table: a verb names a shipped recipe and
// says how its command line becomes keyword arguments of the recipe's
// main(**kwargs). Its action opens the host, calls main and renders what
// main returns.
type verb struct {
	Name, Usage, ArgsUsage, Category, Description string
	Aliases                                       []string
	Recipe                                        string     // shipped recipe name: "list" is @iocage//list.star
	Params                                        []param    // positional parameters → keyword args, in order
	Flags                                         []cli.Flag // --foo-bar → foo_bar (bool, string, int, float, string slice, duration)
	Table                                         bool       // add -H and --json; lists of dicts render as tables
}

// param is a positional parameter of a verb.
type param struct {
	Name        string // kwarg name
	Optional    bool
	Variadic    bool // takes the rest → list
	Props       bool // takes the rest, each NAME=VALUE → dict
	Passthrough bool // everything after it verbatim (no flag parsing), → list
}

// Flags every table verb and `iocage run` share.
var (
	flagNoHeader = &cli.BoolFlag{Name: "H", Usage: "scripting mode: no header, tab-separated fields"}
	flagJSON     = &cli.BoolFlag{Name: "json", Usage: "print the result as JSON"}
	// flagRecipes selects the site recipe directory; it belongs among the
	// global flags, and verbs look it up through the context lineage.
	flagRecipes = &cli.StringFlag{Name: "recipes", Usage: "site recipe directory, whose recipes override shipped ones by name", EnvVars: []string{starlib.EnvSiteDir}, Value: starlib.DefaultSiteDir}
)

// registerVerbs adds verb rows to the command table. A row that cannot
// work (an unsupported flag type, a parameter after one that takes the
// rest) is a programming error and panics at start-up, where every test
// sees it.
func registerVerbs(vs ...*verb) {
	for _, v := range vs {
		if err := v.check(); err != nil {
			panic(fmt.Sprintf("verb %s: %v", v.Name, err))
		}
		register(v.command())
	}
}

func (v *verb) check() error {
	if v.Recipe == "" {
		return errors.New("no recipe")
	}
	for i, p := range v.Params {
		if (p.Variadic || p.Props || p.Passthrough) && i != len(v.Params)-1 {
			return fmt.Errorf("parameter %s takes the rest of the arguments but is not last", p.Name)
		}
	}
	for _, f := range v.Flags {
		switch f.(type) {
		case *cli.BoolFlag, *cli.StringFlag, *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Float64Flag, *cli.StringSliceFlag, *cli.DurationFlag:
		default:
			return fmt.Errorf("flag %s: unsupported type %T", f.Names()[0], f)
		}
	}
	return nil
}

// command builds the cli.Command of the row.
func (v *verb) command() *cli.Command {
	flags := append([]cli.Flag(nil), v.Flags...)
	if v.Table {
		flags = append(flags, flagNoHeader, flagJSON)
	}
	usage := v.ArgsUsage
	if usage == "" {
		usage = v.argsUsage()
	}
	return &cli.Command{
		Name:        v.Name,
		Aliases:     v.Aliases,
		Usage:       v.Usage,
		ArgsUsage:   usage,
		Category:    v.Category,
		Description: v.Description,
		Flags:       flags,
		Action:      v.action,
	}
}

func (v *verb) argsUsage() string {
	var parts []string
	for _, p := range v.Params {
		s := strings.ToUpper(p.Name)
		switch {
		case p.Props:
			s += "=VALUE ..."
		case p.Variadic, p.Passthrough:
			s += " ..."
		}
		if p.Optional {
			s = "[" + s + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func (v *verb) action(c *cli.Context) error {
	kwargs, err := v.kwargs(c)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("%w (see `iocage %s --help`)", err, c.Command.FullName())}
	}
	h, err := hostOf(c)
	if err != nil {
		return err
	}
	in := newInterp(c, h, starlib.Options{})
	val, err := in.CallMain(c.Context, starlib.ShippedPrefix+v.Recipe+".star", kwargs)
	if err != nil {
		return runError(err)
	}
	return render(ioOf(c).stdout, val, renderOpts{noHeader: c.Bool("H"), json: c.Bool("json")})
}

// runError gives a failed run its documented exit code.
func runError(err error) error {
	if errors.Is(err, runtime.ErrNotExist) {
		return &exitError{code: exitNotFound, err: err}
	}
	return err
}

// kwargs turns positional arguments and set flags into keyword arguments.
func (v *verb) kwargs(c *cli.Context) ([]starlark.Tuple, error) {
	args := c.Args().Slice()
	var kw []starlark.Tuple
	add := func(name string, val starlark.Value) {
		kw = append(kw, starlark.Tuple{starlark.String(name), val})
	}
	i := 0
	for _, p := range v.Params {
		rest := args[min(i, len(args)):]
		switch {
		case p.Variadic || p.Passthrough:
			if len(rest) == 0 && !p.Optional {
				return nil, fmt.Errorf("missing %s", strings.ToUpper(p.Name))
			}
			add(p.Name, stringList(rest))
			i = len(args)
		case p.Props:
			if len(rest) == 0 && !p.Optional {
				return nil, fmt.Errorf("missing %s=VALUE", strings.ToUpper(p.Name))
			}
			d := starlark.NewDict(len(rest))
			for _, a := range rest {
				k, val, ok := strings.Cut(a, "=")
				if !ok || k == "" {
					return nil, fmt.Errorf("%s: %q is not NAME=VALUE", strings.ToUpper(p.Name), a)
				}
				if err := d.SetKey(starlark.String(k), starlark.String(val)); err != nil {
					return nil, err
				}
			}
			add(p.Name, d)
			i = len(args)
		default:
			if i >= len(args) {
				if !p.Optional {
					return nil, fmt.Errorf("missing %s", strings.ToUpper(p.Name))
				}
				continue
			}
			add(p.Name, starlark.String(args[i]))
			i++
		}
	}
	if i < len(args) {
		return nil, fmt.Errorf("unexpected argument %q", args[i])
	}
	for _, f := range v.Flags {
		name := f.Names()[0]
		val, ok := flagValue(c, f)
		if ok {
			add(strings.ReplaceAll(name, "-", "_"), val)
		}
	}
	return kw, nil
}

// flagValue is a flag as a Starlark value. Flags neither set nor given a
// default are left out, so the recipe's own default applies.
func flagValue(c *cli.Context, f cli.Flag) (starlark.Value, bool) {
	name := f.Names()[0]
	set := c.IsSet(name)
	switch f := f.(type) {
	case *cli.BoolFlag:
		return starlark.Bool(c.Bool(name)), set || f.Value
	case *cli.StringFlag:
		return starlark.String(c.String(name)), set || f.Value != ""
	case *cli.IntFlag:
		return starlark.MakeInt(c.Int(name)), set || f.Value != 0
	case *cli.Int64Flag:
		return starlark.MakeInt64(c.Int64(name)), set || f.Value != 0
	case *cli.UintFlag:
		return starlark.MakeUint(c.Uint(name)), set || f.Value != 0
	case *cli.Float64Flag:
		return starlark.Float(c.Float64(name)), set || f.Value != 0
	case *cli.StringSliceFlag:
		return stringList(c.StringSlice(name)), set || (f.Value != nil && len(f.Value.Value()) > 0)
	case *cli.DurationFlag:
		return startime.Duration(c.Duration(name)), set || f.Value != time.Duration(0)
	}
	return nil, false
}

func stringList(ss []string) *starlark.List {
	elems := make([]starlark.Value, len(ss))
	for i, s := range ss {
		elems[i] = starlark.String(s)
	}
	return starlark.NewList(elems)
}

// newInterp builds the interpreter of one run from the command line:
// streams, host, site directory; opts supplies the rest.
func newInterp(c *cli.Context, h *runtime.Host, opts starlib.Options) *starlib.Interp {
	aio := ioOf(c)
	opts.Host = h
	if !h.DryRun() {
		opts.Journal = thread.NewJournal(h, os.Args)
	}
	opts.Stdin, opts.Stdout, opts.Stderr = aio.stdin, aio.stdout, aio.stderr
	opts.Interactive = isTerminal(aio.stdout)
	if opts.SiteDir == "" {
		opts.SiteDir = c.String("recipes")
	}
	return starlib.New(opts)
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
