package main

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/starlib"
)

// errorText renders an error for the user. With --debug it is the whole
// backtrace through every load() and call that led there. Otherwise a
// Starlark error is its message, with the innermost position
// ("FILE:LINE:COL: message") only where the file is the user's own: a
// recipe's line numbers mean nothing to someone who typed a verb.
func errorText(err error, debug, positions bool) string {
	var ue *usageErr
	switch {
	case debug:
		return starlib.Backtrace(err)
	case errors.As(err, &ue):
		return ue.Error()
	case positions:
		return starlib.PositionText(err)
	}
	return starlib.MessageText(err)
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
