package main

import (
	"errors"
	"os"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/starlib"
)

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
	opts.StderrTerminal = isTerminal(aio.stderr)
	if opts.SiteDir == "" {
		opts.SiteDir = c.String("recipes")
	}
	return starlib.New(opts)
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// runError gives a failed run of verb its documented exit status: 2 for a
// usage mistake the recipe caught (usage()), 3 for something named that
// does not exist.
func runError(verb string, err error) error {
	var ue *starlib.UsageError
	switch {
	case errors.As(err, &ue):
		return usageError(verb, err)
	case errors.Is(err, runtime.ErrNotExist):
		return &exitError{code: exitNotFound, err: err}
	}
	return err
}
