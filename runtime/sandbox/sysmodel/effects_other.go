//go:build !linux

package sysmodel

import "syscall"

// The sandbox host runs on Linux only; elsewhere the models still compile
// (the iocage binary for FreeBSD links the sandbox package) but every real
// effect reports that it is not supported.

func bindMount(src, dst string, ro bool, flags []string) error { return syscall.EOPNOTSUPP }

func fsMount(source, fstype, dst string, ro bool, flags []string, data string) error {
	return syscall.EOPNOTSUPP
}

func fdescMount(dst string, ro bool, flags []string) error { return syscall.EOPNOTSUPP }

func devfsMount(dst string, ro bool, flags []string) error { return syscall.EOPNOTSUPP }

func unmount(p string, force bool) error { return syscall.EOPNOTSUPP }

func mknodChar(p string, mode uint32, major, minor uint32) error { return syscall.EOPNOTSUPP }

func devptsMount(dst string) error { return syscall.EOPNOTSUPP }

func isMountpoint(p string) bool { return false }

func setAffinity(pid int, cpus []int) error { return syscall.EOPNOTSUPP }

func getAffinity(pid int) ([]int, error) { return nil, syscall.EOPNOTSUPP }
