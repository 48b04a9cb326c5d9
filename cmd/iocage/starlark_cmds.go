package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/starlib"
	"github.com/iocage/iocage/starlib/verb"
)

// The verbs of the Starlark world: run a script, the REPL, the docs, the
// .star test runner and the recipe listing.

// The limits of a run of the user's Starlark.
var limitFlags = []verb.Flag{
	{Long: "step-limit", Type: verb.Int, Meta: "N", Default: strconv.Itoa(starlib.DefaultStepLimit), Help: "stop a script after N Starlark steps"},
	{Long: "timeout", Type: verb.Duration, Meta: "DURATION", Help: "stop a script that runs longer than DURATION, e.g. 10m (0: no limit)"},
}

func init() {
	register(
		&command{spec: &verb.Verb{Name: "run", Category: catScripting, Output: "table",
			Summary: "run a Starlark script's main(NAME=VALUE ...) and print what it returns",
			Description: []string{"The script gets the world the shipped recipes have (iocage's modules, json, time, math, " +
				"struct, load(\"@iocage//NAME.star\") and files next to it). Each NAME=VALUE becomes a keyword " +
				"argument of main, converted by the default of main's parameter (int, bool, float, a " +
				"comma-separated list; otherwise a string). main's return value is printed as verbs print " +
				"theirs: a list of dicts as a table (-H, --json). FILE - reads the script from standard input."},
			Args: []verb.Arg{
				{Param: "file", Meta: "FILE.star|-", Help: "the script"},
				{Param: "args", Meta: "NAME=VALUE...", Kind: verb.Rest, Optional: true, Help: "keyword arguments of main"},
			},
			Flags: append(append([]verb.Flag(nil), tableFlags...), limitFlags...),
			Examples: []verb.Example{{Text: "Run a recipe of the site directory with two arguments:",
				Commands: []string{"iocage run /usr/local/etc/iocage/recipes/web.star tag=web1 count=2"}}},
		}, action: runScript},
		&command{spec: &verb.Verb{Name: "repl", Category: catScripting,
			Summary: "an interactive Starlark session with iocage's modules loaded",
			Description: []string{"Line editing, Tab completion (zfs.<TAB>), history in $XDG_STATE_HOME/iocage/history, " +
				"help(x) for docs, multi-line blocks (end them with an empty line). Ctrl-C cancels the running " +
				"statement, Ctrl-D exits. When standard input is not a terminal, statements are read from it " +
				"without prompts and the exit status says whether all succeeded."},
			Flags: limitFlags,
		}, action: runREPL},
		&command{spec: &verb.Verb{Name: "doc", Category: catScripting,
			Summary: "print the documentation of a Starlark module or builtin",
			Args:    []verb.Arg{{Param: "query", Meta: "MODULE[.NAME]", Optional: true, Help: "a module or one of its members (default: the index)"}},
		}, action: docCommand},
		&command{spec: &verb.Verb{Name: "test", Category: catScripting,
			Summary: "run *_test.star files, each test_* function against a fresh sandbox host",
			Description: []string{"Every top-level test_* function runs in its own interpreter, with the assert module " +
				"(eq, ne, true, contains, fails), against a throwaway sandbox host reset before each test. " +
				"A directory stands for its *_test.star files (default: the current directory), @iocage for " +
				"the shipped recipes' tests. Needs root and the iocage-sandbox program (Linux). Prints one line " +
				"per test and `N passed, N failed`; exits 1 when a test failed."},
			Args:  []verb.Arg{{Param: "paths", Meta: "FILE|DIR|@iocage...", Kind: verb.Rest, Optional: true, Help: "the tests"}},
			Flags: limitFlags,
		}, action: runTests, linuxOnly: true},
		&command{spec: &verb.Verb{Name: "recipes", Category: catScripting, Output: "table",
			Summary: "list the recipes load(\"@iocage//NAME.star\") sees and which copy is in effect",
			Flags:   tableFlags,
		}, action: listRecipes},
	)
}

func limits(c *cli.Context) starlib.Options {
	return starlib.Options{StepLimit: uint64(max(c.Int64("step-limit"), 0)), Timeout: c.Duration("timeout")}
}

func docCommand(c *cli.Context, _ *command) error {
	if c.NArg() > 1 {
		return usageError("doc", fmt.Errorf("doc takes at most one MODULE[.NAME], got %d arguments", c.NArg()))
	}
	text, err := starlib.DocText(c.Args().First())
	if err != nil {
		return runError("doc", err)
	}
	_, err = fmt.Fprint(ioOf(c).stdout, text)
	return err
}

func runScript(c *cli.Context, _ *command) error {
	if c.NArg() < 1 {
		return usageError("run", errors.New("missing FILE.star (or - for standard input)"))
	}
	h, err := hostOf(c)
	if err != nil {
		return err
	}
	in := newInterp(c, h, limits(c))
	val, err := in.RunMain(c.Context, c.Args().First(), c.Args().Tail())
	if err != nil {
		return runError("run", err)
	}
	return render(ioOf(c).stdout, val, renderOpts{noHeader: c.Bool("H"), json: c.Bool("json")})
}

