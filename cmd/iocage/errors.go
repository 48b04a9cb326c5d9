package main

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/starlib"
)

// errorText renders an error for the user. Starlark errors carry positions
// ("FILE:LINE:COL: message", the innermost one) and, with --debug, the
// whole backtrace through every load() and call that led there.
func errorText(err error, debug bool) string {
	if debug {
		return starlib.Backtrace(err)
	}
	return starlib.PositionText(err)
}

// hintFor returns a line a user can act on, if there is one.
func hintFor(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "(raise it with --timeout)"):
		return "the run took longer than --timeout allows; raise it or make the script do less"
	case strings.Contains(msg, "(raise it with --step-limit)"):
		return "the script ran more Starlark steps than --step-limit allows: a runaway loop, or raise the limit"
	case errors.Is(err, os.ErrPermission):
		return "iocage changes the host; run it as root"
	case errors.Is(err, runtime.ErrNotExist):
		return ""
	case errors.Is(err, starlib.ErrLoad) && strings.Contains(msg, "@iocage//"):
		return "`iocage recipes` lists the recipes load(\"@iocage//NAME.star\") can see"
	}
	return ""
}
