//go:build !freebsd

package main

import (
	"errors"
	"fmt"

	"github.com/iocage/iocage/runtime"
)

// hostBackend is the host iocage drives: where there are no jails, the
// sandbox host that iocage-sandbox made in $IOCAGE_SANDBOX (or its default
// directory), driven through the same FreeBSD command lines.
func hostBackend() (runtime.Backend, error) {
	b, err := runtime.SandboxHost(runtime.SandboxDir())
	if errors.Is(err, runtime.ErrNotExist) {
		return nil, &exitError{code: exitFailure, err: fmt.Errorf("%w (this is not FreeBSD: iocage drives a sandbox host here; make it with `iocage-sandbox setup` as root)", err)}
	}
	return b, err
}

// hostName names it for `iocage version`.
func hostName() string {
	name := "sandbox " + runtime.SandboxDir()
	if _, err := runtime.SandboxRoot(runtime.SandboxDir()); err != nil {
		name += " (not set up)"
	}
	return name
}
