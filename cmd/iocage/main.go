// Command iocage is a FreeBSD jail manager built on ZFS and Starlark. Its
// verbs are thin: each turns its arguments into keyword arguments of a
// shipped recipe's main() and renders what the recipe returns. On Linux it
// drives a sandbox host made by iocage-sandbox, through the same FreeBSD
// command lines.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Version is the program version; the release build sets it with -ldflags.
var Version = "0.1.0-dev"

// Exit codes callers can rely on.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitNotFound = 3
)

func main() {
	// SIGHUP is an ssh session that drops: like Ctrl-C, the run stops and
	// its changes are taken back.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	t := loadTable(openSite(siteDirOf(args)))
	line, err := parseCommandLine(args, t)
	if err != nil {
		return report(stderr, err, line.debug, line.debug)
	}
	switch {
	case line.version:
		fmt.Fprintf(stdout, "iocage %s\n", Version)
		return exitOK
	case line.help && line.cmd != nil:
		writeVerbHelp(stdout, line.cmd)
		return exitOK
	case line.help || line.cmd == nil:
		writeHelp(stdout, t)
		return exitOK
	}
	app := newApp(t, line.cmd, stdin, stdout, stderr)
	aio := app.Metadata["io"].(*appIO)
	aio.positions = line.debug || userScripts[line.cmd.spec.Name]
	err = app.RunContext(ctx, line.argv(args[0]))
	if err == nil {
		return exitOK
	}
	return report(stderr, err, line.debug, aio.positions)
}

// userScripts are the verbs that run the user's own Starlark: their errors
// show where in the user's file they happened.
var userScripts = map[string]bool{"run": true, "test": true, "repl": true}

// exitError carries an exit code chosen by a verb.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// report prints err the one way every verb's errors are printed: one line
// (a backtrace with --debug), and a hint where a user can act.
func report(stderr io.Writer, err error, debug, positions bool) int {
	var ee *exitError
	code := exitFailure
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintf(stderr, "iocage: error: %s\n", errorText(err, debug, positions))
	if h := hintFor(err); h != "" {
		fmt.Fprintf(stderr, "hint: %s\n", h)
	}
	return code
}
