package main

import (
	"errors"
	"fmt"
	"io"
	goruntime "runtime"
	"sort"

	"github.com/urfave/cli/v2"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox"
)

// commands are registered by the file that owns each noun.
var commands []*cli.Command

func register(cmds ...*cli.Command) { commands = append(commands, cmds...) }

// Global flags, shared by every verb.
var (
	flagTrace  = &cli.BoolFlag{Name: "trace", Usage: "print every host command with its duration and exit status to stderr", EnvVars: []string{"IOCAGE_TRACE"}}
	flagDryRun = &cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "run reads, print every change instead of making it", EnvVars: []string{"IOCAGE_DRY_RUN"}}
	flagDebug  = &cli.BoolFlag{Name: "debug", Usage: "print full Starlark backtraces on errors"}
)

// io is kept on the app's metadata so verbs reach the streams run() got.
type appIO struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	host   *runtime.Host
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	cmds := append([]*cli.Command(nil), commands...)
	sort.SliceStable(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	app := &cli.App{
		Name:                 "iocage",
		Usage:                "a FreeBSD jail manager on ZFS, scriptable in Starlark",
		Version:              Version,
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		Flags:                []cli.Flag{flagTrace, flagDryRun, flagDebug, flagRecipes},
		Commands:             cmds,
		EnableBashCompletion: true,
		Suggest:              true,
		HideVersion:          true,
		Metadata:             map[string]any{"io": &appIO{stdin: stdin, stdout: stdout, stderr: stderr}},
		ExitErrHandler:       func(*cli.Context, error) {}, // run() reports errors itself
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return &exitError{code: exitUsage, err: fmt.Errorf("%w (see `iocage %s --help`)", err, c.Command.FullName())}
		},
	}
	return app
}

func ioOf(c *cli.Context) *appIO { return c.App.Metadata["io"].(*appIO) }

// hostOf opens the host once per process: FreeBSD itself, or the sandbox on
// other systems (and on FreeBSD when IOCAGE_SANDBOX says so).
func hostOf(c *cli.Context) (*runtime.Host, error) {
	aio := ioOf(c)
	if aio.host != nil {
		return aio.host, nil
	}
	opts := runtime.Options{DryRun: c.Bool("dry-run"), Out: aio.stderr}
	if c.Bool("trace") {
		opts.Trace = aio.stderr
	}
	var b runtime.Backend = runtime.FreeBSD{}
	if goruntime.GOOS != "freebsd" || sandboxRequested() {
		sb, err := sandbox.Open(sandbox.Dir())
		if err != nil {
			if errors.Is(err, runtime.ErrNotExist) {
				return nil, &exitError{code: exitFailure, err: fmt.Errorf("%w (this is not FreeBSD: iocage drives the sandbox host here; create it with `iocage sandbox setup` as root)", err)}
			}
			return nil, err
		}
		b = sb
	}
	aio.host = runtime.New(b, opts)
	return aio.host, nil
}
