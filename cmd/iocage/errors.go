package main

import (
	"errors"

	"github.com/iocage/iocage/runtime"
)

// errorText renders an error for the user. Starlark errors carry positions
// (and, with --debug, the whole backtrace).
func errorText(err error, debug bool) string {
	return err.Error()
}

// hintFor returns a line a user can act on, if there is one.
func hintFor(err error) string {
	if errors.Is(err, runtime.ErrNotExist) {
		return ""
	}
	return ""
}
