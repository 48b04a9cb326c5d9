//go:build !linux

package sandbox

import "errors"

var errNotLinux = errors.New("the sandbox host needs Linux")

func bindMount(src, dst string, readonly, recursive bool) error { return errNotLinux }

func unmountBelow(p string, all bool) error { return errNotLinux }

func detach(p string) error { return errNotLinux }

func unmountStale(p string) error { return errNotLinux }
