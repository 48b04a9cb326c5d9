package main

import "github.com/iocage/iocage/runtime"

// hostBackend is the host iocage drives: on FreeBSD, always FreeBSD.
func hostBackend() (runtime.Backend, error) { return runtime.FreeBSD{}, nil }

// hostName names it for `iocage version`.
func hostName() string { return "freebsd" }