func runREPL(c *cli.Context, _ *command) error {
	if c.NArg() > 0 {
		return usageError("repl", fmt.Errorf("repl takes no arguments (to run a file: iocage run %s)", c.Args().First()))
	}
	h, err := hostOf(c)
	if err != nil {
		return err
	}
	return newInterp(c, h, limits(c)).REPL(c.Context, starlib.HistoryFile())
}

func listRecipes(c *cli.Context, _ *command) error {
	h, err := hostOf(c)
	if err != nil {
		return err
	}
	rs, err := newInterp(c, h, starlib.Options{}).Recipes()
	if err != nil {
		return err
	}
	rows := make([]starlark.Value, len(rs))
	for i, r := range rs {
		d := starlark.NewDict(3)
		_ = d.SetKey(starlark.String("name"), starlark.String(r.Name))
		_ = d.SetKey(starlark.String("source"), starlark.String(r.Source))
		_ = d.SetKey(starlark.String("path"), starlark.String(r.Path))
		rows[i] = d
	}
	return render(ioOf(c).stdout, starlark.NewList(rows), renderOpts{noHeader: c.Bool("H"), json: c.Bool("json")})
}

func runTests(c *cli.Context, _ *command) error {
	args := c.Args().Slice()
	if len(args) == 0 {
		args = []string{"."}
	}
	files, err := starlib.FindTests(args, nil)
	if err != nil {
		return usageError("test", err)
	}
	if os.Geteuid() != 0 {
		return errors.New("iocage test needs root: each test runs against a throwaway sandbox host with its own ZFS pool")
	}
	sb, cleanup, err := testSandbox(c.Context)
	if err != nil {
		return err
	}
	defer func() {
		if err := cleanup(); err != nil {
			fmt.Fprintf(ioOf(c).stderr, "iocage: removing the test sandbox: %v\n", err)
		}
	}()
	aio := ioOf(c)
	hostOpts := runtime.Options{DryRun: c.Bool("dry-run"), Out: aio.stderr}
	if c.Bool("trace") {
		hostOpts.Trace = aio.stderr
	}
	opts := limits(c)
	opts.Stdin, opts.Stdout, opts.Stderr = aio.stdin, aio.stdout, aio.stderr
	opts.SiteDir = c.String("recipes")
	sum, err := starlib.RunTests(c.Context, files, starlib.TestOptions{
		Options: opts,
		Out:     aio.stdout,
		Fresh: func() (*runtime.Host, error) {
			if err := sb.reset(); err != nil {
				return nil, err
			}
			return runtime.New(sb.backend, hostOpts), nil
		},
	})
	if err != nil {
		return err
	}
	if sum.Failed > 0 {
		return &exitError{code: exitFailure}
	}
	return nil
}

// testBox is a throwaway sandbox host for `iocage test`.
type testBox struct {
	backend runtime.Backend
	reset   func() error
}

// testSandbox makes a throwaway sandbox host with its own small pool
// through the iocage-sandbox program, and returns how to remove it.
func testSandbox(ctx context.Context) (*testBox, func() error, error) {
	prog, err := sandboxProgram()
	if err != nil {
		return nil, nil, err
	}
	run := func(args ...string) error {
		cmd := exec.Command(prog, args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s: %w: %s", prog, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	pool := "ioctest" + hex.EncodeToString(b[:])
	dir, err := os.MkdirTemp("/var/tmp", "iocage-test-")
	if err != nil {
		return nil, nil, err
	}
	// Using a sandbox points this process at it (environment and PATH);
	// once the throwaway one is gone, point it back.
	envDir, hadDir := os.LookupEnv(runtime.SandboxEnv)
	path := os.Getenv("PATH")
	cleanup := func() error {
		err := run("-d", dir, "teardown")
		if hadDir {
			os.Setenv(runtime.SandboxEnv, envDir)
		} else {
			os.Unsetenv(runtime.SandboxEnv)
		}
		os.Setenv("PATH", path)
		return err
	}
	if err := run("-d", dir, "create", "--pool", pool, "--size", "1073741824"); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("test sandbox: %w", err), cleanup())
	}
	native, err := runtime.SandboxHost(dir)
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("test sandbox: %w", err), cleanup())
	}
	return &testBox{backend: native, reset: func() error { return run("-d", dir, "reset") }}, cleanup, nil
}

// envSandboxProgram names the iocage-sandbox program `iocage test` uses;
// by default the one beside this executable, else the one on PATH.
const envSandboxProgram = "IOCAGE_SANDBOX_PROGRAM"

func sandboxProgram() (string, error) {
	if p := os.Getenv(envSandboxProgram); p != "" {
		return p, nil
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "iocage-sandbox")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("iocage-sandbox")
	if err != nil {
		return "", errors.New("iocage test runs each test on a throwaway sandbox host and needs the iocage-sandbox program (Linux): install it beside iocage or on PATH, or name it in $" + envSandboxProgram)
	}
	return p, nil
}
