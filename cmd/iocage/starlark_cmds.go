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
	"strings"

	"github.com/urfave/cli/v2"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/starlib"
)

// The verbs of the Starlark world: run a script, the REPL, the docs, the
// .star test runner and the recipe listing.

var (
	flagStepLimit = &cli.Uint64Flag{Name: "step-limit", Usage: "stop a script after this many Starlark steps", Value: starlib.DefaultStepLimit}
	flagTimeout   = &cli.DurationFlag{Name: "timeout", Usage: "stop a script that runs longer than this (0: no limit)"}
)

func init() {
	register(
		&cli.Command{
			Name:      "run",
			Usage:     "run a Starlark script's main(NAME=VALUE ...) and print what it returns",
			ArgsUsage: "FILE.star|- [NAME=VALUE ...]",
			Category:  "scripting",
			Description: "The script gets the world the shipped recipes have (iocage's modules, json, time, math,\n" +
				"struct, load(\"@iocage//NAME.star\") and files next to it). Each NAME=VALUE becomes a keyword\n" +
				"argument of main, converted by the default of main's parameter (int, bool, float, a\n" +
				"comma-separated list; otherwise a string). main's return value is printed as verbs print\n" +
				"theirs: a list of dicts as a table (-H, --json). FILE - reads the script from standard input.",
			Flags:  []cli.Flag{flagNoHeader, flagJSON, flagStepLimit, flagTimeout, flagRecipes},
			Action: runScript,
		},
		&cli.Command{
			Name:     "repl",
			Usage:    "an interactive Starlark session with iocage's modules loaded",
			Category: "scripting",
			Description: "Line editing, Tab completion (zfs.<TAB>), history in " + "$XDG_STATE_HOME/iocage/history,\n" +
				"help(x) for docs, multi-line blocks (end them with an empty line). Ctrl-C cancels the running\n" +
				"statement, Ctrl-D exits. When standard input is not a terminal, statements are read from it\n" +
				"without prompts and the exit status says whether all succeeded.",
			Flags:  []cli.Flag{flagStepLimit, flagTimeout, flagRecipes},
			Action: runREPL,
		},
		&cli.Command{
			Name:      "doc",
			Usage:     "print the documentation of a Starlark module or builtin",
			ArgsUsage: "[MODULE[.NAME]]",
			Category:  "scripting",
			Action: func(c *cli.Context) error {
				if c.NArg() > 1 {
					return &exitError{code: exitUsage, err: fmt.Errorf("doc takes at most one MODULE[.NAME], got %d arguments", c.NArg())}
				}
				text, err := starlib.DocText(c.Args().First())
				if err != nil {
					return runError(err)
				}
				_, err = fmt.Fprint(ioOf(c).stdout, text)
				return err
			},
		},
		&cli.Command{
			Name:      "test",
			Usage:     "run *_test.star files, each test_* function against a fresh sandbox host",
			ArgsUsage: "[FILE|DIR|@iocage ...]",
			Category:  "scripting",
			Description: "Every top-level test_* function runs in its own interpreter, with the assert module\n" +
				"(eq, ne, true, contains, fails), against a throwaway sandbox host reset before each test.\n" +
				"A directory stands for its *_test.star files (default: the current directory), @iocage for\n" +
				"the shipped recipes' tests. Needs root. Prints one line per test and `N passed, N failed`;\n" +
				"exits 1 when a test failed.",
			Flags:  []cli.Flag{flagStepLimit, flagTimeout, flagRecipes},
			Action: runTests,
		},
		&cli.Command{
			Name:     "recipes",
			Usage:    "list the recipes load(\"@iocage//NAME.star\") sees and which copy is in effect",
			Category: "scripting",
			Flags:    []cli.Flag{flagNoHeader, flagJSON, flagRecipes},
			Action:   listRecipes,
		},
	)
}

func limits(c *cli.Context) starlib.Options {
	return starlib.Options{StepLimit: c.Uint64("step-limit"), Timeout: c.Duration("timeout")}
}

func runScript(c *cli.Context) error {
	if c.NArg() < 1 {
		return &exitError{code: exitUsage, err: errors.New("missing FILE.star (or - for standard input)")}
	}
	h, err := hostOf(c)
	if err != nil {
		return err
	}
	in := newInterp(c, h, limits(c))
	val, err := in.RunMain(c.Context, c.Args().First(), c.Args().Tail())
	if err != nil {
		return runError(err)
	}
	return render(ioOf(c).stdout, val, renderOpts{noHeader: c.Bool("H"), json: c.Bool("json")})
}

func runREPL(c *cli.Context) error {
	if c.NArg() > 0 {
		return &exitError{code: exitUsage, err: fmt.Errorf("repl takes no arguments (to run a file: iocage run %s)", c.Args().First())}
	}
	h, err := hostOf(c)
	if err != nil {
		return err
	}
	return newInterp(c, h, limits(c)).REPL(c.Context, starlib.HistoryFile())
}

func listRecipes(c *cli.Context) error {
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

func runTests(c *cli.Context) error {
	args := c.Args().Slice()
	if len(args) == 0 {
		args = []string{"."}
	}
	files, err := starlib.FindTests(args, nil)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
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
