package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// io is kept on the app's metadata so verbs reach the streams run() got.
type appIO struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	host   *runtime.Host
	table  *cmdTable
	// positions shows recipe positions in error messages: with --debug, and
	// for the user's own scripts (run, test, repl).
	positions bool
}

// newApp is the urfave/cli application of verb cmd. It parses the command
// line parseCommandLine sorted, and runs it; help, --version and usage
// errors never reach it. t is there for the verbs that show others.
func newApp(t *cmdTable, cmd *command, stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:           "iocage",
		Usage:          "a FreeBSD jail manager on ZFS, scriptable in Starlark",
		Version:        Version,
		Reader:         stdin,
		Writer:         stdout,
		ErrWriter:      stderr,
		HideHelp:       true,
		HideVersion:    true,
		Metadata:       map[string]any{"io": &appIO{stdin: stdin, stdout: stdout, stderr: stderr, table: t}},
		ExitErrHandler: func(*cli.Context, error) {}, // run() reports errors itself
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			name := "iocage"
			if c.Command != nil && c.Command.Name != "" {
				name = c.Command.Name
			}
			return usageError(name, err)
		},
	}
	for i := range globalFlags {
		if f := &globalFlags[i]; f.Long != "help" && f.Long != "version" {
			app.Flags = append(app.Flags, cliFlag(f))
		}
	}
	app.Commands = []*cli.Command{cmd.cliCommand()}
	return app
}

func ioOf(c *cli.Context) *appIO { return c.App.Metadata["io"].(*appIO) }

// hostOf opens the host once per process: FreeBSD itself, or on Linux the
// sandbox host (see hostBackend).
func hostOf(c *cli.Context) (*runtime.Host, error) {
	aio := ioOf(c)
	if aio.host != nil {
		return aio.host, nil
	}
	opts := runtime.Options{DryRun: c.Bool("dry-run"), Out: aio.stderr}
	if k, with, _ := strings.Cut(os.Getenv(envKillAfterChange), ":"); k != "" {
		if n, err := strconv.Atoi(k); err == nil {
			opts.KillAfterChange, opts.KillWith = n, with
		}
	}
	if c.Bool("trace") {
		opts.Trace = aio.stderr
	}
	b, err := hostBackend()
	if err != nil {
		return nil, err
	}
	aio.host = runtime.New(b, opts)
	if n, err := strconv.Atoi(os.Getenv(envFailChange)); err == nil && n > 0 {
		aio.host.InjectFailure(n)
	}
	// clean --interrupted does explicitly (and can list) what every other
	// command does first.
	if !(c.Command != nil && c.Command.Name == "clean" && c.Bool("interrupted")) {
		if err := recoverInterrupted(c.Context, aio.host, aio.stderr); err != nil {
			return nil, err
		}
	}
	return aio.host, nil
}

// envKillAfterChange ("N" or "N:hup", "N:panic") kills iocage right
// after its N-th host change: the crash tests' way of dying half-way (see
// runtime.Options).
const envKillAfterChange = "IOCAGE_KILL_AFTER_CHANGE"

// envFailChange=N makes the N-th host change of this iocage fail (crash
// tests: an undo step that fails once).
const envFailChange = "IOCAGE_FAIL_CHANGE"

// recoverInterrupted takes back, before this command does its own work,
// the changes of iocage runs that died half-way (their journals), saying
// so on stderr. A run whose undo failed before is only reported: `iocage
// clean --interrupted` retries it. In dry-run nothing is taken back.
func recoverInterrupted(ctx context.Context, h *runtime.Host, stderr io.Writer) error {
	runs, err := thread.InterruptedRuns(h)
	if err != nil {
		return fmt.Errorf("interrupted runs: %w", err)
	}
	for _, in := range runs {
		failedBefore := false
		for _, s := range in.Steps {
			failedBefore = failedBefore || s.Error != ""
		}
		switch {
		case len(in.Steps) == 0:
		case failedBefore || h.DryRun():
			fmt.Fprintf(stderr, "iocage: %d change(s) of the interrupted run %s are not taken back; see `iocage clean --interrupted -n`\n", len(in.Steps), in)
		default:
			undone, left := in.Recover(ctx)
			fmt.Fprintf(stderr, "iocage: took back %d change(s) of the interrupted run %s\n", len(undone), in)
			for _, d := range undone {
				fmt.Fprintf(stderr, "iocage:   undone: %s\n", d)
			}
			for _, s := range left {
				fmt.Fprintf(stderr, "iocage:   NOT undone: %s: %s\n", s.Desc, s.Error)
			}
		}
		in.Close()
	}
	return nil
}
