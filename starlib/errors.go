package starlib

import (
	"errors"
	"strings"

	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// starlarkErrors returns the Starlark errors in err's chain, outermost
// first: evaluation errors and the syntax and resolve errors of a file.
func starlarkErrors(err error) []error {
	var out []error
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch x := e.(type) {
		case *starlark.EvalError, syntax.Error, resolve.ErrorList:
			out = append(out, x)
		case interface{ Unwrap() []error }:
			// Joined errors: follow the first, which is what Error() leads with.
			if errs := x.Unwrap(); len(errs) > 0 {
				out = append(out, starlarkErrors(errs[0])...)
			}
			return out
		}
	}
	return out
}

// PositionText renders err as "FILE:LINE:COL: message" when it carries a
// Starlark position: the innermost one, where the failure happened (for a
// module that failed to load, inside that module). Other errors render as
// they are.
func PositionText(err error) string {
	chain := starlarkErrors(err)
	if len(chain) == 0 {
		return err.Error()
	}
	switch x := chain[len(chain)-1].(type) {
	case syntax.Error:
		return x.Error()
	case resolve.ErrorList:
		lines := make([]string, len(x))
		for i, e := range x {
			lines[i] = e.Error()
		}
		return strings.Join(lines, "\n")
	case *starlark.EvalError:
		if pos, ok := innermost(x.CallStack); ok {
			return pos.String() + ": " + x.Msg
		}
		return x.Msg
	}
	return err.Error()
}

// innermost finds the innermost frame that is in a file (a builtin's frame
// has no position; its caller's is the one to show).
func innermost(stack starlark.CallStack) (syntax.Position, bool) {
	for i := len(stack) - 1; i >= 0; i-- {
		if p := stack[i].Pos; p.IsValid() && p.Filename() != "<builtin>" {
			return p, true
		}
	}
	return syntax.Position{}, false
}

// Backtrace renders err with the full Starlark call stack, for --debug.
// Modules load on the running thread, so the innermost evaluation error's
// stack already runs through every load() that led to it.
func Backtrace(err error) string {
	chain := starlarkErrors(err)
	var eval *starlark.EvalError
	for _, e := range chain {
		if ee, ok := e.(*starlark.EvalError); ok {
			eval = ee
		}
	}
	if len(chain) == 0 {
		return err.Error()
	}
	last := chain[len(chain)-1]
	if _, ok := last.(*starlark.EvalError); ok {
		return eval.Backtrace()
	}
	// A file that did not parse: say where it was loaded from, then why.
	if eval != nil {
		return eval.Backtrace() + "\n" + PositionText(last)
	}
	return PositionText(last)
}

// MessageText renders err as PositionText does, but an evaluation error
// without its position: what a user who typed a verb needs is the message,
// not a line of a recipe. Syntax and resolve errors keep theirs, since
// the file is then the thing to fix.
func MessageText(err error) string {
	chain := starlarkErrors(err)
	if len(chain) == 0 {
		return err.Error()
	}
	if x, ok := chain[len(chain)-1].(*starlark.EvalError); ok {
		return x.Msg
	}
	return PositionText(err)
}
